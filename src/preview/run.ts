/**
 * Runs a program in preview mode: in a child process with the preview
 * runtime preloaded, receiving the plan over IPC. The program's own output is
 * kept apart (returned as `log`) so it cannot mix with the rendered plan.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Plan } from "./plan.ts";

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
}

export interface PreviewResult {
  plan: Plan;
  /** What the program printed (stdout and stderr). */
  log: string;
}

export class PreviewError extends Error {
  override name = "PreviewError";
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(message);
  }
}

const preload = fileURLToPath(new URL("./preload.ts", import.meta.url));

export async function runPreview(options: PreviewOptions = {}): Promise<PreviewResult> {
  const cwd = options.cwd ?? process.cwd();
  const entrypoint = path.resolve(cwd, options.entrypoint ?? "alchemy.run.ts");
  if (!fs.existsSync(entrypoint)) {
    throw new PreviewError(`No program at ${path.relative(process.cwd(), entrypoint) || entrypoint} (the entrypoint argument, default alchemy.run.ts).`, "");
  }
  const tsx = import.meta.resolve("tsx");
  const args = [
    "--import",
    tsx,
    "--import",
    preload,
    entrypoint,
    // Alchemy's quiet mode: no "Created Resource" lines for what is only planned.
    "--quiet",
    // With --refresh every resource is read, so Alchemy must run every handler, changed or not.
    ...(options.refresh ? ["--force"] : []),
    ...(options.stage ? ["--stage", options.stage] : []),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    env: {
      ...process.env,
      ALCHEMY_TELEMETRY_DISABLED: "1",
      // A preview writes no state, so the CI state-store check does not apply.
      ALCHEMY_CI_STATE_STORE_CHECK: "false",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ALCHEMY_IOT_PREVIEW_REFRESH: options.refresh ? "1" : "0",
      ...(options.local ? { ALCHEMY_IOT_LOCAL: "1" } : {}),
      ...options.env,
    },
  });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  let plan: Plan | undefined;
  child.on("message", (message: { type?: string; plan?: Plan }) => {
    if (message?.type === "plan") plan = message.plan;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c) => resolve(c));
  });
  if (code !== 0 || !plan) {
    const tail = log.trim().split("\n").slice(-40).join("\n");
    throw new PreviewError(
      `The program failed while being previewed (exit code ${code})${tail ? `:\n${tail}` : "."}`,
      log,
    );
  }
  return { plan, log };
}
