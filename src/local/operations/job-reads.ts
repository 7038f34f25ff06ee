/**
 * DescribeJob, ListJobs, GetJobDocument: their requests decoded, their
 * answers shaped (what they read: account/job-reads.ts).
 */
import { ENUMS } from "../../api/constraints.ts";
import * as reads from "../account/job-reads.ts";
import type { StatusCounts } from "../simulation/counts.ts";
import type { JsonObject } from "../state/store.ts";
import * as decode from "./decode.ts";
import { compact, type Handler } from "./handler.ts";

/** jobProcessDetails: how many things have their latest execution in each status. */
function processDetails(c: StatusCounts): JsonObject {
  return {
    numberOfCanceledThings: c.CANCELED,
    numberOfSucceededThings: c.SUCCEEDED,
    numberOfFailedThings: c.FAILED,
    numberOfRejectedThings: c.REJECTED,
    numberOfQueuedThings: c.QUEUED,
    numberOfInProgressThings: c.IN_PROGRESS,
    numberOfRemovedThings: c.REMOVED,
    numberOfTimedOutThings: c.TIMED_OUT,
  };
}

export const describeJob: Handler = (world, { params, query }) => {
  const { job, counts } = reads.describeJob(world, {
    jobId: decode.requiredText("jobId", params.jobId),
    beforeSubstitution: decode.flag("beforeSubstitution", query.beforeSubstitution),
  });
  const canceled = job.status === "CANCELED" || job.statusBeforeDeletion === "CANCELED";
  return compact({
    documentSource: job.documentSource,
    job: compact({
      jobArn: job.jobArn,
      jobId: job.jobId,
      targetSelection: job.targetSelection,
      status: job.status,
      forceCanceled: canceled ? job.forceCanceled === true : undefined,
      reasonCode: job.reasonCode,
      comment: job.comment,
      targets: job.targets,
      description: job.description,
      // Unset configurations come back as empty objects, as the AWS CLI shows them.
      presignedUrlConfig: job.presignedUrlConfig ?? {},
      jobExecutionsRolloutConfig: job.jobExecutionsRolloutConfig ?? {},
      abortConfig: job.abortConfig,
      createdAt: job.createdAt,
      lastUpdatedAt: job.lastUpdatedAt,
      completedAt: job.completedAt,
      jobProcessDetails: processDetails(counts),
      timeoutConfig: job.timeoutConfig ?? {},
      namespaceId: job.namespaceId,
      jobTemplateArn: job.jobTemplateArn,
      jobExecutionsRetryConfig: job.jobExecutionsRetryConfig,
      documentParameters: job.documentParameters,
      isConcurrent: false,
      schedulingConfig: job.schedulingConfig ?? {},
      scheduledJobRollouts:
        job.status === "SCHEDULED" && typeof job.schedulingConfig?.startTime === "string"
          ? [{ startTime: job.schedulingConfig.startTime }]
          : undefined,
      destinationPackageVersions: job.destinationPackageVersions,
    }),
  });
};

export const listJobs: Handler = (world, { query }) => {
  const page = reads.listJobs(world, {
    maxResults: decode.maxResults(query.maxResults),
    status: decode.choice("status", query.status, ENUMS.jobStatus),
    targetSelection: decode.choice("targetSelection", query.targetSelection, ENUMS.targetSelection),
    thingGroupName: decode.text("thingGroupName", query.thingGroupName),
    thingGroupId: decode.text("thingGroupId", query.thingGroupId),
    namespaceId: decode.text("namespaceId", query.namespaceId),
    nextToken: query.nextToken,
  });
  return compact({
    jobs: page.items.map(({ job: j, thingGroupId }) =>
      compact({
        jobArn: j.jobArn,
        jobId: j.jobId,
        thingGroupId,
        targetSelection: j.targetSelection,
        status: j.status,
        createdAt: j.createdAt,
        lastUpdatedAt: j.lastUpdatedAt,
        completedAt: j.completedAt,
        isConcurrent: false,
      }),
    ),
    nextToken: page.nextToken,
  });
};

export const getJobDocument: Handler = (world, { params, query }) => {
  const document = reads.getJobDocument(world, {
    jobId: decode.requiredText("jobId", params.jobId),
    beforeSubstitution: decode.flag("beforeSubstitution", query.beforeSubstitution),
  });
  return { document };
};
