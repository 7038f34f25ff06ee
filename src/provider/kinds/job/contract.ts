/**
 * Job: an AWS IoT job. The UpdateJob members change in place (within what
 * UpdateJob can express), tags too; anything else replaces the job, which
 * runs it again on its devices (ROWS in spec.ts).
 */
import {
  DescribeJobCommand,
  DescribeJobTemplateCommand,
  DescribeManagedJobTemplateCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  GetJobDocumentCommand,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { defaultPhysicalId, ifFound, ownershipOf } from "../../common.ts";
import { FINISHED_JOB_RULE, isFinishedJob } from "../../../api/constraints.ts";
import { creationDiffs, listNames, noChange, tagDiffs, type Change } from "../../engine/change.ts";
import { accountOf } from "../../engine/accounts.ts";
import type { Before, Desired, Kind, Observed, Recorded } from "../../engine/contract.ts";
import { defineResource } from "../../engine/define.ts";
import { compare } from "../../engine/members.ts";
import { operation, type Operation } from "../../engine/operations.ts";
import type { Location } from "../../location.ts";
import { ownershipTags, toTagList, type Ownership } from "../../tags.ts";
import { containsUnknown, isUnknown, UNKNOWN } from "../../unknown.ts";
import { checkProps, ValidationError } from "../../validate.ts";
import { describeLocation, moved, replacement } from "../decide.ts";
import type * as Declared from "./props.ts";
import { isManagedTemplateArn, jobPropsSchema, targetArn } from "./schema.ts";
import { checkSchedule, comparable, deletionOf, forcingHash, jobSpec, liveJobSpec, MEMBERS, updateJobInput, type Spec } from "./spec.ts";
import { checkDocumentParameters, isManagedJobTemplate, type ManagedJobTemplate } from "../managed-job-template/lookup.ts";
import { untilGone, whileCancelable, whileRunning } from "./guards.ts";
import { impactProbe, noteLiveJob } from "./impact.ts";
import { arnFor, outputBase, readOwnership, recordedBase, revealed, tagOperations, sealed, type RecordedOutput } from "../shared.ts";

export type JobProps = Declared.JobProps;
export type Job = Declared.Job;
export type { JobDeletion } from "./props.ts";
export { MEMBERS as JOB_MEMBERS, ROWS as JOB_ROWS } from "./spec.ts";

/** Is a document parameter a secret (its own value, or the whole documentParameters map)? Its value is then never printed. */
const secretParameter = (sensitive: ReadonlySet<string>) => (key: string) =>
  sensitive.has("documentParameters") || sensitive.has(`documentParameters.${key}`);

const labelOf = (desired: Desired) => `Job "${desired.ownership.resource.split("/").pop()}"`;

/**
 * May this run cancel executions that devices are running? The job's
 * `deletion.force`, or ALCHEMY_IOT_FORCE_JOB_DELETION=1 for this one run:
 * decided with the plan, so the preview shows the cancellation's force and
 * the deploy sends exactly that.
 */
const forceAllowed = (deletion: { force: boolean }) => deletion.force || process.env.ALCHEMY_IOT_FORCE_JOB_DELETION === "1";

/** The calls that delete a job: cancel it if it still runs (force only if allowed), delete it, wait until IoT no longer knows it. */
function deleteOperations(jobId: string, deletion: { force: boolean; timeoutSeconds: number }, namespaceId: unknown): Operation[] {
  const force = forceAllowed(deletion);
  return [
    operation("CancelJob", { jobId, ...(force ? { force: true } : {}) }, jobId, { guard: whileCancelable(force) }),
    operation("DeleteJob", { jobId, force: deletion.force || undefined, namespaceId: namespaceId as string | undefined }, jobId, {
      guard: untilGone(deletion.timeoutSeconds),
    }),
  ];
}

/**
 * A job's targets are things and thing groups of the account and region the
 * job is created in (IoT looks them up there): one elsewhere is refused
 * before any call, naming where the job goes. The account is checked when it
 * is known (the embedded endpoint's, or one seen in a recorded ARN).
 */
function checkTargetsWhere(label: string, targets: unknown, location: Location): void {
  if (!Array.isArray(targets)) return;
  const account = accountOf(location);
  const issues: Array<{ path: string; message: string }> = [];
  targets.forEach((t, i) => {
    const arn = targetArn(t);
    const m = typeof arn === "string" && !isUnknown(arn) ? /^arn:aws[a-z-]*:iot:([a-z0-9-]+):(\d{12}):/.exec(arn) : null;
    if (!m) return;
    const path = `targets[${i}]`;
    if (m[1] !== location.region) {
      issues.push({
        path,
        message: `${path}: ${JSON.stringify(arn)} is in region ${m[1]}, but the job is created in ${location.region}; a job targets things and thing groups of its own region`,
      });
    } else if (account && m[2] !== account) {
      issues.push({
        path,
        message: `${path}: ${JSON.stringify(arn)} is in account ${m[2]}, but the job is created in account ${account}; a job targets things and thing groups of its own account`,
      });
    }
  });
  if (issues.length > 0) throw new ValidationError(label, issues);
}

/**
 * The default jobId: `<app>-<stage>-<id>-<hash of the members UpdateJob
 * cannot change>` (forcingHash), new when the job must be replaced. A job
 * recorded with a default id keeps it while the change needs no replacement,
 * whatever made the id: a group added to a continuous job (in place, though
 * targets are in the hash), or ids made before 0.2 (whose hash covered
 * secrets), so that neither renames a job.
 */
function defaultJobId(
  ownership: Ownership,
  draft: Spec,
  location: Location,
  sensitive: ReadonlySet<string>,
  recorded: Recorded<Spec> | undefined,
): string {
  const id = defaultPhysicalId(ownership, 64, forcingHash(draft, location, sensitive));
  const old = recorded?.state.spec.jobId as string | undefined;
  if (!recorded || !old || old === id) return id;
  if (old !== defaultPhysicalId(ownership, 64, old.slice(-8))) return id; // the id was given explicitly before
  if (recorded.state.location !== location.key || recorded.state.region !== location.region) return id;
  const { replaced } = compare(MEMBERS, recorded.state.spec, { ...draft, jobId: old }, recorded.facts.extra.status);
  return replaced.length === 0 ? old : id;
}

const forceWords = (force: boolean) => (force ? " with force (executions in progress on devices are cancelled)" : "");

function decide(before: Before<Spec> | undefined, desired: Desired<Spec>): Change {
  const id = desired.id;
  const spec = desired.state.spec;
  const create = operation(
    "CreateJob",
    { ...(spec as any), tags: toTagList({ ...desired.state.tags, ...ownershipTags(desired.ownership) }) },
    id,
    { part: "create" },
  );
  const createWarning = `creates job ${id}: every device it targets receives the job document and runs it`;
  if (!before) {
    const impact = impactProbe(desired, { change: "create", jobId: id, targets: spec.targets as string[], spec });
    return {
      ...noChange(),
      action: "create",
      diffs: creationDiffs({ ...spec, ...desired.state.settings }, desired.state.tags),
      operations: [create],
      warnings: [createWarning],
      impact,
    };
  }
  const b = before.state;
  const oldId = String(b.spec.jobId);
  const status = before.facts.extra.status;
  const { diffs, replaced, inPlace, stateOnly } = compare(
    MEMBERS,
    { ...b.spec, ...b.settings },
    { ...spec, ...desired.state.settings },
    status,
  );
  diffs.push(...tagDiffs(b.tags, desired.state.tags));
  const movedAway = moved(b, desired.state);
  if (movedAway || replaced.length > 0 || oldId !== id) {
    const reasons: string[] = [];
    if (movedAway) reasons.push(`the job moves from ${describeLocation(b)} to ${describeLocation(desired.state)}`);
    const fixed = replaced.filter((r) => !MEMBERS.find((m) => m.member === r.member && m.change === "in place") && r.member !== "jobId");
    if (fixed.length > 0)
      reasons.push(`${listNames(fixed.map((r) => r.member))} changed; ${fixed[0].reason.split("; ").slice(1).join("; ")}`);
    reasons.push(...replaced.filter((r) => MEMBERS.find((m) => m.member === r.member && m.change === "in place")).map((r) => r.reason));
    const createFirst = movedAway || oldId !== id;
    if (oldId !== id && !movedAway) {
      reasons.push(
        fixed.length > 0 && replaced.every((r) => r.member !== "jobId")
          ? `the default jobId follows the props that always force replacement, so the new job gets a new id (${id}) and is created before ${oldId} is deleted`
          : `jobId changed (${oldId} → ${id}); the new job is created before the old one is deleted`,
      );
    } else if (!createFirst) {
      reasons.push(`the jobId ${id} stays the same, so the old job is deleted (and its deletion awaited) before the new one is created`);
    }
    const deletion = b.settings.deletion as { force: boolean; timeoutSeconds: number };
    return {
      ...noChange(),
      ...replacement(createFirst, [create], deleteOperations(oldId, deletion, b.spec.namespaceId)),
      reasons,
      diffs,
      warnings: [
        `replaces job ${oldId}${oldId !== id ? ` with ${id}` : ""}: the old job is cancelled${forceWords(deletion.force)} and deleted, and every target device receives the new job`,
      ],
      impact: impactProbe(desired, { change: "replace", jobId: id, targets: spec.targets as string[], spec, force: deletion.force }),
    };
  }
  if (diffs.length === 0) return noChange();
  const change: Change = { ...noChange(), action: "update", diffs };
  const updated = inPlace.get("UpdateJob") ?? [];
  const added = inPlace.has("AssociateTargetsWithJob")
    ? (spec.targets as string[]).filter((t) => !(b.spec.targets as string[]).includes(t))
    : [];
  if (added.length > 0) {
    if (isFinishedJob(status)) {
      // IoT adds targets only to a job in progress: record them, send nothing (a replacement would re-run the job everywhere).
      change.kept = [...(change.kept ?? []), "targets"];
      change.notes.push(
        `the job is ${status}; IoT adds targets only to a job in progress, so the new targets are recorded in state only and do not receive the job`,
      );
    } else {
      change.operations.push(
        operation("AssociateTargetsWithJob", { jobId: oldId, targets: added, namespaceId: spec.namespaceId as string | undefined }, oldId, {
          guard: whileRunning(),
        }),
      );
      change.warnings.push(
        `adds ${listNames(added)} to job ${oldId}: the devices in ${added.length === 1 ? "that group" : "those groups"} receive the job, except those that already have it; no other device runs it again`,
      );
    }
  }
  if (updated.length > 0) {
    if (isFinishedJob(status)) {
      // FINISHED_JOB_RULE: record the props, send nothing.
      change.kept = [...(change.kept ?? []), ...updated];
      change.notes.push(`the job is ${status}; ${FINISHED_JOB_RULE}, so ${listNames(updated)} is recorded in state only`);
    } else {
      const input = updateJobInput(b.spec, spec);
      change.operations.push(
        operation("UpdateJob", { jobId: oldId, namespaceId: spec.namespaceId as string | undefined, ...input }, oldId, {
          guard: whileRunning(),
        }),
      );
    }
  }
  change.operations.push(...tagOperations(b.tags, desired.state.tags, before.facts.arn, id));
  const adds = change.operations.some((o) => o.op === "AssociateTargetsWithJob");
  change.impact = impactProbe(
    desired,
    adds
      ? { change: "add-targets", jobId: oldId, targets: added, already: b.spec.targets as string[], spec }
      : { change: "update", jobId: oldId, targets: [], spec },
  );
  if (stateOnly.length > 0 && change.operations.length === 0 && !change.kept) {
    change.notes.push("deletion settings are kept in state for destroy and replacements; no API call");
  }
  return change;
}

// Sealed: no Secret object in its state or calls, no secret value in its diffs (shared.ts).
const kind: Kind<JobProps, Job, Spec> = sealed({
  type: "iot::Job",
  label: "Job",
  noun: "job",
  members: MEMBERS,
  tagged: true,
  idMember: "jobId",
  created: { arn: "jobArn" },

  desire(ctx, props, location): Desired<Spec> {
    const label = `Job "${ctx.id}"`;
    const checked = checkProps(label, jobPropsSchema, props);
    const view = checked.view as Record<string, any>;
    if (isManagedJobTemplate(view.jobTemplate)) {
      checkDocumentParameters(label, view.jobTemplate, view.documentParameters, secretParameter(checked.sensitive));
    }
    checkTargetsWhere(label, view.targets, location);
    const ownership = ownershipOf(ctx);
    const draft = jobSpec(view, "");
    const id: string =
      view.jobId ??
      (containsUnknown(draft)
        ? UNKNOWN
        : defaultJobId(ownership, draft, location, checked.sensitive, kind.recorded(ctx.output as Job | undefined)));
    return {
      id,
      ownership,
      sensitive: checked.sensitive,
      state: {
        location: location.key,
        region: location.region,
        spec: { ...draft, jobId: id },
        tags: { ...(view.tags ?? {}) },
        settings: { deletion: deletionOf(view.deletion) },
      },
    };
  },

  recorded(output): Recorded<Spec> | undefined {
    if (!output?.jobId || (output as RecordedOutput).absent) return undefined;
    const view = revealed(output);
    const spec = jobSpec({ ...view, jobTemplate: undefined, jobTemplateArn: output.jobTemplateArn }, output.jobId);
    // Members recorded but not sent keep the values the job has.
    for (const [m, v] of Object.entries(output.notApplied ?? {})) {
      if (v === null) delete spec[m];
      else spec[m] = v;
    }
    return {
      state: { ...recordedBase(output), spec, settings: { deletion: deletionOf(output.deletion) } },
      facts: { arn: output.jobArn, createdAt: output.createdAt, extra: { status: output.status } },
      ...(output.cloudFormation ? { stack: output.cloudFormation } : {}),
      ...((output as RecordedOutput).adopted ? { adopted: true } : {}),
    };
  },

  async observe(client, id, desired, recorded): Promise<Observed<Spec> | null> {
    const live = await ifFound(client.send(new DescribeJobCommand({ jobId: id })));
    noteLiveJob(desired ?? recorded, client, live); // a preview with --refresh measures the device impact from it
    if (!live) return null;
    const hint = recorded?.state ?? desired?.state;
    const job = live.job!;
    const deleting = job.status === "DELETION_IN_PROGRESS";
    // The document is read only when the program gives one (a job from a template or from S3 has it from there).
    const needsDocument = !deleting && hint?.spec.document !== undefined && !live.documentSource;
    const [document, reading] = await Promise.all([
      needsDocument ? client.send(new GetJobDocumentCommand({ jobId: id, beforeSubstitution: true })).then((d) => d.document) : undefined,
      readOwnership(client, job.jobArn!, desired?.ownership),
    ]);
    const spec = comparable(liveJobSpec(live, document), hint?.spec);
    if (!needsDocument && hint?.spec.document !== undefined) spec.document = hint.spec.document;
    return {
      state: {
        location: hint?.location ?? "",
        region: hint?.region ?? "",
        spec,
        tags: reading.tags,
        settings: { ...(hint?.settings ?? {}) },
      },
      facts: { arn: job.jobArn!, createdAt: job.createdAt, extra: { status: job.status } },
      ours: reading.ours,
      ...(reading.ownerTag ? { ownerTag: reading.ownerTag } : {}),
      ...(reading.stack ? { stack: reading.stack } : {}),
      ...(deleting ? { deleting: true } : {}),
    };
  },

  decide,

  removal(recorded): Change {
    const id = String(recorded.state.spec.jobId);
    const deletion = recorded.state.settings.deletion as { force: boolean; timeoutSeconds: number };
    return {
      ...noChange(),
      action: "delete",
      operations: deleteOperations(id, deletion, recorded.state.spec.namespaceId),
      warnings: [`deletes job ${id}: it is cancelled${forceWords(deletion.force)} and deleted; devices stop receiving it`],
      impact: impactProbe(recorded, {
        change: "delete",
        jobId: id,
        targets: recorded.state.spec.targets as string[],
        spec: recorded.state.spec,
        force: deletion.force,
      }),
    };
  },

  /** The time rules of a new job, and the documentParameters of a managed template named only by ARN (read first). */
  async checkCreate(client, desired, props) {
    checkSchedule(labelOf(desired), desired.state.spec);
    const arn = desired.state.spec.jobTemplateArn as string | undefined;
    if (!arn || isUnknown(arn) || !isManagedTemplateArn(arn) || isManagedJobTemplate(props.jobTemplate)) return;
    const m = /jobtemplate\/(.+):([^:]+)$/.exec(arn);
    if (!m) return;
    const template = await ifFound(client.send(new DescribeManagedJobTemplateCommand({ templateName: m[1], templateVersion: m[2] })));
    if (!template) {
      throw new ValidationError(labelOf(desired), [
        { path: "jobTemplateArn", message: `jobTemplateArn: ${JSON.stringify(arn)} names no AWS managed job template` },
      ]);
    }
    const managed = {
      templateName: m[1],
      templateVersion: m[2],
      documentParameters: (template.documentParameters ?? []).map((p) => ({ ...p, key: p.key!, optional: p.optional ?? false })),
    };
    checkDocumentParameters(
      labelOf(desired),
      managed as Pick<ManagedJobTemplate, "templateName" | "templateVersion" | "documentParameters">,
      desired.state.spec.documentParameters as Record<string, string> | undefined,
      secretParameter(desired.sensitive),
    );
  },

  /** The template (unless an AWS managed one) and the targets: each declared by the program, or existing where the job is created. */
  references(desired) {
    const spec = desired.state.spec;
    const refs = ((spec.targets as string[] | undefined) ?? []).flatMap((arn, i) => {
      const m = /^arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:(thing|thinggroup)\/(.+)$/.exec(arn);
      return m && !isUnknown(arn) ? [{ path: `targets[${i}]`, type: m[1] === "thing" ? "iot::Thing" : "iot::ThingGroup", id: m[2] }] : [];
    });
    const template = spec.jobTemplateArn as string | undefined;
    const id =
      template && !isUnknown(template) && !isManagedTemplateArn(template)
        ? /jobtemplate\/([a-zA-Z0-9_-]+)$/.exec(template)?.[1]
        : undefined;
    if (id) refs.push({ path: "jobTemplate", type: "iot::JobTemplate", id });
    return refs;
  },

  /** Before the old job is deleted: every target and the template exist where the job is created. */
  async preflight(client, desired, location) {
    const spec = desired.state.spec;
    const problems: Array<{ path: string; message: string }> = [];
    const targets = (spec.targets as string[]) ?? [];
    await Promise.all(
      targets.map(async (arn, i) => {
        const m = /^arn:aws[a-z-]*:iot:([a-z0-9-]+):\d{12}:(thing|thinggroup)\/(.+)$/.exec(arn);
        if (!m || isUnknown(arn)) return;
        const found =
          m[1] === location.region &&
          (m[2] === "thing"
            ? await ifFound(client.send(new DescribeThingCommand({ thingName: m[3] })))
            : await ifFound(client.send(new DescribeThingGroupCommand({ thingGroupName: m[3] }))));
        if (!found)
          problems.push({
            path: `targets[${i}]`,
            message: `targets[${i}]: ${JSON.stringify(arn)} does not exist in ${describeLocation(desired.state)}`,
          });
      }),
    );
    const template = spec.jobTemplateArn as string | undefined;
    if (template && !isUnknown(template) && !isManagedTemplateArn(template)) {
      const id = /jobtemplate\/([a-zA-Z0-9_-]+)$/.exec(template)?.[1];
      if (id && !(await ifFound(client.send(new DescribeJobTemplateCommand({ jobTemplateId: id }))))) {
        problems.push({
          path: "jobTemplate",
          message: `jobTemplate: ${JSON.stringify(template)} does not exist in ${describeLocation(desired.state)}`,
        });
      }
    }
    if (problems.length > 0) {
      throw new ValidationError(
        labelOf(desired),
        problems.map((p) => ({ ...p, message: `${p.message}; the job is replaced by deleting it first, so nothing was deleted` })),
      );
    }
  },

  predict(desired, location, account) {
    const scheduled = (desired.state.spec.schedulingConfig as { startTime?: string } | undefined)?.startTime !== undefined;
    return { arn: arnFor(location, account, "job", desired.id), extra: { status: scheduled ? "SCHEDULED" : "IN_PROGRESS" } };
  },

  output(props, desired, facts, location, taken): Job {
    const { jobTemplateArn: _, ...rest } = props;
    const spec = desired.state.spec;
    return {
      ...rest,
      jobId: desired.id,
      jobArn: facts.arn,
      status: (facts.extra.status ?? UNKNOWN) as Job["status"],
      createdAt: facts.createdAt ?? (UNKNOWN as unknown as Date),
      ...(spec.jobTemplateArn !== undefined ? { jobTemplateArn: spec.jobTemplateArn as string } : {}),
      ...(facts.extra.notApplied ? { notApplied: facts.extra.notApplied as Record<string, unknown> } : {}),
      ...outputBase(location, taken),
    };
  },
});

/** A reference to a resource, as the API takes it: its ARN. */
function normalize(props: JobProps): JobProps {
  const template = props.jobTemplate;
  return {
    ...props,
    ...(Array.isArray(props.targets) ? { targets: props.targets.map((t) => targetArn(t) ?? t) as JobProps["targets"] } : {}),
    // A JobTemplate resource becomes its ARN; a ManagedJobTemplate lookup stays (its parameters are checked from it, without a call).
    ...(template && typeof template === "object" && !isManagedJobTemplate(template) && "jobTemplateArn" in template
      ? { jobTemplate: (template as { jobTemplateArn: string }).jobTemplateArn }
      : {}),
  };
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
export const Job = defineResource(kind, {
  validate(id, props) {
    const checked = checkProps(`Job "${id}"`, jobPropsSchema, props);
    const view = checked.view as Record<string, any>;
    if (isManagedJobTemplate(view.jobTemplate)) {
      checkDocumentParameters(`Job "${id}"`, view.jobTemplate, view.documentParameters, secretParameter(checked.sensitive));
    }
  },
  normalize,
});

export const jobKind = kind;
export type { IoTClient };
