/**
 * The emulated account: its tables and the lifecycle rules that several
 * operations share (ARNs, the clock, pagination tokens, asynchronous job
 * deletion, executions, job completion and abort criteria).
 *
 * Time-driven transitions (a deletion finishing, a scheduled job starting, a
 * rollout minute, a simulated device reporting, a timeout) are evaluated
 * lazily whenever the tables are read, or when the clock is advanced, from
 * times stored in the records, so they survive restarts and need no timers.
 * The world knows no simulation: it tells its listeners (WorldListener) what
 * happened, and the fleet simulation (src/local/simulation/engine.ts) subscribes.
 */
import { TERMINAL_EXECUTION_STATUSES, type JobExecutionStatus } from "../../api/constraints.ts";
import { ExecutionCounts, type StatusCounts } from "../simulation/counts.ts";
import { emitExecution, type ExecutionEvent } from "../simulation/events.ts";
import { applyAbortCriteria, cancel, settle, stopRollout, type JobTables } from "./job-state.ts";
import { emptyTables, type ExecutionRecord, type JobRecord, type Tables, type ThingRecord } from "./store.ts";
import { installedVersions, type PackageLimits } from "./catalog.ts";
import { paginate, type Page, type PageOptions } from "./pagination.ts";
import { ExecutionOrder } from "./execution-order.ts";
import { newUuid } from "./ids.ts";

/** What executionsOf returns for a pair without executions (frozen: nobody may add to it). */
const NO_EXECUTIONS = Object.freeze([]) as unknown as ExecutionRecord[];

export interface WorldOptions {
  accountId: string;
  region: string;
  /** How long a deleted job stays DELETION_IN_PROGRESS. */
  deletionDelayMs: number;
  /** Jobs that may be DELETION_IN_PROGRESS at once (AWS: 10). */
  maxConcurrentDeletions: number;
  tables?: Tables;
  /** Epoch ms: a virtual clock that stands still here and moves only by advanceTime. Default: the wall clock. */
  virtualClockMs?: number;
  /** Create jobs without notifying anything until releaseJob. */
  holdRollouts?: boolean;
  /** Quotas of the Software Package Catalog (account/packages.ts has the defaults). */
  packageLimits?: PackageLimits;
  /** Called for every execution status change, creation included. */
  onExecution?: (event: ExecutionEvent) => void;
}

/** What the world tells a subscriber (the fleet simulation), in the order it happens. */
export interface WorldListener {
  /** The clock was read before a request or advanced: run what fell due up to `untilMs`. */
  clockRead(untilMs: number): void;
  /** CreateJob made a job. */
  jobCreated(job: JobRecord): void;
  /**
   * AssociateTargetsWithJob added things to a continuous job's targets
   * (`thingNames`: those with no execution of the job yet): the rollout
   * notifies them at the job's rate.
   */
  targetsAdded(job: JobRecord, thingNames: string[]): void;
  /** A QUEUED execution was created (a thing was notified). */
  executionQueued(job: JobRecord, execution: ExecutionRecord, thing: ThingRecord): void;
  /** An execution changed status; the job's abort criteria and completion run after the listeners. */
  executionChanged(job: JobRecord, execution: ExecutionRecord, previous: JobExecutionStatus): void;
}

export { DEFAULT_PAGE_SIZE, type Page } from "./pagination.ts";

export class World implements JobTables {
  readonly accountId: string;
  readonly region: string;
  readonly tables: Tables;
  deletionDelayMs: number;
  readonly maxConcurrentDeletions: number;
  /** Added to the clock (wall or virtual); advanced by tests and by advanceTime. */
  clockOffsetMs = 0;
  /** The virtual clock's origin (epoch ms), or undefined for the wall clock. */
  readonly virtualClockMs: number | undefined;
  /** Jobs wait for releaseJob before notifying anything. */
  readonly holdRollouts: boolean;
  /** Quotas of the Software Package Catalog; undefined: the defaults. */
  readonly packageLimits: PackageLimits | undefined;
  onExecution: ((event: ExecutionEvent) => void) | undefined;
  /** The time of the event the simulation is processing (records are stamped with it). */
  simulatedNowMs: number | undefined;
  /** Highest number of jobs seen DELETION_IN_PROGRESS at once. */
  peakDeletionsInProgress = 0;
  /** S3 objects the endpoint can "fetch" for documentSource (url -> body). */
  readonly s3Objects = new Map<string, string>();
  private readonly listeners: WorldListener[] = [];
  private readonly counts: ExecutionCounts;
  /** ListJobExecutionsForJob's order of each job's executions, kept between requests. */
  readonly executionOrder: ExecutionOrder;
  private seq = 0;
  /** When the earliest deletion in progress ends (epoch ms): -Infinity until the jobs were first scanned (loaded tables may hold some). */
  private nextDeletionAt = -Infinity;

  constructor(options: WorldOptions) {
    this.accountId = options.accountId;
    this.region = options.region;
    this.deletionDelayMs = options.deletionDelayMs;
    this.maxConcurrentDeletions = options.maxConcurrentDeletions;
    this.tables = options.tables ?? emptyTables();
    this.virtualClockMs = options.virtualClockMs;
    this.holdRollouts = options.holdRollouts ?? false;
    this.packageLimits = options.packageLimits;
    this.onExecution = options.onExecution;
    this.counts = new ExecutionCounts(this.tables);
    this.executionOrder = new ExecutionOrder(this.tables);
    for (const r of [
      ...this.tables.templates.values(),
      ...this.tables.jobs.values(),
      ...this.tables.things.values(),
      ...this.tables.thingGroups.values(),
      ...this.tables.packages.values(),
      ...this.tables.packageVersions.values(),
    ]) {
      this.seq = Math.max(this.seq, (r as { seq?: number }).seq ?? 0);
    }
  }

  /** Tells `listener` of every event from now on. */
  subscribe(listener: WorldListener): void {
    this.listeners.push(listener);
  }

  /**
   * Maintenance windows gate rollouts only on the virtual clock: on the wall
   * clock (the endpoint a deploy embeds) a deploy's result must not depend on
   * the time of day it runs, so windows are stored but a job runs as if one
   * were always open.
   */
  get evaluatesMaintenanceWindows(): boolean {
    return this.virtualClockMs !== undefined;
  }

  /** The clock's time: the virtual clock or the wall clock, plus the offset advanceTime added. */
  clockMs(): number {
    return (this.virtualClockMs ?? Date.now()) + this.clockOffsetMs;
  }

  /** "Now" for records: the time of the simulated event being processed, else the clock's. */
  nowMs(): number {
    return this.simulatedNowMs ?? this.clockMs();
  }

  /** Epoch seconds with millisecond precision, the control plane's timestamp format. */
  now(): number {
    return Math.round(this.nowMs()) / 1000;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  newId(): string {
    return newUuid();
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

  /** Pages through items already in their list order (pagination.ts). */
  paginate<T extends { seq: number }>(operation: string, items: T[], options: PageOptions): Page<T> {
    return paginate(operation, items, options);
  }

  // ---------------------------------------------------------------- jobs

  /**
   * Applies time-driven transitions up to the clock's time: what the
   * listeners have due (the simulation's scheduled starts and ends, rollout
   * minutes, simulated devices, timeouts), then finished deletions.
   */
  tick(): void {
    const until = this.clockMs();
    for (const l of this.listeners) l.clockRead(until);
    const now = this.nowMs();
    // Every request ticks: the jobs are scanned only once a deletion is due, not on each request.
    if (now < this.nextDeletionAt) return;
    let next = Infinity;
    for (const job of this.tables.jobs.values()) {
      if (job.status !== "DELETION_IN_PROGRESS" || job.deleteAt === undefined) continue;
      if (job.deleteAt <= now) this.removeJob(job.jobId);
      else next = Math.min(next, job.deleteAt);
    }
    this.nextDeletionAt = next;
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
    this.tables.executions.delete(jobId);
  }

  /** Starts asynchronous deletion of a job (the caller checked the rules). */
  startDeletion(job: JobRecord): void {
    job.statusBeforeDeletion = job.status;
    job.status = "DELETION_IN_PROGRESS";
    job.lastUpdatedAt = this.now();
    job.deleteAt = this.nowMs() + this.deletionDelayMs;
    this.nextDeletionAt = Math.min(this.nextDeletionAt, job.deleteAt);
    stopRollout(job);
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

  /**
   * A job was just created (CreateJob): it starts rolling out now (minute 0),
   * or waits for its scheduled start, or for releaseJob when the endpoint
   * holds rollouts (the simulation's rollouts.ts).
   */
  jobCreated(job: JobRecord): void {
    for (const l of this.listeners) l.jobCreated(job);
  }

  /** Things newly among a continuous job's targets (AssociateTargetsWithJob), for the rollout to notify. */
  targetsAdded(job: JobRecord, thingNames: string[]): void {
    for (const l of this.listeners) l.targetsAdded(job, thingNames);
  }

  /** A thing's executions of a job, oldest first (an empty array, not to be changed, when it has none). */
  executionsOf(jobId: string, thingName: string): ExecutionRecord[] {
    return this.tables.executions.get(jobId)?.get(thingName) ?? NO_EXECUTIONS;
  }

  latestExecution(jobId: string, thingName: string): ExecutionRecord | undefined {
    const list = this.executionsOf(jobId, thingName);
    return list[list.length - 1];
  }

  /** All executions of a job, latest per thing. */
  jobExecutions(jobId: string): ExecutionRecord[] {
    const out: ExecutionRecord[] = [];
    for (const list of this.tables.executions.get(jobId)?.values() ?? []) {
      if (list.length > 0) out.push(list[list.length - 1]);
    }
    return out;
  }

  /** How many things have their latest execution of the job in each status. */
  statusCounts(job: JobRecord): StatusCounts {
    return this.counts.of(job);
  }

  /**
   * Queues an execution for a thing reached outside the rollout (a thing
   * joining a target group of a continuous job, AssociateTargetsWithJob),
   * unless one is still pending. A thing whose latest execution is terminal
   * gets a new one with the next number (how a continuous job treats a thing
   * that re-joins a target group). Nothing is queued for a job whose rollout
   * is held or has passed its endTime.
   */
  queueExecution(job: JobRecord, thingName: string): void {
    if (job.rollout?.held || job.rollout?.stopped) return;
    const latest = this.latestExecution(job.jobId, thingName);
    if (latest && !isTerminal(latest.status)) return;
    if (latest && job.targetSelection === "SNAPSHOT") return;
    this.createExecution(job, thingName, 0);
  }

  /** Creates a QUEUED execution (a notification); a simulated device picks it up at once. */
  createExecution(job: JobRecord, thingName: string, retryAttempt: number): ExecutionRecord | undefined {
    const thing = this.tables.things.get(thingName);
    if (!thing) return undefined;
    let byThing = this.tables.executions.get(job.jobId);
    if (!byThing) this.tables.executions.set(job.jobId, (byThing = new Map()));
    const list = byThing.get(thingName);
    const latest = list?.[list.length - 1];
    const now = this.now();
    const execution: ExecutionRecord = {
      jobId: job.jobId,
      thingName,
      thingArn: thing.thingArn,
      executionNumber: (latest?.executionNumber ?? 0) + 1,
      status: "QUEUED",
      queuedAt: now,
      lastUpdatedAt: now,
      versionNumber: 1,
      retryAttempt,
    };
    if (list) list.push(execution);
    else byThing.set(thingName, [execution]);
    this.counts.added(job, latest?.status);
    this.executionOrder.reordered(job.jobId);
    this.emit(execution);
    for (const l of this.listeners) l.executionQueued(job, execution, thing);
    return execution;
  }

  /** Deletes one execution (DeleteJobExecution), then re-evaluates its job. */
  removeExecution(execution: ExecutionRecord): void {
    const byThing = this.tables.executions.get(execution.jobId);
    const remaining = this.executionsOf(execution.jobId, execution.thingName).filter((x) => x !== execution);
    this.executionOrder.reordered(execution.jobId);
    if (remaining.length > 0) byThing?.set(execution.thingName, remaining);
    else byThing?.delete(execution.thingName);
    const job = this.tables.jobs.get(execution.jobId);
    if (job) {
      this.counts.forget(job);
      this.settle(job);
    }
  }

  /**
   * Moves an execution to a new status, then runs what follows: its timers,
   * a retry, the job's abort criteria and completion.
   */
  setExecutionStatus(
    execution: ExecutionRecord,
    status: JobExecutionStatus,
    options: { forceCanceled?: boolean; statusDetails?: Record<string, string> } = {},
  ): void {
    const previous = this.transition(execution, status, options);
    const job = this.tables.jobs.get(execution.jobId);
    if (job) {
      for (const l of this.listeners) l.executionChanged(job, execution, previous);
      this.applyAbortCriteria(job);
      this.settle(job);
    }
  }

  /** Only moves an execution (and reports the change); returns its previous status. */
  transition(
    execution: ExecutionRecord,
    status: JobExecutionStatus,
    options: { forceCanceled?: boolean; statusDetails?: Record<string, string> } = {},
  ): JobExecutionStatus {
    const previous = execution.status;
    const now = this.now();
    if (status === "IN_PROGRESS" && execution.startedAt === undefined) execution.startedAt = now;
    execution.status = status;
    execution.lastUpdatedAt = now;
    execution.versionNumber += 1;
    if (options.forceCanceled) execution.forceCanceled = true;
    if (options.statusDetails) execution.statusDetails = options.statusDetails;
    if (previous !== status) {
      this.counts.changed(execution, previous);
      this.executionOrder.statusChanged(execution.jobId);
      this.emit(execution);
    }
    return previous;
  }

  /** Reports an execution's status to the onExecution listener. */
  private emit(execution: ExecutionRecord): void {
    if (this.onExecution) emitExecution(this.onExecution, execution, this.nowMs());
  }

  /** Completes a snapshot job that is done (job-state.ts). */
  settle(job: JobRecord): void {
    settle(this, job);
  }

  /** Cancels a job (CancelJob, an abort, an endTime); force also cancels IN_PROGRESS executions. */
  cancel(job: JobRecord, options: { force: boolean; reasonCode?: string; comment?: string }): void {
    cancel(this, job, options);
  }

  /** Abort criteria: cancels the job once a failure type's share of executed things crosses its threshold. */
  applyAbortCriteria(job: JobRecord): void {
    applyAbortCriteria(this, job);
  }

  /**
   * The package versions installed on a thing, as its reserved named shadow
   * `$package` reports them: `{ packageName: versionName }` (empty without the
   * shadow). The fleet simulation updates the shadow when a job that installs
   * versions succeeds on the thing (simulation/package-shadow.ts).
   */
  installedPackageVersions(thingName: string): Record<string, string> {
    return installedVersions(this.tables, thingName);
  }
}

export function isTerminal(status: JobExecutionStatus): boolean {
  return TERMINAL_EXECUTION_STATUSES.includes(status);
}

export { parseScheduleTime, scheduleStart } from "../simulation/time.ts";
