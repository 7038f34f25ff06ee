/**
 * An update (version 1 of fixtures/crash.run.ts deployed, then version 2:
 * every kind of change a deploy makes) killed with SIGKILL at each of its
 * mutating requests in turn: each time the next deploy (which runs the
 * whole-program check first) recovers and converges, and a destroy leaves
 * nothing. The trials are in ./crash-trials.ts; the first deploy's are in
 * ./crash-create.test.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { startLocalIoT } from "../../src/local/index.ts";
import { mutatingRequestsOf, trials, type Baseline } from "./crash-trials.ts";

test("an update killed at each of its mutating requests, in turn, recovers, converges and destroys cleanly", async () => {
  // Version 1 deployed once, as files (the state directory and the endpoint's data), copied for each trial;
  // the update's kill points: each mutating request a whole update makes (11 today).
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-crash-calibration-"));
  const baseline: Baseline = { root: path.join(root, "v1"), data: path.join(root, "v1.json") };
  const calibration = await startLocalIoT({ deletionDelayMs: 30, persistPath: path.join(root, "endpoint.json") });
  let killPoints: number;
  try {
    fs.mkdirSync(baseline.root);
    await mutatingRequestsOf(calibration, baseline.root, 1);
    fs.copyFileSync(path.join(root, "endpoint.json"), baseline.data);
    const work = path.join(root, "v2");
    fs.cpSync(baseline.root, work, { recursive: true });
    killPoints = await mutatingRequestsOf(calibration, work, 2);
  } finally {
    await calibration.stop();
  }
  try {
    expect(killPoints).toBeGreaterThanOrEqual(5);
    expect(await trials(2, killPoints, baseline)).toHaveLength(killPoints);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}, 600_000);
