/**
 * The --max-devices gate of the real CLI, in child processes against a local
 * endpoint reached like AWS: exit 3 (naming the job and how many devices)
 * when a job change reaches more devices than allowed, or when they cannot be
 * counted (no --refresh); 0 (or 2 with --detailed-exitcode) within the limit;
 * 1 for a value that is not a whole number of devices.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import type { Plan } from "../../src/preview/plan.ts";
import { compiledArgs } from "../support/compiled.ts";
import { endpointEnv } from "../support/endpoint-env.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const fixture = path.join("test", "preview", "fixtures", "impact.run.ts");
const node = process.execPath;
let local: LocalIoT;
let root: string;

/** Runs a command without blocking this process (the endpoint the child talks to lives here). */
function run(args: string[], version: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      node,
      compiledArgs(args),
      { cwd: repo, env: endpointEnv(local, root, { STACK_VERSION: String(version) }), encoding: "utf8", timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}
const preview = (args: string[]) => run(["src/cli/index.ts", "preview", fixture, "--stage", "gate", ...args], 2);

beforeAll(async () => {
  local = await startLocalIoT({ deletionDelayMs: 20 });
  root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-gate-"));
  // The fleet (3 things) is deployed; version 2 adds a job on it.
  const deployed = await run([fixture, "--stage", "gate"], 1);
  expect(deployed.code, `${deployed.stdout}${deployed.stderr}`).toBe(0);
}, 120_000);
afterAll(async () => {
  await local.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

test("over the limit: exit 3, naming the job and how many devices; within it: 0, or 2 with --detailed-exitcode", async () => {
  const over = await preview(["--refresh", "--max-devices", "2"]);
  expect(over.code, over.stderr).toBe(3);
  expect(over.stderr).toContain(
    '✖ --max-devices 2: a job change does not pass:\n  - job "rollout" (gate-rollout): the creation would reach 3 devices, more than 2',
  );
  // The plan is printed all the same, with the job's devices.
  expect(over.stdout).toContain(
    "devices: 3 devices receive the job; all notified within 2 min; at most 1 device can fail before the abort criteria stop the job",
  );

  const within = await preview(["--refresh", "--max-devices", "3"]);
  expect(within.code, within.stderr).toBe(0);
  expect(within.stderr).toContain("✔ --max-devices 3: no job change sends the job to more than 3 devices.");
  expect((await preview(["--refresh", "--max-devices", "3", "--detailed-exitcode"])).code).toBe(2);
  // The gate goes to stderr: the JSON on stdout stays JSON.
  const json = await preview(["--refresh", "--max-devices", "2", "--format", "json"]);
  expect(json.code).toBe(3);
  const plan: Plan = JSON.parse(json.stdout);
  expect(plan.resources.find((e) => e.name === "rollout")!.deviceImpact).toEqual({
    change: "create",
    devices: 3,
    inProgress: 0,
    minutesToNotifyAll: 2,
    maxFailuresBeforeAbort: 1,
    notes: [],
  });
}, 240_000);

test("devices unknown (no --refresh): a gate that cannot count does not pass", async () => {
  const unknown = await preview(["--max-devices", "1000"]);
  expect(unknown.code, unknown.stderr).toBe(3);
  expect(unknown.stderr).toContain(
    'job "rollout" (gate-rollout): the devices of the creation are unknown; --refresh is needed to count devices',
  );
  expect(unknown.stdout).toContain("devices: unknown without --refresh");
  // Without the gate, the same preview succeeds.
  expect((await preview([])).code).toBe(0);
}, 120_000);

test("a value that is not a whole number of devices is a usage error naming the option and the value", async () => {
  for (const value of ["ten", "1.5", "-1"]) {
    const r = await preview(["--max-devices", value]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--max-devices must be a whole number of devices (0 or more), not "${value}".`);
  }
  const negative = await preview(["--max-devices=-3"]);
  expect(negative.code).toBe(1);
  expect(negative.stderr).toContain('not "-3"');
}, 120_000);
