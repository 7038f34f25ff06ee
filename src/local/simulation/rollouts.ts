/**
 * A job's rollout: when it starts, how many things it notifies each minute,
 * maintenance windows, and its scheduled end.
 *
 * - Rollout rate (developer guide: jobs-configurations-details, "Job rollout
 *   rates"; API reference: JobExecutionsRolloutConfig, ExponentialRolloutRate):
 *   targets are notified at most `maximumPerMinute` a minute (1000 when
 *   unset), or at an exponential rate that starts at `baseRatePerMinute` and is
 *   multiplied by `incrementFactor` each time `rateIncreaseCriteria` is met,
 *   never above `maximumPerMinute`. The arithmetic is src/api/rollout.ts's.
 *   Notifications happen at whole minutes from the rollout's start (minute 0:
 *   creation, scheduled start or release), in thing name order.
 * - Scheduling (developer guide: jobs-configurations-details, "Scheduling
 *   configuration"; API reference: SchedulingConfig): a job with a future
 *   `startTime` is SCHEDULED and starts rolling out then; at `endTime`,
 *   `endBehavior` STOP_ROLLOUT notifies nothing more (the job finishes with
 *   the executions already notified), CANCEL cancels the job, FORCE_CANCEL
 *   cancels it with force.
 * - Maintenance windows (developer guide: jobs-configurations-details and
 *   iot-jobs-lifecycle; API reference: MaintenanceWindow): things are notified
 *   only while a window is open; between windows the job is SCHEDULED, and
 *   IN_PROGRESS again when the next one opens. Evaluated on the virtual clock
 *   only (see World.evaluatesMaintenanceWindows).
 */
import type { JobRecord, RolloutRecord } from "../state/store.ts";
import {
  inMaintenanceWindow,
  newRolloutProgress,
  nextWindowStart,
  openWindowEnd,
  ratePerMinute,
  recordNotified,
  recordSucceeded,
  type MaintenanceWindow,
  type RolloutConfig,
} from "../../api/rollout.ts";
import { stopRollout } from "../state/job-state.ts";
import type { Agenda } from "./queue.ts";
import { MINUTE_MS, scheduleEnd, scheduleStart } from "./time.ts";

/** CreateJob: schedule the job's start and end, and start notifying now unless it waits. */
export function jobCreated(sim: Agenda, job: JobRecord): void {
  job.rollout = sim.world.holdRollouts ? { held: true } : {};
  const start = scheduleStart(job);
  if (job.status === "SCHEDULED" && start !== undefined) sim.schedule(start, { kind: "start", jobId: job.jobId });
  const end = scheduleEnd(job);
  if (end !== undefined) sim.schedule(end, { kind: "end", jobId: job.jobId });
  if (job.status === "IN_PROGRESS" && !job.rollout.held) startRollout(sim, job);
}

/** releaseJob: the rollout starts now, or at the job's scheduled start if that is still ahead. */
export function release(sim: Agenda, job: JobRecord): void {
  const rollout = job.rollout;
  if (!rollout?.held) {
    throw new Error(
      `Job ${job.jobId} is not held: only jobs created while the endpoint holds rollouts (holdRollouts) wait for releaseJob.`,
    );
  }
  delete rollout.held;
  // A SCHEDULED job starts at its startTime; a canceled or completed one has nothing left to roll out.
  if (job.status === "IN_PROGRESS" && rollout.pending === undefined && !rollout.stopped) startRollout(sim, job);
}

/**
 * Minute 0 of the rollout: resolves the targets now (a snapshot job's group
 * members are those of this moment) and notifies the first things at once.
 */
function startRollout(sim: Agenda, job: JobRecord): void {
  const world = sim.world;
  const rollout: RolloutRecord = (job.rollout ??= {});
  const now = world.nowMs();
  rollout.startedAtMs = now;
  rollout.pending = world.resolveTargets(job).sort();
  rollout.next = 0;
  rollout.progress = newRolloutProgress();
  rollout.succeeded = 0;
  nextMinute(sim, job, now);
  sim.drain();
}

function nextMinute(sim: Agenda, job: JobRecord, atMs: number): void {
  job.rollout!.nextAtMs = atMs;
  sim.schedule(atMs, { kind: "notify", jobId: job.jobId });
}

/** The scheduled startTime: SCHEDULED → IN_PROGRESS, and the rollout starts (unless held). */
export function startDue(sim: Agenda, job: JobRecord, atMs: number): void {
  const start = scheduleStart(job);
  if (job.status !== "SCHEDULED" || start === undefined || start > atMs || job.rollout?.pending !== undefined) return;
  job.status = "IN_PROGRESS";
  job.lastUpdatedAt = sim.world.now();
  if (!job.rollout?.held) startRollout(sim, job);
}

/**
 * The scheduled endTime. When endBehavior is not given, the rollout stops
 * (STOP_ROLLOUT, the mildest: AWS does not document a default).
 */
export function endDue(sim: Agenda, job: JobRecord, atMs: number): void {
  const end = scheduleEnd(job);
  const rollout: RolloutRecord = (job.rollout ??= {});
  if (rollout.ended || end === undefined || end > atMs) return;
  rollout.ended = true;
  if (job.status !== "IN_PROGRESS" && job.status !== "SCHEDULED") return;
  const behaviour = job.schedulingConfig?.endBehavior ?? "STOP_ROLLOUT";
  if (behaviour === "CANCEL" || behaviour === "FORCE_CANCEL") {
    sim.world.cancel(job, {
      force: behaviour === "FORCE_CANCEL",
      comment: `Canceled at the scheduled end time (endBehavior ${behaviour}).`,
    });
    return;
  }
  stopRollout(job);
  rollout.stopped = true;
  // Nothing waits for a window any more: the job is in progress until its executions finish.
  if (job.status === "SCHEDULED") {
    job.status = "IN_PROGRESS";
    job.lastUpdatedAt = sim.world.now();
  }
  sim.world.settle(job);
}

/** How far ahead the next maintenance window is looked for (as src/api/rollout.ts's estimates do). */
const WINDOW_HORIZON_MINUTES = 366 * 24 * 60;

/** The first rollout minute (whole minutes from the rollout's start) at or after `ms`, and after `afterMs`. */
function minuteAtOrAfter(rollout: RolloutRecord, ms: number, afterMs: number): number {
  const origin = rollout.startedAtMs ?? afterMs;
  const t = origin + Math.ceil((ms - origin) / MINUTE_MS) * MINUTE_MS;
  return t > afterMs ? t : afterMs + MINUTE_MS;
}

/**
 * One rollout minute: open or close maintenance windows, then notify up to
 * the minute's rate. Between windows the next wake-up is the minute the next
 * window opens (nothing happens in between); a continuous job that has
 * notified everyone wakes up again when its window closes.
 */
export function notifyMinute(sim: Agenda, job: JobRecord, atMs: number): void {
  const world = sim.world;
  const rollout = job.rollout;
  if (!rollout || rollout.nextAtMs !== atMs) return; // stale
  delete rollout.nextAtMs;
  if ((job.status !== "IN_PROGRESS" && job.status !== "SCHEDULED") || rollout.stopped || rollout.held) return;
  const windows = world.evaluatesMaintenanceWindows
    ? (job.schedulingConfig?.maintenanceWindows as unknown as MaintenanceWindow[] | undefined)
    : undefined;
  const gated = windows !== undefined && windows.length > 0;
  if (gated) {
    const open = (rollout.windowEndsAtMs !== undefined && atMs < rollout.windowEndsAtMs) || inMaintenanceWindow(windows, atMs);
    if (!open) {
      delete rollout.windowEndsAtMs;
      // developer guide (iot-jobs-lifecycle): IN_PROGRESS → SCHEDULED when the current window ends.
      if (job.status === "IN_PROGRESS") {
        job.status = "SCHEDULED";
        job.lastUpdatedAt = world.now();
      }
      const opens = nextWindowStart(windows, atMs, WINDOW_HORIZON_MINUTES);
      if (opens !== undefined) nextMinute(sim, job, minuteAtOrAfter(rollout, opens, atMs));
      return;
    }
    if (rollout.windowEndsAtMs === undefined || atMs >= rollout.windowEndsAtMs) rollout.windowEndsAtMs = openWindowEnd(windows, atMs);
    if (job.status === "SCHEDULED") {
      // ... and SCHEDULED → IN_PROGRESS when the next one opens.
      job.status = "IN_PROGRESS";
      job.lastUpdatedAt = world.now();
      if (job.targetSelection === "CONTINUOUS") addNewcomers(sim, job);
    }
  } else if (job.status !== "IN_PROGRESS") {
    return;
  }
  const config = job.jobExecutionsRolloutConfig as RolloutConfig | undefined;
  const progress = (rollout.progress ??= newRolloutProgress());
  if (rollout.succeeded) {
    recordSucceeded(config, progress, rollout.succeeded);
    rollout.succeeded = 0;
  }
  const pending = rollout.pending ?? [];
  let next = rollout.next ?? 0;
  // A minute began `atMs`, unless things were added within the last one (targetsAdded): then its budget is shared.
  if (rollout.minuteAtMs === undefined || atMs >= rollout.minuteAtMs + MINUTE_MS) {
    rollout.minuteAtMs = atMs;
    rollout.minuteNotified = 0;
  }
  const minuteAtMs = rollout.minuteAtMs;
  if (next < pending.length) {
    const rate = ratePerMinute(config, progress) - (rollout.minuteNotified ?? 0);
    const continuous = job.targetSelection === "CONTINUOUS";
    let notified = 0;
    while (notified < rate && next < pending.length && job.status === "IN_PROGRESS") {
      const thingName = pending[next++];
      // A continuous job notifies only things that are still among its targets.
      if (continuous && !isTarget(sim, job, thingName)) continue;
      if (world.executionsOf(job.jobId, thingName).length > 0) continue; // reached another way already
      if (world.createExecution(job, thingName, 0)) notified++;
    }
    rollout.next = next;
    rollout.minuteNotified = (rollout.minuteNotified ?? 0) + notified;
    if (notified > 0) recordNotified(config, progress, notified);
    if (next >= pending.length) stopRollout(job);
  }
  if (job.status === "IN_PROGRESS" || job.status === "SCHEDULED") {
    if ((rollout.next ?? 0) < (rollout.pending?.length ?? 0)) nextMinute(sim, job, minuteAtMs + MINUTE_MS);
    else if (gated && job.targetSelection === "CONTINUOUS") {
      nextMinute(sim, job, minuteAtOrAfter(rollout, rollout.windowEndsAtMs ?? atMs + MINUTE_MS, atMs));
    }
  }
  world.settle(job);
}

/**
 * Thing groups' members as sets, cached by members array: AddThingToThingGroup
 * appends (the length changes), removals replace the array, so a cached set is
 * current while the array and its length are the same.
 */
const memberSets = new WeakMap<string[], { length: number; set: Set<string> }>();

function isTarget(sim: Agenda, job: JobRecord, thingName: string): boolean {
  const world = sim.world;
  for (const target of job.targets) {
    const parsed = world.parseArn(target);
    if (parsed?.type === "thing" && parsed.name === thingName) return world.tables.things.has(thingName);
    if (parsed?.type !== "thinggroup") continue;
    const members = world.tables.thingGroups.get(parsed.name)?.members;
    if (!members) continue;
    let cached = memberSets.get(members);
    if (!cached || cached.length !== members.length) {
      cached = { length: members.length, set: new Set(members) };
      memberSets.set(members, cached);
    }
    if (cached.set.has(thingName)) return true;
  }
  return false;
}

/** A continuous job whose window opens: things that joined its groups meanwhile are added to the rollout. */
function addNewcomers(sim: Agenda, job: JobRecord): void {
  const world = sim.world;
  const rollout = job.rollout!;
  const pending = rollout.pending ?? [];
  const waiting = new Set(pending.slice(rollout.next ?? 0));
  const newcomers = world
    .resolveTargets(job)
    .filter((name) => !waiting.has(name) && world.executionsOf(job.jobId, name).length === 0)
    .sort();
  if (newcomers.length === 0) return;
  rollout.pending = [...pending.slice(rollout.next ?? 0), ...newcomers];
  rollout.next = 0;
}

/**
 * AssociateTargetsWithJob: the things a continuous job now also targets join
 * the end of its rollout and are notified at its rate, as its first targets
 * were (so a later wave of a Rollout reaches its devices at the job's
 * `maximumPerMinute` or exponential rate, not all at once). When the rollout
 * has nothing waiting, it resumes now, within what is left of the current
 * minute's rate. A rollout not started yet (held, or waiting for its start)
 * resolves its targets, these included, when it starts; a stopped one
 * (endTime passed) notifies nothing more.
 */
export function targetsAdded(sim: Agenda, job: JobRecord, thingNames: string[]): void {
  const rollout = job.rollout;
  if (!rollout || rollout.held || rollout.stopped || rollout.pending === undefined) return;
  const pending = rollout.pending.slice(rollout.next ?? 0);
  const waiting = new Set(pending);
  const newcomers = thingNames.filter((name) => !waiting.has(name)).sort();
  if (newcomers.length === 0) return;
  rollout.pending = [...pending, ...newcomers];
  rollout.next = 0;
  if (rollout.nextAtMs !== undefined) return; // the next rollout minute picks them up
  nextMinute(sim, job, sim.world.nowMs());
  sim.drain();
}
