/** Runs a benchmark program (or the preview CLI) in a child process against an endpoint, without blocking this one, compiled. */
import { spawn } from "node:child_process";
import path from "node:path";
import { compileTo } from "../test/support/build.ts";
import { compiledArgs } from "../test/support/compiled.ts";
export { endpointEnv } from "../test/support/endpoint-env.ts";

export const repo = path.resolve(import.meta.dirname, "..");
/** The benchmarks' compiled copy: apart from the tests' (.test-build), which a test run remakes. */
const BENCH_BUILD_DIR = path.join(repo, ".bench-build");

export interface ProgramRun {
  code: number | null;
  ms: number;
  stdout: string;
  stderr: string;
  /** Peak RSS the program reported (kB), when it does. */
  maxRssKb?: number;
}

let compiled = false;

/**
 * Runs a program compiled, with plain `node` (what the installed package
 * runs; the program's own TypeScript loader is left out, as it is the same
 * for any tool): `src/` and `bench/fixtures/` are compiled once per bench
 * run (test/support/build.ts), and arguments naming their files point at the
 * compiled copy.
 */
export function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<ProgramRun> {
  compileForBench();
  return run(process.execPath, compiledArgs(args, BENCH_BUILD_DIR), env);
}

/** Makes the compiled copy runNode runs (once per bench run); call it before timing a first run. */
export function compileForBench(): void {
  if (!compiled) {
    // The bench's stdout carries figures only: the build's line goes to stderr.
    const log = console.log;
    console.log = console.error;
    try {
      compileTo(BENCH_BUILD_DIR);
    } finally {
      console.log = log;
    }
    compiled = true;
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ProgramRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
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
