/**
 * Fault injection for tests and benchmarks: per-operation token-bucket
 * throttling (answered with ThrottlingException), injected 5xx errors, added
 * latency and dropped connections. Off unless configured. Random choices use
 * a seeded generator (the fleet simulation's) so a failing run can be replayed.
 */
import { mulberry32 } from "../simulation/random.ts";

export interface FaultOptions {
  /**
   * Requests per second allowed per operation (each operation has its own
   * bucket, as AWS rate-limits each API). A number applies to every
   * operation; a record sets it per operation name ("*" for the rest).
   */
  throttle?: number | Record<string, number>;
  /** Bucket size (the burst a fresh bucket allows). @default one second of requests */
  burst?: number;
  /** Fraction (0-1) of requests answered with the operation's 5xx error (500 or 503). */
  errorRate?: number;
  /** Latency added to every request, in milliseconds: fixed, or [min, max]. */
  latencyMs?: number | [number, number];
  /**
   * Fraction (0-1) of requests whose connection is closed without a response:
   * half of them before the operation runs, half after it ran (the client
   * cannot tell whether it took effect).
   */
  dropRate?: number;
  /**
   * Drop the connection after serving these calls of an operation (1-based,
   * counted from when the faults were set): the operation takes effect, the
   * client never hears. Deterministic, unlike `dropRate`.
   * @example { CreateJobTemplate: [1, 3] }
   */
  dropAfterCalls?: Record<string, number[]>;
  /** Limit the error, latency and drop faults to these operations. @default all */
  operations?: string[];
  /** Seed of the random generator. @default 1 */
  seed?: number;
}

export type FaultOutcome = "ok" | "throttle" | "error" | "drop-before" | "drop-after";

class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly rate: number;
  private readonly capacity: number;
  constructor(rate: number, capacity: number, now: number) {
    this.rate = rate;
    this.capacity = capacity;
    this.tokens = capacity;
    this.last = now;
  }
  take(now: number): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

export class Faults {
  private options: FaultOptions = {};
  private random: () => number = mulberry32(1);
  private buckets = new Map<string, TokenBucket>();
  private calls = new Map<string, number>();

  constructor(options?: FaultOptions) {
    this.set(options ?? {});
  }

  /** Replaces the fault configuration (buckets start full). */
  set(options: FaultOptions): void {
    for (const [name, value] of Object.entries({
      errorRate: options.errorRate,
      dropRate: options.dropRate,
    })) {
      if (value !== undefined && !(value >= 0 && value <= 1)) {
        throw new Error(`faults.${name} must be between 0 and 1, got ${value}`);
      }
    }
    this.options = { ...options };
    this.random = mulberry32(options.seed ?? 1);
    this.buckets.clear();
    this.calls.clear();
  }

  get current(): FaultOptions {
    return { ...this.options };
  }

  private rateFor(operation: string): number | undefined {
    const t = this.options.throttle;
    if (t === undefined) return undefined;
    if (typeof t === "number") return t;
    return t[operation] ?? t["*"];
  }

  /** Latency to add before the request is served. */
  latencyFor(operation: string): number {
    const o = this.options;
    if (o.latencyMs === undefined || (o.operations && !o.operations.includes(operation))) return 0;
    return Array.isArray(o.latencyMs) ? o.latencyMs[0] + this.random() * (o.latencyMs[1] - o.latencyMs[0]) : o.latencyMs;
  }

  /** What happens to a request arriving now: throttled, failed, dropped, or served. */
  outcomeFor(operation: string, now: number = performance.now()): FaultOutcome {
    const o = this.options;
    const nth = (this.calls.get(operation) ?? 0) + 1;
    this.calls.set(operation, nth);
    if (o.dropAfterCalls?.[operation]?.includes(nth)) return "drop-after";
    const rate = this.rateFor(operation);
    if (rate !== undefined && rate > 0) {
      let bucket = this.buckets.get(operation);
      if (!bucket) {
        bucket = new TokenBucket(rate, o.burst ?? Math.max(1, rate), now);
        this.buckets.set(operation, bucket);
      }
      if (!bucket.take(now)) return "throttle";
    }
    if (o.operations && !o.operations.includes(operation)) return "ok";
    if (o.errorRate && this.random() < o.errorRate) return "error";
    if (o.dropRate && this.random() < o.dropRate) return this.random() < 0.5 ? "drop-before" : "drop-after";
    return "ok";
  }
}
