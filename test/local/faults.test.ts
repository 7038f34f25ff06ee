import {
  CreateJobCommand,
  CreateJobTemplateCommand,
  DescribeJobCommand,
  DescribeJobTemplateCommand,
  DescribeManagedJobTemplateCommand,
  InternalFailureException,
  InternalServerException,
  ListJobTemplatesCommand,
  ListTagsForResourceCommand,
  ServiceUnavailableException,
  ThrottlingException,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";
import { Faults } from "../../src/local/protocol/faults.ts";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { DOC, createThings, expectError, iotClient, rawRequest } from "./helpers.ts";

let local: LocalIoT;
/** Retries generously, so recovery does not depend on luck in the SDK's jittered backoff. */
let patient: IoTClient;
/** Shows every raw answer. */
let raw: IoTClient;
beforeAll(async () => {
  local = await startLocalIoT();
  patient = iotClient(local, { maxAttempts: 10 });
  raw = iotClient(local, { maxAttempts: 1 });
  const { thingArns } = await createThings(raw, ["f-thing"]);
  await raw.send(new CreateJobTemplateCommand({ jobTemplateId: "f-tpl", description: "d", document: DOC }));
  await raw.send(new CreateJobCommand({ jobId: "f-job", targets: thingArns, document: DOC }));
});
afterAll(() => local.stop());
beforeEach(() => {
  local.setFaults({});
  local.resetStats();
});

describe("throttling", () => {
  test("throttle: { ListJobTemplates: n } answers ThrottlingException (400) beyond the burst; the SDK's retries recover", async () => {
    // A token every 2 s and a burst of 5: the sixth call is refused however slowly a loaded machine sends the first five.
    local.setFaults({ throttle: { ListJobTemplates: 0.5 }, burst: 5 });
    for (let i = 0; i < 5; i++) await raw.send(new ListJobTemplatesCommand({}));
    await expectError(raw.send(new ListJobTemplatesCommand({})), ThrottlingException, 400, "Rate exceeded");
    // Other operations have their own bucket (none here).
    await raw.send(new DescribeJobTemplateCommand({ jobTemplateId: "f-tpl" }));

    // A burst of 1 at 5 a second: of six calls sent at once, some are throttled and retried until they succeed.
    local.setFaults({ throttle: { ListJobTemplates: 5 }, burst: 1 });
    const results = await Promise.all(Array.from({ length: 6 }, () => patient.send(new ListJobTemplatesCommand({}))));
    expect(results.every((r) => r.jobTemplates!.length === 1)).toBe(true);
    expect(results.some((r) => r.$metadata.attempts! > 1)).toBe(true);
    const stats = local.stats();
    expect(stats.throttled).toBeGreaterThan(1);
    expect(stats.byOperation.ListJobTemplates.errors.ThrottlingException).toBe(stats.throttled);
    expect(stats.byOperation.ListJobTemplates.ok).toBe(11);
    expect(stats.byOperation.DescribeJobTemplate).toEqual({ count: 1, ok: 1, errors: {} });
  });

  test("a number throttles every operation; burst sets the bucket size", async () => {
    local.setFaults({ throttle: 1, burst: 2 });
    await raw.send(new DescribeJobCommand({ jobId: "f-job" }));
    await raw.send(new DescribeJobCommand({ jobId: "f-job" }));
    await expectError(raw.send(new DescribeJobCommand({ jobId: "f-job" })), ThrottlingException, 400);
    await raw.send(new DescribeJobTemplateCommand({ jobTemplateId: "f-tpl" }));
    expect(local.stats().throttled).toBe(1);
  });
});

describe("injected server errors", () => {
  test("errorRate 1 answers each operation family's modeled 5xx", async () => {
    local.setFaults({ errorRate: 1 });
    await expectError(raw.send(new DescribeJobTemplateCommand({ jobTemplateId: "f-tpl" })), InternalFailureException, 500);
    await expectError(
      raw.send(new ListTagsForResourceCommand({ resourceArn: "arn:aws:iot:us-east-1:123456789012:jobtemplate/f-tpl" })),
      InternalFailureException,
      500,
    );
    await expectError(raw.send(new DescribeManagedJobTemplateCommand({ templateName: "AWS-Reboot" })), InternalServerException, 500);
    await expectError(raw.send(new DescribeJobCommand({ jobId: "f-job" })), ServiceUnavailableException, 503);
    expect(local.stats().injectedErrors).toBe(4);
  });

  test("the SDK retries injected 500/503 errors and every call eventually succeeds", async () => {
    local.setFaults({ errorRate: 0.3, seed: 7 });
    const calls = [
      ...Array.from({ length: 8 }, () => () => patient.send(new DescribeJobTemplateCommand({ jobTemplateId: "f-tpl" }))),
      ...Array.from({ length: 8 }, () => () => patient.send(new DescribeManagedJobTemplateCommand({ templateName: "AWS-Reboot" }))),
      ...Array.from({ length: 8 }, () => () => patient.send(new DescribeJobCommand({ jobId: "f-job" }))),
    ];
    for (const call of calls) expect((await call()).$metadata.httpStatusCode).toBe(200);
    const stats = local.stats();
    expect(stats.injectedErrors).toBeGreaterThan(0);
    const errors = Object.values(stats.byOperation).flatMap((o) => Object.keys(o.errors));
    expect(new Set(errors)).toEqual(new Set(["InternalFailureException", "InternalServerException", "ServiceUnavailableException"]));
  });

  test("operations limits the faults to the listed operations", async () => {
    local.setFaults({ errorRate: 1, operations: ["DescribeJob"] });
    await raw.send(new DescribeJobTemplateCommand({ jobTemplateId: "f-tpl" }));
    await expectError(raw.send(new DescribeJobCommand({ jobId: "f-job" })), ServiceUnavailableException, 503);
  });
});

describe("dropped connections", () => {
  test("dropRate closes connections without an answer; the SDK retries and recovers", async () => {
    local.setFaults({ dropRate: 0.3, seed: 3 });
    for (let i = 0; i < 15; i++) {
      const out = await patient.send(new DescribeJobTemplateCommand({ jobTemplateId: "f-tpl" }));
      expect(out.jobTemplateId).toBe("f-tpl");
    }
    const stats = local.stats();
    expect(stats.droppedConnections).toBeGreaterThan(0);
    expect(stats.byOperation.DescribeJobTemplate.errors.dropped).toBe(stats.droppedConnections);
    expect(stats.calls.filter((c) => c.status === 0)).toHaveLength(stats.droppedConnections);
    expect(stats.byOperation.DescribeJobTemplate.ok).toBe(15);
  });

  test("a drop after the operation ran leaves its effect in place (the client cannot tell)", async () => {
    // Find a seed whose first drop is 'drop-after' (the generator is deterministic).
    let seed = 1;
    while (new Faults({ dropRate: 1, seed }).outcomeFor("CreateJobTemplate") !== "drop-after") seed++;
    local.setFaults({ dropRate: 1, seed, operations: ["CreateJobTemplate"] });
    const error = await raw.send(new CreateJobTemplateCommand({ jobTemplateId: "maybe", description: "d", document: DOC })).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error.$metadata?.httpStatusCode).toBeUndefined();
    const d = await raw.send(new DescribeJobTemplateCommand({ jobTemplateId: "maybe" }));
    expect(d.jobTemplateId).toBe("maybe");
  });
});

describe("latency and determinism", () => {
  test("latencyMs holds the listed operations' answers back for that long (on a fake clock)", async () => {
    // Only setTimeout is faked: the endpoint runs in this process, so its delay waits for the fake clock,
    // and the test observes it without measuring wall-clock time.
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
    };
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    try {
      local.setFaults({ latencyMs: 120, operations: ["ListJobTemplates"] });
      let answered = false;
      const pending = raw.send(new ListJobTemplatesCommand({})).then((out) => {
        answered = true;
        return out;
      });
      while (local.stats().requests === 0) await turns(1); // arrived, and waiting on its delay
      await turns(20);
      expect(answered).toBe(false);
      vi.advanceTimersByTime(119);
      await turns(20);
      expect(answered).toBe(false);
      vi.advanceTimersByTime(1);
      expect((await pending).$metadata.httpStatusCode).toBe(200);

      // Operations not listed are not delayed: answered without the clock moving.
      const other = await raw.send(new DescribeJobCommand({ jobId: "f-job" }));
      expect(other.$metadata.httpStatusCode).toBe(200);
    } finally {
      vi.useRealTimers();
    }
    // A [min, max] range draws each delay from the seeded generator, within the range.
    const faults = new Faults({ latencyMs: [60, 80], seed: 5 });
    const delays = Array.from({ length: 50 }, () => faults.latencyFor("DescribeJob"));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(60);
    expect(Math.max(...delays)).toBeLessThanOrEqual(80);
    expect(new Set(delays).size).toBeGreaterThan(1);
    expect(new Faults({ latencyMs: [60, 80], seed: 5 }).latencyFor("DescribeJob")).toBe(delays[0]);
  });

  test("the same seed gives the same sequence of outcomes; another seed another one", async () => {
    const run = async (seed: number) => {
      local.setFaults({ errorRate: 0.4, dropRate: 0.2, seed });
      local.resetStats();
      for (let i = 0; i < 25; i++) {
        await raw.send(new DescribeJobCommand({ jobId: "f-job" })).catch(() => undefined);
      }
      return local.stats().calls.map((c) => c.status);
    };
    const first = await run(42);
    const second = await run(42);
    const other = await run(43);
    expect(first).toEqual(second);
    expect(new Set(first)).toEqual(new Set([200, 503, 0]));
    expect(other).not.toEqual(first);
  });

  test("faults can be set at start-up and through the signed admin route; bad rates are refused", async () => {
    const started = await startLocalIoT({ faults: { errorRate: 1 } });
    try {
      await expectError(iotClient(started, { maxAttempts: 1 }).send(new ListJobTemplatesCommand({})), InternalFailureException, 500);
      const res = await rawRequest(started, {
        method: "POST",
        path: "/_local/faults",
        body: JSON.stringify({ throttle: { ListJobTemplates: 1 }, burst: 1 }),
      });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ throttle: { ListJobTemplates: 1 }, burst: 1 });
      const client = iotClient(started, { maxAttempts: 1 });
      await client.send(new ListJobTemplatesCommand({}));
      await expectError(client.send(new ListJobTemplatesCommand({})), ThrottlingException, 400);
    } finally {
      await started.stop();
    }
    expect(() => local.setFaults({ errorRate: 2 })).toThrow(/errorRate/);
    expect(() => local.setFaults({ dropRate: -0.1 })).toThrow(/dropRate/);
  });
});
