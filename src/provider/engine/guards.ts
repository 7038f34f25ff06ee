/**
 * What the handler checks before a resource's first call, beyond its props:
 * whose the resource its state names is (src/provider/engine/ownership.ts), and
 * what it refers to (src/provider/engine/references.ts). And when a run may read
 * for that: a deploy always; a preview with --refresh, or as a deploy's
 * whole-program check (which reads references, not each changing resource).
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import type { Scope } from "alchemy";
import type { Location } from "../location.ts";
import { ValidationError } from "../validate.ts";
import type { Desired, Kind, Observed, Recorded, Reference } from "./contract.ts";
import { physicalIdOf } from "./observation.ts";
import { OwnershipError, ownershipError, stateWhere, verdictOf, verifyRecorded } from "./ownership.ts";
import { currentRecorder } from "./recorder.ts";
import { checkDeclared, exists, isDeclared, missing } from "./references.ts";

/** May this run read live resources? A deploy always; a preview with --refresh, or as a deploy's whole-program check. */
export function readsAllowed(): boolean {
  const recorder = currentRecorder();
  return !recorder || recorder.refresh || recorder.verify;
}

/**
 * May this run read the ownership of what its own state names? A deploy
 * always (next to its calls, one read per resource that changes), a preview
 * with --refresh; not a deploy's whole-program check, which would read every
 * changing resource before the first change, in series with the deploy.
 */
export function ownReadsAllowed(): boolean {
  const recorder = currentRecorder();
  return !recorder || recorder.refresh;
}

/** The resource being applied, as the checks need it. */
export interface Subject {
  kind: Kind<any, any, any>;
  ctx: { id: string; fqn: string; scope: Scope };
  client: IoTClient;
  location: Location;
  label: string;
  desired: Desired;
}

/** Refuses (before any call) a state that names a resource whose own records name another owner. */
export async function assertOwned(
  subject: Subject,
  recorded: Recorded,
  observed: Observed | null | undefined,
  doing: string,
): Promise<void> {
  const { kind, ctx, client, label, desired } = subject;
  // A live read made already (--force, --refresh) answers without another one.
  const verdict =
    observed === undefined ? await verifyRecorded(kind, client, recorded, desired.ownership) : verdictOf(kind, recorded, observed);
  if (verdict.kind === "other")
    throw ownershipError(label, kind.noun, physicalIdOf(kind, recorded.state), stateWhere(ctx.scope, ctx.id, ctx.fqn), verdict, doing);
}

/**
 * The resource's references, before its first call: the program's own
 * resources must point at what they own; when `existence`, the others must
 * exist (a preview checks those once it knows the whole program).
 */
export async function checkReferences(subject: Subject, references: Reference[], existence: boolean): Promise<void> {
  const { ctx, client, location, label } = subject;
  const problems = await checkDeclared(ctx.fqn, references, client, location, label);
  if (existence) {
    // A forward reference is checked by the whole-program check only (Reference.forward).
    const others = references.filter((r) => !isDeclared(ctx.fqn, r) && !r.forward);
    const found = await Promise.all(others.map((r) => exists(r, client, location)));
    others.forEach((r, i) => found[i] || problems.push(missing(r, location.description)));
  }
  if (problems.length === 0) return;
  const owned = problems.filter((p) => p.ownership);
  if (owned.length > 0) throw new OwnershipError(owned.map((p) => p.message).join("\n"));
  throw new ValidationError(
    label,
    problems.map((p) => ({ path: p.path, message: p.message })),
  );
}

/**
 * Runs checks one after the other and throws what they found together: the
 * issues of several ValidationErrors become one, so that a resource's every
 * problem is named at once. Any other error is thrown as it is.
 */
export async function allOf(checks: Array<() => Promise<unknown> | undefined>): Promise<void> {
  const failed: ValidationError[] = [];
  for (const check of checks) {
    try {
      await check();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      failed.push(error);
    }
  }
  if (failed.length === 1) throw failed[0];
  if (failed.length > 1)
    throw new ValidationError(
      failed[0].resource,
      failed.flatMap((e) => e.issues),
    );
}
