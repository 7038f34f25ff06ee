/**
 * Installed before Alchemy is loaded (it must not import Alchemy): Alchemy
 * keeps its current-scope storage and its provider registry on globals that
 * it creates only when absent. A preview puts its own there:
 *
 * - a scope storage that hands every scope it enters to the preview, which
 *   swaps the scope's state store for an in-memory overlay, and
 * - a provider registry whose lookups return planning handlers instead of
 *   the real ones.
 *
 * The hooks are set by a preview session (session.ts) while it is open;
 * without them, both behave exactly as Alchemy's own.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { registry } from "../runtime/registry.ts";

export interface PreviewHooks {
  enterScope(scope: unknown): void;
  provider(kind: string, provider: unknown): unknown;
}

const g = globalThis as Record<PropertyKey, any>;

/** Installs (or removes) the hooks, in the process-wide registry: whichever copy loaded these globals finds them. */
export function setHooks(hooks: PreviewHooks | undefined): void {
  registry().hooks = hooks;
}

const hooks = (): PreviewHooks | undefined => registry().hooks as PreviewHooks | undefined;

class PreviewScopeStorage<T> extends AsyncLocalStorage<T> {
  override run<R>(store: T, callback: (...args: any[]) => R, ...args: any[]): R {
    if (store) hooks()?.enterScope(store);
    return super.run(store, callback, ...args);
  }
  override enterWith(store: T): void {
    if (store) hooks()?.enterScope(store);
    super.enterWith(store);
  }
}

class PreviewProviders<V> extends Map<string, V> {
  override get(kind: string): V | undefined {
    const provider = super.get(kind);
    const h = hooks();
    return provider && h ? (h.provider(kind, provider) as V) : provider;
  }
}

if (g.__ALCHEMY_STORAGE__ || g.ALCHEMY_PROVIDERS) {
  throw new Error("The preview runtime must be loaded before Alchemy (node --import).");
}
g.__ALCHEMY_STORAGE__ = new PreviewScopeStorage();
g.ALCHEMY_PROVIDERS = new PreviewProviders();
