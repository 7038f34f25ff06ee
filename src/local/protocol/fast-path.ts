/**
 * The endpoint's fast path: the requests the SDK sends — HTTP/1.1 on a
 * keep-alive connection, a head and a Content-Length body that arrive
 * together — are parsed and answered on the socket itself, one write per
 * answer, without node:http's per-request streams, header maps and header
 * validation (most of what the endpoint cost per request beyond its own
 * work: docs/benchmarks.md).
 *
 * Anything else is node:http's, from that request on for the rest of the
 * connection: a request that has not arrived whole (a body still coming, a
 * head not yet ended), chunked bodies, `Expect`, `Upgrade`, `Connection`
 * other than keep-alive, HTTP/1.0, a repeated header, a body over
 * MAX_BODY, a head near node:http's limit, and anything malformed. The
 * bytes received are handed over with the socket, so node:http answers those
 * exactly as it did before this path existed (100 Continue, 400, 408, 431,
 * the request and headers timeouts).
 *
 * Held by the fast path, a connection that sends nothing is closed after the
 * headers timeout, and one idle after an answer after the idle timeout, as
 * node:http closes them.
 */
import http from "node:http";
import type net from "node:net";
import { BufferedRequest, MAX_BODY, type Outgoing } from "./http.ts";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than tab (a bare CR or LF among them), which node:http refuses in a request line or a header. */
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const CONTROL = /[\0-\x08\x0a-\x1f\x7f]/;
const DIGITS = /^\d{1,8}$/;
const REQUEST_LINE = /^([A-Z]+) (\/\S*) HTTP\/1\.1$/;
/** Headers whose presence means a request node:http must handle (`Connection` unless it says keep-alive, HTTP/1.1's default). */
const NOT_HERE = new Set(["transfer-encoding", "expect", "upgrade", "te", "trailer"]);

export type Serve = (req: BufferedRequest, res: Outgoing) => void;

export interface FastPathOptions {
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  /** Called for each connection handed to node:http. */
  onHandOver(): void;
}

export interface FastPath {
  /** Closes the connections the fast path holds (node:http closes the ones it was handed). */
  closeAll(): void;
}

/**
 * Puts the fast path in front of `server`: every new connection is the
 * fast path's until it hands it to node:http's own connection handling,
 * which `server` registered when it was created (taken from it here).
 */
export function useFastPath(server: http.Server, serve: Serve, options: FastPathOptions): FastPath {
  const listeners = server.listeners("connection");
  if (listeners.length !== 1) throw new Error("the fast path must be set up on a fresh node:http server");
  const nodeConnection = listeners[0] as (socket: net.Socket) => void;
  server.removeListener("connection", nodeConnection);
  const held = new Set<net.Socket>();
  const handOver = (socket: net.Socket) => {
    held.delete(socket);
    options.onHandOver();
    nodeConnection.call(server, socket);
  };
  server.on("connection", (socket: net.Socket) => {
    held.add(socket);
    socket.once("close", () => held.delete(socket));
    new Connection(socket, serve, options, handOver).start();
  });
  return {
    closeAll() {
      for (const socket of held) socket.destroy();
    },
  };
}

/** One connection while the fast path holds it: requests served one at a time, in order. */
class Connection {
  private buffered: Buffer | undefined;
  private serving: Answer | undefined;
  private pumping = false;
  private ended = false;
  private closing = false;
  private readonly socket: net.Socket;
  private readonly serve: Serve;
  private readonly options: FastPathOptions;
  private readonly handOverTo: (socket: net.Socket) => void;
  /** The keep-alive headers of its answers, as node:http writes them: clients then stop reusing a connection before the endpoint closes it. */
  private readonly keepAlive: string;
  private readonly onData = (chunk: Buffer) => {
    this.buffered = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    // Pipelined behind an answer still being prepared: taken once it is written.
    if (this.serving) this.socket.pause();
    else this.pump();
  };
  private readonly onEnd = () => {
    this.ended = true;
    if (!this.serving) this.close();
  };
  private readonly onTimeout = () => {
    if (!this.serving) this.socket.destroy();
  };

  constructor(socket: net.Socket, serve: Serve, options: FastPathOptions, handOverTo: (socket: net.Socket) => void) {
    this.socket = socket;
    this.serve = serve;
    this.options = options;
    this.handOverTo = handOverTo;
    this.keepAlive = `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(options.idleTimeoutMs / 1000)}\r\n`;
  }

  start(): void {
    this.socket.on("data", this.onData);
    this.socket.on("end", this.onEnd);
    this.socket.on("timeout", this.onTimeout);
    // A client that left mid-answer: nothing to do (close follows).
    this.socket.on("error", noop);
    this.socket.setTimeout(this.options.headersTimeoutMs);
  }

  /**
   * Serves the buffered requests one after the other, while each is answered
   * at once (in a loop, not by recursion: a client may pipeline many), or
   * hands the connection to node:http when what is buffered is not a whole
   * request of the fast path's kind.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.serving === undefined && this.buffered !== undefined && !this.closing && !this.socket.destroyed) {
        const buffer = this.buffered;
        const parsed = parse(buffer);
        if (parsed === undefined) return this.handOver();
        this.buffered = parsed.end === buffer.length ? undefined : buffer.subarray(parsed.end);
        const body = buffer.subarray(parsed.bodyStart, parsed.end);
        this.serving = new Answer(this, this.socket, this.keepAlive);
        this.serve(new BufferedRequest(parsed.method, parsed.url, parsed.headers, body, this.socket), this.serving);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The answer was written (or the connection dropped): the next request, if any. */
  answered(close: boolean): void {
    this.serving = undefined;
    if (this.socket.destroyed) return;
    if (close) return this.close();
    // Set once: Node renews a socket's timeout on every read and write.
    if (this.socket.timeout !== this.options.idleTimeoutMs) this.socket.setTimeout(this.options.idleTimeoutMs);
    if (this.buffered) {
      this.socket.resume();
      this.pump();
    } else if (this.ended) this.close();
  }

  /** Ends the connection once what was answered is written; nothing more is served on it. */
  private close(): void {
    if (this.closing) return;
    this.closing = true;
    writeSoon(this.socket, undefined);
  }

  private handOver(): void {
    const socket = this.socket;
    socket.off("data", this.onData);
    socket.off("end", this.onEnd);
    socket.off("timeout", this.onTimeout);
    socket.off("error", noop);
    socket.setTimeout(0);
    const rest = this.buffered;
    this.buffered = undefined;
    // The answers already made go first: node:http writes its own at once.
    writeAll();
    this.handOverTo(socket);
    // node:http's parser takes what was read so far first, then what follows.
    if (rest) socket.unshift(rest);
    socket.resume();
  }
}

/** The fast path's response: its head and body written to the socket in one write, when `end` is called. */
class Answer implements Outgoing {
  headersSent = false;
  destroyed = false;
  private status = 200;
  private head = "";
  private hasLength = false;
  private closeAfter = false;
  private readonly connection: Connection;
  private readonly socket: net.Socket;
  private readonly keepAlive: string;

  constructor(connection: Connection, socket: net.Socket, keepAlive: string) {
    this.connection = connection;
    this.socket = socket;
    this.keepAlive = keepAlive;
  }

  writeHead(status: number, headers: Array<string | number>): this {
    this.status = status;
    let head = this.head;
    for (let i = 0; i < headers.length; i += 2) {
      const name = String(headers[i]);
      if (name.length === 14 && name.toLowerCase() === "content-length") this.hasLength = true;
      head += `${name}: ${headers[i + 1]}\r\n`;
    }
    this.head = head;
    this.headersSent = true;
    return this;
  }

  setHeader(name: string, value: string): this {
    if (name.toLowerCase() === "connection") this.closeAfter = value.toLowerCase() === "close";
    else this.head += `${name}: ${value}\r\n`;
    return this;
  }

  writeContinue(): void {
    // After the answers already made (the fast path hands `Expect` to node:http, so this is for completeness).
    writeSoon(this.socket, "HTTP/1.1 100 Continue\r\n\r\n");
  }

  end(body: string): this {
    if (this.destroyed) return this;
    this.headersSent = true;
    this.destroyed = true;
    const length = this.hasLength ? "" : `content-length: ${Buffer.byteLength(body)}\r\n`;
    const connection = this.closeAfter ? "connection: close\r\n" : this.keepAlive;
    writeSoon(
      this.socket,
      `HTTP/1.1 ${this.status} ${http.STATUS_CODES[this.status] ?? "Unknown"}\r\n${this.head}${length}${connection}\r\n${body}`,
    );
    this.connection.answered(this.closeAfter);
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    this.socket.destroy();
    this.connection.answered(true);
    return this;
  }
}

interface Parsed {
  method: string;
  url: string;
  headers: Record<string, string>;
  bodyStart: number;
  /** Where the request ends in the buffer (its body's end). */
  end: number;
}

/** The first request in `buffer`, when it is whole and of the kind the fast path serves; undefined otherwise (node:http's then). */
function parse(buffer: Buffer): Parsed | undefined {
  const headEnd = buffer.indexOf("\r\n\r\n");
  // Near node:http's own limit on a head (its 431 beyond, --max-http-header-size), node:http decides.
  if (headEnd === -1 || headEnd + 4 > http.maxHeaderSize) return undefined;
  const head = buffer.toString("latin1", 0, headEnd);
  let lineEnd = head.indexOf("\r\n");
  const line = REQUEST_LINE.exec(lineEnd === -1 ? head : head.slice(0, lineEnd));
  if (line === null || line[1] === "HEAD" || line[1] === "CONNECT" || CONTROL.test(line[2])) return undefined;
  const headers: Record<string, string> = {};
  while (lineEnd !== -1) {
    const start = lineEnd + 2;
    lineEnd = head.indexOf("\r\n", start);
    const colon = head.indexOf(":", start);
    if (colon <= start || (lineEnd !== -1 && colon > lineEnd)) return undefined;
    const name = head.slice(start, colon).toLowerCase();
    if (!TOKEN.test(name) || NOT_HERE.has(name) || headers[name] !== undefined) return undefined;
    const value = head.slice(colon + 1, lineEnd === -1 ? head.length : lineEnd).trim();
    if (CONTROL.test(value)) return undefined;
    headers[name] = value;
  }
  if (headers.host === undefined) return undefined;
  const connection = headers.connection;
  if (connection !== undefined && connection.toLowerCase() !== "keep-alive") return undefined;
  const declared = headers["content-length"];
  let length = 0;
  if (declared !== undefined) {
    if (!DIGITS.test(declared)) return undefined;
    length = Number(declared);
  }
  const bodyStart = headEnd + 4;
  if (length > MAX_BODY || buffer.length < bodyStart + length) return undefined;
  return { method: line[1], url: line[2], headers, bodyStart, end: bodyStart + length };
}

/**
 * The answers of one turn of the event loop, written together at its end:
 * written one by one as they are made, each write wakes the client's side
 * again (on a virtual machine, much of a request's cost); written in a row,
 * one wake-up serves several. In order per connection; `undefined` ends it.
 */
let soon: Array<net.Socket | string | undefined> = [];

function writeSoon(socket: net.Socket, text: string | undefined): void {
  if (soon.length === 0) setImmediate(writeAll);
  soon.push(socket, text);
}

function writeAll(): void {
  const now = soon;
  soon = [];
  for (let i = 0; i < now.length; i += 2) {
    const socket = now[i] as net.Socket;
    const text = now[i + 1] as string | undefined;
    if (socket.destroyed) continue;
    if (text === undefined) socket.end();
    else socket.write(text);
  }
}

function noop(): void {}
