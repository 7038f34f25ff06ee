/**
 * The fleet simulation's scheduling: endTime with each endBehavior,
 * maintenance windows, held rollouts released by releaseJob, and scheduled
 * starts; figures worked out by hand from the rules in docs/local-endpoint.md
 * ("Fleet simulation").
 */
import { CreateJobCommand, DescribeJobCommand, type IoTClient } from "@aws-sdk/client-iot";
import { afterEach, describe, expect, test } from "vitest";
import { startLocalIoT, type ExecutionEvent, type LocalIoT } from "../../src/local/index.ts";
import { DOC, iotClient } from "./helpers.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Monday 2030-01-07 00:00 UTC. */
const T0 = Date.UTC(2030, 0, 7, 0, 0);
/** A schedulingConfig time (YYYY-MM-DDTHH:MM, UTC) `ms` after T0. */
const at = (ms: number) => new Date(T0 + ms).toISOString().slice(0, 16);

interface Sim {
  local: LocalIoT;
  iot: IoTClient;
  events: ExecutionEvent[];
  group: string;
}

const opened: LocalIoT[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.stop()));
});

async function simulation(options: { holdRollouts?: boolean } = {}): Promise<Sim> {
  const events: ExecutionEvent[] = [];
  const local = await startLocalIoT({ virtualClock: T0, onExecution: (e) => events.push(e), ...options });
  opened.push(local);
  return { local, iot: iotClient(local), events, group: `arn:aws:iot:${local.region}:${local.accountId}:thinggroup/fleet` };
}

const minuteOf = (e: ExecutionEvent) => (e.atMs - T0) / MINUTE;
const count = (events: ExecutionEvent[], status: ExecutionEvent["status"]) => events.filter((e) => e.status === status).length;
const describeJob = async (sim: Sim, jobId: string) => (await sim.iot.send(new DescribeJobCommand({ jobId }))).job!;

describe("endTime and endBehavior", () => {
  // 500 devices notified 10 a minute would take 50 minutes; endTime is minute 30. At minute 30 the end comes
  // first (the schedule is applied before the minute's device reports and notifications), so minutes 0..29
  // notified 10 each: 300 things; 200 never get an execution.
  const endAt30 = async (endBehavior: "STOP_ROLLOUT" | "CANCEL" | "FORCE_CANCEL", runMinutes: number) => {
    const sim = await simulation();
    await sim.local.addSimulatedDevices({ thingGroupName: "fleet", count: 500, namePrefix: "end-", behaviour: { runMinutes } });
    await sim.iot.send(
      new CreateJobCommand({
        jobId: "ends",
        targets: [sim.group],
        document: DOC,
        jobExecutionsRolloutConfig: { maximumPerMinute: 10 },
        schedulingConfig: { endTime: at(30 * MINUTE), endBehavior },
      }),
    );
    sim.local.advanceTime(2 * HOUR);
    expect(count(sim.events, "QUEUED")).toBe(300);
    expect(Math.max(...sim.events.filter((e) => e.status === "QUEUED").map(minuteOf))).toBe(29);
    return { sim, job: await describeJob(sim, "ends") };
  };

  test("STOP_ROLLOUT: no notification after endTime; the job completes when its executions finish", async () => {
    // runMinutes 1: minute 29's things report at minute 30, after the end: the job completes then.
    const { job } = await endAt30("STOP_ROLLOUT", 1);
    expect(job.status).toBe("COMPLETED");
    expect(job.completedAt!.getTime()).toBe(T0 + 30 * MINUTE);
    expect(job.jobProcessDetails).toMatchObject({ numberOfSucceededThings: 300, numberOfQueuedThings: 0, numberOfCanceledThings: 0 });
  });

  test("CANCEL: the job is canceled at endTime; executions in progress finish", async () => {
    // runMinutes 5: at minute 30, the things notified at minutes 25..29 (50) are IN_PROGRESS; a cancel
    // without force leaves them running, and they succeed at minutes 30..34: 300 SUCCEEDED in all.
    const { sim, job } = await endAt30("CANCEL", 5);
    expect(job).toMatchObject({ status: "CANCELED", forceCanceled: false });
    expect(job.completedAt!.getTime()).toBe(T0 + 30 * MINUTE);
    expect(job.jobProcessDetails).toMatchObject({ numberOfSucceededThings: 300, numberOfCanceledThings: 0 });
    expect(Math.max(...sim.events.filter((e) => e.status === "SUCCEEDED").map(minuteOf))).toBe(34);
  });

  test("FORCE_CANCEL: executions in progress at endTime are canceled too", async () => {
    // Same rollout: the 50 IN_PROGRESS at minute 30 are force-canceled; the 250 notified at minutes 0..24
    // succeeded at minutes 5..29.
    const { sim, job } = await endAt30("FORCE_CANCEL", 5);
    expect(job).toMatchObject({ status: "CANCELED", forceCanceled: true });
    expect(job.jobProcessDetails).toMatchObject({ numberOfSucceededThings: 250, numberOfCanceledThings: 50 });
    const canceled = sim.events.filter((e) => e.status === "CANCELED");
    expect(new Set(canceled.map(minuteOf))).toEqual(new Set([30]));
  });
});

describe("maintenance windows", () => {
  test("things are notified only inside windows; the job is SCHEDULED between them", async () => {
    // A daily window 02:00-03:00 UTC; 100 devices at 1 a minute; the job is created at 00:00.
    // 00:00: the window is closed, so the job is SCHEDULED and notifies nothing.
    // 02:00-02:59: one thing a minute, 60 in all; 03:00: SCHEDULED again.
    // Next day 02:00-02:39: the other 40.
    const sim = await simulation();
    await sim.local.addSimulatedDevices({ thingGroupName: "fleet", count: 100, namePrefix: "mw-" });
    await sim.iot.send(
      new CreateJobCommand({
        jobId: "windows",
        targets: [sim.group],
        targetSelection: "CONTINUOUS",
        document: DOC,
        jobExecutionsRolloutConfig: { maximumPerMinute: 1 },
        schedulingConfig: { maintenanceWindows: [{ startTime: "cron(0 2 * * ? *)", durationInMinutes: 60 }] },
      }),
    );
    expect((await describeJob(sim, "windows")).status).toBe("SCHEDULED");
    sim.local.advanceTime(2 * HOUR - MINUTE);
    expect((await describeJob(sim, "windows")).status).toBe("SCHEDULED");
    expect(sim.events).toEqual([]);
    sim.local.advanceTime(MINUTE);
    expect((await describeJob(sim, "windows")).status).toBe("IN_PROGRESS");
    expect(count(sim.events, "QUEUED")).toBe(1);
    sim.local.advanceTime(HOUR - MINUTE); // 02:59
    expect((await describeJob(sim, "windows")).status).toBe("IN_PROGRESS");
    sim.local.advanceTime(MINUTE); // 03:00
    expect((await describeJob(sim, "windows")).status).toBe("SCHEDULED");
    expect(count(sim.events, "QUEUED")).toBe(60);
    sim.local.advanceTime(23 * HOUR); // the next day, 02:00
    expect((await describeJob(sim, "windows")).status).toBe("IN_PROGRESS");
    sim.local.advanceTime(2 * 24 * HOUR + HOUR); // 03:00, two days later
    const notified = sim.events.filter((e) => e.status === "QUEUED").map(minuteOf);
    expect(notified).toHaveLength(100);
    expect(notified.slice(0, 60)).toEqual(Array.from({ length: 60 }, (_, i) => 120 + i));
    expect(notified.slice(60)).toEqual(Array.from({ length: 40 }, (_, i) => 24 * 60 + 120 + i));
    // Every notification falls inside a window; a continuous job stays alive, SCHEDULED between windows.
    expect(notified.every((m) => m % (24 * 60) >= 120 && m % (24 * 60) < 180)).toBe(true);
    expect((await describeJob(sim, "windows")).status).toBe("SCHEDULED");
  });
});

describe("held rollouts", () => {
  test("a held job notifies nothing until releaseJob; its targets are resolved at release", async () => {
    const sim = await simulation({ holdRollouts: true });
    await sim.local.addSimulatedDevices({ thingGroupName: "fleet", count: 150, namePrefix: "held-" });
    await sim.iot.send(
      new CreateJobCommand({ jobId: "held", targets: [sim.group], document: DOC, jobExecutionsRolloutConfig: { maximumPerMinute: 100 } }),
    );
    sim.local.advanceTime(10 * MINUTE);
    const held = await describeJob(sim, "held");
    expect(held.status).toBe("IN_PROGRESS"); // a held snapshot job with nothing notified yet is not complete
    expect(held.jobProcessDetails).toMatchObject({ numberOfQueuedThings: 0, numberOfSucceededThings: 0 });
    expect(sim.events).toEqual([]);
    // 50 more devices join before the release: the snapshot is taken at release, so 200 targets.
    await sim.local.addSimulatedDevices({ thingGroupName: "fleet", count: 200, namePrefix: "held-" });
    await sim.local.releaseJob("held");
    // Minute 0 is the release (minute 10 of the clock): 100 notified, then 100 at minute 11.
    sim.local.advanceTime(5 * MINUTE);
    const byMinute = new Map<number, number>();
    for (const e of sim.events) if (e.status === "QUEUED") byMinute.set(minuteOf(e), (byMinute.get(minuteOf(e)) ?? 0) + 1);
    expect([...byMinute]).toEqual([
      [10, 100],
      [11, 100],
    ]);
    const job = await describeJob(sim, "held");
    expect(job.status).toBe("COMPLETED");
    expect(job.completedAt!.getTime()).toBe(T0 + 12 * MINUTE);
    await expect(sim.local.releaseJob("held")).rejects.toThrow(/not held/);
    await expect(sim.local.releaseJob("nope")).rejects.toThrow(/nope cannot be found/);
  });

  test("a held scheduled job released before its startTime starts rolling out at its startTime", async () => {
    const sim = await simulation({ holdRollouts: true });
    await sim.local.addSimulatedDevices({ thingGroupName: "fleet", count: 5, namePrefix: "sch-" });
    await sim.iot.send(
      new CreateJobCommand({ jobId: "later", targets: [sim.group], document: DOC, schedulingConfig: { startTime: at(HOUR) } }),
    );
    expect((await describeJob(sim, "later")).status).toBe("SCHEDULED");
    await sim.local.releaseJob("later");
    sim.local.advanceTime(HOUR - MINUTE);
    expect((await describeJob(sim, "later")).status).toBe("SCHEDULED");
    expect(sim.events).toEqual([]);
    sim.local.advanceTime(2 * MINUTE);
    const job = await describeJob(sim, "later");
    expect(job.status).toBe("COMPLETED");
    expect(job.completedAt!.getTime()).toBe(T0 + HOUR + MINUTE);
    expect(new Set(sim.events.filter((e) => e.status === "QUEUED").map(minuteOf))).toEqual(new Set([60]));
  });
});

describe("scheduled start", () => {
  test("the rollout's minute 0 is the startTime", async () => {
    const sim = await simulation();
    await sim.local.addSimulatedDevices({ thingGroupName: "fleet", count: 30, namePrefix: "start-" });
    await sim.iot.send(
      new CreateJobCommand({
        jobId: "start",
        targets: [sim.group],
        document: DOC,
        jobExecutionsRolloutConfig: { maximumPerMinute: 10 },
        schedulingConfig: { startTime: at(HOUR) },
      }),
    );
    sim.local.advanceTime(3 * HOUR);
    const notified = sim.events.filter((e) => e.status === "QUEUED").map(minuteOf);
    expect(notified).toEqual([...Array(10).fill(60), ...Array(10).fill(61), ...Array(10).fill(62)]);
    expect((await describeJob(sim, "start")).completedAt!.getTime()).toBe(T0 + 63 * MINUTE);
  });
});
