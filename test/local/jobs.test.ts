import {
  CancelJobCommand,
  CreateJobCommand,
  DeleteJobCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  GetJobDocumentCommand,
  InvalidRequestException,
  InvalidStateTransitionException,
  LimitExceededException,
  ListJobExecutionsForJobCommand,
  ListJobsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateJobCommand,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { DOC, createThings, eventually, expectError, iotClient, rawRequest } from "./helpers.ts";

const HOUR = 3_600_000;
/** A schedulingConfig time `ms` from the endpoint's "now", in the documented YYYY-MM-DDTHH:MM format. */
const at = (local: LocalIoT, ms: number) => new Date(Date.now() + local.world.clockOffsetMs + ms).toISOString().slice(0, 16);

let local: LocalIoT;
let iot: IoTClient;
let things: string[];
let groupArn: string;
beforeAll(async () => {
  local = await startLocalIoT({ port: 0, deletionDelayMs: 60_000 });
  iot = iotClient(local);
  const created = await createThings(iot, ["j-a", "j-b", "j-c"], "j-group");
  things = created.thingArns;
  groupArn = created.groupArn!;
});
afterAll(() => local.stop());

const job = async (jobId: string, extra: Record<string, unknown> = {}) => {
  const out = await iot.send(new CreateJobCommand({ jobId, targets: [things[0]], document: DOC, ...extra }));
  return out;
};
const statusOf = async (jobId: string) => (await iot.send(new DescribeJobCommand({ jobId }))).job!.status;
const executionOf = async (thing: string, jobId: string) =>
  (await iot.send(new DescribeJobExecutionCommand({ thingName: thing, jobId }))).execution!;

describe("CreateJob / DescribeJob", () => {
  test("a job starts IN_PROGRESS with a QUEUED execution per target thing and per group member", async () => {
    const created = await iot.send(
      new CreateJobCommand({
        jobId: "rollout",
        targets: [things[0], groupArn],
        document: DOC,
        description: "roll out",
      }),
    );
    expect(created).toMatchObject({
      jobId: "rollout",
      jobArn: "arn:aws:iot:us-east-1:123456789012:job/rollout",
      description: "roll out",
    });
    const { job: j, documentSource } = await iot.send(new DescribeJobCommand({ jobId: "rollout" }));
    expect(documentSource).toBeUndefined();
    expect(j).toMatchObject({
      jobId: "rollout",
      jobArn: created.jobArn,
      status: "IN_PROGRESS",
      targetSelection: "SNAPSHOT",
      targets: [things[0], groupArn],
      description: "roll out",
      isConcurrent: false,
      presignedUrlConfig: {},
      jobExecutionsRolloutConfig: {},
      timeoutConfig: {},
      jobProcessDetails: {
        numberOfQueuedThings: 3,
        numberOfInProgressThings: 0,
        numberOfSucceededThings: 0,
        numberOfCanceledThings: 0,
      },
    });
    expect(j!.createdAt).toBeInstanceOf(Date);
    expect(j!.lastUpdatedAt).toBeInstanceOf(Date);
    expect(j!.completedAt).toBeUndefined();
    // The document is not part of the Job structure.
    expect((j as any).document).toBeUndefined();

    const list = await iot.send(new ListJobExecutionsForJobCommand({ jobId: "rollout" }));
    expect(list.executionSummaries!.map((e) => e.thingArn).sort()).toEqual([...things].sort());
    for (const e of list.executionSummaries!) {
      expect(e.jobExecutionSummary).toMatchObject({ status: "QUEUED", executionNumber: 1, retryAttempt: 0 });
      expect(e.jobExecutionSummary!.queuedAt).toBeInstanceOf(Date);
    }
  });

  test("a duplicate job id is a 409 ResourceAlreadyExistsException carrying resourceId and resourceArn", async () => {
    await job("twice");
    const e = await expectError(job("twice"), ResourceAlreadyExistsException, 409, "Job twice already exists");
    expect(e.resourceId).toBe("twice");
    expect(e.resourceArn).toBe("arn:aws:iot:us-east-1:123456789012:job/twice");
  });

  test("targets must exist in this account and region, and be things or thing groups", async () => {
    await expectError(
      iot.send(new CreateJobCommand({ jobId: "ghost", targets: ["arn:aws:iot:us-east-1:123456789012:thing/ghost"], document: DOC })),
      ResourceNotFoundException,
      404,
      "thing/ghost",
    );
    await expectError(
      iot.send(new CreateJobCommand({ jobId: "foreign", targets: [things[0].replace("us-east-1", "eu-west-1")], document: DOC })),
      ResourceNotFoundException,
      404,
      "eu-west-1",
    );
    await expectError(
      iot.send(new CreateJobCommand({ jobId: "not-thing", targets: ["arn:aws:iot:us-east-1:123456789012:job/rollout"], document: DOC })),
      InvalidRequestException,
      400,
      "not a thing or thing group ARN",
    );
    await expectError(
      iot.send(new CreateJobCommand({ jobId: "no-targets", targets: [], document: DOC })),
      InvalidRequestException,
      400,
      "'targets'",
    );
    // Nothing was created by the failed calls.
    await expectError(iot.send(new DescribeJobCommand({ jobId: "ghost" })), ResourceNotFoundException, 404, "ghost");
  });

  test("describing or reading the document of an unknown job is a 404", async () => {
    await expectError(iot.send(new DescribeJobCommand({ jobId: "nope" })), ResourceNotFoundException, 404, "Job nope cannot be found");
    await expectError(iot.send(new GetJobDocumentCommand({ jobId: "nope" })), ResourceNotFoundException, 404, "Job nope");
  });

  test("GetJobDocument returns the inline document", async () => {
    await job("doc-inline", { document: JSON.stringify({ a: [1, 2] }) });
    const out = await iot.send(new GetJobDocumentCommand({ jobId: "doc-inline" }));
    expect(out.document).toBe(JSON.stringify({ a: [1, 2] }));
  });

  test("a documentSource document is read once, at creation (putS3Object stands in for S3)", async () => {
    const url = "https://s3.amazonaws.com/bucket/job.json";
    local.putS3Object(url, JSON.stringify({ version: 1 }));
    const { documentSource } = await iot
      .send(new CreateJobCommand({ jobId: "doc-s3", targets: [things[0]], documentSource: url }))
      .then(() => iot.send(new DescribeJobCommand({ jobId: "doc-s3" })));
    expect(documentSource).toBe(url);
    // Later edits of the S3 object do not reach the job.
    local.putS3Object(url, JSON.stringify({ version: 2 }));
    expect((await iot.send(new GetJobDocumentCommand({ jobId: "doc-s3" }))).document).toBe(JSON.stringify({ version: 1 }));
  });

  test("a documentSource the endpoint has no copy of is accepted, and GetJobDocument says how to provide it", async () => {
    await iot.send(
      new CreateJobCommand({ jobId: "doc-s3-missing", targets: [things[0]], documentSource: "https://s3.amazonaws.com/b/none.json" }),
    );
    await expectError(iot.send(new GetJobDocumentCommand({ jobId: "doc-s3-missing" })), InvalidRequestException, 400, "putS3Object");
  });
});

describe("scheduled jobs", () => {
  test("a future startTime makes the job SCHEDULED with no executions; advancing the clock starts it", async () => {
    const startTime = at(local, 2 * HOUR);
    await job("later", { schedulingConfig: { startTime, endBehavior: "STOP_ROLLOUT" } });
    const before = await iot.send(new DescribeJobCommand({ jobId: "later" }));
    expect(before.job).toMatchObject({
      status: "SCHEDULED",
      schedulingConfig: { startTime, endBehavior: "STOP_ROLLOUT" },
      scheduledJobRollouts: [{ startTime }],
      jobProcessDetails: { numberOfQueuedThings: 0 },
    });
    expect((await iot.send(new ListJobExecutionsForJobCommand({ jobId: "later" }))).executionSummaries).toEqual([]);
    expect((await iot.send(new ListJobsCommand({ status: "SCHEDULED" }))).jobs!.map((j) => j.jobId)).toContain("later");

    // DeleteJob of a SCHEDULED job needs force (documented choice).
    await expectError(iot.send(new DeleteJobCommand({ jobId: "later" })), InvalidStateTransitionException, 409, "SCHEDULED");

    local.advanceTime(3 * HOUR);
    const after = await iot.send(new DescribeJobCommand({ jobId: "later" }));
    expect(after.job!.status).toBe("IN_PROGRESS");
    expect(after.job!.scheduledJobRollouts).toBeUndefined();
    expect((await executionOf("j-a", "later")).status).toBe("QUEUED");
  });

  test("startTime closer than 30 minutes or not in YYYY-MM-DDTHH:MM is a 400 naming schedulingConfig.startTime", async () => {
    await expectError(
      job("too-soon", { schedulingConfig: { startTime: at(local, 5 * 60_000) } }),
      InvalidRequestException,
      400,
      "schedulingConfig.startTime",
      "30 minutes",
    );
    await expectError(
      job("bad-format", { schedulingConfig: { startTime: "next tuesday" } }),
      InvalidRequestException,
      400,
      "schedulingConfig.startTime",
    );
    await expectError(
      job("end-before", { schedulingConfig: { startTime: at(local, 2 * HOUR), endTime: at(local, 2 * HOUR + 10 * 60_000) } }),
      InvalidRequestException,
      400,
      "schedulingConfig.endTime",
    );
  });

  test("maintenance windows are accepted for CONTINUOUS jobs and refused for SNAPSHOT jobs", async () => {
    const maintenanceWindows = [{ startTime: "cron(0 2 ? * MON *)", durationInMinutes: 60 }];
    await job("mw-continuous", { targetSelection: "CONTINUOUS", schedulingConfig: { maintenanceWindows } });
    const { job: j } = await iot.send(new DescribeJobCommand({ jobId: "mw-continuous" }));
    expect(j!.schedulingConfig!.maintenanceWindows).toEqual(maintenanceWindows);
    await expectError(
      job("mw-snapshot", { schedulingConfig: { maintenanceWindows } }),
      InvalidRequestException,
      400,
      "MaintenanceWindow cannot be used with SNAPSHOT job",
    );
  });
});

describe("UpdateJob", () => {
  test("updates each updatable member, replacing it as a whole, and moves lastUpdatedAt", async () => {
    await job("upd", {
      jobExecutionsRolloutConfig: {
        maximumPerMinute: 10,
        exponentialRate: { baseRatePerMinute: 2, incrementFactor: 2, rateIncreaseCriteria: { numberOfSucceededThings: 5 } },
      },
      jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 3 }] },
    });
    const before = (await iot.send(new DescribeJobCommand({ jobId: "upd" }))).job!;
    local.advanceTime(1500);
    const out = await iot.send(
      new UpdateJobCommand({
        jobId: "upd",
        description: "updated",
        presignedUrlConfig: { roleArn: "arn:aws:iam::123456789012:role/r", expiresInSec: 120 },
        jobExecutionsRolloutConfig: { maximumPerMinute: 20 },
        abortConfig: {
          criteriaList: [{ failureType: "ALL", action: "CANCEL", thresholdPercentage: 50, minNumberOfExecutedThings: 10 }],
        },
        timeoutConfig: { inProgressTimeoutInMinutes: 15 },
        jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 0 }] },
      }),
    );
    expect(out.$metadata.httpStatusCode).toBe(200);
    const after = (await iot.send(new DescribeJobCommand({ jobId: "upd" }))).job!;
    expect(after).toMatchObject({
      description: "updated",
      presignedUrlConfig: { roleArn: "arn:aws:iam::123456789012:role/r", expiresInSec: 120 },
      jobExecutionsRolloutConfig: { maximumPerMinute: 20 },
      abortConfig: { criteriaList: [{ failureType: "ALL", action: "CANCEL", thresholdPercentage: 50, minNumberOfExecutedThings: 10 }] },
      timeoutConfig: { inProgressTimeoutInMinutes: 15 },
      jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 0 }] },
    });
    expect(after.jobExecutionsRolloutConfig!.exponentialRate).toBeUndefined();
    expect(after.lastUpdatedAt!.getTime()).toBeGreaterThan(before.lastUpdatedAt!.getTime());
  });

  test("answers with an empty body", async () => {
    const raw = await rawRequest(local, { method: "PATCH", path: "/jobs/upd", body: JSON.stringify({ description: "raw" }) });
    expect(raw.status).toBe(200);
    expect(raw.text).toBe("");
  });

  test("members that are not updatable are ignored, so a request with only those is an empty update (400)", async () => {
    const raw = await rawRequest(local, {
      method: "PATCH",
      path: "/jobs/upd",
      body: JSON.stringify({ targets: [things[1]], targetSelection: "CONTINUOUS", document: "{}" }),
    });
    expect(raw.status).toBe(400);
    expect(raw.headers.get("x-amzn-errortype")).toBe("InvalidRequestException");
    expect(raw.json.message).toContain("cannot be empty");
    const { job: j } = await iot.send(new DescribeJobCommand({ jobId: "upd" }));
    expect(j!.targets).toEqual([things[0]]);
    expect(j!.targetSelection).toBe("SNAPSHOT");
    await expectError(iot.send(new UpdateJobCommand({ jobId: "upd" })), InvalidRequestException, 400, "upd", "cannot be empty");
  });

  test("the retry count can only be lowered to 0, for failure types defined at creation", async () => {
    await expectError(
      iot.send(
        new UpdateJobCommand({ jobId: "upd", jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 2 }] } }),
      ),
      InvalidRequestException,
      400,
      "numberOfRetries",
      "only be set to 0",
    );
    await expectError(
      iot.send(
        new UpdateJobCommand({
          jobId: "upd",
          jobExecutionsRetryConfig: { criteriaList: [{ failureType: "TIMED_OUT", numberOfRetries: 0 }] },
        }),
      ),
      InvalidRequestException,
      400,
      "TIMED_OUT",
    );
    await job("no-retry");
    await expectError(
      iot.send(
        new UpdateJobCommand({
          jobId: "no-retry",
          jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 0 }] },
        }),
      ),
      InvalidRequestException,
      400,
      "retry",
    );
  });

  test("a job in a terminal status cannot be updated; an unknown job is a 404", async () => {
    await job("upd-canceled");
    await iot.send(new CancelJobCommand({ jobId: "upd-canceled" }));
    await expectError(
      iot.send(new UpdateJobCommand({ jobId: "upd-canceled", description: "x" })),
      InvalidRequestException,
      400,
      "Job upd-canceled in status CANCELED cannot be updated",
    );
    await expectError(
      iot.send(new UpdateJobCommand({ jobId: "upd-missing", description: "x" })),
      ResourceNotFoundException,
      404,
      "upd-missing",
    );
  });
});

describe("CancelJob", () => {
  test("without force: QUEUED executions are canceled, IN_PROGRESS ones keep running", async () => {
    await iot.send(new CreateJobCommand({ jobId: "cancel-soft", targets: [things[0], things[1]], document: DOC, description: "soft" }));
    await local.updateJobExecution({ thingName: "j-b", jobId: "cancel-soft", status: "IN_PROGRESS" });
    const out = await iot.send(new CancelJobCommand({ jobId: "cancel-soft", reasonCode: "OPERATOR_STOP", comment: "stop it" }));
    expect(out).toMatchObject({ jobId: "cancel-soft", jobArn: "arn:aws:iot:us-east-1:123456789012:job/cancel-soft", description: "soft" });
    const { job: j } = await iot.send(new DescribeJobCommand({ jobId: "cancel-soft" }));
    expect(j).toMatchObject({ status: "CANCELED", forceCanceled: false, reasonCode: "OPERATOR_STOP", comment: "stop it" });
    expect(j!.completedAt).toBeInstanceOf(Date);
    expect(await executionOf("j-a", "cancel-soft")).toMatchObject({ status: "CANCELED", forceCanceled: false });
    expect(await executionOf("j-b", "cancel-soft")).toMatchObject({ status: "IN_PROGRESS" });
    expect((await iot.send(new ListJobsCommand({ status: "CANCELED" }))).jobs!.map((x) => x.jobId)).toContain("cancel-soft");
  });

  test("with force: IN_PROGRESS executions are canceled too and marked forceCanceled", async () => {
    await iot.send(new CreateJobCommand({ jobId: "cancel-hard", targets: [things[0], things[1]], document: DOC }));
    await local.updateJobExecution({ thingName: "j-b", jobId: "cancel-hard", status: "IN_PROGRESS" });
    await iot.send(new CancelJobCommand({ jobId: "cancel-hard", force: true }));
    const { job: j } = await iot.send(new DescribeJobCommand({ jobId: "cancel-hard" }));
    expect(j).toMatchObject({ status: "CANCELED", forceCanceled: true });
    expect(await executionOf("j-a", "cancel-hard")).toMatchObject({ status: "CANCELED", forceCanceled: false });
    expect(await executionOf("j-b", "cancel-hard")).toMatchObject({ status: "CANCELED", forceCanceled: true });
  });

  test("a COMPLETED job cannot be canceled; canceling a CANCELED job again is accepted; unknown is a 404", async () => {
    await job("cancel-done");
    await local.updateJobExecution({ thingName: "j-a", jobId: "cancel-done", status: "SUCCEEDED" });
    expect(await statusOf("cancel-done")).toBe("COMPLETED");
    await expectError(iot.send(new CancelJobCommand({ jobId: "cancel-done" })), InvalidRequestException, 400, "COMPLETED");
    await iot.send(new CancelJobCommand({ jobId: "cancel-soft" }));
    expect(await statusOf("cancel-soft")).toBe("CANCELED");
    await expectError(iot.send(new CancelJobCommand({ jobId: "cancel-none" })), ResourceNotFoundException, 404, "cancel-none");
  });

  test("reasonCode must be upper case, digits and underscores", async () => {
    await job("cancel-bad-reason");
    await expectError(
      iot.send(new CancelJobCommand({ jobId: "cancel-bad-reason", reasonCode: "lower case" })),
      InvalidRequestException,
      400,
      "reasonCode",
    );
    expect(await statusOf("cancel-bad-reason")).toBe("IN_PROGRESS");
  });
});

describe("DeleteJob", () => {
  test("an IN_PROGRESS job needs force; a terminal one does not", async () => {
    await job("del-running");
    await expectError(
      iot.send(new DeleteJobCommand({ jobId: "del-running" })),
      InvalidStateTransitionException,
      409,
      "del-running",
      "IN_PROGRESS",
    );
    await iot.send(new DeleteJobCommand({ jobId: "del-running", force: true }));
    expect(await statusOf("del-running")).toBe("DELETION_IN_PROGRESS");

    await job("del-canceled");
    await iot.send(new CancelJobCommand({ jobId: "del-canceled" }));
    const raw = await rawRequest(local, { method: "DELETE", path: "/jobs/del-canceled" });
    expect(raw.status).toBe(200);
    expect(raw.text).toBe("");
  });

  test("deletion is asynchronous: DELETION_IN_PROGRESS for deletionDelayMs, then 404, then the id is free", async () => {
    await job("del-async", { tags: [{ Key: "k", Value: "v" }] });
    await iot.send(new DeleteJobCommand({ jobId: "del-async", force: true }));
    const { job: j } = await iot.send(new DescribeJobCommand({ jobId: "del-async" }));
    expect(j!.status).toBe("DELETION_IN_PROGRESS");
    expect((await iot.send(new ListJobsCommand({ status: "DELETION_IN_PROGRESS" }))).jobs!.map((x) => x.jobId)).toContain("del-async");
    // While it is being deleted: no second delete, no cancel, no update, no re-creation.
    await expectError(
      iot.send(new DeleteJobCommand({ jobId: "del-async", force: true })),
      InvalidStateTransitionException,
      409,
      "already being deleted",
    );
    await expectError(iot.send(new CancelJobCommand({ jobId: "del-async" })), InvalidRequestException, 400, "being deleted");
    await expectError(
      iot.send(new UpdateJobCommand({ jobId: "del-async", description: "x" })),
      InvalidRequestException,
      400,
      "DELETION_IN_PROGRESS",
    );
    await expectError(job("del-async"), ResourceAlreadyExistsException, 409, "del-async");

    local.advanceTime(60_000);
    await expectError(iot.send(new DescribeJobCommand({ jobId: "del-async" })), ResourceNotFoundException, 404, "del-async");
    await expectError(iot.send(new DescribeJobExecutionCommand({ thingName: "j-a", jobId: "del-async" })), ResourceNotFoundException, 404);
    await job("del-async", { description: "reborn" });
    const reborn = await iot.send(new DescribeJobCommand({ jobId: "del-async" }));
    expect(reborn.job).toMatchObject({ status: "IN_PROGRESS", description: "reborn" });
    expect(await executionOf("j-a", "del-async")).toMatchObject({ status: "QUEUED", executionNumber: 1 });
  });

  test("deletion completes in real time after deletionDelayMs", async () => {
    local.setDeletionDelay(30);
    try {
      await job("del-realtime");
      await iot.send(new DeleteJobCommand({ jobId: "del-realtime", force: true }));
      await eventually(
        () =>
          iot.send(new DescribeJobCommand({ jobId: "del-realtime" })).then(
            () => false,
            (e) => e instanceof ResourceNotFoundException,
          ),
        "del-realtime to disappear",
      );
    } finally {
      local.setDeletionDelay(60_000);
    }
  });

  test("an unknown job is a 404", async () => {
    await expectError(iot.send(new DeleteJobCommand({ jobId: "del-none", force: true })), ResourceNotFoundException, 404, "del-none");
  });
});

describe("the 10-concurrent-deletions limit", () => {
  let lim: LocalIoT;
  let client: IoTClient;
  let thing: string;
  beforeAll(async () => {
    lim = await startLocalIoT({ deletionDelayMs: 60_000 });
    client = iotClient(lim, { maxAttempts: 1 });
    thing = (await createThings(client, ["lim-thing"])).thingArns[0];
    for (let i = 0; i < 12; i++) {
      await client.send(new CreateJobCommand({ jobId: `lim-${i}`, targets: [thing], document: DOC }));
    }
  });
  afterAll(() => lim.stop());

  test("the 11th concurrent deletion is a 410 LimitExceededException; the SDK retries it and recovers once a slot frees", async () => {
    for (let i = 0; i < 10; i++) await client.send(new DeleteJobCommand({ jobId: `lim-${i}`, force: true }));
    expect(lim.stats().peakDeletionsInProgress).toBe(10);
    await expectError(
      client.send(new DeleteJobCommand({ jobId: "lim-10", force: true })),
      LimitExceededException,
      410,
      "10 jobs are already in DELETION_IN_PROGRESS",
    );
    expect(await client.send(new DescribeJobCommand({ jobId: "lim-10" })).then((o) => o.job!.status)).toBe("IN_PROGRESS");

    // The SDK classifies LimitExceededException as throttling and retries it.
    const retrying = iotClient(lim, { maxAttempts: 6 });
    const refusals = () => lim.stats().byOperation.DeleteJob.errors.LimitExceededException ?? 0;
    const seen = refusals();
    const pending = retrying.send(new DeleteJobCommand({ jobId: "lim-10", force: true }));
    await eventually(() => refusals() > seen, "the first refused attempt");
    lim.advanceTime(60_000); // the ten deletions finish, freeing every slot
    const out = await pending;
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.attempts).toBeGreaterThan(1);
    expect(await client.send(new DescribeJobCommand({ jobId: "lim-10" })).then((o) => o.job!.status)).toBe("DELETION_IN_PROGRESS");
    expect(lim.stats().peakDeletionsInProgress).toBe(10);
  });

  test("resetStats() restarts the peak from the deletions in progress now", async () => {
    lim.resetStats();
    expect(lim.stats().peakDeletionsInProgress).toBe(1);
    await client.send(new DeleteJobCommand({ jobId: "lim-11", force: true }));
    expect(lim.stats().peakDeletionsInProgress).toBe(2);
  });
});

describe("ListJobs", () => {
  test("filters by status, targetSelection, thing group name and id; summaries have the documented members", async () => {
    await iot.send(new CreateJobCommand({ jobId: "list-group", targets: [groupArn], document: DOC, targetSelection: "CONTINUOUS" }));
    const byGroup = await iot.send(new ListJobsCommand({ thingGroupName: "j-group" }));
    expect(byGroup.jobs!.map((j) => j.jobId)).toContain("list-group");
    expect(byGroup.jobs!.map((j) => j.jobId)).not.toContain("twice");
    const summary = byGroup.jobs!.find((j) => j.jobId === "list-group")!;
    expect(summary).toMatchObject({ targetSelection: "CONTINUOUS", status: "IN_PROGRESS", isConcurrent: false });
    expect(summary.thingGroupId).toMatch(/[0-9a-f-]{36}/);
    expect(summary.createdAt).toBeInstanceOf(Date);
    const byGroupId = await iot.send(new ListJobsCommand({ thingGroupId: summary.thingGroupId }));
    expect(byGroupId.jobs!.map((j) => j.jobId)).toEqual(byGroup.jobs!.map((j) => j.jobId));

    const continuous = await iot.send(new ListJobsCommand({ targetSelection: "CONTINUOUS" }));
    expect(continuous.jobs!.every((j) => j.targetSelection === "CONTINUOUS")).toBe(true);
    const inProgress = await iot.send(new ListJobsCommand({ status: "IN_PROGRESS" }));
    expect(inProgress.jobs!.every((j) => j.status === "IN_PROGRESS")).toBe(true);

    await expectError(iot.send(new ListJobsCommand({ thingGroupName: "no-such-group" })), ResourceNotFoundException, 404, "no-such-group");
    await expectError(iot.send(new ListJobsCommand({ status: "RUNNING" as any })), InvalidRequestException, 400, "status", "IN_PROGRESS");
  });

  test("namespaceId is stored from the CreateJob body and filters ListJobs (query)", async () => {
    await job("ns-job", { namespaceId: "greengrass" });
    expect((await iot.send(new DescribeJobCommand({ jobId: "ns-job" }))).job!.namespaceId).toBe("greengrass");
    const listed = await iot.send(new ListJobsCommand({ namespaceId: "greengrass" }));
    expect(listed.jobs!.map((j) => j.jobId)).toEqual(["ns-job"]);
  });
});
