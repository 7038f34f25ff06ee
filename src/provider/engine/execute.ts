/**
 * Carries out a plan's operations: each one is one SDK call with exactly the
 * planned input, in order. What the plan marks as conditional (its guards) is
 * checked here, reading only when the answer is not known otherwise. After
 * every call that creates or deletes something, `progress` lets the handler
 * record it in state before the next call starts.
 */
import {
  ConflictException,
  DeleteJobCommand,
  DescribeJobCommand,
  InvalidRequestException,
  InvalidStateTransitionException,
  LimitExceededException,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  type DescribeJobCommandOutput,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { TERMINAL_JOB_STATUSES } from "../../api/constraints.ts";
import type { Location } from "../location.ts";
import { deletionSlotsFor, waitUntilJobGone } from "../wait.ts";
import { COMMANDS, EXISTENCE, type Operation } from "./operations.ts";

export interface ExecuteContext {
  client: IoTClient;
  location: Location;
  /** e.g. `Job "rollout"`, for messages. */
  label: string;
  log(message: string): void;
  /** Called after each call that created or deleted something, before the next call. */
  progress?(operation: Operation, response: unknown): Promise<void>;
  /**
   * Called once a call may have changed something: it succeeded, or its
   * outcome is unknown (a dropped connection, a server error). A call the
   * service refused (a 4xx answer) changed nothing, and neither did a guard
   * that stopped before sending.
   */
  changed?(): void;
}

export interface Executed {
  /** What each call answered, by operation name (the last of each). */
  responses: Map<string, any>;
  /** Jobs a guard found DELETION_IN_PROGRESS already: DeleteJob only waits for them. */
  deleting: Set<string>;
  /** Operations a guard skipped, with why (and the resource's status, when the guard read it). */
  skipped: Array<{ operation: Operation; reason: string; status?: string }>;
}

/** A create found the id taken: the handler reads what is there and decides again. */
export class AlreadyThere extends Error {
  override name = "AlreadyThere";
  readonly operation: Operation;
  constructor(operation: Operation) {
    super(`${operation.op}: ${operation.resource} already exists`);
    this.operation = operation;
  }
}

/** A call on an existing resource found it gone (deleted out of band): the handler reads and decides again. */
export class Vanished extends Error {
  override name = "Vanished";
  readonly operation: Operation;
  constructor(operation: Operation) {
    super(`${operation.op}: ${operation.resource} no longer exists`);
    this.operation = operation;
  }
}

/** Thrown instead of cancelling executions that devices are running, unless deletion.force allows it. */
export class JobInUseError extends Error {
  override name = "JobInUseError";
}

/** Thrown when a deletion outlasts deletion.timeoutSeconds (the job stays in state). */
export class JobDeletionTimeoutError extends Error {
  override name = "JobDeletionTimeoutError";
}

export async function execute(ctx: ExecuteContext, operations: readonly Operation[]): Promise<Executed> {
  const done: Executed = { responses: new Map(), skipped: [], deleting: new Set() };
  for (const operation of operations) {
    let response: unknown;
    try {
      response = await one(ctx, operation, done);
    } catch (error) {
      if (!withoutEffect(error)) ctx.changed?.();
      throw error;
    }
    if (response === GONE) break; // the job is gone already: nothing left to delete
    if (response === SKIPPED) continue;
    done.responses.set(operation.op, response);
    if (EXISTENCE.has(operation.op)) await ctx.progress?.(operation, response);
  }
  return done;
}

/**
 * Did a failed operation certainly change nothing? True when the service
 * refused the call (a 4xx answer, or what the engine made of one), or a
 * guard stopped before sending it; false when the outcome is unknown.
 */
export function withoutEffect(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AlreadyThere || e instanceof Vanished || e instanceof JobInUseError) return true;
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if ((e as { $fault?: string }).$fault === "client" && status !== undefined && status >= 400 && status < 500) return true;
  }
  return false;
}

const SKIPPED = Symbol("skipped");
const GONE = Symbol("gone");

async function one(ctx: ExecuteContext, operation: Operation, done: Executed): Promise<unknown> {
  switch (operation.op) {
    case "UpdateJob":
    case "AssociateTargetsWithJob":
      return unlessFinished(ctx, operation, done);
    case "CancelJob":
      return cancelJob(ctx, operation, done);
    case "DeleteJob":
      return deleteJob(ctx, operation, done.deleting.has(operation.input.jobId!));
    default:
      return send(ctx, operation);
  }
}

/** Sends the operation as planned; a create that finds the id taken, or a change that finds the resource gone, is signalled. */
async function send(ctx: ExecuteContext, operation: Operation): Promise<unknown> {
  const Command = COMMANDS[operation.op] as unknown as new (input: unknown) => Parameters<IoTClient["send"]>[0];
  try {
    const response = await ctx.client.send(new Command(operation.input));
    ctx.changed?.();
    return response;
  } catch (error) {
    const deleting = operation.op.startsWith("Delete") || operation.op === "RemoveThingFromThingGroup";
    if (error instanceof ResourceNotFoundException) {
      if (deleting) return undefined; // already gone: deleted
      if (!operation.op.startsWith("Create")) throw new Vanished(operation);
    }
    if (operation.op.startsWith("Create") && (error instanceof ConflictException || error instanceof ResourceAlreadyExistsException)) {
      throw new AlreadyThere(operation);
    }
    throw error;
  }
}

const describeJob = async (client: IoTClient, jobId: string): Promise<DescribeJobCommandOutput | undefined> => {
  try {
    return await client.send(new DescribeJobCommand({ jobId }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
};

const finished = (status: string | undefined) => TERMINAL_JOB_STATUSES.includes(status as never);

/**
 * UpdateJob or AssociateTargetsWithJob, unless the job has finished: IoT
 * refuses them for a COMPLETED or CANCELED job (a SNAPSHOT job completes by
 * itself), so the change is kept in state only. Sent first; read only when
 * IoT refuses it.
 */
async function unlessFinished(ctx: ExecuteContext, operation: Extract<Operation, { op: "UpdateJob" | "AssociateTargetsWithJob" }>, done: Executed) {
  try {
    return await send(ctx, operation);
  } catch (error) {
    if (!(error instanceof InvalidRequestException)) throw error;
    const live = await describeJob(ctx.client, operation.input.jobId!);
    if (!live) throw new Vanished(operation);
    const status = live.job?.status;
    if (operation.op === "AssociateTargetsWithJob" && status === "SCHEDULED") {
      // Between maintenance windows (or before its start time) a job is SCHEDULED: nothing is added, and it is not replaced either.
      throw new Error(
        `${ctx.label}: job ${operation.input.jobId} is SCHEDULED (before its start time or between maintenance windows); IoT adds targets only to a job IN_PROGRESS (API reference: AssociateTargetsWithJob). Nothing was changed: deploy again while the job is in progress.`,
        { cause: error },
      );
    }
    if (!finished(status)) throw error;
    done.skipped.push({ operation, reason: `the job is ${status}: IoT does not update finished jobs; the change is kept in state only`, status });
    ctx.log(`${ctx.label}: job ${operation.input.jobId} is ${status}; IoT does not update finished jobs, so the change is kept in state only`);
    return SKIPPED;
  }
}

/**
 * CancelJob, only for a job that still runs. Without force, the job is read
 * first: if devices are running it, cancelling would stop their work, which
 * needs `deletion.force`, so nothing is changed and the deploy stops. With
 * force there is nothing to find out first: the call is sent, and a job that
 * has finished (or is being deleted) is left as it is.
 */
async function cancelJob(ctx: ExecuteContext, operation: Extract<Operation, { op: "CancelJob" }>, done: Executed) {
  const jobId = operation.input.jobId!;
  const force = operation.guard?.kind === "job-cancelable" && operation.guard.force;
  if (!force || process.env.ALCHEMY_IOT_FORCE_JOB_DELETION === "1") {
    const live = await describeJob(ctx.client, jobId);
    if (!live) return GONE;
    const status = live.job?.status;
    const running = live.job?.jobProcessDetails?.numberOfInProgressThings ?? 0;
    const allowed = force || process.env.ALCHEMY_IOT_FORCE_JOB_DELETION === "1";
    if (status === "DELETION_IN_PROGRESS" || finished(status)) {
      if (status === "DELETION_IN_PROGRESS") done.deleting.add(jobId);
      done.skipped.push({ operation, reason: `the job is ${status}` });
      return SKIPPED;
    }
    if (running > 0 && !allowed) {
      throw new JobInUseError(
        `${ctx.label}: job ${jobId} is being run by ${running} device${running === 1 ? "" : "s"} right now (IN_PROGRESS executions). ` +
          `Deleting it would cancel their work mid-run and leave them unable to report back. ` +
          `To allow that, set deletion: { force: true } on the Job and deploy once (so the setting is stored), then destroy again ` +
          `(or run the destroy with ALCHEMY_IOT_FORCE_JOB_DELETION=1); or wait until the devices finish. Nothing was changed.`,
      );
    }
    return send(ctx, { ...operation, input: { ...operation.input, force: running > 0 || undefined } });
  }
  try {
    return await send(ctx, { ...operation, input: { ...operation.input, force: true } });
  } catch (error) {
    if (error instanceof Vanished) return GONE;
    if (!(error instanceof InvalidRequestException || error instanceof InvalidStateTransitionException)) throw error;
    const live = await describeJob(ctx.client, jobId);
    if (!live) return GONE;
    if (live.job?.status === "DELETION_IN_PROGRESS" || finished(live.job?.status)) {
      if (live.job?.status === "DELETION_IN_PROGRESS") done.deleting.add(jobId);
      done.skipped.push({ operation, reason: `the job is ${live.job?.status}` });
      return SKIPPED;
    }
    throw error;
  }
}

/**
 * DeleteJob, holding one of the location's 10 deletion slots until IoT no
 * longer knows the job; LimitExceededException (other processes' deletions)
 * is retried until the deletion timeout. A job already gone counts as deleted.
 */
async function deleteJob(ctx: ExecuteContext, operation: Extract<Operation, { op: "DeleteJob" }>, alreadyDeleting: boolean) {
  const jobId = operation.input.jobId!;
  const timeoutSeconds = operation.guard?.kind === "job-gone" ? operation.guard.timeoutSeconds : 600;
  const release = await deletionSlotsFor(`${ctx.location.key}|${ctx.location.region}`).acquire();
  try {
    const started = Date.now();
    const deadline = started + timeoutSeconds * 1000;
    while (!alreadyDeleting) {
      try {
        await ctx.client.send(new DeleteJobCommand(operation.input));
        ctx.changed?.();
        break;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return undefined;
        if (error instanceof InvalidStateTransitionException) {
          const live = await describeJob(ctx.client, jobId);
          if (!live) return undefined;
          if (live.job?.status === "DELETION_IN_PROGRESS") break;
          throw error;
        }
        // Other processes hold the account's deletion slots (the SDK already retried): keep trying until the deadline.
        if (error instanceof LimitExceededException && Date.now() < deadline) {
          ctx.log(`${ctx.label}: ${error.message}; retrying`);
          await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(100, deadline - Date.now()))));
          continue;
        }
        throw error;
      }
    }
    const gone = await waitUntilJobGone(ctx.client, jobId, ctx.location, {
      timeoutSeconds: Math.max(1, Math.ceil((deadline - Date.now()) / 1000)),
      onProgress: (elapsed) => ctx.log(`${ctx.label}: waiting for job ${jobId} to finish deleting (DELETION_IN_PROGRESS, ${elapsed}s)`),
    });
    if (!gone) {
      throw new JobDeletionTimeoutError(
        `${ctx.label}: job ${jobId} was still DELETION_IN_PROGRESS after ${timeoutSeconds}s. ` +
          `It stays in state so that the next destroy or deploy finishes waiting; raise deletion.timeoutSeconds if IoT needs longer.`,
      );
    }
    return undefined;
  } finally {
    release();
  }
}

