/**
 * What a rehearsal reports (`alchemy-iot-jobs rehearse --format json`): a
 * stable, documented shape (docs/rehearsal.md) with a format version.
 */
import type { DeviceBehaviour } from "../local/index.ts";

export const REHEARSAL_FORMAT_VERSION = 1;

/** Final execution statuses, one per device; NOT_NOTIFIED for a device the job never reached. */
export const EXECUTION_STATUSES = [
  "SUCCEEDED",
  "FAILED",
  "REJECTED",
  "TIMED_OUT",
  "CANCELED",
  "REMOVED",
  "QUEUED",
  "IN_PROGRESS",
  "NOT_NOTIFIED",
] as const;
export type FinalStatus = (typeof EXECUTION_STATUSES)[number];

/** One virtual minute: counts of what happened in it (not cumulative). */
export interface Minute {
  minute: number;
  /** Executions queued for a device (first attempts and retries). */
  notified: number;
  succeeded: number;
  failed: number;
  rejected: number;
  timedOut: number;
}

/** One wave of a rehearsed Rollout: the devices it added and how their executions ended. */
export interface WaveReport {
  name: string;
  /** The minute the deploy that started it ran; null for a wave that never started. */
  startMinute: number | null;
  /** Devices the wave added (devices earlier waves reached are theirs). */
  devices: number;
  succeeded: number;
  /** Failed, rejected and timed out. */
  failed: number;
  /** passed: a later wave started, or the rollout completed; failed: the rollout stopped on it; pending: neither (yet). */
  gate: "passed" | "failed" | "pending";
}

export interface Rehearsal {
  formatVersion: typeof REHEARSAL_FORMAT_VERSION;
  /** The job's resource id in the program. */
  job: string;
  jobId: string;
  /** Simulated devices the job targets. */
  devices: number;
  seed: number;
  behaviour: DeviceBehaviour;
  horizonMinutes: number;
  /** When the virtual clock started (minute 0: the job's release), ISO 8601 UTC. The same program, seed and start give the same report. */
  start: string;
  /** The job's settings that shape the rollout, as the endpoint stored them. */
  settings: {
    targetSelection: string;
    jobExecutionsRolloutConfig?: unknown;
    abortConfig?: unknown;
    timeoutConfig?: unknown;
    jobExecutionsRetryConfig?: unknown;
    schedulingConfig?: unknown;
  };
  /** COMPLETED, CANCELED, or the job's status when the horizon passed; for a Rollout also HELD (a gate failed with onGateFailure "hold"). */
  outcome: string;
  /** A Rollout that was canceled or held: the wave whose gate failed. */
  wave?: string;
  /** A Rollout: its waves, in order (a wave that never started has `startMinute` null). */
  waves?: WaveReport[];
  /** A Rollout: the virtual minutes between re-runs of the program's deploy. */
  deployEveryMinutes?: number;
  /** Why the job was canceled (an abort criterion, or the end of its schedule). */
  reasonCode?: string;
  /** Virtual minutes from the start until the outcome (the horizon when the job had not finished). */
  minutes: number;
  /** Final status counts, one per device. */
  executions: Record<FinalStatus, number>;
  /** Executions including retries. */
  attempts: number;
  /**
   * For a job that installs software package versions (destinationPackageVersions):
   * per package, how many of the devices end on each version. A device whose
   * execution SUCCEEDED has the job's version ("(none)" for `$null`, an
   * uninstall); any other keeps what its `$package` shadow recorded before
   * the job ("(none)" without the package).
   * @example { "firmware": { "1.1.0": 950, "(none)": 50 } }
   */
  packageVersions?: Record<string, Record<string, number>>;
  /** One entry per virtual minute, from 0 to `minutes`. */
  timeline: Minute[];
  /**
   * Resources of other providers (an IAM role, a file, ...) that the program
   * declared: a rehearsal does not run them; values the program read from
   * them are placeholders (the notes say which props got one).
   */
  notRehearsed: Array<{ address: string; type: string }>;
  /** Things the reader should know (devices set by the targets, a horizon reached, resources not rehearsed). */
  notes: string[];
}

export function emptyCounts(): Record<FinalStatus, number> {
  return Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0])) as Record<FinalStatus, number>;
}

/** Per-minute counts from execution events, minutes counted from `startMs`. */
export function timelineOf(events: ReadonlyArray<{ status: string; atMs: number }>, startMs: number, minutes: number): Minute[] {
  const timeline: Minute[] = Array.from({ length: minutes + 1 }, (_, minute) => ({
    minute,
    notified: 0,
    succeeded: 0,
    failed: 0,
    rejected: 0,
    timedOut: 0,
  }));
  const field: Record<string, keyof Omit<Minute, "minute">> = {
    QUEUED: "notified",
    SUCCEEDED: "succeeded",
    FAILED: "failed",
    REJECTED: "rejected",
    TIMED_OUT: "timedOut",
  };
  for (const e of events) {
    const key = field[e.status];
    const minute = Math.floor((e.atMs - startMs) / 60_000);
    if (key && minute >= 0 && minute <= minutes) timeline[minute][key] += 1;
  }
  return timeline;
}
