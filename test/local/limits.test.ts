/**
 * The endpoint under hostile or careless clients, over raw sockets: requests
 * refused on their headers before their body is sent, connections that stall,
 * and connections beyond the cap.
 */
import { ListJobTemplatesCommand } from "@aws-sdk/client-iot";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { createHash } from "node:crypto";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { eventually, iotClient } from "./helpers.ts";

const MiB = 1024 * 1024;
/** How long a test waits for something that should happen at once (a bound on failure, not a measurement). */
const PATIENCE_MS = 8_000;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw TCP connection to the endpoint that collects what the server sends and notices when it closes. */
class Wire {
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

interface Head {
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
async function head(local: LocalIoT, h: Head): Promise<string> {
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

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

let local: LocalIoT;
beforeAll(async () => {
  local = await startLocalIoT();
});
afterAll(() => local.stop());

describe("a request is refused on its headers, before its body is sent", () => {
  const large = 16 * MiB;
  const wrongKey = { accessKeyId: "AKIAUNKNOWN000000000", secretAccessKey: "x" };
  const wrongSecret = { accessKeyId: "AKIALOCALIOTJOBS0000", secretAccessKey: "wrong" };
  const cases: Array<[string, number, string, Partial<Head>]> = [
    ["unsigned", 403, "MissingAuthenticationTokenException", { unsigned: true }],
    ["signed with an unknown access key", 403, "UnrecognizedClientException", { credentials: wrongKey }],
    ["signed with a wrong secret", 403, "InvalidSignatureException", { credentials: wrongSecret }],
    ["signed 20 minutes ago", 403, "InvalidSignatureException", { signingDate: new Date(Date.now() - 20 * 60_000) }],
    [
      "with a malformed Authorization",
      403,
      "IncompleteSignatureException",
      { unsigned: true, headers: { authorization: "AWS4-HMAC-SHA256 x" } },
    ],
    ["correctly signed, declaring a body over 1 MiB", 400, "InvalidRequestException", {}],
  ];
  test.each(cases)("%s: %i %s", async (_label, status, code, given) => {
    const wire = await Wire.open(local);
    wire.write(await head(local, { method: "PUT", path: "/job-templates/big", contentLength: large, bodyHash: sha256("x"), ...given }));
    const answer = await wire.answer();
    expect(answer.status).toBe(status);
    expect(answer.headers["x-amzn-errortype"]).toBe(code);
    wire.destroy();
  });

  test("the refused request's body, once sent, is discarded and the connection serves the next request", async () => {
    const wire = await Wire.open(local);
    const body = JSON.stringify({ description: "d", document: "{}" });
    wire.write(await head(local, { method: "PUT", path: "/job-templates/unsigned", contentLength: body.length, unsigned: true }));
    expect((await wire.answer()).status).toBe(403);
    wire.write(body);
    wire.write(await head(local, { method: "GET", path: "/job-templates/unsigned" }));
    const next = await wire.answer();
    expect(next.status).toBe(404); // served, and the refused creation did not happen
    expect(next.headers["x-amzn-errortype"]).toBe("ResourceNotFoundException");
    wire.destroy();
  });

  test("a declared body over 16 MiB is answered, then the connection is closed", async () => {
    const wire = await Wire.open(local);
    wire.write(await head(local, { method: "PUT", path: "/job-templates/huge", contentLength: 64 * MiB, unsigned: true }));
    expect((await wire.answer()).status).toBe(403);
    await wire.close();
  });

  test("Expect: 100-continue: a refused request gets its answer instead of 100 Continue, then the connection closes; an accepted one gets 100 Continue", async () => {
    const refused = await Wire.open(local);
    refused.write(
      await head(local, {
        method: "PUT",
        path: "/job-templates/c",
        contentLength: 2 * MiB,
        bodyHash: sha256("x"),
        headers: { expect: "100-continue" },
      }),
    );
    const answer = await refused.answer();
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("1048576 byte limit");
    expect(answer.headers.connection).toBe("close"); // the body never comes: the connection cannot carry another request
    await refused.close();

    const body = JSON.stringify({ description: "d", document: "{}" });
    const accepted = await Wire.open(local);
    accepted.write(
      await head(local, {
        method: "PUT",
        path: "/job-templates/continued",
        contentLength: body.length,
        bodyHash: sha256(body),
        headers: { expect: "100-continue", "content-type": "application/json" },
      }),
    );
    expect((await accepted.answer()).status).toBe(100);
    accepted.write(body);
    const created = await accepted.answer();
    expect(created.status).toBe(200);
    expect(JSON.parse(created.body).jobTemplateId).toBe("continued");
    accepted.destroy();
  });

  test("refusals are counted as rejected", async () => {
    local.resetStats();
    const wire = await Wire.open(local);
    wire.write(await head(local, { method: "PUT", path: "/job-templates/big", contentLength: large, unsigned: true }));
    await wire.answer();
    wire.destroy();
    expect(local.stats()).toMatchObject({ rejected: 1, requests: 0 });
  });
});

describe("requests Node refuses before the handler", () => {
  test("headers over 16 KB are a 431 and the connection is closed", async () => {
    const wire = await Wire.open(local);
    wire.write(`GET /job-templates HTTP/1.1\r\nhost: x\r\nx-padding: ${"p".repeat(20_000)}\r\n\r\n`);
    expect(await wire.close()).toMatch(/^HTTP\/1\.1 431 /);
  });
});

describe("stalled connections are closed", () => {
  let slow: LocalIoT;
  beforeAll(async () => {
    slow = await startLocalIoT({ headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 300 });
  });
  afterAll(() => slow.stop());

  test("a connection that sends nothing", async () => {
    const wire = await Wire.open(slow);
    await wire.close();
  });

  test("a request whose headers never end is answered 408", async () => {
    const wire = await Wire.open(slow);
    wire.write("GET /job-templates HTTP/1.1\r\nhost: x\r\n");
    expect(await wire.close()).toMatch(/^HTTP\/1\.1 408 /);
  });

  test("a body sent too slowly is answered 408, and nothing is created", async () => {
    const body = JSON.stringify({ description: "d", document: "{}" });
    slow.resetStats();
    const wire = await Wire.open(slow);
    wire.write(await head(slow, { method: "PUT", path: "/job-templates/slow", contentLength: body.length, bodyHash: sha256(body) }));
    wire.write(body.slice(0, 5));
    expect(await wire.close()).toMatch(/^HTTP\/1\.1 408 /);
    // Counted once, as a refusal; nothing reached the operation.
    await eventually(() => slow.stats().rejected > 0, "the refusal counted");
    expect(slow.stats()).toMatchObject({ rejected: 1, requests: 0, byOperation: {} });
  });

  test("an idle keep-alive connection, after its request", async () => {
    const wire = await Wire.open(slow);
    wire.write(await head(slow, { method: "GET", path: "/job-templates" }));
    expect((await wire.answer()).status).toBe(200);
    await wire.close();
  });
});

describe("connections beyond maxConnections are refused", () => {
  let capped: LocalIoT;
  beforeAll(async () => {
    capped = await startLocalIoT({ maxConnections: 2 });
  });
  afterAll(() => capped.stop());

  test("the third connection is closed without an answer; once one closes, new ones are served", async () => {
    const held = [await Wire.open(capped), await Wire.open(capped)];
    const third = await Wire.open(capped);
    third.write(await head(capped, { method: "GET", path: "/job-templates" }));
    expect(await third.close()).toBe("");
    expect(capped.stats().refusedConnections).toBe(1);
    // The held connections are served as usual.
    held[0].write(await head(capped, { method: "GET", path: "/job-templates" }));
    expect((await held[0].answer()).status).toBe(200);
    for (const wire of held) wire.destroy();
    await eventually(async () => {
      const out = await iotClient(capped, { maxAttempts: 1 })
        .send(new ListJobTemplatesCommand({}))
        .catch(() => undefined);
      return out?.$metadata.httpStatusCode === 200;
    }, "a connection once the held ones closed");
  });
});

describe("options", () => {
  test("limits must be positive whole numbers", async () => {
    await expect(startLocalIoT({ maxConnections: 0 })).rejects.toThrow(/maxConnections/);
    await expect(startLocalIoT({ headersTimeoutMs: -1 })).rejects.toThrow(/headersTimeoutMs/);
    await expect(startLocalIoT({ requestTimeoutMs: 100, headersTimeoutMs: 200 })).rejects.toThrow(/headersTimeoutMs/);
    await expect(startLocalIoT({ maxCallRecords: 1.5 })).rejects.toThrow(/maxCallRecords/);
  });
});
