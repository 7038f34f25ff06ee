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
 * - **An exit status for destroy.** Alchemy's destroy phase catches what goes
 *   wrong outside a resource handler (a state file that cannot be read, with
 *   any store) and exits 0; the process now exits 1 and says why.
 *
 * Installed by the package's entry points (src/wiring.ts), never as a side
 * effect of loading the provider. Scope methods are wrapped once per process (Alchemy's own objects are not
 * otherwise replaceable): `init` runs before every resource is applied,
 * `run` starts a destroy, `finalize` ends a deploy.
 */
import fs from "node:fs";
import path from "node:path";
import { Scope } from "alchemy";
import { formatFailure, handlerErrors, markFailureForExit } from "./failure.ts";
import { lockStage, unlockStage } from "./lock/stage.ts";
import { currentMode } from "./registry.ts";

/** What the entry point adds to a stage's run. */
export interface StageHooks {
  /**
   * Checks the whole program before a deploy's first change; rejects to stop
   * the deploy before anything is changed. Returns a line to log, if any.
   */
  checkProgram(): Promise<string | undefined>;
}

const checked = new Map<string, Promise<void>>();

/** A deploy checks its whole program once per stage and process, before the stage's first resource is applied. */
function checkStage(stage: Scope, hooks: StageHooks): Promise<void> {
  if (stage.phase !== "up" || currentMode()) return Promise.resolve();
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

/**
 * A state file that is not JSON makes a store's read fail with the parser's
 * message alone ("Unexpected end of JSON input"): name the file, and say what to do.
 */
function explainUnreadable(error: unknown, stage: Scope): unknown {
  const dir = (stage.state as { dir?: unknown }).dir;
  if (!(error instanceof SyntaxError) || typeof dir !== "string") return error;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return error;
  }
  const broken = entries
    .filter((e) => e.isFile() && e.name.endsWith(".json"))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => {
      try {
        JSON.parse(fs.readFileSync(file, "utf8"));
        return false;
      } catch {
        return true;
      }
    });
  if (broken.length === 0) return error;
  const files = broken.map((f) => path.relative(process.cwd(), f) || f).join(", ");
  return new Error(
    `Alchemy's state file ${files} is not valid JSON (${error.message}), so the stage cannot be destroyed: nothing was deleted. ` +
      `Restore the file (from version control or a backup) and destroy again. AtomicFileSystemStateStore avoids half-written state files.`,
  );
}

const INSTALLED = Symbol.for("alchemy-iot-jobs.stage");

/** Wraps Scope's methods (once per process, whichever copy of this package loads first). */
export function installStageHooks(hooks: StageHooks): void {
  const proto = Scope.prototype as unknown as Record<string | symbol, unknown> & {
    init(this: Scope): Promise<void>;
    run<T>(this: Scope, fn: (scope: Scope) => Promise<T>): Promise<T>;
    finalize(this: Scope, options?: unknown): Promise<void>;
  };
  if (proto[INSTALLED]) return;
  proto[INSTALLED] = true;
  const { init, run, finalize } = proto;

  proto.init = async function (this: Scope) {
    const stage = stageOf(this);
    if (stage) {
      await lockStage(stage);
      await checkStage(stage, hooks);
    }
    return init.call(this);
  };

  proto.run = async function <T>(this: Scope, fn: (scope: Scope) => Promise<T>): Promise<T> {
    if (this.phase !== "destroy" || !isStage(this)) return run.call(this, fn) as Promise<T>;
    try {
      await lockStage(this);
      return (await run.call(this, fn)) as T;
    } catch (error) {
      // Alchemy prints what a resource's handler threw; anything else it would swallow.
      if (error && typeof error === "object" && handlerErrors.has(error)) markFailureForExit();
      else markFailureForExit(formatFailure(explainUnreadable(error, this), { action: "Destroy" }), error);
      throw error;
    } finally {
      await unlockStage(this);
    }
  };

  proto.finalize = async function (this: Scope, options?: unknown) {
    try {
      return await finalize.call(this, options);
    } finally {
      if (isStage(this)) await unlockStage(this);
    }
  };
}
