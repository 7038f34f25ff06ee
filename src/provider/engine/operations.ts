/**
 * Typed operations: every API call a plan can make, with the exact SDK input
 * it sends. A decision produces them, the preview renders them, and the
 * deploy sends them (src/provider/engine/execute.ts): the same objects, so
 * the two cannot disagree about what is called with what.
 *
 * The operations are the IoT API's own, derived from the SDK: every
 * `<Name>Command` of `@aws-sdk/client-iot` is an operation `<Name>` whose
 * input is that command's input, so a new kind names its calls without
 * registering them anywhere.
 */
import type * as SDK from "@aws-sdk/client-iot";
import { sdk } from "../iot-sdk.ts";

type Commands = typeof SDK;
type CommandKey = Extract<keyof Commands, `${string}Command`>;

/** Every IoT API operation, named as in the SDK without "Command" (e.g. "CreateJobTemplate"). */
export type OperationName = CommandKey extends infer K
  ? K extends `$${string}`
    ? never
    : K extends `${infer N}Command`
      ? K extends keyof Commands
        ? Commands[K] extends abstract new (...args: any) => any
          ? N
          : never
        : never
      : never
  : never;

/** The SDK input of an operation. */
export type InputOf<N extends OperationName> = `${N}Command` extends keyof Commands
  ? Commands[`${N}Command`] extends abstract new (...args: infer A) => any
    ? Exclude<A[0], undefined>
    : never
  : never;

/**
 * A condition the live resource must meet when the call is due: checked by
 * the deploy (reading only when it must: the kind that plans it registers
 * how, see `registerGuard` in execute.ts), shown by the preview as `text`.
 * A guard never changes the call's input: what is sent is what was planned.
 */
export interface Guard {
  /** Which registered check runs it, e.g. "job-not-finished". */
  kind: string;
  /** How the plan shows it, e.g. "skipped if the job has finished". */
  text: string;
  /** What the check needs (a deletion's timeout, ...). */
  [detail: string]: unknown;
}

/** One call of the operation N: its SDK input, and what it is for. */
export interface OperationOf<N extends OperationName> {
  op: N;
  input: InputOf<N>;
  /** The physical id it acts on, for people (e.g. a job id, or "thing → group"). */
  resource: string;
  guard?: Guard;
  /** In a replacement: whether the call creates the new resource or deletes the old one. */
  part?: "create" | "delete";
  /**
   * A call on another thing than the resource itself (a Rollout's wave groups): not recorded as the
   * resource's creation or deletion, and still made when the resource turns out to be gone already.
   */
  side?: true;
}

/**
 * One call of any operation. (Built with `operation`, which types the input
 * by the name; held as this one type, as a union of every operation's own
 * would be too large for the compiler to check against.)
 */
export interface Operation {
  op: OperationName;
  input: object;
  resource: string;
  guard?: Guard;
  part?: "create" | "delete";
  side?: true;
}

/** Builds an operation (typed by its name). */
export function operation<N extends OperationName>(
  op: N,
  input: NoInfer<InputOf<N>>,
  resource: string,
  extra: { guard?: Guard; part?: "create" | "delete"; side?: true } = {},
): Operation {
  return { op, input: input as object, resource, ...extra };
}

/** The SDK command that sends an operation. */
export function commandOf(op: OperationName): new (input: unknown) => Parameters<SDK.IoTClient["send"]>[0] {
  const Command = (sdk as unknown as Record<string, unknown>)[`${op}Command`];
  if (typeof Command !== "function") throw new Error(`${op} is not an operation of the IoT API`);
  return Command as new (input: unknown) => Parameters<SDK.IoTClient["send"]>[0];
}

/** Does the operation create or delete a resource? (After it, the deploy records the new state before going on.) */
export const changesExistence = (op: OperationName): boolean => op.startsWith("Create") || op.startsWith("Delete");

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
  return { operation: o.op, resource: o.resource, ...(o.guard ? { condition: o.guard.text } : {}) };
}
