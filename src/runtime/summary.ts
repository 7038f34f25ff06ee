/**
 * What a deploy or a destroy really did to each of this package's resources,
 * printed after Alchemy's own lines, because Alchemy's words follow its
 * phases, not what happened: an adoption runs in its create phase and it says
 * "Created"; a resource created again (it was deleted out of band) runs in its
 * update phase and it says "Updated"; under --force every handler runs and it
 * says "Updated" for each; a record of a resource that was never created is
 * dropped and it says "Deleted". (docs/preview.md, "Alchemy's console lines".)
 *
 * The engine records, by resource address, what each handler carried out (the
 * change it decided) and every mutating call that succeeded; the stage hooks
 * (src/runtime/stage.ts) print it when the stage is finalized (a deploy) or
 * its destroy has run, one line per resource and a total:
 *
 *   [iot] firmware-template  replaced (DeleteJobTemplate, CreateJobTemplate)
 *   [iot] total: 0 created, 0 updated, 1 replaced, 0 adopted, 0 deleted, 0 unchanged; 2 calls
 *
 * Nothing is printed in quiet mode (Alchemy's `quiet`), by a preview or a
 * rehearsal, or for a stage without any of this package's resources. The book
 * lives on `globalThis`, so every copy of the package records into the one the
 * installed hooks print.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Scope } from "alchemy";
import { currentMode } from "./registry.ts";

/** What was done to one resource. */
export type Outcome = "created" | "updated" | "replaced" | "deleted" | "unchanged" | "moved" | "moved-away" | "forgotten";

export interface Done {
  address: string;
  /** What the handler carried out (its last decision); unset when it failed before deciding. */
  outcome?: Outcome;
  /** The resource existed already and was taken over. */
  adopted: boolean;
  /** Mutating calls that succeeded, in order (the API's operation names). */
  calls: string[];
  /** A few words more (where a move went, why nothing was deleted). */
  note?: string;
  /** The handler failed: its error's first line. */
  failed?: string;
}

interface Book {
  version: 1;
  current: AsyncLocalStorage<Done>;
  /** Per stage scope (a new one every run), by address. */
  stages: WeakMap<Scope, Map<string, Done>>;
  printed: WeakSet<Scope>;
  /** The resource types of this package (`iot::Job`, ...), whose unchanged resources are counted too. */
  types: Set<string>;
}

const KEY = Symbol.for("alchemy-iot-jobs.summary");
const g = globalThis as Record<PropertyKey, unknown>;

function book(): Book {
  const found = g[KEY] as Book | undefined;
  if (found?.version === 1) return found;
  const fresh: Book = { version: 1, current: new AsyncLocalStorage(), stages: new WeakMap(), printed: new WeakSet(), types: new Set() };
  g[KEY] = fresh;
  return fresh;
}

/** The stage a scope belongs to (the child of the root scope). */
function stageOf(scope: Scope): Scope | undefined {
  let s: Scope = scope;
  while (s.parent?.parent) s = s.parent;
  return s.parent ? s : undefined;
}

/** Says that resources of this type are this package's. */
export function noteResourceType(type: string): void {
  book().types.add(type);
}

/**
 * Runs a handler with its record as the current one: what it decides and the
 * calls it makes are written there. A preview or rehearsal records nothing.
 */
export function within<T>(scope: Scope, address: string, fn: () => Promise<T>): Promise<T> {
  const stage = stageOf(scope);
  if (!stage || currentMode()) return fn();
  const b = book();
  let entries = b.stages.get(stage);
  if (!entries) b.stages.set(stage, (entries = new Map()));
  let done = entries.get(address);
  if (!done) entries.set(address, (done = { address, adopted: false, calls: [] }));
  // A stage scope that printed a summary and runs again (a destroy after a deploy, in one process) prints again.
  b.printed.delete(stage);
  return b.current.run(done, fn);
}

/** The record of the handler running now, if any. */
export function currentDone(): Done | undefined {
  return book().current.getStore();
}

/** A mutating call succeeded (the clients report it). */
export function recordCall(operation: string): void {
  currentDone()?.calls.push(operation);
}

/** What Alchemy 0.94 names a resource in its lines: its address without the app and stage. */
const displayName = (address: string) => address.split("/").slice(2).join(" > ");

const KIND = Symbol.for("alchemy::ResourceKind");
const FQN = Symbol.for("alchemy::ResourceFQN");

/** This package's resources that the program declared in the stage (and its nested scopes), by address. */
function declared(scope: Scope, types: Set<string>, out: Set<string>): Set<string> {
  for (const r of scope.resources.values()) {
    const meta = r as unknown as Record<symbol, unknown>;
    if (types.has(meta[KIND] as string) && typeof meta[FQN] === "string") out.add(meta[FQN] as string);
  }
  for (const child of scope.children.values()) declared(child, types, out);
  return out;
}

function describe(d: Done): string {
  const calls = d.calls.length > 0 ? d.calls.join(", ") : "no call";
  const note = d.note ? `: ${d.note}` : "";
  if (d.failed) return `failed (${d.calls.length > 0 ? `after ${calls}` : "no call"}): ${d.failed}`;
  const outcome = d.outcome ?? "unchanged";
  let word =
    outcome === "updated"
      ? d.calls.length > 0
        ? "updated in place"
        : "updated in state only"
      : outcome === "moved-away"
        ? "moved"
        : outcome === "forgotten"
          ? "not deleted"
          : outcome;
  if (d.adopted) word = outcome === "unchanged" ? "adopted" : `adopted, ${word}`;
  return `${word} (${calls})${note}`;
}

/**
 * The summary's lines for a stage: one per resource, sorted by address, then
 * the total. A deploy also counts the resources whose handler Alchemy did not run.
 */
export function summaryLines(stage: Scope, deploy: boolean): string[] {
  const b = book();
  const entries = new Map(b.stages.get(stage) ?? []);
  if (deploy) {
    // Resources whose handler Alchemy did not run (their props did not change): unchanged, no call.
    for (const address of declared(stage, b.types, new Set())) {
      if (!entries.has(address)) entries.set(address, { address, outcome: "unchanged", adopted: false, calls: [] });
    }
  }
  if (entries.size === 0) return [];
  const rows = [...entries.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const width = Math.max(...rows.map((d) => displayName(d.address).length));
  const counts: Record<string, number> = { created: 0, updated: 0, replaced: 0, adopted: 0, deleted: 0, unchanged: 0 };
  let calls = 0;
  const lines = rows.map((d) => {
    const key = d.failed ? "failed" : d.adopted ? "adopted" : d.outcome === "moved-away" ? "" : (d.outcome ?? "unchanged");
    if (key) counts[key] = (counts[key] ?? 0) + 1;
    calls += d.calls.length;
    return `[iot] ${displayName(d.address).padEnd(width)}  ${describe(d)}`;
  });
  const total = Object.entries(counts)
    .map(([word, n]) => `${n} ${word}`)
    .join(", ");
  return [...lines, `[iot] total: ${total}; ${calls} ${calls === 1 ? "call" : "calls"}`];
}

/**
 * Prints the stage's summary once, after Alchemy's lines (`deploy`: at the
 * end of a deploy; else of a destroy). Nothing when quiet, in a preview or a rehearsal.
 */
export function printSummary(stage: Scope, deploy: boolean): void {
  const b = book();
  if (b.printed.has(stage) || currentMode()) return;
  b.printed.add(stage);
  const lines = summaryLines(stage, deploy);
  b.stages.delete(stage);
  if (stage.quiet) return;
  for (const line of lines) stage.logger.log(line);
}
