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
  /** First and longest pause between polls. */
  minDelaySeconds: number;
  maxDelaySeconds: number;
  /** Called at most every `progressEverySeconds` while waiting. */
  onProgress?: (elapsedSeconds: number, status: string | undefined) => void;
  progressEverySeconds?: number;
}

/** Polls DescribeJob (with the SDK's waiter: exponential backoff, jitter) until IoT no longer knows the job. */
export async function waitUntilJobGone(client: IoTClient, jobId: string, options: WaitOptions): Promise<boolean> {
  const started = Date.now();
  let lastProgress = started;
  const every = (options.progressEverySeconds ?? 10) * 1000;
  const result = await createWaiter(
    {
      client,
      maxWaitTime: options.timeoutSeconds,
      minDelay: options.minDelaySeconds,
      maxDelay: options.maxDelaySeconds,
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
