/**
 * The account's job templates: what CreateJobTemplate, DescribeJobTemplate,
 * ListJobTemplates and DeleteJobTemplate check and change
 * (operations/templates.ts decodes their requests and shapes their answers).
 */
import { LISTS, STRINGS } from "../../api/constraints.ts";
import { IoTError, invalid, notFound } from "../errors.ts";
import type { Page } from "../state/pagination.ts";
import type { JsonObject, TemplateRecord } from "../state/store.ts";
import type { World } from "../state/world.ts";
import * as check from "./checks.ts";
import { checkDestinationVersions } from "./packages.ts";

export interface CreateJobTemplateInput {
  jobTemplateId: string;
  description: string;
  document?: string;
  documentSource?: string;
  /** A job of the account to copy. */
  jobArn?: string;
  presignedUrlConfig?: JsonObject;
  jobExecutionsRolloutConfig?: JsonObject;
  abortConfig?: JsonObject;
  timeoutConfig?: JsonObject;
  jobExecutionsRetryConfig?: JsonObject;
  maintenanceWindows?: JsonObject[];
  destinationPackageVersions?: string[];
  tags?: Array<{ Key?: string; Value?: string }>;
}

export function requireTemplate(world: World, jobTemplateId: string): TemplateRecord {
  const template = world.tables.templates.get(jobTemplateId);
  if (!template) throw notFound(`Job Template ${jobTemplateId} cannot be found.`);
  return template;
}

/** The job a template copies (CreateJobTemplate with jobArn), as the template takes it. */
function copiedJob(world: World, jobArn: string): Partial<TemplateRecord> {
  const parsed = world.parseArn(jobArn);
  const job =
    parsed?.type === "job" && parsed.account === world.accountId && parsed.region === world.region
      ? world.tables.jobs.get(parsed.name)
      : undefined;
  if (!job || job.status === "DELETION_IN_PROGRESS") {
    throw notFound(`Job ${parsed?.name ?? jobArn} cannot be found.`);
  }
  return {
    document: job.document,
    documentSource: job.documentSource,
    presignedUrlConfig: job.presignedUrlConfig,
    jobExecutionsRolloutConfig: job.jobExecutionsRolloutConfig,
    abortConfig: job.abortConfig,
    timeoutConfig: job.timeoutConfig,
    jobExecutionsRetryConfig: job.jobExecutionsRetryConfig,
    maintenanceWindows: job.schedulingConfig?.maintenanceWindows as TemplateRecord["maintenanceWindows"],
    destinationPackageVersions: job.destinationPackageVersions,
  };
}

export function createJobTemplate(world: World, input: CreateJobTemplateInput): TemplateRecord {
  const jobTemplateId = check.str("jobTemplateId", input.jobTemplateId, STRINGS.jobTemplateId, { required: true })!;
  const description = check.str("description", input.description, STRINGS.description, { required: true })!;
  const document = check.document("document", input.document);
  const documentSource = check.str("documentSource", input.documentSource, STRINGS.documentSource);
  const jobArn = check.str("jobArn", input.jobArn, {});
  if (document !== undefined && documentSource !== undefined) {
    throw invalid("Only one of document or documentSource can be specified.");
  }
  let inherited: Partial<TemplateRecord> = {};
  if (jobArn !== undefined) {
    // The template copies the job; members given in the request win.
    inherited = copiedJob(world, jobArn);
    if (document !== undefined || documentSource !== undefined) {
      inherited.document = undefined;
      inherited.documentSource = undefined;
    }
  } else if (document === undefined && documentSource === undefined) {
    throw invalid("Either document or documentSource must be specified (or jobArn to copy a job).");
  }
  const record: TemplateRecord = {
    seq: 0,
    jobTemplateId,
    jobTemplateArn: world.arn(`jobtemplate/${jobTemplateId}`),
    description,
    document: document ?? inherited.document,
    documentSource: documentSource ?? inherited.documentSource,
    presignedUrlConfig: check.presignedUrlConfig("presignedUrlConfig", input.presignedUrlConfig) ?? inherited.presignedUrlConfig,
    jobExecutionsRolloutConfig:
      check.rolloutConfig("jobExecutionsRolloutConfig", input.jobExecutionsRolloutConfig) ?? inherited.jobExecutionsRolloutConfig,
    abortConfig: check.abortConfig("abortConfig", input.abortConfig) ?? inherited.abortConfig,
    timeoutConfig: check.timeoutConfig("timeoutConfig", input.timeoutConfig) ?? inherited.timeoutConfig,
    jobExecutionsRetryConfig:
      check.retryConfig("jobExecutionsRetryConfig", input.jobExecutionsRetryConfig) ?? inherited.jobExecutionsRetryConfig,
    maintenanceWindows: check.maintenanceWindows("maintenanceWindows", input.maintenanceWindows) ?? inherited.maintenanceWindows,
    destinationPackageVersions:
      check.arnList("destinationPackageVersions", input.destinationPackageVersions, LISTS.destinationPackageVersions.max) ??
      inherited.destinationPackageVersions,
    createdAt: world.now(),
  };
  const tags = check.tags("tags", input.tags);
  // The versions its jobs will install must exist; a template may name a DRAFT one (CreateJob refuses it).
  checkDestinationVersions(world, record.destinationPackageVersions, false);
  if (world.tables.templates.has(jobTemplateId)) {
    throw new IoTError("ConflictException", `Job Template ${jobTemplateId} already exists.`, {
      resourceId: jobTemplateId,
    });
  }
  record.seq = world.nextSeq();
  world.tables.templates.set(jobTemplateId, record);
  if (tags && Object.keys(tags).length > 0) world.tables.tags.set(record.jobTemplateArn, tags);
  return record;
}

export function describeJobTemplate(world: World, input: { jobTemplateId: string }): TemplateRecord {
  check.str("jobTemplateId", input.jobTemplateId, STRINGS.jobTemplateId, { required: true });
  return requireTemplate(world, input.jobTemplateId);
}

/** Newest first. */
export function listJobTemplates(world: World, input: { maxResults?: number; nextToken?: string }): Page<TemplateRecord> {
  const maxResults = check.pageSize(input.maxResults);
  const items = [...world.tables.templates.values()].sort((a, b) => b.seq - a.seq);
  return world.paginate("ListJobTemplates", items, { nextToken: input.nextToken, maxResults, descending: true });
}

export function deleteJobTemplate(world: World, input: { jobTemplateId: string }): void {
  check.str("jobTemplateId", input.jobTemplateId, STRINGS.jobTemplateId, { required: true });
  const t = requireTemplate(world, input.jobTemplateId);
  world.tables.templates.delete(t.jobTemplateId);
  world.tables.tags.delete(t.jobTemplateArn);
}
