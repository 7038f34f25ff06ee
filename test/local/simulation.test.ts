/**
 * The fleet simulation on the virtual clock: rollout rates, timeouts,
 * retries, abort criteria, offline devices and determinism, each checked on
 * figures worked out by hand from the rules (docs/local-endpoint.md, "Fleet
 * simulation"), through the real SDK.
 */
import {
  CancelJobCommand,
  CreateJobCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  ListJobExecutionsForJobCommand,
  ListJobExecutionsForThingCommand,
  ResourceNotFoundException,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { afterEach, describe, expect, test } from "vitest";
import { DEFAULT_BEHAVIOUR, startLocalIoT, type DeviceBehaviour, type ExecutionEvent, type LocalIoT } from "../../src/local/index.ts";
import { DOC, expectError, iotClient } from "./helpers.ts";

const MINUTE = 60_000;
/** Monday 2030-01-07 00:00 UTC: the virtual clock's origin, a whole minute. */
const T0 = Date.UTC(2030, 0, 7, 0, 0);

interface Sim {
  local: LocalIoT;
  iot: IoTClient;
  events: ExecutionEvent[];
  groupArn: (name: string) => string;
}

const opened: LocalIoT[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.stop()));
});

async function simulation(): Promise<Sim> {
  const events: ExecutionEvent[] = [];
  const local = await startLocalIoT({ virtualClock: T0, onExecution: (e) => events.push(e) });
  opened.push(local);
  return { local, iot: iotClient(local), events, groupArn: (name) => `arn:aws:iot:${local.region}:${local.accountId}:thinggroup/${name}` };
}

/** Whole minutes since T0. */
const minuteOf = (e: ExecutionEvent) => (e.atMs - T0) / MINUTE;

/** How many events with `status` happened at each minute, as [minute, count] pairs in order. */
function perMinute(events: ExecutionEvent[], status: ExecutionEvent["status"]): Array<[number, number]> {
  const counts = new Map<number, number>();
  for (const e of events) if (e.status === status) counts.set(minuteOf(e), (counts.get(minuteOf(e)) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0] - b[0]);
}

const describeJob = async (sim: Sim, jobId: string) => (await sim.iot.send(new DescribeJobCommand({ jobId }))).job!;

describe("rollout rate", () => {
  test("1,000 devices at maximumPerMinute 100: 100 notified a minute, all SUCCEEDED, COMPLETED at minute 10", async () => {
    const sim = await simulation();
    const names = await sim.local.addSimulatedDevices({ thingGroupName: "fleet", count: 1000, namePrefix: "sim-" });
    expect(names.slice(0, 2)).toEqual(["sim-00001", "sim-00002"]);
    expect(names[999]).toBe("sim-01000");
    await sim.iot.send(
      new CreateJobCommand({
        jobId: "rate",
        targets: [sim.groupArn("fleet")],
        document: DOC,
        jobExecutionsRolloutConfig: { maximumPerMinute: 100 },
      }),
    );
    // Minute 0 (CreateJob): sim-00001..sim-00100 notified, and picked up at once by the (online) devices.
    expect((await describeJob(sim, "rate")).jobProcessDetails).toMatchObject({ numberOfInProgressThings: 100, numberOfQueuedThings: 0 });
    // Minute m (1..9): batch m finishes (runMinutes 1) and batch m + 1 is notified. Minute 10: batch 10 finishes.
    sim.local.advanceTime(9 * MINUTE);
    const at9 = await describeJob(sim, "rate");
    expect(at9.status).toBe("IN_PROGRESS");
    expect(at9.jobProcessDetails).toMatchObject({ numberOfSucceededThings: 900, numberOfInProgressThings: 100 });
    sim.local.advanceTime(MINUTE);
    const done = await describeJob(sim, "rate");
    expect(done.status).toBe("COMPLETED");
    expect(done.completedAt!.getTime()).toBe(T0 + 10 * MINUTE);
    expect(done.jobProcessDetails).toMatchObject({ numberOfSucceededThings: 1000, numberOfInProgressThings: 0, numberOfQueuedThings: 0 });

    const notified = perMinute(sim.events, "QUEUED");
    expect(notified).toEqual(Array.from({ length: 10 }, (_, m) => [m, 100]));
    expect(perMinute(sim.events, "SUCCEEDED")).toEqual(Array.from({ length: 10 }, (_, m) => [m + 1, 100]));
    // In thing name order: minute 0 is sim-00001..sim-00100.
    const first = sim.events.filter((e) => e.status === "QUEUED" && minuteOf(e) === 0).map((e) => e.thingName);
    expect(first).toEqual(names.slice(0, 100));
    // Each device: QUEUED, IN_PROGRESS (same minute), SUCCEEDED (one minute later); 3,000 events in all.
    expect(sim.events).toHaveLength(3000);
    expect(sim.events.filter((e) => e.thingName === "sim-00150").map((e) => [e.status, minuteOf(e)])).toEqual([
      ["QUEUED", 1],
      ["IN_PROGRESS", 1],
      ["SUCCEEDED", 2],
    ]);
  });

  test("exponentialRate base 10, factor 2, every 10 notified, capped at 100, over 200 devices: 10, 20, 40, 80, 50", async () => {
    // Rule: the rate starts at baseRatePerMinute; each time numberOfNotifiedThings (10) things have been
    // notified since the last increase, it is multiplied by incrementFactor (2), up to maximumPerMinute (100).
    //   minute 0: rate 10 -> 10 notified (10 since the last increase >= 10: rate becomes 20)
    //   minute 1: rate 20 -> 20 notified (20 >= 10: rate 40)
    //   minute 2: rate 40 -> 40 notified (rate 80)
    //   minute 3: rate 80 -> 80 notified (rate 160, capped at 100)
    //   minute 4: rate 100, but only 200 - 150 = 50 things remain -> 50 notified.
    const sim = await simulation();
    await sim.local.addSimulatedDevices({ thingGroupName: "fleet", count: 200, namePrefix: "exp-" });
    await sim.iot.send(
      new CreateJobCommand({
        jobId: "exponential",
        targets: [sim.groupArn("fleet")],
        document: DOC,
        jobExecutionsRolloutConfig: {
          maximumPerMinute: 100,
          exponentialRate: { baseRatePerMinute: 10, incrementFactor: 2, rateIncreaseCriteria: { numberOfNotifiedThings: 10 } },
        },
      }),
    );
    sim.local.advanceTime(10 * MINUTE);
    expect(perMinute(sim.events, "QUEUED")).toEqual([
      [0, 10],
      [1, 20],
      [2, 40],
      [3, 80],
      [4, 50],
    ]);
    const job = await describeJob(sim, "exponential");
    expect(job.status).toBe("COMPLETED");
    expect(job.completedAt!.getTime()).toBe(T0 + 5 * MINUTE);
  });

  test("a job with up to 1000 targets and no rollout configuration notifies every target at CreateJob", async () => {
    const sim = await simulation();
    await sim.local.addSimulatedDevices({ thingGroupName: "fleet", count: 1000, namePrefix: "all-" });
    await sim.iot.send(new CreateJobCommand({ jobId: "at-once", targets: [sim.groupArn("fleet")], document: DOC }));
    expect(perMinute(sim.events, "QUEUED")).toEqual([[0, 1000]]);
  });

  test("CancelJob mid-rollout: things not yet notified never get an execution", async () => {
    const sim = await simulation();
    await sim.local.addSimulatedDevices({ thingGroupName: "fleet", count: 50, namePrefix: "cx-", behaviour: { runMinutes: 10 } });
    await sim.iot.send(
      new CreateJobCommand({
        jobId: "cx",
        targets: [sim.groupArn("fleet")],
        document: DOC,
        jobExecutionsRolloutConfig: { maximumPerMinute: 10 },
      }),
    );
    sim.local.advanceTime(2 * MINUTE); // minutes 0, 1, 2: 30 notified, all IN_PROGRESS (runMinutes 10)
    await sim.iot.send(new CancelJobCommand({ jobId: "cx" }));
    sim.local.advanceTime(60 * MINUTE);
    const job = await describeJob(sim, "cx");
    expect(job.status).toBe("CANCELED");
    // A cancel without force leaves IN_PROGRESS executions to finish.
    expect(job.jobProcessDetails).toMatchObject({ numberOfSucceededThings: 30, numberOfCanceledThings: 0 });
    expect(perMinute(sim.events, "QUEUED")).toEqual([
      [0, 10],
      [1, 10],
      [2, 10],
    ]);
    await expectError(
      sim.iot.send(new DescribeJobExecutionCommand({ thingName: "cx-00031", jobId: "cx" })),
      ResourceNotFoundException,
      404,
    );
  });
});

describe("timeouts and retries", () => {
  test("hanging devices, 5-minute timeout, 2 retries on TIMED_OUT: executions 1..3, all TIMED_OUT, COMPLETED at minute 15", async () => {
    // Each attempt hangs, so only the timer ends it: attempt 1 runs minutes 0-5, its retry (QUEUED and picked
    // up at once) 5-10, the second retry 10-15. A third failure exceeds numberOfRetries (2): no more attempts.
    const sim = await simulation();
    const names = await sim.local.addSimulatedDevices({
      thingGroupName: "fleet",
      count: 20,
      namePrefix: "hang-",
      behaviour: { hangRate: 1 },
    });
    await sim.iot.send(
      new CreateJobCommand({
        jobId: "hang",
        targets: [sim.groupArn("fleet")],
        document: DOC,
        timeoutConfig: { inProgressTimeoutInMinutes: 5 },
        jobExecutionsRetryConfig: { criteriaList: [{ failureType: "TIMED_OUT", numberOfRetries: 2 }] },
      }),
    );
    sim.local.advanceTime(14 * MINUTE);
    expect((await describeJob(sim, "hang")).status).toBe("IN_PROGRESS");
    const running = await sim.iot.send(new DescribeJobExecutionCommand({ thingName: "hang-00001", jobId: "hang" }));
    expect(running.execution).toMatchObject({ executionNumber: 3, status: "IN_PROGRESS", approximateSecondsBeforeTimedOut: 60 });
    sim.local.advanceTime(MINUTE);
    const job = await describeJob(sim, "hang");
    expect(job.status).toBe("COMPLETED");
    expect(job.completedAt!.getTime()).toBe(T0 + 15 * MINUTE);
    expect(job.jobProcessDetails).toMatchObject({ numberOfTimedOutThings: 20, numberOfInProgressThings: 0, numberOfQueuedThings: 0 });

    for (const thingName of names) {
      const timedOut = sim.events.filter((e) => e.thingName === thingName && e.status === "TIMED_OUT");
      expect(timedOut.map((e) => [e.executionNumber, e.retryAttempt, minuteOf(e)])).toEqual([
        [1, 0, 5],
        [2, 1, 10],
        [3, 2, 15],
      ]);
    }
    const { executionSummaries } = await sim.iot.send(new ListJobExecutionsForThingCommand({ thingName: "hang-00007" }));
    expect(executionSummaries!.map((s) => s.jobExecutionSummary)).toMatchObject([
      { executionNumber: 3, retryAttempt: 2, status: "TIMED_OUT" },
    ]);
    for (const executionNumber of [1, 2, 3]) {
      const { execution } = await sim.iot.send(
        new DescribeJobExecutionCommand({ thingName: "hang-00007", jobId: "hang", executionNumber }),
      );
      expect(execution).toMatchObject({ executionNumber, status: "TIMED_OUT" });
    }
  });

  test("a retry may succeed: failures are drawn per attempt; REJECTED is never retried", async () => {
    const sim = await simulation();
    await sim.local.addSimulatedDevices({
      thingGroupName: "fleet",
      count: 200,
      namePrefix: "flaky-",
      behaviour: { failRate: 0.5, rejectRate: 0.1 },
      seed: 3,
    });
    await sim.iot.send(
      new CreateJobCommand({
        jobId: "flaky",
        targets: [sim.groupArn("fleet")],
        document: DOC,
        jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 3 }] },
      }),
    );
    sim.local.advanceTime(10 * MINUTE);
    const job = await describeJob(sim, "flaky");
    expect(job.status).toBe("COMPLETED");
    const byThing = new Map<string, ExecutionEvent[]>();
    for (const e of sim.events)
      if (e.status !== "QUEUED" && e.status !== "IN_PROGRESS") byThing.set(e.thingName, [...(byThing.get(e.thingName) ?? []), e]);
    let retriedThenSucceeded = 0;
    for (const outcomes of byThing.values()) {
      // Every attempt but the last FAILED; the last is whatever ended it (at most 1 + 3 attempts).
      expect(outcomes.length).toBeLessThanOrEqual(4);
      expect(outcomes.slice(0, -1).every((e) => e.status === "FAILED")).toBe(true);
      const last = outcomes[outcomes.length - 1];
      if (last.status === "FAILED") expect(outcomes).toHaveLength(4);
      if (last.status === "SUCCEEDED" && outcomes.length > 1) retriedThenSucceeded++;
      expect(outcomes.map((e) => e.retryAttempt)).toEqual(outcomes.map((_, i) => i));
    }
    expect(retriedThenSucceeded).toBeGreaterThan(0);
    const d = job.jobProcessDetails!;
    expect(d.numberOfSucceededThings! + d.numberOfFailedThings! + d.numberOfRejectedThings!).toBe(200);
  });

  test("a test acting as the device: an IN_PROGRESS execution times out on the virtual clock", async () => {
    const sim = await simulation();
    const names = await sim.local.addSimulatedDevices({ count: 1, namePrefix: "manual-", behaviour: { offlineRate: 1 } });
    const thingArn = `arn:aws:iot:${sim.local.region}:${sim.local.accountId}:thing/${names[0]}`;
    await sim.iot.send(
      new CreateJobCommand({ jobId: "manual", targets: [thingArn], document: DOC, timeoutConfig: { inProgressTimeoutInMinutes: 3 } }),
    );
    sim.local.advanceTime(30_000);
    await sim.local.updateJobExecution({ thingName: names[0], jobId: "manual", status: "IN_PROGRESS" });
    sim.local.advanceTime(3 * MINUTE - 1);
    expect((await sim.iot.send(new DescribeJobExecutionCommand({ thingName: names[0], jobId: "manual" }))).execution!.status).toBe(
      "IN_PROGRESS",
    );
    sim.local.advanceTime(1);
    expect((await sim.iot.send(new DescribeJobExecutionCommand({ thingName: names[0], jobId: "manual" }))).execution!.status).toBe(
      "TIMED_OUT",
    );
    expect(sim.events.map((e) => [e.status, e.atMs - T0])).toEqual([
      ["QUEUED", 0],
      ["IN_PROGRESS", 30_000],
      ["TIMED_OUT", 30_000 + 3 * MINUTE],
    ]);
    expect((await describeJob(sim, "manual")).status).toBe("COMPLETED");
  });
});

describe("abort criteria", () => {
  test("FAILED above 20% of at least 10 executed things cancels the job; things never notified have no execution", async () => {
    // failRate 0.3, seed 2: of the first 10 things notified (ab-00001..00010, minute 0), 3 draw FAILED
    // (ab-00003, ab-00005, ab-00008, as the events show). They all report at minute 1; the criterion is
    // checked at every report and first applies at the 10th (minNumberOfExecutedThings 10): 3/10 = 30% >= 20%,
    // so the job is canceled before minute 1's notifications: 90 things never get an execution.
    const sim = await simulation();
    await sim.local.addSimulatedDevices({ thingGroupName: "fleet", count: 100, namePrefix: "ab-", behaviour: { failRate: 0.3 }, seed: 2 });
    await sim.iot.send(
      new CreateJobCommand({
        jobId: "abort",
        targets: [sim.groupArn("fleet")],
        document: DOC,
        jobExecutionsRolloutConfig: { maximumPerMinute: 10 },
        abortConfig: {
          criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 20, minNumberOfExecutedThings: 10 }],
        },
      }),
    );
    sim.local.advanceTime(30 * MINUTE);
    const job = await describeJob(sim, "abort");
    expect(job).toMatchObject({ status: "CANCELED", reasonCode: "FAILED_THRESHOLD_EXCEEDED", forceCanceled: false });
    expect(job.completedAt!.getTime()).toBe(T0 + MINUTE);
    expect(job.jobProcessDetails).toMatchObject({ numberOfFailedThings: 3, numberOfSucceededThings: 7, numberOfQueuedThings: 0 });
    expect(sim.events.filter((e) => e.status === "FAILED").map((e) => e.thingName)).toEqual(["ab-00003", "ab-00005", "ab-00008"]);
    expect(perMinute(sim.events, "QUEUED")).toEqual([[0, 10]]);
    const listed = await sim.iot.send(new ListJobExecutionsForJobCommand({ jobId: "abort" }));
    expect(listed.executionSummaries).toHaveLength(10);
    await expectError(
      sim.iot.send(new DescribeJobExecutionCommand({ thingName: "ab-00011", jobId: "abort" })),
      ResourceNotFoundException,
      404,
    );
  });
});

describe("devices", () => {
  test("offline devices keep their executions QUEUED; the others run", async () => {
    const sim = await simulation();
    const names = await sim.local.addSimulatedDevices({
      thingGroupName: "fleet",
      count: 40,
      namePrefix: "off-",
      behaviour: { offlineRate: 0.25 },
      seed: 11,
    });
    await sim.iot.send(new CreateJobCommand({ jobId: "offline", targets: [sim.groupArn("fleet")], document: DOC }));
    sim.local.advanceTime(24 * 60 * MINUTE);
    const job = await describeJob(sim, "offline");
    const d = job.jobProcessDetails!;
    expect(job.status).toBe("IN_PROGRESS"); // a snapshot job waits for every execution
    expect(d.numberOfQueuedThings).toBeGreaterThan(0);
    expect(d.numberOfQueuedThings! + d.numberOfSucceededThings!).toBe(40);
    const offline = names.filter((n) => !sim.events.some((e) => e.thingName === n && e.status === "IN_PROGRESS"));
    expect(offline).toHaveLength(d.numberOfQueuedThings!);
    for (const thingName of offline) {
      expect((await sim.iot.send(new DescribeJobExecutionCommand({ thingName, jobId: "offline" }))).execution!.status).toBe("QUEUED");
    }
    // Offline is drawn once per device: the same devices are offline for another job.
    await sim.iot.send(new CreateJobCommand({ jobId: "offline-2", targets: [sim.groupArn("fleet")], document: DOC }));
    sim.local.advanceTime(MINUTE);
    expect((await describeJob(sim, "offline-2")).jobProcessDetails!.numberOfQueuedThings).toBe(offline.length);
  });

  test("the same seed gives the same events; another seed other events", async () => {
    const behaviour: Partial<DeviceBehaviour> = { failRate: 0.2, rejectRate: 0.1, hangRate: 0.1, offlineRate: 0.1, runMinutes: 2 };
    const run = async (seed: number) => {
      const sim = await simulation();
      await sim.local.addSimulatedDevices({ thingGroupName: "fleet", count: 300, namePrefix: "det-", behaviour, seed });
      await sim.iot.send(
        new CreateJobCommand({
          jobId: "det",
          targets: [sim.groupArn("fleet")],
          document: DOC,
          jobExecutionsRolloutConfig: { maximumPerMinute: 50 },
          timeoutConfig: { inProgressTimeoutInMinutes: 4 },
          jobExecutionsRetryConfig: { criteriaList: [{ failureType: "ALL", numberOfRetries: 2 }] },
        }),
      );
      sim.local.advanceTime(2 * 60 * MINUTE);
      return sim.events;
    };
    const first = await run(42);
    const again = await run(42);
    const other = await run(43);
    expect(first.length).toBeGreaterThan(900);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(new Set(first.map((e) => e.status))).toEqual(new Set(["QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED", "TIMED_OUT"]));
  });

  test("simulateThing makes an existing thing a device: it picks up its QUEUED execution at once", async () => {
    const sim = await simulation();
    const [name] = await sim.local.addSimulatedDevices({ count: 1, namePrefix: "late-", behaviour: { offlineRate: 1 } });
    const thingArn = `arn:aws:iot:${sim.local.region}:${sim.local.accountId}:thing/${name}`;
    await sim.iot.send(new CreateJobCommand({ jobId: "late", targets: [thingArn], document: DOC }));
    sim.local.advanceTime(5 * MINUTE);
    expect((await describeJob(sim, "late")).jobProcessDetails!.numberOfQueuedThings).toBe(1);
    await sim.local.simulateThing(name, { runMinutes: 2 });
    sim.local.advanceTime(2 * MINUTE);
    const job = await describeJob(sim, "late");
    expect(job.status).toBe("COMPLETED");
    expect(job.completedAt!.getTime()).toBe(T0 + 7 * MINUTE);
    await expect(sim.local.simulateThing("nobody")).rejects.toThrow(/nobody cannot be found/);
  });

  test("a behaviour is validated, naming the field", async () => {
    const sim = await simulation();
    const add = (behaviour: Record<string, unknown>) =>
      sim.local.addSimulatedDevices({ count: 1, namePrefix: "bad-", behaviour: behaviour as Partial<DeviceBehaviour> });
    await expect(add({ failRate: 1.5 })).rejects.toThrow(/failRate must be a number between 0 and 1/);
    await expect(add({ offlineRate: -0.1 })).rejects.toThrow(/offlineRate/);
    await expect(add({ failRate: 0.6, rejectRate: 0.3, hangRate: 0.2 })).rejects.toThrow(
      /failRate \+ rejectRate \+ hangRate must be at most 1/,
    );
    await expect(add({ runMinutes: 1.5 })).rejects.toThrow(/runMinutes must be a whole number/);
    await expect(add({ successRate: 0.9 })).rejects.toThrow(/successRate cannot be set/);
    await expect(add({ failRat: 0.1 })).rejects.toThrow(/no field failRat/);
    await expect(sim.local.addSimulatedDevices({ count: 0, namePrefix: "x-" })).rejects.toThrow(/count/);
    await expect(sim.local.addSimulatedDevices({ count: 1, namePrefix: "a b" })).rejects.toThrow(/namePrefix/);
    await expect(sim.local.addSimulatedDevices({ count: 1, namePrefix: "s-", seed: 1.5 })).rejects.toThrow(/seed/);
    expect(DEFAULT_BEHAVIOUR).toEqual({ failRate: 0, rejectRate: 0, hangRate: 0, offlineRate: 0, runMinutes: 1 });
  });
});
