/**
 * Rollout: one CONTINUOUS job released to its devices in waves, with bake
 * times and health gates (docs/rollout.md). The first deploy creates the job
 * on the first wave; every later deploy reads the job (its counts, the
 * endpoint's time) and advances, holds, or cancels on a failed gate. The
 * decision is decide.ts's; the arithmetic src/api/rollout-gate.ts's.
 */
import { DescribeJobCommand } from "../../iot-sdk.ts";
import { ifFound, ownershipOf } from "../../common.ts";
import { noChange, type Change } from "../../engine/change.ts";
import type { Desired, Kind, Observed, Recorded } from "../../engine/contract.ts";
import { operation } from "../../engine/operations.ts";
import { accountOf } from "../../engine/accounts.ts";
import { currentRecorder } from "../../engine/recorder.ts";
import { DEFAULT_GATE } from "../../../api/rollout-gate.ts";
import { containsUnknown, UNKNOWN } from "../../unknown.ts";
import { defaultJobId, deleteOperations, forceWords } from "../job/decide.ts";
import { targetArn } from "../job/schema.ts";
import { comparable, deletionOf, jobSpec, liveJobSpec, MEMBERS as JOB_MEMBERS, type Spec } from "../job/spec.ts";
import type { MemberTable } from "../../engine/members.ts";
import type { Location } from "../../location.ts";
import { arnFor, outputBase, readOwnership, recordedBase, revealed, sealed, type RecordedOutput } from "../shared.ts";
import { decideRollout, settingsOf, stateOf, type Next } from "./decide.ts";
import type { RolloutSettings } from "./waves.ts";
import type { LiveRollout } from "./live.ts";
import type { Rollout, RolloutProps } from "./props.ts";
import { checkRolloutProps } from "./schema.ts";

export type { Rollout, RolloutGate, RolloutJobProps, RolloutProps, RolloutWave, WaveProgress } from "./props.ts";

const STATE_ONLY = "kept in state: the rollout goes on from its current wave with the new waves and gates; no API call";

/** What each change to a Rollout does: the job's members as a Job's (less its targets), and the rollout's own, in state only. */
export const MEMBERS: MemberTable = [
  ...JOB_MEMBERS.filter((m) => m.member !== "targets" && m.member !== "targetSelection").map((m) =>
    m.change === "replace" && m.member !== "jobId" ? { ...m, why: `${m.why}; a new rollout starts from the first wave with a new job` } : m,
  ),
  { member: "waves", change: "state only", source: STATE_ONLY },
  { member: "gate", change: "state only", source: STATE_ONLY },
  { member: "onGateFailure", change: "state only", source: STATE_ONLY },
  { member: "fleet", change: "state only", source: "read on every deploy that releases a percentage wave" },
];

/** What the wrapper read before the handler decides, by Alchemy context. */
export const lives = new WeakMap<object, LiveRollout>();
/** The state each decision leaves, by resource (its ownership): the output records it. */
const nexts = new Map<string, Next>();
/** Outputs after which the deploy fails (a failed gate): the wrapper throws with this message. */
export const failures = new WeakMap<object, string>();

const keyOf = (desired: Desired) => JSON.stringify(desired.ownership);

/** The rollout's settings from its (normalized) props. */
export function settingsFrom(
  props: RolloutProps,
  location: Pick<Location, "key" | "region"> | Location,
  fleetArn?: string,
): RolloutSettings {
  const fleet =
    fleetArn ??
    (typeof props.fleet === "string"
      ? props.fleet.startsWith("arn:")
        ? props.fleet
        : arnFor(location as Location, accountOf(location as Location), "thinggroup", props.fleet)
      : props.fleet
        ? ((props.fleet as { thingGroupArn?: string }).thingGroupArn ?? UNKNOWN)
        : undefined);
  const gate = { ...DEFAULT_GATE, ...(props.gate ?? {}) };
  return {
    deletion: deletionOf(props.job.deletion),
    onGateFailure: props.onGateFailure ?? "cancel",
    ...(fleet !== undefined ? { fleet } : {}),
    ...(props.fleet !== undefined ? { fleetName: fleetNameOf(props.fleet) } : {}),
    waves: props.waves.map((w) => ({
      name: w.name,
      ...(w.targets ? { targets: w.targets.map((t) => targetArn(t) ?? String(t)) } : {}),
      ...(w.percent !== undefined ? { percent: w.percent } : {}),
      bakeMinutes: w.bakeMinutes ?? 0,
      gate: { ...gate, ...(w.gate ?? {}) },
    })),
  };
}

const fleetNameOf = (fleet: RolloutProps["fleet"]) =>
  typeof fleet === "string" ? fleet.replace(/^arn:.*:thinggroup\//, "") : (fleet?.thingGroupName ?? "");

/** The job's spec (CreateJob's input less its targets and targetSelection). */
function rolloutJobSpec(view: Record<string, any>, jobId: string): Spec {
  const spec = jobSpec(view, jobId);
  delete spec.targets;
  delete spec.targetSelection;
  return spec;
}

const kind: Kind<RolloutProps, Rollout, Spec> = sealed({
  type: "iot::Rollout",
  label: "Rollout",
  noun: "job",
  members: MEMBERS,
  tagged: true,
  idMember: "jobId",
  created: { arn: "jobArn" },

  desire(ctx, props, location): Desired<Spec> {
    const label = `Rollout "${ctx.id}"`;
    const { job, sensitive } = checkRolloutProps(label, props as unknown as Record<string, unknown>);
    const ownership = ownershipOf(ctx);
    const draft = rolloutJobSpec(job, "");
    const recorded = kind.recorded(ctx.output as Rollout | undefined);
    const id: string = job.jobId ?? (containsUnknown(draft) ? UNKNOWN : defaultJobId(ownership, draft, location, sensitive, recorded));
    const desired: Desired<Spec> = {
      id,
      ownership,
      sensitive,
      state: {
        location: location.key,
        region: location.region,
        spec: { ...draft, jobId: id },
        tags: { ...((job.tags as Record<string, string> | undefined) ?? {}) },
        settings: settingsFrom(props, location, (ctx.output as Rollout | undefined)?.fleetArn) as unknown as Record<string, unknown>,
      },
    };
    const live = lives.get(ctx as object);
    if (live) lives.set(desired, live);
    return desired;
  },

  recorded(output): Recorded<Spec> | undefined {
    if (!output?.jobId || (output as RecordedOutput).absent) return undefined;
    const view = revealed(output) as RolloutProps & Record<string, any>;
    const base = recordedBase(output);
    return {
      state: {
        ...base,
        spec: rolloutJobSpec({ ...view.job, jobTemplate: undefined, jobTemplateArn: templateOf(view.job) }, output.jobId),
        settings: settingsFrom(view, { key: base.location, region: base.region }, output.fleetArn) as unknown as Record<string, unknown>,
        tags: { ...((view.job?.tags as Record<string, string> | undefined) ?? {}) },
      },
      facts: {
        arn: output.jobArn,
        extra: {
          status: output.status,
          currentWave: output.currentWave ?? 0,
          progress: output.progress ?? [],
          outcome: output.outcome ?? "in-progress",
          ...(output.lastVerdict ? { lastVerdict: output.lastVerdict } : {}),
        },
      },
    };
  },

  async observe(client, id, desired, recorded): Promise<Observed<Spec> | null> {
    const live = await ifFound(client.send(new DescribeJobCommand({ jobId: id })));
    if (!live?.job) return null;
    const hint = recorded?.state ?? desired?.state;
    const reading = await readOwnership(client, live.job.jobArn!, desired?.ownership);
    const spec = comparable(liveJobSpec(live, undefined), hint?.spec);
    delete spec.targets;
    delete spec.targetSelection;
    if (hint?.spec.document !== undefined) spec.document = hint.spec.document;
    return {
      state: {
        location: hint?.location ?? "",
        region: hint?.region ?? "",
        spec,
        tags: reading.tags,
        settings: { ...(hint?.settings ?? {}) },
      },
      facts: { arn: live.job.jobArn!, createdAt: live.job.createdAt, extra: { ...(recorded?.facts.extra ?? {}), status: live.job.status } },
      ours: reading.ours,
      ...(reading.ownerTag ? { ownerTag: reading.ownerTag } : {}),
      ...(live.job.status === "DELETION_IN_PROGRESS" ? { deleting: true } : {}),
    };
  },

  decide(before, desired): Change {
    const { change, next } = decideRollout(before, desired, lives.get(desired));
    nexts.set(keyOf(desired), next);
    return change;
  },

  removal(recorded): Change {
    const id = String(recorded.state.spec.jobId);
    const s = settingsOf(recorded);
    const groups = (stateOf(recorded.facts.extra)?.progress ?? []).flatMap((p) => (p.group ? [p.group] : []));
    return {
      ...noChange(),
      action: "delete",
      operations: [
        ...deleteOperations(id, s.deletion, recorded.state.spec.namespaceId),
        ...groups.map((g) => operation("DeleteThingGroup", { thingGroupName: g }, g, { side: true })),
      ],
      warnings: [
        `deletes the rollout's job ${id}: it is cancelled${forceWords(s.deletion.force)} and deleted; devices stop receiving it${groups.length ? `; its wave groups ${groups.join(", ")} are deleted` : ""}`,
      ],
    };
  },

  answered(facts, responses) {
    const created = responses.get("CreateJob") as { jobArn?: string } | undefined;
    return created?.jobArn ? { ...facts, arn: created.jobArn } : facts;
  },

  predict(desired, location, account) {
    return { arn: arnFor(location, account, "job", desired.id), extra: { status: "IN_PROGRESS" } };
  },

  output(props, desired, facts, location, taken): Rollout {
    const next = nexts.get(keyOf(desired));
    const recorded = stateOf(facts.extra);
    const state = next ?? recorded ?? { currentWave: 0, progress: [], outcome: "in-progress" as const };
    const progress = state.progress.map((p) => ({ ...p }));
    const arn = facts.arn === UNKNOWN && next?.jobArn ? next.jobArn : facts.arn;
    const fleet = settingsOf(desired).fleet;
    const out: Rollout = {
      ...props,
      jobId: desired.id,
      jobArn: arn,
      status: (next?.status ?? facts.extra.status ?? "IN_PROGRESS") as string,
      ...(fleet ? { fleetArn: fleet } : {}),
      currentWave: state.currentWave,
      progress,
      outcome: state.outcome,
      ...(state.lastVerdict ? { lastVerdict: state.lastVerdict } : {}),
      ...outputBase(location, taken),
    } as Rollout;
    if (next?.failure && !currentRecorder()) failures.set(out, next.failure);
    return out;
  },
});

/** The template ARN a recorded job names (normalized props hold it as `jobTemplate`). */
function templateOf(job: Record<string, any> | undefined): string | undefined {
  const t = job?.jobTemplate ?? job?.jobTemplateArn;
  return typeof t === "string" ? t : (t?.templateArn ?? t?.jobTemplateArn);
}

export const rolloutKind = kind;
