/** The props and output of Rollout (its behaviour is in contract.ts and decide.ts; docs/rollout.md). */
import type { WaveBaseline } from "../../../api/rollout-gate.ts";
import type { IoTClientProps } from "../../location.ts";
import type { JobTarget } from "../../types.ts";
import type { Deployed } from "../deployed.ts";
import type { JobProps } from "../job/props.ts";

/** What the rollout's job runs: a Job's props, less its targets (the waves give them) and targetSelection (always CONTINUOUS). */
export type RolloutJobProps = Omit<
  JobProps,
  "targets" | "targetSelection" | keyof IoTClientProps | "adopt" | "overrideCloudFormationStack"
>;

/** When a wave is healthy enough for the rollout to go on (src/api/rollout-gate.ts). */
export interface RolloutGate {
  /**
   * Executions of the job that must have finished (succeeded, failed,
   * rejected or timed out) before the gate judges anything. A percentage
   * wave of fewer devices needs all of its devices' executions instead.
   * @default 1
   */
  minExecuted?: number;
  /**
   * The most failed, rejected and timed-out executions may be, in percent of
   * those finished. Above it the gate fails, during the bake too.
   * @default 5
   */
  maxFailedPercent?: number;
  /**
   * The least succeeded executions must be, in percent of the devices the
   * waves so far reached, before the next wave starts.
   * @default 90
   */
  minSucceededPercent?: number;
}

/** One wave of a rollout: explicit targets, or a cumulative share of the fleet. */
export interface RolloutWave {
  /** The wave's name (letters, digits, `_`, `-`; unique in the rollout): in messages, and in the name of the thing group a percentage wave makes. */
  name: string;
  /**
   * The things and thing groups the wave adds (at most 100). After the first
   * wave only thing groups: IoT adds only groups to a running job.
   */
  targets?: JobTarget[];
  /**
   * A cumulative share of `fleet` (1–100): the wave reaches that share of the
   * fleet's devices, a stable sample (earlier waves' devices stay in it). A
   * wave below 100 becomes a static thing group `<jobId>-<name>` holding its
   * new devices; 100 targets the fleet group itself.
   * @example
   * { name: "early", percent: 10, bakeMinutes: 1440 }
   */
  percent?: number;
  /**
   * How long the wave runs before the next one may start, counted from the
   * deploy that started it, on the endpoint's clock.
   * @default 0
   */
  bakeMinutes?: number;
  /** This wave's gate, instead of the rollout's `gate` (members it leaves out come from `gate`). */
  gate?: RolloutGate;
}

/** Properties of a Rollout: one CONTINUOUS job released to its devices in waves. */
export interface RolloutProps extends IoTClientProps {
  /**
   * The job: a Job's props less `targets` and `targetSelection`. Changing what
   * it installs (document, template, parameters, package versions...) starts
   * a new rollout from the first wave, with a new job; the UpdateJob members
   * and tags change in place.
   * @example
   * job: { jobTemplate: firmware, abortConfig: { criteriaList: [...] } }
   */
  job: RolloutJobProps;
  /** The fleet percentage waves sample: a ThingGroup or its name. Required when a wave has `percent`. */
  fleet?: { thingGroupName: string } | string;
  /** The waves, in order (1–50). */
  waves: RolloutWave[];
  /**
   * The gate of every wave that gives none.
   * @default { minExecuted: 1, maxFailedPercent: 5, minSucceededPercent: 90 }
   */
  gate?: RolloutGate;
  /**
   * What a failed gate does: `cancel` cancels the job (CancelJob: queued
   * executions are cancelled, those in progress finish) and fails the deploy;
   * `hold` fails the deploy and changes nothing, on every deploy until the
   * gate passes or the props change.
   * @default "cancel"
   */
  onGateFailure?: "cancel" | "hold";
}

/** Where a wave stands, as the deploys recorded it. */
export interface WaveProgress {
  name: string;
  /** When the wave started, on the endpoint's clock (ISO 8601). */
  startedAt?: string;
  /** The thing group it made (percentage waves below 100). */
  group?: string;
  /** Devices it added (percentage waves), when known. */
  devices?: number;
  /** The job's counts when it was released (waves after the first), which its gate leaves out. */
  baseline?: WaveBaseline;
}

/** A deployed rollout. */
export interface Rollout extends RolloutProps, Deployed {
  /** The region the resource lives in. */
  region: string;
  jobId: string;
  jobArn: string;
  /** The job's status when it was last read or created. */
  status: string;
  /** The fleet group's ARN, when the rollout has a fleet. */
  fleetArn?: string;
  /** The wave released last (its index in `waves`). */
  currentWave: number;
  /** Each started wave's progress. */
  progress: WaveProgress[];
  /** `in-progress`, `completed` (every wave released and the last gate passed), `cancelled` (a gate failed) or `held` (a gate failed with onGateFailure "hold"). */
  outcome: "in-progress" | "completed" | "cancelled" | "held";
  /** The last gate's verdict, as the last deploy judged it. */
  lastVerdict?: string;
}
