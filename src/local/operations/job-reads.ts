/** The job operations that only read: DescribeJob, ListJobs, GetJobDocument. */
import { ENUMS, STRINGS } from "../../api/constraints.ts";
import * as check from "../account/checks.ts";
import { invalid, notFound } from "../errors.ts";
import { requireJob } from "./jobs.ts";
import { substituteParameters } from "./managed.ts";
import type { JobRecord, JsonObject } from "../state/store.ts";
import type { World } from "../state/world.ts";
import { compact, type Handler } from "./handler.ts";

/** jobProcessDetails: how many things have their latest execution in each status. */
function processDetails(world: World, job: JobRecord): JsonObject {
  const c = world.statusCounts(job);
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

function thingGroupIdOf(world: World, job: JobRecord): string | undefined {
  for (const target of job.targets) {
    const parsed = world.parseArn(target);
    if (parsed?.type === "thinggroup") return world.tables.thingGroups.get(parsed.name)?.thingGroupId;
  }
  return undefined;
}

export const describeJob: Handler = (world, { params, query }) => {
  const jobId = check.str("jobId", params.jobId, STRINGS.jobId, { required: true })!;
  check.bool("beforeSubstitution", query.beforeSubstitution);
  const job = requireJob(world, jobId);
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
      jobProcessDetails: processDetails(world, job),
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
  const maxResults = check.maxResults(query.maxResults);
  const status = check.oneOf("status", query.status, ENUMS.jobStatus);
  const targetSelection = check.oneOf("targetSelection", query.targetSelection, ENUMS.targetSelection);
  const thingGroupName = check.str("thingGroupName", query.thingGroupName, STRINGS.thingGroupName);
  const thingGroupId = check.str("thingGroupId", query.thingGroupId, STRINGS.thingGroupId);
  const namespaceId = check.str("namespaceId", query.namespaceId, STRINGS.namespaceId);
  const groupArn =
    thingGroupName !== undefined
      ? world.tables.thingGroups.get(thingGroupName)?.thingGroupArn
      : thingGroupId !== undefined
        ? [...world.tables.thingGroups.values()].find((g) => g.thingGroupId === thingGroupId)?.thingGroupArn
        : undefined;
  if ((thingGroupName !== undefined || thingGroupId !== undefined) && groupArn === undefined) {
    throw notFound(`Thing group ${thingGroupName ?? thingGroupId} cannot be found.`);
  }
  const items = [...world.tables.jobs.values()]
    .filter(
      (j) =>
        (status === undefined || j.status === status) &&
        (targetSelection === undefined || j.targetSelection === targetSelection) &&
        (namespaceId === undefined || j.namespaceId === namespaceId) &&
        (groupArn === undefined || j.targets.includes(groupArn)),
    )
    .sort((a, b) => b.seq - a.seq);
  const page = world.paginate("ListJobs", items, {
    nextToken: query.nextToken,
    maxResults,
    descending: true,
    filter: JSON.stringify([status, targetSelection, thingGroupName, thingGroupId, namespaceId]),
  });
  return compact({
    jobs: page.items.map((j) =>
      compact({
        jobArn: j.jobArn,
        jobId: j.jobId,
        thingGroupId: thingGroupIdOf(world, j),
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
  const jobId = check.str("jobId", params.jobId, STRINGS.jobId, { required: true })!;
  const before = check.bool("beforeSubstitution", query.beforeSubstitution) ?? false;
  const job = requireJob(world, jobId);
  let document = job.document ?? job.sourceDocument;
  if (document === undefined && job.documentSource !== undefined) {
    // Not registered when the job was created: read it now.
    document = world.s3Objects.get(job.documentSource);
    if (document === undefined) {
      throw invalid(
        `The local endpoint has no copy of ${job.documentSource}; register the object with putS3Object() to read the job document back.`,
      );
    }
  }
  return { document: before ? (document ?? "") : substituteParameters(document ?? "", job.documentParameters) };
};
