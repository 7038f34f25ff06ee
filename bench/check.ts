/**
 * What a deploy's whole-program check costs (src/preview/check.ts): a
 * 1,000-resource program (BENCH_TEMPLATES job templates, a thing and a job
 * on it) deployed first, then redeployed with
 * nothing to do, then with every template changed, each time with the check
 * and without it (ALCHEMY_IOT_CHECK=0), against an endpoint that does not
 * throttle (so that the check's own time is not hidden behind IoT's rate).
 *
 *   check.<case>.check_s       the check alone, as the deploy logs it
 *   check.<case>.wall_s        the deploy with the check
 *   check.<case>.wall_without_s the same deploy without it
 *   check.<case>.check_reads   IoT reads the check made (references it could not resolve in the program)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLocalIoT } from "../src/local/index.ts";
import type { Report } from "./report.ts";
import { endpointEnv, must, runNode } from "./run-program.ts";

const N = Number(process.env.BENCH_TEMPLATES ?? "1000");
const program = path.join("bench", "fixtures", "templates.run.ts");

const checkSeconds = (out: string) =>
  Number(/Checked the whole program before the first change: \d+ resources in ([\d.]+) s/.exec(out)?.[1] ?? NaN);

export async function run(report: Report): Promise<void> {
  const local = await startLocalIoT({ port: 0 });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-bench-check-"));
  try {
    report("check.resources", N + 2);
    for (const [name, tag] of [
      ["first_deploy", "a"],
      ["noop_redeploy", "a"],
      ["update_all", "b"],
    ] as const) {
      const env = endpointEnv(local, root, { TEMPLATES: String(N), JOBS: "1", TAG: tag });
      local.resetStats();
      const checked = must(await runNode([program, "--stage", "checked"], { ...env, PREFIX: "checked" }), `${name} with the check`);
      const reads = local.stats().requests;
      local.resetStats();
      const unchecked = must(
        await runNode([program, "--stage", "unchecked"], { ...env, PREFIX: "unchecked", ALCHEMY_IOT_CHECK: "0" }),
        `${name} without the check`,
      );
      const readsWithout = local.stats().requests;
      report(`check.${name}.check_s`, checkSeconds(checked.stdout + checked.stderr));
      report(`check.${name}.wall_s`, checked.ms / 1000);
      report(`check.${name}.wall_without_s`, unchecked.ms / 1000);
      report(`check.${name}.iot_calls`, reads);
      report(`check.${name}.iot_calls_without`, readsWithout);
    }
  } finally {
    await local.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
