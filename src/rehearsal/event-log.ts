/**
 * The endpoint's execution events as the rehearsal keeps them: only what the
 * timeline counts (the kind of change and when), nine bytes an event in
 * typed arrays, instead of an object per event (a million devices make three
 * million events or more).
 */
import type { ExecutionEvent } from "../local/index.ts";
import { timelineOf, type Minute } from "./report.ts";

/** The statuses the timeline counts, by code (report.ts timelineOf). */
const COUNTED = ["QUEUED", "SUCCEEDED", "FAILED", "REJECTED", "TIMED_OUT"] as const;
const CODE = new Map<string, number>(COUNTED.map((s, i) => [s, i]));

export class ExecutionLog {
  private codes = new Uint8Array(1024);
  private times = new Float64Array(1024);
  private size = 0;

  /** The endpoint's onExecution listener. */
  readonly record = (event: ExecutionEvent): void => {
    const code = CODE.get(event.status);
    if (code === undefined) return;
    if (this.size === this.codes.length) this.grow();
    this.codes[this.size] = code;
    this.times[this.size] = event.atMs;
    this.size += 1;
  };

  /** Events kept so far: a mark for `timeline`. */
  get length(): number {
    return this.size;
  }

  /** The per-minute counts of the events kept since mark `from` (timelineOf's). */
  timeline(from: number, startMs: number, minutes: number): Minute[] {
    const events: Array<{ status: string; atMs: number }> = [];
    const timeline = timelineOf(events, startMs, minutes);
    const field = ["notified", "succeeded", "failed", "rejected", "timedOut"] as const;
    for (let i = from; i < this.size; i++) {
      const minute = Math.floor((this.times[i] - startMs) / 60_000);
      if (minute >= 0 && minute <= minutes) timeline[minute][field[this.codes[i]]] += 1;
    }
    return timeline;
  }

  private grow(): void {
    const codes = new Uint8Array(this.codes.length * 2);
    codes.set(this.codes);
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    this.codes = codes;
    this.times = times;
  }
}

/** The timeline of the events since mark `before`, from an ExecutionLog or a plain array of events. */
export function timelineSince(
  events: ExecutionLog | readonly ExecutionEvent[],
  before: number,
  startMs: number,
  minutes: number,
): Minute[] {
  return events instanceof ExecutionLog ? events.timeline(before, startMs, minutes) : timelineOf(events.slice(before), startMs, minutes);
}
