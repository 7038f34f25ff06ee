/**
 * AssociateTargetsWithJob: thing groups added to a continuous job in progress
 * reach their members, except things that already have an execution of the
 * job, at the job's rollout rate; SNAPSHOT, finished or unknown jobs, thing (not group) ARNs, missing
 * groups and more than 100 targets are refused with the errors the model lists.
 */
import {
  AddThingToThingGroupCommand,
  AssociateTargetsWithJobCommand,
  CancelJobCommand,
  CreateJobCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DescribeJobCommand,
  InvalidRequestException,
  LimitExceededException,
  ListJobExecutionsForJobCommand,
  ResourceNotFoundException,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startLocalIoT, type ExecutionEvent, type LocalIoT } from "../../src/local/index.ts";
import { expectError, iotClient } from "./helpers.ts";

let local: LocalIoT;
let iot: IoTClient;
beforeAll(async () => {
  local = await startLocalIoT({ deletionDelayMs: 20 });
  iot = iotClient(local);
});
afterAll(() => local.stop());

async function group(name: string, members: string[]): Promise<string> {
  const arn = (await iot.send(new CreateThingGroupCommand({ thingGroupName: name }))).thingGroupArn!;
  for (const thingName of members) {
    await iot.send(new CreateThingCommand({ thingName }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: name, thingName }));
  }
  return arn;
}

const executions = async (jobId: string) =>
  Object.fromEntries(
    ((await iot.send(new ListJobExecutionsForJobCommand({ jobId }))).executionSummaries ?? []).map((e) => [
      e.thingArn!.split("/").pop(),
      e.jobExecutionSummary!.status,
    ]),
  );

test("a group added to a continuous job reaches its members once; the job keeps its id, ARN and creation time", async () => {
  const a = await group("assoc-a", ["assoc-1", "assoc-2"]);
  const job = await iot.send(new CreateJobCommand({ jobId: "assoc-job", targets: [a], document: "{}", targetSelection: "CONTINUOUS" }));
  await local.updateJobExecution({ thingName: "assoc-1", jobId: "assoc-job", status: "SUCCEEDED" });
  const before = (await iot.send(new DescribeJobCommand({ jobId: "assoc-job" }))).job!;

  // assoc-1 (which already ran the job) is in the new group too; assoc-3 is new.
  const b = await group("assoc-b", ["assoc-3"]);
  await iot.send(new AddThingToThingGroupCommand({ thingGroupName: "assoc-b", thingName: "assoc-1" }));
  const answer = await iot.send(new AssociateTargetsWithJobCommand({ jobId: "assoc-job", targets: [b], comment: "second wave" }));
  expect(answer).toMatchObject({ jobId: "assoc-job", jobArn: job.jobArn });

  const after = (await iot.send(new DescribeJobCommand({ jobId: "assoc-job" }))).job!;
  expect(after.targets).toEqual([a, b]);
  expect(after.createdAt).toEqual(before.createdAt);
  expect(after.status).toBe("IN_PROGRESS");
  expect(await executions("assoc-job")).toEqual({ "assoc-1": "SUCCEEDED", "assoc-2": "QUEUED", "assoc-3": "QUEUED" });
  expect(local.world.executionsOf("assoc-job", "assoc-1")).toHaveLength(1);

  // Later members of the added group get the job, as with any target group of a continuous job.
  await iot.send(new CreateThingCommand({ thingName: "assoc-4" }));
  await iot.send(new AddThingToThingGroupCommand({ thingGroupName: "assoc-b", thingName: "assoc-4" }));
  expect((await executions("assoc-job"))["assoc-4"]).toBe("QUEUED");

  // Associating a group already targeted changes nothing.
  await iot.send(new AssociateTargetsWithJobCommand({ jobId: "assoc-job", targets: [a] }));
  expect((await iot.send(new DescribeJobCommand({ jobId: "assoc-job" }))).job!.targets).toEqual([a, b]);
});

test("refused: SNAPSHOT, canceled and unknown jobs, thing ARNs, missing groups, more than 100 targets", async () => {
  const g = await group("assoc-c", ["assoc-5"]);
  const extra = await group("assoc-d", []);
  await iot.send(new CreateJobCommand({ jobId: "assoc-snapshot", targets: [g], document: "{}" }));
  await expectError(
    iot.send(new AssociateTargetsWithJobCommand({ jobId: "assoc-snapshot", targets: [extra] })),
    InvalidRequestException,
    400,
    "SNAPSHOT",
  );

  await iot.send(new CreateJobCommand({ jobId: "assoc-canceled", targets: [g], document: "{}", targetSelection: "CONTINUOUS" }));
  await iot.send(new CancelJobCommand({ jobId: "assoc-canceled" }));
  await expectError(
    iot.send(new AssociateTargetsWithJobCommand({ jobId: "assoc-canceled", targets: [extra] })),
    InvalidRequestException,
    400,
    "CANCELED",
    "IN_PROGRESS",
  );

  await expectError(
    iot.send(new AssociateTargetsWithJobCommand({ jobId: "assoc-none", targets: [extra] })),
    ResourceNotFoundException,
    404,
    "assoc-none",
  );

  await iot.send(new CreateJobCommand({ jobId: "assoc-cont", targets: [g], document: "{}", targetSelection: "CONTINUOUS" }));
  const thingArn = `arn:aws:iot:${local.region}:${local.accountId}:thing/assoc-5`;
  await expectError(
    iot.send(new AssociateTargetsWithJobCommand({ jobId: "assoc-cont", targets: [thingArn] })),
    InvalidRequestException,
    400,
    "not a thing group ARN",
  );
  const missing = `arn:aws:iot:${local.region}:${local.accountId}:thinggroup/assoc-missing`;
  await expectError(
    iot.send(new AssociateTargetsWithJobCommand({ jobId: "assoc-cont", targets: [missing] })),
    ResourceNotFoundException,
    404,
    "assoc-missing",
  );

  const many: string[] = [];
  for (let i = 0; i < 100; i++)
    many.push((await iot.send(new CreateThingGroupCommand({ thingGroupName: `assoc-many-${i}` }))).thingGroupArn!);
  await expectError(
    iot.send(new AssociateTargetsWithJobCommand({ jobId: "assoc-cont", targets: many })),
    LimitExceededException,
    410,
    "101 targets",
  );
  expect((await iot.send(new DescribeJobCommand({ jobId: "assoc-cont" }))).job!.targets).toEqual([g]);
});

test("an added group's members are notified at the job's rollout rate, sharing the current minute's", async () => {
  // Virtual clock from T0 (a whole minute); maximumPerMinute 3. Minute 0 (CreateJob): rate-1, rate-2 (2 of 3).
  // T0 + 10 s, AssociateTargetsWithJob adds rate-3..rate-7: 1 more in minute 0 (3 - 2), then 3 at T0 + 1 min
  // and the last 1 at T0 + 2 min, in thing name order; all 7 QUEUED in the end.
  const T0 = Date.UTC(2030, 0, 7, 0, 0);
  const events: ExecutionEvent[] = [];
  const clocked = await startLocalIoT({ virtualClock: T0, onExecution: (e) => events.push(e) });
  try {
    const client = iotClient(clocked);
    const make = async (name: string, members: string[]) => {
      const arn = (await client.send(new CreateThingGroupCommand({ thingGroupName: name }))).thingGroupArn!;
      for (const thingName of members) {
        await client.send(new CreateThingCommand({ thingName }));
        await client.send(new AddThingToThingGroupCommand({ thingGroupName: name, thingName }));
      }
      return arn;
    };
    const first = await make("rate-a", ["rate-1", "rate-2"]);
    const later = await make("rate-b", ["rate-7", "rate-6", "rate-5", "rate-4", "rate-3"]);
    await client.send(
      new CreateJobCommand({
        jobId: "rate-job",
        targets: [first],
        document: "{}",
        targetSelection: "CONTINUOUS",
        jobExecutionsRolloutConfig: { maximumPerMinute: 3 },
      }),
    );
    clocked.advanceTime(10_000);
    await client.send(new AssociateTargetsWithJobCommand({ jobId: "rate-job", targets: [later] }));
    const queued = () => events.filter((e) => e.status === "QUEUED").map((e) => [e.thingName, (e.atMs - T0) / 1000]);
    expect(queued()).toEqual([
      ["rate-1", 0],
      ["rate-2", 0],
      ["rate-3", 10],
    ]);
    clocked.advanceTime(50_000);
    expect(queued().slice(3)).toEqual([
      ["rate-4", 60],
      ["rate-5", 60],
      ["rate-6", 60],
    ]);
    clocked.advanceTime(60_000 * 5);
    expect(queued().slice(6)).toEqual([["rate-7", 120]]);
  } finally {
    await clocked.stop();
  }
});
