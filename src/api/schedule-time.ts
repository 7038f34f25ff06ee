/**
 * A schedulingConfig time (startTime, endTime) as IoT reads it: a date and a
 * time, `YYYY-MM-DDTHH:MM`, with seconds and a zone optional; a value without
 * a zone is UTC. A date or a time that does not exist (2027-02-30, 24:00,
 * 12:60) is not one: `Date.parse` would roll it forward to another day.
 */
const FORMAT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:Z|([+-])(\d{2}):(\d{2}))?$/;

/** The time in epoch milliseconds, or undefined when `value` is not such a time. */
export function parseScheduleTime(value: string): number | undefined {
  const m = FORMAT.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((part) => Number(part ?? 0));
  const [sign, zoneHours, zoneMinutes] = [m[8], Number(m[9] ?? 0), Number(m[10] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 || zoneHours > 23 || zoneMinutes > 59) return undefined;
  // The day must exist in its month (Date.UTC turns February 30 into March 2).
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined;
  const fraction = m[7] ? Math.round(Number(`0${m[7]}`) * 1000) : 0;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, fraction);
  const offset = (sign === "-" ? -1 : 1) * (zoneHours * 60 + zoneMinutes) * 60_000;
  return local - (sign ? offset : 0);
}
