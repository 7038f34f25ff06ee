/**
 * What follows an execution's status changes: in-progress timeouts, retries,
 * and the simulated devices that pick executions up and report outcomes.
 *
 * - Timeouts (developer guide: jobs-configurations-details, "Job execution
 *   timeout and retry configurations"; API reference: TimeoutConfig): the
 *   timer starts when an execution enters IN_PROGRESS, with the job's
 *   `inProgressTimeoutInMinutes` of that moment (a later UpdateJob applies to
 *   executions that start afterwards); when it expires the execution becomes
 *   TIMED_OUT. Step timeouts (`stepTimeoutInMinutes`, which a device sends with
 *   each update on the data plane) are not simulated: simulated devices send
 *   none.
 * - Retries (same page; API reference: RetryCriteria): an execution that ends
 *   FAILED or TIMED_OUT is retried when the job has a criterion for that
 *   failure type (ALL covers both) and the thing has not used up its
 *   `numberOfRetries` of that type: a new execution with the next
 *   executionNumber and retryAttempt + 1, QUEUED at once. The counter starts
 *   again when the thing gets a fresh execution (re-joining a continuous job's
 *   group, developer guide: jobs-configurations-details).
 */
import type { JobExecutionStatus } from "../../api/constraints.ts";
import type { ExecutionRecord, JobRecord, JsonObject, ThingRecord } from "../state/store.ts";
import type { World } from "../state/world.ts";
import { drawOutcome, isOffline } from "./behaviour.ts";
import { recordInstalledVersions } from "./package-shadow.ts";
import { rolloutDone } from "../state/job-state.ts";
import type { Agenda } from "./queue.ts";
import { MINUTE_MS } from "./time.ts";

const LIVE_JOB = new Set(["IN_PROGRESS", "SCHEDULED"]);

/** A new QUEUED execution: an online simulated device starts it at once (it was just notified). */
export function pickUp(world: World, job: JobRecord, execution: ExecutionRecord, thing: ThingRecord): void {
  const device = thing.simulated;
  if (!device || !LIVE_JOB.has(job.status)) return;
  if (isOffline(device.behaviour, device.seed, thing.thingName)) return;
  world.setExecutionStatus(execution, "IN_PROGRESS");
}

/** After an execution changed status (World.setExecutionStatus). */
export function changed(sim: Agenda, job: JobRecord, execution: ExecutionRecord, previous: JobExecutionStatus): void {
  const world = sim.world;
  if (execution.status === "IN_PROGRESS" && previous !== "IN_PROGRESS") {
    started(sim, job, execution);
  } else if (execution.status === "SUCCEEDED") {
    // The versions the job installs, in the thing's $package shadow (when the package configuration says so).
    recordInstalledVersions(world, job, execution);
    // Counted towards numberOfSucceededThings at the next rollout minute.
    const rollout = job.rollout;
    if (rollout && !rolloutDone(job)) rollout.succeeded = (rollout.succeeded ?? 0) + 1;
  } else if (execution.status === "FAILED" || execution.status === "TIMED_OUT") {
    retry(world, job, execution);
  }
}

/** IN_PROGRESS: the in-progress timer starts; a simulated device will report after its run time (unless it hangs). */
function started(sim: Agenda, job: JobRecord, execution: ExecutionRecord): void {
  const world = sim.world;
  const now = world.nowMs();
  const ref = { jobId: execution.jobId, thingName: execution.thingName, executionNumber: execution.executionNumber };
  const minutes = Number(job.timeoutConfig?.inProgressTimeoutInMinutes ?? 0);
  if (minutes > 0 && execution.timeoutAtMs === undefined) {
    execution.timeoutAtMs = now + minutes * MINUTE_MS;
    sim.schedule(execution.timeoutAtMs, { kind: "timeout", ...ref });
  }
  const device = world.tables.things.get(execution.thingName)?.simulated;
  // An offline device never reports (a test may still move its execution, acting as the device).
  if (!device || isOffline(device.behaviour, device.seed, execution.thingName)) return;
  const outcome = drawOutcome(device.behaviour, device.seed, execution.thingName, execution.jobId, execution.executionNumber);
  if (outcome === "HANG") return;
  execution.deviceDueAtMs = now + device.behaviour.runMinutes * MINUTE_MS;
  sim.schedule(execution.deviceDueAtMs, { kind: "device", ...ref });
}

/** A simulated device reports the outcome of its attempt (drawn again: the draw is a pure function). */
export function deviceReports(world: World, execution: ExecutionRecord, atMs: number): void {
  if (execution.status !== "IN_PROGRESS" || execution.deviceDueAtMs !== atMs) return;
  const job = world.tables.jobs.get(execution.jobId);
  const device = world.tables.things.get(execution.thingName)?.simulated;
  if (!job || job.status === "DELETION_IN_PROGRESS" || !device) return;
  const outcome = drawOutcome(device.behaviour, device.seed, execution.thingName, execution.jobId, execution.executionNumber);
  if (outcome !== "HANG") world.setExecutionStatus(execution, outcome);
}

/**
 * The in-progress timer expires. A device reporting at the same instant
 * reports first (device events run before timers).
 */
export function timerExpires(world: World, execution: ExecutionRecord, atMs: number): void {
  if (execution.status !== "IN_PROGRESS" || execution.timeoutAtMs !== atMs) return;
  const job = world.tables.jobs.get(execution.jobId);
  if (!job || job.status === "DELETION_IN_PROGRESS") return;
  world.setExecutionStatus(execution, "TIMED_OUT");
}

/**
 * Retries a FAILED or TIMED_OUT execution if the job's retry criteria allow
 * it. Retries are queued at once, outside the rollout rate and maintenance
 * windows (AWS does not document how they interact; the endpoint's choice),
 * and not after the job stopped rolling out (canceled, or past endTime).
 */
function retry(world: World, job: JobRecord, execution: ExecutionRecord): void {
  if (!LIVE_JOB.has(job.status) || job.rollout?.stopped) return;
  const list = world.executionsOf(job.jobId, execution.thingName);
  if (list[list.length - 1] !== execution) return; // only a thing's latest attempt is retried
  const criteria = (job.jobExecutionsRetryConfig?.criteriaList ?? []) as JsonObject[];
  const criterion = criteria.find((c) => c.failureType === execution.status || c.failureType === "ALL");
  if (!criterion) return;
  const counts = (status: JobExecutionStatus) =>
    criterion.failureType === "ALL" ? status === "FAILED" || status === "TIMED_OUT" : status === criterion.failureType;
  // Failures of this type since the thing's last fresh (retryAttempt 0) execution, this one included.
  let failures = 0;
  for (let i = list.length - 1; i >= 0; i--) {
    if (counts(list[i].status)) failures++;
    if (list[i].retryAttempt === 0) break;
  }
  if (failures > Number(criterion.numberOfRetries ?? 0)) return;
  world.createExecution(job, execution.thingName, execution.retryAttempt + 1);
}
