/**
 * A deploy's whole-program check: before its first change, a deploy runs the
 * same program as a preview (in a child process, the way the deploy itself
 * runs: the same Node options, loaders and arguments), which runs every
 * declaration through the same engine and reads what the checks need. The
 * deploy goes on only when the whole program passes:
 *
 * - every declaration is valid (all invalid props are listed, not the first);
 * - no two resources resolve to one physical id (src/preview/checks.ts);
 * - every reference is declared or exists, and what the state names is the
 *   resource's own (its ownership records are read);
 * - resources that moved to another address are found, so the deploy moves
 *   their state instead of deleting them.
 *
 * A deploy that fails the check changes nothing and exits 1 with every
 * problem listed. It runs when the program runs as a process (`alchemy
 * deploy`, `tsx alchemy.run.ts`, `node alchemy.run.ts`); ALCHEMY_IOT_CHECK=0
 * turns it off (then each resource is still checked before its own calls,
 * but a program's later mistakes are found only when reached).
 */
import type { ChildProcess } from "node:child_process";
import { pathToFileURL } from "node:url";
import { programOfProcess } from "../runtime/program.ts";
import { currentMode, registry } from "../runtime/registry.ts";
import type { Plan } from "./plan.ts";
import { PreviewError, startProgram, type ProgramRun, type StartedProgram } from "./run.ts";
import { preloadPath } from "./runner.ts";

/** A deploy whose program fails the whole-program check: nothing was changed. */
export class ProgramCheckError extends Error {
  override name = "ProgramCheckError";
}

/** Node options a check must not inherit: it would watch, or open an inspector port. */
const DROPPED = /^--(watch|watch-path|watch-preserve-output|inspect|inspect-brk|inspect-wait|inspect-port)(=|$)/;

export { programOfProcess };

/** Should this deploy check its whole program first? */
export function checkWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.ALCHEMY_IOT_CHECK !== "0" && programOfProcess() !== undefined;
}

/** Node's arguments for the check: this process's own options, the preview's runtime, the program and its arguments. */
export function checkArgs(program: string): string[] {
  const execArgv: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const a = process.execArgv[i];
    if (DROPPED.test(a)) {
      if (!a.includes("=") && /^--(watch-path|inspect-port)$/.test(a)) i++;
      continue;
    }
    execArgv.push(a);
  }
  return [...execArgv, "--import", pathToFileURL(preloadPath).href, program, ...process.argv.slice(2), "--quiet"];
}

/** What the check found, for the deploy's log. */
export interface CheckOutcome {
  resources: number;
  seconds: number;
  moves: number;
}

/** The check's run of the program; `gated` waits for the deploy's go before the program runs (src/preview/runtime.ts). */
function checkRun(program: string, gated: boolean): ProgramRun {
  return {
    entrypoint: program,
    action: "Whole-program check",
    nodeArgs: checkArgs(program),
    resultType: "plan",
    env: {
      ALCHEMY_CI_STATE_STORE_CHECK: "false",
      ALCHEMY_TELEMETRY_DISABLED: "1",
      ALCHEMY_IOT_PREVIEW_REFRESH: "0",
      ALCHEMY_IOT_PREVIEW_VERIFY: "1",
      ...(gated ? { [GATE_ENV]: "1" } : {}),
    },
  };
}

/**
 * Runs the check and installs what the deploy needs from it (the moves, and
 * that references and ownership were read). Throws ProgramCheckError listing
 * every problem, or saying why the check could not run.
 */
export async function checkProgram(program: string): Promise<CheckOutcome> {
  const started = performance.now();
  let plan: Plan;
  try {
    ({ message: plan } = await (goEarlyCheck(program) ?? startProgram<Plan>(checkRun(program, false)).result));
  } catch (error) {
    if (!(error instanceof PreviewError)) throw error;
    throw new ProgramCheckError(
      `the whole-program check (the program run as a preview, before any change) could not finish, so nothing was changed:\n${error.message.replace(/^✖ [^:]+ failed: /, "")}\n` +
        `(ALCHEMY_IOT_CHECK=0 deploys without it; each resource is then checked only when the deploy reaches it.)`,
    );
  }
  if (plan.problems.length > 0) {
    const n = plan.problems.length;
    throw new ProgramCheckError(
      `the program has ${n} problem${n === 1 ? "" : "s"}; nothing was changed (the whole program is checked before the first change):\n` +
        plan.problems.map((p) => `  - ${p.message}`).join("\n"),
    );
  }
  const r = registry();
  r.moves = plan.moves;
  r.checked = true;
  return { resources: plan.resources.length, seconds: (performance.now() - started) / 1000, moves: plan.moves.length };
}

// ------------------------------------------------------------------ started early

/**
 * The check's process, started when the package is loaded. Starting a
 * process and loading the SDK, Alchemy, zod and this package in it takes
 * about half a second, which the deploy used to spend waiting once it had
 * reached its first resource. Started when the package loads, that half
 * second overlaps the deploy's own loading; the check still reads nothing
 * before the deploy holds its stage's lease: its runtime waits for the
 * deploy's go (src/preview/runtime.ts), sent by checkProgram. A deploy that
 * turns out not to need it (a destroy, a read) stops it; it ends by itself
 * when no go comes in time (`earlyCheckWaitMs`), and with the deploy's
 * process in any case.
 */
interface EarlyCheck {
  program: string;
  started: StartedProgram<Plan>;
  /** The child has said it waits for the go (messages sent before it listens would be lost). */
  waiting: boolean;
  /** The deploy wants the check: the go goes as soon as the child waits. */
  wanted: boolean;
  /** The child waited for the go longer than it may, and ended without reading anything. */
  expired: boolean;
}

/** Set in the check's environment when it waits for the go. */
export const GATE_ENV = "ALCHEMY_IOT_CHECK_GATE";

/**
 * How long a check started early waits for the go before it ends by itself,
 * in ms (ALCHEMY_IOT_EARLY_CHECK_WAIT_MS; 30 s): a process that imports the
 * package and never deploys (a script that only uses a helper, a server)
 * does not keep an idle process for its whole life. A deploy that wants its
 * check after that (it waited longer for its stage's lease) starts another.
 */
export function earlyCheckWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.ALCHEMY_IOT_EARLY_CHECK_WAIT_MS);
  return Number.isFinite(ms) && ms > 0 ? ms : 30_000;
}
const EARLY = Symbol.for("alchemy-iot-jobs.early-check");
const g = globalThis as Record<PropertyKey, unknown>;

/** Command-line options with which Alchemy does not deploy the program's stages (or re-runs it), so no check would be wanted. */
const NOT_A_DEPLOY = /^--(destroy|read|app|watch|dev)(=|$)/;

/** Starts the check's process, waiting for its go, when this process is a deploy of a program (called when the package loads). */
export function startCheckEarly(argv: readonly string[] = process.argv): void {
  // Never from a check (or a preview, or a rehearsal) itself: their runtime sets the mode before the program loads.
  if (g[EARLY] !== undefined || currentMode() || process.env[GATE_ENV] !== undefined || !checkWanted()) return;
  if ([...argv.slice(2), ...process.execArgv].some((a) => NOT_A_DEPLOY.test(a))) return;
  const program = programOfProcess(argv)!;
  let started: StartedProgram<Plan>;
  try {
    started = startProgram<Plan>(checkRun(program, true));
  } catch {
    return; // checkProgram says why, if a check is wanted
  }
  const early: EarlyCheck = { program, started, waiting: false, wanted: false, expired: false };
  g[EARLY] = early;
  const { child } = started;
  started.result.catch(() => undefined); // read by checkProgram, or never: the deploy did not need it
  child.on("message", (message: { type?: string } | undefined) => {
    if (message?.type === "expired") {
      early.expired = true;
      // Not wanted yet: a later checkProgram starts its own (one wanted already falls back to it, below).
      if (!early.wanted && g[EARLY] === early) g[EARLY] = null;
    }
    if (message?.type !== "waiting") return;
    early.waiting = true;
    if (early.wanted) go(child);
  });
  // It does not keep the deploy's process alive, and does not outlive it.
  holdOpen(child, false);
  const stop = () => child.kill();
  process.once("exit", stop);
  child.once("close", () => process.off("exit", stop));
}

/** The early check of `program`, now wanted: its result, or undefined when there is none. */
function goEarlyCheck(program: string): Promise<{ message: Plan; log: string }> | undefined {
  const early = g[EARLY] as EarlyCheck | undefined;
  if (!early || early.wanted || early.program !== program) return undefined;
  early.wanted = true;
  holdOpen(early.started.child, true);
  if (early.waiting) go(early.started.child);
  // The child may have given up waiting just as the go went out: then the check runs in a new process.
  return early.started.result.catch((error: unknown) => {
    if (!early.expired) throw error;
    return startProgram<Plan>(checkRun(program, false)).result;
  });
}

/** This process does not deploy: the early check, if any, is stopped (a later checkProgram starts its own). */
export function dropEarlyCheck(): void {
  const early = g[EARLY] as EarlyCheck | undefined;
  if (!early || early.wanted) return;
  g[EARLY] = null;
  early.started.child.kill();
}

function go(child: ChildProcess): void {
  if (child.connected) child.send({ type: "go" }, () => undefined);
}

/** Whether the child (its process, IPC channel and output pipes) keeps this process's event loop alive. */
function holdOpen(child: ChildProcess, hold: boolean): void {
  const handles = [child, child.channel, child.stdout, child.stderr] as Array<{ ref?(): void; unref?(): void } | null | undefined>;
  for (const h of handles) (hold ? h?.ref : h?.unref)?.call(h);
}
