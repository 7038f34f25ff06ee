/**
 * The fleet simulation's engine: an agenda of timed events (queue.ts) run in
 * virtual or wall-clock time.
 *
 * - On the virtual clock, `advanceTime` runs every event up to the new time.
 * - On the wall clock, `World.tick` (called before every request) runs the
 *   events that fell due since the last request, each at its own time, so a
 *   rollout catches up minute by minute from where it stood.
 *
 * The simulation subscribes to the world's events (World.subscribe): the
 * world owns the records and the service's rules, and never calls into the
 * simulation by name. The agenda is not persisted: every event can be derived from the records
 * (a job's next rollout minute and scheduled times, an execution's timeout and
 * device report times), so `rebuild` recreates it when the endpoint loads its
 * data. The rules themselves live in rollouts.ts (jobs) and lifecycle.ts
 * (executions and simulated devices).
 */
import type { ExecutionRecord, JobRecord, ThingRecord } from "../state/store.ts";
import type { World, WorldListener } from "../state/world.ts";
import * as lifecycle from "./lifecycle.ts";
import { EventQueue, type Agenda, type SimEvent } from "./queue.ts";
import * as rollouts from "./rollouts.ts";
import { scheduleEnd, scheduleStart } from "./time.ts";

function* eachExecution(byThing: Map<string, ExecutionRecord[]>): Iterable<ExecutionRecord> {
  for (const list of byThing.values()) yield* list;
}

export class Simulation implements Agenda, WorldListener {
  readonly world: World;
  private readonly queue = new EventQueue();
  private running = false;

  /** Simulates the world's fleet from now on: rebuilds the agenda from its records and subscribes to its events. */
  constructor(world: World) {
    this.world = world;
    this.rebuild();
    world.subscribe(this);
  }

  /** Adds an event to the agenda (never before the instant being processed). */
  schedule(atMs: number, event: SimEvent): void {
    const floor = this.world.simulatedNowMs;
    this.queue.add(floor !== undefined && atMs < floor ? floor : atMs, event);
  }

  /** Runs every event due at or before `untilMs`, in time order, each at its own time. */
  runUntil(untilMs: number): void {
    if (this.running) return; // the loop already running picks up what was just added
    this.running = true;
    try {
      for (let t = this.queue.peekTime(); t !== undefined && t <= untilMs; t = this.queue.peekTime()) {
        this.world.simulatedNowMs = t;
        for (let event = this.queue.takeAt(t); event; event = this.queue.takeAt(t)) this.handle(event, t);
      }
    } finally {
      this.world.simulatedNowMs = undefined;
      this.running = false;
    }
  }

  /** Runs what is due now (after a request added events at the current time). */
  drain(): void {
    this.runUntil(this.world.clockMs());
  }

  /** Recreates the agenda from the records (on load). */
  rebuild(): void {
    this.queue.clear();
    const { jobs, executions } = this.world.tables;
    for (const job of jobs.values()) {
      if (job.status === "DELETION_IN_PROGRESS") continue;
      const start = scheduleStart(job);
      if (job.status === "SCHEDULED" && start !== undefined && job.rollout?.pending === undefined) {
        this.schedule(start, { kind: "start", jobId: job.jobId });
      }
      const end = scheduleEnd(job);
      if (end !== undefined && !job.rollout?.ended && (job.status === "IN_PROGRESS" || job.status === "SCHEDULED")) {
        this.schedule(end, { kind: "end", jobId: job.jobId });
      }
      if (job.rollout?.nextAtMs !== undefined) this.schedule(job.rollout.nextAtMs, { kind: "notify", jobId: job.jobId });
    }
    for (const byThing of executions.values()) {
      for (const e of eachExecution(byThing)) {
        if (e.status !== "IN_PROGRESS") continue;
        const job = jobs.get(e.jobId);
        if (e.timeoutAtMs === undefined && job && e.startedAt !== undefined) {
          // Written before timeouts were simulated: the timer ran from startedAt.
          const minutes = Number(job.timeoutConfig?.inProgressTimeoutInMinutes ?? 0);
          if (minutes > 0) e.timeoutAtMs = Math.round(e.startedAt * 1000) + minutes * 60_000;
        }
        const ref = { jobId: e.jobId, thingName: e.thingName, executionNumber: e.executionNumber };
        if (e.timeoutAtMs !== undefined) this.schedule(e.timeoutAtMs, { kind: "timeout", ...ref });
        if (e.deviceDueAtMs !== undefined) this.schedule(e.deviceDueAtMs, { kind: "device", ...ref });
      }
    }
  }

  private handle(event: SimEvent, atMs: number): void {
    if (event.kind === "device" || event.kind === "timeout") {
      const execution = this.world.executionsOf(event.jobId, event.thingName).find((e) => e.executionNumber === event.executionNumber);
      if (!execution) return;
      if (event.kind === "device") lifecycle.deviceReports(this.world, execution, atMs);
      else lifecycle.timerExpires(this.world, execution, atMs);
      return;
    }
    const job = this.world.tables.jobs.get(event.jobId);
    if (!job) return;
    if (event.kind === "start") rollouts.startDue(this, job, atMs);
    else if (event.kind === "end") rollouts.endDue(this, job, atMs);
    else rollouts.notifyMinute(this, job, atMs);
  }

  // ------------------------------------------------------------ the world's events

  /** The world read its clock: run what fell due. */
  clockRead(untilMs: number): void {
    this.runUntil(untilMs);
  }

  jobCreated(job: JobRecord): void {
    rollouts.jobCreated(this, job);
  }

  targetsAdded(job: JobRecord, thingNames: string[]): void {
    rollouts.targetsAdded(this, job, thingNames);
  }

  /** Starts a held job's rollout (releaseJob). */
  release(job: JobRecord): void {
    rollouts.release(this, job);
  }

  /** A QUEUED execution was created: a simulated device picks it up. */
  executionQueued(job: JobRecord, execution: ExecutionRecord, thing: ThingRecord): void {
    lifecycle.pickUp(this.world, job, execution, thing);
  }

  /** An execution changed status: timers, the rollout's success count, retries. */
  executionChanged(job: JobRecord, execution: ExecutionRecord, previous: ExecutionRecord["status"]): void {
    lifecycle.changed(this, job, execution, previous);
  }
}
