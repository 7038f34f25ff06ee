/**
 * CreateJobTemplate, DescribeJobTemplate, ListJobTemplates, DeleteJobTemplate:
 * their requests decoded, their answers shaped (the checks and the changes:
 * account/templates.ts).
 */
import * as templates from "../account/templates.ts";
import type { TemplateRecord } from "../state/store.ts";
import * as decode from "./decode.ts";
import { compact, type Handler } from "./handler.ts";

export const createJobTemplate: Handler = (world, { params, body }) => {
  const t = templates.createJobTemplate(world, {
    jobTemplateId: decode.requiredText("jobTemplateId", params.jobTemplateId),
    description: decode.requiredText("description", body.description),
    document: decode.text("document", body.document),
    documentSource: decode.text("documentSource", body.documentSource),
    jobArn: decode.text("jobArn", body.jobArn),
    presignedUrlConfig: decode.object("presignedUrlConfig", body.presignedUrlConfig),
    jobExecutionsRolloutConfig: decode.object("jobExecutionsRolloutConfig", body.jobExecutionsRolloutConfig),
    abortConfig: decode.object("abortConfig", body.abortConfig),
    timeoutConfig: decode.object("timeoutConfig", body.timeoutConfig),
    jobExecutionsRetryConfig: decode.object("jobExecutionsRetryConfig", body.jobExecutionsRetryConfig),
    maintenanceWindows: decode.objects("maintenanceWindows", body.maintenanceWindows),
    destinationPackageVersions: decode.texts("destinationPackageVersions", body.destinationPackageVersions),
    tags: decode.tagList("tags", body.tags),
  });
  return { jobTemplateArn: t.jobTemplateArn, jobTemplateId: t.jobTemplateId };
};

export const describeJobTemplate: Handler = (world, { params }) => {
  const t = templates.describeJobTemplate(world, { jobTemplateId: decode.requiredText("jobTemplateId", params.jobTemplateId) });
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

const summary = (t: TemplateRecord) =>
  compact({ jobTemplateArn: t.jobTemplateArn, jobTemplateId: t.jobTemplateId, description: t.description, createdAt: t.createdAt });

export const listJobTemplates: Handler = (world, { query }) => {
  const page = templates.listJobTemplates(world, { maxResults: decode.maxResults(query.maxResults), nextToken: query.nextToken });
  return compact({ jobTemplates: page.items.map(summary), nextToken: page.nextToken });
};

export const deleteJobTemplate: Handler = (world, { params }) => {
  templates.deleteJobTemplate(world, { jobTemplateId: decode.requiredText("jobTemplateId", params.jobTemplateId) });
  return undefined;
};
