/**
 * A job's own transitions that executions drive: completion, cancellation
 * and abort criteria (developer guide: iot-jobs-lifecycle and
 * jobs-configurations-details, "Job abort configuration"), and the two facts
 * of its rollout record they need (done, stopped).
 *
 * These are the service's rules, below the fleet simulation: the world runs
 * them, the simulation only drives them by changing executions.
 */
import { TERMINAL_EXECUTION_STATUSES, type JobExecutionStatus } from "../../api/constraints.ts";
import type { StatusCounts } from "../simulation/counts.ts";
import type { ExecutionRecord, JobRecord, JsonObject } from "./store.ts";

/** What a job's transitions read and change in the account (the World). */
export interface JobTables {
  /** Epoch seconds, the control plane's timestamp format. */
  now(): number;
  statusCounts(job: JobRecord): StatusCounts;
  /** All executions of a job, latest per thing. */
  jobExecutions(jobId: string): ExecutionRecord[];
  /** Moves one execution without running what follows. */
  transition(execution: ExecutionRecord, status: JobExecutionStatus, options?: { forceCanceled?: boolean }): JobExecutionStatus;
}

/** Has the rollout notified every target it will ever notify? (A job without a rollout record notified all at once.) */
export function rolloutDone(job: JobRecord): boolean {
  const rollout = job.rollout;
  if (!rollout || rollout.stopped) return true;
  if (rollout.held || rollout.pending === undefined) return false;
  return (rollout.next ?? 0) >= rollout.pending.length;
}

/** The job notifies nothing more (canceled, being deleted, or past its endTime). */
export function stopRollout(job: JobRecord): void {
  const rollout = job.rollout;
  if (!rollout) return;
  if (rollout.pending !== undefined) {
    rollout.pending = [];
    rollout.next = 0;
  }
  delete rollout.nextAtMs;
}

/**
 * A snapshot job completes once its rollout has notified every target and
 * every thing's latest execution is terminal (a retry due is a QUEUED
 * execution, so it keeps the job going). So does a job whose endTime stopped
 * its rollout (STOP_ROLLOUT).
 */
export function settle(world: JobTables, job: JobRecord): void {
  if (job.status !== "IN_PROGRESS") return;
  if (job.targetSelection !== "SNAPSHOT" && !job.rollout?.stopped) return;
  if (!rolloutDone(job)) return;
  const counts = world.statusCounts(job);
  if (counts.QUEUED + counts.IN_PROGRESS > 0) return;
  job.status = "COMPLETED";
  job.completedAt = world.now();
  job.lastUpdatedAt = job.completedAt;
}

/**
 * Cancels a job: nothing more is notified, QUEUED executions are canceled,
 * and with force IN_PROGRESS ones too (marked forceCanceled).
 */
export function cancel(world: JobTables, job: JobRecord, options: { force: boolean; reasonCode?: string; comment?: string }): void {
  const now = world.now();
  job.status = "CANCELED";
  job.lastUpdatedAt = now;
  job.completedAt ??= now;
  if (options.force) job.forceCanceled = true;
  if (options.reasonCode !== undefined) job.reasonCode = options.reasonCode;
  if (options.comment !== undefined) job.comment = options.comment;
  stopRollout(job);
  for (const execution of world.jobExecutions(job.jobId)) {
    if (execution.status === "QUEUED") {
      world.transition(execution, "CANCELED");
    } else if (execution.status === "IN_PROGRESS" && options.force) {
      world.transition(execution, "CANCELED", { forceCanceled: true });
    }
  }
}

/**
 * Abort criteria, evaluated at every execution change: once at least
 * minNumberOfExecutedThings things have a terminal latest execution and the
 * share that ended in the criterion's failure type (ALL: FAILED, REJECTED or
 * TIMED_OUT) reaches thresholdPercentage, the job is canceled with the
 * criterion's reason code.
 */
export function applyAbortCriteria(world: JobTables, job: JobRecord): void {
  const criteria = (job.abortConfig?.criteriaList ?? []) as JsonObject[];
  if (job.status !== "IN_PROGRESS" || criteria.length === 0) return;
  const c = world.statusCounts(job);
  const executed = TERMINAL_EXECUTION_STATUSES.reduce((n, s) => n + c[s], 0);
  for (const criterion of criteria) {
    if (executed < Number(criterion.minNumberOfExecutedThings)) continue;
    const failed =
      criterion.failureType === "ALL" ? c.FAILED + c.REJECTED + c.TIMED_OUT : (c[criterion.failureType as JobExecutionStatus] ?? 0);
    // "The minimum percentage of job execution failures that must occur to initiate the job abort" (the model):
    // an abort is initiated by failures, so a threshold of 0 means the first one, not an abort without any.
    if (failed > 0 && (failed / executed) * 100 >= Number(criterion.thresholdPercentage)) {
      cancel(world, job, {
        force: false,
        reasonCode: `${criterion.failureType}_THRESHOLD_EXCEEDED`.replace("ALL_", "FAILURE_"),
        comment: `Job aborted: ${failed} of ${executed} executed things ended ${criterion.failureType}.`,
      });
      return;
    }
  }
}
