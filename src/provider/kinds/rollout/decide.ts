/**
 * How a Rollout changes, pure: from what the last deploy recorded (the
 * wave, its start, the outcome), the desired props and what was read just
 * now (the job's counts, the endpoint's time, the fleet), the Change of this
 * deploy (create the job on the first wave; advance to the next wave; hold;
 * cancel on a failed gate; start over with a new job when what it installs
 * changed) and the rollout's next state, which the output records.
 */
import { baselineOf, countText, judgeWave, countsOf, sinceRelease, type GateVerdict } from "../../../api/rollout-gate.ts";
import { isFinishedJob } from "../../../api/constraints.ts";
import { creationDiffs, listNames, noChange, tagDiffs, type Change } from "../../engine/change.ts";
import type { Before, Desired } from "../../engine/contract.ts";
import { compare } from "../../engine/members.ts";
import { operation, type Operation } from "../../engine/operations.ts";
import { ownershipTags, toTagList } from "../../tags.ts";
import { isUnknown } from "../../unknown.ts";
import { describeLocation, moved, replacement } from "../decide.ts";
import { deleteOperations } from "../job/decide.ts";
import { updateJobInput, MEMBERS as JOB_MEMBERS, type Spec } from "../job/spec.ts";
import { tagOperations } from "../shared.ts";
import type { LiveRollout } from "./live.ts";
import type { Rollout, WaveProgress } from "./props.ts";
import { nextWaveImpact, planWave, waveTargets, type RolloutSettings } from "./waves.ts";

/** Where the rollout stands (recorded in the output). */
export interface RolloutState {
  currentWave: number;
  progress: WaveProgress[];
  outcome: Rollout["outcome"];
  lastVerdict?: string;
}

/** The state this deploy leaves, and what the deploy does after its calls. */
export interface Next extends RolloutState {
  /** The deploy fails after its calls (a failed gate), with this message. */
  failure?: string;
  /** The job's ARN and status as known before this deploy's calls (an update). */
  jobArn?: string;
  status?: string;
}

export const settingsOf = (desired: { state: { settings: Record<string, unknown> } }) =>
  desired.state.settings as unknown as RolloutSettings;
export const stateOf = (extra: Record<string, unknown>): RolloutState | undefined =>
  typeof extra.currentWave === "number" ? (extra as unknown as RolloutState) : undefined;

const deviceWords = (n: number | string) => (typeof n === "number" ? `+${n} device${n === 1 ? "" : "s"}` : n);
const waveWords = (settings: RolloutSettings, i: number) => `wave ${i + 1} of ${settings.waves.length} (${settings.waves[i].name})`;

/** The job's CreateJob and its first wave. */
function creation(
  desired: Desired<Spec>,
  live: LiveRollout | undefined,
): { operations: Operation[]; next: Next; warning: string; notes: string[] } {
  const s = settingsOf(desired);
  const id = desired.id;
  const first = planWave(s, 0, id, desired.state.region, live, ownershipTags(desired.ownership));
  const tags = toTagList({ ...desired.state.tags, ...ownershipTags(desired.ownership) });
  const create = operation(
    "CreateJob",
    { ...(desired.state.spec as any), targets: first.targets, targetSelection: "CONTINUOUS", tags },
    id,
  );
  const progress: WaveProgress = { name: s.waves[0].name, ...(first.group ? { group: first.group } : {}) };
  if (typeof first.devices === "number" && s.waves[0].percent !== undefined) progress.devices = first.devices;
  return {
    operations: [...first.operations, create],
    next: { currentWave: 0, progress: [progress], outcome: "in-progress" },
    warning: `creates job ${id} on ${waveWords(s, 0)}: ${deviceWords(first.devices)} receive it; later waves follow on later deploys as their gates pass`,
    notes: [`release: ${s.waves.map((w) => w.name).join(" → ")}`],
  };
}

/** The decision, and the state it leaves. */
export function decideRollout(
  before: Before<Spec> | undefined,
  desired: Desired<Spec>,
  live: LiveRollout | undefined,
): { change: Change; next: Next } {
  const s = settingsOf(desired);
  const id = desired.id;
  const spec = desired.state.spec;
  if (!before) {
    const c = creation(desired, live);
    return {
      change: {
        ...noChange(),
        action: "create",
        diffs: creationDiffs({ ...spec, waves: s.waves, onGateFailure: s.onGateFailure }, desired.state.tags),
        operations: c.operations,
        warnings: [c.warning],
        notes: c.notes,
      },
      next: c.next,
    };
  }
  const b = before.state;
  const oldId = String(b.spec.jobId);
  const recorded = stateOf(before.facts.extra) ?? { currentWave: 0, progress: [], outcome: "in-progress" as const };
  const { diffs, replaced, inPlace } = compare(JOB_MEMBERS, b.spec, spec, live?.job?.status);
  diffs.push(...tagDiffs(b.tags, desired.state.tags));
  const oldSettings = settingsOf(before);
  const settingsChanged = JSON.stringify(oldSettings.waves) !== JSON.stringify(s.waves) || oldSettings.onGateFailure !== s.onGateFailure;
  if (moved(b, desired.state) || replaced.length > 0 || oldId !== id) {
    const c = creation(desired, live);
    const groups = recorded.progress.flatMap((p) => (p.group ? [p.group] : []));
    const remove = [
      ...deleteOperations(oldId, oldSettings.deletion, b.spec.namespaceId),
      ...groups.map((g) => operation("DeleteThingGroup", { thingGroupName: g }, g, { side: true })),
    ];
    const what =
      replaced.length > 0
        ? `${listNames(replaced.map((r) => `job.${r.member}`))} changed`
        : moved(b, desired.state)
          ? `the rollout moves from ${describeLocation(b)} to ${describeLocation(desired.state)}`
          : `job.jobId changed`;
    return {
      change: {
        ...noChange(),
        ...replacement(oldId !== id || moved(b, desired.state), c.operations, remove),
        reasons: [
          `${what}: what the job installs changed, so a new rollout starts from the first wave (${s.waves[0].name}) with job ${id}; job ${oldId} is cancelled${oldSettings.deletion.force ? " (with force)" : ""} and deleted${groups.length ? `, and its wave groups ${listNames(groups)} deleted` : ""}`,
        ],
        diffs,
        warnings: [
          c.warning,
          `cancels and deletes job ${oldId} (wave ${recorded.currentWave + 1}, ${s.waves[recorded.currentWave]?.name ?? "?"}): its devices stop receiving it`,
        ],
        notes: c.notes,
      },
      next: c.next,
    };
  }
  const change: Change = { ...noChange(), action: "none", diffs };
  const next: Next = { ...recorded, progress: recorded.progress.map((p) => ({ ...p })) };
  if (diffs.length > 0 || settingsChanged) change.action = "update";
  if (settingsChanged)
    change.notes.push("waves, gates or onGateFailure changed: kept in state, no API call (the rollout goes on from its current wave)");
  const running = live?.job && !isFinishedJob(live.job.status) && live.job.status !== "DELETION_IN_PROGRESS";
  const updated = inPlace.get("UpdateJob") ?? [];
  if (updated.length > 0 && running) {
    change.operations.push(
      operation("UpdateJob", { jobId: oldId, namespaceId: spec.namespaceId as string | undefined, ...updateJobInput(b.spec, spec) }, oldId),
    );
  }
  change.operations.push(...tagOperations(b.tags, desired.state.tags, before.facts.arn, oldId));
  next.jobArn = before.facts.arn;
  if (live?.job) next.status = live.job.status;
  judge(change, next, { s, oldId, region: desired.state.region, live, recorded, tags: ownershipTags(desired.ownership) });
  return { change, next };
}

/** What judging a rollout's current wave reads. */
interface Judging {
  s: RolloutSettings;
  oldId: string;
  region: string;
  live: LiveRollout | undefined;
  recorded: RolloutState;
  tags: Record<string, string>;
}

/**
 * A deploy that released the next wave but was interrupted before it
 * recorded it (after its AssociateTargetsWithJob): the job's targets hold
 * every target of the next wave. Records the wave as released now, with no
 * call; its bake starts now, and as the job's counts at its release are not
 * known, its gate counts the executions of every wave so far. True when it
 * did.
 */
function recordInterruptedRelease(change: Change, next: Next, c: Judging & { k: number; nowMs: number; targets: string[] }): boolean {
  if (c.k + 1 >= c.s.waves.length) return false;
  // The targets alone (no sample of the fleet): this runs on every deploy.
  const planned = waveTargets(c.s, c.k + 1, c.oldId, c.region, next.jobArn);
  if (planned.targets.length === 0 || !planned.targets.every((t) => !isUnknown(t) && c.targets.includes(t))) return false;
  const wave = c.s.waves[c.k + 1];
  change.action = "update";
  change.notes.push(
    `${waveWords(c.s, c.k + 1)} is already among job ${c.oldId}'s targets (a deploy released it and was interrupted before recording it): recorded as released now, no call; its bake starts now, and its gate counts every wave's executions`,
  );
  next.currentWave = c.k + 1;
  next.progress = [
    ...next.progress.slice(0, c.k + 1),
    { name: wave.name, startedAt: new Date(c.nowMs).toISOString(), ...(planned.group ? { group: planned.group } : {}) },
  ];
  return true;
}

/** The gate of the current wave, and what it makes this deploy do. */
function judge(change: Change, next: Next, c: Judging): void {
  const { s, oldId, live, recorded } = c;
  const k = Math.min(recorded.currentWave, s.waves.length - 1);
  const wave = s.waves[k];
  const where = `${waveWords(s, k)}`;
  if (recorded.outcome === "completed") {
    change.notes.push(`rollout completed: every wave released (${recorded.lastVerdict ?? "gate passed"}); no call`);
    return;
  }
  if (live?.job === null) {
    change.notes.push(`job ${oldId} no longer exists (deleted out of band): no call; change the job to start a new rollout`);
    return;
  }
  if (!live?.job || live.nowMs === undefined) {
    change.notes.push(`job ${oldId} could not be read: no call`);
    return;
  }
  if (live.job.status === "CANCELED" || live.job.status === "DELETION_IN_PROGRESS" || recorded.outcome === "cancelled") {
    next.outcome = "cancelled";
    change.notes.push(
      `the rollout was cancelled at ${where} (job ${oldId} is ${live.job.status}${recorded.lastVerdict ? `: ${recorded.lastVerdict}` : ""}): no call; change the job to start a new rollout`,
    );
    return;
  }
  if (isFinishedJob(live.job.status)) {
    change.notes.push(`job ${oldId} is ${live.job.status}: no call`);
    return;
  }
  if (recordInterruptedRelease(change, next, { ...c, k, nowMs: live.nowMs, targets: live.job.targets })) return;
  const counts = countsOf(live.job.details);
  // The first wave starts when IoT created the job (its clock); later ones at the deploy that released them.
  const startedAt =
    recorded.progress[k]?.startedAt ?? (k === 0 && live.job.createdAtMs ? new Date(live.job.createdAtMs).toISOString() : undefined);
  if (startedAt && next.progress[k] && !next.progress[k].startedAt) next.progress[k].startedAt = startedAt;
  // The wave's own figures: what finished since its release (earlier waves' stragglers included).
  const own = sinceRelease(counts, recorded.progress[k]?.baseline);
  const verdict: GateVerdict = judgeWave({
    counts: own.counts,
    devices: own.devices,
    size: recorded.progress[k]?.devices,
    waveStartMs: startedAt ? Date.parse(startedAt) : live.nowMs,
    nowMs: live.nowMs,
    bakeMinutes: wave.bakeMinutes,
    gate: wave.gate,
    last: k === s.waves.length - 1,
  });
  const f = verdict.figures;
  const figures = `${countText(f.executed)} executed, ${countText(f.failed)} failed, ${countText(f.succeeded)} succeeded of ${countText(f.devices)} devices reached${k > 0 ? " since its release" : ""}`;
  change.notes.push(`${where}: ${figures}`);
  next.lastVerdict = verdict.reason;
  if (verdict.verdict === "fail") {
    const what = `wave ${wave.name} failed its gate: ${verdict.reason}`;
    if (s.onGateFailure === "cancel") {
      change.action = "update";
      change.operations.push(
        operation(
          "CancelJob",
          { jobId: oldId, reasonCode: "ROLLOUT_GATE_FAILED", comment: `wave ${wave.name}: ${verdict.reason}`.slice(0, 2028) },
          oldId,
        ),
      );
      change.warnings.push(
        `cancel: ${what}; job ${oldId} is cancelled (queued executions are cancelled, those in progress finish) and the deploy fails`,
      );
      next.outcome = "cancelled";
      next.failure = `${what}. Job ${oldId} was cancelled (onGateFailure: "cancel"). Later deploys make no call; change the job to start a new rollout.`;
    } else {
      change.warnings.push(`hold: ${what}; no call, and the deploy fails (onGateFailure: "hold")`);
      next.outcome = "held";
      next.failure = `${what}. Nothing was changed (onGateFailure: "hold"); the deploy fails until the gate passes or the rollout changes.`;
    }
    return;
  }
  if (next.outcome === "held") next.outcome = "in-progress";
  if (verdict.verdict === "hold") {
    change.notes.push(`hold: ${verdict.reason}`);
    return;
  }
  if (verdict.verdict === "complete") {
    change.action = "update";
    next.outcome = "completed";
    change.notes.push(`complete: ${verdict.reason}; every wave is released`);
    return;
  }
  const planned = planWave(s, k + 1, oldId, c.region, live, c.tags, next.jobArn);
  change.action = "update";
  change.operations.push(...planned.operations);
  if (planned.targets.length > 0)
    change.operations.push(operation("AssociateTargetsWithJob", { jobId: oldId, targets: planned.targets }, oldId));
  change.warnings.push(`advance to ${waveWords(s, k + 1)}: ${deviceWords(planned.devices)} receive job ${oldId} (${verdict.reason})`);
  change.impact = nextWaveImpact(s.waves[k + 1].name, planned.devices);
  const progress: WaveProgress = {
    name: s.waves[k + 1].name,
    startedAt: new Date(live.nowMs).toISOString(),
    ...(planned.group ? { group: planned.group } : {}),
    baseline: baselineOf(counts),
  };
  if (typeof planned.devices === "number" && s.waves[k + 1].percent !== undefined) progress.devices = planned.devices;
  next.currentWave = k + 1;
  next.progress = [...next.progress.slice(0, k + 1), progress];
}
