/** Times of the simulation: the minute, and a job's scheduled start and end. */
import type { JobRecord } from "../state/store.ts";

export const MINUTE_MS = 60_000;

/**
 * Parses a schedulingConfig time. The documented format is a date and a time
 * ("YYYY-MM-DDTHH:MM"); a value without a zone is taken as UTC.
 */
export function parseScheduleTime(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(value)) return undefined;
  const withZone = /(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The scheduled start of a job in epoch ms, if it has one. */
export function scheduleStart(job: JobRecord): number | undefined {
  const start = job.schedulingConfig?.startTime;
  return typeof start === "string" ? parseScheduleTime(start) : undefined;
}

/** The scheduled end of a job in epoch ms, if it has one. */
export function scheduleEnd(job: JobRecord): number | undefined {
  const end = job.schedulingConfig?.endTime;
  return typeof end === "string" ? parseScheduleTime(end) : undefined;
}
