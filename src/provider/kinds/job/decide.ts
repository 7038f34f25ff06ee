/**
 * How a Job changes: the decision between in place (UpdateJob,
 * AssociateTargetsWithJob, tags), a replacement (which runs the job again on its
 * devices) and no change, with the calls each needs; the default jobId; and the
 * calls that delete a job. The kind itself is contract.ts.
 */
import { defaultPhysicalId } from "../../common.ts";
import { FINISHED_JOB_RULE, isFinishedJob } from "../../../api/constraints.ts";
import { creationDiffs, listNames, noChange, tagDiffs, type Change } from "../../engine/change.ts";
import { accountOf } from "../../engine/accounts.ts";
import type { Before, Desired, Recorded } from "../../engine/contract.ts";
import { compare } from "../../engine/members.ts";
import { operation, type Operation } from "../../engine/operations.ts";
import type { Location } from "../../location.ts";
import { ownershipTags, toTagList, type Ownership } from "../../tags.ts";
import { isUnknown } from "../../unknown.ts";
import { ValidationError } from "../../validate.ts";
import { describeLocation, moved, replacement } from "../decide.ts";
import { targetArn } from "./schema.ts";
import { forcingHash, MEMBERS, updateJobInput, type Spec } from "./spec.ts";
import { untilGone, whileCancelable, whileRunning } from "./guards.ts";
import { impactProbe } from "./impact.ts";
import { tagOperations } from "../shared.ts";

/** Is a document parameter a secret (its own value, or the whole documentParameters map)? Its value is then never printed. */
export const secretParameter = (sensitive: ReadonlySet<string>) => (key: string) =>
  sensitive.has("documentParameters") || sensitive.has(`documentParameters.${key}`);

export const labelOf = (desired: Desired) => `Job "${desired.ownership.resource.split("/").pop()}"`;

/**
 * May this run cancel executions that devices are running? The job's
 * `deletion.force`, or ALCHEMY_IOT_FORCE_JOB_DELETION=1 for this one run:
 * decided with the plan, so the preview shows the cancellation's force and
 * the deploy sends exactly that.
 */
const forceAllowed = (deletion: { force: boolean }) => deletion.force || process.env.ALCHEMY_IOT_FORCE_JOB_DELETION === "1";

/** The calls that delete a job: cancel it if it still runs (force only if allowed), delete it, wait until IoT no longer knows it. */
export function deleteOperations(jobId: string, deletion: { force: boolean; timeoutSeconds: number }, namespaceId: unknown): Operation[] {
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
export function checkTargetsWhere(label: string, targets: unknown, location: Location): void {
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
export function defaultJobId(
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

export const forceWords = (force: boolean) => (force ? " with force (executions in progress on devices are cancelled)" : "");

export function decide(before: Before<Spec> | undefined, desired: Desired<Spec>): Change {
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
