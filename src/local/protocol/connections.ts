/**
 * How many connections the endpoint takes, and how long it waits for a
 * client: a connection beyond `maxConnections` is closed at once; one that
 * sends nothing, or not its whole request in time, is closed (408 when a
 * request had begun); an idle keep-alive connection is closed after
 * `idleTimeoutMs`. Node's server checks the deadlines every
 * CHECK_INTERVAL_MS, so a stalled connection is closed within its timeout
 * plus that interval.
 */
import type http from "node:http";
import type net from "node:net";

export interface ConnectionLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = {
  maxConnections: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 10_000,
};

/** How often Node's server looks for connections past their headers or request deadline (at most). */
const CHECK_INTERVAL_MS = 1_000;

/** The limits with defaults applied; throws on a value that is not a positive whole number, or headers allowed longer than the request. */
export function connectionLimits(given: Partial<ConnectionLimits>): ConnectionLimits {
  const limits = { ...DEFAULT_CONNECTION_LIMITS };
  for (const name of Object.keys(limits) as Array<keyof ConnectionLimits>) {
    const value = given[name];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, got ${String(value)}`);
    limits[name] = value;
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new Error(
      `headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs}): the headers are part of the request`,
    );
  }
  return limits;
}

/** The node:http server options that carry the limits (the check interval can only be set at creation). */
export function serverOptions(limits: ConnectionLimits): http.ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: Math.max(10, Math.min(CHECK_INTERVAL_MS, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/**
 * Applies the connection cap and answers what Node refuses before a request
 * reaches the handler: 408 for a request not received in time, 431 for
 * headers too large, a bare 400 for bytes that are not HTTP; the connection
 * is then closed. `onRefused` is called for each connection closed by the
 * cap, `onRejected` for each of these answers.
 */
export function applyConnectionLimits(server: http.Server, limits: ConnectionLimits, onRefused: () => void, onRejected: () => void): void {
  server.maxConnections = limits.maxConnections;
  server.on("drop", onRefused);
  server.on("clientError", (error: NodeJS.ErrnoException, socket: net.Socket) => {
    const started = (socket as net.Socket & { _httpMessage?: http.ServerResponse })._httpMessage;
    // A client that left, or a connection in the middle of an answer: nothing to say.
    if (socket.writable && !started?.headersSent) {
      onRejected();
      const status =
        error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? "408 Request Timeout"
          : error.code === "HPE_HEADER_OVERFLOW"
            ? "431 Request Header Fields Too Large"
            : "400 Bad Request";
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    }
    // As Node does: the rest of what the client sends is not read.
    socket.destroy();
  });
}
