/**
 * What this package adds to the run of an Alchemy stage, for every program
 * that uses its resources (installed when they are loaded):
 *
 * - **A lease on the stage's state** (src/runtime/lock/stage.ts): with a
 *   file store or the S3 state store, one process at a time deploys or
 *   destroys a stage: a second one waits for the first, saying what it waits
 *   for and for how long, and gives up after the wait (ALCHEMY_IOT_LOCK_TIMEOUT
 *   or the store's `lock.waitSeconds`; 0 refuses at once). The lease is taken
 *   before the stage's first resource is applied (or its destroy starts) and
 *   released when the stage is finalized or the process ends; a killed
 *   holder's is taken over once it expires. A holder that lost its lease
 *   writes nothing more and exits 1.
 * - **The whole program checked before the first change**: the check the
 *   entry point passes (src/wiring.ts passes src/preview/check.ts's).
 * - **No run past state it cannot read** (./state/check.ts): once it holds
 *   the lease, a deploy (before its first change) and a destroy (before its
 *   first delete) read every state of the stage, nested scopes included, and
 *   stop naming each one they cannot read (a file that is not JSON, holds
 *   `null`, a directory in its place, a state whose output is null).
 *   Alchemy would find them only when it reaches them: a destroy would have
 *   deleted the resources before them, or never seen them at all.
 * - **An exit status for destroy.** Alchemy's destroy phase catches what goes
 *   wrong outside a resource handler (a state that cannot be read, with any
 *   store) and exits 0; the process now exits 1 and says why.
 * - **Props in their recorded key order** (src/runtime/key-order.ts), settled
 *   before Alchemy compares them, so that reordering keys is no change.
 * - **Resources to create start a few at a time**, in declaration order
 *   (src/runtime/admission.ts), so that the first sends while the rest prepare.
 * - **A summary of what was really done** (src/runtime/summary.ts), printed
 *   when the stage is finalized or its destroy has run.
 *
 * Installed by the package's entry points (src/wiring.ts), never as a side
 * effect of loading the provider. Scope methods are wrapped once per process (Alchemy's own objects are not
 * otherwise replaceable): `init` runs before every resource is applied,
 * `run` starts a destroy, `finalize` ends a deploy.
 */
import alchemy, { Scope } from "alchemy";
import { formatFailure, handlerErrors, markFailureForExit } from "./failure.ts";
import { lockStage, unlockStage } from "./lock/stage.ts";
import { settleKeyOrder } from "./key-order.ts";
import { takeHandedOver } from "./admission.ts";
import { currentMode } from "./registry.ts";
import { assertStatesReadable } from "./state/check.ts";
import { printSummary } from "./summary.ts";

/** What the entry point adds to a stage's run. */
export interface StageHooks {
  /**
   * Checks the whole program before a deploy's first change; rejects to stop
   * the deploy before anything is changed. Returns a line to log, if any.
   */
  checkProgram(): Promise<string | undefined>;
  /** This process does not deploy the stage (a destroy, a read): a check started ahead of need is stopped. */
  checkNotNeeded(): void;
}

const checked = new Map<string, Promise<void>>();

/** A deploy checks its whole program once per stage and process, before the stage's first resource is applied. */
function checkStage(stage: Scope, hooks: StageHooks): Promise<void> {
  if (currentMode()) return Promise.resolve();
  if (stage.phase !== "up") {
    hooks.checkNotNeeded();
    return Promise.resolve();
  }
  const key = stage.chain.join("/");
  let pending = checked.get(key);
  if (!pending) {
    pending = hooks.checkProgram().then((line) => {
      if (line) stage.logger.log(line);
    });
    checked.set(key, pending);
  }
  return pending;
}

/** The stage a scope belongs to (the child of the root scope), or undefined for the root. */
function stageOf(scope: Scope): Scope | undefined {
  let s: Scope = scope;
  while (s.parent?.parent) s = s.parent;
  return s.parent ? s : undefined;
}

const isStage = (scope: Scope) => !!scope.parent && !scope.parent.parent;

/** A deploy reads every state of its stage once per run (per stage scope), after taking the lock and before the first change. */
const statesChecked = new WeakMap<Scope, Promise<void>>();

function checkStates(stage: Scope): Promise<void> {
  if (stage.phase !== "up" || currentMode()) return Promise.resolve();
  let pending = statesChecked.get(stage);
  if (!pending) statesChecked.set(stage, (pending = assertStatesReadable(stage, "deploy")));
  return pending;
}

const INSTALLED = Symbol.for("alchemy-iot-jobs.stage");

/** Wraps Scope's methods (once per process, whichever copy of this package loads first). */
export function installStageHooks(hooks: StageHooks): void {
  const proto = Scope.prototype as unknown as Record<string | symbol, unknown> & {
    init(this: Scope): Promise<void>;
    deinit(this: Scope): Promise<void>;
    run<T>(this: Scope, fn: (scope: Scope) => Promise<T>): Promise<T>;
    finalize(this: Scope, options?: unknown): Promise<void>;
  };
  if (proto[INSTALLED]) return;
  proto[INSTALLED] = true;
  const { init, run, finalize, deinit } = proto;

  // A program's own destroy of a stage (`alchemy.destroy(stage)`, in its "up" phase) checks the stage's states too;
  // the "destroy" phase (`--destroy`) does it in run, below. Alchemy's destroy recurses through its own function, not this one.
  const destroy = alchemy.destroy;
  alchemy.destroy = async function (this: unknown, ...args: Parameters<typeof destroy>) {
    const [target] = args;
    if (target instanceof Scope && isStage(target) && target.phase === "up" && !currentMode()) {
      await lockStage(target);
      await assertStatesReadable(target, "destroy");
    }
    return destroy.apply(this, args);
  } as typeof destroy;

  proto.init = async function (this: Scope) {
    // The resource whose apply is starting (Alchemy calls init first, synchronously), when it queues for its turn.
    const ticket = takeHandedOver();
    const stage = stageOf(this);
    if (stage) {
      await lockStage(stage);
      await checkStates(stage);
      await checkStage(stage, hooks);
    }
    // Alchemy compares a resource's props with the recorded ones right after init: align their key order first
    // (that resource's alone when it is known, else every one registered in the scope).
    const deployed = await settleKeyOrder(this, ticket?.id);
    // A resource to create waits for its turn to prepare (src/runtime/admission.ts); one already deployed goes on:
    // Alchemy may find nothing to do, which a queue would only slow down (a no-op deploy reads states, sends nothing).
    if (ticket && (deployed || this.phase !== "up")) ticket.release();
    else if (ticket) await ticket.admitted();
    return init.call(this);
  };

  proto.run = async function <T>(this: Scope, fn: (scope: Scope) => Promise<T>): Promise<T> {
    if (this.phase !== "destroy" || !isStage(this)) return run.call(this, fn) as Promise<T>;
    try {
      hooks.checkNotNeeded();
      await lockStage(this);
      await assertStatesReadable(this, "destroy");
      return (await run.call(this, fn)) as T;
    } catch (error) {
      // Alchemy prints what a resource's handler threw; anything else it would swallow.
      if (error && typeof error === "object" && handlerErrors.has(error)) markFailureForExit();
      else markFailureForExit(formatFailure(error, { action: "Destroy" }), error);
      throw error;
    } finally {
      // What was deleted, also when the destroy failed part of the way.
      printSummary(this, false);
      await unlockStage(this);
    }
  };

  // Alchemy's destroy(scope) runs the scope's deletions, then deinit (also when called from a program, in its "up" phase).
  proto.deinit = async function (this: Scope) {
    if (isStage(this)) printSummary(this, false);
    return deinit.call(this);
  };

  proto.finalize = async function (this: Scope, options?: unknown) {
    try {
      await finalize.call(this, options);
      if (isStage(this) && this.phase === "up") printSummary(this, true);
    } finally {
      if (isStage(this)) await unlockStage(this);
    }
  };
}
