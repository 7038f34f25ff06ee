/**
 * A state store that reads through to the real one and keeps every write in
 * memory, so a preview runs the program exactly like a deploy without
 * changing Alchemy's state (file store, S3 store or any other).
 *
 * Overlays are shared by store location (the scope chain), because Alchemy
 * creates several Scope objects, each with its own store instance, for the
 * same place in the state tree.
 */
import type { Scope, State, StateStore } from "alchemy";

interface OverlayData {
  /** Key -> serialized state, or null for a deleted key. */
  entries: Map<string, string | null>;
}

const overlays = new Map<string, OverlayData>();
const wrapped = new WeakSet<object>();

function dataFor(scope: Scope): OverlayData {
  const key = scope.chain.join("/");
  let data = overlays.get(key);
  if (!data) {
    data = { entries: new Map() };
    overlays.set(key, data);
  }
  return data;
}

/**
 * Wraps a scope's state store. Values are kept serialized (JSON) and revived
 * on read, like the file store does, so callers never share mutable objects.
 */
export function overlayStore(scope: Scope, inner: StateStore, serde: Serde): StateStore {
  const data = dataFor(scope);
  const store: StateStore = {
    async init() {
      // The real store would create its container (a directory, a table): not in a preview.
    },
    async deinit() {},
    async list() {
      const keys = new Set(await inner.list());
      for (const [k, v] of data.entries) {
        if (v === null) keys.delete(k);
        else keys.add(k);
      }
      return [...keys];
    },
    async count() {
      return (await store.list()).length;
    },
    async get(key) {
      const entry = data.entries.get(key);
      if (entry === null) return undefined;
      if (entry !== undefined) return serde.revive(scope, entry);
      return inner.get(key);
    },
    async getBatch(ids) {
      const out: Record<string, State> = {};
      for (const id of ids) {
        const s = await store.get(id);
        if (s !== undefined) out[id] = s;
      }
      return out;
    },
    async all() {
      return store.getBatch(await store.list());
    },
    async set(key, value) {
      data.entries.set(key, await serde.freeze(scope, value));
    },
    async delete(key) {
      data.entries.set(key, null);
    },
    async listScopes() {
      return (await inner.listScopes?.()) ?? [];
    },
  };
  wrapped.add(store);
  return store;
}

export function isOverlay(store: object): boolean {
  return wrapped.has(store);
}

/** Forgets every overlay's writes (a new preview in the same process starts from the real stores). */
export function resetOverlays(): void {
  overlays.clear();
}

/** How overlay entries are stored: Alchemy's own serializer, so secrets stay encrypted. */
export interface Serde {
  freeze(scope: Scope, state: State): Promise<string>;
  revive(scope: Scope, text: string): Promise<State>;
}

/** A store with nothing in it: under an overlay, a run that starts from no state at all (a rehearsal). */
export const EMPTY_STORE: StateStore = {
  async init() {},
  async deinit() {},
  async list() {
    return [];
  },
  async count() {
    return 0;
  },
  async get() {
    return undefined;
  },
  async getBatch() {
    return {};
  },
  async all() {
    return {};
  },
  async set() {},
  async delete() {},
  async listScopes() {
    return [];
  },
};
