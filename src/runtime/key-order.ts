/**
 * Reordering the keys of an object (a job document, tags, attributes, the
 * props themselves) changes nothing the provider compares, but Alchemy 0.94
 * decides whether to run a resource's update phase by comparing
 * `JSON.stringify` of the serialized props with the recorded ones, where key
 * order counts: it would run the handler and print "Updated Resource" for a
 * change that the plan rightly calls none.
 *
 * So a resource's props, as Alchemy receives them, take the key order of the
 * props recorded in state wherever the same keys are there: Alchemy then finds
 * them equal exactly when they are equal as JSON values, and skips the
 * resource. Only key order is touched (never a value, never an array's
 * order), and only of plain objects; what the resource sends keeps the
 * recorded order, which is also what IoT has.
 *
 * The wrapper of each resource (src/provider/engine/define.ts) registers its
 * props before handing them to Alchemy; Alchemy calls the scope's `init`
 * before it reads the state and compares, and the stage hooks
 * (src/runtime/stage.ts) settle the order there, from the recorded props.
 */
import type { Scope } from "alchemy";

interface Pending {
  props: Record<string, unknown>;
  /** Settles the order; true when the resource is recorded as deployed (created or updated). */
  settled?: Promise<boolean>;
}

const KEY = Symbol.for("alchemy-iot-jobs.key-order");
const g = globalThis as Record<PropertyKey, unknown>;
/** Per scope, by resource id: props handed to Alchemy whose order is not settled yet (shared by every copy of the package). */
const pending = (g[KEY] ??= new WeakMap<Scope, Map<string, Pending>>()) as WeakMap<Scope, Map<string, Pending>>;

/** Registers the props of resource `id` (an object of the wrapper's own) before Alchemy receives them. */
export function keepRecordedKeyOrder(scope: Scope, id: string, props: Record<string, unknown>): void {
  let byId = pending.get(scope);
  if (!byId) pending.set(scope, (byId = new Map()));
  byId.set(id, { props });
}

/**
 * Puts the registered props of resource `id` of the scope, or when no id is
 * given of all the scope's resources, in their recorded key order (the init
 * hook calls it). For one resource, says whether its state records it as
 * deployed (created or updated): Alchemy may then find nothing to do.
 */
export async function settleKeyOrder(scope: Scope, id?: string): Promise<boolean> {
  const byId = pending.get(scope);
  if (!byId || byId.size === 0) return false;
  const settleOne = (id: string, p: Pending) =>
    (p.settled ??= settle(scope, id, p.props).finally(() => byId.get(id) === p && byId.delete(id)));
  if (id !== undefined) {
    const p = byId.get(id);
    return p ? settleOne(id, p) : false;
  }
  await Promise.all([...byId].map(([id, p]) => settleOne(id, p)));
  return false;
}

async function settle(scope: Scope, id: string, props: Record<string, unknown>): Promise<boolean> {
  // A state that cannot be read is Alchemy's to report, when it reads it next.
  const state = await scope.state.get(id).catch(() => undefined);
  if (!state || (state.status !== "created" && state.status !== "updated")) return false;
  const ordered = inRecordedOrder(props, state.props);
  if (ordered === props) return true;
  // The props object is the wrapper's own: its keys are put in order in place.
  for (const key of Object.keys(props)) delete props[key];
  Object.assign(props, ordered);
  return true;
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/**
 * `value` with the key order of `recorded`: the keys `recorded` has first, in
 * its order, then the new ones, at every depth of plain objects and arrays.
 * The very same object when nothing moves.
 */
export function inRecordedOrder<T>(value: T, recorded: unknown): T {
  if (Array.isArray(value)) {
    if (!Array.isArray(recorded)) return value;
    const items = value.map((v, i) => inRecordedOrder(v, recorded[i]));
    return items.some((v, i) => v !== value[i]) ? (items as T) : value;
  }
  if (!isPlain(value) || !isPlain(recorded)) return value;
  const keys = [
    ...Object.keys(recorded).filter((k) => Object.hasOwn(value, k)),
    ...Object.keys(value).filter((k) => !Object.hasOwn(recorded, k)),
  ];
  const own = Object.keys(value);
  let moved = keys.some((k, i) => k !== own[i]);
  const out: Record<PropertyKey, unknown> = Object.create(Object.getPrototypeOf(value));
  for (const k of keys) {
    out[k] = inRecordedOrder(value[k], recorded[k]);
    if (out[k] !== value[k]) moved = true;
  }
  if (!moved) return value;
  for (const s of Object.getOwnPropertySymbols(value)) out[s] = (value as Record<symbol, unknown>)[s];
  return out as T;
}
