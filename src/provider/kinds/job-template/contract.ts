/**
 * JobTemplate: an AWS IoT job template. IoT has no UpdateJobTemplate: tags
 * change in place, anything else replaces the template (MEMBERS).
 */
import type { DescribeJobTemplateCommandOutput } from "@aws-sdk/client-iot";
import { DescribeJobTemplateCommand, DescribeJobCommand } from "../../iot-sdk.ts";
import type { z } from "zod";
import type { JOB_TEMPLATE_PROPERTIES } from "../../../api/cloudformation/properties.ts";
import { defaultPhysicalId, ifFound, ownershipOf } from "../../common.ts";
import { creationDiffs, listNames, noChange, tagDiffs, type Change } from "../../engine/change.ts";
import type { Desired, Kind, Observed, Recorded, ResourceState } from "../../engine/contract.ts";
import { defineResource } from "../../engine/define.ts";
import { plannedEarlier } from "../../engine/recorder.ts";
import {
  compare,
  memberTable,
  membersWhere,
  type CloudFormationMembers,
  type MemberRows,
  type MemberTable,
  type PropMembers,
  type SpecMembers,
} from "../../engine/members.ts";
import type { Holds, Same } from "../../engine/same.ts";
import { copiedJobFingerprint } from "../job/spec.ts";
import { operation } from "../../engine/operations.ts";
import { describeLocation, moved, replacement } from "../decide.ts";
import type * as Declared from "./props.ts";
import { jobTemplatePropsSchema } from "./schema.ts";
import { ownershipTags, toTagList } from "../../tags.ts";
import { isUnknown, UNKNOWN } from "../../unknown.ts";
import { checkProps, ValidationError } from "../../validate.ts";
import { checkInstalls, checkLiveVersions, declaredVersions, packageVersionArns } from "../package-versions.ts";
import {
  arnFor,
  documentText,
  isUnset,
  outputBase,
  readOwnership,
  recordedBase,
  revealed,
  tagOperations,
  sealed,
  type MembersOf,
  type RecordedOutput,
} from "../shared.ts";

export type JobTemplateProps = Declared.JobTemplateProps;
export type JobTemplate = Declared.JobTemplate;

const IMMUTABLE = "IoT job templates cannot be updated (there is no UpdateJobTemplate), so the template is replaced";
const SOURCE = "API reference: CreateJobTemplate, DeleteJobTemplate; no UpdateJobTemplate exists";
/** A member of CreateJobTemplate's spec: any change replaces the template. */
const SPEC_ROW = { spec: true, change: "replace", why: IMMUTABLE, source: SOURCE } as const;

/**
 * A JobTemplate's members, one row each, in the order the spec is built
 * (CreateJobTemplate's input); the props, the schema and CloudFormation's
 * properties are held to these rows by tsc below.
 */
export const ROWS = {
  jobTemplateId: {
    change: "replace",
    why: "a template's id is its name; the new template is created before the old one is deleted",
    source: SOURCE,
  },
  description: SPEC_ROW,
  document: SPEC_ROW,
  documentSource: SPEC_ROW,
  jobArn: SPEC_ROW,
  presignedUrlConfig: SPEC_ROW,
  jobExecutionsRolloutConfig: SPEC_ROW,
  abortConfig: SPEC_ROW,
  timeoutConfig: SPEC_ROW,
  jobExecutionsRetryConfig: SPEC_ROW,
  maintenanceWindows: SPEC_ROW,
  destinationPackageVersions: SPEC_ROW,
  copiedJob: {
    prop: false,
    change: "replace",
    whole: true,
    why: "the job it copies (jobArn) now has another document or configuration; a template copies them when it is created, so it is made again",
    source: "API reference: CreateJobTemplate jobArn",
  },
  tags: { change: "in place", via: "TagResource / UntagResource", source: "API reference: TagResource, UntagResource" },
} as const satisfies MemberRows;

type Rows = typeof ROWS;
// Each list that names the members is held to the rows: adding a member to one and not the other fails tsc.
type _PropsAreTheRows = Holds<Same<MembersOf<JobTemplateProps>, PropMembers<Rows>>>;
type _SchemaIsTheProps = Holds<Same<keyof z.input<typeof jobTemplatePropsSchema>, keyof JobTemplateProps>>;
type _CloudFormationIsTheRows = Holds<Same<keyof typeof JOB_TEMPLATE_PROPERTIES, CloudFormationMembers<Rows>>>;

/** The members of CreateJobTemplate that define a template (the id and tags aside). */
const SPEC_MEMBERS = membersWhere<Rows, SpecMembers<Rows>>(ROWS, (row) => row.spec === true);

/** What each change to a JobTemplate does. */
export const MEMBERS: MemberTable = memberTable(ROWS);

type Spec = { jobTemplateId: string } & Record<string, unknown>;

const jobArnOf = (v: unknown): string | undefined =>
  v && typeof v === "object" ? (v as { jobArn?: string }).jobArn : (v as string | undefined);

/** A template's CreateJobTemplate input (tags aside), from secret-revealed props. */
export function templateSpec(view: Record<string, any>, jobTemplateId: string): Spec {
  const spec: Spec = { jobTemplateId };
  for (const m of SPEC_MEMBERS) {
    let v = view[m];
    if (m === "document") v = documentText(v);
    if (m === "jobArn") v = jobArnOf(v);
    if (m === "destinationPackageVersions") v = packageVersionArns(v);
    if (v !== undefined) spec[m] = structuredClone(v);
  }
  return spec;
}

/** The live spec of a template, in the same shape as `templateSpec`. */
export function liveTemplateSpec(live: DescribeJobTemplateCommandOutput): Spec {
  const spec: Spec = { jobTemplateId: live.jobTemplateId! };
  for (const m of SPEC_MEMBERS) {
    const v = (live as unknown as Record<string, unknown>)[m];
    if (!isUnset(v)) spec[m] = v;
  }
  return spec;
}

/**
 * A live template made from a job (`jobArn`) carries the job's copied
 * members, and IoT does not say which job it was: compare only what the
 * program gives explicitly (`hint`), and take jobArn from it.
 */
function comparable(live: Spec, hint: Spec | undefined): Spec {
  if (!hint?.jobArn) return live;
  const out: Spec = { jobTemplateId: live.jobTemplateId, jobArn: hint.jobArn };
  for (const m of SPEC_MEMBERS) if (m !== "jobArn" && hint[m] !== undefined && live[m] !== undefined) out[m] = live[m];
  if (live.description !== undefined) out.description = live.description;
  return out;
}

// Sealed: no Secret object in its state or calls, no secret value in its diffs (shared.ts).
const kind: Kind<JobTemplateProps, JobTemplate, Spec> = sealed({
  type: "iot::JobTemplate",
  label: "JobTemplate",
  noun: "job template",
  members: MEMBERS,
  tagged: true,
  idMember: "jobTemplateId",
  created: { arn: "jobTemplateArn" },

  desire(ctx, props, location): Desired<Spec> {
    const checked = checkProps(`JobTemplate "${ctx.id}"`, jobTemplatePropsSchema, props);
    const view = checked.view as Record<string, any>;
    checkInstalls(`JobTemplate "${ctx.id}"`, view, documentText);
    const ownership = ownershipOf(ctx);
    const id: string = view.jobTemplateId ?? defaultPhysicalId(ownership);
    const fingerprint = view.jobArn && typeof view.jobArn === "object" ? (view.jobArn as { fingerprint?: string }).fingerprint : undefined;
    return {
      id,
      ownership,
      sensitive: checked.sensitive,
      state: {
        location: location.key,
        region: location.region,
        spec: templateSpec(view, id),
        tags: { ...(view.tags ?? {}) },
        settings: fingerprint ? { copiedJob: fingerprint } : {},
      },
    };
  },

  recorded(output): Recorded<Spec> | undefined {
    if (!output?.jobTemplateId || (output as RecordedOutput).absent) return undefined;
    const view = revealed(output);
    const fingerprint = view.jobArn && typeof view.jobArn === "object" ? view.jobArn.fingerprint : undefined;
    return {
      state: {
        ...recordedBase(output),
        spec: templateSpec(view, output.jobTemplateId),
        settings: fingerprint ? { copiedJob: fingerprint } : {},
      },
      facts: { arn: output.jobTemplateArn, createdAt: output.createdAt, extra: {} },
      ...(output.cloudFormation ? { stack: output.cloudFormation } : {}),
      ...((output as RecordedOutput).adopted ? { adopted: true } : {}),
    };
  },

  async observe(client, id, desired, recorded): Promise<Observed<Spec> | null> {
    const live = await ifFound(client.send(new DescribeJobTemplateCommand({ jobTemplateId: id })));
    if (!live) return null;
    const hint = recorded?.state ?? desired?.state;
    const reading = await readOwnership(client, live.jobTemplateArn!, desired?.ownership);
    return {
      state: {
        location: hint?.location ?? "",
        region: hint?.region ?? "",
        spec: comparable(liveTemplateSpec(live), hint?.spec),
        tags: reading.tags,
        // Not something IoT stores: taken as it is recorded.
        settings: { ...(hint?.settings ?? {}) },
      },
      facts: { arn: live.jobTemplateArn!, createdAt: live.createdAt, extra: {} },
      ours: reading.ours,
      ...(reading.ownerTag ? { ownerTag: reading.ownerTag } : {}),
      ...(reading.stack ? { stack: reading.stack } : {}),
    };
  },

  decide(before, desired): Change {
    const id = desired.id;
    const create = operation(
      "CreateJobTemplate",
      { ...(desired.state.spec as any), tags: toTagList({ ...desired.state.tags, ...ownershipTags(desired.ownership) }) },
      id,
      { part: "create" },
    );
    if (!before)
      return {
        ...noChange(),
        action: "create",
        diffs: creationDiffs({ ...desired.state.spec, ...desired.state.settings }, desired.state.tags),
        operations: [create],
      };
    const b = before.state;
    const { diffs, replaced } = compare(MEMBERS, { ...b.spec, ...b.settings }, { ...desired.state.spec, ...desired.state.settings });
    diffs.push(...tagDiffs(b.tags, desired.state.tags));
    const movedAway = moved(b, desired.state);
    if (movedAway || replaced.length > 0) {
      const oldId = String(b.spec.jobTemplateId);
      const reasons: string[] = [];
      if (movedAway)
        reasons.push(
          `the template moves from ${describeLocation(b)} to ${describeLocation(desired.state)}; it is created there and deleted here`,
        );
      if (oldId !== id) reasons.push(`jobTemplateId changed (${oldId} → ${id}); the new template is created before the old one is deleted`);
      const others = replaced.filter((r) => r.member !== "jobTemplateId");
      const immutable = others.filter((r) => r.reason.endsWith(IMMUTABLE)).map((r) => r.member);
      if (immutable.length > 0) reasons.push(`${listNames(immutable)} changed; ${IMMUTABLE}`);
      reasons.push(...others.filter((r) => !r.reason.endsWith(IMMUTABLE)).map((r) => r.reason));
      const remove = operation("DeleteJobTemplate", { jobTemplateId: oldId }, oldId, { part: "delete" });
      return { ...noChange(), ...replacement(movedAway || oldId !== id, [create], [remove]), reasons, diffs };
    }
    if (diffs.length === 0) return noChange();
    return { ...noChange(), action: "update", diffs, operations: tagOperations(b.tags, desired.state.tags, before.facts.arn, id) };
  },

  removal(recorded): Change {
    const id = String(recorded.state.spec.jobTemplateId);
    return { ...noChange(), action: "delete", operations: [operation("DeleteJobTemplate", { jobTemplateId: id }, id)] };
  },

  /** A template that copies a job needs that job to exist (and not be being deleted) when it is created. */
  async preflight(client, desired, location) {
    const arn = desired.state.spec.jobArn as string | undefined;
    if (!arn || isUnknown(arn)) return;
    const label = `JobTemplate "${desired.ownership.resource.split("/").pop()}"`;
    const m = /^arn:aws[a-z-]*:iot:([a-z0-9-]+):(\d{12}):job\/([a-zA-Z0-9_-]+)$/.exec(arn);
    const refuse = (rule: string) => {
      throw new ValidationError(label, [
        {
          path: "jobArn",
          message: `jobArn: ${JSON.stringify(arn)} ${rule}; the template is replaced by deleting it first, so nothing was deleted`,
        },
      ]);
    };
    if (!m) return refuse("is not a job ARN (arn:aws:iot:<region>:<account>:job/<jobId>)");
    if (m[1] !== location.region) return refuse(`is in ${m[1]}, and the template is created in ${location.region}`);
    // A job the program declares earlier exists by then in a deploy; a preview, which creates nothing, knows it from its plan.
    if (plannedEarlier("iot::Job", `${location.key}|${location.region}`, m[3])) return;
    const job = await ifFound(client.send(new DescribeJobCommand({ jobId: m[3] })));
    if (!job || job.job?.status === "DELETION_IN_PROGRESS")
      return refuse(`names a job that does not exist in ${describeLocation(desired.state)}`);
  },

  /** The package versions named by ARN: each exists and is not DRAFT (read before the create). */
  async checkCreate(client, desired, props) {
    await checkLiveVersions(
      client,
      `JobTemplate "${desired.ownership.resource.split("/").pop()}"`,
      "destinationPackageVersions",
      props.destinationPackageVersions,
    );
  },

  predict(desired, location, account) {
    return { arn: arnFor(location, account, "jobtemplate", desired.id), extra: {} };
  },

  output(props, desired, facts, location, taken): JobTemplate {
    return {
      ...props,
      jobTemplateId: desired.id,
      jobTemplateArn: facts.arn,
      createdAt: facts.createdAt ?? (UNKNOWN as unknown as Date),
      ...outputBase(location, taken),
    };
  },
});

/**
 * An AWS IoT job template: a reusable job document plus rollout, abort,
 * timeout, retry and scheduling settings that jobs are created from.
 *
 * IoT has no UpdateJobTemplate: changing tags updates the template in place,
 * any other change replaces it (see docs/job-template.md for the table).
 *
 * @example
 * // A template from a document
 * const firmware = await JobTemplate("firmware-update", {
 *   description: "Roll out firmware 1.2.3",
 *   document: { operation: "updateFirmware", version: "1.2.3" },
 *   timeoutConfig: { inProgressTimeoutInMinutes: 60 },
 *   abortConfig: {
 *     criteriaList: [
 *       { failureType: "FAILED", action: "CANCEL", thresholdPercentage: 10, minNumberOfExecutedThings: 5 },
 *     ],
 *   },
 *   tags: { team: "fleet", env: "prod" },
 * });
 * firmware.jobTemplateArn;
 *
 * @example
 * // A template whose document is read from S3, with presigned URLs for the firmware image
 * const fromS3 = await JobTemplate("ota", {
 *   description: "OTA update",
 *   documentSource: "https://my-bucket.s3.us-east-1.amazonaws.com/jobs/ota.json",
 *   presignedUrlConfig: { roleArn: "arn:aws:iam::123456789012:role/iot-s3-presign", expiresInSec: 3600 },
 * });
 *
 * @example
 * // A template that copies a Job of the same stack (made again when the job's document or configuration changes)
 * const copy = await JobTemplate("from-job", { description: "Copy of a job", jobArn: job });
 *
 * @example
 * // A secret document: encrypted in state (set the app's password), masked in logs and previews
 * const secret = await JobTemplate("rotate-keys", {
 *   description: "Rotate device keys",
 *   document: alchemy.secret(JSON.stringify({ operation: "rotate", token: process.env.ROTATE_TOKEN })),
 * });
 */
export const JobTemplate = defineResource(kind, {
  validate(id, props) {
    const checked = checkProps(`JobTemplate "${id}"`, jobTemplatePropsSchema, props);
    checkInstalls(`JobTemplate "${id}"`, checked.view as Record<string, any>, documentText);
  },
  normalize(given, scope) {
    const props = Array.isArray(given.destinationPackageVersions)
      ? { ...given, destinationPackageVersions: declaredVersions(given.destinationPackageVersions) }
      : given;
    const job = props.jobArn;
    if (!job || typeof job !== "object") return props;
    // A Job resource: keep its ARN, and a fingerprint of what the template copies from it.
    const fingerprint = "jobId" in job ? copiedJobFingerprint(job as Record<string, unknown>, scope?.password ?? "") : undefined;
    return { ...props, jobArn: { jobArn: job.jobArn, ...(fingerprint ? { fingerprint } : {}) } };
  },
});

export const jobTemplateKind = kind;
export type { ResourceState };
