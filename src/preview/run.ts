/**
 * Runs a program in preview mode: in a child process with the preview
 * runtime preloaded, receiving the plan over IPC. The program's own output is
 * kept apart (returned as `log`) so it cannot mix with the rendered plan.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Plan } from "./plan.ts";
import { runnerArgs } from "./runner.ts";

export interface PreviewOptions {
  /** The program. @default "alchemy.run.ts" */
  entrypoint?: string;
  /** Alchemy stage (`--stage`). @default Alchemy's default (ALCHEMY_STAGE, $USER) */
  stage?: string;
  /** Read the live resources and report drift (one read per resource). */
  refresh?: boolean;
  /** Use the embedded local IoT endpoint (as `ALCHEMY_IOT_LOCAL=1`). */
  local?: boolean;
  /** Working directory of the program. @default process.cwd() */
  cwd?: string;
  /** Extra arguments for the program. */
  args?: string[];
  /** Extra environment for the program. */
  env?: Record<string, string | undefined>;
  /** Run a TypeScript program through tsx even where Node can run it by itself. */
  tsx?: boolean;
  /** A failure of the program shows its stack trace. */
  verbose?: boolean;
}

export interface PreviewResult {
  plan: Plan;
  /** What the program printed (stdout and stderr). */
  log: string;
}

/** A preview that could not be made; its message is one block for a person (see src/runtime/failure.ts). */
export class PreviewError extends Error {
  override name = "PreviewError";
  readonly log: string;
  constructor(message: string, log: string) {
    super(message);
    this.log = log;
  }
}

export async function runPreview(options: PreviewOptions = {}): Promise<PreviewResult> {
  const { message, log } = await runProgram<Plan>({
    ...options,
    action: "Preview",
    // Alchemy's quiet mode: no "Created Resource" lines for what is only planned; with --refresh every resource is read, so Alchemy must run every handler.
    alchemyArgs: ["--quiet", ...(options.refresh ? ["--force"] : [])],
    env: {
      // A preview writes no state, so the CI state-store check does not apply.
      ALCHEMY_CI_STATE_STORE_CHECK: "false",
      ALCHEMY_IOT_PREVIEW_REFRESH: options.refresh ? "1" : "0",
      ...(options.local ? { ALCHEMY_IOT_LOCAL: "1" } : {}),
      ...options.env,
    },
    resultType: "plan",
  });
  return { plan: message, log };
}

/** How to run a program under one of this package's runtimes (the preview's, a rehearsal's). */
export interface ProgramRun {
  entrypoint?: string;
  stage?: string;
  cwd?: string;
  args?: string[];
  env?: Record<string, string | undefined>;
  tsx?: boolean;
  verbose?: boolean;
  /** What the failure messages call it ("Preview", "Rehearsal"). */
  action: string;
  /** The runtime to preload. @default the preview's */
  preload?: string;
  /** Alchemy options before the stage and the program's own arguments. */
  alchemyArgs?: string[];
  /** The IPC message type that carries the result (the runtime sends `{ type, [type]: result }`). */
  resultType: string;
  /**
   * Node's arguments as they are, instead of working them out from the
   * entrypoint (a deploy's own check runs its program the way it runs itself).
   */
  nodeArgs?: string[];
}

/**
 * Runs a program in a child process with a runtime preloaded, and returns what
 * the runtime sent back over IPC. The program's output is kept apart (`log`).
 * A failure the runtime reported (`{ type: "failure", text }`) is thrown as a
 * PreviewError with that text.
 */
export async function runProgram<T>(options: ProgramRun): Promise<{ message: T; log: string }> {
  return startProgram<T>(options).result;
}

/** A program started by startProgram. */
export interface StartedProgram<T> {
  child: ChildProcess;
  /** What runProgram returns (or throws), once the child has ended. */
  result: Promise<{ message: T; log: string }>;
}

/** Starts what runProgram runs, without waiting for it; throws a PreviewError when it cannot start (no program). */
export function startProgram<T>(options: ProgramRun): StartedProgram<T> {
  const cwd = options.cwd ?? process.cwd();
  const entrypoint = path.resolve(cwd, options.entrypoint ?? "alchemy.run.ts");
  const failed = (message: string, log = "") => new PreviewError(`✖ ${options.action} failed: ${message}`, log);
  if (!fs.existsSync(entrypoint)) {
    throw failed(
      `no program at ${path.relative(process.cwd(), entrypoint) || entrypoint} (the entrypoint argument, default alchemy.run.ts).`,
    );
  }
  let args: string[];
  if (options.nodeArgs) args = options.nodeArgs;
  else {
    let runner: string[];
    try {
      runner = runnerArgs(entrypoint, { tsx: options.tsx, preload: options.preload });
    } catch (error) {
      throw failed((error as Error).message);
    }
    args = [
      ...runner,
      entrypoint,
      ...(options.alchemyArgs ?? []),
      ...(options.stage ? ["--stage", options.stage] : []),
      ...(options.args ?? []),
    ];
  }
  const child = spawn(process.execPath, args, {
    cwd,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    env: {
      ...process.env,
      ALCHEMY_TELEMETRY_DISABLED: "1",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...(options.verbose ? { ALCHEMY_IOT_VERBOSE: "1" } : {}),
      ...options.env,
    },
  });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  let result: T | undefined;
  let failure: string | undefined;
  child.on("message", (message: { type?: string; text?: string } & Record<string, unknown>) => {
    if (message?.type === options.resultType) result = message[options.resultType] as T;
    if (message?.type === "failure") failure = message.text;
  });
  const ended = new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c) => resolve(c));
  });
  return { child, result: ended.then((code) => outcome(code)) };

  function outcome(code: number | null): { message: T; log: string } {
    if (code !== 0 || result === undefined) {
      if (failure) throw new PreviewError(failure, log);
      const tail = log.trim().split("\n").slice(-40).join("\n");
      if (log.includes("ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX")) {
        throw failed(
          `Node's type stripping cannot run the program: it uses TypeScript syntax that has no plain-JavaScript form ` +
            `(an enum, a namespace, a constructor parameter property, ...). Run it with --tsx (and tsx installed), ` +
            `or keep the program to erasable syntax (TypeScript's erasableSyntaxOnly).\n${tail}`,
          log,
        );
      }
      throw failed(`the program exited with code ${code} before it finished${tail ? `:\n${tail}` : "."}`, log);
    }
    return { message: result, log };
  }
}
