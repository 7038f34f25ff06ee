/**
 * A continuous job's targets, through the preview and the real Alchemy
 * runtime: a group added is one AssociateTargetsWithJob call (the job keeps
 * its id and creation time, and devices that ran it do not run it again), as
 * the preview predicted; a group removed replaces the job, as the preview
 * predicted.
 */
import "../../src/preview/globals.ts";
import { DescribeJobCommand, ListJobExecutionsForJobCommand } from "@aws-sdk/client-iot";
import { afterEach, beforeEach, expect, test } from "vitest";
import { Job, Thing, ThingGroup } from "../../src/index.ts";
import { deploy, predictedCalls, preview, sameCalls } from "../support/accuracy.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack({ local: { deletionDelayMs: 20 } });
});
afterEach(() => stack.close());

const doc = { operation: "reboot" };

/** Groups "line-1" (a1, a2, and the things `joined`) and "line-2" (b1, and a1 too), and the job on the groups named. */
const program =
  (groups: string[], joined: string[] = []) =>
  async () => {
    const line1 = await ThingGroup("line-1", { thingGroupName: "line-1" });
    const line2 = await ThingGroup("line-2", { thingGroupName: "line-2" });
    await Thing("a1", { thingName: "a1", thingGroups: [line1, line2] });
    await Thing("a2", { thingName: "a2", thingGroups: [line1] });
    await Thing("b1", { thingName: "b1", thingGroups: [line2] });
    for (const name of joined) await Thing(name, { thingName: name, thingGroups: [line1] });
    const byName: Record<string, typeof line1> = { "line-1": line1, "line-2": line2 };
    return Job("reboot", {
      targets: groups.map((g) => byName[g]),
      document: doc,
      targetSelection: "CONTINUOUS",
      deletion: { force: true },
    });
  };

async function executions(jobId: string): Promise<Record<string, string>> {
  const list = await stack.client.send(new ListJobExecutionsForJobCommand({ jobId }));
  return Object.fromEntries((list.executionSummaries ?? []).map((e) => [e.thingArn!.split("/").pop()!, e.jobExecutionSummary!.status!]));
}

test("a group added to a continuous job: one AssociateTargetsWithJob, the same job, no device runs it twice", async () => {
  const first = await stack.deploy(program(["line-1"]));
  await stack.local.updateJobExecution({ thingName: "a1", jobId: first.jobId, status: "SUCCEEDED" });
  const createdAt = (await stack.client.send(new DescribeJobCommand({ jobId: first.jobId }))).job!.createdAt;

  const plan = await preview(stack, program(["line-1", "line-2"]));
  const entry = plan.resources.find((e) => e.name === "reboot")!;
  expect(entry.actions).toEqual(["update"]);
  expect(entry.replaceReasons).toEqual([]);
  expect(entry.warnings.join("\n")).toContain(
    "the devices in that group receive the job, except those that already have it; no other device runs it again",
  );

  const performed = await deploy(stack, program(["line-1", "line-2"]));
  expect(sameCalls(predictedCalls(plan), performed.calls)).toBeUndefined();
  expect(performed.calls[first.jobId]).toEqual(["AssociateTargetsWithJob"]);
  const job = (await stack.client.send(new DescribeJobCommand({ jobId: first.jobId }))).job!;
  expect(job.createdAt).toEqual(createdAt);
  expect(job.targets?.map((t) => t.split("/").pop())).toEqual(["line-1", "line-2"]);
  // a1 (in both groups) ran it once and is not asked again; b1 is reached; a2 still has its first execution.
  expect(await executions(first.jobId)).toEqual({ a1: "SUCCEEDED", a2: "QUEUED", b1: "QUEUED" });
  expect(stack.local.world.executionsOf(first.jobId, "a1")).toHaveLength(1);

  // Nothing left to do.
  const again = await preview(stack, program(["line-1", "line-2"]));
  expect(again.resources.find((e) => e.name === "reboot")!.actions).toEqual(["no-op"]);
});

test("a group removed from a continuous job: the job is replaced, as the preview said, and why", async () => {
  const first = await stack.deploy(program(["line-1", "line-2"]));
  const plan = await preview(stack, program(["line-2"]));
  const entry = plan.resources.find((e) => e.name === "reboot")!;
  expect(entry.actions).toEqual(["create", "delete"]);
  expect(entry.replaceReasons.join("\n")).toContain(
    `a target was removed (arn:aws:iot:${stack.local.region}:${stack.local.accountId}:thinggroup/line-1): IoT cannot remove targets from a job, so the job is replaced and re-runs on all its devices`,
  );
  const performed = await deploy(stack, program(["line-2"]));
  expect(sameCalls(predictedCalls(plan), performed.calls)).toBeUndefined();
  const jobs = [...stack.local.world.tables.jobs.values()];
  const live = jobs.filter((j) => j.status !== "DELETION_IN_PROGRESS").map((j) => j.jobId);
  expect(live).toHaveLength(1);
  expect(live[0]).not.toBe(first.jobId);
});

test("a thing joining a target group is not a change of the job: the continuous job reaches it, once, and nothing is replaced", async () => {
  const first = await stack.deploy(program(["line-1"]));
  const plan = await preview(stack, program(["line-1"], ["a3"]));
  expect(plan.resources.find((e) => e.name === "reboot")!.actions).toEqual(["no-op"]);
  expect(plan.resources.find((e) => e.name === "a3")!.actions).toEqual(["create"]);
  const performed = await deploy(stack, program(["line-1"], ["a3"]));
  expect(sameCalls(predictedCalls(plan), performed.calls)).toBeUndefined();
  expect(performed.calls[first.jobId]).toBeUndefined();
  expect(await executions(first.jobId)).toEqual({ a1: "QUEUED", a2: "QUEUED", a3: "QUEUED" });
});
