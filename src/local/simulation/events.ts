/** What the endpoint reports to `onExecution` listeners. */
import type { JobExecutionStatus } from "../../api/constraints.ts";
import type { ExecutionRecord } from "../state/store.ts";

/**
 * One execution status change, creation included (status "QUEUED": the thing
 * was notified), stamped with the endpoint's clock.
 */
export interface ExecutionEvent {
  jobId: string;
  thingName: string;
  executionNumber: number;
  retryAttempt: number;
  status: JobExecutionStatus;
  /** Epoch ms on the endpoint's clock (virtual or wall) at which the change happened. */
  atMs: number;
}

/**
 * Calls a listener with an execution's current status. A listener that throws
 * must not leave the tables half-updated: its error is rethrown on its own,
 * outside the simulation step.
 */
export function emitExecution(listener: (event: ExecutionEvent) => void, execution: ExecutionRecord, atMs: number): void {
  try {
    listener({
      jobId: execution.jobId,
      thingName: execution.thingName,
      executionNumber: execution.executionNumber,
      retryAttempt: execution.retryAttempt,
      status: execution.status,
      atMs,
    });
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
