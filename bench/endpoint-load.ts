/**
 * The endpoint benchmark's load generator (bench/endpoint.ts): requests
 * serialised to bytes ahead of time, written on raw keep-alive sockets, the
 * answers read with a minimal HTTP/1.1 response parser. It costs a fraction
 * of node:http's client per request, so the server, not the client, is what
 * the figures measure.
 */
import net from "node:net";

/** A request as sent: method, path with its query, headers (signed ones included) and body. */
export interface Signed {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** A signed request as the bytes of an HTTP/1.1 request (keep-alive is HTTP/1.1's default). */
export function serialise(r: Signed): Buffer {
  let head = `${r.method} ${r.path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(r.headers)) head += `${name}: ${value}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, "latin1"), Buffer.from(r.body ?? "", "utf8")]);
}

export interface RunResult {
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: Float64Array;
  firstError?: string;
}

/**
 * One keep-alive connection that sends a request and waits for its answer:
 * the status line and headers are read as latin1, the body skipped by its
 * Content-Length (the endpoint always sends one).
 */
class RawConnection {
  private buffered: Buffer | undefined;
  private waiting: { resolve: (status: number) => void; reject: (error: Error) => void } | undefined;

  private readonly socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => this.fail(new Error("connection closed")));
  }

  static open(url: URL): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => {
        socket.off("error", reject);
        resolve(new RawConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  send(bytes: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(error: Error): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }

  private onData(chunk: Buffer): void {
    const buf = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    const end = buf.indexOf("\r\n\r\n");
    if (end === -1) {
      this.buffered = buf;
      return;
    }
    const head = buf.toString("latin1", 0, end);
    const match = /\r\ncontent-length: *(\d+)/i.exec(head);
    const total = end + 4 + (match ? Number(match[1]) : 0);
    if (buf.length < total) {
      this.buffered = buf;
      return;
    }
    this.buffered = buf.length > total ? buf.subarray(total) : undefined;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve(Number(head.slice(9, 12)));
  }
}

/** Runs every client's sequence concurrently, one keep-alive connection per client. */
export async function runSigned(endpoint: string, sequences: Buffer[][], labels?: string[][]): Promise<RunResult> {
  const url = new URL(endpoint);
  const connections = await Promise.all(sequences.map(() => RawConnection.open(url)));
  const total = sequences.reduce((n, s) => n + s.length, 0);
  const latencies = new Float64Array(total);
  let index = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await Promise.all(
    sequences.map(async (sequence, client) => {
      const connection = connections[client];
      for (let i = 0; i < sequence.length; i++) {
        const t0 = performance.now();
        let status = 0;
        try {
          status = await connection.send(sequence[i]);
        } catch (error) {
          firstError ??= String(error);
        }
        latencies[index++] = performance.now() - t0;
        if (status !== 200) {
          errors++;
          firstError ??= `${labels?.[client][i] ?? "request"} -> ${status}`;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const connection of connections) connection.close();
  return { requests: total, errors, seconds, latenciesMs: latencies, firstError };
}
