import {
  AddThingToThingGroupCommand,
  CancelJobExecutionCommand,
  CreateJobCommand,
  CreateThingCommand,
  DeleteJobExecutionCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  InvalidRequestException,
  InvalidStateTransitionException,
  ListJobExecutionsForJobCommand,
  ListJobExecutionsForThingCommand,
  RemoveThingFromThingGroupCommand,
  ResourceNotFoundException,
  VersionConflictException,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { DOC, createThings, expectError, iotClient, rawRequest } from "./helpers.ts";

let local: LocalIoT;
let iot: IoTClient;
let arns: Record<string, string>;
let groupArn: string;
beforeAll(async () => {
  local = await startLocalIoT({ port: 0 });
  iot = iotClient(local);
  const names = ["e1", "e2", "e3", "e4"];
  const created = await createThings(iot, names, "fleet");
  arns = Object.fromEntries(names.map((n, i) => [n, created.thingArns[i]]));
  groupArn = created.groupArn!;
});
afterAll(() => local.stop());

const describeExecution = async (thingName: string, jobId: string, executionNumber?: number) =>
  (await iot.send(new DescribeJobExecutionCommand({ thingName, jobId, executionNumber }))).execution!;
const jobOf = async (jobId: string) => (await iot.send(new DescribeJobCommand({ jobId }))).job!;
const device = (thingName: string, jobId: string, status: "IN_PROGRESS" | "SUCCEEDED" | "FAILED" | "REJECTED") =>
  local.updateJobExecution({ thingName, jobId, status });

describe("DescribeJobExecution / ListJobExecutionsForJob / ListJobExecutionsForThing", () => {
  beforeAll(async () => {
    await iot.send(
      new CreateJobCommand({
        jobId: "exec",
        targets: [arns.e1, arns.e2],
        document: DOC,
        timeoutConfig: { inProgressTimeoutInMinutes: 10 },
      }),
    );
  });

  test("a queued execution has every documented member", async () => {
    const e = await describeExecution("e1", "exec");
    expect(e).toMatchObject({
      jobId: "exec",
      status: "QUEUED",
      forceCanceled: false,
      statusDetails: { detailsMap: {} },
      thingArn: arns.e1,
      executionNumber: 1,
      versionNumber: 1,
    });
    expect(e.queuedAt).toBeInstanceOf(Date);
    expect(e.lastUpdatedAt).toBeInstanceOf(Date);
    expect(e.startedAt).toBeUndefined();
    expect(e.approximateSecondsBeforeTimedOut).toBeUndefined();
  });

  test("a device moving it to IN_PROGRESS sets startedAt, the version and the timeout countdown", async () => {
    await local.updateJobExecution({ thingName: "e1", jobId: "exec", status: "IN_PROGRESS", statusDetails: { step: "download" } });
    const e = await describeExecution("e1", "exec");
    expect(e).toMatchObject({ status: "IN_PROGRESS", versionNumber: 2, statusDetails: { detailsMap: { step: "download" } } });
    expect(e.startedAt).toBeInstanceOf(Date);
    expect(e.approximateSecondsBeforeTimedOut).toBeGreaterThan(0);
    expect(e.approximateSecondsBeforeTimedOut).toBeLessThanOrEqual(600);
    expect((await describeExecution("e1", "exec", 1)).status).toBe("IN_PROGRESS");
  });

  test("unknown thing, job or execution number is a 404", async () => {
    await expectError(
      iot.send(new DescribeJobExecutionCommand({ thingName: "e3", jobId: "exec" })),
      ResourceNotFoundException,
      404,
      "e3",
      "exec",
    );
    await expectError(
      iot.send(new DescribeJobExecutionCommand({ thingName: "e1", jobId: "exec", executionNumber: 9 })),
      ResourceNotFoundException,
      404,
      "execution number 9",
    );
    await expectError(iot.send(new ListJobExecutionsForJobCommand({ jobId: "no-job" })), ResourceNotFoundException, 404, "no-job");
    await expectError(
      iot.send(new ListJobExecutionsForThingCommand({ thingName: "no-thing" })),
      ResourceNotFoundException,
      404,
      "no-thing",
    );
  });

  test("ListJobExecutionsForJob lists summaries and filters by status", async () => {
    const all = await iot.send(new ListJobExecutionsForJobCommand({ jobId: "exec" }));
    expect(all.executionSummaries).toHaveLength(2);
    const first = all.executionSummaries!.find((s) => s.thingArn === arns.e1)!;
    expect(first.jobExecutionSummary).toMatchObject({ status: "IN_PROGRESS", executionNumber: 1, retryAttempt: 0 });
    expect(first.jobExecutionSummary!.startedAt).toBeInstanceOf(Date);
    const queued = await iot.send(new ListJobExecutionsForJobCommand({ jobId: "exec", status: "QUEUED" }));
    expect(queued.executionSummaries!.map((s) => s.thingArn)).toEqual([arns.e2]);
    await expectError(
      iot.send(new ListJobExecutionsForJobCommand({ jobId: "exec", status: "DONE" as any })),
      InvalidRequestException,
      400,
      "'status'",
    );
  });

  test("ListJobExecutionsForThing lists the thing's executions and filters by status and jobId", async () => {
    await iot.send(new CreateJobCommand({ jobId: "exec-other", targets: [arns.e1], document: DOC }));
    const all = await iot.send(new ListJobExecutionsForThingCommand({ thingName: "e1" }));
    expect(all.executionSummaries!.map((s) => s.jobId).sort()).toEqual(["exec", "exec-other"]);
    expect(all.executionSummaries!.find((s) => s.jobId === "exec")!.jobExecutionSummary).toMatchObject({ status: "IN_PROGRESS" });
    const queued = await iot.send(new ListJobExecutionsForThingCommand({ thingName: "e1", status: "QUEUED" }));
    expect(queued.executionSummaries!.map((s) => s.jobId)).toEqual(["exec-other"]);
    const one = await iot.send(new ListJobExecutionsForThingCommand({ thingName: "e1", jobId: "exec" }));
    expect(one.executionSummaries!.map((s) => s.jobId)).toEqual(["exec"]);
  });
});

describe("CancelJobExecution", () => {
  beforeAll(async () => {
    await iot.send(new CreateJobCommand({ jobId: "cx", targets: [arns.e1, arns.e2, arns.e3], document: DOC }));
  });

  test("cancels a QUEUED execution and stores statusDetails; the response is empty", async () => {
    const raw = await rawRequest(local, {
      method: "PUT",
      path: "/things/e1/jobs/cx/cancel",
      body: JSON.stringify({ expectedVersion: 1, statusDetails: { why: "operator" } }),
    });
    expect(raw.status).toBe(200);
    expect(raw.text).toBe("");
    expect(await describeExecution("e1", "cx")).toMatchObject({
      status: "CANCELED",
      forceCanceled: false,
      versionNumber: 2,
      statusDetails: { detailsMap: { why: "operator" } },
    });
  });

  test("a version mismatch is a 409 VersionConflictException", async () => {
    await expectError(
      iot.send(new CancelJobExecutionCommand({ thingName: "e2", jobId: "cx", expectedVersion: 7 })),
      VersionConflictException,
      409,
      "expected version 7",
    );
    expect((await describeExecution("e2", "cx")).status).toBe("QUEUED");
  });

  test("an IN_PROGRESS execution needs force; with force it is canceled and marked forceCanceled", async () => {
    await device("e2", "cx", "IN_PROGRESS");
    await expectError(
      iot.send(new CancelJobExecutionCommand({ thingName: "e2", jobId: "cx" })),
      InvalidStateTransitionException,
      409,
      "IN_PROGRESS",
      "force",
    );
    await iot.send(new CancelJobExecutionCommand({ thingName: "e2", jobId: "cx", force: true }));
    expect(await describeExecution("e2", "cx")).toMatchObject({ status: "CANCELED", forceCanceled: true, versionNumber: 3 });
  });

  test("a terminal execution cannot be canceled; an unknown one is a 404", async () => {
    await expectError(
      iot.send(new CancelJobExecutionCommand({ thingName: "e1", jobId: "cx", force: true })),
      InvalidStateTransitionException,
      409,
      "CANCELED",
    );
    await expectError(iot.send(new CancelJobExecutionCommand({ thingName: "e4", jobId: "cx" })), ResourceNotFoundException, 404, "e4");
  });

  test("statusDetails is limited to 10 entries with valid keys", async () => {
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, "v"]));
    await expectError(
      iot.send(new CancelJobExecutionCommand({ thingName: "e3", jobId: "cx", statusDetails: eleven })),
      InvalidRequestException,
      400,
      "statusDetails",
      "10",
    );
    await expectError(
      iot.send(new CancelJobExecutionCommand({ thingName: "e3", jobId: "cx", statusDetails: { "bad key": "v" } })),
      InvalidRequestException,
      400,
      "statusDetails",
    );
  });

  test("the job completes once every execution is terminal", async () => {
    expect((await jobOf("cx")).status).toBe("IN_PROGRESS");
    await iot.send(new CancelJobExecutionCommand({ thingName: "e3", jobId: "cx" }));
    const j = await jobOf("cx");
    expect(j.status).toBe("COMPLETED");
    expect(j.jobProcessDetails).toMatchObject({ numberOfCanceledThings: 3, numberOfQueuedThings: 0 });
  });
});

describe("DeleteJobExecution", () => {
  beforeAll(async () => {
    await iot.send(new CreateJobCommand({ jobId: "dx", targets: [arns.e1, arns.e2], document: DOC, targetSelection: "CONTINUOUS" }));
  });

  test("a non-terminal execution needs force (even QUEUED, per the API reference)", async () => {
    await expectError(
      iot.send(new DeleteJobExecutionCommand({ thingName: "e1", jobId: "dx", executionNumber: 1 })),
      InvalidStateTransitionException,
      409,
      "QUEUED",
      "force",
    );
    await device("e2", "dx", "IN_PROGRESS");
    const out = await iot.send(new DeleteJobExecutionCommand({ thingName: "e2", jobId: "dx", executionNumber: 1, force: true }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    await expectError(iot.send(new DescribeJobExecutionCommand({ thingName: "e2", jobId: "dx" })), ResourceNotFoundException, 404);
  });

  test("a terminal execution is deleted without force; an unknown execution number is a 404", async () => {
    await device("e1", "dx", "SUCCEEDED");
    await iot.send(new DeleteJobExecutionCommand({ thingName: "e1", jobId: "dx", executionNumber: 1 }));
    await expectError(
      iot.send(new DeleteJobExecutionCommand({ thingName: "e1", jobId: "dx", executionNumber: 1 })),
      ResourceNotFoundException,
      404,
      "execution number 1",
    );
    expect((await iot.send(new ListJobExecutionsForJobCommand({ jobId: "dx" }))).executionSummaries).toEqual([]);
  });
});

describe("device simulation", () => {
  test("the admin route POST /_local/devices/{thing}/jobs/{job} moves an execution when SigV4-signed for iot", async () => {
    await iot.send(new CreateJobCommand({ jobId: "admin", targets: [arns.e1], document: DOC }));
    const res = await rawRequest(local, {
      method: "POST",
      path: "/_local/devices/e1/jobs/admin",
      body: JSON.stringify({ status: "IN_PROGRESS", statusDetails: { progress: "50" } }),
    });
    expect(res.status).toBe(200);
    expect(await describeExecution("e1", "admin")).toMatchObject({
      status: "IN_PROGRESS",
      statusDetails: { detailsMap: { progress: "50" } },
    });

    const done = await rawRequest(local, {
      method: "POST",
      path: "/_local/devices/e1/jobs/admin",
      body: JSON.stringify({ status: "SUCCEEDED" }),
    });
    expect(done.status).toBe(200);
    expect((await jobOf("admin")).status).toBe("COMPLETED");
    // Admin routes are not API calls.
    expect(local.stats().byOperation).not.toHaveProperty("/_local/devices");
  });

  test("the admin route refuses unsigned requests, bad statuses, terminal executions and unknown jobs", async () => {
    await iot.send(new CreateJobCommand({ jobId: "admin-2", targets: [arns.e1], document: DOC }));
    const unsigned = await rawRequest(local, {
      method: "POST",
      path: "/_local/devices/e1/jobs/admin-2",
      body: JSON.stringify({ status: "SUCCEEDED" }),
      unsigned: true,
    });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
    const wrongService = await rawRequest(local, {
      method: "POST",
      path: "/_local/devices/e1/jobs/admin-2",
      body: JSON.stringify({ status: "SUCCEEDED" }),
      service: "s3",
    });
    expect(wrongService.status).toBe(403);
    expect(wrongService.headers.get("x-amzn-errortype")).toBe("InvalidSignatureException");
    const badStatus = await rawRequest(local, {
      method: "POST",
      path: "/_local/devices/e1/jobs/admin-2",
      body: JSON.stringify({ status: "TIMED_OUT" }),
    });
    expect(badStatus.status).toBe(400);
    expect(badStatus.json.message).toContain("status");
    const missingJob = await rawRequest(local, {
      method: "POST",
      path: "/_local/devices/e1/jobs/nope",
      body: JSON.stringify({ status: "SUCCEEDED" }),
    });
    expect(missingJob.status).toBe(404);
    expect((await describeExecution("e1", "admin-2")).status).toBe("QUEUED");
    await expect(local.updateJobExecution({ thingName: "e1", jobId: "admin", status: "FAILED" })).rejects.toMatchObject({
      code: "InvalidStateTransitionException",
    });
  });

  test("a SNAPSHOT job reaches COMPLETED when all its executions are terminal, with counts per status", async () => {
    await iot.send(new CreateJobCommand({ jobId: "snap", targets: [groupArn], document: DOC }));
    await device("e1", "snap", "SUCCEEDED");
    await device("e2", "snap", "FAILED");
    await device("e3", "snap", "REJECTED");
    expect((await jobOf("snap")).status).toBe("IN_PROGRESS");
    await device("e4", "snap", "IN_PROGRESS");
    await device("e4", "snap", "SUCCEEDED");
    const j = await jobOf("snap");
    expect(j.status).toBe("COMPLETED");
    expect(j.completedAt).toBeInstanceOf(Date);
    expect(j.jobProcessDetails).toMatchObject({
      numberOfSucceededThings: 2,
      numberOfFailedThings: 1,
      numberOfRejectedThings: 1,
      numberOfQueuedThings: 0,
      numberOfInProgressThings: 0,
    });
  });

  test("abort criteria cancel the job once the failure threshold is crossed", async () => {
    await iot.send(
      new CreateJobCommand({
        jobId: "abort",
        targets: [groupArn],
        document: DOC,
        abortConfig: {
          criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 50, minNumberOfExecutedThings: 2 }],
        },
      }),
    );
    await device("e1", "abort", "FAILED");
    expect((await jobOf("abort")).status).toBe("IN_PROGRESS"); // only 1 executed thing so far
    await device("e2", "abort", "FAILED");
    const j = await jobOf("abort");
    expect(j).toMatchObject({ status: "CANCELED", reasonCode: "FAILED_THRESHOLD_EXCEEDED" });
    expect(j.comment).toContain("2 of 2");
    expect((await describeExecution("e3", "abort")).status).toBe("CANCELED");
  });

  test("a threshold of 0 aborts on the first failure, not before: an abort is initiated by failures", async () => {
    await iot.send(
      new CreateJobCommand({
        jobId: "zero",
        targets: [groupArn],
        document: DOC,
        abortConfig: { criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 0, minNumberOfExecutedThings: 1 }] },
      }),
    );
    await device("e1", "zero", "SUCCEEDED");
    await device("e2", "zero", "SUCCEEDED");
    expect((await jobOf("zero")).status).toBe("IN_PROGRESS"); // 0 % failed of 2: no failure has occurred
    await device("e3", "zero", "FAILED");
    expect(await jobOf("zero")).toMatchObject({ status: "CANCELED", reasonCode: "FAILED_THRESHOLD_EXCEEDED" });
  });
});

describe("CONTINUOUS jobs", () => {
  test("reach things added to the target group later, and never complete on their own", async () => {
    await iot.send(new CreateJobCommand({ jobId: "cont", targets: [groupArn], document: DOC, targetSelection: "CONTINUOUS" }));
    for (const t of ["e1", "e2", "e3", "e4"]) await device(t, "cont", "SUCCEEDED");
    expect((await jobOf("cont")).status).toBe("IN_PROGRESS");

    await iot.send(new CreateThingCommand({ thingName: "late" }));
    await expectError(iot.send(new DescribeJobExecutionCommand({ thingName: "late", jobId: "cont" })), ResourceNotFoundException, 404);
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: "fleet", thingName: "late" }));
    expect(await describeExecution("late", "cont")).toMatchObject({ status: "QUEUED", executionNumber: 1 });

    // Leaving the group removes a queued execution; re-joining queues the next execution number.
    await iot.send(new RemoveThingFromThingGroupCommand({ thingGroupName: "fleet", thingName: "late" }));
    expect((await describeExecution("late", "cont")).status).toBe("REMOVED");
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: "fleet", thingName: "late" }));
    expect(await describeExecution("late", "cont")).toMatchObject({ status: "QUEUED", executionNumber: 2 });
    expect((await describeExecution("late", "cont", 1)).status).toBe("REMOVED");
  });

  test("a SNAPSHOT job does not reach things added later", async () => {
    await iot.send(new CreateJobCommand({ jobId: "snap-only", targets: [groupArn], document: DOC }));
    await iot.send(new CreateThingCommand({ thingName: "later-still" }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: "fleet", thingName: "later-still" }));
    await expectError(
      iot.send(new DescribeJobExecutionCommand({ thingName: "later-still", jobId: "snap-only" })),
      ResourceNotFoundException,
      404,
    );
  });
});
