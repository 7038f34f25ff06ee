/**
 * The account's job executions: what DescribeJobExecution,
 * ListJobExecutionsForJob, ListJobExecutionsForThing, CancelJobExecution and
 * DeleteJobExecution check, read and change (requests and answers:
 * operations/executions.ts), and the device side (`updateJobExecution`) that
 * tests use to act as a device.
 */
import { ENUMS, LISTS, STRINGS, type JobExecutionStatus } from "../../api/constraints.ts";
import { IoTError, notFound } from "../errors.ts";
import { pageByPosition, type Page } from "../state/pagination.ts";
import type { ExecutionRecord } from "../state/store.ts";
import { isTerminal, type World } from "../state/world.ts";
import * as check from "./checks.ts";
import { requireJob } from "./jobs.ts";

function findExecution(world: World, thingName: string, jobId: string, executionNumber?: number): ExecutionRecord {
  const list = world.executionsOf(jobId, thingName);
  const execution = executionNumber === undefined ? list[list.length - 1] : list.find((e) => e.executionNumber === executionNumber);
  if (!execution) {
    throw notFound(
      `Job execution of job ${jobId} on thing ${thingName}${executionNumber === undefined ? "" : ` (execution number ${executionNumber})`} cannot be found.`,
    );
  }
  return execution;
}

/** An execution, with the seconds left before its in-progress timer runs out (while IN_PROGRESS under a timeout). */
export interface ExecutionView {
  execution: ExecutionRecord;
  secondsBeforeTimedOut?: number;
}

export function describeJobExecution(world: World, input: { thingName: string; jobId: string; executionNumber?: number }): ExecutionView {
  const thingName = check.str("thingName", input.thingName, STRINGS.thingName, { required: true })!;
  const jobId = check.str("jobId", input.jobId, STRINGS.jobId, { required: true })!;
  const e = findExecution(world, thingName, jobId, input.executionNumber);
  const job = world.tables.jobs.get(jobId);
  const timeout = Number(job?.timeoutConfig?.inProgressTimeoutInMinutes ?? 0);
  // The timer set when the execution started (timeoutConfig of that moment); else the job's current one.
  const timesOutAtMs = e.timeoutAtMs ?? (timeout > 0 && e.startedAt !== undefined ? e.startedAt * 1000 + timeout * 60_000 : undefined);
  return {
    execution: e,
    secondsBeforeTimedOut:
      e.status === "IN_PROGRESS" && timesOutAtMs !== undefined ? Math.max(0, Math.round((timesOutAtMs - world.nowMs()) / 1000)) : undefined,
  };
}

/** The latest execution on each thing, oldest queued first. */
export function listJobExecutionsForJob(
  world: World,
  input: { jobId: string; status?: JobExecutionStatus; maxResults?: number; nextToken?: string },
): Page<ExecutionRecord> {
  const jobId = check.str("jobId", input.jobId, STRINGS.jobId, { required: true })!;
  const status = check.oneOf("status", input.status, ENUMS.jobExecutionStatus);
  const maxResults = check.pageSize(input.maxResults);
  requireJob(world, jobId);
  // Kept sorted between requests (state/execution-order.ts): a page costs its items, not the job's executions.
  return pageByPosition("ListJobExecutionsForJob", world.executionOrder.list(jobId, status), {
    nextToken: input.nextToken,
    maxResults,
    filter: `${jobId}|${status ?? ""}`,
  });
}

/** The thing's latest execution of each job, oldest queued first. */
export function listJobExecutionsForThing(
  world: World,
  input: { thingName: string; status?: JobExecutionStatus; jobId?: string; namespaceId?: string; maxResults?: number; nextToken?: string },
): Page<ExecutionRecord> {
  const thingName = check.str("thingName", input.thingName, STRINGS.thingName, { required: true })!;
  const status = check.oneOf("status", input.status, ENUMS.jobExecutionStatus);
  const jobId = check.str("jobId", input.jobId, STRINGS.jobId);
  const namespaceId = check.str("namespaceId", input.namespaceId, STRINGS.namespaceId);
  const maxResults = check.pageSize(input.maxResults);
  if (!world.tables.things.has(thingName)) throw notFound(`Thing ${thingName} cannot be found.`);
  const items: Array<{ seq: number; e: ExecutionRecord }> = [];
  for (const [job, byThing] of world.tables.executions) {
    if (jobId !== undefined && job !== jobId) continue;
    const list = byThing.get(thingName);
    const e = list?.[list.length - 1];
    if (!e) continue;
    if (status !== undefined && e.status !== status) continue;
    if (namespaceId !== undefined && world.tables.jobs.get(e.jobId)?.namespaceId !== namespaceId) continue;
    items.push({ seq: 0, e });
  }
  items.sort((a, b) => a.e.queuedAt - b.e.queuedAt || a.e.jobId.localeCompare(b.e.jobId));
  items.forEach((item, i) => (item.seq = i + 1));
  const page = world.paginate("ListJobExecutionsForThing", items, {
    nextToken: input.nextToken,
    maxResults,
    filter: JSON.stringify([thingName, status, jobId, namespaceId]),
  });
  return { items: page.items.map(({ e }) => e), nextToken: page.nextToken };
}

export interface CancelJobExecutionInput {
  thingName: string;
  jobId: string;
  force?: boolean;
  expectedVersion?: number;
  statusDetails?: Record<string, string>;
}

export function cancelJobExecution(world: World, input: CancelJobExecutionInput): void {
  const thingName = check.str("thingName", input.thingName, STRINGS.thingName, { required: true })!;
  const jobId = check.str("jobId", input.jobId, STRINGS.jobId, { required: true })!;
  const force = input.force ?? false;
  const expectedVersion = check.num("expectedVersion", input.expectedVersion, { min: 0, integer: true });
  const statusDetails = check.stringMap(
    "statusDetails",
    input.statusDetails,
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
}

export function deleteJobExecution(
  world: World,
  input: { thingName: string; jobId: string; executionNumber: number; force?: boolean; namespaceId?: string },
): void {
  const thingName = check.str("thingName", input.thingName, STRINGS.thingName, { required: true })!;
  const jobId = check.str("jobId", input.jobId, STRINGS.jobId, { required: true })!;
  const force = input.force ?? false;
  check.str("namespaceId", input.namespaceId, STRINGS.namespaceId);
  const e = findExecution(world, thingName, jobId, input.executionNumber);
  if (!isTerminal(e.status) && !force) {
    throw new IoTError("InvalidStateTransitionException", `Job execution in status ${e.status} can only be deleted with force.`);
  }
  world.removeExecution(e);
}

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
): { status: JobExecutionStatus; versionNumber: number; executionNumber: number } {
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
