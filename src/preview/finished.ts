/**
 * When the program a runtime runs (the preview's, a rehearsal's) has finished,
 * even if it left timers or sockets open.
 *
 * The runtimes send their result when the child's event loop empties
 * (`beforeExit`). A program that leaves a timer or a socket open after it is
 * done never empties it, and the preview would wait for ever. So "finished"
 * is also: every root Alchemy scope the program opened (a scope without a
 * parent, the one `alchemy()` returns) has returned from its finalize(). Then
 * the program gets a short grace period ({@link FINISH_GRACE_MS}) to end on
 * its own (its code after `await app.finalize()`, servers it closes, output
 * it flushes); if the event loop is still busy after it, the runtime is told
 * to produce its result anyway, and {@link leftOpenNote} says what was left
 * open. A program that never calls finalize() keeps the `beforeExit` path.
 *
 * Root scopes are tracked as they are entered, so a program with several
 * apps is waited for until the last one it started is finalized; one that
 * starts another app only after the grace period (a long `await` between
 * `app.finalize()` and the next `alchemy()`) is taken to have finished.
 *
 * Scope methods are wrapped once per process (as src/runtime/stage.ts does), with the
 * state on Scope.prototype under a `Symbol.for` key, so that two copies of
 * this module (the sources and the compiled package) share it.
 */
import { Scope } from "alchemy";

/**
 * How long a program has, after its root scope's finalize() returned, to let
 * the event loop empty by itself before the runtime stops waiting for it.
 * Long enough for what a well-behaved program does after finalize() (its
 * remaining code and promises, a `server.close()` or a socket's end, which
 * complete a loop turn or a few later, a last write to a file); short enough
 * (well under a second) that nobody waits noticeably for a program that
 * leaves an interval running. The result does not depend on it: nothing is
 * planned or deployed after the root scope is finalized.
 */
export const FINISH_GRACE_MS = 200;

interface FinishState {
  /** Root scopes the program entered whose finalize() has not returned. */
  open: Set<Scope>;
  /** Root scopes whose finalize() has returned. */
  done: WeakSet<Scope>;
  /** A root scope's finalize() has returned. */
  finalized: boolean;
  /** Called (once each) when the program has finished and the loop is still busy after the grace period. */
  listeners: Array<() => void>;
  timer?: NodeJS.Timeout;
}

const STATE = Symbol.for("alchemy-iot-jobs.program-finished");

const isRoot = (value: unknown): value is Scope => !!value && typeof value === "object" && value instanceof Scope && !value.parent;

/** Has the program finished: a root scope's finalize() returned, and no root scope it entered is still unfinalized? */
const hasFinished = (state: FinishState) => state.finalized && state.open.size === 0;

/** After the grace period, if the loop did not empty (the timer does not keep it alive), the listeners run. */
function arm(state: FinishState): void {
  if (state.timer || state.listeners.length === 0) return;
  state.timer = setTimeout(() => {
    state.timer = undefined;
    if (!hasFinished(state)) return;
    for (const listener of state.listeners.splice(0)) listener();
  }, FINISH_GRACE_MS);
  state.timer.unref();
}

/** Wraps Scope's finalize and the scope storage's entry points, once per process. */
function install(): FinishState {
  const proto = Scope.prototype as unknown as Record<PropertyKey, unknown> & { finalize(this: Scope, ...args: unknown[]): Promise<void> };
  const existing = proto[STATE] as FinishState | undefined;
  if (existing) return existing;
  const state: FinishState = { open: new Set(), done: new WeakSet(), finalized: false, listeners: [] };
  proto[STATE] = state;

  // Root scopes as they are entered (`alchemy()` enters its root with enterWith, a
  // root `alchemy.run` scope with run): a second app is not cut short by the first's finalize().
  const storage = Scope.storage as unknown as Record<"run" | "enterWith", (store: unknown, ...rest: unknown[]) => unknown>;
  for (const method of ["run", "enterWith"] as const) {
    const original = storage[method];
    storage[method] = function (this: unknown, store: unknown, ...rest: unknown[]) {
      if (isRoot(store) && !state.done.has(store)) state.open.add(store);
      return original.call(this, store, ...rest);
    };
  }

  const { finalize } = proto;
  proto.finalize = async function (this: Scope, ...args: unknown[]) {
    const result = await finalize.apply(this, args);
    if (!this.parent) {
      state.open.delete(this);
      state.done.add(this);
      state.finalized = true;
      if (hasFinished(state)) arm(state);
    }
    return result;
  };
  return state;
}

/**
 * Calls `listener` once, when the program has finished (every root scope it
 * opened returned from finalize()) and the event loop is still busy
 * {@link FINISH_GRACE_MS} later: the program left something open, and the
 * runtime should produce its result without waiting for the loop to empty.
 * If the loop empties first, `beforeExit` comes first, and the runtime's
 * own guard makes this call a no-op.
 */
export function onFinishedButBusy(listener: () => void): void {
  const state = install();
  state.listeners.push(listener);
  if (hasFinished(state)) arm(state);
}

/** How Node names what keeps the event loop alive (`process.getActiveResourcesInfo()`), in words: [one, many]. */
const WORDS: Record<string, [string, string]> = {
  Timeout: ["timer", "timers"],
  Immediate: ["setImmediate callback", "setImmediate callbacks"],
  TCPSocketWrap: ["socket", "sockets"],
  TCPServerWrap: ["listening socket", "listening sockets"],
  TCPConnectWrap: ["connection being opened", "connections being opened"],
  ConnectWrap: ["connection being opened", "connections being opened"],
  PipeWrap: ["pipe", "pipes"],
  PipeServerWrap: ["listening pipe", "listening pipes"],
  PipeConnectWrap: ["pipe connection being opened", "pipe connections being opened"],
  UDPWrap: ["UDP socket", "UDP sockets"],
  TTYWrap: ["terminal stream", "terminal streams"],
  ProcessWrap: ["child process", "child processes"],
  FSEventWrap: ["file watcher", "file watchers"],
  StatWatcher: ["file watcher", "file watchers"],
  SignalWrap: ["signal listener", "signal listeners"],
  MessagePort: ["message port", "message ports"],
  Worker: ["worker thread", "worker threads"],
  GetAddrInfoReqWrap: ["DNS lookup", "DNS lookups"],
  QueryReqWrap: ["DNS query", "DNS queries"],
  FSReqCallback: ["file operation", "file operations"],
  FSReqPromise: ["file operation", "file operations"],
  FileHandle: ["open file", "open files"],
  WriteWrap: ["pending write", "pending writes"],
  ShutdownWrap: ["socket being shut down", "sockets being shut down"],
  ZlibWrap: ["compression stream", "compression streams"],
};

/** Resources of the process itself, not the program's: its stdout and stderr when they are pipes or terminals. */
function ownResources(): Map<string, number> {
  const own = new Map<string, number>();
  for (const stream of [process.stdout, process.stderr]) {
    const type = (stream as { _type?: string })._type;
    const name = type === "pipe" ? "PipeWrap" : type === "tty" ? "TTYWrap" : undefined;
    if (name) own.set(name, (own.get(name) ?? 0) + 1);
  }
  return own;
}

/**
 * What keeps the event loop alive now, in plain words ("2 timers and 1
 * socket"), leaving out the process's own stdout and stderr; undefined when
 * nothing does.
 */
export function describeOpenResources(): string | undefined {
  const own = ownResources();
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) {
    const mine = own.get(name) ?? 0;
    if (mine > 0) {
      own.set(name, mine - 1);
      continue;
    }
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  const order = Object.keys(WORDS);
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  // Names with the same words (two kinds of file watcher) are counted together.
  const words = new Map<string, { n: number; one: string; many: string }>();
  for (const name of [...counts.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) {
    const [one, many] = WORDS[name] ?? [`${name} (a Node resource)`, `${name} (Node resources)`];
    const entry = words.get(one) ?? { n: 0, one, many };
    entry.n += counts.get(name)!;
    words.set(one, entry);
  }
  const parts = [...words.values()].map((w) => `${w.n} ${w.n === 1 ? w.one : w.many}`);
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

/**
 * The note a result carries when the runtime stopped waiting for a program
 * that had finished ("the program left 1 timer and 1 socket open after
 * finalize(); the preview did not wait for them"), naming what is still open
 * now; undefined when nothing is (it closed while the result was made).
 */
export function leftOpenNote(action: "preview" | "rehearsal"): string | undefined {
  const open = describeOpenResources();
  if (!open) return undefined;
  const one = /^1 /.test(open) && !open.includes(" and ");
  return `the program left ${open} open after finalize(); the ${action} did not wait for ${one ? "it" : "them"}`;
}
