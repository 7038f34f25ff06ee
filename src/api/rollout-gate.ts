/**
 * The arithmetic of a Rollout's health gate (docs/rollout.md): from a job's
 * execution counts since the wave's release, the devices it reached, its start
 * and the endpoint's time, whether the rollout may go on to its next wave
 * (advance), must wait (hold), has failed its gate (fail), or is done
 * (complete); and the stable sample of a fleet a percentage wave takes.
 * Pure: no clock, no call. Imports nothing of the project.
 */
import { createHash } from "node:crypto";

/** A job's execution counts (DescribeJob's jobProcessDetails, by status). */
export interface JobCounts {
  succeeded: number;
  failed: number;
  rejected: number;
  timedOut: number;
  inProgress: number;
  queued: number;
  canceled?: number;
  removed?: number;
}

/** A wave's health gate: when the wave is healthy enough to go on. */
export interface Gate {
  /** Executions that must have finished (succeeded, failed, rejected, timed out) before the gate judges anything. */
  minExecuted: number;
  /** The most failed, rejected and timed-out executions may be, as a percentage of those executed. */
  maxFailedPercent: number;
  /** The least succeeded executions must be, as a percentage of the devices the wave reached. */
  minSucceededPercent: number;
}

/** The gate when a Rollout gives none. */
export const DEFAULT_GATE: Gate = { minExecuted: 1, maxFailedPercent: 5, minSucceededPercent: 90 };

export interface GateInput {
  counts: JobCounts;
  /** Devices the wave reached (see sinceRelease); the denominator of succeeded %. */
  devices: number;
  /**
   * Devices the wave was planned to add, when known (a percentage wave): a
   * wave of fewer devices than `minExecuted` needs only as many executions
   * as it has devices, or it would hold for ever once all of them finished.
   */
  size?: number;
  /** When the wave started, on the endpoint's clock (epoch ms). */
  waveStartMs: number;
  /** Now, on the endpoint's clock (epoch ms). */
  nowMs: number;
  bakeMinutes: number;
  gate: Gate;
  /** Is this the last wave (then a passed gate completes the rollout)? */
  last: boolean;
}

export interface GateFigures {
  executed: number;
  failed: number;
  succeeded: number;
  devices: number;
  /** (failed + rejected + timedOut) / executed, in percent (0 when nothing was executed). */
  failedPercent: number;
  /** succeeded / devices, in percent (0 when no device was reached). */
  succeededPercent: number;
  /** Whole minutes since the wave started. */
  elapsedMinutes: number;
  /** Whole minutes (rounded up) until the bake ends; 0 once it has. */
  bakeRemainingMinutes: number;
}

export interface GateVerdict {
  verdict: "advance" | "hold" | "fail" | "complete";
  /** One line a human reads, e.g. "bake ends in 35 min" or "6 % failed > 2 % (3 of 50 executed)". */
  reason: string;
  figures: GateFigures;
}

/** A count as people read it: thousands grouped ("8,559"). */
export const countText = (n: number) => n.toLocaleString("en-US");

/** A percentage as people read it: one decimal at most ("0.4 %", "6 %"). */
export function percentText(value: number): string {
  return `${Math.round(value * 10) / 10} %`;
}

/** A duration in minutes as people read it ("35 min", "2 h", "2 h 5 min", "1 d 3 h"). */
export function minutesText(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  if (m < 60) return `${m} min`;
  if (m < 1440) return m % 60 === 0 ? `${m / 60} h` : `${Math.floor(m / 60)} h ${m % 60} min`;
  const h = Math.floor((m % 1440) / 60);
  return `${Math.floor(m / 1440)} d${h > 0 ? ` ${h} h` : ""}`;
}

/** The gate's figures from the counts (see GateFigures). */
export function gateFigures(input: Pick<GateInput, "counts" | "devices" | "waveStartMs" | "nowMs" | "bakeMinutes">): GateFigures {
  const c = input.counts;
  const failed = c.failed + c.rejected + c.timedOut;
  const executed = c.succeeded + failed;
  const bakeEnd = input.waveStartMs + input.bakeMinutes * 60_000;
  return {
    executed,
    failed,
    succeeded: c.succeeded,
    devices: input.devices,
    failedPercent: executed === 0 ? 0 : (failed / executed) * 100,
    succeededPercent: input.devices === 0 ? 0 : (c.succeeded / input.devices) * 100,
    elapsedMinutes: Math.max(0, Math.floor((input.nowMs - input.waveStartMs) / 60_000)),
    bakeRemainingMinutes: Math.max(0, Math.ceil((bakeEnd - input.nowMs) / 60_000)),
  };
}

/**
 * Judges a wave: **fail** as soon as at least `minExecuted` executions have
 * finished (or all of a wave's `size` devices, when it has fewer) and more
 * than `maxFailedPercent` of them failed (during the bake too: a failing
 * wave stops early); **hold** while the wave bakes, while fewer than that
 * have finished, and while fewer than
 * `minSucceededPercent` of the devices reached have succeeded; else
 * **advance** (**complete** after the last wave).
 */
export function judgeWave(input: GateInput): GateVerdict {
  const f = gateFigures(input);
  const g = input.gate;
  const after = `after ${minutesText(f.elapsedMinutes)}`;
  const size = input.size ?? 0;
  const smaller = size > 0 && size < g.minExecuted;
  const needed = smaller ? size : g.minExecuted;
  if (f.executed >= needed && f.executed > 0 && f.failedPercent > g.maxFailedPercent) {
    return {
      verdict: "fail",
      reason: `${percentText(f.failedPercent)} failed > ${percentText(g.maxFailedPercent)} (${countText(f.failed)} of ${countText(f.executed)} executed ${after})`,
      figures: f,
    };
  }
  if (f.bakeRemainingMinutes > 0) {
    return {
      verdict: "hold",
      reason: `bake ends in ${f.bakeRemainingMinutes} min (${percentText(f.failedPercent)} failed of ${countText(f.executed)} executed so far)`,
      figures: f,
    };
  }
  if (f.executed < needed) {
    const why = smaller ? ` (all of the wave's ${countText(needed)} devices: fewer than minExecuted ${countText(g.minExecuted)})` : "";
    return { verdict: "hold", reason: `${countText(f.executed)} executed < ${countText(needed)} needed${why} ${after}`, figures: f };
  }
  if (f.succeededPercent < g.minSucceededPercent) {
    return {
      verdict: "hold",
      reason: `${percentText(f.succeededPercent)} succeeded < ${percentText(g.minSucceededPercent)} of ${countText(f.devices)} devices ${after}`,
      figures: f,
    };
  }
  return {
    verdict: input.last ? "complete" : "advance",
    reason: `gate passed: ${percentText(f.failedPercent)} failed of ${countText(f.executed)} executed, ${percentText(f.succeededPercent)} succeeded of ${countText(f.devices)} devices ${after}`,
    figures: f,
  };
}

/**
 * The devices a percentage wave reaches, cumulative: the fleet's members
 * ordered by SHA-256 of `salt` + name, the first ceil(percent × n / 100) of
 * them (at least one of a non-empty fleet when percent > 0). The order does
 * not depend on the members' order, so a wave's devices stay in every later,
 * larger wave.
 */
export function sampleWave(members: readonly string[], percent: number, salt: string): string[] {
  if (percent <= 0 || members.length === 0) return [];
  const count = Math.min(members.length, Math.ceil((Math.min(percent, 100) * members.length) / 100));
  const keyed = [...new Set(members)].map((name) => ({
    name,
    key: createHash("sha256")
      .update(salt + name)
      .digest("hex"),
  }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.name < b.name ? -1 : 1));
  return keyed.slice(0, count).map((k) => k.name);
}

/** The counts of DescribeJob's jobProcessDetails (absent members as 0). */
export function countsOf(details: Record<string, number | undefined> | undefined): JobCounts {
  const d = details ?? {};
  return {
    succeeded: d.numberOfSucceededThings ?? 0,
    failed: d.numberOfFailedThings ?? 0,
    rejected: d.numberOfRejectedThings ?? 0,
    timedOut: d.numberOfTimedOutThings ?? 0,
    inProgress: d.numberOfInProgressThings ?? 0,
    queued: d.numberOfQueuedThings ?? 0,
    canceled: d.numberOfCanceledThings ?? 0,
    removed: d.numberOfRemovedThings ?? 0,
  };
}

/**
 * The job's counts when a wave was released, which that wave's gate leaves
 * out: executions finished by then, devices reached by then, and those of
 * them not finished yet (they finish during the wave and count in it).
 */
export interface WaveBaseline {
  succeeded: number;
  /** Failed, rejected and timed out. */
  failed: number;
  notified: number;
  /** Queued and in progress. */
  unfinished: number;
}

export function baselineOf(c: JobCounts): WaveBaseline {
  return {
    succeeded: c.succeeded,
    failed: c.failed + c.rejected + c.timedOut,
    notified: notifiedOf(c),
    unfinished: c.inProgress + c.queued,
  };
}

/**
 * What a wave's gate judges: the executions that finished since the wave
 * was released (the job's counts less its baseline), out of the devices it
 * reached plus those of earlier waves still unfinished at its release (whose
 * results arrive during it). Without a baseline (the first wave), the job's
 * counts as they are.
 */
export function sinceRelease(counts: JobCounts, baseline: WaveBaseline | undefined): { counts: JobCounts; devices: number } {
  if (!baseline) return { counts, devices: notifiedOf(counts) };
  const less = (a: number, b: number) => Math.max(0, a - b);
  return {
    counts: {
      succeeded: less(counts.succeeded, baseline.succeeded),
      failed: less(counts.failed + counts.rejected + counts.timedOut, baseline.failed),
      rejected: 0,
      timedOut: 0,
      inProgress: counts.inProgress,
      queued: counts.queued,
    },
    devices: less(notifiedOf(counts), baseline.notified) + baseline.unfinished,
  };
}

/** Devices the job has reached: one execution each, whatever its status. */
export const notifiedOf = (c: JobCounts) =>
  c.succeeded + c.failed + c.rejected + c.timedOut + c.inProgress + c.queued + (c.canceled ?? 0) + (c.removed ?? 0);
