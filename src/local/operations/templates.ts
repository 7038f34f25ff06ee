/** CreateJobTemplate, DescribeJobTemplate, ListJobTemplates, DeleteJobTemplate. */
import { LISTS, STRINGS } from "../../api/constraints.ts";
import * as check from "./checks.ts";
import { IoTError, invalid, notFound } from "../errors.ts";
import type { TemplateRecord } from "../state/store.ts";
import type { World } from "../state/world.ts";
import { compact, type Handler } from "./handler.ts";

export function requireTemplate(world: World, jobTemplateId: string): TemplateRecord {
  const template = world.tables.templates.get(jobTemplateId);
  if (!template) throw notFound(`Job Template ${jobTemplateId} cannot be found.`);
  return template;
}

export const createJobTemplate: Handler = (world, { params, body }) => {
  const jobTemplateId = check.str("jobTemplateId", params.jobTemplateId, STRINGS.jobTemplateId, { required: true })!;
  const description = check.str("description", body.description, STRINGS.description, { required: true })!;
  const document = check.document("document", body.document);
  const documentSource = check.str("documentSource", body.documentSource, STRINGS.documentSource);
  const jobArn = check.str("jobArn", body.jobArn, {});
  if (document !== undefined && documentSource !== undefined) {
    throw invalid("Only one of document or documentSource can be specified.");
  }
  let inherited: Partial<TemplateRecord> = {};
  if (jobArn !== undefined) {
    const parsed = world.parseArn(jobArn);
    const job =
      parsed?.type === "job" && parsed.account === world.accountId && parsed.region === world.region
        ? world.tables.jobs.get(parsed.name)
        : undefined;
    if (!job || job.status === "DELETION_IN_PROGRESS") {
      throw notFound(`Job ${parsed?.name ?? jobArn} cannot be found.`);
    }
    // The template copies the job; members given in the request win.
    inherited = {
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
    presignedUrlConfig: check.presignedUrlConfig("presignedUrlConfig", body.presignedUrlConfig) ?? inherited.presignedUrlConfig,
    jobExecutionsRolloutConfig:
      check.rolloutConfig("jobExecutionsRolloutConfig", body.jobExecutionsRolloutConfig) ??
      inherited.jobExecutionsRolloutConfig,
    abortConfig: check.abortConfig("abortConfig", body.abortConfig) ?? inherited.abortConfig,
    timeoutConfig: check.timeoutConfig("timeoutConfig", body.timeoutConfig) ?? inherited.timeoutConfig,
    jobExecutionsRetryConfig:
      check.retryConfig("jobExecutionsRetryConfig", body.jobExecutionsRetryConfig) ?? inherited.jobExecutionsRetryConfig,
    maintenanceWindows: check.maintenanceWindows("maintenanceWindows", body.maintenanceWindows) ?? inherited.maintenanceWindows,
    destinationPackageVersions:
      check.arnList("destinationPackageVersions", body.destinationPackageVersions, LISTS.destinationPackageVersions.max) ??
      inherited.destinationPackageVersions,
    createdAt: world.now(),
  };
  const tags = check.tags("tags", body.tags);
  if (world.tables.templates.has(jobTemplateId)) {
    throw new IoTError("ConflictException", `Job Template ${jobTemplateId} already exists.`, {
      resourceId: jobTemplateId,
    });
  }
  record.seq = world.nextSeq();
  world.tables.templates.set(jobTemplateId, record);
  if (tags && Object.keys(tags).length > 0) world.tables.tags.set(record.jobTemplateArn, tags);
  return { jobTemplateArn: record.jobTemplateArn, jobTemplateId };
};

export const describeJobTemplate: Handler = (world, { params }) => {
  check.str("jobTemplateId", params.jobTemplateId, STRINGS.jobTemplateId, { required: true });
  const t = requireTemplate(world, params.jobTemplateId);
  return compact({
    jobTemplateArn: t.jobTemplateArn,
    jobTemplateId: t.jobTemplateId,
    description: t.description,
    documentSource: t.documentSource,
    document: t.document,
    createdAt: t.createdAt,
    presignedUrlConfig: t.presignedUrlConfig,
    jobExecutionsRolloutConfig: t.jobExecutionsRolloutConfig,
    abortConfig: t.abortConfig,
    timeoutConfig: t.timeoutConfig,
    jobExecutionsRetryConfig: t.jobExecutionsRetryConfig,
    maintenanceWindows: t.maintenanceWindows,
    destinationPackageVersions: t.destinationPackageVersions,
  });
};

export const listJobTemplates: Handler = (world, { query }) => {
  const maxResults = check.maxResults(query.maxResults);
  // Newest first.
  const items = [...world.tables.templates.values()].sort((a, b) => b.seq - a.seq);
  const page = world.paginate("ListJobTemplates", items, {
    nextToken: query.nextToken,
    maxResults,
    descending: true,
  });
  return compact({
    jobTemplates: page.items.map((t) =>
      compact({
        jobTemplateArn: t.jobTemplateArn,
        jobTemplateId: t.jobTemplateId,
        description: t.description,
        createdAt: t.createdAt,
      }),
    ),
    nextToken: page.nextToken,
  });
};

export const deleteJobTemplate: Handler = (world, { params }) => {
  check.str("jobTemplateId", params.jobTemplateId, STRINGS.jobTemplateId, { required: true });
  const t = requireTemplate(world, params.jobTemplateId);
  world.tables.templates.delete(t.jobTemplateId);
  world.tables.tags.delete(t.jobTemplateArn);
  return undefined;
};
