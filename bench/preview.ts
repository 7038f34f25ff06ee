/**
 * Preview of a stack of 1,000 deployed job templates: wall time and IoT calls,
 * without --refresh (target: 0 calls) and with it (target: one read per resource).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLocalIoT } from "../src/local/index.ts";
import type { Report } from "./report.ts";
import { endpointEnv, must, runNode } from "./run-program.ts";

const N = Number(process.env.BENCH_TEMPLATES ?? "1000");
const program = path.join("bench", "fixtures", "templates.run.ts");

export async function run(report: Report): Promise<void> {
  const local = await startLocalIoT({ port: 0 });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-bench-preview-"));
  try {
    const env = endpointEnv(local, root, { TEMPLATES: String(N) });
    must(await runNode([program, "--stage", "bench"], env), "deploy");
    report("preview.templates", N);
    for (const refresh of [false, true]) {
      local.resetStats();
      const r = must(
        await runNode(
          ["src/cli/index.ts", "preview", program, "--stage", "bench", "--format", "json", ...(refresh ? ["--refresh"] : [])],
          env,
        ),
        "preview",
      );
      const plan = JSON.parse(r.stdout);
      const prefix = refresh ? "preview.refresh" : "preview.plain";
      report(`${prefix}.wall_s`, r.ms / 1000);
      report(`${prefix}.iot_calls`, local.stats().requests);
      report(`${prefix}.mutating_calls`, local.stats().mutatingRequests);
      report(`${prefix}.unchanged_resources`, plan.summary.noChange);
    }
    // A preview of a change to every template (tags): what a large plan costs.
    local.resetStats();
    const changed = must(
      await runNode(["src/cli/index.ts", "preview", program, "--stage", "bench", "--format", "json"], { ...env, TAG: "b" }),
      "preview",
    );
    report("preview.changed.wall_s", changed.ms / 1000);
    report("preview.changed.updates", JSON.parse(changed.stdout).summary.update);
    report("preview.changed.iot_calls", local.stats().requests);
  } finally {
    await local.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
