import {
  CancelJobCommand,
  CreateJobCommand,
  DeleteJobCommand,
  DescribeJobCommand,
  GetJobDocumentCommand,
  InvalidStateTransitionException,
  LimitExceededException,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateJobCommand,
  type DescribeJobCommandOutput,
  type IoTClient,
  type JobStatus,
} from "@aws-sdk/client-iot";
import { Resource, type Context, type Scope } from "alchemy";
import { isDeepStrictEqual } from "node:util";
import {
  decideJob,
  parseDocument,
  updateJobInput,
  type Change,
  type JobState,
} from "./changes.ts";
import { assertLocalDataPresent, localInstanceOf, resolveIoT, type IoTClientProps, type IoTTarget } from "./client.ts";
import {
  AlreadyExistsError,
  exitNonZeroOnFailure,
  ifFound,
  ownershipOf,
  physicalId,
  resolveDeployed,
  shortHash,
  validatedResource,
  withoutTarget,
} from "./common.ts";
import { TERMINAL_JOB_STATUSES, UPDATABLE_JOB_MEMBERS } from "./constraints.ts";
import { documentText } from "./job-template.ts";
import {
  checkDocumentParameters,
  isManagedJobTemplate,
  ManagedJobTemplate,
  type ManagedJobTemplate as ManagedTemplate,
} from "./managed-job-template.ts";
import {
  applyTagChanges,
  isOwnedBy,
  ownershipTags,
  readTags,
  tagChanges,
  toTagList,
  userTags,
  withoutAwsTags,
  type Ownership,
} from "./tags.ts";
import { checkStack, stackRefOf, type GuardedOperation, type StackCheckContext, type StackResourceRef } from "./stack-guard.ts";
import type {
  AbortConfig,
  JobDocument,
  JobTarget,
  PresignedUrlConfig,
  RetryConfig,
  RolloutConfig,
  SchedulingConfig,
  TimeoutConfig,
} from "./types.ts";
import { containsUnknown, UNKNOWN } from "./unknown.ts";
import {
  checkProps,
  isManagedTemplateArn,
  jobPropsSchema,
  revealForChecks,
  targetArn,
  templateRefArn,
  ValidationError,
} from "./validate.ts";
import { deletionSlotsFor, waitUntilJobGone } from "./wait.ts";
import type { Secret } from "alchemy";

/** What destroying (or replacing) a job may do to devices that are running it. */
export interface JobDeletion {
  /**
   * Allow cancelling executions that devices are running right now
   * (CancelJob and DeleteJob with `force`). Without it, destroying a job that
   * devices are running fails with an explanation, and nothing is changed.
   * @default false
   */
  force?: boolean;
  /**
   * How long to wait for IoT to finish deleting the job (it stays
   * DELETION_IN_PROGRESS while its executions are removed). On timeout the
   * destroy fails and the job stays in state, so a later destroy finishes it.
   * @default 600
   */
  timeoutSeconds?: number;
}

export const DEFAULT_DELETION_TIMEOUT_SECONDS = 600;

/** Properties of an AWS IoT job: the members of CreateJob, plus deletion behaviour and where to create it. */
export interface JobProps extends IoTClientProps {
  /**
   * The job's id (1–64 letters, digits, `_`, `-`). With an explicit id, a
   * replacement must wait until the old job is deleted before creating the new one.
   * @default `${app}-${stage}-${id}-<hash>`, where the hash covers the props that force replacement:
   * stable across deploys, new on every replacement (AWS discourages reusing job ids)
   */
  jobId?: string;

  /** Things and thing groups to run the job on (1–100): ARNs, or `Thing` / `ThingGroup` resources. */
  targets: JobTarget[];

  /** The job document (JSON text or value, at most 32 KB); may be an `alchemy.secret(...)`. */
  document?: JobDocument;

  /** URL of an S3 object holding the job document, read once when the job is created. */
  documentSource?: string;

  /**
   * Create the job from a template: a `ManagedJobTemplate` lookup, a `JobTemplate`, or a template ARN.
   * Exactly one of `document`, `documentSource`, `jobTemplate` and `jobTemplateArn` is required.
   */
  jobTemplate?: ManagedTemplate | { jobTemplateArn: string } | string;

  /** The template's ARN (an alternative to `jobTemplate`). */
  jobTemplateArn?: string;

  /**
   * Values for the `${aws:iot:parameter:<key>}` placeholders of an AWS managed
   * template (only with one). Checked before any call: every required key,
   * no unknown key, each value matching the parameter's regex as a whole.
   * Values may be `alchemy.secret(...)`.
   */
  documentParameters?: Record<string, string | Secret<string>>;

  /** What the job does (up to 2028 characters). Updated in place. */
  description?: string;

  /** Role and expiry for presigned S3 URLs. Updated in place. */
  presignedUrlConfig?: PresignedUrlConfig;

  /**
   * SNAPSHOT runs on the targets as they are at creation and completes;
   * CONTINUOUS also reaches things added to a target group later.
   * @default "SNAPSHOT"
   */
  targetSelection?: "SNAPSHOT" | "CONTINUOUS";

  /** Rollout rate. Updated in place. */
  jobExecutionsRolloutConfig?: RolloutConfig;

  /** Abort criteria. Updated in place (cannot be removed once set). */
  abortConfig?: AbortConfig;

  /** In-progress timeout (1–10080 minutes). Updated in place; applies to executions that start afterwards. */
  timeoutConfig?: TimeoutConfig;

  /** Retries after FAILED or TIMED_OUT. After creation they can only be lowered to 0. */
  jobExecutionsRetryConfig?: RetryConfig;

  /** Start and end time, end behaviour, maintenance windows (continuous jobs only). */
  schedulingConfig?: SchedulingConfig;

  /** IoT Greengrass namespace of the job. */
  namespaceId?: string;

  /** ARNs of software package versions the job installs (at most 25). */
  destinationPackageVersions?: string[];

  /** Tags, updated in place. The provider adds its `alchemy_*` ownership tags. */
  tags?: Record<string, string>;

  /** What destroy and replacement may do to a job that devices are still running. */
  deletion?: JobDeletion;

  /**
   * Take over an existing job with the same `jobId` (one this resource did
   * not create, e.g. made by a CloudFormation stack). The job is read first:
   * when it matches the props, adopting it makes no change at all; differing
   * UpdateJob members and tags are updated in place, anything else replaces
   * the job. Ownership tags are not added to an adopted job.
   * @default the `--adopt` flag of the deploy
   */
  adopt?: boolean;

  /**
   * Act on the job even though a CloudFormation stack still manages it.
   * Without it, adopting, updating, replacing or deleting a job that carries
   * `aws:cloudformation:*` tags first asks CloudFormation whether the stack
   * still lists it, and refuses if it does.
   * @default false
   */
  overrideCloudFormationStack?: boolean;
}

/** A deployed job. */
export interface Job extends Omit<JobProps, "jobTemplateArn"> {
  jobId: string;
  jobArn: string;
  /** The job's status when it was last deployed or read (it moves on by itself: SNAPSHOT jobs complete). */
  status: JobStatus;
  /** When IoT created the job. */
  createdAt: Date;
  /** The template the job was created from, if any. */
  jobTemplateArn?: string;
  region: string;
  target: string;
  /** For a job on the embedded local endpoint: that endpoint's instance id. */
  localInstance?: string;
  /**
   * The CloudFormation stack resource the job was adopted from (its
   * `aws:cloudformation:*` tags). Every later change or deletion first checks
   * that the stack no longer manages it.
   */
  cloudFormation?: StackResourceRef;
}

/** The members of CreateJob that define a job (tags aside). */
const SPEC_MEMBERS = [
  "targets",
  "targetSelection",
  "document",
  "documentSource",
  "jobTemplateArn",
  "documentParameters",
  "description",
  "presignedUrlConfig",
  "jobExecutionsRolloutConfig",
  "abortConfig",
  "timeoutConfig",
  "jobExecutionsRetryConfig",
  "schedulingConfig",
  "namespaceId",
  "destinationPackageVersions",
] as const;

const UPDATABLE = new Set<string>(UPDATABLE_JOB_MEMBERS);

/** A job's CreateJob input (tags aside) from secret-revealed props. */
export function jobSpec(view: Record<string, any>, jobId: string): JobState["spec"] {
  const spec: JobState["spec"] = { jobId };
  const targets = [...new Set((view.targets ?? []).map(targetArn) as string[])].sort();
  const source: Record<string, unknown> = {
    ...view,
    targets,
    targetSelection: view.targetSelection ?? "SNAPSHOT",
    document: documentText(view.document),
    jobTemplateArn: templateRefArn(view.jobTemplate ?? view.jobTemplateArn),
  };
  for (const m of SPEC_MEMBERS) {
    const v = source[m];
    if (v !== undefined) spec[m] = structuredClone(v);
  }
  return spec;
}

/** Canonical JSON (sorted keys; documents parsed), so key order never changes a hash. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === "object"
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
        : v;
  return JSON.stringify(sort(value));
}

/** The props that force replacement, as a stable hash (the default jobId's suffix). */
function forcingHash(spec: JobState["spec"], target: { key: string; region: string }): string {
  const forcing: Record<string, unknown> = { target: target.key, region: target.region };
  for (const m of SPEC_MEMBERS) {
    if (UPDATABLE.has(m) || spec[m] === undefined) continue;
    forcing[m] = m === "document" ? parseDocument(spec[m] as string) : spec[m];
  }
  return shortHash(canonical(forcing));
}

function deletionOf(d: JobDeletion | undefined): JobState["deletion"] {
  return { force: d?.force ?? false, timeoutSeconds: d?.timeoutSeconds ?? DEFAULT_DELETION_TIMEOUT_SECONDS };
}

export interface JobPlanContext {
  id: string;
  fqn: string;
  scope: Scope;
}

export interface DesiredJob {
  state: JobState;
  ownership: Ownership;
  sensitive: Set<string>;
  /** The managed template object, when the job is created from a ManagedJobTemplate lookup. */
  managed?: ManagedTemplate;
}

/** The desired state of a job from its props (validated first: throws ValidationError). */
export function desiredJob(ctx: JobPlanContext, props: JobProps, target: { key: string; region: string }): DesiredJob {
  const label = `Job "${ctx.id}"`;
  const checked = checkProps(label, jobPropsSchema, props);
  const view = checked.view as Record<string, any>;
  const managed = isManagedJobTemplate(view.jobTemplate) ? (view.jobTemplate as ManagedTemplate) : undefined;
  if (managed) {
    checkDocumentParameters(label, managed, view.documentParameters, (key) =>
      checked.sensitive.has(`documentParameters.${key}`),
    );
  }
  const ownership = ownershipOf(ctx);
  const draft = jobSpec(view, "");
  const jobId: string =
    view.jobId ?? (containsUnknown(draft) ? UNKNOWN : physicalId(ownership, 64, forcingHash(draft, target)));
  return {
    state: {
      target: target.key,
      region: target.region,
      spec: { ...draft, jobId },
      tags: { ...(view.tags ?? {}) },
      deletion: deletionOf(view.deletion),
    },
    ownership,
    sensitive: checked.sensitive,
    managed,
  };
}

/** The deployed state of a job, from its output. */
export function deployedJob(output: Job): JobState {
  const { view } = revealForChecks(output);
  const v = view as Record<string, any>;
  return {
    target: output.target,
    region: output.region,
    spec: jobSpec({ ...v, jobTemplate: undefined, jobTemplateArn: output.jobTemplateArn }, output.jobId),
    tags: { ...(output.tags ?? {}) },
    deletion: deletionOf(output.deletion),
  };
}

/** Plans a deploy of the job (used by the handler and by the preview). */
export function planJob(deployed: Job | undefined, desired: JobState): Change {
  return decideJob(deployed ? deployedJob(deployed) : undefined, desired);
}

/**
 * Time-relative scheduling rules (checked when a job is created, not on
 * later deploys, when its start time may well have passed).
 */
export function checkSchedule(label: string, spec: JobState["spec"]): void {
  const config = spec.schedulingConfig as SchedulingConfig | undefined;
  const parse = (t: string) => Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(t) ? t : `${t}Z`);
  const now = Date.now();
  const issues: Array<{ path: string; message: string }> = [];
  const MIN = 30 * 60_000;
  if (config?.startTime) {
    const start = parse(config.startTime);
    if (start < now + MIN) issues.push({ path: "schedulingConfig.startTime", message: `schedulingConfig.startTime: "${config.startTime}" must be at least 30 minutes in the future` });
    if (start > now + 366 * 86_400_000) issues.push({ path: "schedulingConfig.startTime", message: `schedulingConfig.startTime: "${config.startTime}" must be at most one year in the future` });
  }
  if (config?.endTime) {
    const end = parse(config.endTime);
    if (end < now + MIN) issues.push({ path: "schedulingConfig.endTime", message: `schedulingConfig.endTime: "${config.endTime}" must be at least 30 minutes in the future` });
    if (end > now + 2 * 366 * 86_400_000) issues.push({ path: "schedulingConfig.endTime", message: `schedulingConfig.endTime: "${config.endTime}" must be at most two years in the future` });
  }
  if (issues.length > 0) throw new ValidationError(label, issues);
}

const describeJob = (client: IoTClient, jobId: string): Promise<DescribeJobCommandOutput | undefined> =>
  ifFound(client.send(new DescribeJobCommand({ jobId })));

/** Is a value an unset configuration (absent, or the empty object IoT returns)? */
const isUnset = (v: unknown) =>
  v === undefined || v === null || (typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** The live job in the shape of `jobSpec` (the document read back unsubstituted; also used by import-stack). */
export async function liveJobSpec(client: IoTClient, live: DescribeJobCommandOutput): Promise<JobState["spec"]> {
  const job = live.job!;
  const doc = await client.send(new GetJobDocumentCommand({ jobId: job.jobId!, beforeSubstitution: true }));
  const source: Record<string, unknown> = {
    ...job,
    targets: [...(job.targets ?? [])].sort(),
    targetSelection: job.targetSelection ?? "SNAPSHOT",
    documentSource: live.documentSource,
    document: live.documentSource ? undefined : doc.document,
  };
  const spec: JobState["spec"] = { jobId: job.jobId! };
  for (const m of SPEC_MEMBERS) if (!isUnset(source[m])) spec[m] = source[m];
  return spec;
}

/** Compares a live job with the desired spec; members a template supplied are not compared. */
function jobDifferences(live: JobState["spec"], desired: JobState["spec"]): { forcing: string[]; updatable: string[] } {
  const forcing: string[] = [];
  const updatable: string[] = [];
  for (const m of SPEC_MEMBERS) {
    const want = desired[m];
    if (want === undefined && desired.jobTemplateArn !== undefined) continue;
    const same =
      m === "document"
        ? isDeepStrictEqual(parseDocument(live[m] as string), parseDocument(want as string))
        : isDeepStrictEqual(isUnset(live[m]) ? undefined : live[m], want);
    if (!same) (UPDATABLE.has(m) ? updatable : forcing).push(m);
  }
  return { forcing, updatable };
}

const isLoopback = (endpoint: string | undefined) => !!endpoint && /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(endpoint);

/** Poll fast against a local endpoint, patiently against AWS. */
function pollDelays(target: IoTTarget): { minDelaySeconds: number; maxDelaySeconds: number } {
  return target.kind === "local" || isLoopback(target.endpoint)
    ? { minDelaySeconds: 0.05, maxDelaySeconds: 1 }
    : { minDelaySeconds: 2, maxDelaySeconds: 20 };
}

/** Thrown instead of cancelling executions that devices are running, unless deletion.force allows it. */
export class JobInUseError extends Error {
  override name = "JobInUseError";
}

/** Thrown when a deletion outlasts deletion.timeoutSeconds (the job stays in state). */
export class JobDeletionTimeoutError extends Error {
  override name = "JobDeletionTimeoutError";
}

interface DeleteContext {
  client: IoTClient;
  target: IoTTarget;
  label: string;
  log: (message: string) => void;
}

/**
 * Deletes a job and waits until IoT no longer knows it.
 *
 * 1. A job that is IN_PROGRESS or SCHEDULED is cancelled first. If devices
 *    are running it (IN_PROGRESS executions), that needs `deletion.force`;
 *    without it the call fails with an explanation and nothing changes.
 * 2. DeleteJob (with force when allowed), holding one of the account's 10
 *    deletion slots until the deletion has completed.
 * 3. Wait, with backoff and progress messages, up to `deletion.timeoutSeconds`.
 * A job that is already gone counts as deleted; one already being deleted is waited for.
 */
export async function destroyJob(c: DeleteContext, jobId: string, deletion: JobState["deletion"]): Promise<void> {
  const { client, label } = c;
  const live = await describeJob(client, jobId);
  if (!live) return;
  const force = deletion.force || process.env.ALCHEMY_IOT_FORCE_JOB_DELETION === "1";
  let status = live.job?.status;
  const running = live.job?.jobProcessDetails?.numberOfInProgressThings ?? 0;
  if (status !== "DELETION_IN_PROGRESS") {
    if (running > 0 && !force) {
      throw new JobInUseError(
        `${label}: job ${jobId} is being run by ${running} device${running === 1 ? "" : "s"} right now (IN_PROGRESS executions). ` +
          `Deleting it would cancel their work mid-run and leave them unable to report back. ` +
          `To allow that, set deletion: { force: true } on the Job and deploy once (so the setting is stored), then destroy again ` +
          `(or run the destroy with ALCHEMY_IOT_FORCE_JOB_DELETION=1); or wait until the devices finish. Nothing was changed.`,
      );
    }
    if (status === "IN_PROGRESS" || status === "SCHEDULED") {
      await client.send(new CancelJobCommand({ jobId, force: force && running > 0 }));
      status = "CANCELED";
    }
  }
  const release = await deletionSlotsFor(`${c.target.key}|${c.target.region}`).acquire();
  try {
    const started = Date.now();
    const deadline = started + deletion.timeoutSeconds * 1000;
    while (status !== "DELETION_IN_PROGRESS") {
      try {
        await client.send(new DeleteJobCommand({ jobId, force: force || undefined, namespaceId: live.job?.namespaceId }));
        break;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return;
        if (error instanceof InvalidStateTransitionException) {
          const again = await describeJob(client, jobId);
          if (!again) return;
          if (again.job?.status === "DELETION_IN_PROGRESS") break;
          throw error;
        }
        // Other processes hold the account's deletion slots (the SDK already retried): keep trying until the deadline.
        if (error instanceof LimitExceededException && Date.now() < deadline) {
          c.log(`${label}: ${error.message}; retrying`);
          await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(100, deadline - Date.now()))));
          continue;
        }
        throw error;
      }
    }
    const remaining = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
    const delays = pollDelays(c.target);
    const gone = await waitUntilJobGone(client, jobId, {
      timeoutSeconds: Math.max(remaining, delays.minDelaySeconds + 0.5),
      ...delays,
      onProgress: (elapsed, s) => c.log(`${label}: waiting for job ${jobId} to finish deleting (${s ?? "unknown"}, ${elapsed}s)`),
    });
    if (!gone) {
      throw new JobDeletionTimeoutError(
        `${label}: job ${jobId} was still DELETION_IN_PROGRESS after ${deletion.timeoutSeconds}s. ` +
          `It stays in state so that the next destroy or deploy finishes waiting; raise deletion.timeoutSeconds if IoT needs longer.`,
      );
    }
  } finally {
    release();
  }
}

interface CreateContext extends DeleteContext {
  ownership: Ownership;
  adopt: boolean;
  override: boolean;
}

/** A job that exists already, read for adoption. */
export interface ExistingJob {
  /**
   * Its state in the shape of a deployed one, at the desired target: members
   * that match the desired spec take the desired value (so the change
   * decision sees no difference), the others keep the live value.
   */
  state: JobState;
  live: DescribeJobCommandOutput;
  /** The CloudFormation stack resource named by its tags, if any. */
  stack?: StackResourceRef;
}

/**
 * Reads the job with the desired id (DescribeJob, GetJobDocument and
 * ListTagsForResource: read calls only). Undefined when there is none or it
 * is being deleted.
 */
export async function findExistingJob(client: IoTClient, desired: JobState): Promise<ExistingJob | undefined> {
  const live = await describeJob(client, desired.spec.jobId);
  if (!live || live.job?.status === "DELETION_IN_PROGRESS") return undefined;
  return existingJob(client, live, readTags(client, live.job!.jobArn!), desired);
}

/** A job already described, with its tags (read or being read), as an ExistingJob; reads its document. */
async function existingJob(
  client: IoTClient,
  live: DescribeJobCommandOutput,
  tagsRead: Record<string, string> | Promise<Record<string, string>>,
  desired: JobState,
): Promise<ExistingJob> {
  const [liveSpec, tags] = await Promise.all([liveJobSpec(client, live), tagsRead]);
  const { forcing, updatable } = jobDifferences(liveSpec, desired.spec);
  const spec: JobState["spec"] = { ...desired.spec };
  for (const m of [...forcing, ...updatable]) {
    if (liveSpec[m] === undefined) delete spec[m];
    else spec[m] = liveSpec[m];
  }
  return {
    state: { target: desired.target, region: desired.region, spec, tags: userTags(tags), deletion: desired.deletion },
    live,
    stack: stackRefOf(tags),
  };
}

/** What adopting an existing job does (used by the handler and by the preview). */
export function planJobAdoption(existing: ExistingJob, desired: JobState): Change {
  const change = decideJob(existing.state, desired);
  const finished = TERMINAL_JOB_STATUSES.includes(existing.live.job?.status as never);
  if (finished) {
    // IoT does not update finished jobs; the handler records the new members in state only.
    change.operations = change.operations.filter((o) => o.operation !== "UpdateJob");
  }
  const from = existing.stack ? `, created by CloudFormation stack ${existing.stack.stackName} as ${existing.stack.logicalId}` : "";
  const outcome =
    change.action === "none"
      ? "it matches the props, so nothing changes"
      : change.action === "update"
        ? `${change.operations.length > 0 ? "it is updated in place" : `it is ${existing.live.job?.status}, so IoT does not update it; the props are recorded in state`}`
        : "it differs in members UpdateJob cannot change, so it is replaced";
  change.notes.unshift(`adopts the existing job ${desired.spec.jobId} (${existing.live.job?.status})${from}: ${outcome}`);
  return change;
}

/** Checks that no CloudFormation stack still manages a job before changing it. */
export const checkJobStack = (
  c: StackCheckContext,
  stack: StackResourceRef | undefined,
  jobId: string,
  jobArn: string | undefined,
  operation: GuardedOperation,
) => checkStack(c, stack, `job "${jobId}"`, jobId, jobArn, operation);

/**
 * Takes over an existing job: no call when it matches; UpdateJob and tag
 * calls when only those differ; cancel, delete and create when it differs in
 * members UpdateJob cannot change. A job a stack still manages is refused first.
 */
async function adoptJob(c: CreateContext, desired: JobState, existing: ExistingJob): Promise<{ live: DescribeJobCommandOutput; stack?: StackResourceRef }> {
  const change = planJobAdoption(existing, desired);
  const jobArn = existing.live.job!.jobArn!;
  await checkJobStack(c, existing.stack, desired.spec.jobId, jobArn, "adopt");
  if (change.action === "replace") {
    checkSchedule(c.label, desired.spec); // before anything is deleted
    c.log(`${c.label}: ${change.notes[0]}`);
    await destroyJob(c, desired.spec.jobId, desired.deletion);
    return { live: await createJob({ ...c, adopt: false }, desired) };
  }
  if (change.operations.some((o) => o.operation === "UpdateJob")) {
    const input = updateJobInput(existing.state.spec, desired.spec);
    await c.client.send(new UpdateJobCommand({ jobId: desired.spec.jobId, namespaceId: desired.spec.namespaceId as string | undefined, ...input }));
  }
  await applyTagChanges(c.client, jobArn, tagChanges(existing.state.tags, desired.tags));
  const live = change.action === "none" ? existing.live : (await describeJob(c.client, desired.spec.jobId))!;
  return { live, ...(existing.stack ? { stack: existing.stack } : {}) };
}

/**
 * Creates the job. If the id is taken: this resource's own job (e.g. the
 * process died before state was written) is taken over when it matches and
 * replaced when it does not; a job being deleted is waited for; a foreign
 * job is adopted only with `adopt`.
 */
async function createJob(c: CreateContext, desired: JobState): Promise<DescribeJobCommandOutput> {
  const { client } = c;
  const spec = desired.spec;
  const tags = { ...desired.tags, ...ownershipTags(c.ownership) };
  const create = () => client.send(new CreateJobCommand({ ...(spec as any), tags: toTagList(tags) }));
  try {
    await create();
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
    const live = await describeJob(client, spec.jobId);
    if (!live || live.job?.status === "DELETION_IN_PROGRESS") {
      // Its deletion is completing (e.g. a replacement that reuses the id): wait, then create.
      await destroyJob(c, spec.jobId, desired.deletion);
      await create();
    } else {
      const liveTags = await readTags(client, live.job!.jobArn!);
      if (!isOwnedBy(liveTags, c.ownership)) {
        const stack = stackRefOf(liveTags);
        if (!c.adopt) {
          throw new AlreadyExistsError(
            `${c.label}: job "${spec.jobId}" already exists in ${c.target.description} and was not created by this resource ` +
              `(its alchemy_resource tag is ${liveTags.alchemy_resource ? `"${liveTags.alchemy_resource}"` : "absent"}` +
              `${stack ? `; CloudFormation stack "${stack.stackName}" created it as ${stack.logicalId}` : ""}). ` +
              `Set adopt: true on the resource (or deploy with --adopt) to take it over, or choose another jobId.`,
          );
        }
        // Created since adoption read it: adopt what was just read.
        return (await adoptJob(c, desired, await existingJob(client, live, liveTags, desired))).live;
      }
      const diff = jobDifferences(await liveJobSpec(client, live), spec);
      if (diff.forcing.length === 0) {
        const finished = TERMINAL_JOB_STATUSES.includes(live.job!.status as never);
        if (diff.updatable.length > 0 && !finished) {
          const input = Object.fromEntries(diff.updatable.map((m) => [m, spec[m] ?? {}]));
          await client.send(new UpdateJobCommand({ jobId: spec.jobId, namespaceId: spec.namespaceId as string | undefined, ...input }));
        }
        await applyTagChanges(client, live.job!.jobArn!, tagChanges(withoutAwsTags(liveTags), tags));
      } else {
        c.log(`${c.label}: job ${spec.jobId} exists with a different ${diff.forcing.join(", ")}; replacing it`);
        await destroyJob(c, spec.jobId, desired.deletion);
        await create();
      }
    }
  }
  return (await describeJob(client, spec.jobId))!;
}

function output(
  props: JobProps,
  desired: JobState,
  live: DescribeJobCommandOutput,
  target: IoTTarget,
  stack?: StackResourceRef,
): Job {
  const { jobTemplateArn: _, ...rest } = props;
  const job = live.job!;
  return {
    ...rest,
    jobId: desired.spec.jobId,
    jobArn: job.jobArn!,
    status: job.status!,
    createdAt: job.createdAt!,
    ...(desired.spec.jobTemplateArn !== undefined ? { jobTemplateArn: desired.spec.jobTemplateArn as string } : {}),
    region: target.region,
    target: target.key,
    ...localInstanceOf(target),
    ...(stack ? { cloudFormation: stack } : {}),
  };
}

/**
 * When the job names a managed template by ARN only, read the template to
 * check documentParameters before CreateJob (a read call; pass the
 * ManagedJobTemplate lookup instead to check with no call at all).
 */
export async function checkManagedByArn(label: string, props: JobProps, desired: DesiredJob): Promise<void> {
  if (desired.managed) return;
  const arn = desired.state.spec.jobTemplateArn as string | undefined;
  if (!arn || !isManagedTemplateArn(arn)) return;
  const m = /jobtemplate\/(.+):([^:]+)$/.exec(arn);
  if (!m) return;
  const template = await ManagedJobTemplate({ ...clientSettings(props), templateName: m[1], templateVersion: m[2] });
  const { sensitive, view } = revealForChecks(props);
  checkDocumentParameters(label, template, (view as JobProps).documentParameters as Record<string, string> | undefined, (key) =>
    sensitive.has(`documentParameters.${key}`),
  );
}

function clientSettings(props: JobProps): IoTClientProps {
  const { region, profile, accessKeyId, secretAccessKey, sessionToken, roleArn, externalId, roleSessionName, endpoint, local } = props;
  return { region, profile, accessKeyId, secretAccessKey, sessionToken, roleArn, externalId, roleSessionName, endpoint, local };
}

/**
 * An AWS IoT job: rolls a job document out to things and thing groups.
 *
 * The UpdateJob members (description, presignedUrlConfig, rollout, abort,
 * timeout, retries lowered to 0) and tags are updated in place; any other
 * change replaces the job (see docs/job.md). Destroying a job cancels it
 * (force only with `deletion.force`), deletes it and waits until it is gone.
 *
 * @example
 * // From a document, on a thing group declared in the same stack
 * const fleet = await ThingGroup("fleet", {});
 * const update = await Job("update-firmware", {
 *   targets: [fleet],
 *   document: { operation: "updateFirmware", version: "1.2.3" },
 *   targetSelection: "CONTINUOUS",
 * });
 * update.jobArn; update.status;
 *
 * @example
 * // From an AWS managed template, with its parameters checked before any call
 * const download = await ManagedJobTemplate({ templateName: "AWS-Download-File" });
 * await Job("fetch-config", {
 *   targets: [fleet],
 *   jobTemplate: download,
 *   documentParameters: { downloadUrl: "https://example.com/cfg.json", filePath: "/etc/app/cfg.json" },
 *   deletion: { force: true },
 * });
 *
 * @example
 * // From a JobTemplate, with an explicit id and a gentle rollout
 * await Job("firmware-wave-1", {
 *   jobId: "firmware-wave-1",
 *   targets: ["arn:aws:iot:us-east-1:123456789012:thinggroup/canary"],
 *   jobTemplate: firmwareTemplate,
 *   jobExecutionsRolloutConfig: { maximumPerMinute: 50 },
 * });
 */
export const Job = validatedResource(
  Resource("iot::Job", exitNonZeroOnFailure(async function (this: Context<Job, JobProps>, id: string, rawProps: JobProps): Promise<Job> {
    const label = `Job "${id}"`;
    const props = withoutTarget(rawProps);
    const log = (message: string) => this.scope.logger.log(message);
    if (this.phase === "delete") {
      if (this.output?.jobId) {
        const { client, target } = await resolveDeployed(this.output, withoutTarget(this.props), this.scope);
        const override = withoutTarget(this.props)?.overrideCloudFormationStack ?? false;
        await checkJobStack({ client, target, label, log, override }, this.output.cloudFormation, this.output.jobId, this.output.jobArn, "delete");
        await destroyJob({ client, target, label, log }, this.output.jobId, deletionOf(this.output.deletion));
      }
      return this.destroy();
    }

    const { client, target } = await resolveIoT(props, this.scope);
    const desired = desiredJob(this, props, target);
    await checkManagedByArn(label, props, desired);
    if (this.phase === "update") await assertLocalDataPresent(this.output, this.scope, label);
    const deployed = this.phase === "update" ? this.output : undefined;
    const change = planJob(deployed, desired.state);
    const c: CreateContext = {
      client,
      target,
      label,
      log,
      ownership: desired.ownership,
      adopt: props.adopt ?? this.scope.adopt ?? false,
      override: props.overrideCloudFormationStack ?? false,
    };

    if (deployed && (change.action === "replace" || change.operations.length > 0)) {
      // An adopted job may still belong to the stack that created it.
      await checkJobStack(c, deployed.cloudFormation, deployed.jobId, deployed.jobArn, change.action === "replace" ? "replace" : "update");
    }
    if (change.action === "replace") {
      // Same id: delete (and wait) first. New id or target: create now, delete the old job at the end.
      this.replace(change.replaceMode === "delete-first");
    }

    const create = async () => {
      checkSchedule(label, desired.state.spec);
      return output(props, desired.state, await createJob(c, desired.state), target);
    };
    if (change.action === "create") {
      // Adopting: read first, so taking over a matching job changes nothing.
      const existing = c.adopt ? await findExistingJob(client, desired.state) : undefined;
      if (!existing) return create();
      const adopted = await adoptJob(c, desired.state, existing);
      return output(props, desired.state, adopted.live, target, adopted.stack);
    }

    const before = deployed!;
    const live = await describeJob(client, before.jobId);
    if (!live || live.job?.status === "DELETION_IN_PROGRESS") {
      log(`${label}: job ${before.jobId} ${live ? "is being deleted" : "no longer exists"} in ${target.description}; creating it again`);
      if (live) await destroyJob(c, before.jobId, desired.state.deletion);
      return create();
    }
    if (change.operations.some((o) => o.operation === "UpdateJob")) {
      const status = live.job!.status!;
      if (TERMINAL_JOB_STATUSES.includes(status as never)) {
        log(
          `${label}: job ${before.jobId} is ${status}; IoT does not update finished jobs, so the new ` +
            `${UPDATABLE_JOB_MEMBERS.filter((m) => !isDeepStrictEqual(deployedJob(before).spec[m], desired.state.spec[m])).join(", ")} ` +
            `is recorded in state but not applied`,
        );
      } else {
        const input = updateJobInput(deployedJob(before).spec, desired.state.spec);
        await client.send(
          new UpdateJobCommand({ jobId: before.jobId, namespaceId: desired.state.spec.namespaceId as string | undefined, ...input }),
        );
      }
    }
    const tagOps = change.operations.filter((o) => o.operation === "TagResource" || o.operation === "UntagResource");
    if (tagOps.length > 0) {
      await applyTagChanges(client, before.jobArn, tagChanges(before.tags ?? {}, desired.state.tags));
    }
    return output(props, desired.state, live, target, before.cloudFormation);
  })),
  (id, props) => {
    const checked = checkProps(`Job "${id}"`, jobPropsSchema, props);
    const view = checked.view as Record<string, any>;
    if (isManagedJobTemplate(view.jobTemplate)) {
      checkDocumentParameters(`Job "${id}"`, view.jobTemplate, view.documentParameters, (key) =>
        checked.sensitive.has(`documentParameters.${key}`),
      );
    }
  },
);
