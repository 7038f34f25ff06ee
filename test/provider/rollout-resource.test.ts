/**
 * Rollout through the real Alchemy runtime and the local endpoint, its time
 * moved with the endpoint's clock: a canary group, 10 % of the fleet, then
 * everyone; a failing canary cancels the job; a wave baking holds; the
 * preview lists exactly the calls a deploy makes.
 */
import "../../src/preview/globals.ts";
import {
  AddThingToThingGroupCommand,
  AssociateTargetsWithJobCommand,
  CreateThingGroupCommand,
  DeleteJobCommand,
  DescribeJobCommand,
  ListJobExecutionsForJobCommand,
  ListThingsInThingGroupCommand,
} from "@aws-sdk/client-iot";
import { afterEach, beforeEach, expect, test } from "vitest";
import { sampleWave } from "../../src/api/rollout-gate.ts";
import { Rollout, type RolloutProps } from "../../src/index.ts";
import { deploy, predictedCalls, preview, sameCalls } from "../support/accuracy.ts";
import { deviceGate } from "../../src/cli/preview.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack({ local: { deletionDelayMs: 20 } });
});
afterEach(() => stack.close());

const MIN = 60_000;
const groupArn = (name: string) => `arn:aws:iot:${stack.local.region}:${stack.local.accountId}:thinggroup/${name}`;

const program =
  (overrides: Partial<RolloutProps> = {}) =>
  () =>
    Rollout("firmware", {
      job: { document: { operation: "update", version: "1.2.3" }, deletion: { force: true } },
      fleet: "fleet",
      waves: [
        { name: "canary", targets: [groupArn("canary")], bakeMinutes: 120 },
        { name: "early", percent: 10, bakeMinutes: 60 },
        { name: "everyone", percent: 100 },
      ],
      gate: { minExecuted: 5, maxFailedPercent: 2, minSucceededPercent: 95 },
      ...overrides,
    });

/** Two waves: the canary group, then 10 % of the fleet. */
const twoWaves = (): Partial<RolloutProps> => ({
  waves: [
    { name: "canary", targets: [groupArn("canary")] },
    { name: "early", percent: 10 },
  ],
});

async function executions(jobId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let nextToken: string | undefined;
  do {
    const page = await stack.client.send(new ListJobExecutionsForJobCommand({ jobId, nextToken, maxResults: 250 }));
    for (const e of page.executionSummaries ?? []) out[e.thingArn!.split("/").pop()!] = e.jobExecutionSummary!.status!;
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

async function members(group: string): Promise<string[]> {
  return ((await stack.client.send(new ListThingsInThingGroupCommand({ thingGroupName: group, maxResults: 250 }))).things ?? []).sort();
}

/** 5 canary devices (also in the fleet) and 50 more in the fleet. */
async function fleet(canary: { failRate?: number } = {}) {
  const canaries = await stack.local.addSimulatedDevices({ thingGroupName: "canary", count: 5, namePrefix: "canary-", behaviour: canary });
  await stack.local.addSimulatedDevices({ thingGroupName: "fleet", count: 5, namePrefix: "canary-", behaviour: canary });
  const others = await stack.local.addSimulatedDevices({ thingGroupName: "fleet", count: 50, namePrefix: "sim-" });
  return { canaries, all: [...canaries, ...others].sort() };
}

test("three waves: canary, 10 % of the fleet (exactly the sampled devices), everyone; then complete", async () => {
  const { canaries, all } = await fleet();
  expect(await members("fleet")).toEqual(all);

  // Deploy 1: the job on the canary group only.
  const first = await stack.deploy(program());
  expect(first.currentWave).toBe(0);
  expect(first.outcome).toBe("in-progress");
  const job = (await stack.client.send(new DescribeJobCommand({ jobId: first.jobId }))).job!;
  expect(job.targetSelection).toBe("CONTINUOUS");
  expect(job.targets).toEqual([groupArn("canary")]);
  stack.local.advanceTime(5 * MIN);
  expect(Object.keys(await executions(first.jobId)).sort()).toEqual(canaries);
  expect(Object.values(await executions(first.jobId)).every((s) => s === "SUCCEEDED")).toBe(true);

  // Baking: the preview says so, and a deploy makes no mutating call.
  const baking = await preview(stack, program());
  const entry = baking.resources.find((e) => e.name === "firmware")!;
  expect(entry.operations).toEqual([]);
  expect(entry.notes.join("\n")).toMatch(/hold: bake ends in 11[56] min/);
  expect(entry.notes.join("\n")).toContain("wave 1 of 3 (canary): 5 executed, 0 failed, 5 succeeded of 5 devices reached");
  stack.local.resetStats();
  const held = await stack.deploy(program());
  expect(stack.mutatingCalls()).toEqual([]);
  expect(held.currentWave).toBe(0);

  // Past the bake: the preview plans wave 2, the deploy does exactly that.
  stack.local.advanceTime(120 * MIN);
  const plan = await preview(stack, program());
  const advance = plan.resources.find((e) => e.name === "firmware")!;
  const group = `${first.jobId}-early`;
  const sampled = sampleWave(all, 10, first.jobId).filter((d) => !canaries.includes(d));
  expect(advance.warnings.join("\n")).toContain(`advance to wave 2 of 3 (early): +${sampled.length} device`);
  // The device impact counts the devices the next wave adds, and --max-devices gates on it.
  expect(advance.deviceImpact).toMatchObject({ change: "add-targets", devices: sampled.length });
  expect(deviceGate(plan, sampled.length)).toEqual([]);
  expect(deviceGate(plan, sampled.length - 1)).toEqual([
    `rollout "firmware" (job ${first.jobId}): adding target groups would reach ${sampled.length} devices, more than ${sampled.length - 1}`,
  ]);
  const performed = await deploy(stack, program());
  expect(sameCalls(predictedCalls(plan), performed.calls)).toBeUndefined();
  expect(performed.calls[group]).toEqual(["CreateThingGroup"]);
  for (const device of sampled) expect(performed.calls[`${device} → ${group}`]).toEqual(["AddThingToThingGroup"]);
  expect(performed.calls[first.jobId]).toEqual(["AssociateTargetsWithJob"]);
  expect(await members(group)).toEqual([...sampled].sort());
  const second = (await stack.client.send(new DescribeJobCommand({ jobId: first.jobId }))).job!;
  expect(second.targets?.sort()).toEqual([groupArn("canary"), groupArn(group)].sort());
  stack.local.advanceTime(5 * MIN);
  expect(Object.keys(await executions(first.jobId)).sort()).toEqual([...canaries, ...sampled].sort());
  // Wave 2's gate counts its own devices: the canary's 5 are its baseline, left out.
  const n = sampled.length;
  const judged = (await preview(stack, program())).resources.find((e) => e.name === "firmware")!;
  expect(judged.notes.join("\n")).toContain(
    `wave 2 of 3 (early): ${n} executed, 0 failed, ${n} succeeded of ${n} devices reached since its release`,
  );

  // Wave 2 baked: everyone (the fleet group itself).
  stack.local.advanceTime(60 * MIN);
  const third = await deploy(stack, program());
  expect(third.calls[first.jobId]).toEqual(["AssociateTargetsWithJob"]);
  expect(third.calls[group]).toBeUndefined();
  stack.local.advanceTime(5 * MIN);
  const done = await executions(first.jobId);
  expect(Object.keys(done).sort()).toEqual(all);
  expect(Object.values(done).every((s) => s === "SUCCEEDED")).toBe(true);

  // The last wave passed its gate: complete, with no call; later deploys make none either.
  stack.local.resetStats();
  const complete = await stack.deploy(program());
  expect(complete.outcome).toBe("completed");
  expect(complete.currentWave).toBe(2);
  expect(complete.progress.map((p) => p.name)).toEqual(["canary", "early", "everyone"]);
  expect(complete.progress.every((p) => typeof p.startedAt === "string")).toBe(true);
  const again = await stack.deploy(program());
  expect(again.outcome).toBe("completed");
  expect(stack.mutatingCalls()).toEqual([]);

  // Destroy: the job is cancelled and deleted, and the wave group it made too.
  await stack.destroy();
  expect(await stack.client.send(new DescribeJobCommand({ jobId: first.jobId })).catch((e: Error) => e.name)).toBe(
    "ResourceNotFoundException",
  );
  expect(await members(group).catch((e: Error) => e.name)).toBe("ResourceNotFoundException");
});

test("a failing canary: the deploy cancels the job and fails naming the wave and the figures; the next deploy makes no call", async () => {
  await fleet({ failRate: 1 });
  const first = await stack.deploy(program());
  stack.local.advanceTime(5 * MIN);

  const plan = await preview(stack, program());
  const entry = plan.resources.find((e) => e.name === "firmware")!;
  expect(entry.operations.map((o) => o.operation)).toEqual(["CancelJob"]);
  expect(entry.warnings.join("\n")).toContain("cancel: wave canary failed its gate: 100 % failed > 2 % (5 of 5 executed after 5 min)");

  stack.local.resetStats();
  const failed = await stack.deploy(program()).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(failed?.message).toContain('Rollout "firmware": wave canary failed its gate: 100 % failed > 2 % (5 of 5 executed after 5 min)');
  expect(stack.mutatingCalls()).toEqual(["CancelJob"]);
  expect((await stack.client.send(new DescribeJobCommand({ jobId: first.jobId }))).job!.status).toBe("CANCELED");

  stack.local.resetStats();
  const later = await stack.deploy(program());
  expect(stack.mutatingCalls()).toEqual([]);
  expect(later.outcome).toBe("cancelled");
  const after = await preview(stack, program());
  expect(after.resources.find((e) => e.name === "firmware")!.notes.join("\n")).toContain(
    "the rollout was cancelled at wave 1 of 3 (canary)",
  );
});

test('onGateFailure "hold": the deploy fails the same way, and cancels nothing', async () => {
  await fleet({ failRate: 1 });
  const first = await stack.deploy(program({ onGateFailure: "hold" }));
  stack.local.advanceTime(5 * MIN);
  stack.local.resetStats();
  const failed = await stack.deploy(program({ onGateFailure: "hold" })).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(failed?.message).toContain("wave canary failed its gate: 100 % failed > 2 %");
  expect(stack.mutatingCalls()).toEqual([]);
  expect((await stack.client.send(new DescribeJobCommand({ jobId: first.jobId }))).job!.status).toBe("IN_PROGRESS");
});

test("a later wave is judged on its own devices: a failing wave 2 after a healthy canary fails its gate", async () => {
  // The canary succeeds; every other device fails. Over every wave, wave 2 would be 5 succeeded and n failed
  // (n ≤ 6: under 60 % failed, so a hold); on its own devices it is n of n failed, 100 % > 60 %.
  const canaries = await stack.local.addSimulatedDevices({ thingGroupName: "canary", count: 5, namePrefix: "canary-" });
  await stack.local.addSimulatedDevices({ thingGroupName: "fleet", count: 5, namePrefix: "canary-" });
  const others = await stack.local.addSimulatedDevices({
    thingGroupName: "fleet",
    count: 50,
    namePrefix: "sim-",
    behaviour: { failRate: 1 },
  });
  const gate = { gate: { minExecuted: 1, maxFailedPercent: 60, minSucceededPercent: 95 } };
  const first = await stack.deploy(program(gate));
  stack.local.advanceTime(125 * MIN);
  const second = await stack.deploy(program(gate));
  expect(second.currentWave).toBe(1);
  expect(second.progress[1].baseline).toEqual({ succeeded: 5, failed: 0, notified: 5, unfinished: 0 });
  const n = sampleWave([...canaries, ...others], 10, first.jobId).filter((d) => !canaries.includes(d)).length;
  expect(n).toBeGreaterThan(0);
  expect(n).toBeLessThanOrEqual(6);
  stack.local.advanceTime(5 * MIN);
  const failed = await stack.deploy(program(gate)).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(failed?.message).toContain(`wave early failed its gate: 100 % failed > 60 % (${n} of ${n} executed after 5 min)`);
  expect((await stack.client.send(new DescribeJobCommand({ jobId: first.jobId }))).job!.status).toBe("CANCELED");
});

test("a wave an interrupted deploy released (already among the job's targets) is recorded by the next deploy with no call", async () => {
  const { canaries, all } = await fleet();
  const first = await stack.deploy(program(twoWaves()));
  stack.local.advanceTime(5 * MIN);
  // What the interrupted deploy did: the wave's group, its members, the association; not its state.
  const group = `${first.jobId}-early`;
  await stack.client.send(new CreateThingGroupCommand({ thingGroupName: group }));
  for (const thingName of sampleWave(all, 10, first.jobId).filter((d) => !canaries.includes(d)))
    await stack.client.send(new AddThingToThingGroupCommand({ thingGroupName: group, thingName }));
  await stack.client.send(new AssociateTargetsWithJobCommand({ jobId: first.jobId, targets: [groupArn(group)] }));
  const plan = (await preview(stack, program(twoWaves()))).resources.find((e) => e.name === "firmware")!;
  expect(plan.operations).toEqual([]);
  expect(plan.notes.join("\n")).toContain(
    `wave 2 of 2 (early) is already among job ${first.jobId}'s targets (a deploy released it and was interrupted before recording it): recorded as released now, no call`,
  );
  stack.local.resetStats();
  const recorded = await stack.deploy(program(twoWaves()));
  expect(stack.mutatingCalls()).toEqual([]);
  expect(recorded.currentWave).toBe(1);
  expect(recorded.progress[1]).toMatchObject({ name: "early", group });
});

test("destroy after the job was deleted out of band still deletes the wave groups the rollout made", async () => {
  const { canaries, all } = await fleet();
  const first = await stack.deploy(program(twoWaves()));
  // (The endpoint's clock moves less than 5 minutes in all: beyond that the SDK takes a 404 for clock skew and retries it.)
  stack.local.advanceTime(3 * MIN);
  const released = await stack.deploy(program(twoWaves()));
  const group = `${first.jobId}-early`;
  expect(released.progress[1].group).toBe(group);
  expect(await members(group)).toEqual(
    sampleWave(all, 10, first.jobId)
      .filter((d) => !canaries.includes(d))
      .sort(),
  );
  // Someone deletes the job by hand; the wave group stays.
  await stack.client.send(new DeleteJobCommand({ jobId: first.jobId, force: true }));
  stack.local.advanceTime(MIN); // its deletion (20 ms) completes
  expect(stack.local.world.tables.jobs.has(first.jobId)).toBe(false);
  stack.local.resetStats();
  await stack.destroy();
  // The job's own calls stop at "gone"; the wave group, a thing of its own, is still deleted.
  expect(stack.mutatingCalls()).toEqual(["DeleteThingGroup"]);
  expect(await members(group).catch((e: Error) => e.name)).toBe("ResourceNotFoundException");
});

test("changing what the job installs starts a new rollout from the first wave with a new job; changing the gates is state only", async () => {
  await fleet();
  const first = await stack.deploy(program());
  stack.local.advanceTime(125 * MIN);
  await stack.deploy(program()); // wave 2

  stack.local.resetStats();
  const gated = await stack.deploy(program({ gate: { minExecuted: 5, maxFailedPercent: 3, minSucceededPercent: 95 } }));
  expect(gated.jobId).toBe(first.jobId);
  expect(stack.mutatingCalls()).toEqual([]);

  const v2 = program({ job: { document: { operation: "update", version: "1.2.4" }, deletion: { force: true } } });
  const plan = await preview(stack, v2);
  const entry = plan.resources.find((e) => e.name === "firmware")!;
  expect(entry.actions).toEqual(["create", "delete"]);
  expect(entry.replaceReasons.join("\n")).toContain("a new rollout starts from the first wave (canary)");
  const performed = await deploy(stack, v2);
  expect(sameCalls(predictedCalls(plan), performed.calls)).toBeUndefined();
  const next = await stack.deploy(v2);
  expect(next.jobId).not.toBe(first.jobId);
  expect(next.currentWave).toBe(0);
  expect((await stack.client.send(new DescribeJobCommand({ jobId: next.jobId }))).job!.targets).toEqual([groupArn("canary")]);
  expect(await stack.client.send(new DescribeJobCommand({ jobId: first.jobId })).catch((e: Error) => e.name)).toBe(
    "ResourceNotFoundException",
  );
  expect(await members(`${first.jobId}-early`).catch((e: Error) => e.name)).toBe("ResourceNotFoundException");
});

test("invalid waves are refused before any call", async () => {
  const failed = await stack
    .deploy(() =>
      Rollout("bad", {
        job: { document: { operation: "x" } },
        waves: [
          { name: "a", percent: 10 },
          { name: "a", targets: [`arn:aws:iot:us-east-1:123456789012:thing/t1`] },
        ],
      }),
    )
    .then(
      () => undefined,
      (e: Error) => e.message,
    );
  expect(failed).toContain("fleet: is required");
  expect(failed).toContain("is also waves[0]'s name");
  expect(failed).toContain("after the first wave only thing groups");
  expect(stack.mutatingCalls()).toEqual([]);
});
