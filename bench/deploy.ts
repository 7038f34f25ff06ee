/**
 * Deploy performance at IoT's rate limit. The endpoint throttles every IoT API
 * at 10 requests per second (IoT's published rate for the jobs APIs), so the
 * physical limit for creating or deleting N templates is N / 10 seconds.
 *
 *   1. deploy of N job templates declared with Promise.all: wall time / (N / TPS), throttled responses, failures
 *   2. no-op redeploy: IoT calls and wall time
 *   3. destroy of the N templates: wall time / (N / TPS), failures
 *   4. peak RSS of the deploy process
 * (Calls per lifecycle operation are bench/calls.ts; 100 jobs created and destroyed, bench/jobs.ts.)
 *
 * The program runs compiled, with plain `node` (bench/run-program.ts).
 * BENCH_TEMPLATES (default 1000) and BENCH_TPS (default 10) scale it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLocalIoT, type LocalIoT } from "../src/local/index.ts";
import type { Report } from "./report.ts";
import { endpointEnv, runNode, type ProgramRun } from "./run-program.ts";

const N = Number(process.env.BENCH_TEMPLATES ?? "1000");
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
    const env = endpointEnv(local, root, { TEMPLATES: String(N), JOBS: "0" });
    local.resetStats();
    const deploy = await runNode([program, "--stage", "bench"], env);
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
    const noop = await runNode([program, "--stage", "bench"], env);
    explain(noop, "no-op redeploy");
    report("noop.wall_s", noop.ms / 1000);
    report("noop.iot_calls", local.stats().requests);
    report("noop.failures", failures(noop));

    // 3. Destroy.
    local.resetStats();
    const destroy = await runNode([program, "--stage", "bench", "--destroy"], env);
    explain(destroy, "destroy");
    const s3 = local.stats();
    report("destroy.wall_s", destroy.ms / 1000);
    report("destroy.ratio_to_limit", destroy.ms / 1000 / ideal);
    report("destroy.throttled_responses", s3.throttled);
    report("destroy.failures", failures(destroy) + (await templateCount(local)));
  } finally {
    await local.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
