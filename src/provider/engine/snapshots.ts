/**
 * What a resource's state was before this run first wrote it. Alchemy marks
 * a resource "creating" or "updating" (with the new props) before it runs
 * the handler; a run refused before it changed anything must leave the
 * state exactly as it was, status included, so the first write of each key
 * in a run is preceded by a read of what was there.
 */
import type { State, StateStore } from "alchemy";

interface Snapshot {
  /** Whether the key held a state before the run wrote it. */
  existed: boolean;
  state?: State;
}

const kept = new WeakMap<StateStore, Map<string, Snapshot>>();

/** Makes `store` remember each key's state before its first write (once per store instance). */
export function keepSnapshots(store: StateStore): void {
  if (kept.has(store)) return;
  const snapshots = new Map<string, Snapshot>();
  kept.set(store, snapshots);
  const set = store.set.bind(store);
  store.set = async (key, value) => {
    if (!snapshots.has(key)) {
      const before = await store.get(key);
      // Another write may have taken the first snapshot while this one read.
      if (!snapshots.has(key)) snapshots.set(key, before === undefined ? { existed: false } : { existed: true, state: before });
    }
    return set(key, value);
  };
}

/** The state `key` held before this run first wrote it, or undefined when nothing was kept for it. */
export function snapshotOf(store: StateStore, key: string): Snapshot | undefined {
  return kept.get(store)?.get(key);
}
