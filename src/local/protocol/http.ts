/** What the protocol handlers share: the request context the server passes them, BadRequest, the body limits, readBody and the JSON answers. */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import type net from "node:net";
import { IoTError } from "../errors.ts";
import type { FaultOutcome } from "./faults.ts";
import type { LocalCredentials } from "./sigv4.ts";
import type { JsonObject } from "../state/store.ts";
import type { World } from "../state/world.ts";

/**
 * A request the fast path (fast-path.ts) read whole before serving it: the
 * head parsed, the body in memory, no stream left to read.
 */
export class BufferedRequest {
  readonly method: string;
  readonly url: string;
  /** Lower-case names, as node:http gives them; never repeated (a request repeating one goes to node:http). */
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly socket: net.Socket;

  constructor(method: string, url: string, headers: Record<string, string>, body: Buffer, socket: net.Socket) {
    this.method = method;
    this.url = url;
    this.headers = headers;
    this.body = body;
    this.socket = socket;
  }
}

/** A request as the handlers get it: from node:http (its body still to read), or from the fast path (read whole). */
export type Incoming = http.IncomingMessage | BufferedRequest;

/** What the handlers do with a response: node:http's ServerResponse has it, and so has the fast path's. */
export interface Outgoing {
  /** True once the status and headers are set (as node:http's `headersSent` after writeHead). */
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  /** `headers` as one flat list: name, value, name, value... */
  writeHead(status: number, headers: Array<string | number>): unknown;
  setHeader(name: string, value: string): unknown;
  writeContinue(): void;
  end(body: string): unknown;
  /** Closes the connection without an answer. */
  destroy(): unknown;
}

/** What the protocol handlers need from the running endpoint (startLocalIoT builds it), passed explicitly. */
export interface RequestContext {
  world: World;
  /** Credentials requests must be signed with. */
  credentials: LocalCredentials;
  /** Page size of the CloudFormation ListStackResources and DescribeStacks operations. */
  cloudFormationPageSize: number;
  /** Receives one line per request. */
  log: ((line: string) => void) | undefined;
  /** Writes the tables to the persist file; undefined without one (nothing to wait for). */
  commit(): Promise<void> | undefined;
  /**
   * Counts an API request and applies the fault configuration to it: waits
   * the injected latency, throws the protocol's throttling or server error,
   * or says whether to drop the connection before or after serving it
   * (synchronously when no latency is injected).
   */
  admit(operation: string, errors: FaultErrors): Admitted | Promise<Admitted>;
  /** Closes the connection without a response, counting the call as dropped. */
  drop(req: Incoming, res: Outgoing, operation: string): void;
  /** Records an API call's outcome in the stats (and, for the stats' call list, what it acted on). */
  countCall(operation: string, status: number, error?: string, resource?: string): void;
  /** Counts a request refused before routing. */
  reject(): void;
  /** Serves a request under ADMIN_PREFIX (signed and parsed as a restJson1 request). */
  admin(method: string, path: string, body: JsonObject, res: Outgoing): Promise<void>;
}

/** What happens to an admitted request: served, or its connection dropped before or after serving it. */
export type Admitted = Exclude<FaultOutcome, "throttle" | "error">;

/** The protocol's errors for an injected throttle or server error of an operation. */
export interface FaultErrors {
  throttled(): IoTError;
  failed(operation: string): IoTError;
}

/** A request refused before it reaches an operation: counted as rejected, not as a call. */
export class BadRequest extends IoTError {}

/** The connection broke before the whole body arrived (the client left, or the server's requestTimeout closed it): nothing to answer. */
export class ConnectionLost extends Error {}

export const MAX_BODY = 1024 * 1024;
/** Beyond this, an oversized body is not even drained: the connection is closed. */
export const HARD_BODY_LIMIT = 16 * MAX_BODY;
export const ADMIN_PREFIX = "/_local/";

/** The body length a request declares in Content-Length (undefined without one, e.g. a chunked body). */
export function declaredLength(req: http.IncomingMessage): number | undefined {
  const value = req.headers["content-length"];
  return value === undefined ? undefined : Number(value);
}

export function readBody(req: http.IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > HARD_BODY_LIMIT) {
        req.destroy();
        reject(new Error("request body far too large"));
        return;
      }
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }));
    req.on("error", (error) => reject(new ConnectionLost(error.message)));
  });
}

/** Where the server leaves the Date header a response will carry (its clock's time when the request arrived). */
const RESPONSE_DATE = Symbol("response date");
type Dated = Outgoing & { [RESPONSE_DATE]?: string };

/** Sets the Date header `send` and the other answers will write (the endpoint's clock, not the machine's). */
export function setResponseDate(res: Outgoing, date: string): void {
  (res as Dated)[RESPONSE_DATE] = date;
}

/**
 * Writes a response's status and headers: its Date (setResponseDate), a
 * request id, and `headers` (name, value, name, value...). One flat list,
 * which node:http serialises without building a header map first.
 */
export function writeHead(res: Outgoing, status: number, headers: Array<string | number>): void {
  const date = (res as Dated)[RESPONSE_DATE];
  if (date !== undefined) headers.push("date", date);
  res.writeHead(status, headers);
}

export function send(res: Outgoing, status: number, body: JsonObject | undefined, code?: string) {
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers: Array<string | number> = ["x-amzn-requestid", randomUUID(), "content-length", Buffer.byteLength(text)];
  if (text) headers.push("content-type", "application/json");
  if (code) headers.push("x-amzn-errortype", code);
  writeHead(res, status, headers);
  res.end(text);
}

export function sendError(res: Outgoing, error: IoTError) {
  send(res, error.status, { message: error.message, ...error.extra } as JsonObject, error.code);
}
