/**
 * What the endpoint counts (LocalIoTStats), in bounded memory: counters for
 * the totals (per operation and outcome), and only the most recent calls in
 * a ring of `maxCallRecords`.
 */
import type { CallRecord, LocalIoTStats } from "../api.ts";

/** Call records kept by default: more than any test makes between two resetStats(), about 3 MB at most. */
export const DEFAULT_MAX_CALL_RECORDS = 10_000;

type Counters = Omit<LocalIoTStats, "calls" | "callsOmitted" | "peakDeletionsInProgress">;

function zero(): Counters {
  return {
    requests: 0,
    byOperation: {},
    mutatingRequests: 0,
    throttled: 0,
    injectedErrors: 0,
    droppedConnections: 0,
    rejected: 0,
    refusedConnections: 0,
    handedOverConnections: 0,
  };
}

export class StatsRecorder {
  /** The counters, changed in place by the server. */
  counters: Counters = zero();
  /** The ring: `recorded` calls so far, the most recent `capacity` of them at `recorded % capacity` and before. */
  private readonly ring: CallRecord[] = [];
  private recorded = 0;
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Counts an API call's outcome, and keeps its record among the most recent. */
  countCall(operation: string, status: number, error?: string, resource?: string): void {
    const s = (this.counters.byOperation[operation] ??= { count: 0, ok: 0, errors: {} });
    s.count++;
    if (status === 200) s.ok++;
    else {
      const key = error ?? "dropped";
      s.errors[key] = (s.errors[key] ?? 0) + 1;
    }
    if (this.capacity > 0) {
      const record: CallRecord = { operation, status };
      if (error) record.error = error;
      if (resource) record.resource = resource;
      this.ring[this.recorded % this.capacity] = record;
    }
    this.recorded++;
  }

  /** A copy of everything, the kept calls oldest first. */
  snapshot(peakDeletionsInProgress: number): LocalIoTStats {
    const kept = Math.min(this.recorded, this.capacity);
    const start = this.recorded - kept;
    const calls: CallRecord[] = [];
    for (let i = start; i < this.recorded; i++) calls.push({ ...this.ring[i % this.capacity] });
    return { ...structuredClone(this.counters), peakDeletionsInProgress, calls, callsOmitted: start };
  }

  reset(): void {
    this.counters = zero();
    this.ring.length = 0;
    this.recorded = 0;
  }
}
