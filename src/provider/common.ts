/**
 * Pieces every resource shares: ownership of a resource, default physical
 * ids, the props the wrappers add, and errors.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { ResourceNotFoundException } from "./iot-sdk.ts";
import type { Scope } from "alchemy";
import type { Ownership } from "./tags.ts";
import { isWrongPassword, StatePasswordError, wrongPasswordMessage } from "../runtime/state/revive.ts";
import { shown, stateFileProblem, StateFileError } from "../runtime/state/check.ts";

/** The identity of an Alchemy resource, as written into ownership tags. */
export function ownershipOf(ctx: { scope: Scope; fqn: string }): Ownership {
  return { app: ctx.scope.appName, stage: ctx.scope.stage, resource: ctx.fqn };
}

export function shortHash(value: unknown, length = 8): string {
  return createHash("sha256")
    .update(typeof value === "string" ? value : JSON.stringify(value))
    .digest("hex")
    .slice(0, length);
}

/**
 * A stable physical id from the app, stage and resource id, sanitised to
 * `[a-zA-Z0-9_-]` and at most `max` characters. A name that is too long keeps
 * its start and ends with a hash of the whole name, so it stays unique. With
 * `suffix`, the suffix (e.g. a hash of replacement-forcing props) is always kept.
 */
export function defaultPhysicalId(o: Ownership, max = 64, suffix?: string): string {
  const base = `${o.app}-${o.stage}-${o.resource.split("/").slice(2).join("-") || o.resource}`.replace(/[^a-zA-Z0-9_-]/g, "-");
  const tail = suffix ? `-${suffix}` : "";
  if (base.length + tail.length <= max) return `${base}${tail}`;
  const hash = `-${shortHash(base, 6)}`;
  return `${base.slice(0, max - tail.length - hash.length)}${hash}${tail}`;
}

/**
 * The result of a call on a resource, or undefined when IoT says the
 * resource does not exist (ResourceNotFoundException); other errors propagate.
 */
export async function ifFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** A resource exists already and is not this Alchemy resource's. */
export class AlreadyExistsError extends Error {
  override name = "AlreadyExistsError";
}

/**
 * Alchemy's file store fails on a state file it cannot read with whatever
 * went wrong inside it, before any handler runs: a bare JSON SyntaxError,
 * "Cannot read properties of null" (a file holding `null`), "Cannot set
 * properties of null" (an output that is null), EISDIR (a directory in its
 * place); and on a state written with another password with the cipher's
 * "unable to authenticate data". Say which resource and file, what is wrong
 * with it, and what to do. (A deploy or a destroy checks every state of its
 * stage first, src/runtime/state/check.ts; this explains what a run without
 * that check, a preview, meets. Errors from inside a handler are never state
 * errors; see handlerErrors.)
 */
export function explainStateError(error: unknown, kind: string, id: string, scope: Scope | undefined): unknown {
  if (isWrongPassword(error)) return new StatePasswordError(wrongPasswordMessage(`${kind} "${id}"`));
  const raw = error instanceof SyntaxError || error instanceof TypeError || typeof (error as { code?: unknown })?.code === "string";
  if (!raw || !scope) return error;
  const dir = (scope.state as { dir?: unknown }).dir;
  const file = path.join(typeof dir === "string" ? dir : path.join(scope.dotAlchemy, ...scope.chain), `${id.replaceAll("/", ":")}.json`);
  const problem = stateFileProblem(file);
  if (!problem) return error;
  return new StateFileError(
    `The state of ${kind} "${id}" cannot be read: Alchemy's state file ${shown(file)} ${problem}. ` +
      `Nothing was changed. Restore the file (from version control or a backup), or delete it and deploy with --adopt ` +
      `so that the resource is taken over instead of created again. AtomicFileSystemStateStore avoids half-written state files.`,
  );
}

/** The error name of an AWS SDK error (or undefined). */
export const errorName = (error: unknown): string | undefined => (error as { name?: string } | null)?.name;

/** The prop the wrappers add: where the resource's calls go (see `locationKey`). */
export const LOCATION_PROP = "__location";

/** Props without the wrapper's `__location` (and the `__target` of state written before it was renamed). */
export function withoutLocation<P extends object>(props: P): P {
  if (!props || !(LOCATION_PROP in props || "__target" in props)) return props;
  const { [LOCATION_PROP]: _, __target: _old, ...rest } = props as Record<string, unknown>;
  return rest as P;
}

/**
 * Gives `derived` (a promise made from Alchemy's pending resource) the
 * pending resource's identity: Alchemy marks it with symbols (its id, kind,
 * scope) that callers and Alchemy itself may read from what they await.
 */
export function keepIdentity<T>(pending: Promise<unknown>, derived: Promise<T>): Promise<T> {
  for (const key of Object.getOwnPropertySymbols(pending)) {
    (derived as unknown as Record<symbol, unknown>)[key] = (pending as unknown as Record<symbol, unknown>)[key];
  }
  return derived;
}
