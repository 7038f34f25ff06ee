/**
 * A job's rollout, as pure arithmetic shared by the local endpoint's fleet
 * simulation (src/local/simulation) and the preview's device impact: the
 * notification rate (maximumPerMinute, exponentialRate), maintenance windows
 * (AWS cron expressions), how long a rollout takes to notify every device,
 * and how many devices abort criteria let fail.
 *
 * Sources (AWS IoT developer guide, "jobs-configurations-details" and
 * "job-configurations-api"; API reference: JobExecutionsRolloutConfig,
 * ExponentialRolloutRate, RateIncreaseCriteria, AbortCriteria,
 * MaintenanceWindow; EventBridge Scheduler's cron syntax, which IoT uses):
 * - maximumPerMinute is the most things notified of a job per minute; when
 *   unset, IoT notifies up to 1,000 per minute.
 * - exponentialRate starts at baseRatePerMinute and multiplies the rate by
 *   incrementFactor each time rateIncreaseCriteria is met (a number of things
 *   notified, or succeeded, since the last increase); maximumPerMinute caps it.
 * - A maintenance window opens at each time its cron expression names (UTC)
 *   and stays open durationInMinutes.
 * - An abort criterion cancels the job once at least minNumberOfExecutedThings
 *   have finished and failures of its type are at least thresholdPercentage
 *   of them.
 * Where AWS does not say (how a fractional rate is rounded), the choice is
 * noted next to the code.
 */

export const DEFAULT_MAXIMUM_PER_MINUTE = 1000;

/**
 * How fast a job is rolled out (a job's or template's
 * `jobExecutionsRolloutConfig`): a fixed maximum per minute, or an
 * exponential ramp. The one type of it: the provider's props, the preview's
 * impact and the local endpoint's simulation all use this one.
 */
export interface RolloutConfig {
  /** Things notified per minute, 1–1000. @default 1000 */
  maximumPerMinute?: number;
  /** Start at `baseRatePerMinute` and multiply by `incrementFactor` each time `rateIncreaseCriteria` is met. */
  exponentialRate?: {
    baseRatePerMinute: number;
    incrementFactor: number;
    rateIncreaseCriteria: { numberOfNotifiedThings?: number; numberOfSucceededThings?: number };
  };
}

/** Serializable progress of a rollout's rate. */
export interface RolloutProgress {
  increases: number;
  notifiedSinceIncrease: number;
  succeededSinceIncrease: number;
}

export function newRolloutProgress(): RolloutProgress {
  return { increases: 0, notifiedSinceIncrease: 0, succeededSinceIncrease: 0 };
}

/**
 * Things that may be notified in one minute now. A fractional exponential rate
 * is rounded down (never more than the configuration allows), and is at least 1.
 */
export function ratePerMinute(config: RolloutConfig | undefined, progress: RolloutProgress): number {
  const max = config?.maximumPerMinute ?? DEFAULT_MAXIMUM_PER_MINUTE;
  const exp = config?.exponentialRate;
  if (!exp) return max;
  const rate = Math.floor(exp.baseRatePerMinute * exp.incrementFactor ** progress.increases + 1e-9);
  return Math.max(1, Math.min(max, rate));
}

/**
 * Raises the rate once when a criterion was met since the last increase; the
 * counts then start again from 0. (AWS says the rate increases when the
 * number is reached; it does not say what happens to a surplus: dropping it
 * means a minute's batch raises the rate at most once.)
 */
function raise(config: RolloutConfig | undefined, progress: RolloutProgress): void {
  const criteria = config?.exponentialRate?.rateIncreaseCriteria;
  if (!criteria) return;
  const max = config?.maximumPerMinute ?? DEFAULT_MAXIMUM_PER_MINUTE;
  if (ratePerMinute(config, progress) >= max) return;
  const byNotified = criteria.numberOfNotifiedThings !== undefined && progress.notifiedSinceIncrease >= criteria.numberOfNotifiedThings;
  const bySucceeded = criteria.numberOfSucceededThings !== undefined && progress.succeededSinceIncrease >= criteria.numberOfSucceededThings;
  if (!byNotified && !bySucceeded) return;
  progress.increases += 1;
  progress.notifiedSinceIncrease = 0;
  progress.succeededSinceIncrease = 0;
}

/**
 * Records n things notified; may raise the rate (mutates `progress`). Call it
 * once per minute with that minute's count (and recordSucceeded likewise), so
 * that the rate rises at most once a minute, whatever the fleet size.
 */
export function recordNotified(config: RolloutConfig | undefined, progress: RolloutProgress, n: number): void {
  progress.notifiedSinceIncrease += n;
  raise(config, progress);
}

/** Records n things succeeded; may raise the rate (mutates `progress`). */
export function recordSucceeded(config: RolloutConfig | undefined, progress: RolloutProgress, n: number): void {
  progress.succeededSinceIncrease += n;
  raise(config, progress);
}

// ------------------------------------------------------------------ maintenance windows

export interface MaintenanceWindow {
  startTime: string;
  durationInMinutes: number;
}

const MINUTE = 60_000;
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  /** Days of the month, or "L" (the last), or undefined for any ("?"). */
  dom?: Set<number> | "L";
  months: Set<number>;
  /** Days of the week (1 = Sunday), "nL" (the last such day) or "n#k" (the k-th), or undefined for any. */
  dow?: Set<number> | { day: number; last?: true; nth?: number };
  years: Set<number> | undefined;
}

const compiled = new Map<string, Cron>();

/** The numbers a cron field names (`*`, lists, ranges, steps, names). */
function field(text: string, min: number, max: number, names: string[] = [], nameBase = min): Set<number> {
  const value = (t: string) => {
    const i = names.indexOf(t.toUpperCase());
    const n = i >= 0 ? i + nameBase : Number(t);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`"${t}" is not a value from ${min} to ${max}`);
    return n;
  };
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`"${part}" has an invalid step`);
    let [from, to] = [min, max];
    if (range !== "*") {
      const [a, b] = range.split("-");
      from = value(a);
      to = b === undefined ? (stepText === undefined ? from : max) : value(b);
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

/** Parses `cron(minutes hours day-of-month month day-of-week year)`, AWS's six-field form. */
export function parseCron(expression: string): Cron {
  const cached = compiled.get(expression);
  if (cached) return cached;
  const m = /^cron\(\s*(.+?)\s*\)$/.exec(expression.trim());
  const parts = m?.[1].split(/\s+/);
  if (!parts || parts.length !== 6)
    throw new Error(`${expression} is not a cron expression with six fields (minutes hours day-of-month month day-of-week year)`);
  const [min, hour, dom, month, dow, year] = parts;
  try {
    let dayOfWeek: Cron["dow"];
    if (dow !== "?" && dow !== "*") {
      const nth = /^(\w+)#(\d)$/.exec(dow);
      const last = /^(\w+)L$/.exec(dow);
      if (nth) dayOfWeek = { day: [...field(nth[1], 1, 7, DAYS, 1)][0], nth: Number(nth[2]) };
      else if (last) dayOfWeek = { day: [...field(last[1], 1, 7, DAYS, 1)][0], last: true };
      else dayOfWeek = field(dow, 1, 7, DAYS, 1);
    }
    if (/W/.test(dom)) throw new Error(`"${dom}": the W (nearest weekday) form is not supported by the local simulation`);
    const cron: Cron = {
      minutes: field(min, 0, 59),
      hours: field(hour, 0, 23),
      dom: dom === "?" || dom === "*" ? undefined : dom === "L" ? "L" : field(dom, 1, 31),
      months: field(month, 1, 12, MONTHS, 1),
      dow: dayOfWeek,
      years: year === "*" ? undefined : field(year, 1970, 2199),
    };
    compiled.set(expression, cron);
    return cron;
  } catch (error) {
    throw new Error(`${expression}: ${(error as Error).message}`);
  }
}

/**
 * What is wrong with a maintenance window's cron expression, as AWS reads it
 * (EventBridge's cron syntax, eb-cron-expressions: six fields; values and
 * wildcards per field; a value or * in one of day-of-month and day-of-week
 * needs ? in the other), or undefined. W (nearest weekday) is valid here,
 * though the local simulation cannot run it.
 */
export function cronProblem(expression: string): string | undefined {
  const parts = /^cron\(\s*(.+?)\s*\)$/.exec(expression.trim())?.[1].split(/\s+/);
  if (!parts || parts.length !== 6) {
    return "must be a cron expression with six fields, e.g. cron(0 2 ? * MON *) (minutes hours day-of-month month day-of-week year, UTC)";
  }
  const [, , dom, , dow] = parts;
  if ((dom === "?") === (dow === "?")) {
    return `${dom === "?" ? "leaves both" : "sets both"} day-of-month (${dom}) and day-of-week (${dow}): AWS cron expressions need ? in exactly one of them, e.g. cron(0 2 ? * MON *) or cron(0 2 1 * ? *)`;
  }
  const weekday = /^(\d{1,2}|L)W$/.exec(dom);
  if (weekday && weekday[1] !== "L" && (Number(weekday[1]) < 1 || Number(weekday[1]) > 31))
    return `day-of-month "${dom}" is not a day from 1 to 31`;
  try {
    parseCron(weekday ? expression.replace(dom, "1") : expression);
  } catch (error) {
    return (error as Error).message.replace(`${expression}: `, "");
  }
  return undefined;
}

function dayMatches(cron: Cron, d: Date): boolean {
  const day = d.getUTCDate();
  if (cron.dom === "L") {
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    if (day !== last) return false;
  } else if (cron.dom && !cron.dom.has(day)) return false;
  const weekday = d.getUTCDay() + 1;
  const dow = cron.dow;
  if (dow instanceof Set) return dow.has(weekday);
  if (dow) {
    if (weekday !== dow.day) return false;
    if (dow.nth !== undefined) return Math.ceil(day / 7) === dow.nth;
    const daysInMonth = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    return day + 7 > daysInMonth;
  }
  return true;
}

/** Does the cron expression name this minute (UTC)? */
export function cronMatches(expression: string, epochMs: number): boolean {
  const cron = parseCron(expression);
  const d = new Date(Math.floor(epochMs / MINUTE) * MINUTE);
  return (
    cron.minutes.has(d.getUTCMinutes()) &&
    cron.hours.has(d.getUTCHours()) &&
    cron.months.has(d.getUTCMonth() + 1) &&
    (cron.years === undefined || cron.years.has(d.getUTCFullYear())) &&
    dayMatches(cron, d)
  );
}

/** The end (epoch ms) of the window open at this time, or undefined when none is. */
export function openWindowEnd(windows: readonly MaintenanceWindow[] | undefined, epochMs: number): number | undefined {
  const now = Math.floor(epochMs / MINUTE) * MINUTE;
  let end: number | undefined;
  for (const w of windows ?? []) {
    for (let back = 0; back < w.durationInMinutes; back++) {
      const start = now - back * MINUTE;
      if (cronMatches(w.startTime, start)) {
        end = Math.max(end ?? 0, start + w.durationInMinutes * MINUTE);
        break;
      }
    }
  }
  return end;
}

/** Is a maintenance window open at this time (UTC, minute precision)? True when there are no windows. */
export function inMaintenanceWindow(windows: readonly MaintenanceWindow[] | undefined, epochMs: number): boolean {
  if (!windows || windows.length === 0) return true;
  return openWindowEnd(windows, epochMs) !== undefined;
}

/** The next time (epoch ms, minute precision, at or after `fromMs`) a window opens, within `horizonMinutes`; undefined if none does. */
export function nextWindowStart(windows: readonly MaintenanceWindow[], fromMs: number, horizonMinutes: number): number | undefined {
  const from = Math.ceil(fromMs / MINUTE) * MINUTE;
  for (let m = 0; m <= horizonMinutes; m++) {
    const t = from + m * MINUTE;
    if (windows.some((w) => cronMatches(w.startTime, t))) return t;
  }
  return undefined;
}

// ------------------------------------------------------------------ estimates

/**
 * Whole minutes from the rollout's start until every one of `devices` has been
 * notified: 1,000 devices at 100 per minute take 10 (minutes 0 to 9). 0 for
 * no devices; null when windows never open within `horizonMinutes` (default
 * 366 days). A rate that rises with succeeded things assumes every notified
 * device succeeds at once (the healthy rollout the configuration plans for).
 */
export function minutesToNotifyAll(
  devices: number,
  options: { rollout?: RolloutConfig; windows?: readonly MaintenanceWindow[]; startMs?: number; horizonMinutes?: number } = {},
): number | null {
  const horizon = options.horizonMinutes ?? 366 * 24 * 60;
  const start = Math.floor((options.startMs ?? Date.now()) / MINUTE) * MINUTE;
  const windows = options.windows && options.windows.length > 0 ? options.windows : undefined;
  const progress = newRolloutProgress();
  let remaining = devices;
  let windowEnd: number | undefined;
  for (let m = 0; remaining > 0; m++) {
    if (m > horizon) return null;
    const t = start + m * MINUTE;
    if (windows) {
      if (windowEnd === undefined || t >= windowEnd) windowEnd = openWindowEnd(windows, t);
      if (windowEnd === undefined) {
        const next = nextWindowStart(windows, t, horizon - m);
        if (next === undefined) return null;
        m = (next - start) / MINUTE - 1;
        continue;
      }
    }
    const n = Math.min(remaining, ratePerMinute(options.rollout, progress));
    remaining -= n;
    recordNotified(options.rollout, progress, n);
    recordSucceeded(options.rollout, progress, n);
    if (remaining === 0) return m + 1;
  }
  return 0;
}

export interface AbortCriteria {
  failureType: string;
  action: string;
  thresholdPercentage: number;
  minNumberOfExecutedThings: number;
}

/**
 * The most devices that can end FAILED before the abort criteria stop the job,
 * whatever the order of results: failures may come first (the criterion waits
 * for minNumberOfExecutedThings finished executions) or last (successes keep
 * the share below the threshold until failures reach thresholdPercentage of
 * all devices). Per criterion that counts FAILED (failureType FAILED or ALL):
 * max(minNumberOfExecutedThings, ceil(threshold × devices / 100)), at most
 * `devices`; the smallest over such criteria. null without one. Executions
 * already in progress when the job is cancelled still finish, and may fail too.
 */
export function maxFailuresBeforeAbort(
  devices: number,
  abortConfig: { criteriaList?: readonly AbortCriteria[] } | undefined,
): number | null {
  let best: number | null = null;
  for (const c of abortConfig?.criteriaList ?? []) {
    if (c.failureType !== "FAILED" && c.failureType !== "ALL") continue;
    const n = Math.min(devices, Math.max(c.minNumberOfExecutedThings, Math.ceil((c.thresholdPercentage * devices) / 100 - 1e-9)));
    best = best === null ? n : Math.min(best, n);
  }
  return best;
}
