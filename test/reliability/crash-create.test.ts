/**
 * A first deploy (version 1 of fixtures/crash.run.ts: templates, a group, a
 * thing, two jobs) killed with SIGKILL at each of its mutating requests in
 * turn: each time the next deploy recovers and converges, and a destroy leaves
 * nothing. The trials are in ./crash-trials.ts; the update's are in
 * ./crash-update.test.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { startLocalIoT } from "../../src/local/index.ts";
import { mutatingRequestsOf, trials } from "./crash-trials.ts";

test("a first deploy killed at each of its mutating requests, in turn, recovers, converges and destroys cleanly", async () => {
  // Its kill points: each mutating request a whole deploy makes (9 today).
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-crash-calibration-"));
  const calibration = await startLocalIoT({ deletionDelayMs: 30 });
  let killPoints: number;
  try {
    killPoints = await mutatingRequestsOf(calibration, root, 1);
  } finally {
    await calibration.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
  expect(killPoints).toBeGreaterThanOrEqual(5);
  expect(await trials(1, killPoints)).toHaveLength(killPoints);
}, 600_000);
