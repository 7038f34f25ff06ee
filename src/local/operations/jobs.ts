/**
 * CreateJob, UpdateJob, AssociateTargetsWithJob, CancelJob, DeleteJob: their
 * requests decoded, their answers shaped (the checks and the changes:
 * account/jobs.ts; the reads: job-reads.ts).
 */
import { ENUMS } from "../../api/constraints.ts";
import * as jobs from "../account/jobs.ts";
import type { JobRecord } from "../state/store.ts";
import * as decode from "./decode.ts";
import { compact, type Handler } from "./handler.ts";

/** What CreateJob, AssociateTargetsWithJob and CancelJob answer. */
const jobAnswer = (job: JobRecord) => compact({ jobArn: job.jobArn, jobId: job.jobId, description: job.description });

export const createJob: Handler = (world, { params, body }) => {
  const job = jobs.createJob(world, {
    jobId: decode.requiredText("jobId", params.jobId),
    targets: decode.requiredTexts("targets", body.targets),
    document: decode.text("document", body.document),
    documentSource: decode.text("documentSource", body.documentSource),
    description: decode.text("description", body.description),
    targetSelection: decode.choice("targetSelection", body.targetSelection, ENUMS.targetSelection),
    jobTemplateArn: decode.text("jobTemplateArn", body.jobTemplateArn),
    namespaceId: decode.text("namespaceId", body.namespaceId),
    documentParameters: decode.textMap("documentParameters", body.documentParameters),
    presignedUrlConfig: decode.object("presignedUrlConfig", body.presignedUrlConfig),
    jobExecutionsRolloutConfig: decode.object("jobExecutionsRolloutConfig", body.jobExecutionsRolloutConfig),
    abortConfig: decode.object("abortConfig", body.abortConfig),
    timeoutConfig: decode.object("timeoutConfig", body.timeoutConfig),
    jobExecutionsRetryConfig: decode.object("jobExecutionsRetryConfig", body.jobExecutionsRetryConfig),
    destinationPackageVersions: decode.texts("destinationPackageVersions", body.destinationPackageVersions),
    schedulingConfig: decode.object("schedulingConfig", body.schedulingConfig),
    tags: decode.tagList("tags", body.tags),
  });
  return jobAnswer(job);
};

export const updateJob: Handler = (world, { params, query, body }) => {
  jobs.updateJob(world, {
    jobId: decode.requiredText("jobId", params.jobId),
    namespaceId: decode.text("namespaceId", query.namespaceId),
    description: decode.text("description", body.description),
    presignedUrlConfig: decode.object("presignedUrlConfig", body.presignedUrlConfig),
    jobExecutionsRolloutConfig: decode.object("jobExecutionsRolloutConfig", body.jobExecutionsRolloutConfig),
    abortConfig: decode.object("abortConfig", body.abortConfig),
    timeoutConfig: decode.object("timeoutConfig", body.timeoutConfig),
    jobExecutionsRetryConfig: decode.object("jobExecutionsRetryConfig", body.jobExecutionsRetryConfig),
  });
  return undefined;
};

export const associateTargetsWithJob: Handler = (world, { params, body }) => {
  const job = jobs.associateTargetsWithJob(world, {
    jobId: decode.requiredText("jobId", params.jobId),
    targets: decode.requiredTexts("targets", body.targets),
  });
  return jobAnswer(job);
};

export const cancelJob: Handler = (world, { params, query, body }) => {
  const job = jobs.cancelJob(world, {
    jobId: decode.requiredText("jobId", params.jobId),
    force: decode.flag("force", query.force),
    reasonCode: decode.text("reasonCode", body.reasonCode),
    comment: decode.text("comment", body.comment),
  });
  return jobAnswer(job);
};

export const deleteJob: Handler = (world, { params, query }) => {
  jobs.deleteJob(world, {
    jobId: decode.requiredText("jobId", params.jobId),
    force: decode.flag("force", query.force),
    namespaceId: decode.text("namespaceId", query.namespaceId),
  });
  return undefined;
};
