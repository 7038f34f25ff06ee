/**
 * The simulation's agenda: events bucketed by their time (epoch ms), popped
 * in time order, and within one time by priority, then in the order they were
 * added. Distinct times sit in a binary min-heap, so a quiet stretch of
 * virtual time costs nothing and a busy minute costs its events, not the
 * fleet.
 *
 * Events are hints, not commands: each handler checks the records before it
 * acts (an execution a device already finished, a job canceled meanwhile...),
 * so a stale or duplicate event does nothing.
 */

import type { World } from "../state/world.ts";

/** What the rules of rollouts and executions (rollouts.ts, lifecycle.ts) schedule with: the engine. */
export interface Agenda {
  readonly world: World;
  /** Adds an event (never before the instant being processed). */
  schedule(atMs: number, event: SimEvent): void;
  /** Runs what is due now. */
  drain(): void;
}

/** What can happen at a point in time. */
export type SimEvent =
  /** A job's scheduled startTime. */
  | { kind: "start"; jobId: string }
  /** A job's scheduled endTime. */
  | { kind: "end"; jobId: string }
  /** A simulated device reports the outcome of an execution. */
  | { kind: "device"; jobId: string; thingName: string; executionNumber: number }
  /** An execution's in-progress timer expires. */
  | { kind: "timeout"; jobId: string; thingName: string; executionNumber: number }
  /** A job's rollout minute: notify the next things (and open or close maintenance windows). */
  | { kind: "notify"; jobId: string };

/**
 * Order of events at the same instant: the job's schedule first, then what
 * devices report, then timers, then new notifications (so a minute's results
 * count before the rollout decides on the minute's notifications).
 */
const PRIORITY: Record<SimEvent["kind"], number> = { start: 0, end: 0, device: 1, timeout: 2, notify: 3 };
const LEVELS = 4;

interface Bucket {
  lists: SimEvent[][];
  /** Read position in each list. */
  read: number[];
}

export class EventQueue {
  private readonly buckets = new Map<number, Bucket>();
  private readonly heap: number[] = [];

  get size(): number {
    return this.buckets.size;
  }

  add(atMs: number, event: SimEvent): void {
    let bucket = this.buckets.get(atMs);
    if (!bucket) {
      bucket = { lists: Array.from({ length: LEVELS }, () => []), read: new Array(LEVELS).fill(0) };
      this.buckets.set(atMs, bucket);
      this.push(atMs);
    }
    bucket.lists[PRIORITY[event.kind]].push(event);
  }

  /** The earliest time with events, if any. */
  peekTime(): number | undefined {
    return this.heap[0];
  }

  /**
   * The next event at `atMs` (lowest priority level first, then insertion
   * order), or undefined once that instant has none left; the instant is then
   * removed. Events added at `atMs` while it is being drained are returned too.
   */
  takeAt(atMs: number): SimEvent | undefined {
    const bucket = this.buckets.get(atMs);
    if (!bucket) return undefined;
    for (let level = 0; level < LEVELS; level++) {
      const list = bucket.lists[level];
      if (bucket.read[level] < list.length) return list[bucket.read[level]++];
    }
    this.buckets.delete(atMs);
    this.pop();
    return undefined;
  }

  clear(): void {
    this.buckets.clear();
    this.heap.length = 0;
  }

  private push(value: number): void {
    const heap = this.heap;
    heap.push(value);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= value) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = value;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    while (true) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && heap[right] < heap[left] ? right : left;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }
}
