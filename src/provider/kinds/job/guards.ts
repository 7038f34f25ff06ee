/**
 * The job's guards: conditions its calls depend on, planned by the job's
 * decision (so the preview shows them, with their text) and checked by the
 * engine's execute with the checks registered here. A check reads only when
 * it must, may skip a call or refuse it, and never changes its input: the
 * force of a cancellation is decided with the plan (deletion.force, or
 * ALCHEMY_IOT_FORCE_JOB_DELETION=1 for one destroy).
 */
import type { DescribeJobCommandOutput, IoTClient } from "@aws-sdk/client-iot";
import {
  DeleteJobCommand,
  DescribeJobCommand,
  InvalidRequestException,
  InvalidStateTransitionException,
  LimitExceededException,
  ResourceNotFoundException,
} from "../../iot-sdk.ts";
import { FINISHED_JOB_RULE, FINISHED_JOB_STATUSES, isFinishedJob } from "../../../api/constraints.ts";
import { GONE, Refusal, registerGuard, send, SKIPPED, Vanished, type ExecuteContext, type Executed } from "../../engine/execute.ts";
import type { Guard, Operation, OperationOf } from "../../engine/operations.ts";
import { deletionSlotsFor, waitUntilJobGone } from "./wait.ts";

/** Thrown instead of cancelling executions that devices are running, unless deletion.force allows it. */
export class JobInUseError extends Refusal {
  override name = "JobInUseError";
}

/** Thrown when a deletion outlasts deletion.timeoutSeconds (the job stays in state). */
export class JobDeletionTimeoutError extends Error {
  override name = "JobDeletionTimeoutError";
}

// ------------------------------------------------------------------ the guards a job's plan carries

/** UpdateJob and AssociateTargetsWithJob are sent only while the job runs (FINISHED_JOB_RULE). */
export const whileRunning = (): Guard => ({
  kind: "job-not-finished",
  text: `skipped if the job has finished (${FINISHED_JOB_STATUSES}): ${FINISHED_JOB_RULE}`,
});

/** CancelJob only for a job IN_PROGRESS or SCHEDULED; without force, refused while devices run it. */
export const whileCancelable = (force: boolean): Guard => ({
  kind: "job-cancelable",
  text: `if the job is still IN_PROGRESS or SCHEDULED${force ? " (force: executions in progress on devices are cancelled too)" : "; refused if devices are running it"}`,
});

/** After DeleteJob, wait (bounded) until IoT no longer knows the job. */
export const untilGone = (timeoutSeconds: number): Guard => ({
  kind: "job-gone",
  text: `then waits until IoT no longer knows the job (at most ${timeoutSeconds}s)`,
  timeoutSeconds,
});

// ------------------------------------------------------------------ their checks

const describeJob = async (client: IoTClient, jobId: string): Promise<DescribeJobCommandOutput | undefined> => {
  try {
    return await client.send(new DescribeJobCommand({ jobId }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
};

/** Found by a cancellation's check: the job is being deleted already, so its DeleteJob only waits. */
const deleting = (jobId: string) => `job ${jobId} DELETION_IN_PROGRESS`;

/**
 * UpdateJob or AssociateTargetsWithJob, unless the job has finished
 * (isFinishedJob; a SNAPSHOT job finishes by itself): IoT refuses them then
 * (FINISHED_JOB_RULE), so the change is kept in state only. The job is read
 * first (the state's status may be old): a call IoT would refuse is not sent.
 */
async function unlessFinished(ctx: ExecuteContext, operation: Operation, done: Executed): Promise<unknown> {
  const { op, input } = operation as OperationOf<"UpdateJob"> | OperationOf<"AssociateTargetsWithJob">;
  const skip = (status: string | undefined) => {
    const kept = Object.keys(input).filter((k) => k !== "jobId" && k !== "namespaceId" && k !== "comment");
    done.skipped.push({ operation, reason: `the job is ${status}: ${FINISHED_JOB_RULE}; the change is kept in state only`, status, kept });
    ctx.log(`${ctx.label}: job ${input.jobId} is ${status}; ${FINISHED_JOB_RULE}, so the change is kept in state only`);
    return SKIPPED;
  };
  const before = await describeJob(ctx.client, input.jobId!);
  if (!before) throw new Vanished(operation);
  if (isFinishedJob(before.job?.status)) return skip(before.job?.status);
  try {
    return await send(ctx, operation);
  } catch (error) {
    if (!(error instanceof InvalidRequestException)) throw error;
    // It may have finished between the read and the call.
    const live = await describeJob(ctx.client, input.jobId!);
    if (!live) throw new Vanished(operation);
    const status = live.job?.status;
    if (op === "AssociateTargetsWithJob" && status === "SCHEDULED") {
      // Between maintenance windows (or before its start time) a job is SCHEDULED: nothing is added, and it is not replaced either.
      throw new Error(
        `${ctx.label}: job ${input.jobId} is SCHEDULED (before its start time or between maintenance windows); IoT adds targets only to a job IN_PROGRESS (API reference: AssociateTargetsWithJob). Nothing was changed: deploy again while the job is in progress.`,
        { cause: error },
      );
    }
    if (!isFinishedJob(status)) throw error;
    return skip(status);
  }
}

/**
 * CancelJob, only for a job that still runs: the job is read first, and a job
 * that has finished (or is being deleted) is left as it is, without a call IoT
 * would refuse. Without force, if devices are running it, cancelling would
 * stop their work, which needs `deletion.force`, so nothing is changed and the
 * deploy stops.
 */
async function cancelJob(ctx: ExecuteContext, operation: Operation, done: Executed): Promise<unknown> {
  const { input } = operation as OperationOf<"CancelJob">;
  const jobId = input.jobId!;
  const settled = (status: string | undefined) => {
    if (status === "DELETION_IN_PROGRESS") done.found.add(deleting(jobId));
    done.skipped.push({ operation, reason: `the job is ${status}` });
    return SKIPPED;
  };
  const live = await describeJob(ctx.client, jobId);
  if (!live) return GONE;
  const status = live.job?.status;
  if (status === "DELETION_IN_PROGRESS" || isFinishedJob(status)) return settled(status);
  if (!input.force) {
    const running = live.job?.jobProcessDetails?.numberOfInProgressThings ?? 0;
    if (running > 0) {
      throw new JobInUseError(
        `${ctx.label}: job ${jobId} is being run by ${running} device${running === 1 ? "" : "s"} right now (IN_PROGRESS executions). ` +
          `Deleting it would cancel their work mid-run and leave them unable to report back. ` +
          `To allow that, set deletion: { force: true } on the Job and deploy once (so the setting is stored), then destroy again ` +
          `(or run the destroy with ALCHEMY_IOT_FORCE_JOB_DELETION=1); or wait until the devices finish. Nothing was changed.`,
      );
    }
    return send(ctx, operation);
  }
  try {
    return await send(ctx, operation);
  } catch (error) {
    if (error instanceof Vanished) return GONE;
    if (!(error instanceof InvalidRequestException || error instanceof InvalidStateTransitionException)) throw error;
    const live = await describeJob(ctx.client, jobId);
    if (!live) return GONE;
    if (live.job?.status === "DELETION_IN_PROGRESS" || isFinishedJob(live.job?.status)) return settled(live.job?.status);
    throw error;
  }
}

/**
 * DeleteJob, holding one of the location's 10 deletion slots until IoT no
 * longer knows the job; LimitExceededException (other processes' deletions)
 * is retried until the deletion timeout. A job already gone counts as deleted.
 */
async function deleteJob(ctx: ExecuteContext, operation: Operation, done: Executed): Promise<unknown> {
  const { input, guard } = operation as OperationOf<"DeleteJob">;
  const jobId = input.jobId!;
  const alreadyDeleting = done.found.has(deleting(jobId));
  const timeoutSeconds = typeof guard?.timeoutSeconds === "number" ? guard.timeoutSeconds : 600;
  const release = await deletionSlotsFor(`${ctx.location.key}|${ctx.location.region}`).acquire();
  try {
    const started = Date.now();
    const deadline = started + timeoutSeconds * 1000;
    while (!alreadyDeleting) {
      try {
        await ctx.client.send(new DeleteJobCommand(input));
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

registerGuard("job-not-finished", unlessFinished);
registerGuard("job-cancelable", cancelJob);
registerGuard("job-gone", deleteJob);
