/**
 * The account's jobs as DescribeJob, ListJobs and GetJobDocument read them
 * (requests and answers: operations/job-reads.ts).
 */
import { ENUMS, STRINGS, type JobStatus, type TargetSelection } from "../../api/constraints.ts";
import { invalid, notFound } from "../errors.ts";
import type { StatusCounts } from "../simulation/counts.ts";
import type { Page } from "../state/pagination.ts";
import type { JobRecord } from "../state/store.ts";
import type { World } from "../state/world.ts";
import * as check from "./checks.ts";
import { requireJob } from "./jobs.ts";
import { substituteParameters } from "./managed.ts";

/** A job, with how many things have their latest execution of it in each status. */
export interface JobView {
  job: JobRecord;
  counts: StatusCounts;
}

export function describeJob(world: World, input: { jobId: string; beforeSubstitution?: boolean }): JobView {
  const jobId = check.str("jobId", input.jobId, STRINGS.jobId, { required: true })!;
  const job = requireJob(world, jobId);
  return { job, counts: world.statusCounts(job) };
}

export interface ListJobsInput {
  maxResults?: number;
  status?: JobStatus;
  targetSelection?: TargetSelection;
  thingGroupName?: string;
  thingGroupId?: string;
  namespaceId?: string;
  nextToken?: string;
}

/** A job in a list, with the id of its first target group (if it has one). */
export interface JobSummary {
  job: JobRecord;
  thingGroupId?: string;
}

function thingGroupIdOf(world: World, job: JobRecord): string | undefined {
  for (const target of job.targets) {
    const parsed = world.parseArn(target);
    if (parsed?.type === "thinggroup") return world.tables.thingGroups.get(parsed.name)?.thingGroupId;
  }
  return undefined;
}

/** Newest first, filtered. */
export function listJobs(world: World, input: ListJobsInput): Page<JobSummary> {
  const maxResults = check.pageSize(input.maxResults);
  const status = check.oneOf("status", input.status, ENUMS.jobStatus);
  const targetSelection = check.oneOf("targetSelection", input.targetSelection, ENUMS.targetSelection);
  const thingGroupName = check.str("thingGroupName", input.thingGroupName, STRINGS.thingGroupName);
  const thingGroupId = check.str("thingGroupId", input.thingGroupId, STRINGS.thingGroupId);
  const namespaceId = check.str("namespaceId", input.namespaceId, STRINGS.namespaceId);
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
    nextToken: input.nextToken,
    maxResults,
    descending: true,
    filter: JSON.stringify([status, targetSelection, thingGroupName, thingGroupId, namespaceId]),
  });
  return { items: page.items.map((job) => ({ job, thingGroupId: thingGroupIdOf(world, job) })), nextToken: page.nextToken };
}

/** A job's document: with its document parameters substituted, or as given (beforeSubstitution). */
export function getJobDocument(world: World, input: { jobId: string; beforeSubstitution?: boolean }): string {
  const jobId = check.str("jobId", input.jobId, STRINGS.jobId, { required: true })!;
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
  return input.beforeSubstitution ? (document ?? "") : substituteParameters(document ?? "", job.documentParameters);
}
