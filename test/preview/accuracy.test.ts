/**
 * The preview predicts exactly what the deploy does. For each kind of edit:
 * deploy the first version of a program, preview the second (in this
 * process, with the CLI's own preview session), deploy it, and check that
 *
 * - the calls the deploy made (successful mutating calls, per resource, in
 *   order) are the ones the preview listed, and
 * - the resources Alchemy reported as created, updated, replaced or deleted
 *   are the ones the preview listed, with the same word;
 *
 * and that the plan shows what the case is about (its `expect`).
 */
import "../../src/preview/globals.ts";
import {
  DeleteJobTemplateCommand,
  UpdateThingCommand,
  UpdateThingGroupCommand,
  TagResourceCommand,
  DeleteJobCommand,
} from "@aws-sdk/client-iot";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Job, JobTemplate, Thing, ThingGroup, type JobProps } from "../../src/index.ts";
import type { Plan } from "../../src/preview/plan.ts";
import { deploy, predictedCalls, predictedReports, preview, sameCalls, summaryDisagrees } from "../support/accuracy.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack({ local: { deletionDelayMs: 20 } });
});
afterEach(() => stack.close());

interface Case {
  name: string;
  v1: (() => Promise<unknown>) | undefined;
  v2: () => Promise<unknown>;
  /** Something done out of band between the two versions. */
  between?: (stack: TestStack) => Promise<void>;
  /** Preview with --refresh and deploy with --force. */
  refresh?: boolean;
  /** What the plan says, by resource id: its actions joined with "/", and its calls. */
  expect: Record<string, string>;
}

const doc = { operation: "update", version: "1" };
const template = (extra: Record<string, unknown> = {}) =>
  JobTemplate("tpl", { jobTemplateId: "tpl", description: "Firmware", document: doc, ...extra });
const group = (extra: Record<string, unknown> = {}) => ThingGroup("fleet", { thingGroupName: "fleet", ...extra });
async function fleetJob(job: Partial<JobProps> = {}, groupProps: Record<string, unknown> = {}) {
  const fleet = await group(groupProps);
  await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
  return Job("job", { targets: [fleet], document: doc, targetSelection: "CONTINUOUS", deletion: { force: true }, ...job } as JobProps);
}
const retry = { criteriaList: [{ failureType: "FAILED" as const, numberOfRetries: 2 }] };
const abort = {
  criteriaList: [{ failureType: "FAILED" as const, action: "CANCEL" as const, thresholdPercentage: 10, minNumberOfExecutedThings: 5 }],
};
async function copied(job: Partial<JobProps> = {}) {
  const j = await fleetJob(job);
  await JobTemplate("copy", { jobTemplateId: "copy", description: "A copy of the job", jobArn: j });
}

const CASES: Case[] = [
  // Job templates
  { name: "a new template", v1: undefined, v2: () => template(), expect: { tpl: "create CreateJobTemplate" } },
  {
    name: "a template's tags change",
    v1: () => template({ tags: { a: "1" } }),
    v2: () => template({ tags: { a: "2", b: "3" } }),
    expect: { tpl: "update TagResource" },
  },
  {
    name: "a template's tag is removed",
    v1: () => template({ tags: { a: "1", b: "2" } }),
    v2: () => template({ tags: { a: "1" } }),
    expect: { tpl: "update UntagResource" },
  },
  {
    name: "a template's description changes",
    v1: () => template(),
    v2: () => template({ description: "Firmware 2" }),
    expect: { tpl: "delete/create DeleteJobTemplate CreateJobTemplate" },
  },
  {
    name: "a template's document changes",
    v1: () => template(),
    v2: () => template({ document: { ...doc, version: "2" } }),
    expect: { tpl: "delete/create DeleteJobTemplate CreateJobTemplate" },
  },
  {
    name: "a template's id changes",
    v1: () => template(),
    v2: () => template({ jobTemplateId: "tpl2" }),
    expect: { tpl: "create/delete CreateJobTemplate DeleteJobTemplate" },
  },
  { name: "a template is removed from the program", v1: () => template(), v2: async () => {}, expect: { tpl: "delete DeleteJobTemplate" } },
  {
    name: "a prop that IoT does not store changes",
    v1: () => template(),
    v2: () => template({ overrideCloudFormationStack: true }),
    expect: { tpl: "update" },
  },
  // Jobs
  {
    name: "a job's description changes",
    v1: () => fleetJob({ description: "a" }),
    v2: () => fleetJob({ description: "b" }),
    expect: { job: "update UpdateJob" },
  },
  {
    name: "a job's rollout changes",
    v1: () => fleetJob(),
    v2: () => fleetJob({ jobExecutionsRolloutConfig: { maximumPerMinute: 50 } }),
    expect: { job: "update UpdateJob" },
  },
  {
    name: "a job's description is removed",
    v1: () => fleetJob({ jobId: "j", description: "a" }),
    v2: () => fleetJob({ jobId: "j" }),
    expect: { job: "delete/create CancelJob DeleteJob CreateJob" },
  },
  {
    name: "a job's retries are lowered to 0",
    v1: () => fleetJob({ jobExecutionsRetryConfig: retry }),
    v2: () => fleetJob({ jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 0 }] } }),
    expect: { job: "update UpdateJob" },
  },
  {
    name: "a job's retries are raised",
    v1: () => fleetJob({ jobId: "j", jobExecutionsRetryConfig: retry }),
    v2: () => fleetJob({ jobId: "j", jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 5 }] } }),
    expect: { job: "delete/create CancelJob DeleteJob CreateJob" },
  },
  {
    name: "a job's targets change (default id: a new job first)",
    v1: () => fleetJob(),
    v2: async () => {
      await group();
      const d1 = await Thing("d1", { thingName: "d1", thingGroups: ["fleet"] });
      await Job("job", { targets: [d1], document: doc, targetSelection: "CONTINUOUS", deletion: { force: true } });
    },
    expect: { job: "create/delete CreateJob CancelJob DeleteJob" },
  },
  {
    name: "a group added to a continuous job (in place)",
    v1: () => fleetJob(),
    v2: async () => {
      const fleet = await group();
      await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
      const more = await ThingGroup("more", { thingGroupName: "more" });
      await Job("job", { targets: [fleet, more], document: doc, targetSelection: "CONTINUOUS", deletion: { force: true } });
    },
    expect: { job: "update AssociateTargetsWithJob", more: "create CreateThingGroup" },
  },
  {
    name: "a group added to a continuous job with an explicit id (in place)",
    v1: () => fleetJob({ jobId: "j" }),
    v2: async () => {
      const fleet = await group();
      await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
      const more = await ThingGroup("more", { thingGroupName: "more" });
      await Job("job", { jobId: "j", targets: [fleet, more], document: doc, targetSelection: "CONTINUOUS", deletion: { force: true } });
    },
    expect: { job: "update AssociateTargetsWithJob", more: "create CreateThingGroup" },
  },
  {
    name: "a group added to a SNAPSHOT job (replaced)",
    v1: () => fleetJob({ targetSelection: "SNAPSHOT" }),
    v2: async () => {
      const fleet = await group();
      await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
      const more = await ThingGroup("more", { thingGroupName: "more" });
      await Job("job", { targets: [fleet, more], document: doc, deletion: { force: true } });
    },
    expect: { job: "create/delete CreateJob CancelJob DeleteJob", more: "create CreateThingGroup" },
  },
  {
    name: "a job's targets change (explicit id: deleted first)",
    v1: () => fleetJob({ jobId: "j" }),
    v2: async () => {
      await group();
      const d1 = await Thing("d1", { thingName: "d1", thingGroups: ["fleet"] });
      await Job("job", { jobId: "j", targets: [d1], document: doc, targetSelection: "CONTINUOUS", deletion: { force: true } });
    },
    expect: { job: "delete/create CancelJob DeleteJob CreateJob" },
  },
  {
    name: "a job's tags change",
    v1: () => fleetJob({ tags: { a: "1" } }),
    v2: () => fleetJob({ tags: { a: "2" } }),
    expect: { job: "update TagResource" },
  },
  {
    name: "a job's deletion settings change (state only)",
    v1: () => fleetJob(),
    v2: () => fleetJob({ deletion: { force: false } }),
    expect: { job: "update" },
  },
  {
    name: "a job is removed from the program",
    v1: () => fleetJob(),
    v2: async () => {
      const fleet = await group();
      await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
    },
    expect: { job: "delete CancelJob DeleteJob" },
  },
  {
    name: "a job and its abortConfig added",
    v1: () => fleetJob(),
    v2: () => fleetJob({ abortConfig: abort }),
    expect: { job: "update UpdateJob" },
  },
  // A template that copies a job follows it
  {
    name: "the copied job gets retries (replaced with its id) and its copy is made again",
    v1: () => copied({ jobId: "j" }),
    v2: () => copied({ jobId: "j", jobExecutionsRetryConfig: retry }),
    expect: { job: "delete/create CancelJob DeleteJob CreateJob", copy: "delete/create DeleteJobTemplate CreateJobTemplate" },
  },
  {
    name: "the copied job loses its abortConfig",
    v1: () => copied({ abortConfig: abort }),
    v2: () => copied(),
    expect: { job: "delete/create CancelJob DeleteJob CreateJob", copy: "delete/create DeleteJobTemplate CreateJobTemplate" },
  },
  {
    name: "the copied job's rollout changes in place, and the copy follows",
    v1: () => copied(),
    v2: () => copied({ jobExecutionsRolloutConfig: { maximumPerMinute: 20 } }),
    expect: { job: "update UpdateJob", copy: "delete/create DeleteJobTemplate CreateJobTemplate" },
  },
  {
    name: "the copied job's description changes: the copy does not copy it",
    v1: () => copied({ description: "a" }),
    v2: () => copied({ description: "b" }),
    expect: { job: "update UpdateJob" },
  },
  // Thing groups and things
  {
    name: "a group's description changes; the job on it and its things are not touched",
    v1: () => fleetJob({}, { description: "a" }),
    v2: () => fleetJob({}, { description: "b" }),
    expect: { fleet: "update UpdateThingGroup" },
  },
  {
    name: "a group's attributes change",
    v1: () => group({ attributes: { a: "1" } }),
    v2: () => group({ attributes: { a: "2" } }),
    expect: { fleet: "update UpdateThingGroup" },
  },
  {
    name: "a group's description is removed",
    v1: () => group({ description: "a" }),
    v2: () => group(),
    expect: { fleet: "update UpdateThingGroup" },
  },
  {
    name: "a group's tags change",
    v1: () => group({ tags: { a: "1" } }),
    v2: () => group({ tags: { a: "2" } }),
    expect: { fleet: "update TagResource" },
  },
  {
    name: "a group's parent changes (deleted first)",
    v1: async () => {
      await ThingGroup("root", { thingGroupName: "root" });
      await group();
    },
    v2: async () => {
      await ThingGroup("root", { thingGroupName: "root" });
      await group({ parentGroupName: "root" });
    },
    expect: { fleet: "delete/create DeleteThingGroup CreateThingGroup" },
  },
  {
    name: "a group's parent changes: the things in it are added to the new group in the same deploy",
    v1: async () => {
      await ThingGroup("root", { thingGroupName: "root" });
      const fleet = await group();
      await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
    },
    v2: async () => {
      const root = await ThingGroup("root", { thingGroupName: "root" });
      const fleet = await group({ parentGroupName: root.thingGroupName });
      await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
    },
    expect: { fleet: "delete/create DeleteThingGroup CreateThingGroup", d1: "update AddThingToThingGroup" },
  },
  {
    name: "a group's parent changes, with --refresh: the thing read in the old group is added to the new one",
    refresh: true,
    v1: async () => {
      await ThingGroup("root", { thingGroupName: "root" });
      const fleet = await group();
      await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
    },
    v2: async () => {
      const root = await ThingGroup("root", { thingGroupName: "root" });
      const fleet = await group({ parentGroupName: root.thingGroupName });
      await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
    },
    expect: { fleet: "delete/create DeleteThingGroup CreateThingGroup", d1: "update AddThingToThingGroup" },
  },
  {
    name: "a parent group is renamed: the new parent first, then its child under it, then the old parent goes",
    v1: async () => {
      const root = await ThingGroup("root", { thingGroupName: "root" });
      const fleet = await group({ parentGroupName: root.thingGroupName });
      await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
    },
    v2: async () => {
      const root = await ThingGroup("root", { thingGroupName: "root2" });
      const fleet = await group({ parentGroupName: root.thingGroupName });
      await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
    },
    expect: {
      root: "create/delete CreateThingGroup DeleteThingGroup",
      fleet: "delete/create DeleteThingGroup CreateThingGroup",
      d1: "update AddThingToThingGroup",
    },
  },
  {
    // The job (explicit id) is deleted first, then created on the new group, which the deploy has created by then.
    name: "a group is renamed: the job with an explicit id on it is replaced, its check knowing the new group is planned",
    v1: () => fleetJob({ jobId: "j" }),
    v2: () => fleetJob({ jobId: "j" }, { thingGroupName: "fleet2" }),
    expect: {
      fleet: "create/delete CreateThingGroup DeleteThingGroup",
      d1: "update AddThingToThingGroup RemoveThingFromThingGroup",
      job: "delete/create CancelJob DeleteJob CreateJob",
    },
  },
  {
    name: "a group is renamed: the job on it is replaced",
    v1: () => fleetJob(),
    v2: () => fleetJob({}, { thingGroupName: "fleet2" }),
    expect: {
      fleet: "create/delete CreateThingGroup DeleteThingGroup",
      d1: "update AddThingToThingGroup RemoveThingFromThingGroup",
      job: "create/delete CreateJob CancelJob DeleteJob",
    },
  },
  {
    name: "a thing's attributes change",
    v1: () => Thing("d1", { thingName: "d1", attributes: { a: "1" } }),
    v2: () => Thing("d1", { thingName: "d1", attributes: { a: "2" } }),
    expect: { d1: "update UpdateThing" },
  },
  {
    name: "a thing joins a group",
    v1: async () => {
      await group();
      await Thing("d1", { thingName: "d1" });
    },
    v2: async () => {
      const g = await group();
      await Thing("d1", { thingName: "d1", thingGroups: [g] });
    },
    expect: { d1: "update AddThingToThingGroup" },
  },
  {
    name: "a thing leaves a group",
    v1: async () => {
      const g = await group();
      await Thing("d1", { thingName: "d1", thingGroups: [g] });
    },
    v2: async () => {
      await group();
      await Thing("d1", { thingName: "d1" });
    },
    expect: { d1: "update RemoveThingFromThingGroup" },
  },
  {
    name: "a thing is renamed",
    v1: () => Thing("d1", { thingName: "d1" }),
    v2: () => Thing("d1", { thingName: "d2" }),
    expect: { d1: "create/delete CreateThing DeleteThing" },
  },
  // Adoption
  {
    name: "adopting a template that matches",
    v1: undefined,
    between: async (s) => s.deploy(() => template(), { stage: "other" }).then(() => undefined),
    v2: () => template({ adopt: true }),
    expect: { tpl: "no-op" },
  },
  {
    name: "adopting a template whose tags differ",
    v1: undefined,
    between: async (s) => s.deploy(() => template({ tags: { a: "1" } }), { stage: "other" }).then(() => undefined),
    v2: () => template({ adopt: true, tags: { a: "2" } }),
    expect: { tpl: "update TagResource" },
  },
  {
    name: "adopting a template whose document differs",
    v1: undefined,
    between: async (s) => s.deploy(() => template(), { stage: "other" }).then(() => undefined),
    v2: () => template({ adopt: true, document: { other: true } }),
    expect: { tpl: "delete/create DeleteJobTemplate CreateJobTemplate" },
  },
  // Drift (--refresh plans what --force does)
  {
    name: "drift: a template's tags changed out of band",
    refresh: true,
    v1: () => template({ tags: { a: "1" } }),
    between: async (s) => {
      await s.client.send(
        new TagResourceCommand({
          resourceArn: `arn:aws:iot:${s.local.region}:${s.local.accountId}:jobtemplate/tpl`,
          tags: [
            { Key: "a", Value: "x" },
            { Key: "b", Value: "y" },
          ],
        }),
      );
    },
    v2: () => template({ tags: { a: "1" } }),
    expect: { tpl: "update TagResource UntagResource" },
  },
  {
    name: "drift: a template deleted out of band",
    refresh: true,
    v1: () => template(),
    between: async (s) => {
      await s.client.send(new DeleteJobTemplateCommand({ jobTemplateId: "tpl" }));
    },
    v2: () => template(),
    expect: { tpl: "create CreateJobTemplate" },
  },
  {
    name: "drift: a group's description changed out of band",
    refresh: true,
    v1: () => group({ description: "a" }),
    between: async (s) => {
      await s.client.send(
        new UpdateThingGroupCommand({ thingGroupName: "fleet", thingGroupProperties: { thingGroupDescription: "changed" } }),
      );
    },
    v2: () => group({ description: "a" }),
    expect: { fleet: "update UpdateThingGroup" },
  },
  {
    name: "drift: a thing's attributes changed out of band",
    refresh: true,
    v1: () => Thing("d1", { thingName: "d1", attributes: { a: "1" } }),
    between: async (s) => {
      await s.client.send(new UpdateThingCommand({ thingName: "d1", attributePayload: { attributes: { a: "changed" } } }));
    },
    v2: () => Thing("d1", { thingName: "d1", attributes: { a: "1" } }),
    expect: { d1: "update UpdateThing" },
  },
  {
    name: "drift: a job deleted out of band",
    refresh: true,
    v1: () => fleetJob({ jobId: "j" }),
    between: async (s) => {
      await s.client.send(new DeleteJobCommand({ jobId: "j", force: true }));
      await new Promise((r) => setTimeout(r, 100));
    },
    v2: () => fleetJob({ jobId: "j" }),
    expect: { job: "create CreateJob" },
  },
  { name: "no drift, --refresh: nothing to do", refresh: true, v1: () => fleetJob(), v2: () => fleetJob(), expect: {} },
  {
    // UpdateJob cannot remove a retry config: it is sent as 0 retries, which later --refresh runs must not call drift.
    name: "a job's retry config is removed, then --refresh finds nothing to do",
    refresh: true,
    v1: () => fleetJob({ jobExecutionsRetryConfig: retry }),
    v2: () => fleetJob(),
    expect: { job: "update UpdateJob" },
  },
];

/** What the plan says, in the cases' notation. */
function summary(plan: Plan): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of plan.resources) {
    if (e.actions[0] === "read" || (e.actions[0] === "no-op" && !e.adopt)) continue;
    out[e.name] = [e.actions.join("/"), ...e.operations.map((o) => o.operation)].join(" ");
  }
  return out;
}

describe("the preview predicts exactly what the deploy does", () => {
  test(`at least 30 kinds of edit (${CASES.length})`, () => expect(CASES.length).toBeGreaterThanOrEqual(30));

  test.each(CASES)("$name", async (c) => {
    if (c.v1) await stack.deploy(c.v1);
    await c.between?.(stack);
    stack.local.resetStats();
    const plan = await preview(stack, c.v2, { refresh: c.refresh });
    // A preview makes no mutating call.
    expect(stack.local.stats().calls.filter((x) => !/^(Describe|List|Get)/.test(x.operation))).toEqual([]);
    expect(summary(plan)).toEqual(c.expect);
    const done = await deploy(stack, c.v2, { force: c.refresh });
    expect(
      sameCalls(predictedCalls(plan), done.calls),
      JSON.stringify({ predicted: predictedCalls(plan), performed: done.calls }),
    ).toBeUndefined();
    if (c.refresh) {
      // --force: Alchemy runs every handler and says "Updated" for each; the plan lists those that change something.
      expect(Object.keys(done.reported)).toEqual(expect.arrayContaining(Object.keys(predictedReports(plan))));
    } else expect(done.reported).toEqual(predictedReports(plan));
    // Afterwards nothing is left to do.
    const after = await preview(stack, c.v2, { refresh: c.refresh });
    expect(summary(after)).toEqual({});
  });
});

// Alchemy's words follow its phases (an adoption "Created", everything "Updated" under --force); the package's
// summary after them says what was done. For every kind of edit it says what the plan said, with the endpoint's calls.
describe("the deploy's summary says what the plan said, with the calls the endpoint saw", () => {
  test.each(CASES)("$name", async (c) => {
    if (c.v1) await stack.deploy(c.v1);
    await c.between?.(stack);
    const plan = await preview(stack, c.v2, { refresh: c.refresh });
    const done = await deploy(stack, c.v2, { force: c.refresh });
    expect(summaryDisagrees(plan, done), done.lines.join("\n")).toBeUndefined();
    expect(done.total).toMatch(/^total: \d+ created, \d+ updated, \d+ replaced, \d+ adopted, \d+ deleted, \d+ unchanged/);
  });
});

// A replacement that deletes first reads what its create needs: what the deploy refuses before any call, the preview refuses too.
describe("a parent neither existing nor declared earlier: the preview and the deploy refuse it before any call", () => {
  const later = async () => {
    await group({ parentGroupName: "late" });
    await ThingGroup("late", { thingGroupName: "late" });
  };
  test.each<{ parent: string; program: () => Promise<unknown> }>([
    { parent: "nowhere", program: () => group({ parentGroupName: "nowhere" }) },
    { parent: "late", program: later },
  ])("a group's new parent $parent", async ({ parent, program }) => {
    await stack.deploy(() => group());
    stack.local.resetStats();
    const plan = await preview(stack, program);
    expect(plan.problems.map((p) => p.message)).toEqual([
      `ThingGroup "fleet": parentGroupName: "${parent}" does not exist in ${stack.local.endpoint} (us-east-1); the group is replaced by deleting it first, so nothing was deleted`,
    ]);
    const error = await stack.deploy(program).catch((e: unknown) => e);
    expect((error as Error).message).toContain(`"${parent}" does not exist`);
    expect(stack.mutatingCalls()).toEqual([]);
  });
});
