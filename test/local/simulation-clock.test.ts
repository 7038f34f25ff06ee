/**
 * The fleet simulation on the wall clock (the embedded endpoint of deploys:
 * transitions evaluated lazily when the tables are read), across restarts
 * (the agenda is rebuilt from the records), and with data files written
 * before the simulation existed.
 */
import { CreateJobCommand, DescribeJobCommand, DescribeJobExecutionCommand } from "@aws-sdk/client-iot";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { startLocalIoT, type ExecutionEvent, type LocalIoT } from "../../src/local/index.ts";
import { DOC, iotClient } from "./helpers.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2030, 0, 7, 0, 0);

let dir: string;
let file: string;
const running: LocalIoT[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-iot-sim-"));
  file = path.join(dir, "iot.json");
});
afterEach(async () => {
  for (const l of running.splice(0)) await l.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startLocalIoT>[0] = {}): Promise<LocalIoT> {
  const local = await startLocalIoT(options);
  running.push(local);
  return local;
}
async function stop(local: LocalIoT): Promise<void> {
  running.splice(running.indexOf(local), 1);
  await local.stop();
}

describe("wall clock", () => {
  test("a rollout catches up minute by minute when the tables are read, each event at its own minute", async () => {
    const events: ExecutionEvent[] = [];
    const local = await start({ onExecution: (e) => events.push(e) });
    const iot = iotClient(local);
    await local.addSimulatedDevices({ thingGroupName: "fleet", count: 150, namePrefix: "wall-" });
    await iot.send(
      new CreateJobCommand({
        jobId: "wall",
        targets: [`arn:aws:iot:${local.region}:${local.accountId}:thinggroup/fleet`],
        document: DOC,
        jobExecutionsRolloutConfig: { maximumPerMinute: 100 },
      }),
    );
    const start0 = events[0].atMs;
    expect(events.filter((e) => e.status === "QUEUED")).toHaveLength(100);
    local.advanceTime(2 * MINUTE);
    const job = (await iot.send(new DescribeJobCommand({ jobId: "wall" }))).job!;
    expect(job.status).toBe("COMPLETED");
    // Minute 1: the first 100 report and the last 50 are notified; minute 2: those 50 report.
    expect(job.completedAt!.getTime()).toBe(start0 + 2 * MINUTE);
    const at = (status: string) => [...new Set(events.filter((e) => e.status === status).map((e) => e.atMs - start0))];
    expect(at("QUEUED")).toEqual([0, MINUTE]);
    expect(at("SUCCEEDED")).toEqual([MINUTE, 2 * MINUTE]);
  });
});

describe("restarts", () => {
  test("a rollout stopped mid-way resumes after a restart where it stood", async () => {
    const first = await start({ virtualClock: T0, persistPath: file });
    await first.addSimulatedDevices({ thingGroupName: "fleet", count: 50, namePrefix: "rs-", behaviour: { runMinutes: 3 } });
    await iotClient(first).send(
      new CreateJobCommand({
        jobId: "resume",
        targets: [`arn:aws:iot:${first.region}:${first.accountId}:thinggroup/fleet`],
        document: DOC,
        jobExecutionsRolloutConfig: { maximumPerMinute: 10 },
        timeoutConfig: { inProgressTimeoutInMinutes: 60 },
      }),
    );
    first.advanceTime(2 * MINUTE); // minutes 0, 1, 2: 30 notified, all still running (runMinutes 3)
    await stop(first);

    // The clock is not persisted: the second endpoint's virtual clock starts where the first one stopped.
    const events: ExecutionEvent[] = [];
    const second = await start({ virtualClock: T0 + 2 * MINUTE, persistPath: file, onExecution: (e) => events.push(e) });
    second.advanceTime(10 * MINUTE);
    const job = (await iotClient(second).send(new DescribeJobCommand({ jobId: "resume" }))).job!;
    // Minutes 3, 4: the last 20 notified; they report at minutes 6, 7.
    expect(job.status).toBe("COMPLETED");
    expect(job.completedAt!.getTime()).toBe(T0 + 7 * MINUTE);
    const byMinute = (status: string) => events.filter((e) => e.status === status).map((e) => (e.atMs - T0) / MINUTE);
    expect(byMinute("QUEUED")).toEqual([...Array(10).fill(3), ...Array(10).fill(4)]);
    expect(byMinute("SUCCEEDED")).toEqual([
      ...Array(10).fill(3),
      ...Array(10).fill(4),
      ...Array(10).fill(5),
      ...Array(10).fill(6),
      ...Array(10).fill(7),
    ]);
  });

  test("a data file written before the simulation loads: its IN_PROGRESS execution times out, its SCHEDULED job starts", async () => {
    const arn = (resource: string) => `arn:aws:iot:us-east-1:123456789012:${resource}`;
    const startedAt = T0 / 1000;
    const job = (jobId: string, status: string, extra: object) => ({
      seq: jobId === "old" ? 2 : 3,
      jobId,
      jobArn: arn(`job/${jobId}`),
      targets: [arn("thing/legacy")],
      targetSelection: "SNAPSHOT",
      status,
      document: DOC,
      createdAt: startedAt,
      lastUpdatedAt: startedAt,
      ...extra,
    });
    fs.writeFileSync(
      file,
      JSON.stringify({
        format: "alchemy-iot-jobs/local-endpoint",
        version: 1,
        accountId: "123456789012",
        region: "us-east-1",
        templates: [],
        jobs: [
          job("old", "IN_PROGRESS", { timeoutConfig: { inProgressTimeoutInMinutes: 10 } }),
          job("scheduled", "SCHEDULED", { schedulingConfig: { startTime: new Date(T0 + 60 * MINUTE).toISOString().slice(0, 16) } }),
        ],
        executions: [
          {
            jobId: "old",
            thingName: "legacy",
            thingArn: arn("thing/legacy"),
            executionNumber: 1,
            status: "IN_PROGRESS",
            queuedAt: startedAt,
            startedAt,
            lastUpdatedAt: startedAt,
            versionNumber: 2,
            retryAttempt: 0,
          },
        ],
        things: [
          { seq: 1, thingName: "legacy", thingArn: arn("thing/legacy"), thingId: "id-1", attributes: {}, version: 1, createdAt: startedAt },
        ],
        thingGroups: [],
        tags: {},
        stacks: [],
      }),
    );
    const local = await start({ virtualClock: T0 + 5 * MINUTE, persistPath: file });
    const iot = iotClient(local);
    expect((await iot.send(new DescribeJobExecutionCommand({ thingName: "legacy", jobId: "old" }))).execution).toMatchObject({
      status: "IN_PROGRESS",
      approximateSecondsBeforeTimedOut: 300,
    });
    local.advanceTime(5 * MINUTE);
    expect((await iot.send(new DescribeJobExecutionCommand({ thingName: "legacy", jobId: "old" }))).execution!.status).toBe("TIMED_OUT");
    expect((await iot.send(new DescribeJobCommand({ jobId: "old" }))).job!.status).toBe("COMPLETED");
    expect((await iot.send(new DescribeJobCommand({ jobId: "scheduled" }))).job!.status).toBe("SCHEDULED");
    local.advanceTime(50 * MINUTE);
    expect((await iot.send(new DescribeJobCommand({ jobId: "scheduled" }))).job!.status).toBe("IN_PROGRESS");
    expect((await iot.send(new DescribeJobExecutionCommand({ thingName: "legacy", jobId: "scheduled" }))).execution!.status).toBe("QUEUED");
  });
});
