/**
 * Deploy performance at IoT's rate limit. The endpoint throttles every IoT API
 * at 10 requests per second (IoT's published rate for the jobs APIs), so the
 * physical limit for creating or deleting N templates is N / 10 seconds.
 *
 *   1. deploy of N job templates declared with Promise.all: wall time / (N / TPS), throttled responses, failures
 *   2. no-op redeploy: IoT calls and wall time
 *   3. destroy of the N templates: wall time / (N / TPS), failures
 *   4. 100 jobs created then destroyed, with a deletion delay and the 10-concurrent-deletions limit
 *   6. peak RSS of the deploy process
 * (5, calls per lifecycle operation, is bench/calls.ts.)
 *
 * BENCH_TEMPLATES (default 1000), BENCH_JOBS (default 100) and BENCH_TPS (default 10) scale it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLocalIoT, type LocalIoT } from "../src/local/index.ts";
import type { Report } from "./report.ts";
import { endpointEnv, runTsx, type ProgramRun } from "./run-program.ts";

const N = Number(process.env.BENCH_TEMPLATES ?? "1000");
const JOBS = Number(process.env.BENCH_JOBS ?? "100");
const TPS = Number(process.env.BENCH_TPS ?? "10");
const program = path.join("bench", "fixtures", "templates.run.ts");

function failures(run: ProgramRun): number {
  return run.code === 0 ? 0 : 1;
}

function explain(run: ProgramRun, what: string) {
  if (run.code !== 0) console.error(`${what} failed (exit ${run.code}):\n${(run.stdout + run.stderr).slice(-3000)}`);
}

async function templateCount(local: LocalIoT): Promise<number> {
  return local.world.tables.templates.size;
}

export async function run(report: Report): Promise<void> {
  const local = await startLocalIoT({ port: 0, faults: { throttle: TPS }, deletionDelayMs: 2000 });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-bench-deploy-"));
  const ideal = N / TPS;
  try {
    report("deploy.templates", N);
    report("deploy.tps_limit", TPS);

    // 1. Deploy.
    let env = endpointEnv(local, root, { TEMPLATES: String(N), JOBS: "0" });
    local.resetStats();
    const deploy = await runTsx([program, "--stage", "bench"], env);
    explain(deploy, "deploy");
    const s1 = local.stats();
    report("deploy.wall_s", deploy.ms / 1000);
    report("deploy.ratio_to_limit", deploy.ms / 1000 / ideal);
    report("deploy.throttled_responses", s1.throttled);
    report("deploy.iot_calls", s1.requests);
    report("deploy.failures", failures(deploy) + (N - (await templateCount(local))));
    report("deploy.peak_rss_mb", (deploy.maxRssKb ?? 0) / 1024);

    // 2. No-op redeploy.
    local.resetStats();
    const noop = await runTsx([program, "--stage", "bench"], env);
    explain(noop, "no-op redeploy");
    report("noop.wall_s", noop.ms / 1000);
    report("noop.iot_calls", local.stats().requests);
    report("noop.failures", failures(noop));

    // 3. Destroy.
    local.resetStats();
    const destroy = await runTsx([program, "--stage", "bench", "--destroy"], env);
    explain(destroy, "destroy");
    const s3 = local.stats();
    report("destroy.wall_s", destroy.ms / 1000);
    report("destroy.ratio_to_limit", destroy.ms / 1000 / ideal);
    report("destroy.throttled_responses", s3.throttled);
    report("destroy.failures", failures(destroy) + (await templateCount(local)));

    // 4. Jobs: create, then destroy with a 2 s deletion delay and at most 10 deletions at once.
    env = endpointEnv(local, root, { TEMPLATES: "0", JOBS: String(JOBS) });
    local.resetStats();
    const jobs = await runTsx([program, "--stage", "jobs"], env);
    explain(jobs, "jobs deploy");
    report("jobs.count", JOBS);
    report("jobs.create_wall_s", jobs.ms / 1000);
    report("jobs.create_failures", failures(jobs) + (JOBS - local.world.tables.jobs.size));
    local.resetStats();
    const jobsDestroy = await runTsx([program, "--stage", "jobs", "--destroy"], env);
    explain(jobsDestroy, "jobs destroy");
    const s4 = local.stats();
    report("jobs.destroy_wall_s", jobsDestroy.ms / 1000);
    // Each deletion takes 2 s and at most 10 run at once: the limit is JOBS / 10 * 2 s.
    report("jobs.destroy_limit_s", (JOBS / 10) * 2);
    report("jobs.destroy_ratio_to_limit", jobsDestroy.ms / 1000 / ((JOBS / 10) * 2));
    report("jobs.peak_deletions_in_progress", s4.peakDeletionsInProgress);
    report("jobs.limit_exceeded_responses", s4.byOperation.DeleteJob?.errors.LimitExceededException ?? 0);
    report("jobs.destroy_failures", failures(jobsDestroy) + local.world.tables.jobs.size);
  } finally {
    await local.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
