/**
 * DescribeJobExecution, ListJobExecutionsForJob, ListJobExecutionsForThing,
 * CancelJobExecution, DeleteJobExecution, and the device side
 * (`updateJobExecution`) that tests use to act as a device.
 */
import { ENUMS, LISTS, STRINGS, type JobExecutionStatus } from "../../api/constraints.ts";
import * as check from "../account/checks.ts";
import { IoTError, invalid, notFound } from "../errors.ts";
import { requireJob } from "../account/jobs.ts";
import type { ExecutionRecord, JsonObject } from "../state/store.ts";
import { isTerminal, type World } from "../state/world.ts";
import { compact, type Handler } from "./handler.ts";

function parseLong(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw invalid(`'${name}' must be a whole number.`);
  return Number(value);
}

function findExecution(world: World, thingName: string, jobId: string, executionNumber?: number): ExecutionRecord {
  const list = world.executionsOf(jobId, thingName);
  const execution =
    executionNumber === undefined
      ? list[list.length - 1]
      : list.find((e) => e.executionNumber === executionNumber);
  if (!execution) {
    throw notFound(
      `Job execution of job ${jobId} on thing ${thingName}${executionNumber === undefined ? "" : ` (execution number ${executionNumber})`} cannot be found.`,
    );
  }
  return execution;
}

function summary(e: ExecutionRecord): JsonObject {
  return compact({
    status: e.status,
    queuedAt: e.queuedAt,
    startedAt: e.startedAt,
    lastUpdatedAt: e.lastUpdatedAt,
    executionNumber: e.executionNumber,
    retryAttempt: e.retryAttempt,
  });
}

export const describeJobExecution: Handler = (world, { params, query }) => {
  const thingName = check.str("thingName", params.thingName, STRINGS.thingName, { required: true })!;
  const jobId = check.str("jobId", params.jobId, STRINGS.jobId, { required: true })!;
  const e = findExecution(world, thingName, jobId, parseLong("executionNumber", query.executionNumber));
  const job = world.tables.jobs.get(jobId);
  const timeout = Number(job?.timeoutConfig?.inProgressTimeoutInMinutes ?? 0);
  // The timer set when the execution started (timeoutConfig of that moment); else the job's current one.
  const timesOutAtMs =
    e.timeoutAtMs ?? (timeout > 0 && e.startedAt !== undefined ? e.startedAt * 1000 + timeout * 60_000 : undefined);
  return {
    execution: compact({
      jobId: e.jobId,
      status: e.status,
      forceCanceled: e.forceCanceled ?? false,
      statusDetails: { detailsMap: e.statusDetails ?? {} },
      thingArn: e.thingArn,
      queuedAt: e.queuedAt,
      startedAt: e.startedAt,
      lastUpdatedAt: e.lastUpdatedAt,
      executionNumber: e.executionNumber,
      versionNumber: e.versionNumber,
      approximateSecondsBeforeTimedOut:
        e.status === "IN_PROGRESS" && timesOutAtMs !== undefined
          ? Math.max(0, Math.round((timesOutAtMs - world.nowMs()) / 1000))
          : undefined,
    }),
  };
};

export const listJobExecutionsForJob: Handler = (world, { params, query }) => {
  const jobId = check.str("jobId", params.jobId, STRINGS.jobId, { required: true })!;
  const status = check.oneOf("status", query.status, ENUMS.jobExecutionStatus);
  const maxResults = check.maxResults(query.maxResults);
  requireJob(world, jobId);
  const items = world
    .jobExecutions(jobId)
    .filter((e) => status === undefined || e.status === status)
    .sort((a, b) => a.queuedAt - b.queuedAt || a.thingName.localeCompare(b.thingName))
    .map((e, i) => ({ seq: i + 1, e }));
  const page = world.paginate("ListJobExecutionsForJob", items, {
    nextToken: query.nextToken,
    maxResults,
    filter: `${jobId}|${status ?? ""}`,
  });
  return compact({
    executionSummaries: page.items.map(({ e }) => ({ thingArn: e.thingArn, jobExecutionSummary: summary(e) })),
    nextToken: page.nextToken,
  });
};

export const listJobExecutionsForThing: Handler = (world, { params, query }) => {
  const thingName = check.str("thingName", params.thingName, STRINGS.thingName, { required: true })!;
  const status = check.oneOf("status", query.status, ENUMS.jobExecutionStatus);
  const jobId = check.str("jobId", query.jobId, STRINGS.jobId);
  const namespaceId = check.str("namespaceId", query.namespaceId, STRINGS.namespaceId);
  const maxResults = check.maxResults(query.maxResults);
  if (!world.tables.things.has(thingName)) throw notFound(`Thing ${thingName} cannot be found.`);
  const items: Array<{ seq: number; e: ExecutionRecord }> = [];
  for (const [key, list] of world.tables.executions) {
    const e = list[list.length - 1];
    if (!e || !key.endsWith(`/${thingName}`) || e.thingName !== thingName) continue;
    if (jobId !== undefined && e.jobId !== jobId) continue;
    if (status !== undefined && e.status !== status) continue;
    if (namespaceId !== undefined && world.tables.jobs.get(e.jobId)?.namespaceId !== namespaceId) continue;
    items.push({ seq: 0, e });
  }
  items.sort((a, b) => a.e.queuedAt - b.e.queuedAt || a.e.jobId.localeCompare(b.e.jobId));
  items.forEach((item, i) => (item.seq = i + 1));
  const page = world.paginate("ListJobExecutionsForThing", items, {
    nextToken: query.nextToken,
    maxResults,
    filter: JSON.stringify([thingName, status, jobId, namespaceId]),
  });
  return compact({
    executionSummaries: page.items.map(({ e }) => ({ jobId: e.jobId, jobExecutionSummary: summary(e) })),
    nextToken: page.nextToken,
  });
};

export const cancelJobExecution: Handler = (world, { params, query, body }) => {
  const thingName = check.str("thingName", params.thingName, STRINGS.thingName, { required: true })!;
  const jobId = check.str("jobId", params.jobId, STRINGS.jobId, { required: true })!;
  const force = check.bool("force", query.force) ?? false;
  const expectedVersion = check.num("expectedVersion", body.expectedVersion, { min: 0, integer: true });
  const statusDetails = check.stringMap(
    "statusDetails",
    body.statusDetails,
    STRINGS.statusDetailsKey,
    STRINGS.statusDetailsValue,
    LISTS.statusDetails.max,
  );
  const e = findExecution(world, thingName, jobId);
  if (expectedVersion !== undefined && expectedVersion !== e.versionNumber) {
    throw new IoTError(
      "VersionConflictException",
      `The expected version ${expectedVersion} does not match the execution's version ${e.versionNumber}.`,
    );
  }
  if (isTerminal(e.status)) {
    throw new IoTError("InvalidStateTransitionException", `Job execution in status ${e.status} cannot be canceled.`);
  }
  if (e.status === "IN_PROGRESS" && !force) {
    throw new IoTError(
      "InvalidStateTransitionException",
      "Job execution is IN_PROGRESS; set force to cancel an execution that is in progress.",
    );
  }
  world.setExecutionStatus(e, "CANCELED", { forceCanceled: force && e.status === "IN_PROGRESS", statusDetails });
  return undefined;
};

export const deleteJobExecution: Handler = (world, { params, query }) => {
  const thingName = check.str("thingName", params.thingName, STRINGS.thingName, { required: true })!;
  const jobId = check.str("jobId", params.jobId, STRINGS.jobId, { required: true })!;
  const executionNumber = parseLong("executionNumber", params.executionNumber)!;
  const force = check.bool("force", query.force) ?? false;
  check.str("namespaceId", query.namespaceId, STRINGS.namespaceId);
  const e = findExecution(world, thingName, jobId, executionNumber);
  if (!isTerminal(e.status) && !force) {
    throw new IoTError(
      "InvalidStateTransitionException",
      `Job execution in status ${e.status} can only be deleted with force.`,
    );
  }
  world.removeExecution(e);
  return undefined;
};

/** Statuses a device may report (the device data plane's UpdateJobExecution). */
export const DEVICE_STATUSES = ["IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED"] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/**
 * Acts as a device: moves the thing's latest execution of a job to a status a
 * device may report. Not an AWS control-plane operation.
 */
export function updateJobExecution(
  world: World,
  request: { thingName: string; jobId: string; status: DeviceStatus; statusDetails?: Record<string, string> },
): JsonObject {
  const { thingName, jobId } = request;
  const status = check.oneOf("status", request.status, DEVICE_STATUSES, { required: true }) as JobExecutionStatus;
  const statusDetails = check.stringMap(
    "statusDetails",
    request.statusDetails,
    STRINGS.statusDetailsKey,
    STRINGS.statusDetailsValue,
    LISTS.statusDetails.max,
  );
  const job = world.tables.jobs.get(jobId);
  if (!job) throw notFound(`Job ${jobId} cannot be found.`);
  const e = findExecution(world, thingName, jobId);
  if (isTerminal(e.status)) {
    throw new IoTError("InvalidStateTransitionException", `Job execution in status ${e.status} cannot be updated.`);
  }
  world.setExecutionStatus(e, status, { statusDetails });
  return { status: e.status, versionNumber: e.versionNumber, executionNumber: e.executionNumber };
}
