/** Times of the simulation: the minute, and a job's scheduled start and end. */
import { parseScheduleTime } from "../../api/schedule-time.ts";
import type { JobRecord } from "../state/store.ts";

export { parseScheduleTime };

export const MINUTE_MS = 60_000;

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
