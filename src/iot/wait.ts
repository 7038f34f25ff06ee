/**
 * Waiting, bounded: job deletion completes asynchronously (the job stays
 * DELETION_IN_PROGRESS until IoT has removed its executions), and an account
 * may have at most 10 jobs deleting at once.
 */
import {
  DescribeJobCommand,
  ResourceNotFoundException,
  type DescribeJobCommandOutput,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { createWaiter, WaiterState } from "@smithy/util-waiter";
import type { Location } from "./location.ts";

/** A counting semaphore: callers queue for one of `size` slots. */
export class Semaphore {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  readonly size: number;
  constructor(size: number) {
    this.size = size;
  }

  async acquire(): Promise<() => void> {
    if (this.active < this.size) this.active++;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    };
  }

  get inUse(): number {
    return this.active;
  }
}

/** IoT's limit on jobs in DELETION_IN_PROGRESS per account. */
export const MAX_CONCURRENT_DELETIONS = 10;
const deletionSlots = new Map<string, Semaphore>();

/**
 * The deletion slots of a target (an account and region): a process never has
 * more than 10 of its own job deletions in progress there, so destroying many
 * jobs at once queues instead of failing. Deletions by other processes are
 * absorbed by the SDK retrying LimitExceededException, and by retrying
 * DeleteJob while the deletion timeout allows.
 */
export function deletionSlotsFor(target: string): Semaphore {
  let s = deletionSlots.get(target);
  if (!s) {
    s = new Semaphore(MAX_CONCURRENT_DELETIONS);
    deletionSlots.set(target, s);
  }
  return s;
}

export interface WaitOptions {
  /** Give up after this long. */
  timeoutSeconds: number;
  /** Called at most every `progressEverySeconds` while waiting. */
  onProgress?: (elapsedSeconds: number, status: string | undefined) => void;
  progressEverySeconds?: number;
}

const isLoopback = (endpoint: string | undefined) => !!endpoint && /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(endpoint);

/** Poll fast against a local endpoint, patiently against AWS. */
function pollDelays(location: Location): { minDelaySeconds: number; maxDelaySeconds: number } {
  return location.kind === "local" || isLoopback(location.endpoint)
    ? { minDelaySeconds: 0.05, maxDelaySeconds: 1 }
    : { minDelaySeconds: 2, maxDelaySeconds: 20 };
}

/** Polls DescribeJob (with the SDK's waiter: exponential backoff, jitter) until IoT no longer knows the job. */
export async function waitUntilJobGone(client: IoTClient, jobId: string, location: Location, options: WaitOptions): Promise<boolean> {
  const started = Date.now();
  let lastProgress = started;
  const every = (options.progressEverySeconds ?? 10) * 1000;
  const delays = pollDelays(location);
  const result = await createWaiter(
    {
      client,
      maxWaitTime: Math.max(options.timeoutSeconds, delays.minDelaySeconds + 0.5),
      minDelay: delays.minDelaySeconds,
      maxDelay: delays.maxDelaySeconds,
    },
    { jobId },
    async (c: IoTClient, input): Promise<{ state: WaiterState; reason?: unknown }> => {
      let out: DescribeJobCommandOutput;
      try {
        out = await c.send(new DescribeJobCommand(input));
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return { state: WaiterState.SUCCESS };
        throw error;
      }
      const now = Date.now();
      if (options.onProgress && now - lastProgress >= every) {
        lastProgress = now;
        options.onProgress(Math.round((now - started) / 1000), out.job?.status);
      }
      return { state: WaiterState.RETRY, reason: out.job?.status };
    },
  );
  return result.state === WaiterState.SUCCESS;
}
