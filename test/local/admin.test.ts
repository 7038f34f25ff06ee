/** The in-process API and the admin HTTP routes that mirror it (all under /_local/, all SigV4-signed). */
import {
  CreateJobCommand,
  CreateJobTemplateCommand,
  DescribeJobCommand,
  GetJobDocumentCommand,
  ListJobTemplatesCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OPERATIONS, isReadOnly, startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { SERVED_OPERATIONS } from "../../src/api/model/served.ts";
import { DOC, createThings, expectError, iotClient, rawRequest } from "./helpers.ts";

let local: LocalIoT;
beforeAll(async () => {
  local = await startLocalIoT();
});
afterAll(() => local.stop());

describe("stats()", () => {
  test("counts requests, mutating requests, per-operation outcomes and every call in order", async () => {
    const iot = iotClient(local, { maxAttempts: 1 });
    local.resetStats();
    await iot.send(new CreateJobTemplateCommand({ jobTemplateId: "s1", description: "d", document: DOC }));
    await iot.send(new ListJobTemplatesCommand({}));
    await iot.send(new CreateJobTemplateCommand({ jobTemplateId: "s1", description: "d", document: DOC })).catch(() => undefined);
    const stats = local.stats();
    expect(stats).toMatchObject({
      requests: 3,
      mutatingRequests: 2,
      throttled: 0,
      injectedErrors: 0,
      droppedConnections: 0,
      rejected: 0,
      peakDeletionsInProgress: 0,
    });
    expect(stats.byOperation).toEqual({
      CreateJobTemplate: { count: 2, ok: 1, errors: { ConflictException: 1 } },
      ListJobTemplates: { count: 1, ok: 1, errors: {} },
    });
    expect(stats.calls).toEqual([
      { operation: "CreateJobTemplate", status: 200, resource: "s1" },
      { operation: "ListJobTemplates", status: 200 },
      { operation: "CreateJobTemplate", status: 409, error: "ConflictException", resource: "s1" },
    ]);
    // A snapshot: changing it changes nothing.
    stats.calls.length = 0;
    expect(local.stats().calls).toHaveLength(3);
  });

  test("GET /_local/stats returns the same figures; /_local/stats/reset clears them", async () => {
    const res = await rawRequest(local, { method: "GET", path: "/_local/stats" });
    expect(res.status).toBe(200);
    expect(res.json.requests).toBe(local.stats().requests);
    const reset = await rawRequest(local, { method: "POST", path: "/_local/stats/reset", body: "{}" });
    expect(reset.json).toMatchObject({ requests: 0, calls: [] });
    expect(local.stats().requests).toBe(0);
  });
});

describe("stats() stays bounded", () => {
  test("calls keeps only the most recent maxCallRecords; the counters keep the totals", async () => {
    const small = await startLocalIoT({ maxCallRecords: 3 });
    try {
      const iot = iotClient(small, { maxAttempts: 1 });
      for (let i = 1; i <= 5; i++) {
        await iot.send(new CreateJobTemplateCommand({ jobTemplateId: `r${i}`, description: "d", document: DOC }));
      }
      await iot.send(new ListJobTemplatesCommand({}));
      await iot.send(new CreateJobTemplateCommand({ jobTemplateId: "r1", description: "d", document: DOC })).catch(() => undefined);
      const stats = small.stats();
      expect(stats.requests).toBe(7);
      expect(stats.byOperation).toEqual({
        CreateJobTemplate: { count: 6, ok: 5, errors: { ConflictException: 1 } },
        ListJobTemplates: { count: 1, ok: 1, errors: {} },
      });
      expect(stats.calls).toEqual([
        { operation: "CreateJobTemplate", status: 200, resource: "r5" },
        { operation: "ListJobTemplates", status: 200 },
        { operation: "CreateJobTemplate", status: 409, error: "ConflictException", resource: "r1" },
      ]);
      expect(stats.callsOmitted).toBe(4);
      // The same over HTTP.
      const res = await rawRequest(small, { method: "GET", path: "/_local/stats" });
      expect(res.json.calls).toEqual(stats.calls);
      expect(res.json.callsOmitted).toBe(4);

      // After a reset, the ring starts empty and fills again in order.
      small.resetStats();
      expect(small.stats()).toMatchObject({ requests: 0, calls: [], callsOmitted: 0 });
      await iot.send(new ListJobTemplatesCommand({}));
      expect(small.stats().calls).toEqual([{ operation: "ListJobTemplates", status: 200 }]);
    } finally {
      await small.stop();
    }
  });

  test("maxCallRecords: 0 records no call, and counts every one", async () => {
    const none = await startLocalIoT({ maxCallRecords: 0 });
    try {
      await iotClient(none).send(new ListJobTemplatesCommand({}));
      expect(none.stats()).toMatchObject({ requests: 1, calls: [], callsOmitted: 1 });
    } finally {
      await none.stop();
    }
  });
});

describe("clock and S3 admin routes", () => {
  test("POST /_local/clock advances the clock like advanceTime()", async () => {
    const iot = iotClient(local);
    const { thingArns } = await createThings(iot, ["clock-thing"]);
    const startTime = new Date(Date.now() + local.world.clockOffsetMs + 2 * 3_600_000).toISOString().slice(0, 16);
    await iot.send(new CreateJobCommand({ jobId: "clock", targets: thingArns, document: DOC, schedulingConfig: { startTime } }));
    expect((await iot.send(new DescribeJobCommand({ jobId: "clock" }))).job!.status).toBe("SCHEDULED");
    const before = local.world.clockOffsetMs;
    const res = await rawRequest(local, { method: "POST", path: "/_local/clock", body: JSON.stringify({ advanceMs: 3 * 3_600_000 }) });
    expect(res.status).toBe(200);
    expect(res.json.offsetMs).toBe(before + 3 * 3_600_000);
    expect((await iot.send(new DescribeJobCommand({ jobId: "clock" }))).job!.status).toBe("IN_PROGRESS");
    expect(() => local.advanceTime(-1)).toThrow(/non-negative/);
  });

  test("POST /_local/s3 registers a documentSource object like putS3Object()", async () => {
    const iot = iotClient(local);
    const { thingArns } = await createThings(iot, ["s3-thing"]);
    const url = "https://s3.amazonaws.com/admin-bucket/doc.json";
    const res = await rawRequest(local, { method: "POST", path: "/_local/s3", body: JSON.stringify({ url, body: '{"via":"admin"}' }) });
    expect(res.status).toBe(200);
    await iot.send(new CreateJobCommand({ jobId: "via-admin", targets: thingArns, documentSource: url }));
    expect((await iot.send(new GetJobDocumentCommand({ jobId: "via-admin" }))).document).toBe('{"via":"admin"}');
  });

  test("GET only reads: it never changes faults, the clock or an execution", async () => {
    local.setFaults({ latencyMs: 1, operations: ["DescribeJob"] });
    const read = await rawRequest(local, { method: "GET", path: "/_local/faults" });
    expect(read.status).toBe(200);
    expect(read.json).toEqual({ latencyMs: 1, operations: ["DescribeJob"] });
    expect((await rawRequest(local, { method: "GET", path: "/_local/faults" })).json).toEqual(read.json);
    local.setFaults({});
    const offset = local.world.clockOffsetMs;
    expect((await rawRequest(local, { method: "GET", path: "/_local/clock" })).json).toEqual({ offsetMs: offset });
    expect(local.world.clockOffsetMs).toBe(offset);
    const device = await rawRequest(local, { method: "GET", path: "/_local/devices/s3-thing/jobs/via-admin" });
    expect(device.status).toBe(404);
    const stats = local.stats().requests;
    expect((await rawRequest(local, { method: "GET", path: "/_local/stats/reset" })).status).toBe(404);
    expect(local.stats().requests).toBe(stats);
  });

  test("bad admin requests are a 400 naming the problem, not a 500", async () => {
    const rate = await rawRequest(local, { method: "POST", path: "/_local/faults", body: JSON.stringify({ errorRate: 3 }) });
    expect(rate.status).toBe(400);
    expect(rate.json.message).toContain("errorRate");
    const clock = await rawRequest(local, { method: "POST", path: "/_local/clock", body: JSON.stringify({ advanceMs: -5 }) });
    expect(clock.status).toBe(400);
    expect(clock.json.message).toContain("non-negative");
    const s3 = await rawRequest(local, {
      method: "POST",
      path: "/_local/s3",
      body: JSON.stringify({ url: "https://s3.amazonaws.com/b/k" }),
    });
    expect(s3.status).toBe(400);
    expect(s3.json.message).toContain('"body"');
    const encoding = await rawRequest(local, { method: "POST", path: "/_local/devices/%E0%A4%A/jobs/x", body: "{}" });
    expect(encoding.status).toBe(400);
  });

  test("an unknown admin route is a 404", async () => {
    const res = await rawRequest(local, { method: "POST", path: "/_local/nothing", body: "{}" });
    expect(res.status).toBe(404);
    expect(res.json.message).toContain("/_local/nothing");
    await expectError(iotClient(local).send(new DescribeJobCommand({ jobId: "none" })), ResourceNotFoundException, 404);
  });
});

describe("exports", () => {
  test("OPERATIONS lists every served operation once; isReadOnly tells the reads (Describe, Get, List) from the writes", () => {
    // Read from the served list, so a new kind's operations need no edit here.
    expect([...OPERATIONS].sort()).toEqual([...SERVED_OPERATIONS].sort());
    expect(new Set(OPERATIONS).size).toBe(SERVED_OPERATIONS.length);
    expect(OPERATIONS.length).toBeGreaterThan(30);
    const reads = SERVED_OPERATIONS.filter((name) => /^(Describe|Get|List)[A-Z]/.test(name));
    expect(OPERATIONS.filter(isReadOnly).sort()).toEqual([...reads].sort());
    expect(OPERATIONS.filter((name) => !isReadOnly(name))).toContain("CreateJob");
  });
});
