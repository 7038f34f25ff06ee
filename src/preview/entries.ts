/**
 * The engine's records as plan entries: what Alchemy will report for each
 * resource (created, updated, replaced, deleted, or nothing), the calls in
 * order, the diffs with secrets masked, and drift.
 */
import type { ImpactProbe } from "../provider/engine/change.ts";
import type { ChangeRecord, DriftRecord } from "../provider/engine/recorder.ts";
import { planned } from "../provider/engine/operations.ts";
import { present, presentDiff, type DriftEntry, type PlanAction, type PlanDiff, type PlanEntry } from "./plan.ts";
import { UNKNOWN } from "../provider/unknown.ts";

/**
 * What Alchemy will report for the resource: the handler's phase says
 * whether it is created, updated or deleted, and the Change whether it is
 * replaced. A handler that runs with nothing to send is still an update
 * (Alchemy writes its state and says "Updated"), unless it ran only because
 * of --force (then it is reported as unchanged here, as it changes nothing).
 */
function actionsOf(record: ChangeRecord): PlanAction[] {
  const { change, phase } = record;
  if (change.action === "replace") return change.replaceMode === "delete-first" ? ["delete", "create"] : ["create", "delete"];
  if (phase === "delete") return ["delete"];
  if (change.action === "none") {
    if (phase === "create") return change.adopted ? ["no-op"] : ["create"];
    return record.forced ? ["no-op"] : ["update"];
  }
  if (change.action === "update" && record.forced && change.operations.length === 0) return ["no-op"];
  return [change.action === "create" ? "create" : "update"];
}

/** Collapses the diffs under a secret prop into one line, so not even its structure shows. */
function maskDiffs(diffs: PlanDiff[], sensitive: readonly string[]): PlanDiff[] {
  const out: PlanDiff[] = [];
  const collapsed = new Set<string>();
  for (const d of diffs) {
    const root = sensitive.find((s) => d.path === s || d.path.startsWith(`${s}.`) || d.path.startsWith(`${s}[`));
    if (root === undefined) {
      out.push(presentDiff(d, sensitive));
    } else if (!collapsed.has(root)) {
      collapsed.add(root);
      out.push({
        path: root,
        before: d.before === undefined && d.path === root ? undefined : "(sensitive)",
        after: "(sensitive)",
        forcesReplacement: d.forcesReplacement,
      });
    }
  }
  return out;
}

export function entryOf(record: ChangeRecord): PlanEntry {
  const { change } = record;
  const actions = actionsOf(record);
  const notes = [...change.notes];
  if (actions[0] === "update" && change.operations.length === 0 && !change.kept?.length && notes.length === 0) {
    notes.push("no API call: only what Alchemy keeps in state changes");
  }
  if (actions[0] === "create" && change.action === "none") notes.push("no API call: an interrupted deploy created it already");
  return {
    address: record.address,
    type: record.type,
    name: record.name,
    physicalId: record.physicalId === UNKNOWN ? "(known after deploy)" : record.physicalId,
    ...(record.location ? { location: record.location } : {}),
    actions,
    replaceReasons: change.reasons,
    before: present(record.before, record.sensitive),
    after: present(record.after, record.sensitive),
    diffs: maskDiffs(change.diffs, record.sensitive),
    sensitivePaths: record.sensitive,
    operations: change.operations.map(planned),
    warnings: [...change.warnings],
    notes,
    ...(change.adopted ? { adopt: true } : {}),
  };
}

/**
 * Measures a job change's device impact (with --refresh, from live reads) and
 * adds it to the entry, with its warnings. Never rejects: a measure that
 * fails leaves the devices unknown, saying why.
 */
export async function measureImpact(entry: PlanEntry, probe: ImpactProbe): Promise<void> {
  try {
    const { impact, warnings } = await probe.measure();
    entry.deviceImpact = impact;
    entry.warnings.push(...warnings);
  } catch (error) {
    entry.deviceImpact = {
      change: probe.change,
      devices: null,
      unknownReason: `the device impact could not be measured (${(error as Error).name}: ${(error as Error).message})`,
      inProgress: null,
      minutesToNotifyAll: null,
      maxFailuresBeforeAbort: null,
      notes: [],
    };
  }
}

export function driftOf(record: DriftRecord): DriftEntry {
  const note =
    record.kind === "deleted"
      ? "deleted out of band; `alchemy deploy --force` creates it again (a plain deploy runs its handler only when its props change)"
      : "changed out of band; `alchemy deploy --force` puts it back as the program declares it, as the plan above shows";
  return {
    address: record.address,
    type: record.type,
    physicalId: record.physicalId,
    kind: record.kind,
    diffs: record.diffs.map((d) => presentDiff({ ...d, forcesReplacement: false }, record.sensitive)),
    note,
  };
}
