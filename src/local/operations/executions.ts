/**
 * DescribeJobExecution, ListJobExecutionsForJob, ListJobExecutionsForThing,
 * CancelJobExecution, DeleteJobExecution: their requests decoded, their
 * answers shaped (the checks and the changes: account/executions.ts).
 */
import { ENUMS } from "../../api/constraints.ts";
import * as executions from "../account/executions.ts";
import type { ExecutionRecord, JsonObject } from "../state/store.ts";
import * as decode from "./decode.ts";
import { compact, type Handler } from "./handler.ts";

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
  const { execution: e, secondsBeforeTimedOut } = executions.describeJobExecution(world, {
    thingName: decode.requiredText("thingName", params.thingName),
    jobId: decode.requiredText("jobId", params.jobId),
    executionNumber: decode.whole("executionNumber", query.executionNumber),
  });
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
      approximateSecondsBeforeTimedOut: secondsBeforeTimedOut,
    }),
  };
};

export const listJobExecutionsForJob: Handler = (world, { params, query }) => {
  const page = executions.listJobExecutionsForJob(world, {
    jobId: decode.requiredText("jobId", params.jobId),
    status: decode.choice("status", query.status, ENUMS.jobExecutionStatus),
    maxResults: decode.maxResults(query.maxResults),
    nextToken: query.nextToken,
  });
  return compact({
    executionSummaries: page.items.map((e) => ({ thingArn: e.thingArn, jobExecutionSummary: summary(e) })),
    nextToken: page.nextToken,
  });
};

export const listJobExecutionsForThing: Handler = (world, { params, query }) => {
  const page = executions.listJobExecutionsForThing(world, {
    thingName: decode.requiredText("thingName", params.thingName),
    status: decode.choice("status", query.status, ENUMS.jobExecutionStatus),
    jobId: decode.text("jobId", query.jobId),
    namespaceId: decode.text("namespaceId", query.namespaceId),
    maxResults: decode.maxResults(query.maxResults),
    nextToken: query.nextToken,
  });
  return compact({
    executionSummaries: page.items.map((e) => ({ jobId: e.jobId, jobExecutionSummary: summary(e) })),
    nextToken: page.nextToken,
  });
};

export const cancelJobExecution: Handler = (world, { params, query, body }) => {
  executions.cancelJobExecution(world, {
    thingName: decode.requiredText("thingName", params.thingName),
    jobId: decode.requiredText("jobId", params.jobId),
    force: decode.flag("force", query.force),
    expectedVersion: decode.number("expectedVersion", body.expectedVersion),
    statusDetails: decode.textMap("statusDetails", body.statusDetails),
  });
  return undefined;
};

export const deleteJobExecution: Handler = (world, { params, query }) => {
  executions.deleteJobExecution(world, {
    thingName: decode.requiredText("thingName", params.thingName),
    jobId: decode.requiredText("jobId", params.jobId),
    executionNumber: decode.whole("executionNumber", params.executionNumber)!,
    force: decode.flag("force", query.force),
    namespaceId: decode.text("namespaceId", query.namespaceId),
  });
  return undefined;
};
