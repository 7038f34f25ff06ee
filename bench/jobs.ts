/**
 * 100 jobs created, then destroyed, against an endpoint that behaves like
 * IoT's limits (`npm run bench -- jobs`): every API throttled at 10 requests
 * a second (IoT's rate for the jobs APIs), each deletion lasting 2 s, at most
 * 10 deletions in progress. The floors: N / 10 s to create (CreateJob at its
 * rate), N / 10 × 2 s to destroy (ten deletions at a time). Goals (issue 23):
 * at most 1.1× the floor on a quiet machine, 1.2× with other work on the
 * second core, with no failure, no LimitExceededException reaching the user
 * and never more than 10 deletions in progress.
 *
 * Measured twice: quiet (`jobs.*`), then with a busy process on the other
 * core (`jobs_loaded.*`). Each run prints its timeline: the calls the
 * endpoint received in each second since the program started, by operation,
 * and when the first call came (the program's start-up, the whole-program
 * check's included).
 *
 * The program (bench/fixtures/templates.run.ts) runs compiled, with plain
 * `node`, as the installed package does (bench/run-program.ts).
 * BENCH_JOBS (default 100) and BENCH_TPS (default 10) scale it.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLocalIoT, type LocalIoT } from "../src/local/index.ts";
import type { Report } from "./report.ts";
import { compileForBench, endpointEnv, runNode, type ProgramRun } from "./run-program.ts";

const JOBS = Number(process.env.BENCH_JOBS ?? "100");
const TPS = Number(process.env.BENCH_TPS ?? "10");
const DELETION_MS = 2000;
const program = path.join("bench", "fixtures", "templates.run.ts");
const GOAL = { quiet: 1.1, loaded: 1.2 };

/** Calls per second since `t0`, by operation: "0:CreateThing 1,CreateJob 9|1:CreateJob 10|...". */
function timeline(calls: Array<[number, string]>): string {
  const seconds = new Map<number, Map<string, number>>();
  for (const [ms, op] of calls) {
    const s = Math.floor(ms / 1000);
    const ops = seconds.get(s) ?? new Map<string, number>();
    ops.set(op, (ops.get(op) ?? 0) + 1);
    seconds.set(s, ops);
  }
  return [...seconds]
    .sort((a, b) => a[0] - b[0])
    .map(([s, ops]) => `${s}:${[...ops].map(([op, n]) => `${op} ${n}`).join(",")}`)
    .join("|");
}

async function timed(
  local: LocalIoT,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ run: ProgramRun; calls: Array<[number, string]> }> {
  const calls: Array<[number, string]> = [];
  const t0 = performance.now();
  local.resetStats();
  local.onRequest((op) => calls.push([performance.now() - t0, op]));
  try {
    const run = await runNode(args, env);
    if (run.code !== 0) console.error(`${args.join(" ")} failed (exit ${run.code}):\n${(run.stdout + run.stderr).slice(-3000)}`);
    return { run, calls };
  } finally {
    local.onRequest(undefined);
  }
}

async function measure(report: Report, prefix: string, goal: number): Promise<void> {
  const local = await startLocalIoT({ port: 0, faults: { throttle: TPS }, deletionDelayMs: DELETION_MS });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-bench-jobs-"));
  try {
    const env = endpointEnv(local, root, { TEMPLATES: "0", JOBS: String(JOBS) });
    const floors = { create: JOBS / TPS, destroy: (JOBS / 10) * (DELETION_MS / 1000) };
    /** Runs one phase of the program and reports what both phases share; returns the stats for the phase's own figures. */
    const phase = async (name: "create" | "destroy", args: string[], floor: number, failuresLeft: () => number) => {
      const { run, calls } = await timed(local, [program, "--stage", "jobs", ...args], env);
      const stats = local.stats();
      report(`${prefix}.${name}_wall_s`, run.ms / 1000);
      report(`${prefix}.${name}_floor_s`, floor);
      report(`${prefix}.${name}_ratio_to_floor`, run.ms / 1000 / floor);
      report(`${prefix}.${name}_goal_ratio`, goal);
      report(`${prefix}.${name}_first_call_s`, (calls[0]?.[0] ?? 0) / 1000);
      report(`${prefix}.${name}_throttled_responses`, stats.throttled);
      return { stats, failures: (run.code === 0 ? 0 : 1) + failuresLeft(), timeline: timeline(calls) };
    };
    const create = await phase("create", [], floors.create, () => JOBS - local.world.tables.jobs.size);
    report(`${prefix}.create_failures`, create.failures);
    report(`${prefix}.create_timeline`, create.timeline);

    const destroy = await phase("destroy", ["--destroy"], floors.destroy, () => local.world.tables.jobs.size);
    report(`${prefix}.destroy_peak_deletions_in_progress`, destroy.stats.peakDeletionsInProgress);
    report(`${prefix}.destroy_limit_exceeded_responses`, destroy.stats.byOperation.DeleteJob?.errors.LimitExceededException ?? 0);
    report(`${prefix}.destroy_failures`, destroy.failures);
    report(`${prefix}.destroy_timeline`, destroy.timeline);
  } finally {
    await local.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** A process that keeps one core busy until killed: the other work of a CI machine. */
function burner(): { stop(): void } {
  const child = spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
  return { stop: () => child.kill("SIGKILL") };
}

export async function run(report: Report): Promise<void> {
  compileForBench(); // before any clock starts
  report("jobs.count", JOBS);
  report("jobs.tps_limit", TPS);
  report("jobs.cores", os.availableParallelism());
  await measure(report, "jobs", GOAL.quiet);
  const busy = burner();
  try {
    await measure(report, "jobs_loaded", GOAL.loaded);
  } finally {
    busy.stop();
  }
}
