/**
 * A job's members and the rules of changing them: what CreateJob takes, what
 * UpdateJob can change (and how), the default jobId, and the time rules that
 * only hold when a job is created.
 */
import type { DescribeJobCommandOutput } from "@aws-sdk/client-iot";
import { isDeepStrictEqual } from "node:util";
import { UPDATABLE_JOB_MEMBERS } from "../../../api/constraints.ts";
import { parseScheduleTime } from "../../../api/schedule-time.ts";
import { parseDocument } from "../../engine/change.ts";
import type { z } from "zod";
import { createHmac } from "node:crypto";
import type { JOB_PROPERTIES } from "../../../api/cloudformation/properties.ts";
import {
  memberTable,
  membersWhere,
  type CloudFormationMembers,
  type LimitContext,
  type MemberRow,
  type MemberRows,
  type MembersVia,
  type MemberTable,
  type PropMembers,
  type SpecMembers,
} from "../../engine/members.ts";
import type { Holds, Same } from "../../engine/same.ts";
import type { SchedulingConfig } from "../../types.ts";
import { jobPropsSchema, targetArn, templateRefArn } from "./schema.ts";
import { revealForChecks, ValidationError } from "../../validate.ts";
import { DEFAULT_DELETION_TIMEOUT_SECONDS, type JobDeletion, type JobProps } from "./props.ts";
import { documentText, isUnset, type MembersOf } from "../shared.ts";
import { packageVersionArns } from "../package-versions.ts";
import { shortHash } from "../../common.ts";

export type Spec = { jobId: string } & Record<string, unknown>;

const UPDATABLE = new Set<string>(UPDATABLE_JOB_MEMBERS);
const FIXED = `IoT can only update a job's ${UPDATABLE_JOB_MEMBERS.join(", ")} (UpdateJob)`;
const MODEL =
  "API reference: UpdateJob (its members; the model's UpdateJobRequest); developer guide: manage-job-cli (what cannot be changed)";

type Retry = { criteriaList?: Array<{ failureType: string; numberOfRetries: number }> };

/** Retries can only be lowered to 0 after creation, for the failure types the job was created with. */
function retryLimit(before: unknown, after: unknown): string | undefined {
  if (after === undefined) return undefined; // lowered to 0 for every failure type (updateJobInput)
  const was = (before as Retry | undefined)?.criteriaList ?? [];
  const now = (after as Retry).criteriaList ?? [];
  if (was.length === 0) return "jobExecutionsRetryConfig added; retries can only be configured when a job is created";
  for (const c of now) {
    const old = was.find((w) => w.failureType === c.failureType);
    if (!old) return `jobExecutionsRetryConfig failureType ${c.failureType} added; failure types are fixed when a job is created`;
    if (c.numberOfRetries !== 0 && c.numberOfRetries !== old.numberOfRetries) {
      return `jobExecutionsRetryConfig numberOfRetries for ${c.failureType} changed to ${c.numberOfRetries}; after creation retries can only be lowered to 0`;
    }
  }
  return undefined;
}

const ASSOCIATE =
  'API reference: AssociateTargetsWithJob (a continuous job, IN_PROGRESS, at most 100 targets; "a list of thing group ARNs"); no operation removes a target';
const REPLACED_RERUN = "so the job is replaced and re-runs on all its devices";

/**
 * Targets can be added in place (AssociateTargetsWithJob) to a continuous job
 * that is in progress, thing groups only; anything else about targets
 * replaces the job. Returns why, or undefined when the call can add them.
 */
function targetsLimit(before: unknown, after: unknown, context: LimitContext): string | undefined {
  const was = (before as string[] | undefined) ?? [];
  const now = (after as string[] | undefined) ?? [];
  const removed = was.filter((t) => !now.includes(t));
  if (removed.length > 0) {
    return `${removed.length === 1 ? "a target was" : "targets were"} removed (${removed.join(", ")}): IoT cannot remove targets from a job, ${REPLACED_RERUN}`;
  }
  if (context.before.targetSelection !== "CONTINUOUS") {
    return `targets changed; a SNAPSHOT job's targets are fixed when it is created (IoT adds targets only to CONTINUOUS jobs), ${REPLACED_RERUN}`;
  }
  const things = now.filter((t) => !was.includes(t) && !/:thinggroup\//.test(t));
  if (things.length > 0) {
    return `${things.length === 1 ? "a thing was" : "things were"} added (${things.join(", ")}): IoT adds only thing groups to a running job, ${REPLACED_RERUN}`;
  }
  // A job recorded as SCHEDULED whose start time has passed has been started by IoT: it is added to, never replaced.
  const start = (context.before.schedulingConfig as SchedulingConfig | undefined)?.startTime;
  if (context.status === "SCHEDULED" && start !== undefined && scheduleTime(start) > Date.now()) {
    return `targets changed while the job is SCHEDULED (until ${start}): IoT adds targets only to a job that is IN_PROGRESS, so the job is replaced (it has not run on any device yet)`;
  }
  return undefined;
}

/** A member UpdateJob cannot change: it replaces the job. */
const FIXED_ROW = { change: "replace", why: FIXED, source: MODEL } as const;

/**
 * A Job's members, one row each: what a change to it does, and what else it
 * is (part of the spec, copied by a template made from the job, without a
 * CloudFormation property). In the order the spec is built (CreateJob's
 * input); the props, the schema and CloudFormation's properties are held to
 * these rows by tsc below.
 */
export const ROWS = {
  jobId: { change: "replace", why: "a job's id is its name", source: MODEL },
  targets: { spec: true, change: "in place", via: "AssociateTargetsWithJob", limit: targetsLimit, source: ASSOCIATE },
  targetSelection: { spec: true, ...FIXED_ROW },
  document: { spec: true, copied: true, ...FIXED_ROW },
  documentSource: { spec: true, copied: true, ...FIXED_ROW },
  jobTemplateArn: { spec: true, copied: true, alias: "jobTemplate", ...FIXED_ROW },
  documentParameters: { spec: true, copied: true, ...FIXED_ROW },
  description: {
    spec: true,
    change: "in place",
    via: "UpdateJob",
    limit: (b, a) => (a === undefined && b !== undefined ? "description removed; UpdateJob cannot clear a job's description" : undefined),
    source:
      "model: UpdateJobRequest.description, pattern [^\\p{C}]+ (an empty string is refused, and an absent member leaves the description as it is)",
  },
  presignedUrlConfig: { spec: true, copied: true, change: "in place", via: "UpdateJob", source: MODEL },
  jobExecutionsRolloutConfig: { spec: true, copied: true, change: "in place", via: "UpdateJob", source: MODEL },
  abortConfig: {
    spec: true,
    copied: true,
    change: "in place",
    via: "UpdateJob",
    limit: (b, a) => (a === undefined && b !== undefined ? "abortConfig removed; UpdateJob cannot remove abort criteria" : undefined),
    source: "model: AbortConfig.criteriaList is required with at least 1 item (an empty config is refused, an absent one changes nothing)",
  },
  timeoutConfig: {
    spec: true,
    copied: true,
    change: "in place",
    via: "UpdateJob",
    source:
      "developer guide: jobs-management-control-api, jobs-configurations-details (a new timeout applies to executions that start afterwards)",
  },
  jobExecutionsRetryConfig: {
    spec: true,
    copied: true,
    change: "in place",
    via: "UpdateJob",
    limit: retryLimit,
    source:
      "developer guide: job-configurations-api (after creation the number of retries can only be set to 0); adding retries or failure types: not documented, refused by third-party emulators (ministack), so replaced: stricter, and said in the preview",
  },
  schedulingConfig: { spec: true, copied: "maintenanceWindows", ...FIXED_ROW },
  namespaceId: { spec: true, cloudFormation: false, ...FIXED_ROW },
  destinationPackageVersions: { spec: true, copied: true, ...FIXED_ROW },
  tags: { change: "in place", via: "TagResource / UntagResource", source: "API reference: TagResource, UntagResource" },
  deletion: { change: "state only", cloudFormation: false, source: "kept for destroy and replacements; IoT stores nothing of it" },
} as const satisfies MemberRows;

type Rows = typeof ROWS;
// Each list that names the members is held to the rows: adding a member to one and not the other fails tsc.
type _PropsAreTheRows = Holds<Same<MembersOf<JobProps>, PropMembers<Rows>>>;
type _SchemaIsTheProps = Holds<Same<keyof z.input<typeof jobPropsSchema>, keyof JobProps>>;
type _CloudFormationIsTheRows = Holds<Same<keyof typeof JOB_PROPERTIES, CloudFormationMembers<Rows>>>;
type _UpdateJobIsTheRows = Holds<Same<MembersVia<Rows, "UpdateJob">, (typeof UPDATABLE_JOB_MEMBERS)[number]>>;

/** The members of CreateJob that define a job (the id and tags aside), in the order of the rows. */
export const SPEC_MEMBERS = membersWhere<Rows, SpecMembers<Rows>>(ROWS, (row) => row.spec === true);

/**
 * What each change to a Job does, as docs/job.md shows it: the id and what
 * replaces the job first, then what UpdateJob changes, then tags and settings.
 */
export const MEMBERS: MemberTable = memberTable(ROWS, (r) =>
  r.via === "UpdateJob" ? 1 : r.member === "tags" || r.change === "state only" ? 2 : 0,
);

/**
 * The fingerprint of a job's document and configuration as a template made
 * from it copies them (the rows marked `copied`), keyed with the app's
 * password so that it reveals nothing of a secret document.
 */
export function copiedJobFingerprint(job: Record<string, unknown>, key: string): string {
  const view = revealForChecks(job).view as Record<string, unknown>;
  const copied: Record<string, unknown> = {};
  for (const [m, row] of Object.entries(ROWS) as Array<[string, MemberRow]>) {
    if (row.copied === undefined) continue;
    const value =
      m === "document" ? documentText(view.document) : m === "destinationPackageVersions" ? packageVersionArns(view[m]) : view[m];
    if (row.copied === true) copied[m] = value;
    else copied[row.copied] = (value as Record<string, unknown> | undefined)?.[row.copied];
  }
  return createHmac("sha256", key).update(JSON.stringify(copied)).digest("hex").slice(0, 16);
}

/** A job's CreateJob input (tags aside) from secret-revealed props. */
export function jobSpec(view: Record<string, any>, jobId: string): Spec {
  const spec: Spec = { jobId };
  const targets = [...new Set((view.targets ?? []).map(targetArn) as string[])].sort();
  const source: Record<string, unknown> = {
    ...view,
    targets,
    targetSelection: view.targetSelection ?? "SNAPSHOT",
    document: documentText(view.document),
    jobTemplateArn: templateRefArn(view.jobTemplate ?? view.jobTemplateArn),
    destinationPackageVersions: packageVersionArns(view.destinationPackageVersions),
  };
  for (const m of SPEC_MEMBERS) {
    const v = source[m];
    if (v !== undefined) spec[m] = structuredClone(v);
  }
  return spec;
}

/** The live job in the shape of `jobSpec` (`document` read back unsubstituted, when it was read). */
export function liveJobSpec(live: DescribeJobCommandOutput, document: string | undefined): Spec {
  const job = live.job!;
  const source: Record<string, unknown> = {
    ...job,
    targets: [...(job.targets ?? [])].sort(),
    targetSelection: job.targetSelection ?? "SNAPSHOT",
    documentSource: live.documentSource,
    document: live.documentSource ? undefined : document,
  };
  const spec: Spec = { jobId: job.jobId! };
  for (const m of SPEC_MEMBERS) if (!isUnset(source[m])) spec[m] = source[m];
  return spec;
}

/**
 * A live job compared with what the program gives: members a template
 * supplied (the program does not give them) are taken as the program has them,
 * and a retry config of 0 retries for every failure type (what removing one
 * leaves, as UpdateJob cannot remove it) as none when the program gives none.
 */
export function comparable(live: Spec, hint: Spec | undefined): Spec {
  const out: Spec = { ...live };
  // A removed retry config is sent as 0 retries per failure type (updateJobInput): that is no retry config.
  const retries = (live.jobExecutionsRetryConfig as Retry | undefined)?.criteriaList;
  if (hint && hint.jobExecutionsRetryConfig === undefined && retries?.every((c) => c.numberOfRetries === 0))
    delete out.jobExecutionsRetryConfig;
  if (!hint?.jobTemplateArn) return out;
  for (const m of SPEC_MEMBERS) if (hint[m] === undefined) delete out[m];
  return out;
}

/** Canonical JSON (sorted keys; documents parsed), so key order never changes a hash. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sort(value));
}

/** What stands for a secret value in the hash: the id must not let anyone test guesses of a secret. */
const SECRET = "(secret)";

/**
 * The members UpdateJob cannot change, as a stable hash (the default jobId's
 * suffix). Secret values (`sensitive` paths: the document, document
 * parameters) are left out: a job id is printed and seen by every device, and
 * a hash of a short secret can be checked against guesses.
 */
export function forcingHash(spec: Spec, location: { key: string; region: string }, sensitive: ReadonlySet<string>): string {
  // ("target" is what the location was called when default ids were first made: renaming it would rename every job.)
  const forcing: Record<string, unknown> = { target: location.key, region: location.region };
  for (const m of SPEC_MEMBERS) {
    if (UPDATABLE.has(m) || spec[m] === undefined) continue;
    if (sensitive.has(m)) forcing[m] = SECRET;
    else if (m === "document") forcing[m] = parseDocument(spec[m] as string);
    else if (m === "documentParameters") {
      const params = spec[m] as Record<string, string>;
      forcing[m] = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, sensitive.has(`${m}.${k}`) ? SECRET : v]));
    } else forcing[m] = spec[m];
  }
  return shortHash(canonical(forcing));
}

export function deletionOf(d: JobDeletion | undefined): { force: boolean; timeoutSeconds: number } {
  return { force: d?.force ?? false, timeoutSeconds: d?.timeoutSeconds ?? DEFAULT_DELETION_TIMEOUT_SECONDS };
}

/**
 * UpdateJob's input for a change of updatable members: the changed members,
 * with removals expressed the way UpdateJob accepts them (an empty config, or
 * retries lowered to 0).
 */
export function updateJobInput(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const m of UPDATABLE_JOB_MEMBERS) {
    if (isDeepStrictEqual(before[m], after[m])) continue;
    if (after[m] !== undefined) input[m] = after[m];
    else if (m === "jobExecutionsRetryConfig") {
      const was = (before[m] as Retry).criteriaList ?? [];
      input[m] = { criteriaList: was.map((c) => ({ failureType: c.failureType, numberOfRetries: 0 })) };
    } else input[m] = {};
  }
  return input;
}

/** A schedulingConfig time (UTC when it names no offset, as IoT reads it), in epoch milliseconds. */
export const scheduleTime = (t: string): number => parseScheduleTime(t) ?? Number.NaN;

/**
 * Time-relative scheduling rules, checked when a job is created (not on later
 * deploys, when its start time may well have passed).
 */
export function checkSchedule(label: string, spec: Spec): void {
  const config = spec.schedulingConfig as SchedulingConfig | undefined;
  const now = Date.now();
  const issues: Array<{ path: string; message: string }> = [];
  const MIN = 30 * 60_000;
  if (config?.startTime) {
    const start = scheduleTime(config.startTime);
    if (start < now + MIN)
      issues.push({
        path: "schedulingConfig.startTime",
        message: `schedulingConfig.startTime: "${config.startTime}" must be at least 30 minutes in the future`,
      });
    if (start > now + 366 * 86_400_000)
      issues.push({
        path: "schedulingConfig.startTime",
        message: `schedulingConfig.startTime: "${config.startTime}" must be at most one year in the future`,
      });
  }
  if (config?.endTime) {
    const end = scheduleTime(config.endTime);
    if (end < now + MIN)
      issues.push({
        path: "schedulingConfig.endTime",
        message: `schedulingConfig.endTime: "${config.endTime}" must be at least 30 minutes in the future`,
      });
    if (end > now + 2 * 366 * 86_400_000)
      issues.push({
        path: "schedulingConfig.endTime",
        message: `schedulingConfig.endTime: "${config.endTime}" must be at most two years in the future`,
      });
  }
  if (issues.length > 0) throw new ValidationError(label, issues);
}
