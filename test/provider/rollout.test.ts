/** The rollout arithmetic shared by the fleet simulation and the preview's device impact, against hand-worked figures. */
import { describe, expect, test } from "vitest";
import {
  cronMatches,
  cronProblem,
  inMaintenanceWindow,
  maxFailuresBeforeAbort,
  minutesToNotifyAll,
  newRolloutProgress,
  nextWindowStart,
  parseCron,
  ratePerMinute,
  recordNotified,
  type RolloutConfig,
} from "../../src/api/rollout.ts";

const at = (iso: string) => Date.parse(`${iso}Z`);

describe("rate", () => {
  test("unset: 1,000 a minute; maximumPerMinute alone: that", () => {
    expect(ratePerMinute(undefined, newRolloutProgress())).toBe(1000);
    expect(ratePerMinute({ maximumPerMinute: 20 }, newRolloutProgress())).toBe(20);
  });

  test("exponential: base 10, ×2 each 10 notified, at most 100; a minute's batch raises the rate once", () => {
    const config: RolloutConfig = {
      maximumPerMinute: 100,
      exponentialRate: { baseRatePerMinute: 10, incrementFactor: 2, rateIncreaseCriteria: { numberOfNotifiedThings: 10 } },
    };
    const p = newRolloutProgress();
    const perMinute: number[] = [];
    for (let remaining = 200; remaining > 0;) {
      const n = Math.min(remaining, ratePerMinute(config, p));
      perMinute.push(n);
      remaining -= n;
      recordNotified(config, p, n);
    }
    // 10 (→20), 20 (→40), 40 (→80), 80 (→160, capped at 100), then the 50 left.
    expect(perMinute).toEqual([10, 20, 40, 80, 50]);
  });

  test("a fractional rate is rounded down: base 3 × 1.5 = 4.5 → 4", () => {
    const config: RolloutConfig = {
      exponentialRate: { baseRatePerMinute: 3, incrementFactor: 1.5, rateIncreaseCriteria: { numberOfNotifiedThings: 1 } },
    };
    const p = newRolloutProgress();
    recordNotified(config, p, 3);
    expect(ratePerMinute(config, p)).toBe(4);
  });
});

describe("minutes to notify all", () => {
  test("1,000 devices at 100 a minute: 10 minutes; 6 at 2: 3; none: 0; unset rate: 1,000 a minute", () => {
    expect(minutesToNotifyAll(1000, { rollout: { maximumPerMinute: 100 } })).toBe(10);
    expect(minutesToNotifyAll(6, { rollout: { maximumPerMinute: 2 } })).toBe(3);
    expect(minutesToNotifyAll(0, {})).toBe(0);
    expect(minutesToNotifyAll(2500, {})).toBe(3);
  });

  test("a window from 02:00 for 30 minutes, 100 a minute, 5,000 devices starting at 01:00: two windows (3,000 then 2,000)", () => {
    const windows = [{ startTime: "cron(0 2 * * ? *)", durationInMinutes: 30 }];
    // 01:00 → first window 02:00-02:30 notifies 3,000 (minutes 60-89); the next day's window 20 more minutes: the last at 02:19 + 1 day.
    expect(minutesToNotifyAll(5000, { rollout: { maximumPerMinute: 100 }, windows, startMs: at("2027-01-04T01:00") })).toBe(24 * 60 + 80);
  });

  test("a window that never opens within the horizon: null", () => {
    const windows = [{ startTime: "cron(0 2 1 1 ? 2199)", durationInMinutes: 30 }];
    expect(minutesToNotifyAll(10, { windows, startMs: at("2027-01-04T01:00"), horizonMinutes: 1000 })).toBeNull();
  });
});

describe("cron", () => {
  test("six fields, names, ranges, steps, L and #", () => {
    expect(cronMatches("cron(0 2 ? * MON *)", at("2027-01-04T02:00"))).toBe(true); // a Monday
    expect(cronMatches("cron(0 2 ? * MON *)", at("2027-01-05T02:00"))).toBe(false);
    expect(cronMatches("cron(*/15 9-17 ? * MON-FRI *)", at("2027-01-05T09:45"))).toBe(true);
    expect(cronMatches("cron(*/15 9-17 ? * MON-FRI *)", at("2027-01-09T09:45"))).toBe(false); // Saturday
    expect(cronMatches("cron(0 0 L * ? *)", at("2027-02-28T00:00"))).toBe(true);
    expect(cronMatches("cron(0 0 ? * 2#1 *)", at("2027-01-04T00:00"))).toBe(true); // first Monday
    expect(cronMatches("cron(0 0 ? * 6L *)", at("2027-01-29T00:00"))).toBe(true); // last Friday
    expect(() => parseCron("cron(0 2 * *)")).toThrow(/six fields/);
    expect(() => parseCron("cron(0 25 * * ? *)")).toThrow(/"25" is not a value from 0 to 23/);
  });

  test("windows: open inside, closed outside; the next start", () => {
    const windows = [{ startTime: "cron(0 2 ? * MON *)", durationInMinutes: 60 }];
    expect(inMaintenanceWindow(windows, at("2027-01-04T02:59"))).toBe(true);
    expect(inMaintenanceWindow(windows, at("2027-01-04T03:00"))).toBe(false);
    expect(inMaintenanceWindow(undefined, at("2027-01-04T03:00"))).toBe(true);
    expect(nextWindowStart(windows, at("2027-01-04T03:00"), 8 * 24 * 60)).toBe(at("2027-01-11T02:00"));
  });
});

describe("failures before an abort", () => {
  const c = (thresholdPercentage: number, minNumberOfExecutedThings: number, failureType = "FAILED") => ({
    failureType,
    action: "CANCEL",
    thresholdPercentage,
    minNumberOfExecutedThings,
  });
  test("max(min executed, ceil(threshold × devices)), at most the devices; the tightest criterion; null without one that counts FAILED", () => {
    expect(maxFailuresBeforeAbort(100, { criteriaList: [c(10, 20)] })).toBe(20);
    expect(maxFailuresBeforeAbort(1000, { criteriaList: [c(10, 20)] })).toBe(100);
    expect(maxFailuresBeforeAbort(10, { criteriaList: [c(10, 20)] })).toBe(10);
    expect(maxFailuresBeforeAbort(1000, { criteriaList: [c(10, 20), c(5, 10, "ALL")] })).toBe(50);
    expect(maxFailuresBeforeAbort(1000, { criteriaList: [c(10, 20, "REJECTED")] })).toBeNull();
    expect(maxFailuresBeforeAbort(1000, undefined)).toBeNull();
  });
});

describe("cron expressions as AWS reads them", () => {
  test("valid forms pass, W (nearest weekday) included, though the simulation cannot run it", () => {
    for (const e of ["cron(0 2 ? * MON *)", "cron(0 2 1 * ? *)", "cron(0/15 * L * ? 2027)", "cron(0 2 15W * ? *)", "cron(0 2 ? * 6#3 *)"]) {
      expect(cronProblem(e), e).toBeUndefined();
    }
  });

  test("out-of-range values, both day fields, or neither, are refused with the reason", () => {
    expect(cronProblem("cron(99 99 ? * MON *)")).toBe('"99" is not a value from 0 to 59');
    expect(cronProblem("cron(0 2 1 * MON *)")).toContain("sets both day-of-month (1) and day-of-week (MON)");
    expect(cronProblem("cron(0 2 * * * *)")).toContain("sets both day-of-month (*) and day-of-week (*)");
    expect(cronProblem("cron(0 2 ? * ? *)")).toContain("leaves both day-of-month (?) and day-of-week (?)");
    expect(cronProblem("cron(0 2 32W * ? *)")).toBe('day-of-month "32W" is not a day from 1 to 31');
    expect(cronProblem("cron(0 2 * *)")).toContain("six fields");
  });
});
