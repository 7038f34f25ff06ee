/**
 * How a simulated device behaves: per device, whether it is offline (it never
 * picks a job up); per attempt (execution), how it ends and after how long.
 */
import type { JobExecutionStatus } from "../../api/constraints.ts";
import { uniform } from "./random.ts";

/**
 * The behaviour model of a simulated device. Rates are probabilities in
 * [0, 1]; an attempt succeeds with probability 1 − failRate − rejectRate −
 * hangRate (so those three add up to at most 1). There is no successRate
 * member: success is what the other outcomes leave.
 */
export interface DeviceBehaviour {
  successRate?: never;
  /** Share of attempts that end FAILED. */
  failRate: number;
  /** Share of attempts that end REJECTED. */
  rejectRate: number;
  /** Share of attempts that stay IN_PROGRESS for ever (only a timeout ends them). */
  hangRate: number;
  /** Share of devices that are offline: drawn once per device; an offline device leaves its executions QUEUED. */
  offlineRate: number;
  /** Minutes between picking an execution up (IN_PROGRESS) and reporting its outcome. */
  runMinutes: number;
}

/** Every device online, every attempt SUCCEEDED after one minute. */
export const DEFAULT_BEHAVIOUR: Readonly<DeviceBehaviour> = Object.freeze({
  failRate: 0,
  rejectRate: 0,
  hangRate: 0,
  offlineRate: 0,
  runMinutes: 1,
});

/** The seed used when none is given. */
export const DEFAULT_SEED = 1;

const RATES = ["failRate", "rejectRate", "hangRate", "offlineRate"] as const;

/** DEFAULT_BEHAVIOUR overridden by `partial`, validated; throws an Error naming the offending field. */
export function resolveBehaviour(partial: Partial<DeviceBehaviour> | undefined): DeviceBehaviour {
  const given = (partial ?? {}) as Record<string, unknown>;
  if (given.successRate !== undefined) {
    throw new Error("DeviceBehaviour.successRate cannot be set: success is 1 - failRate - rejectRate - hangRate. Set those instead.");
  }
  const known = new Set<string>([...RATES, "runMinutes", "successRate"]);
  for (const key of Object.keys(given)) {
    if (!known.has(key)) throw new Error(`DeviceBehaviour has no field ${key}; the fields are ${[...RATES, "runMinutes"].join(", ")}.`);
  }
  const behaviour: DeviceBehaviour = { ...DEFAULT_BEHAVIOUR };
  for (const field of RATES) {
    const value = given[field];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new Error(`DeviceBehaviour.${field} must be a number between 0 and 1, got ${String(value)}.`);
    }
    behaviour[field] = value;
  }
  if (given.runMinutes !== undefined) {
    const value = given.runMinutes;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw new Error(`DeviceBehaviour.runMinutes must be a whole number of minutes, 0 or more, got ${String(value)}.`);
    }
    behaviour.runMinutes = value;
  }
  const sum = behaviour.failRate + behaviour.rejectRate + behaviour.hangRate;
  if (sum > 1 + 1e-9) {
    throw new Error(`DeviceBehaviour.failRate + rejectRate + hangRate must be at most 1 (success is what they leave), got ${sum}.`);
  }
  return behaviour;
}

/** A seed must be a 32-bit integer (mulberry32's state). */
export function checkSeed(seed: number | undefined): number {
  if (seed === undefined) return DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`seed must be an integer between 0 and 4294967295, got ${String(seed)}.`);
  }
  return seed;
}

/** Whether a device is offline: drawn once per device (its name and seed). */
export function isOffline(behaviour: DeviceBehaviour, seed: number, thingName: string): boolean {
  return behaviour.offlineRate > 0 && uniform(seed, "offline", thingName) < behaviour.offlineRate;
}

/** How one attempt ends: a terminal status the device reports, or "HANG" (it never reports). */
export type AttemptOutcome = Extract<JobExecutionStatus, "SUCCEEDED" | "FAILED" | "REJECTED"> | "HANG";

/** The outcome of one attempt, drawn per execution (so a retry may end differently). */
export function drawOutcome(
  behaviour: DeviceBehaviour,
  seed: number,
  thingName: string,
  jobId: string,
  executionNumber: number,
): AttemptOutcome {
  const u = uniform(seed, "attempt", thingName, jobId, executionNumber);
  let bound = behaviour.failRate;
  if (u < bound) return "FAILED";
  bound += behaviour.rejectRate;
  if (u < bound) return "REJECTED";
  bound += behaviour.hangRate;
  if (u < bound) return "HANG";
  return "SUCCEEDED";
}
