/**
 * Rehearsals against hand-worked figures, in this process: a local endpoint
 * with a virtual clock and held rollouts (as the rehearse command starts it),
 * a group and a job made through the real SDK, then rehearseJob.
 */
import {
  AddThingToThingGroupCommand,
  CreateJobCommand,
  CreatePackageCommand,
  CreatePackageVersionCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DescribeJobExecutionCommand,
  UpdatePackageCommand,
  UpdatePackageVersionCommand,
  type CreateJobCommandInput,
} from "@aws-sdk/client-iot";
import { IoTDataPlaneClient, UpdateThingShadowCommand } from "@aws-sdk/client-iot-data-plane";
import { afterEach, expect, test } from "vitest";
import { localClient } from "../../src/provider/client.ts";
import { startLocalIoT, type DeviceBehaviour, type ExecutionEvent, type LocalIoT } from "../../src/local/index.ts";
import type { Rehearsal } from "../../src/rehearsal/report.ts";
import { rehearseJob } from "../../src/rehearsal/rehearse.ts";
import { renderText } from "../../src/rehearsal/render.ts";

const START = Date.parse("2027-03-01T00:00:00Z");
const endpoints: LocalIoT[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.stop()));
});

/** Rehearses a job on group "fleet" with the given settings. */
async function rehearse(
  job: Partial<CreateJobCommandInput>,
  devices: number,
  behaviour: Partial<DeviceBehaviour> = {},
  seed = 1,
  horizonMinutes?: number,
): Promise<Rehearsal> {
  const events: ExecutionEvent[] = [];
  const local = await startLocalIoT({ virtualClock: START, holdRollouts: true, onExecution: (e) => events.push(e) });
  endpoints.push(local);
  const client = localClient(local);
  const group = await client.send(new CreateThingGroupCommand({ thingGroupName: "fleet" }));
  await client.send(new CreateJobCommand({ jobId: "fw", targets: [group.thingGroupArn!], document: "{}", ...job }));
  return rehearseJob(local, client, { resourceId: "firmware", jobId: "fw" }, events, { devices, behaviour, seed, horizonMinutes });
}

const column = (r: Rehearsal, key: "notified" | "succeeded" | "failed" | "timedOut") => r.timeline.map((m) => m[key]);

test("1,000 devices at 100 a minute, each done in a minute: notified 100 a minute for 10 minutes, completed at minute 10", async () => {
  const r = await rehearse({ jobExecutionsRolloutConfig: { maximumPerMinute: 100 } }, 1000);
  expect([r.outcome, r.minutes, r.attempts, r.executions.SUCCEEDED]).toEqual(["COMPLETED", 10, 1000, 1000]);
  // Minute m notifies the m-th hundred; each succeeds a minute later.
  expect(column(r, "notified")).toEqual([...Array(10).fill(100), 0]);
  expect(column(r, "succeeded")).toEqual([0, ...Array(10).fill(100)]);
});

test("every device hanging, a 5-minute timeout and 2 retries on TIMED_OUT: 3 attempts per device, completed at minute 15", async () => {
  const r = await rehearse(
    {
      timeoutConfig: { inProgressTimeoutInMinutes: 5 },
      jobExecutionsRetryConfig: { criteriaList: [{ failureType: "TIMED_OUT", numberOfRetries: 2 }] },
    },
    50,
    { hangRate: 1 },
  );
  expect([r.outcome, r.minutes, r.attempts, r.executions.TIMED_OUT]).toEqual(["COMPLETED", 15, 150, 50]);
  // Attempts start at 0, 5 and 10 and time out 5 minutes later.
  const at = (values: number[]) => values.flatMap((v, minute) => (v ? [`${minute}:${v}`] : []));
  expect(at(column(r, "notified"))).toEqual(["0:50", "5:50", "10:50"]);
  expect(at(column(r, "timedOut"))).toEqual(["5:50", "10:50", "15:50"]);
});

test("an abort: every run fails, 20 a minute, abort on FAILED at 10% once 50 ran: canceled at minute 3 with 60 failed, 940 never reached", async () => {
  const r = await rehearse(
    {
      jobExecutionsRolloutConfig: { maximumPerMinute: 20 },
      abortConfig: { criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 10, minNumberOfExecutedThings: 50 }] },
    },
    1000,
    { failRate: 1 },
  );
  // Minutes 0-2 notify 20 each; their runs fail at minutes 1-3; at minute 3, 60 have run (≥ 50) and all failed (≥ 10%).
  expect([r.outcome, r.reasonCode, r.minutes]).toEqual(["CANCELED", "FAILED_THRESHOLD_EXCEEDED", 3]);
  expect(r.executions).toMatchObject({ FAILED: 60, NOT_NOTIFIED: 940, SUCCEEDED: 0 });
  expect(column(r, "failed")).toEqual([0, 20, 20, 20]);
});

test("a scheduled job: nothing is notified before its start time", async () => {
  const start = new Date(START + 45 * 60_000).toISOString().slice(0, 16);
  const r = await rehearse({ schedulingConfig: { startTime: start } }, 10);
  expect([r.outcome, r.minutes]).toEqual(["COMPLETED", 46]);
  expect(column(r, "notified").findIndex((n) => n > 0)).toBe(45);
});

test("the same seed gives the same rehearsal; another seed another one; a continuous job runs to the horizon", async () => {
  const behaviour = { failRate: 0.3, rejectRate: 0.05, hangRate: 0.1, offlineRate: 0.1, runMinutes: 2 };
  const job = {
    timeoutConfig: { inProgressTimeoutInMinutes: 10 },
    jobExecutionsRetryConfig: { criteriaList: [{ failureType: "ALL" as const, numberOfRetries: 1 }] },
  };
  const a = await rehearse(job, 300, behaviour, 7);
  const b = await rehearse(job, 300, behaviour, 7);
  const c = await rehearse(job, 300, behaviour, 8);
  expect(b).toEqual(a);
  expect(c.executions).not.toEqual(a.executions);
  // Offline devices never pick the job up: their executions stay queued, so this snapshot job runs to the horizon.
  expect(a.executions.QUEUED).toBeGreaterThan(0);
  expect([a.outcome, a.minutes]).toEqual(["IN_PROGRESS", 7 * 24 * 60]);
  expect(Object.values(a.executions).reduce((x, y) => x + y, 0)).toBe(300);
  const continuous = await rehearse({ targetSelection: "CONTINUOUS" }, 10, {}, 1, 120);
  expect([continuous.outcome, continuous.minutes, continuous.executions.SUCCEEDED]).toEqual(["IN_PROGRESS", 120, 10]);
  expect(continuous.notes).toEqual(["the horizon (120 minutes) passed with the job IN_PROGRESS"]);
});

test("a job that installs a package version: devices whose execution succeeded end on it, the others keep what their $package shadow had", async () => {
  const events: ExecutionEvent[] = [];
  const local = await startLocalIoT({ virtualClock: START, holdRollouts: true, onExecution: (e) => events.push(e) });
  endpoints.push(local);
  const client = localClient(local);
  const data = new IoTDataPlaneClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
  await client.send(new CreatePackageCommand({ packageName: "fw" }));
  for (const v of ["1.0.0", "1.1.0"]) {
    await client.send(new CreatePackageVersionCommand({ packageName: "fw", versionName: v }));
    await client.send(new UpdatePackageVersionCommand({ packageName: "fw", versionName: v, action: "PUBLISH" }));
  }
  await client.send(new UpdatePackageCommand({ packageName: "fw", defaultVersionName: "1.1.0" }));
  const group = await client.send(new CreateThingGroupCommand({ thingGroupName: "fleet" }));
  // Two devices of the program run 1.0.0 already (their $package shadow says so).
  for (const thingName of ["old-1", "old-2"]) {
    await client.send(new CreateThingCommand({ thingName }));
    await client.send(new AddThingToThingGroupCommand({ thingName, thingGroupName: "fleet" }));
    const payload = new TextEncoder().encode(JSON.stringify({ state: { reported: { fw: { version: "1.0.0" } } } }));
    await data.send(new UpdateThingShadowCommand({ thingName, shadowName: "$package", payload }));
  }
  const arn = (v: string) => local.world.arn(`package/fw/version/${v}`);
  await client.send(
    new CreateJobCommand({ jobId: "fw", targets: [group.thingGroupArn!], document: "{}", destinationPackageVersions: [arn("$default")] }),
  );
  const r = await rehearseJob(local, client, { resourceId: "firmware", jobId: "fw" }, events, {
    devices: 100,
    behaviour: { failRate: 0.2 },
    seed: 3,
  });
  const e = r.executions;
  expect(e.SUCCEEDED + e.FAILED).toBe(100);
  // $default stands for the package's default version, 1.1.0; failed devices keep what they had.
  const counts = r.packageVersions!.fw;
  expect(counts["1.1.0"]).toBe(e.SUCCEEDED);
  expect((counts["1.0.0"] ?? 0) + (counts["(none)"] ?? 0)).toBe(e.FAILED);
  let oldFailed = 0;
  for (const thingName of ["old-1", "old-2"]) {
    const x = await client.send(new DescribeJobExecutionCommand({ jobId: "fw", thingName }));
    if (x.execution?.status !== "SUCCEEDED") oldFailed++;
  }
  expect(counts["1.0.0"] ?? 0).toBe(oldFailed);
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(100);
  expect(renderText(r)).toContain(`Versions at the end: fw: ${e.SUCCEEDED} on 1.1.0`);
});
