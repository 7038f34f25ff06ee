/** A raw TCP connection to the local endpoint, and signed request heads to write on it: for the tests of what the SDK never sends. */
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { createHash } from "node:crypto";
import net from "node:net";
import type { LocalIoT } from "../../src/local/index.ts";

/** How long a test waits for something that should happen at once (a bound on failure, not a measurement). */
const PATIENCE_MS = 8_000;

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw TCP connection to the endpoint that collects what the server sends and notices when it closes. */
export class Wire {
  private data = "";
  private waiters: Array<() => void> = [];
  closed = false;
  readonly socket: net.Socket;

  constructor(port: number) {
    this.socket = net.connect({ host: "127.0.0.1", port });
    this.socket.setEncoding("latin1");
    this.socket.on("data", (chunk: string) => {
      this.data += chunk;
      this.wake();
    });
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  static async open(local: LocalIoT): Promise<Wire> {
    const wire = new Wire(local.port);
    await new Promise<void>((resolve, reject) => {
      wire.socket.once("connect", resolve);
      wire.socket.once("error", reject);
    });
    return wire;
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `done` is true (it is re-checked on every event), or fails after PATIENCE_MS saying `what`. */
  async until(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + PATIENCE_MS;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${PATIENCE_MS} ms; received so far: ${JSON.stringify(this.data.slice(0, 200))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next complete HTTP response (status line, headers, content-length body), removed from what was received. */
  async answer(): Promise<Answer> {
    let parsed: { answer: Answer; length: number } | undefined;
    await this.until(() => (parsed = parseAnswer(this.data)) !== undefined || this.closed, "answer");
    if (!parsed) throw new Error(`the connection closed without an answer; received ${JSON.stringify(this.data)}`);
    this.data = this.data.slice(parsed.length);
    return parsed.answer;
  }

  /** Waits until the server closes the connection; returns what it sent meanwhile. */
  async close(): Promise<string> {
    await this.until(() => this.closed, "close of the connection by the server");
    return this.data;
  }

  received(): string {
    return this.data;
  }

  write(text: string | Buffer) {
    this.socket.write(text);
  }

  destroy() {
    this.socket.destroy();
  }
}

function parseAnswer(data: string): { answer: Answer; length: number } | undefined {
  const end = data.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const [statusLine, ...lines] = data.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(statusLine.split(" ")[1]);
  const length = status === 100 ? 0 : Number(headers["content-length"] ?? 0);
  if (data.length < end + 4 + length) return undefined;
  return { answer: { status, headers, body: data.slice(end + 4, end + 4 + length) }, length: end + 4 + length };
}

export interface Head {
  method: string;
  path: string;
  /** Declared body length (the body itself is written separately, or never). */
  contentLength?: number;
  /** The body's SHA-256 as declared in x-amz-content-sha256 (signed). */
  bodyHash?: string;
  headers?: Record<string, string>;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  signingDate?: Date;
  unsigned?: boolean;
}

/** The request head, SigV4-signed as the SDK signs (x-amz-content-sha256 included) unless `unsigned`. */
export async function head(local: LocalIoT, h: Head): Promise<string> {
  let headers: Record<string, string> = { host: `127.0.0.1:${local.port}`, ...h.headers };
  if (h.contentLength !== undefined) headers["content-length"] = String(h.contentLength);
  if (!h.unsigned) {
    headers["x-amz-content-sha256"] = h.bodyHash ?? sha256("");
    const signer = new SignatureV4({
      credentials: h.credentials ?? local.credentials,
      region: local.region,
      service: "iot",
      sha256: Hash.bind(null, "sha256"),
    });
    const signed = await signer.sign(
      new HttpRequest({ method: h.method, protocol: "http:", hostname: "127.0.0.1", port: local.port, path: h.path, headers }),
      { signingDate: h.signingDate },
    );
    headers = signed.headers as Record<string, string>;
  }
  return `${h.method} ${h.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
}

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
