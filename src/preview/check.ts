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
import { pathToFileURL } from "node:url";
import { programOfProcess } from "../runtime/program.ts";
import { registry } from "../runtime/registry.ts";
import type { Plan } from "./plan.ts";
import { PreviewError, runProgram } from "./run.ts";
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

/**
 * Runs the check and installs what the deploy needs from it (the moves, and
 * that references and ownership were read). Throws ProgramCheckError listing
 * every problem, or saying why the check could not run.
 */
export async function checkProgram(program: string): Promise<CheckOutcome> {
  const started = performance.now();
  let plan: Plan;
  try {
    ({ message: plan } = await runProgram<Plan>({
      entrypoint: program,
      action: "Whole-program check",
      nodeArgs: checkArgs(program),
      resultType: "plan",
      env: {
        ALCHEMY_CI_STATE_STORE_CHECK: "false",
        ALCHEMY_TELEMETRY_DISABLED: "1",
        ALCHEMY_IOT_PREVIEW_REFRESH: "0",
        ALCHEMY_IOT_PREVIEW_VERIFY: "1",
      },
    }));
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
