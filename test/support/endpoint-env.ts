/** The environment a child process needs to reach a test's local endpoint the way it would reach AWS. */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { LocalIoT } from "../../src/local/index.ts";
import { compiledArgs } from "./compiled.ts";

const repo = path.resolve(import.meta.dirname, "../..");

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
 * Runs `node <args>` from the repository against `local`, the program and the
 * command line compiled (see ./compiled.ts),
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
    const child = spawn(process.execPath, compiledArgs(args), { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
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
