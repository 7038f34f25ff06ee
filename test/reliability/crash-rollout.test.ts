/**
 * A Rollout's deploy killed with SIGKILL while it releases a wave: after its
 * CreateThingGroup, after its first AddThingToThingGroup, and as its
 * AssociateTargetsWithJob arrives (served, so the job has the wave while the
 * state does not). Before the association, the next deploy releases the wave
 * again with the same calls (CreateThingGroup of the same group answers 200,
 * adding a member twice changes nothing); after it, the next deploy sees the
 * wave among the job's targets and records it with no call. Each time every
 * device gets the job once, the rollout completes, and destroy leaves no
 * wave group and no job.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { sampleWave } from "../../src/api/rollout-gate.ts";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { endpointEnv, runKillable, type KillableRun } from "../support/endpoint-env.ts";

const program = path.join("test", "reliability", "fixtures", "crash-rollout.run.ts");
const MIN = 60_000;
const isMutating = (operation: string) => !/^(Describe|List|Get)/.test(operation);

function deploy(local: LocalIoT, root: string, options: { destroy?: boolean; killAt?: number } = {}): Promise<KillableRun> {
  const env = endpointEnv(local, root, { CANARY_ARN: local.world.arn("thinggroup/cr-canary"), ALCHEMY_IOT_CHECK: "0" });
  let mutating = 0;
  return runKillable(local, [program, "--stage", "s", ...(options.destroy ? ["--destroy"] : [])], env, (operation, _n, child) => {
    if (isMutating(operation) && ++mutating === options.killAt) child.kill("SIGKILL");
  });
}

function recorded(root: string): { jobId: string; currentWave: number; progress: Array<{ name: string; group?: string }> } {
  return JSON.parse(fs.readFileSync(path.join(root, ".alchemy", "crash-rollout", "s", "fw.json"), "utf8")).output;
}

async function trial(killAt: "CreateThingGroup" | "AddThingToThingGroup" | "AssociateTargetsWithJob"): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `iot-jobs-crash-rollout-${killAt}-`));
  const local = await startLocalIoT({ deletionDelayMs: 30 });
  try {
    const canaries = await local.addSimulatedDevices({ thingGroupName: "cr-canary", count: 2, namePrefix: "cr-c-" });
    await local.addSimulatedDevices({ thingGroupName: "cr-fleet", count: 2, namePrefix: "cr-c-" });
    const others = await local.addSimulatedDevices({ thingGroupName: "cr-fleet", count: 18, namePrefix: "cr-d-" });
    const created = await deploy(local, root);
    expect(created.code, created.out).toBe(0);
    const jobId = recorded(root).jobId;
    const group = `${jobId}-half`;
    const sampled = sampleWave([...canaries, ...others], 50, jobId)
      .filter((d) => !canaries.includes(d))
      .sort();
    local.advanceTime(5 * MIN);

    // The deploy that releases wave 2, killed at the chosen call: the state still says wave 1.
    const at = { CreateThingGroup: 1, AddThingToThingGroup: 2, AssociateTargetsWithJob: sampled.length + 2 }[killAt];
    const killed = await deploy(local, root, { killAt: at });
    expect(killed.signal, `killed at ${killAt}`).toBe("SIGKILL");
    expect(recorded(root).currentWave).toBe(0);
    expect(local.world.tables.thingGroups.has(group)).toBe(true);

    const recovered = await deploy(local, root);
    expect(recovered.code, recovered.out).toBe(0);
    if (killAt === "AssociateTargetsWithJob") {
      // The job has the wave already: the deploy records it, with no call.
      expect(local.stats().mutatingRequests).toBe(0);
    }
    expect(recorded(root).currentWave).toBe(1);
    expect(recorded(root).progress.map((p) => p.group)).toEqual([undefined, group]);
    expect([...local.world.tables.thingGroups.get(group)!.members].sort()).toEqual(sampled);
    const job = local.world.tables.jobs.get(jobId)!;
    expect(job.targets).toEqual([local.world.arn("thinggroup/cr-canary"), local.world.arn(`thinggroup/${group}`)]);
    // Every device of the first two waves got the job once.
    for (const device of [...canaries, ...sampled]) expect(local.world.executionsOf(jobId, device), device).toHaveLength(1);

    for (const wave of [2, 2]) {
      local.advanceTime(5 * MIN);
      const next = await deploy(local, root);
      expect(next.code, next.out).toBe(0);
      expect(recorded(root).currentWave).toBe(wave);
    }
    expect((recorded(root) as unknown as { outcome: string }).outcome).toBe("completed");
    const destroyed = await deploy(local, root, { destroy: true });
    expect(destroyed.code, destroyed.out).toBe(0);
    expect([...local.world.tables.thingGroups.keys()].sort()).toEqual(["cr-canary", "cr-fleet"]);
    expect([...local.world.tables.jobs.values()].filter((j) => j.status !== "DELETION_IN_PROGRESS")).toEqual([]);
  } finally {
    await local.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

test("a deploy killed while it releases a wave: the next one releases it again, once, and the rollout completes", async () => {
  // Concurrent: most of a trial is the 5 s each recovering deploy waits to take over the killed one's lock.
  await Promise.all([trial("CreateThingGroup"), trial("AddThingToThingGroup"), trial("AssociateTargetsWithJob")]);
}, 300_000);
