/**
 * The endpoint under hostile or careless clients, over raw sockets: requests
 * refused on their headers before their body is sent, connections that stall,
 * and connections beyond the cap.
 */
import { ListJobTemplatesCommand } from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { eventually, iotClient } from "./helpers.ts";
import { head, sha256, Wire, type Head } from "./wire.ts";

const MiB = 1024 * 1024;

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
