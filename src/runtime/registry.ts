/**
 * The process-wide registry: the one place through which every copy of this
 * package loaded in a process (a CLI installed globally and a program's own
 * install, two installs in a monorepo, pnpm peer variants, the sources next
 * to the compiled package) finds what the process is doing:
 *
 * - the **mode**: a preview or a rehearsal in progress (a plain string on a
 *   symbol that every version of the package reads, whatever its registry);
 * - the **rehearsal's endpoint**, where every call goes during a rehearsal;
 * - the **preview's recorder and hooks** (the engine records instead of executing);
 * - the **embedded local endpoints**, one per data file, shared by every copy;
 * - the **providers** of the copies that take part (their handlers follow this registry).
 *
 * It lives on `globalThis`, versioned. A copy that finds a registry of
 * another version cannot read it: while a preview or a rehearsal is in
 * progress it refuses every call (fail closed, never the environment's
 * endpoint); otherwise it keeps a registry of its own.
 *
 * This module imports nothing of the project: every layer may use it.
 */

const KEY = Symbol.for("alchemy-iot-jobs.registry");
const MODE = Symbol.for("alchemy-iot-jobs.mode");

/** The shape of `Registry`; a copy takes part only in a registry of its own version. */
export const REGISTRY_VERSION = 1;

/** What the process runs, when it is not a deploy. */
export type Mode = "preview" | "rehearsal";

/**
 * An endpoint as any copy can use it: a URL, a region and credentials, no
 * object of another copy's code (whose classes may differ).
 */
export interface SharedEndpoint {
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  /** The identity of the endpoint's data (recorded in outputs). */
  readonly instanceId: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

export interface EmbeddedEntry {
  started: Promise<SharedEndpoint>;
  /** Whether it owns (locks and writes) its data file, or only reads it (a preview). */
  owner: boolean;
}

export interface Registry {
  readonly version: typeof REGISTRY_VERSION;
  /** Where every call goes while a rehearsal runs. */
  rehearsal?: SharedEndpoint;
  /** The preview's plan recorder (src/provider/engine/recorder.ts types it). */
  recorder?: unknown;
  /** The preview's or rehearsal's hooks into Alchemy's scope storage and provider registry (src/preview/globals.ts). */
  hooks?: unknown;
  /** Providers defined by copies that take part: a preview or rehearsal runs no other `iot::` provider. */
  readonly providers: WeakSet<object>;
  /** Embedded local endpoints, by data file. */
  readonly embedded: Map<string, EmbeddedEntry>;
  /**
   * Starts the embedded local endpoint: the emulator, injected by the
   * package's entry points (the provider never imports it; a deploy to AWS
   * never loads it).
   */
  startEmbedded?: (options: { persistPath: string; lock: boolean }) => Promise<SharedEndpoint>;
  /** Leases this process holds: every state write and mutating IoT call checks them first (src/runtime/fence.ts). */
  readonly fences: Set<{ check(what: string): void }>;
  /** Resources that moved to another address, as the deploy's whole-program check planned them. */
  moves?: PlannedMove[];
  /** The deploy's whole-program check ran and passed: references and ownership were read then. */
  checked?: boolean;
}

/** A resource whose address changed (a new id, another scope): the state follows, nothing is created or deleted. */
export interface PlannedMove {
  /** The address that recorded it, which the program no longer declares. */
  from: string;
  /** The address that declares it now. */
  to: string;
  type: string;
  physicalId: string;
  /** `location|region`. */
  location: string;
  /** Ids IoT gave it (a thing's thingId), which the resource found there must have. */
  ids?: Record<string, string>;
}

/** Every call refused because the process cannot be sure where it would go. */
export class IsolationError extends Error {
  override name = "IsolationError";
}

const g = globalThis as Record<PropertyKey, unknown>;

const fresh = (): Registry => ({ version: REGISTRY_VERSION, providers: new WeakSet(), embedded: new Map(), fences: new Set() });

/** This copy's own registry, when the process's is of another version and nothing special runs. */
let own: Registry | undefined;

/** The mode the process runs in (set by a preview's or a rehearsal's runtime), whatever copy set it. */
export function currentMode(): Mode | undefined {
  const m = g[MODE];
  return m === "preview" || m === "rehearsal" ? m : undefined;
}

/** Sets (or clears) the process's mode. */
export function setMode(mode: Mode | undefined): void {
  if (mode) g[MODE] = mode;
  else delete g[MODE];
}

/**
 * The process's registry. During a preview or a rehearsal, a copy that
 * cannot read it throws IsolationError: it must not act on its own.
 */
export function registry(): Registry {
  let r = g[KEY] as Registry | undefined;
  if (!r) {
    r = fresh();
    Object.defineProperty(g, KEY, { value: r, enumerable: false, configurable: true, writable: false });
  }
  if (r.version === REGISTRY_VERSION) return r;
  const mode = currentMode();
  if (mode) {
    throw new IsolationError(
      `A ${mode} is in progress in this process, run by a copy of alchemy-iot-jobs whose registry (version ${String((r as { version?: unknown }).version)}) ` +
        `this copy (registry version ${REGISTRY_VERSION}) cannot read, so this copy cannot be sure where its calls would go and refuses every call: nothing was sent. ` +
        `Use one installation of alchemy-iot-jobs for the program and the command (e.g. run the project's own \`npx alchemy-iot-jobs\`).`,
    );
  }
  return (own ??= fresh());
}

/** The rehearsal's endpoint, when a rehearsal runs; throws when one runs that this copy cannot follow. */
export function rehearsalEndpoint(): SharedEndpoint | undefined {
  if (currentMode() !== "rehearsal") return undefined;
  const endpoint = registry().rehearsal;
  if (!endpoint) {
    throw new IsolationError(
      "A rehearsal is in progress in this process but its endpoint is not known to this copy of alchemy-iot-jobs, so it refuses every call: nothing was sent.",
    );
  }
  return endpoint;
}

/**
 * Refuses a call that would go anywhere but the rehearsal's endpoint while
 * a rehearsal runs (`url`: where the call goes, its origin is compared).
 */
export function assertIsolated(url: string | undefined, what: string): void {
  const mode = currentMode();
  if (!mode) return;
  registry(); // throws for a copy that cannot take part
  if (mode !== "rehearsal") return;
  const rehearsal = rehearsalEndpoint()!;
  if (url && origin(url) === origin(rehearsal.endpoint)) return;
  throw new IsolationError(
    `${what} would go to ${url ?? "the environment's AWS endpoint"}, but a rehearsal sends every call to its own in-memory endpoint (${rehearsal.endpoint}); the call was refused: nothing was sent.`,
  );
}

function origin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}:${u.port || (u.protocol === "https:" ? "443" : "80")}`;
  } catch {
    return url;
  }
}
