/**
 * How many things of a job have their latest execution in each status: what
 * DescribeJob's jobProcessDetails reports, what abort criteria compare and
 * what tells a snapshot job it is done. Kept up to date as executions change,
 * so that none of this scans the executions table (a simulated fleet changes
 * thousands of executions a minute).
 *
 * The figures are a cache keyed by the job record object: when the tables are
 * put back from a copy (a CloudFormation transaction that failed), the new
 * records have no entry and their figures are counted again on first use.
 */
import { ENUMS, type JobExecutionStatus } from "../../api/constraints.ts";
import type { ExecutionRecord, JobRecord, Tables } from "../state/store.ts";

export type StatusCounts = Record<JobExecutionStatus, number>;

function zero(): StatusCounts {
  return Object.fromEntries(ENUMS.jobExecutionStatus.map((s) => [s, 0])) as StatusCounts;
}

export class ExecutionCounts {
  private readonly cache = new WeakMap<JobRecord, StatusCounts>();
  private readonly tables: Tables;

  constructor(tables: Tables) {
    this.tables = tables;
  }

  /** The figures of a job (counted now if they are not cached). */
  of(job: JobRecord): StatusCounts {
    let counts = this.cache.get(job);
    if (!counts) {
      counts = zero();
      for (const list of this.tables.executions.get(job.jobId)?.values() ?? []) {
        if (list.length > 0) counts[list[list.length - 1].status] += 1;
      }
      this.cache.set(job, counts);
    }
    return counts;
  }

  /** An execution moved from `from` to its current status (counted if it is its thing's latest). */
  changed(execution: ExecutionRecord, from: JobExecutionStatus): void {
    const job = this.tables.jobs.get(execution.jobId);
    const counts = job && this.cache.get(job);
    if (!counts) return;
    const list = this.tables.executions.get(execution.jobId)?.get(execution.thingName);
    if (!list || list[list.length - 1] !== execution) return;
    counts[from] -= 1;
    counts[execution.status] += 1;
  }

  /** A new execution (QUEUED) became its thing's latest, replacing one in status `replaced` if there was one. */
  added(job: JobRecord, replaced: JobExecutionStatus | undefined): void {
    const counts = this.cache.get(job);
    if (!counts) return;
    if (replaced !== undefined) counts[replaced] -= 1;
    counts.QUEUED += 1;
  }

  /** Counts the job again on next use (after an execution was deleted). */
  forget(job: JobRecord): void {
    this.cache.delete(job);
  }
}
