/** Runs a benchmark program (or the preview CLI) in a child process against an endpoint, without blocking this one. */
import { spawn } from "node:child_process";
import path from "node:path";
export { endpointEnv } from "../test/support/endpoint-env.ts";

export const repo = path.resolve(import.meta.dirname, "..");
const tsx = path.join(repo, "node_modules", ".bin", "tsx");

export interface ProgramRun {
  code: number | null;
  ms: number;
  stdout: string;
  stderr: string;
  /** Peak RSS the program reported (kB), when it does. */
  maxRssKb?: number;
}

export function runTsx(args: string[], env: NodeJS.ProcessEnv): Promise<ProgramRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, args, { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const rss = /maxRSS_kB (\d+)/.exec(stderr);
      resolve({ code, ms: performance.now() - started, stdout, stderr, maxRssKb: rss ? Number(rss[1]) : undefined });
    });
  });
}

export function must(run: ProgramRun, what: string): ProgramRun {
  if (run.code !== 0) throw new Error(`${what} failed (exit ${run.code}):\n${(run.stdout + run.stderr).slice(-4000)}`);
  return run;
}
