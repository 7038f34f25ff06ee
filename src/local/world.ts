/**
 * The emulated account: its tables and the lifecycle rules that several
 * operations share (ARNs, the clock, pagination tokens, asynchronous job
 * deletion, executions, job completion and abort criteria).
 *
 * Time-driven transitions (a deletion finishing, a scheduled job starting) are
 * evaluated lazily whenever the tables are read, from timestamps stored in the
 * records, so they survive restarts and need no timers.
 */
import { randomUUID } from "node:crypto";
import {
  TERMINAL_EXECUTION_STATUSES,
  type JobExecutionStatus,
} from "../iot/constraints.ts";
import { IoTError, invalid } from "./errors.ts";
import {
  emptyTables,
  type ExecutionRecord,
  type JobRecord,
  type JsonObject,
  type Tables,
} from "./store.ts";

export interface WorldOptions {
  accountId: string;
  region: string;
  /** How long a deleted job stays DELETION_IN_PROGRESS. */
  deletionDelayMs: number;
  /** Jobs that may be DELETION_IN_PROGRESS at once (AWS: 10). */
  maxConcurrentDeletions: number;
  tables?: Tables;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export const DEFAULT_PAGE_SIZE = 50;

export class World {
  readonly accountId: string;
  readonly region: string;
  readonly tables: Tables;
  deletionDelayMs: number;
  readonly maxConcurrentDeletions: number;
  /** Added to the wall clock; advanced by tests to reach scheduled times. */
  clockOffsetMs = 0;
  /** Highest number of jobs seen DELETION_IN_PROGRESS at once. */
  peakDeletionsInProgress = 0;
  /** S3 objects the endpoint can "fetch" for documentSource (url -> body). */
  readonly s3Objects = new Map<string, string>();
  private seq = 0;

  constructor(options: WorldOptions) {
    this.accountId = options.accountId;
    this.region = options.region;
    this.deletionDelayMs = options.deletionDelayMs;
    this.maxConcurrentDeletions = options.maxConcurrentDeletions;
    this.tables = options.tables ?? emptyTables();
    for (const r of [
      ...this.tables.templates.values(),
      ...this.tables.jobs.values(),
      ...this.tables.things.values(),
      ...this.tables.thingGroups.values(),
    ]) {
      this.seq = Math.max(this.seq, (r as { seq?: number }).seq ?? 0);
    }
  }

  nowMs(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Epoch seconds with millisecond precision, the control plane's timestamp format. */
  now(): number {
    return Math.round(this.nowMs()) / 1000;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  newId(): string {
    return randomUUID();
  }

  arn(resource: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:${resource}`;
  }

  /** Parses an IoT ARN of this partition; undefined when it is not one. */
  parseArn(arn: string): { region: string; account: string; type: string; name: string } | undefined {
    const m = /^arn:aws:iot:([^:]*):([^:]*):([a-z]+)\/(.+)$/.exec(arn);
    if (!m) return undefined;
    return { region: m[1], account: m[2], type: m[3], name: m[4] };
  }

  // ---------------------------------------------------------------- pagination

  /**
   * Pages through items already in their list order. The token is opaque to
   * clients: the sequence number of the last item returned plus a digest of
   * the request's filters, so a token cannot be replayed against another list.
   */
  paginate<T extends { seq: number }>(
    operation: string,
    items: T[],
    options: { nextToken?: string; maxResults?: number; filter?: string; descending?: boolean },
  ): Page<T> {
    const size = options.maxResults ?? DEFAULT_PAGE_SIZE;
    let start = 0;
    if (options.nextToken !== undefined) {
      const after = decodeToken(options.nextToken, operation, options.filter ?? "");
      const index = items.findIndex((item) =>
        options.descending ? item.seq < after : item.seq > after,
      );
      start = index === -1 ? items.length : index;
    }
    const page = items.slice(start, start + size);
    const more = start + size < items.length;
    return {
      items: page,
      nextToken: more
        ? encodeToken(operation, page[page.length - 1].seq, options.filter ?? "")
        : undefined,
    };
  }

  // ---------------------------------------------------------------- jobs

  /** Applies time-driven transitions: finished deletions, scheduled starts. */
  tick(): void {
    const now = this.nowMs();
    for (const job of this.tables.jobs.values()) {
      if (job.status === "DELETION_IN_PROGRESS" && job.deleteAt !== undefined && job.deleteAt <= now) {
        this.removeJob(job.jobId);
      } else if (job.status === "SCHEDULED") {
        const start = scheduleStart(job);
        if (start !== undefined && start <= now) {
          job.status = "IN_PROGRESS";
          job.lastUpdatedAt = this.now();
          this.rollOut(job);
        }
      }
    }
  }

  deletionsInProgress(): number {
    let n = 0;
    for (const job of this.tables.jobs.values()) if (job.status === "DELETION_IN_PROGRESS") n++;
    return n;
  }

  removeJob(jobId: string): void {
    const job = this.tables.jobs.get(jobId);
    if (!job) return;
    this.tables.jobs.delete(jobId);
    this.tables.tags.delete(job.jobArn);
    for (const key of [...this.tables.executions.keys()]) {
      if (key.startsWith(`${jobId}/`)) this.tables.executions.delete(key);
    }
  }

  /** Starts asynchronous deletion of a job (the caller checked the rules). */
  startDeletion(job: JobRecord): void {
    job.statusBeforeDeletion = job.status;
    job.status = "DELETION_IN_PROGRESS";
    job.lastUpdatedAt = this.now();
    job.deleteAt = this.nowMs() + this.deletionDelayMs;
    this.peakDeletionsInProgress = Math.max(this.peakDeletionsInProgress, this.deletionsInProgress());
    if (this.deletionDelayMs <= 0) this.removeJob(job.jobId);
  }

  /** Things a job's targets resolve to now: thing targets plus current members of group targets. */
  resolveTargets(job: JobRecord): string[] {
    const names = new Set<string>();
    for (const target of job.targets) {
      const parsed = this.parseArn(target);
      if (!parsed) continue;
      if (parsed.type === "thing" && this.tables.things.has(parsed.name)) names.add(parsed.name);
      if (parsed.type === "thinggroup") {
        for (const member of this.tables.thingGroups.get(parsed.name)?.members ?? []) names.add(member);
      }
    }
    return [...names];
  }

  /** Creates QUEUED executions for every resolved target that has none pending. */
  rollOut(job: JobRecord): void {
    for (const thingName of this.resolveTargets(job)) this.queueExecution(job, thingName);
    this.settle(job);
  }

  executionsOf(jobId: string, thingName: string): ExecutionRecord[] {
    return this.tables.executions.get(`${jobId}/${thingName}`) ?? [];
  }

  latestExecution(jobId: string, thingName: string): ExecutionRecord | undefined {
    const list = this.executionsOf(jobId, thingName);
    return list[list.length - 1];
  }

  /** All executions of a job, latest per thing. */
  jobExecutions(jobId: string): ExecutionRecord[] {
    const out: ExecutionRecord[] = [];
    for (const [key, list] of this.tables.executions) {
      if (key.startsWith(`${jobId}/`) && list.length > 0) out.push(list[list.length - 1]);
    }
    return out;
  }

  /**
   * Queues an execution for a thing unless one is still pending. A thing whose
   * latest execution is terminal gets a new one with the next number (how a
   * continuous job treats a thing that re-joins a target group).
   */
  queueExecution(job: JobRecord, thingName: string): void {
    const thing = this.tables.things.get(thingName);
    if (!thing) return;
    const key = `${job.jobId}/${thingName}`;
    const list = this.tables.executions.get(key) ?? [];
    const latest = list[list.length - 1];
    if (latest && !isTerminal(latest.status)) return;
    if (latest && job.targetSelection === "SNAPSHOT") return;
    const now = this.now();
    list.push({
      jobId: job.jobId,
      thingName,
      thingArn: thing.thingArn,
      executionNumber: (latest?.executionNumber ?? 0) + 1,
      status: "QUEUED",
      queuedAt: now,
      lastUpdatedAt: now,
      versionNumber: 1,
      retryAttempt: 0,
    });
    this.tables.executions.set(key, list);
  }

  /** Moves an execution to a new status, then re-evaluates its job. */
  setExecutionStatus(
    execution: ExecutionRecord,
    status: JobExecutionStatus,
    options: { forceCanceled?: boolean; statusDetails?: Record<string, string> } = {},
  ): void {
    const now = this.now();
    if (status === "IN_PROGRESS" && execution.startedAt === undefined) execution.startedAt = now;
    execution.status = status;
    execution.lastUpdatedAt = now;
    execution.versionNumber += 1;
    if (options.forceCanceled) execution.forceCanceled = true;
    if (options.statusDetails) execution.statusDetails = options.statusDetails;
    const job = this.tables.jobs.get(execution.jobId);
    if (job) {
      this.applyAbortCriteria(job);
      this.settle(job);
    }
  }

  /** A snapshot job completes once every execution is terminal. */
  settle(job: JobRecord): void {
    if (job.status !== "IN_PROGRESS" || job.targetSelection !== "SNAPSHOT") return;
    const executions = this.jobExecutions(job.jobId);
    if (executions.every((e) => isTerminal(e.status))) {
      job.status = "COMPLETED";
      job.completedAt = this.now();
      job.lastUpdatedAt = job.completedAt;
    }
  }

  /** Cancels a job (CancelJob, or an abort); force also cancels IN_PROGRESS executions. */
  cancel(job: JobRecord, options: { force: boolean; reasonCode?: string; comment?: string }): void {
    const now = this.now();
    job.status = "CANCELED";
    job.lastUpdatedAt = now;
    job.completedAt ??= now;
    if (options.force) job.forceCanceled = true;
    if (options.reasonCode !== undefined) job.reasonCode = options.reasonCode;
    if (options.comment !== undefined) job.comment = options.comment;
    for (const execution of this.jobExecutions(job.jobId)) {
      if (execution.status === "QUEUED") {
        execution.status = "CANCELED";
        execution.lastUpdatedAt = now;
        execution.versionNumber += 1;
      } else if (execution.status === "IN_PROGRESS" && options.force) {
        execution.status = "CANCELED";
        execution.forceCanceled = true;
        execution.lastUpdatedAt = now;
        execution.versionNumber += 1;
      }
    }
  }

  /** Abort criteria: cancel the job once a failure type's share of executed things crosses its threshold. */
  applyAbortCriteria(job: JobRecord): void {
    const criteria = (job.abortConfig?.criteriaList ?? []) as JsonObject[];
    if (job.status !== "IN_PROGRESS" || criteria.length === 0) return;
    const executed = this.jobExecutions(job.jobId).filter((e) => isTerminal(e.status));
    for (const c of criteria) {
      if (executed.length < Number(c.minNumberOfExecutedThings)) continue;
      const failed = executed.filter((e) =>
        c.failureType === "ALL"
          ? e.status === "FAILED" || e.status === "REJECTED" || e.status === "TIMED_OUT"
          : e.status === c.failureType,
      ).length;
      if ((failed / executed.length) * 100 >= Number(c.thresholdPercentage)) {
        this.cancel(job, {
          force: false,
          reasonCode: `${c.failureType}_THRESHOLD_EXCEEDED`.replace("ALL_", "FAILURE_"),
          comment: `Job aborted: ${failed} of ${executed.length} executed things ended ${c.failureType}.`,
        });
        return;
      }
    }
  }

  /** Tags of a resource, or a 404 when no such resource exists here. */
  requireTaggable(resourceArn: string): void {
    const parsed = this.parseArn(resourceArn);
    if (parsed && parsed.account === "" && parsed.type === "jobtemplate") {
      throw invalid(`Managed job templates cannot be tagged: ${resourceArn}`);
    }
    const exists =
      parsed !== undefined &&
      parsed.region === this.region &&
      parsed.account === this.accountId &&
      ((parsed.type === "job" &&
        this.tables.jobs.has(parsed.name) &&
        this.tables.jobs.get(parsed.name)!.status !== "DELETION_IN_PROGRESS") ||
        (parsed.type === "jobtemplate" && this.tables.templates.has(parsed.name)) ||
        (parsed.type === "thing" && this.tables.things.has(parsed.name)) ||
        (parsed.type === "thinggroup" && this.tables.thingGroups.has(parsed.name)));
    if (!exists) {
      throw new IoTError("ResourceNotFoundException", `Resource ${resourceArn} cannot be found.`);
    }
  }
}

export function isTerminal(status: JobExecutionStatus): boolean {
  return TERMINAL_EXECUTION_STATUSES.includes(status);
}

/** The scheduled start of a job in epoch ms, if it has one. */
export function scheduleStart(job: JobRecord): number | undefined {
  const start = job.schedulingConfig?.startTime;
  return typeof start === "string" ? parseScheduleTime(start) : undefined;
}

/**
 * Parses a schedulingConfig time. The documented format is a date and a time
 * ("YYYY-MM-DDTHH:MM"); a value without a zone is taken as UTC.
 */
export function parseScheduleTime(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(value)) return undefined;
  const withZone = /(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : ms;
}

function encodeToken(operation: string, seq: number, filter: string): string {
  return Buffer.from(JSON.stringify({ o: operation, s: seq, f: filter })).toString("base64url");
}

function decodeToken(token: string, operation: string, filter: string): number {
  try {
    const data = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (data?.o === operation && data?.f === filter && Number.isInteger(data?.s)) return data.s;
  } catch {
    // fall through
  }
  throw invalid("Next token is invalid.");
}

/** What an operation handler receives: decoded path labels, query and JSON body. */
export interface OperationRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  body: JsonObject;
}

/** An operation handler: synchronous over the in-memory tables; throws IoTError. */
export type Operation = (world: World, request: OperationRequest) => JsonObject | undefined;

/** Drops undefined members (the service omits unset members). */
export function compact<T extends Record<string, unknown>>(value: T): JsonObject {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as JsonObject;
}
