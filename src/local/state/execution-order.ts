/**
 * The order ListJobExecutionsForJob lists a job's executions in: the latest
 * execution on each thing, oldest queued first, thing names breaking ties.
 * Sorting a million executions for every page of a listing is what made
 * reading a large fleet's results quadratic, so the order is kept between
 * requests: a job's list is sorted again only after one of its things got a
 * new execution or lost one, and a list filtered by status only after one of
 * its executions changed status.
 *
 * The cache is keyed by the job's own map of executions (Tables.executions),
 * so tables put back from a copy (a CloudFormation transaction that failed)
 * or a job deleted and made again start afresh.
 */
import type { JobExecutionStatus } from "../../api/constraints.ts";
import type { ExecutionRecord, Tables } from "./records.ts";

interface Sorted {
  all?: ExecutionRecord[];
  byStatus: Map<JobExecutionStatus, ExecutionRecord[]>;
}

/** String.prototype.localeCompare's order (the default locale), without building a collator per comparison. */
const collator = new Intl.Collator();

const byQueuedThenName = (a: ExecutionRecord, b: ExecutionRecord) => a.queuedAt - b.queuedAt || collator.compare(a.thingName, b.thingName);

export class ExecutionOrder {
  private readonly cache = new WeakMap<Map<string, ExecutionRecord[]>, Sorted>();
  private readonly tables: Tables;

  constructor(tables: Tables) {
    this.tables = tables;
  }

  /** The job's latest execution per thing in list order, only those in `status` if given. Do not modify the array. */
  list(jobId: string, status?: JobExecutionStatus): readonly ExecutionRecord[] {
    const byThing = this.tables.executions.get(jobId);
    if (!byThing) return [];
    let sorted = this.cache.get(byThing);
    if (!sorted) this.cache.set(byThing, (sorted = { byStatus: new Map() }));
    if (!sorted.all) {
      const all: ExecutionRecord[] = [];
      for (const list of byThing.values()) if (list.length > 0) all.push(list[list.length - 1]);
      sorted.all = all.sort(byQueuedThenName);
    }
    if (status === undefined) return sorted.all;
    let filtered = sorted.byStatus.get(status);
    if (!filtered) sorted.byStatus.set(status, (filtered = sorted.all.filter((e) => e.status === status)));
    return filtered;
  }

  /** A thing of the job got a new execution, or lost one: the job's lists are sorted again when next read. */
  reordered(jobId: string): void {
    const byThing = this.tables.executions.get(jobId);
    if (byThing) this.cache.delete(byThing);
  }

  /** An execution of the job changed status: its lists by status are made again when next read. */
  statusChanged(jobId: string): void {
    const byThing = this.tables.executions.get(jobId);
    const sorted = byThing && this.cache.get(byThing);
    if (sorted && sorted.byStatus.size > 0) sorted.byStatus.clear();
  }
}
