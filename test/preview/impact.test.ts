/**
 * The device impact of every job change, through the real Alchemy runtime and
 * the real SDK over HTTP to the local endpoint: how many devices a change
 * reaches (read only with --refresh), the executions in progress it cancels,
 * how long until every device is notified, how many may fail before the abort
 * criteria stop the job; in every format; and a deploy after the preview makes
 * exactly the calls it predicted, none of the preview's reads.
 *
 * The figures are worked out by hand next to each assertion.
 */
import "../../src/preview/globals.ts";
import fs from "node:fs";
import path from "node:path";
import { AddThingToThingGroupCommand, CreateThingCommand } from "@aws-sdk/client-iot";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Job, JobTemplate, Thing, ThingGroup, type JobProps } from "../../src/index.ts";
import type { Plan, PlanEntry } from "../../src/preview/plan.ts";
import { render } from "../../src/preview/render.ts";
import { deploy, predictedCalls, preview, sameCalls } from "../support/accuracy.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack({ local: { deletionDelayMs: 20 } });
});
afterEach(() => stack.close());

const doc = { operation: "reboot" };
const NO_ABORT = "has no abort criteria that count failed executions: nothing stops a failing rollout before it has reached every device";
const job = (plan: Plan, name = "job"): PlanEntry => plan.resources.find((e) => e.name === name)!;
const reads = () => stack.local.stats().calls.map((c) => c.operation);

/** Group "fleet" with d1..d5, and d6 on its own; with `withJob`, a job on the group, d6 and d3 (in the group too). */
const fleetProgram =
  (withJob: boolean, props: Partial<JobProps> = {}) =>
  async () => {
    const fleet = await ThingGroup("fleet", { thingGroupName: "fleet" });
    const things = [];
    for (let i = 1; i <= 6; i++) things.push(await Thing(`d${i}`, { thingName: `d${i}`, thingGroups: i <= 5 ? [fleet] : [] }));
    if (withJob) {
      await Job("job", {
        jobId: "j",
        targets: [fleet, things[5], things[2]],
        document: doc,
        deletion: { force: true },
        ...props,
      } as JobProps);
    }
  };

/** The documented read-only policy's IoT actions (docs/pull-request-previews.md). */
function policyActions(): Set<string> {
  const text = fs.readFileSync(path.resolve(import.meta.dirname, "../../docs/pull-request-previews.md"), "utf8");
  const block = /```json\n([\s\S]*?)```/.exec(text.slice(text.indexOf('"ReadIoTJobs"') - 200))![1];
  return new Set((JSON.parse(block) as { Statement: Array<{ Action: string[] }> }).Statement.flatMap((s) => s.Action));
}

describe("a job created on a group of 5 things and 2 thing targets, one of them in the group", () => {
  test("with --refresh: 6 devices, all notified within 3 minutes at 2 a minute; no abort criteria: null and a warning", async () => {
    await stack.deploy(fleetProgram(false));
    stack.local.resetStats();
    const program = fleetProgram(true, { jobExecutionsRolloutConfig: { maximumPerMinute: 2 } });
    const plan = await preview(stack, program, { refresh: true });
    const entry = job(plan);
    expect(entry.actions).toEqual(["create"]);
    // d1..d5 (the group) + d6 + d3 (already counted) = 6; 2 a minute: minutes 0, 1 and 2 → 3.
    expect(entry.deviceImpact).toEqual({
      change: "create",
      devices: 6,
      inProgress: 0,
      minutesToNotifyAll: 3,
      maxFailuresBeforeAbort: null,
      notes: [],
    });
    expect(entry.warnings).toContain(`job j ${NO_ABORT}`);
    // One listing of the group (not recursive), and only calls the documented read-only policy allows.
    const listings = stack.local.stats().calls.filter((c) => c.operation === "ListThingsInThingGroup");
    expect(listings).toHaveLength(1);
    expect([...new Set(reads())].filter((op) => !policyActions().has(`iot:${op}`))).toEqual([]);

    const text = render(plan, "text");
    expect(text).toContain("      devices: 6 devices receive the job; all notified within 3 min");
    expect(text).toContain(`⚠ WARNING: job j ${NO_ABORT}`);
    const md = render(plan, "markdown");
    expect(md).toContain("| | Resource | Type | Action | Devices | Why |");
    expect(md).toMatch(/^\| \+ \| `job` \| iot::Job \| create \| 6 \| {2}\|$/m);
    expect(md).toContain("# devices: 6 devices receive the job; all notified within 3 min");
    expect(md).toContain(`> - job j ${NO_ABORT}`);
    expect(JSON.parse(render(plan, "json")).resources.find((e: PlanEntry) => e.name === "job").deviceImpact.devices).toBe(6);

    // The deploy makes exactly the predicted calls, and none of the preview's reads.
    const done = await deploy(stack, program, { force: true });
    expect(sameCalls(predictedCalls(plan), done.calls)).toBeUndefined();
    expect(reads()).not.toContain("ListThingsInThingGroup");
  });

  test("without --refresh: devices, minutes and failures are null, the text says so, and nothing is read", async () => {
    await stack.deploy(fleetProgram(false));
    stack.local.resetStats();
    const plan = await preview(stack, fleetProgram(true, { jobExecutionsRolloutConfig: { maximumPerMinute: 2 } }));
    const entry = job(plan);
    expect(entry.deviceImpact).toEqual({
      change: "create",
      devices: null,
      unknownReason: "unknown without --refresh",
      inProgress: 0,
      minutesToNotifyAll: null,
      maxFailuresBeforeAbort: null,
      notes: [],
    });
    // Whether abort criteria exist does not need a read.
    expect(entry.warnings).toContain(`job j ${NO_ABORT}`);
    expect(reads()).toEqual([]);
    expect(render(plan, "text")).toContain("      devices: unknown without --refresh\n");
    expect(render(plan, "markdown")).toMatch(/^\| \+ \| `job` \| iot::Job \| create \| unknown \(needs --refresh\) \| {2}\|$/m);
  });
});

test("abort criteria FAILED 10%, at least 20 executed, over 100 devices: at most 20 fail before the job is stopped", async () => {
  await stack.deploy(async () => {
    await ThingGroup("fleet", { thingGroupName: "fleet" });
  });
  // 100 things joined out of band (the group's current members are what counts).
  for (let i = 0; i < 100; i++) {
    await stack.client.send(new CreateThingCommand({ thingName: `t${i}` }));
    await stack.client.send(new AddThingToThingGroupCommand({ thingName: `t${i}`, thingGroupName: "fleet" }));
  }
  const abortConfig = {
    criteriaList: [{ failureType: "FAILED" as const, action: "CANCEL" as const, thresholdPercentage: 10, minNumberOfExecutedThings: 20 }],
  };
  const program = async () => {
    const fleet = await ThingGroup("fleet", { thingGroupName: "fleet" });
    await Job("job", { jobId: "j", targets: [fleet], document: doc, abortConfig, deletion: { force: true } });
  };
  stack.local.resetStats();
  const plan = await preview(stack, program, { refresh: true });
  const entry = job(plan);
  // max(20, ceil(10 × 100 / 100) = 10) = 20, at most 100: 20. No rollout rate: IoT's 1,000 a minute, so 1 minute.
  expect(entry.deviceImpact).toMatchObject({ change: "create", devices: 100, minutesToNotifyAll: 1, maxFailuresBeforeAbort: 20 });
  expect(entry.warnings.join("\n")).not.toContain("nothing stops a failing rollout");
  expect(render(plan, "text")).toContain(
    "devices: 100 devices receive the job; all notified within 1 min; at most 20 devices can fail before the abort criteria stop the job",
  );
  // The SDK's paginator went through every page (the endpoint's pages hold 50 things).
  expect(stack.local.stats().calls.filter((c) => c.operation === "ListThingsInThingGroup").length).toBeGreaterThanOrEqual(2);
});

test("abort criteria and rollout rate from the job's template are the ones counted (read with --refresh)", async () => {
  const program = (withJob: boolean) => async () => {
    const fleet = await ThingGroup("fleet", { thingGroupName: "fleet" });
    for (let i = 1; i <= 4; i++) await Thing(`d${i}`, { thingName: `d${i}`, thingGroups: [fleet] });
    const template = await JobTemplate("tpl", {
      jobTemplateId: "tpl",
      description: "Reboot",
      document: doc,
      jobExecutionsRolloutConfig: { maximumPerMinute: 1 },
      abortConfig: { criteriaList: [{ failureType: "ALL", action: "CANCEL", thresholdPercentage: 50, minNumberOfExecutedThings: 1 }] },
    });
    if (withJob) await Job("job", { jobId: "j", targets: [fleet], jobTemplate: template, deletion: { force: true } });
  };
  await stack.deploy(program(false));
  const plan = await preview(stack, program(true), { refresh: true });
  const entry = job(plan);
  // 4 devices at 1 a minute: 4 minutes; max(1, ceil(50 × 4 / 100) = 2) = 2.
  expect(entry.deviceImpact).toMatchObject({ devices: 4, minutesToNotifyAll: 4, maxFailuresBeforeAbort: 2 });
  expect(entry.deviceImpact!.notes).toEqual(["rollout rate, maintenance windows and abort criteria from job template tpl"]);
  expect(entry.warnings.join("\n")).not.toContain("nothing stops a failing rollout");
  // Without --refresh the template is not read: nothing is claimed about its criteria.
  const plain = job(await preview(stack, program(true)));
  expect(plain.deviceImpact).toMatchObject({
    devices: null,
    maxFailuresBeforeAbort: null,
    notes: ["the job takes its rollout rate, maintenance windows and abort criteria from job template tpl: known only with --refresh"],
  });
  expect(plain.warnings.join("\n")).not.toContain("nothing stops a failing rollout");
});

test("a group added to a continuous job: only its members that the job had not reached are counted", async () => {
  // line-1: a1, a2; line-2: b1 and a1 (which has the job already).
  const program = (groups: string[]) => async () => {
    const line1 = await ThingGroup("line-1", { thingGroupName: "line-1" });
    const line2 = await ThingGroup("line-2", { thingGroupName: "line-2" });
    await Thing("a1", { thingName: "a1", thingGroups: [line1, line2] });
    await Thing("a2", { thingName: "a2", thingGroups: [line1] });
    await Thing("b1", { thingName: "b1", thingGroups: [line2] });
    const byName = { "line-1": line1, "line-2": line2 } as Record<string, typeof line1>;
    await Job("job", { targets: groups.map((g) => byName[g]), document: doc, targetSelection: "CONTINUOUS", deletion: { force: true } });
  };
  await stack.deploy(program(["line-1"]));
  const plan = await preview(stack, program(["line-1", "line-2"]), { refresh: true });
  const entry = job(plan);
  expect(entry.operations.map((o) => o.operation)).toEqual(["AssociateTargetsWithJob"]);
  // line-2 has b1 and a1; a1 is in line-1, which the job targets already: 1 device.
  expect(entry.deviceImpact).toMatchObject({ change: "add-targets", devices: 1, inProgress: 0, minutesToNotifyAll: 1 });
  // Not a creation or a replacement: no warning about abort criteria.
  expect(entry.warnings.join("\n")).not.toContain("nothing stops a failing rollout");
  expect(render(plan, "text")).toContain(
    "devices: 1 device newly reached (members of the added groups that the job had not reached); no other device runs it again; all notified within 1 min",
  );
  expect(render(plan, "markdown")).toMatch(/^\| ~ \| `job` \| iot::Job \| update \| 1 new \|/m);
  const done = await deploy(stack, program(["line-1", "line-2"]), { force: true });
  expect(sameCalls(predictedCalls(plan), done.calls)).toBeUndefined();
});

describe("executions in progress", () => {
  const program =
    (version: number, present = true) =>
    async () => {
      const fleet = await ThingGroup("fleet", { thingGroupName: "fleet" });
      for (let i = 1; i <= 3; i++) await Thing(`d${i}`, { thingName: `d${i}`, thingGroups: [fleet] });
      if (present) {
        await Job("job", {
          jobId: "j",
          targets: [fleet],
          document: { ...doc, version },
          targetSelection: "CONTINUOUS",
          abortConfig: {
            criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 50, minNumberOfExecutedThings: 1 }],
          },
          deletion: { force: true },
        });
      }
    };

  beforeEach(async () => {
    await stack.deploy(program(1));
    // Two devices are running the job.
    await stack.local.updateJobExecution({ thingName: "d1", jobId: "j", status: "IN_PROGRESS" });
    await stack.local.updateJobExecution({ thingName: "d2", jobId: "j", status: "IN_PROGRESS" });
  });

  test("a replacement force-cancels them: counted from DescribeJob with --refresh, null without", async () => {
    const plan = await preview(stack, program(2), { refresh: true });
    const entry = job(plan);
    expect(entry.actions).toEqual(["delete", "create"]);
    // 3 devices run it again; max(1, ceil(50 × 3 / 100) = 2) = 2.
    expect(entry.deviceImpact).toEqual({
      change: "replace",
      devices: 3,
      inProgress: 2,
      forceCancel: true,
      minutesToNotifyAll: 1,
      maxFailuresBeforeAbort: 2,
      notes: [],
    });
    expect(render(plan, "text")).toContain(
      "devices: 3 devices run the job again (every device of the new targets); 2 executions in progress are force-cancelled; all notified within 1 min; at most 2 devices can fail before the abort criteria stop the job",
    );
    expect(render(plan, "markdown")).toMatch(/\| 3, 2 in progress force-cancelled \|/);
    expect(job(await preview(stack, program(2))).deviceImpact).toMatchObject({ devices: null, inProgress: null, forceCancel: true });
    expect(render(await preview(stack, program(2)), "text")).toContain(
      "devices: unknown without --refresh; executions in progress: unknown without --refresh",
    );
    const done = await deploy(stack, program(2), { force: true });
    expect(sameCalls(predictedCalls(plan), done.calls)).toBeUndefined();
  });

  test("a deletion: the old job's devices and its executions in progress", async () => {
    const plan = await preview(stack, program(1, false), { refresh: true });
    const entry = job(plan);
    expect(entry.actions).toEqual(["delete"]);
    expect(entry.deviceImpact).toEqual({
      change: "delete",
      devices: 3,
      inProgress: 2,
      forceCancel: true,
      minutesToNotifyAll: null,
      maxFailuresBeforeAbort: null,
      notes: [],
    });
    expect(render(plan, "text")).toContain("devices: 3 devices stop receiving the job; 2 executions in progress are force-cancelled");
    const done = await deploy(stack, program(1, false), { force: true });
    expect(sameCalls(predictedCalls(plan), done.calls)).toBeUndefined();
  });

  test("an in-place UpdateJob reaches no device and reads nothing for it", async () => {
    const updated = async () => {
      await program(1, false)();
      await Job("job", {
        jobId: "j",
        targets: ["fleet"].map((g) => `arn:aws:iot:${stack.local.region}:${stack.local.accountId}:thinggroup/${g}`),
        document: { ...doc, version: 1 },
        targetSelection: "CONTINUOUS",
        description: "now with a description",
        abortConfig: { criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 50, minNumberOfExecutedThings: 1 }] },
        deletion: { force: true },
      });
    };
    stack.local.resetStats();
    const plan = await preview(stack, updated, { refresh: true });
    const entry = job(plan);
    expect(entry.operations.map((o) => o.operation)).toEqual(["UpdateJob"]);
    expect(entry.deviceImpact).toEqual({
      change: "update",
      devices: 0,
      inProgress: 0,
      minutesToNotifyAll: null,
      maxFailuresBeforeAbort: null,
      notes: [],
    });
    expect(reads()).not.toContain("ListThingsInThingGroup");
    expect(render(plan, "text")).toContain("      devices: 0, no device runs the job again\n");
    // Known without --refresh too.
    expect(job(await preview(stack, updated)).deviceImpact).toMatchObject({ change: "update", devices: 0 });
  });
});

test("a new target group that does not exist yet cannot be counted before the deploy, and says so", async () => {
  // (Something deployed first: the account is known, so the new group's ARN is too.)
  await stack.deploy(async () => ThingGroup("other", { thingGroupName: "other" }));
  const program = async () => {
    await ThingGroup("other", { thingGroupName: "other" });
    const fleet = await ThingGroup("fleet", { thingGroupName: "fleet" });
    await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
    await Job("job", { jobId: "j", targets: [fleet], document: doc, deletion: { force: true } });
  };
  const plan = await preview(stack, program, { refresh: true });
  expect(job(plan).deviceImpact).toMatchObject({
    devices: null,
    unknownReason: "thing group fleet does not exist yet, so its devices are known only after the deploy",
    minutesToNotifyAll: null,
  });
  expect(render(plan, "text")).toContain(
    "devices: unknown (thing group fleet does not exist yet, so its devices are known only after the deploy)",
  );
});

test("without deletion.force, executions in progress stop the deploy, and the preview says so", async () => {
  const program = (present: boolean) => async () => {
    const fleet = await ThingGroup("fleet", { thingGroupName: "fleet" });
    await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
    if (present) await Job("job", { jobId: "j", targets: [fleet], document: doc });
  };
  await stack.deploy(program(true));
  await stack.local.updateJobExecution({ thingName: "d1", jobId: "j", status: "IN_PROGRESS" });
  const plan = await preview(stack, program(false), { refresh: true });
  expect(job(plan).deviceImpact).toEqual({
    change: "delete",
    devices: 1,
    inProgress: 1,
    forceCancel: false,
    minutesToNotifyAll: null,
    maxFailuresBeforeAbort: null,
    notes: [],
  });
  expect(render(plan, "text")).toContain(
    "      devices: 1 device stops receiving the job; 1 execution in progress: the deploy stops without deletion.force\n",
  );
  expect(render(plan, "markdown")).toMatch(/\| - \| `job` \| iot::Job \| delete \| 1, 1 in progress \(the deploy stops\) \|/);
});
