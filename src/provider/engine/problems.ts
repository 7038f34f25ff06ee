/**
 * How a preview goes on after a problem: the handler records it (one per
 * issue, naming the resource and the prop) and gives the program what the
 * deploy would have given it, so that the program runs to its end and every
 * problem of it is listed (src/preview/checks.ts adds the whole-program ones).
 */
import type { Context } from "alchemy";
import { AlreadyExistsError, withoutLocation } from "../common.ts";
import type { Location } from "../location.ts";
import { ManagedByStackError } from "../stack-guard.ts";
import { ValidationError } from "../validate.ts";
import { accountOf } from "./accounts.ts";
import type { Change } from "./change.ts";
import type { Desired, Kind, Recorded } from "./contract.ts";
import { view } from "./observation.ts";
import { OwnershipError } from "./ownership.ts";
import { currentRecorder } from "./recorder.ts";

type Ctx = Context<any, any>;

/** What the handler knew of the desired resource (by its context), for a preview that records a problem and goes on. */
const desiredOf = new WeakMap<object, { desired: Desired; location: Location }>();

export function noteDesired(ctx: Ctx, desired: Desired, location: Location): void {
  desiredOf.set(ctx, { desired, location });
}

/** Problems a preview lists (and the deploy refuses before its first change); anything else stops the preview. */
export function isProblem(error: unknown): boolean {
  return (
    error instanceof ValidationError ||
    error instanceof AlreadyExistsError ||
    error instanceof OwnershipError ||
    error instanceof ManagedByStackError
  );
}

/**
 * Records a problem in the preview and returns what the deploy would have
 * given the program (the predicted output), so the program goes on and every
 * problem of it is found. A create refused because the name is taken is kept
 * as a create too: the whole-program check may find that it moved here.
 */
export function recordProblem(kind: Kind<any, any, any>, ctx: Ctx, id: string, rawProps: object, error: Error): any {
  const recorder = currentRecorder()!;
  const known = desiredOf.get(ctx);
  const taken = error instanceof AlreadyExistsError && ctx.phase === "create";
  if (error instanceof ValidationError) {
    for (const issue of error.issues)
      recorder.problem({ address: ctx.fqn, type: kind.type, name: id, path: issue.path, message: `${error.resource}: ${issue.message}` });
  } else {
    recorder.problem({ address: ctx.fqn, type: kind.type, name: id, message: error.message, ...(taken ? { taken } : {}) });
  }
  if (ctx.phase === "delete") return ctx.destroy();
  const props = withoutLocation(rawProps);
  if (!known) return { ...props };
  const { desired, location } = known;
  if (taken) {
    recorder.change({
      address: ctx.fqn,
      type: kind.type,
      name: id,
      physicalId: desired.id,
      phase: "create",
      change: kind.decide(undefined, desired),
      before: null,
      after: view(desired.state),
      sensitive: [...desired.sensitive].sort(),
      forced: false,
      location: `${location.key}|${location.region}`,
      subject: { kind, desired },
    });
  }
  return kind.output(props, desired, kind.predict(desired, location, accountOf(location)), location);
}

/** A preview's record of a stale state entry that a deploy forgets (no call). */
export function recordForgotten(kind: Kind<any, any, any>, ctx: Ctx, id: string, recorded: Recorded, change: Change, note: string): void {
  currentRecorder()!.change({
    address: ctx.fqn,
    type: kind.type,
    name: ctx.id,
    physicalId: id,
    phase: "delete",
    change: { ...change, operations: [], warnings: [], notes: [note], impact: undefined },
    before: view(recorded.state),
    after: null,
    sensitive: [],
    forced: false,
  });
}
