/** The Rollout gate's arithmetic, against figures worked out by hand. */
import { expect, test } from "vitest";
import {
  baselineOf,
  countText,
  countsOf,
  gateFigures,
  judgeWave,
  minutesText,
  notifiedOf,
  percentText,
  sampleWave,
  sinceRelease,
  type JobCounts,
} from "../../src/api/rollout-gate.ts";

const zero: JobCounts = { succeeded: 0, failed: 0, rejected: 0, timedOut: 0, inProgress: 0, queued: 0 };
const gate = { minExecuted: 5, maxFailedPercent: 2, minSucceededPercent: 95 };
const start = Date.UTC(2030, 0, 7, 12, 0);
const min = 60_000;

test("figures: executed, failed % of executed, succeeded % of devices, bake left", () => {
  // 47 succeeded, 2 failed, 1 rejected, 0 timed out: executed 50, failed 3 = 6 %; 47 of 60 devices = 78.33 %.
  const f = gateFigures({
    counts: { ...zero, succeeded: 47, failed: 2, rejected: 1, inProgress: 4, queued: 6 },
    devices: 60,
    waveStartMs: start,
    nowMs: start + 85 * min + 30_000,
    bakeMinutes: 120,
  });
  expect(f).toEqual({
    executed: 50,
    failed: 3,
    succeeded: 47,
    devices: 60,
    failedPercent: 6,
    succeededPercent: (47 / 60) * 100,
    elapsedMinutes: 85,
    bakeRemainingMinutes: 35, // 120 − 85.5 = 34.5, rounded up
  });
});

test("fail as soon as enough executed and too many failed, even while baking", () => {
  const v = judgeWave({
    counts: { ...zero, succeeded: 47, failed: 3 },
    devices: 50,
    waveStartMs: start,
    nowMs: start + 30 * min,
    bakeMinutes: 120,
    gate,
    last: false,
  });
  expect(v.verdict).toBe("fail");
  expect(v.reason).toBe("6 % failed > 2 % (3 of 50 executed after 30 min)");
});

test("too few executed: failures do not count yet (4 failed of 4 < minExecuted 5)", () => {
  const v = judgeWave({
    counts: { ...zero, failed: 4 },
    devices: 10,
    waveStartMs: start,
    nowMs: start + 200 * min,
    bakeMinutes: 120,
    gate,
    last: false,
  });
  expect(v.verdict).toBe("hold");
  expect(v.reason).toBe("4 executed < 5 needed after 3 h 20 min");
});

test("a percentage wave of 4 devices, fewer than minExecuted 5: judged once all 4 finished", () => {
  const wave = { devices: 4, size: 4, waveStartMs: start, nowMs: start + 65 * min, bakeMinutes: 60, gate, last: false };
  const partial = judgeWave({ ...wave, counts: { ...zero, succeeded: 3, inProgress: 1 } });
  expect(partial.verdict).toBe("hold");
  expect(partial.reason).toBe("3 executed < 4 needed (all of the wave's 4 devices: fewer than minExecuted 5) after 1 h 5 min");
  expect(judgeWave({ ...wave, counts: { ...zero, succeeded: 4 } }).verdict).toBe("advance");
  // 4 of 4 failed: the gate fails (before, it held for ever: 4 executed < 5 needed).
  const failed = judgeWave({ ...wave, counts: { ...zero, failed: 4 } });
  expect(failed.verdict).toBe("fail");
  expect(failed.reason).toBe("100 % failed > 2 % (4 of 4 executed after 1 h 5 min)");
  // A wave of more devices than minExecuted, or of an unknown size, needs minExecuted.
  expect(judgeWave({ ...wave, size: 10, counts: { ...zero, succeeded: 4 } }).reason).toBe("4 executed < 5 needed after 1 h 5 min");
  expect(judgeWave({ ...wave, size: undefined, counts: { ...zero, succeeded: 4 } }).verdict).toBe("hold");
});

test("hold while baking: bake ends in N min", () => {
  const v = judgeWave({
    counts: { ...zero, succeeded: 20 },
    devices: 20,
    waveStartMs: start,
    nowMs: start + 85 * min,
    bakeMinutes: 120,
    gate,
    last: false,
  });
  expect(v.verdict).toBe("hold");
  expect(v.reason).toMatch(/^bake ends in 35 min/);
});

test("hold while too few succeeded of the devices reached: 19 of 21 = 90.5 % < 95 %", () => {
  const v = judgeWave({
    counts: { ...zero, succeeded: 19, inProgress: 2 },
    devices: 21,
    waveStartMs: start,
    nowMs: start + 121 * min,
    bakeMinutes: 120,
    gate,
    last: false,
  });
  expect(v.verdict).toBe("hold");
  expect(v.reason).toBe("90.5 % succeeded < 95 % of 21 devices after 2 h 1 min");
});

test("advance at 1 failed of 250 executed (0.4 %), 249 of 250 succeeded; complete after the last wave", () => {
  const input = {
    counts: { ...zero, succeeded: 249, failed: 1 },
    devices: 250,
    waveStartMs: start,
    nowMs: start + 120 * min,
    bakeMinutes: 120,
    gate,
  };
  const v = judgeWave({ ...input, last: false });
  expect(v.verdict).toBe("advance");
  expect(v.reason).toBe("gate passed: 0.4 % failed of 250 executed, 99.6 % succeeded of 250 devices after 2 h");
  expect(judgeWave({ ...input, last: true }).verdict).toBe("complete");
  // Exactly at the limit is not above it: 5 failed of 250 = 2 %.
  expect(
    judgeWave({ ...input, counts: { ...zero, succeeded: 245, failed: 5 }, gate: { ...gate, minSucceededPercent: 0 }, last: false }).verdict,
  ).toBe("advance");
});

test("a later wave is judged on what finished since its release, not on the earlier waves' results", () => {
  // Released when the canary stood at 48 succeeded, 1 failed, 1 rejected, 2 in progress, 0 queued (52 reached):
  // baseline succeeded 48, failed 2, notified 52, unfinished 2.
  const baseline = baselineOf({ ...zero, succeeded: 48, failed: 1, rejected: 1, inProgress: 2 });
  expect(baseline).toEqual({ succeeded: 48, failed: 2, notified: 52, unfinished: 2 });
  // Now: 140 succeeded, 4 failed, 2 rejected, 1 timed out, 10 in progress, 50 queued (207 reached).
  // Since the release: 92 succeeded, 7 - 2 = 5 failed, executed 97; devices 207 - 52 + 2 (the canary's stragglers) = 157.
  const now: JobCounts = { ...zero, succeeded: 140, failed: 4, rejected: 2, timedOut: 1, inProgress: 10, queued: 50 };
  const own = sinceRelease(now, baseline);
  expect(own).toEqual({ counts: { ...zero, succeeded: 92, failed: 5, inProgress: 10, queued: 50 }, devices: 157 });
  // 5 of 97 = 5.15 % > 2 %: the wave fails; over every wave it would be 7 of 147 = 4.76 %.
  const verdict = judgeWave({ ...own, waveStartMs: start, nowMs: start + 30 * min, bakeMinutes: 60, gate, last: false });
  expect(verdict.verdict).toBe("fail");
  expect(verdict.reason).toBe("5.2 % failed > 2 % (5 of 97 executed after 30 min)");
  // The first wave has no baseline: the job's counts as they are.
  expect(sinceRelease(now, undefined)).toEqual({ counts: now, devices: 207 });
});

test("counts from DescribeJob's jobProcessDetails", () => {
  const c = countsOf({ numberOfSucceededThings: 3, numberOfFailedThings: 1, numberOfQueuedThings: 2, numberOfTimedOutThings: 1 });
  expect(c).toMatchObject({ succeeded: 3, failed: 1, queued: 2, timedOut: 1, rejected: 0, inProgress: 0 });
  expect(notifiedOf(c)).toBe(7);
});

test("words: counts, percentages and durations", () => {
  expect([countText(8559), countText(1_000_000), countText(97)]).toEqual(["8,559", "1,000,000", "97"]);
  expect([percentText(6), percentText(0.4), percentText(100 / 3)]).toEqual(["6 %", "0.4 %", "33.3 %"]);
  expect([minutesText(35), minutesText(120), minutesText(125), minutesText(1440), minutesText(1500)]).toEqual([
    "35 min",
    "2 h",
    "2 h 5 min",
    "1 d",
    "1 d 1 h",
  ]);
});

test("sampleWave: ceil(percent × n / 100), stable, cumulative, never empty", () => {
  const fleet = Array.from({ length: 55 }, (_, i) => `sim-${String(i).padStart(5, "0")}`);
  const ten = sampleWave(fleet, 10, "job-1");
  expect(ten).toHaveLength(6); // ceil(5.5)
  expect(sampleWave([...fleet].reverse(), 10, "job-1")).toEqual(ten); // the members' order does not matter
  const fifty = sampleWave(fleet, 50, "job-1");
  expect(fifty).toHaveLength(28);
  expect(ten.every((d) => fifty.includes(d))).toBe(true); // cumulative
  expect(sampleWave(fleet, 100, "job-1").sort()).toEqual(fleet);
  expect(sampleWave(fleet, 0.1, "job-1")).toHaveLength(1);
  expect(sampleWave([], 50, "job-1")).toEqual([]);
  expect(sampleWave(fleet, 10, "job-2")).not.toEqual(ten); // another rollout, other canaries
  // By hand: the order is SHA-256(salt + name).
  expect(sampleWave(["a", "b", "c"], 34, "s")).toHaveLength(2);
});
