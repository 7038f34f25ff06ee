/**
 * What a resource refers to (a job's template and targets, a thing's groups,
 * a group's parent), checked before anything is done with it:
 *
 * - a reference to a resource the program declares (passed as the resource
 *   itself) must point at what that resource owns: the state the program
 *   reads it from may have been edited or copied (its ownership records are
 *   read, src/provider/engine/ownership.ts);
 * - a reference the program does not declare must exist where the resource
 *   lives (one read per referenced resource and run).
 *
 * A deploy checks them in the handler, before the resource's first call; a
 * preview records them and checks them once it knows the whole program:
 * what the program declares later is no problem.
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import { ResourceFQN, ResourceKind, ResourceScope, type Scope } from "alchemy";
import type { Location } from "../location.ts";
import { isUnknown } from "../unknown.ts";
import type { Reference } from "./contract.ts";
import { kindOf } from "./kinds.ts";
import { physicalIdOf } from "./observation.ts";
import { ownershipError, stateWhere, verifyRecorded, type OwnershipError } from "./ownership.ts";

export type { Reference };

/** A resource of the program passed in another's props. */
interface Declared {
  address: string;
  type: string;
  output: Record<string | symbol, unknown>;
}

const declaredBy = new Map<string, Declared[]>();

/** The program's resources passed in `props` (to the depth props nest), remembered for the resource at `address`. */
export function noteDeclared(address: string, props: unknown): void {
  const found: Declared[] = [];
  const walk = (value: unknown, depth: number) => {
    if (!value || typeof value !== "object" || depth > 3) return;
    const v = value as Record<string | symbol, unknown>;
    const type = v[ResourceKind];
    if (typeof type === "string" && typeof v[ResourceFQN] === "string" && !!kindOf(type)) {
      found.push({ address: v[ResourceFQN] as string, type, output: v });
      return;
    }
    for (const child of Array.isArray(value) ? value : Object.values(value)) walk(child, depth + 1);
  };
  walk(props, 0);
  declaredBy.set(address, found);
}

/** What one check found wrong. */
export interface ReferenceProblem {
  path: string;
  message: string;
  ownership?: OwnershipError;
}

const reads = new Map<string, Promise<unknown>>();

/** One read per location, kind and id in a process (a run checks each referenced resource once). */
function once<T>(key: string, read: () => Promise<T>): Promise<T> {
  let pending = reads.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = read();
    reads.set(key, pending);
    pending.catch(() => reads.delete(key));
  }
  return pending;
}

/** Forgets what earlier checks read (a new run in the same process: tests, `alchemy dev`). */
export function forgetReferenceReads(): void {
  reads.clear();
}

/**
 * The references of a resource that point at the program's own resources:
 * each must be what that resource's state says it owns. Returns the problems.
 */
export async function checkDeclared(
  address: string,
  refs: readonly Reference[],
  client: IoTClient,
  location: Location,
  label: string,
): Promise<ReferenceProblem[]> {
  const declared = declaredBy.get(address) ?? [];
  const problems: ReferenceProblem[] = [];
  await Promise.all(
    refs.map(async (ref) => {
      const match = declared.find((d) => d.type === ref.type && idOf(d) === ref.id);
      const kind = match && kindOf(match.type);
      const recorded = kind?.recorded(match!.output as never);
      if (!match || !kind || !recorded || recorded.state.location !== location.key || recorded.state.region !== location.region) return;
      const [app, stage] = match.address.split("/");
      const verdict = await once(`owner|${location.key}|${location.region}|${ref.type}|${ref.id}|${match.address}`, () =>
        verifyRecorded(kind, client, recorded, { app, stage, resource: match.address }),
      );
      if (verdict.kind !== "other") return;
      const scope = match.output[ResourceScope] as Scope | undefined;
      const id = match.address.split("/").pop()!;
      const where = scope ? stateWhere(scope, id, match.address) : `the state of ${match.address}`;
      const error = ownershipError(`${kind.label} "${id}"`, kind.noun, ref.id, where, verdict, "used");
      problems.push({
        path: ref.path,
        message: `${label}: ${ref.path} is ${kind.label} "${id}" (${match.address}); ${error.message}`,
        ownership: error,
      });
    }),
  );
  return problems;
}

/** Is `ref` one of the program's resources passed as such (checked by checkDeclared)? */
export function isDeclared(address: string, ref: Reference): boolean {
  return (declaredBy.get(address) ?? []).some((d) => d.type === ref.type && idOf(d) === ref.id);
}

/** Does the referenced resource exist where the resource lives? (One read per run.) */
export function exists(ref: Reference, client: IoTClient, location: Location): Promise<boolean> {
  const kind = kindOf(ref.type);
  if (!kind || isUnknown(ref.id)) return Promise.resolve(true);
  return once(
    `exists|${location.key}|${location.region}|${ref.type}|${ref.id}`,
    async () => (await kind.observe(client, ref.id, undefined, undefined)) !== null,
  );
}

/** The problem of a reference that neither the program declares nor exists. */
export function missing(ref: Reference, where: string): ReferenceProblem {
  const noun = kindOf(ref.type)?.noun ?? ref.type;
  return { path: ref.path, message: `${ref.path}: ${noun} "${ref.id}" does not exist in ${where}, and the program does not declare it` };
}

const idOf = (d: Declared) => {
  const kind = kindOf(d.type);
  const recorded = kind?.recorded(d.output as never);
  if (recorded) return physicalIdOf(kind!, recorded.state);
  return String((d.output as Record<string, unknown>)[kind?.idMember ?? ""] ?? "");
};
