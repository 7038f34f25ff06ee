/**
 * A destroy killed while it waits for a job's asynchronous deletion: the job is
 * DELETION_IN_PROGRESS and still in Alchemy's state; the next destroy waits for
 * it (without deleting it a second time) and finishes everything else.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { endpointEnv, runKillable } from "../support/endpoint-env.ts";

const program = path.join("test", "reliability", "fixtures", "crash.run.ts");
let local: LocalIoT;
let root: string;

beforeEach(async () => {
  local = await startLocalIoT({ deletionDelayMs: 50 });
  root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-interrupted-"));
});
afterEach(async () => {
  await local.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

function run(args: string[], kill?: (operation: string, child: ChildProcess) => void) {
  return runKillable(
    local,
    [program, "--stage", "s", ...args],
    endpointEnv(local, root, { VERSION: "1" }),
    kill && ((operation, _count, child) => kill(operation, child)),
  );
}

test("a destroy killed while waiting for a job's deletion is finished by the next destroy", async () => {
  expect((await run([])).code).toBe(0);
  local.setDeletionDelay(3_000);
  const stateDir = path.join(root, ".alchemy", "crash", "s");
  let deleting: string | undefined;
  const killed = await run(["--destroy"], (operation, child) => {
    if (operation === "DeleteJob" && !deleting) {
      deleting = [...local.world.tables.jobs.values()].find((j) => j.status === "DELETION_IN_PROGRESS")?.jobId ?? "pending";
      // Let it start waiting, then kill it.
      setTimeout(() => child.kill("SIGKILL"), 400);
    }
  });
  expect(killed.signal).toBe("SIGKILL");
  const jobs = [...local.world.tables.jobs.values()];
  const inDeletion = jobs.filter((j) => j.status === "DELETION_IN_PROGRESS");
  expect(inDeletion.length).toBe(1);
  // The job being deleted is still in Alchemy's state.
  const states = fs.readdirSync(stateDir).map((f) => JSON.parse(fs.readFileSync(path.join(stateDir, f), "utf8")));
  expect(states.some((s) => s.output?.jobId === inDeletion[0].jobId)).toBe(true);

  const finished = await run(["--destroy"]);
  expect(finished.code, finished.out).toBe(0);
  const calls = local.stats().calls.map((c) => c.operation);
  // It waited for the deletion in progress instead of deleting that job again.
  expect(calls.filter((c) => c === "DeleteJob").length).toBe(jobs.length - 1);
  expect(
    local.world.tables.jobs.size + local.world.tables.templates.size + local.world.tables.things.size + local.world.tables.thingGroups.size,
  ).toBe(0);
  expect(fs.existsSync(stateDir)).toBe(false);
}, 60_000);
