/**
 * Carries out a plan's operations: each one is one SDK call with exactly the
 * planned input, in order. What the plan marks as conditional (its guards) is
 * checked by the check its kind registered (`registerGuard`), reading only
 * when the answer is not known otherwise; a check may skip the call, wait
 * after it, or refuse it, but never changes its input. After every call that
 * creates or deletes something, `progress` lets the handler record it in
 * state before the next call starts.
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import { ConflictException, ResourceAlreadyExistsException, ResourceNotFoundException } from "../iot-sdk.ts";
import type { Location } from "../location.ts";
import { changesExistence, commandOf, type Operation } from "./operations.ts";

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
  /** What one guard found out for the next ones of the same plan (e.g. that a job is being deleted already). */
  found: Set<string>;
  /**
   * Operations a guard skipped, with why, the resource's status (when the
   * guard read it) and the members the skipped call would have changed (kept
   * in state, not applied).
   */
  skipped: Array<{ operation: Operation; reason: string; status?: string; kept?: string[] }>;
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

/** A guard refused the call before sending it: nothing was changed. */
export class Refusal extends Error {
  override name = "Refusal";
}

/** What a guard's check answers instead of a response: the call was skipped, or (for a deletion) the resource is gone already. */
export const SKIPPED = Symbol("skipped");
export const GONE = Symbol("gone");

/**
 * A guard's check: runs the operation (with `send`, which sends it as
 * planned) or skips it, reading what it must first. It answers the response,
 * SKIPPED (nothing sent), GONE (the resource is gone: the rest of the plan is
 * moot), or throws (a Refusal when it stopped before sending).
 */
export type GuardCheck = (ctx: ExecuteContext, operation: Operation, done: Executed) => Promise<unknown>;

const checks = new Map<string, GuardCheck>();

/** Registers how the guards of one kind are checked (a kind's module does it as it loads). */
export function registerGuard(kind: string, check: GuardCheck): void {
  checks.set(kind, check);
}

export async function execute(ctx: ExecuteContext, operations: readonly Operation[]): Promise<Executed> {
  const done: Executed = { responses: new Map(), skipped: [], found: new Set() };
  let gone = false;
  for (const operation of operations) {
    // The resource is gone already: the rest of its own calls are moot; side calls (other things) are still made.
    if (gone && !operation.side) continue;
    let response: unknown;
    try {
      response = await one(ctx, operation, done);
    } catch (error) {
      if (!withoutEffect(error)) ctx.changed?.();
      throw error;
    }
    if (response === GONE) {
      gone = true;
      continue;
    }
    if (response === SKIPPED) continue;
    done.responses.set(operation.op, response);
    if (changesExistence(operation.op)) await ctx.progress?.(operation, response);
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
    if (e instanceof AlreadyThere || e instanceof Vanished || e instanceof Refusal) return true;
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if ((e as { $fault?: string }).$fault === "client" && status !== undefined && status >= 400 && status < 500) return true;
  }
  return false;
}

function one(ctx: ExecuteContext, operation: Operation, done: Executed): Promise<unknown> {
  if (!operation.guard) return send(ctx, operation);
  const check = checks.get(operation.guard.kind);
  if (!check) throw new Error(`${operation.op}: no check is registered for its guard "${operation.guard.kind}"`);
  return check(ctx, operation, done);
}

/** Sends the operation as planned; a create that finds the id taken, or a change that finds the resource gone, is signalled. */
export async function send(ctx: ExecuteContext, operation: Operation): Promise<unknown> {
  const Command = commandOf(operation.op);
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
