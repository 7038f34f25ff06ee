/**
 * The endpoint's fast path (src/local/protocol/fast-path.ts): the SDK's
 * requests are served by it, and a request of another kind hands its
 * connection to node:http, which answers it and the ones after it.
 */
import { CreateJobTemplateCommand, DescribeJobTemplateCommand, ListJobTemplatesCommand } from "@aws-sdk/client-iot";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { eventually, iotClient } from "./helpers.ts";
import { head, sha256, Wire } from "./wire.ts";

let local: LocalIoT;
beforeAll(async () => {
  local = await startLocalIoT({ idleTimeoutMs: 7_000 });
  await iotClient(local).send(new CreateJobTemplateCommand({ jobTemplateId: "seeded", description: "seeded", document: "{}" }));
});
afterAll(() => local.stop());
beforeEach(() => local.resetStats());

const handedOver = () => local.stats().handedOverConnections;

describe("the SDK's requests", () => {
  test("four clients at once, bodies from 0 to 30 KB: every request served by the fast path, every answer right", async () => {
    const client = iotClient(local);
    const sizes = [0, 1_000, 8_000, 16_000, 30_000];
    await Promise.all(
      [0, 1, 2, 3].map(async (w) => {
        for (const size of sizes) {
          const document = JSON.stringify({ pad: "é".repeat(size / 2) });
          await client.send(new CreateJobTemplateCommand({ jobTemplateId: `sdk-${w}-${size}`, description: `${w} ${size}`, document }));
          const described = await client.send(new DescribeJobTemplateCommand({ jobTemplateId: `sdk-${w}-${size}` }));
          expect(described.document).toBe(document);
          expect(described.description).toBe(`${w} ${size}`);
        }
      }),
    );
    const listed = await client.send(new ListJobTemplatesCommand({ maxResults: 100 }));
    expect(listed.jobTemplates?.filter((t) => t.jobTemplateId?.startsWith("sdk-")).length).toBe(20);
    expect(local.stats().requests).toBe(41);
    expect(handedOver()).toBe(0);
  });
});

describe("on a raw connection", () => {
  const get = (path: string, headers?: Record<string, string>) => head(local, { method: "GET", path, headers });

  test("two requests written at once are answered in order, each with its length and the keep-alive headers", async () => {
    const wire = await Wire.open(local);
    wire.write((await get("/job-templates/seeded")) + (await get("/job-templates/missing")));
    const first = await wire.answer();
    const second = await wire.answer();
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body).jobTemplateId).toBe("seeded");
    expect(Number(first.headers["content-length"])).toBe(Buffer.byteLength(first.body));
    expect(first.headers).toMatchObject({ connection: "keep-alive", "keep-alive": "timeout=7", "content-type": "application/json" });
    expect(first.headers["x-amzn-requestid"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.status).toBe(404);
    expect(second.headers["x-amzn-errortype"]).toBe("ResourceNotFoundException");
    expect(handedOver()).toBe(0);
    wire.destroy();
  });

  test("500 requests written at once (more than one read brings) are all answered in order, across the hand-over to node:http", async () => {
    const one = await get("/job-templates/seeded");
    const missing = await get("/job-templates/missing");
    const wire = await Wire.open(local);
    wire.write(Array.from({ length: 500 }, (_, i) => (i % 5 === 4 ? missing : one)).join(""));
    const statuses: number[] = [];
    for (let i = 0; i < 500; i++) statuses.push((await wire.answer()).status);
    expect(statuses).toEqual(Array.from({ length: 500 }, (_, i) => (i % 5 === 4 ? 404 : 200)));
    // The request a read cut in two goes to node:http, after the answers the fast path made.
    expect(handedOver()).toBeLessThanOrEqual(1);
    wire.destroy();
  });

  test("a body that arrives after its head: the connection goes to node:http, which answers it and the requests after it", async () => {
    const body = JSON.stringify({ description: "late body", document: "{}" });
    const wire = await Wire.open(local);
    wire.write(
      await head(local, { method: "PUT", path: "/job-templates/late", contentLength: Buffer.byteLength(body), bodyHash: sha256(body) }),
    );
    await eventually(() => handedOver() === 1, "the connection handed over on its head alone");
    wire.write(body);
    expect((await wire.answer()).status).toBe(200);
    wire.write(await get("/job-templates/late"));
    const described = await wire.answer();
    expect(JSON.parse(described.body).description).toBe("late body");
    expect(handedOver()).toBe(1);
    wire.destroy();
  });

  test("a request asking to close the connection is node:http's: answered, then the connection is closed", async () => {
    const wire = await Wire.open(local);
    wire.write(await get("/job-templates/seeded", { connection: "close" }));
    expect(await wire.close()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\nConnection: close\r\n/i);
    expect(handedOver()).toBe(1);
  });

  test("a client that ends its side after a request gets the answer, then the connection ends", async () => {
    const wire = await Wire.open(local);
    wire.write(await get("/job-templates/seeded"));
    wire.socket.end();
    const text = await wire.close();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('"jobTemplateId":"seeded"');
    expect(handedOver()).toBe(0);
  });

  test("a head with a bare line feed is node:http's, which refuses it with a 400", async () => {
    const wire = await Wire.open(local);
    wire.write((await get("/job-templates/seeded")).replace("\r\nhost:", "\nhost:"));
    expect(await wire.close()).toMatch(/^HTTP\/1\.1 400 /);
    expect(handedOver()).toBe(1);
  });

  test("requests that arrive while one is still being served wait their turn, and are answered in order", async () => {
    // The list is answered 100 ms late: the requests after it arrive while it is served.
    local.setFaults({ latencyMs: 100, operations: ["ListJobTemplates"] });
    try {
      const wire = await Wire.open(local);
      wire.write(await get("/job-templates"));
      wire.write(await get("/job-templates/seeded"));
      wire.write(await get("/job-templates/missing"));
      const answers = [await wire.answer(), await wire.answer(), await wire.answer()];
      expect(answers.map((a) => a.status)).toEqual([200, 200, 404]);
      expect(JSON.parse(answers[0].body).jobTemplates.length).toBeGreaterThan(0);
      expect(local.stats().calls.map((c) => c.operation)).toEqual(["ListJobTemplates", "DescribeJobTemplate", "DescribeJobTemplate"]);
      expect(handedOver()).toBe(0);
      wire.destroy();
    } finally {
      local.setFaults({});
    }
  });
});
