/**
 * The account's jobs: what CreateJob, UpdateJob, AssociateTargetsWithJob,
 * CancelJob and DeleteJob check and change (reads: job-reads.ts; requests and
 * answers: operations/jobs.ts).
 */
import {
  ENUMS,
  FINISHED_JOB_STATUSES,
  isFinishedJob,
  LISTS,
  STRINGS,
  UPDATABLE_JOB_MEMBERS,
  type TargetSelection,
} from "../../api/constraints.ts";
import { inheritTemplate } from "../../api/template-inheritance.ts";
import { IoTError, invalid, notFound } from "../errors.ts";
import type { JobRecord, JsonObject } from "../state/store.ts";
import { parseScheduleTime, type World } from "../state/world.ts";
import * as check from "./checks.ts";
import { checkDocumentParameters, managedFromArn } from "./managed.ts";
import { checkDestinationVersions } from "./packages.ts";
import { requireTemplate } from "./templates.ts";

const MINUTE = 60_000;
const ONLY_MANAGED =
  "Document parameters are only supported for managed job templates. Remove documentParameters, or set jobTemplateArn to an AWS managed template ARN.";
const DAY = 24 * 60 * MINUTE;

export interface CreateJobInput {
  jobId: string;
  targets: string[];
  document?: string;
  documentSource?: string;
  description?: string;
  targetSelection?: TargetSelection;
  jobTemplateArn?: string;
  namespaceId?: string;
  documentParameters?: Record<string, string>;
  presignedUrlConfig?: JsonObject;
  jobExecutionsRolloutConfig?: JsonObject;
  abortConfig?: JsonObject;
  timeoutConfig?: JsonObject;
  jobExecutionsRetryConfig?: JsonObject;
  destinationPackageVersions?: string[];
  schedulingConfig?: JsonObject;
  tags?: Array<{ Key?: string; Value?: string }>;
}

/** The members UpdateJob changes; a member left out stays as it is. */
export interface UpdateJobInput {
  jobId: string;
  namespaceId?: string;
  description?: string;
  presignedUrlConfig?: JsonObject;
  jobExecutionsRolloutConfig?: JsonObject;
  abortConfig?: JsonObject;
  timeoutConfig?: JsonObject;
  jobExecutionsRetryConfig?: JsonObject;
}

export interface CancelJobInput {
  jobId: string;
  force?: boolean;
  reasonCode?: string;
  comment?: string;
}

/** A job that exists (a job being deleted still exists, as DELETION_IN_PROGRESS, until deletion completes). */
export function requireJob(world: World, jobId: string): JobRecord {
  const job = world.tables.jobs.get(jobId);
  if (!job) throw notFound(`Job ${jobId} cannot be found.`);
  return job;
}

function checkTargets(world: World, value: string[] | undefined): string[] {
  const targets = check.list("targets", value, LISTS.targets) as string[] | undefined;
  check.required("targets", targets);
  for (const [i, target] of targets!.entries()) {
    check.str(`targets.${i + 1}`, target, STRINGS.targetArn, { required: true });
    const parsed = world.parseArn(target);
    if (!parsed || (parsed.type !== "thing" && parsed.type !== "thinggroup")) {
      throw invalid(`Target '${target}' is not a thing or thing group ARN.`);
    }
    const exists =
      parsed.region === world.region &&
      parsed.account === world.accountId &&
      (parsed.type === "thing" ? world.tables.things.has(parsed.name) : world.tables.thingGroups.has(parsed.name));
    if (!exists) {
      throw notFound(
        `${parsed.type === "thing" ? "Thing" : "Thing group"} ${target} cannot be found in account ${world.accountId}, region ${world.region}.`,
      );
    }
  }
  return [...new Set(targets!)];
}

function checkScheduling(world: World, value: JsonObject | undefined, targetSelection: string): JsonObject | undefined {
  const config = check.obj("schedulingConfig", value);
  if (!config) return undefined;
  const now = world.nowMs();
  const start = check.str("schedulingConfig.startTime", config.startTime, STRINGS.schedulingTime);
  const end = check.str("schedulingConfig.endTime", config.endTime, STRINGS.schedulingTime);
  check.oneOf("schedulingConfig.endBehavior", config.endBehavior, ENUMS.jobEndBehavior);
  const windows = check.maintenanceWindows("schedulingConfig.maintenanceWindows", config.maintenanceWindows);
  const parse = (member: string, text: string) => {
    const ms = parseScheduleTime(text);
    if (ms === undefined) {
      throw invalid(`schedulingConfig.${member} '${text}' is not a date and time in the format YYYY-MM-DDTHH:MM.`);
    }
    return ms;
  };
  const startMs = start !== undefined ? parse("startTime", start) : undefined;
  const endMs = end !== undefined ? parse("endTime", end) : undefined;
  if (startMs !== undefined) {
    if (startMs < now + 30 * MINUTE) throw invalid("schedulingConfig.startTime must be at least 30 minutes in the future.");
    if (startMs > now + 366 * DAY) throw invalid("schedulingConfig.startTime must be at most one year in the future.");
  }
  if (endMs !== undefined) {
    if (endMs < now + 30 * MINUTE) throw invalid("schedulingConfig.endTime must be at least 30 minutes in the future.");
    if (endMs > now + 2 * 366 * DAY) throw invalid("schedulingConfig.endTime must be at most two years in the future.");
    if (startMs !== undefined && endMs - startMs < 30 * MINUTE) {
      throw invalid("schedulingConfig.endTime must be at least 30 minutes after startTime.");
    }
  }
  if (windows && windows.length > 0 && targetSelection === "SNAPSHOT") {
    throw invalid("TargetSelection is invalid. MaintenanceWindow cannot be used with SNAPSHOT job.");
  }
  return config;
}

export function createJob(world: World, input: CreateJobInput): JobRecord {
  const jobId = check.str("jobId", input.jobId, STRINGS.jobId, { required: true })!;
  const targets = checkTargets(world, input.targets);
  let document = check.document("document", input.document);
  let documentSource = check.str("documentSource", input.documentSource, STRINGS.documentSource);
  const description = check.str("description", input.description, STRINGS.description);
  const targetSelection = check.oneOf("targetSelection", input.targetSelection, ENUMS.targetSelection) ?? "SNAPSHOT";
  const jobTemplateArn = check.str("jobTemplateArn", input.jobTemplateArn, STRINGS.jobTemplateArn);
  const namespaceId = check.str("namespaceId", input.namespaceId, STRINGS.namespaceId);
  const documentParameters = check.stringMap(
    "documentParameters",
    input.documentParameters,
    STRINGS.documentParameterKey,
    STRINGS.documentParameterValue,
  );
  let presignedUrlConfig = check.presignedUrlConfig("presignedUrlConfig", input.presignedUrlConfig);
  let rollout = check.rolloutConfig("jobExecutionsRolloutConfig", input.jobExecutionsRolloutConfig);
  let abortConfig = check.abortConfig("abortConfig", input.abortConfig);
  let timeoutConfig = check.timeoutConfig("timeoutConfig", input.timeoutConfig);
  let retryConfig = check.retryConfig("jobExecutionsRetryConfig", input.jobExecutionsRetryConfig);
  let destinationPackageVersions = check.arnList(
    "destinationPackageVersions",
    input.destinationPackageVersions,
    LISTS.destinationPackageVersions.max,
  );
  let schedulingConfig = check.obj("schedulingConfig", input.schedulingConfig);
  const tags = check.tags("tags", input.tags);

  if (document !== undefined && documentSource !== undefined) {
    throw invalid("Only one of document or documentSource can be specified.");
  }
  if (jobTemplateArn !== undefined) {
    const managed = managedFromArn(world, jobTemplateArn);
    const arn = world.parseArn(jobTemplateArn);
    if (!managed && arn?.type === "jobtemplate" && arn.account === "") {
      // An AWS managed template ARN (empty account field) that names no published template.
      throw notFound(`Managed job template ${arn.name} cannot be found in region ${arn.region || "(none)"}.`);
    }
    if (managed) {
      checkDocumentParameters(managed, documentParameters);
      if (document === undefined && documentSource === undefined) document = managed.document;
    } else {
      if (documentParameters !== undefined) {
        throw invalid(ONLY_MANAGED);
      }
      const parsed = world.parseArn(jobTemplateArn);
      if (
        !parsed ||
        parsed.type !== "jobtemplate" ||
        parsed.account !== world.accountId ||
        parsed.region !== world.region ||
        !world.tables.templates.has(parsed.name)
      ) {
        throw notFound(`Job Template ${parsed?.name ?? jobTemplateArn} cannot be found.`);
      }
      // A job made from a template copies it; members given in the request win (src/api/template-inheritance.ts).
      const merged = inheritTemplate(
        {
          document,
          documentSource,
          presignedUrlConfig,
          jobExecutionsRolloutConfig: rollout,
          abortConfig,
          timeoutConfig,
          jobExecutionsRetryConfig: retryConfig,
          schedulingConfig,
          destinationPackageVersions,
        },
        requireTemplate(world, parsed.name),
      );
      ({ document, documentSource, presignedUrlConfig, abortConfig, timeoutConfig, schedulingConfig, destinationPackageVersions } = merged);
      rollout = merged.jobExecutionsRolloutConfig;
      retryConfig = merged.jobExecutionsRetryConfig;
    }
  } else {
    if (documentParameters !== undefined) {
      throw invalid(ONLY_MANAGED);
    }
    if (document === undefined && documentSource === undefined) {
      throw invalid("Either document or documentSource must be specified, or a jobTemplateArn.");
    }
  }
  schedulingConfig = checkScheduling(world, schedulingConfig, targetSelection);
  // The versions it installs, its own or its template's: existing, and not DRAFT.
  checkDestinationVersions(world, destinationPackageVersions, true);

  const existing = world.tables.jobs.get(jobId);
  if (existing) {
    throw new IoTError("ResourceAlreadyExistsException", `Job ${jobId} already exists.`, {
      resourceId: jobId,
      resourceArn: existing.jobArn,
    });
  }
  const now = world.now();
  const scheduled = typeof schedulingConfig?.startTime === "string" && (parseScheduleTime(schedulingConfig.startTime) ?? 0) > world.nowMs();
  const job: JobRecord = {
    seq: world.nextSeq(),
    jobId,
    jobArn: world.arn(`job/${jobId}`),
    targets,
    targetSelection,
    status: scheduled ? "SCHEDULED" : "IN_PROGRESS",
    description,
    document,
    documentSource,
    sourceDocument: documentSource !== undefined ? world.s3Objects.get(documentSource) : undefined,
    presignedUrlConfig,
    jobExecutionsRolloutConfig: rollout,
    abortConfig,
    timeoutConfig,
    jobExecutionsRetryConfig: retryConfig,
    namespaceId,
    jobTemplateArn,
    documentParameters,
    schedulingConfig,
    destinationPackageVersions,
    createdAt: now,
    lastUpdatedAt: now,
  };
  world.tables.jobs.set(jobId, job);
  if (tags && Object.keys(tags).length > 0) world.tables.tags.set(job.jobArn, tags);
  world.jobCreated(job);
  return job;
}

export function updateJob(world: World, input: UpdateJobInput): void {
  const jobId = check.str("jobId", input.jobId, STRINGS.jobId, { required: true })!;
  check.str("namespaceId", input.namespaceId, STRINGS.namespaceId);
  const job = requireJob(world, jobId);
  const given = UPDATABLE_JOB_MEMBERS.filter((m) => input[m] !== undefined && input[m] !== null);
  if (given.length === 0) throw invalid(`Update Job request for job ${jobId} cannot be empty.`);
  if (job.status === "CANCELED" || job.status === "COMPLETED" || job.status === "DELETION_IN_PROGRESS") {
    throw invalid(`Job ${jobId} in status ${job.status} cannot be updated.`);
  }
  const description = check.str("description", input.description, STRINGS.description);
  const presigned = check.presignedUrlConfig("presignedUrlConfig", input.presignedUrlConfig);
  const rollout = check.rolloutConfig("jobExecutionsRolloutConfig", input.jobExecutionsRolloutConfig);
  const abortConfig = check.abortConfig("abortConfig", input.abortConfig);
  const timeoutConfig = check.timeoutConfig("timeoutConfig", input.timeoutConfig);
  const retry = check.retryConfig("jobExecutionsRetryConfig", input.jobExecutionsRetryConfig);
  if (retry) {
    const current = (job.jobExecutionsRetryConfig?.criteriaList ?? []) as JsonObject[];
    if (current.length === 0) {
      throw invalid(`Job ${jobId} was created without a retry configuration; retries cannot be added by UpdateJob.`);
    }
    for (const c of retry.criteriaList as JsonObject[]) {
      const before = current.find((x) => x.failureType === c.failureType);
      if (!before) {
        throw invalid(`jobExecutionsRetryConfig failureType ${c.failureType} was not defined when job ${jobId} was created.`);
      }
      if (c.numberOfRetries !== 0 && c.numberOfRetries !== before.numberOfRetries) {
        throw invalid(`jobExecutionsRetryConfig numberOfRetries for ${c.failureType} can only be set to 0 after the job is created.`);
      }
    }
  }
  if (description !== undefined) job.description = description;
  if (presigned) job.presignedUrlConfig = presigned;
  if (rollout) job.jobExecutionsRolloutConfig = rollout;
  if (abortConfig) job.abortConfig = abortConfig;
  if (timeoutConfig) job.timeoutConfig = timeoutConfig;
  if (retry) job.jobExecutionsRetryConfig = retry;
  job.lastUpdatedAt = world.now();
  world.applyAbortCriteria(job);
}

/**
 * AssociateTargetsWithJob: adds thing groups to a continuous job that is in
 * progress (the API reference's three criteria: CONTINUOUS, IN_PROGRESS, at
 * most 100 targets in all). The new groups' members get an execution, except
 * things that already have one of this job (a device never runs the job twice
 * because its group was added), at the job's rollout rate (the simulation's
 * rollout notifies them as it notifies the first targets); things that join
 * the groups later get one as for any target group of a continuous job.
 */
export function associateTargetsWithJob(world: World, input: { jobId: string; targets: string[] }): JobRecord {
  const job = requireJob(world, input.jobId);
  const targets = checkTargets(world, input.targets);
  for (const target of targets) {
    // The API reference describes the targets as "a list of thing group ARNs".
    if (world.parseArn(target)?.type !== "thinggroup")
      throw invalid(`Target '${target}' is not a thing group ARN: only thing groups can be associated with a job.`);
  }
  if (job.targetSelection !== "CONTINUOUS")
    throw invalid(`Job ${job.jobId} is a SNAPSHOT job: targets can only be associated with a CONTINUOUS job.`);
  if (job.status !== "IN_PROGRESS")
    throw invalid(`Job ${job.jobId} is ${job.status}: targets can only be associated with a job that is IN_PROGRESS.`);
  const all = [...new Set([...job.targets, ...targets])];
  if (all.length > LISTS.targets.max) {
    throw new IoTError(
      "LimitExceededException",
      `Job ${job.jobId} would have ${all.length} targets; a job has at most ${LISTS.targets.max}.`,
    );
  }
  const added = all.filter((t) => !job.targets.includes(t));
  job.targets = all;
  job.lastUpdatedAt = world.now();
  const newcomers = new Set<string>();
  for (const target of added) {
    const group = world.tables.thingGroups.get(world.parseArn(target)!.name)!;
    for (const thingName of group.members) {
      if (world.executionsOf(job.jobId, thingName).length === 0) newcomers.add(thingName);
    }
  }
  if (newcomers.size > 0) world.targetsAdded(job, [...newcomers]);
  return job;
}

export function cancelJob(world: World, input: CancelJobInput): JobRecord {
  const jobId = check.str("jobId", input.jobId, STRINGS.jobId, { required: true })!;
  const force = input.force ?? false;
  const reasonCode = check.str("reasonCode", input.reasonCode, STRINGS.reasonCode);
  const comment = check.str("comment", input.comment, STRINGS.comment);
  const job = requireJob(world, jobId);
  if (job.status === "DELETION_IN_PROGRESS") {
    throw invalid(`Job ${jobId} is being deleted and cannot be canceled.`);
  }
  if (job.status === "COMPLETED") {
    throw invalid(`Job ${jobId} in status COMPLETED cannot be canceled.`);
  }
  // Canceling a canceled job again is accepted; with force it also cancels IN_PROGRESS executions.
  if (job.status !== "CANCELED" || force) {
    world.cancel(job, { force, reasonCode, comment });
  }
  return job;
}

export function deleteJob(world: World, input: { jobId: string; force?: boolean; namespaceId?: string }): void {
  const jobId = check.str("jobId", input.jobId, STRINGS.jobId, { required: true })!;
  const force = input.force ?? false;
  check.str("namespaceId", input.namespaceId, STRINGS.namespaceId);
  const job = requireJob(world, jobId);
  if (job.status === "DELETION_IN_PROGRESS") {
    throw new IoTError("InvalidStateTransitionException", `Job ${jobId} is already being deleted.`);
  }
  if (!force && !isFinishedJob(job.status)) {
    throw new IoTError(
      "InvalidStateTransitionException",
      `Job ${jobId} is in status ${job.status}; only ${FINISHED_JOB_STATUSES} jobs can be deleted without force.`,
    );
  }
  if (world.deletionsInProgress() >= world.maxConcurrentDeletions) {
    throw new IoTError(
      "LimitExceededException",
      `Cannot delete job ${jobId}: ${world.maxConcurrentDeletions} jobs are already in DELETION_IN_PROGRESS, the maximum at one time.`,
    );
  }
  world.startDeletion(job);
}
