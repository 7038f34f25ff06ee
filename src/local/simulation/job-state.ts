/**
 * A job's own transitions that executions drive: completion, cancellation
 * and abort criteria (developer guide: iot-jobs-lifecycle and
 * jobs-configurations-details, "Job abort configuration").
 */
import { TERMINAL_EXECUTION_STATUSES, type JobExecutionStatus } from "../../api/constraints.ts";
import type { JobRecord, JsonObject } from "../store.ts";
import type { World } from "../world.ts";

/**
 * A snapshot job completes once its rollout has notified every target and
 * every thing's latest execution is terminal (a retry due is a QUEUED
 * execution, so it keeps the job going). So does a job whose endTime stopped
 * its rollout (STOP_ROLLOUT).
 */
export function settle(world: World, job: JobRecord): void {
  if (job.status !== "IN_PROGRESS") return;
  if (job.targetSelection !== "SNAPSHOT" && !job.rollout?.stopped) return;
  if (!world.simulation.rolloutDone(job)) return;
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
export function cancel(world: World, job: JobRecord, options: { force: boolean; reasonCode?: string; comment?: string }): void {
  const now = world.now();
  job.status = "CANCELED";
  job.lastUpdatedAt = now;
  job.completedAt ??= now;
  if (options.force) job.forceCanceled = true;
  if (options.reasonCode !== undefined) job.reasonCode = options.reasonCode;
  if (options.comment !== undefined) job.comment = options.comment;
  world.simulation.jobStopped(job);
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
export function applyAbortCriteria(world: World, job: JobRecord): void {
  const criteria = (job.abortConfig?.criteriaList ?? []) as JsonObject[];
  if (job.status !== "IN_PROGRESS" || criteria.length === 0) return;
  const c = world.statusCounts(job);
  const executed = TERMINAL_EXECUTION_STATUSES.reduce((n, s) => n + c[s], 0);
  for (const criterion of criteria) {
    if (executed < Number(criterion.minNumberOfExecutedThings)) continue;
    const failed =
      criterion.failureType === "ALL"
        ? c.FAILED + c.REJECTED + c.TIMED_OUT
        : (c[criterion.failureType as JobExecutionStatus] ?? 0);
    if ((failed / executed) * 100 >= Number(criterion.thresholdPercentage)) {
      cancel(world, job, {
        force: false,
        reasonCode: `${criterion.failureType}_THRESHOLD_EXCEEDED`.replace("ALL_", "FAILURE_"),
        comment: `Job aborted: ${failed} of ${executed} executed things ended ${criterion.failureType}.`,
      });
      return;
    }
  }
}
