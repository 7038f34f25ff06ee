/** The environment a child process needs to reach a test's local endpoint the way it would reach AWS. */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { LocalIoT } from "../../src/local/index.ts";

const repo = path.resolve(import.meta.dirname, "../..");

/**
 * Runs a TypeScript file as `tsx <file>` does, in one process: `node --import
 * tsx` (the tsx command starts a second Node process to run it, about 0.2 s of
 * CPU more per run). Suites whose subject is the tsx command itself (signals
 * relayed to the program, the README's commands) run `tsx`.
 */
export const TSX: readonly [string, ...string[]] = [
  process.execPath,
  "--import",
  pathToFileURL(path.join(repo, "node_modules", "tsx", "dist", "loader.mjs")).href,
];

/**
 * Points a program at `local` like AWS (endpoint, region, credentials from the
 * environment), with state under `root`, no telemetry and no colours; the
 * shared AWS config files are ignored so the machine's profile cannot leak in.
 */
export function endpointEnv(local: LocalIoT, root: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ALCHEMY_ROOT: root,
    AWS_ENDPOINT_URL_IOT: local.endpoint,
    AWS_REGION: local.region,
    AWS_ACCESS_KEY_ID: local.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: local.credentials.secretAccessKey,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    ALCHEMY_TELEMETRY_DISABLED: "1",
    ALCHEMY_CI_STATE_STORE_CHECK: "false",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    NO_COLOR: "1",
    // The programs import the package by name: resolve it to the sources (as the tests do; see vitest.config.ts).
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --conditions=@alchemy-iot-jobs/source`.trim(),
    ...extra,
  };
}

export interface KillableRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved. */
  out: string;
}

/**
 * Runs `node --import tsx <args>` from the repository against `local`,
 * without blocking this process (the endpoint lives here). `onRequest` sees
 * every IoT request the endpoint receives from then on (numbered from 1, the
 * stats are reset) with the child, so a test can kill it at a chosen point.
 */
export function runKillable(
  local: LocalIoT,
  args: string[],
  env: NodeJS.ProcessEnv,
  onRequest?: (operation: string, count: number, child: ChildProcess) => void,
): Promise<KillableRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    local.resetStats();
    local.onRequest(onRequest ? (operation, count) => onRequest(operation, count, child) : undefined);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      local.onRequest(undefined);
      resolve({ code, signal, out });
    });
  });
}
