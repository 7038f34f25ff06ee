/**
 * Typed operations: every API call a plan can make, with the exact SDK input
 * it sends. A decision produces them, the preview renders them, and the
 * deploy sends them (src/provider/engine/execute.ts): the same objects, so the
 * two cannot disagree about what is called with what.
 */
import {
  AddThingToThingGroupCommand,
  AssociateTargetsWithJobCommand,
  CancelJobCommand,
  CreateJobCommand,
  CreateJobTemplateCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteJobCommand,
  DeleteJobTemplateCommand,
  DeleteThingCommand,
  DeleteThingGroupCommand,
  RemoveThingFromThingGroupCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateJobCommand,
  UpdateThingCommand,
  UpdateThingGroupCommand,
} from "@aws-sdk/client-iot";
import type * as SDK from "@aws-sdk/client-iot";

/** The SDK command class of each operation, and its input type. */
export const COMMANDS = {
  CreateJobTemplate: CreateJobTemplateCommand,
  DeleteJobTemplate: DeleteJobTemplateCommand,
  CreateJob: CreateJobCommand,
  UpdateJob: UpdateJobCommand,
  CancelJob: CancelJobCommand,
  DeleteJob: DeleteJobCommand,
  AssociateTargetsWithJob: AssociateTargetsWithJobCommand,
  TagResource: TagResourceCommand,
  UntagResource: UntagResourceCommand,
  CreateThingGroup: CreateThingGroupCommand,
  UpdateThingGroup: UpdateThingGroupCommand,
  DeleteThingGroup: DeleteThingGroupCommand,
  CreateThing: CreateThingCommand,
  UpdateThing: UpdateThingCommand,
  DeleteThing: DeleteThingCommand,
  AddThingToThingGroup: AddThingToThingGroupCommand,
  RemoveThingFromThingGroup: RemoveThingFromThingGroupCommand,
} as const;

export type OperationName = keyof typeof COMMANDS;

interface Inputs {
  CreateJobTemplate: SDK.CreateJobTemplateCommandInput;
  DeleteJobTemplate: SDK.DeleteJobTemplateCommandInput;
  CreateJob: SDK.CreateJobCommandInput;
  UpdateJob: SDK.UpdateJobCommandInput;
  CancelJob: SDK.CancelJobCommandInput;
  DeleteJob: SDK.DeleteJobCommandInput;
  AssociateTargetsWithJob: SDK.AssociateTargetsWithJobCommandInput;
  TagResource: SDK.TagResourceCommandInput;
  UntagResource: SDK.UntagResourceCommandInput;
  CreateThingGroup: SDK.CreateThingGroupCommandInput;
  UpdateThingGroup: SDK.UpdateThingGroupCommandInput;
  DeleteThingGroup: SDK.DeleteThingGroupCommandInput;
  CreateThing: SDK.CreateThingCommandInput;
  UpdateThing: SDK.UpdateThingCommandInput;
  DeleteThing: SDK.DeleteThingCommandInput;
  AddThingToThingGroup: SDK.AddThingToThingGroupCommandInput;
  RemoveThingFromThingGroup: SDK.RemoveThingFromThingGroupCommandInput;
}

/**
 * A condition the live resource must meet when the call is due; checked by
 * the deploy (reading only when it must), shown by the preview.
 *
 * - `job-not-finished`: UpdateJob is sent only while the job runs; IoT does
 *   not update a COMPLETED or CANCELED job, so the change is kept in state only.
 * - `job-cancelable`: CancelJob only for a job that is IN_PROGRESS or
 *   SCHEDULED; with executions IN_PROGRESS on devices, only when `force`
 *   is allowed (otherwise the deploy stops with JobInUseError, changing nothing).
 * - `job-gone`: after DeleteJob, wait (bounded) until IoT no longer knows the job.
 */
export type Guard =
  | { kind: "job-not-finished" }
  | { kind: "job-cancelable"; force: boolean }
  | { kind: "job-gone"; timeoutSeconds: number };

/** One call: the operation, its SDK input, and what it is for. */
export type Operation = {
  [N in OperationName]: {
    op: N;
    input: Inputs[N];
    /** The physical id it acts on, for people (e.g. a job id, or "thing → group"). */
    resource: string;
    guard?: Guard;
    /** In a replacement: whether the call creates the new resource or deletes the old one. */
    part?: "create" | "delete";
  };
}[OperationName];

/** Builds an operation (typed by its name). */
export function operation<N extends OperationName>(
  op: N,
  input: Inputs[N],
  resource: string,
  extra: { guard?: Guard; part?: "create" | "delete" } = {},
): Extract<Operation, { op: N }> {
  return { op, input, resource, ...extra } as Extract<Operation, { op: N }>;
}

/** Operations that create or delete a resource (after them, the deploy records the new state before going on). */
export const EXISTENCE: ReadonlySet<OperationName> = new Set([
  "CreateJobTemplate",
  "DeleteJobTemplate",
  "CreateJob",
  "DeleteJob",
  "CreateThingGroup",
  "DeleteThingGroup",
  "CreateThing",
  "DeleteThing",
]);

/** How a guard reads in a plan. */
export function guardText(guard: Guard | undefined): string | undefined {
  switch (guard?.kind) {
    case "job-not-finished":
      return "skipped if the job has finished (COMPLETED or CANCELED): IoT does not update finished jobs";
    case "job-cancelable":
      return `if the job is still IN_PROGRESS or SCHEDULED${guard.force ? " (force: executions in progress on devices are cancelled too)" : "; refused if devices are running it"}`;
    case "job-gone":
      return `then waits until IoT no longer knows the job (at most ${guard.timeoutSeconds}s)`;
    default:
      return undefined;
  }
}

/** An operation as a plan shows it (no inputs: they may hold secrets). */
export interface PlannedOperation {
  /** API operation, named as in the SDK (e.g. "CreateJobTemplate"). */
  operation: OperationName;
  /** The physical id it acts on. */
  resource: string;
  /** When the call depends on what the live resource looks like at deploy time. */
  condition?: string;
}

export function planned(o: Operation): PlannedOperation {
  const condition = guardText(o.guard);
  return { operation: o.op, resource: o.resource, ...(condition ? { condition } : {}) };
}
