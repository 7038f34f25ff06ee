/**
 * Waiting, bounded: job deletion completes asynchronously (the job stays
 * DELETION_IN_PROGRESS until IoT has removed its executions), and an account
 * may have at most 10 jobs deleting at once.
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import { DescribeJobCommand, paginateListJobs, ResourceNotFoundException } from "../../iot-sdk.ts";
import type { Location } from "../../location.ts";
import { Semaphore } from "../../semaphore.ts";

/** IoT's limit on jobs in DELETION_IN_PROGRESS per account. */
export const MAX_CONCURRENT_DELETIONS = 10;
const deletionSlots = new Map<string, Semaphore>();

/**
 * The deletion slots of a location (an account and region): a process never has
 * more than 10 of its own job deletions in progress there, so destroying many
 * jobs at once queues instead of failing. Deletions by other processes are
 * absorbed by the SDK retrying LimitExceededException, and by retrying
 * DeleteJob while the deletion timeout allows.
 */
export function deletionSlotsFor(location: string): Semaphore {
  let s = deletionSlots.get(location);
  if (!s) {
    s = new Semaphore(MAX_CONCURRENT_DELETIONS);
    deletionSlots.set(location, s);
  }
  return s;
}

export interface WaitOptions {
  /** Give up after this long. */
  timeoutSeconds: number;
  /** Called at most every `progressEverySeconds` while waiting. */
  onProgress?: (elapsedSeconds: number) => void;
  progressEverySeconds?: number;
}

const isLoopback = (endpoint: string | undefined) => !!endpoint && /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(endpoint);

/**
 * How often to look: against a local endpoint, deletions take milliseconds to
 * seconds; against AWS, seconds to minutes. A quarter of the oldest waiting
 * deletion's age, within these bounds, so a short deletion is noticed at once
 * and a long one does not cost a call per job every few milliseconds.
 */
function pollBounds(location: Location): [number, number] {
  return location.kind === "local" || isLoopback(location.endpoint) ? [50, 250] : [1000, 10_000];
}

interface Waiting {
  started: number;
  deadline: number;
  /** Seen in the list of jobs being deleted (so its leaving the list means it is gone). */
  seen: boolean;
  /** When the last look that listed it started. */
  lastSeenAt?: number;
  lastProgress: number;
  options: WaitOptions;
  done(gone: boolean): void;
}

/**
 * Waits for the job deletions of one client and location together: one
 * ListJobs(status: DELETION_IN_PROGRESS) call per look answers for every job
 * being deleted (an account has at most 10), instead of one DescribeJob per
 * job per look, which would spend the DescribeJob rate limit that the
 * deploy's other reads need. A job that leaves the list is gone; one that was
 * never seen in it (deleted before the first look, or a list that lags) is
 * confirmed with DescribeJob.
 */
class DeletionWatcher {
  private readonly waiting = new Map<string, Waiting>();
  private running = false;
  /** The shortest deletion seen so far (ms from DeleteJob to the last look that still listed it): when the next look is due. */
  private shortestMs: number | undefined;
  private readonly client: IoTClient;
  private readonly bounds: [number, number];

  constructor(client: IoTClient, location: Location) {
    this.client = client;
    this.bounds = pollBounds(location);
  }

  wait(jobId: string, options: WaitOptions): Promise<boolean> {
    return new Promise((resolve) => {
      const now = Date.now();
      this.waiting.set(jobId, {
        started: now,
        deadline: now + options.timeoutSeconds * 1000,
        seen: false,
        lastProgress: now,
        options,
        done: resolve,
      });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.size > 0) {
        await new Promise((r) => setTimeout(r, this.delay()));
        await this.look();
      }
    } catch (error) {
      // A look that failed (after the SDK's retries): every waiter learns it by timing out with the reason logged.
      for (const [id, w] of this.waiting) {
        this.waiting.delete(id);
        w.done(false);
      }
      throw error;
    } finally {
      this.running = false;
    }
  }

  /**
   * How long until the next look. Until a deletion has finished: a quarter
   * of the oldest waiting deletion's age, within the bounds. Then deletions
   * of the account are expected to take about as long as the shortest seen
   * (at least): the look comes when the next one should end, then at the
   * lower bound while one is ending any moment, so the next DeleteJob follows
   * a freed slot closely; one much later than expected is looked for as
   * before.
   */
  private delay(): number {
    const now = Date.now();
    const [min, max] = this.bounds;
    let next = Infinity;
    for (const w of this.waiting.values()) {
      const regular = Math.min(max, Math.max(min, (now - w.started) / 4));
      if (this.shortestMs === undefined) {
        next = Math.min(next, regular);
        continue;
      }
      const end = w.started + this.shortestMs;
      if (end > now) next = Math.min(next, end - now);
      else next = Math.min(next, now - end < Math.max(this.shortestMs / 4, 4 * min) ? min : regular);
    }
    return Math.max(min, next);
  }

  private async look(): Promise<void> {
    const lookedAt = Date.now();
    const deleting = new Set<string>();
    for await (const page of paginateListJobs({ client: this.client, pageSize: 250 }, { status: "DELETION_IN_PROGRESS" })) {
      for (const j of page.jobs ?? []) deleting.add(j.jobId!);
    }
    const now = Date.now();
    for (const [jobId, w] of this.waiting) {
      if (deleting.has(jobId)) {
        w.seen = true;
        w.lastSeenAt = lookedAt;
      } else if (w.seen || (await this.gone(jobId))) {
        this.waiting.delete(jobId);
        // It ended after the last look that listed it: at least that long (a lower bound, so looks are never late).
        this.shortestMs = Math.min(this.shortestMs ?? Infinity, (w.lastSeenAt ?? lookedAt) - w.started);
        w.done(true);
        continue;
      }
      if (now >= w.deadline) {
        this.waiting.delete(jobId);
        w.done(false);
      } else if (w.options.onProgress && now - w.lastProgress >= (w.options.progressEverySeconds ?? 10) * 1000) {
        w.lastProgress = now;
        w.options.onProgress(Math.round((now - w.started) / 1000));
      }
    }
  }

  private async gone(jobId: string): Promise<boolean> {
    try {
      const live = await this.client.send(new DescribeJobCommand({ jobId }));
      if (live.job?.status === "DELETION_IN_PROGRESS") this.waiting.get(jobId)!.seen = true;
      return false;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return true;
      throw error;
    }
  }
}

const watchers = new WeakMap<IoTClient, Map<string, DeletionWatcher>>();

/** Waits (bounded) until IoT no longer knows a job it is deleting; false on timeout. */
export function waitUntilJobGone(client: IoTClient, jobId: string, location: Location, options: WaitOptions): Promise<boolean> {
  let byLocation = watchers.get(client);
  if (!byLocation) watchers.set(client, (byLocation = new Map()));
  const key = `${location.key}|${location.region}`;
  let watcher = byLocation.get(key);
  if (!watcher) byLocation.set(key, (watcher = new DeletionWatcher(client, location)));
  return watcher.wait(jobId, options);
}
