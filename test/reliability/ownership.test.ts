/**
 * Physical names are owned by one address (issue 18, cases 3, 5 and 10):
 * a refused run leaves the state exactly as it was; a destroy never deletes
 * what another app, stage or address owns; state that names a resource whose
 * ownership records disagree is refused before any call.
 */
import fs from "node:fs";
import path from "node:path";
import {
  CreateJobTemplateCommand,
  CreateThingCommand,
  DescribeJobTemplateCommand,
  DescribeThingGroupCommand,
  ListTagsForResourceCommand,
} from "@aws-sdk/client-iot";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { AlreadyExistsError, Job, JobTemplate, Thing, ThingGroup } from "../../src/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(() => stack.close());

const tagsOf = async (resourceArn: string) =>
  Object.fromEntries(((await stack.client.send(new ListTagsForResourceCommand({ resourceArn }))).tags ?? []).map((t) => [t.Key, t.Value]));

describe("two stages that declare the same explicit name", () => {
  test("the second stage's refused deploy records nothing, and its destroy deletes nothing of the first's", async () => {
    const group = await stack.deploy(() => ThingGroup("group", { thingGroupName: "shared-group", description: "a" }), { stage: "a" });
    stack.local.resetStats();
    const refused = await stack
      .deploy(() => ThingGroup("group", { thingGroupName: "shared-group", description: "a" }), { stage: "b" })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AlreadyExistsError);
    expect((refused as Error).message).toContain("not created by this resource");
    expect(fs.existsSync(path.join(stack.stateDir("b"), "group.json"))).toBe(false);

    await stack.destroy({ stage: "b" });
    expect(stack.mutatingCalls()).not.toContain("DeleteThingGroup");
    expect((await stack.client.send(new DescribeThingGroupCommand({ thingGroupName: "shared-group" }))).thingGroupArn).toBe(
      group.thingGroupArn,
    );
    expect(await tagsOf(group.thingGroupArn)).toMatchObject({ alchemy_stage: "a" });
  });

  test("a state entry that names another stage's resource (left by an earlier version) is refused by the destroy, naming the file; nothing is deleted", async () => {
    const group = await stack.deploy(() => ThingGroup("group", { thingGroupName: "shared-group" }), { stage: "a" });
    // What an earlier version left behind: stage b's state records stage a's group.
    const stale = path.join(stack.stateDir("b"), "group.json");
    fs.mkdirSync(stack.stateDir("b"), { recursive: true });
    const recorded = JSON.parse(fs.readFileSync(path.join(stack.stateDir("a"), "group.json"), "utf8"));
    fs.writeFileSync(stale, JSON.stringify({ ...recorded, fqn: `${stack.app}/b/group` }));
    stack.local.resetStats();
    const error = await stack.destroy({ stage: "b" }).catch((e: unknown) => e);
    expect(stack.mutatingCalls()).toEqual([]);
    expect((await stack.client.send(new DescribeThingGroupCommand({ thingGroupName: "shared-group" }))).thingGroupArn).toBe(
      group.thingGroupArn,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('ThingGroup "group"');
    expect((error as Error).message).toContain(`${stack.app}/a/group`);
    expect((error as Error).message).toContain(path.join(stack.app, "b", "group.json"));
    expect(fs.existsSync(stale)).toBe(true);
  });
});

describe("a refused run leaves the state exactly as it was", () => {
  const thing1 = () => `arn:aws:iot:${stack.local.region}:${stack.local.accountId}:thing/t1`;
  const refusedCreates: Array<[string, (s: TestStack) => Promise<void>, () => Promise<unknown>]> = [
    [
      "a JobTemplate whose explicit id is taken",
      async (s) =>
        void (await s.client.send(
          new CreateJobTemplateCommand({ jobTemplateId: "taken-template", description: "theirs", document: "{}" }),
        )),
      () => JobTemplate("tpl", { jobTemplateId: "taken-template", description: "ours", document: { op: "x" } }),
    ],
    [
      "a Job whose explicit id is taken",
      async (s) =>
        void (await s.deploy(() => Job("theirs", { jobId: "taken-job", targets: [thing1()], document: { op: "x" } }), { stage: "other" })),
      () => Job("job", { jobId: "taken-job", targets: [thing1()], document: { op: "y" } }),
    ],
    [
      "a ThingGroup whose name is taken by an identical group",
      async (s) => void (await s.deploy(() => ThingGroup("theirs", { thingGroupName: "taken-group" }), { stage: "other" })),
      () => ThingGroup("group", { thingGroupName: "taken-group" }),
    ],
    [
      "a ThingGroup whose name is taken by a different group",
      async (s) =>
        void (await s.deploy(() => ThingGroup("theirs", { thingGroupName: "taken-group-2", description: "theirs" }), { stage: "other" })),
      () => ThingGroup("group", { thingGroupName: "taken-group-2", description: "ours" }),
    ],
    [
      "a Thing whose name is taken",
      async (s) => void (await s.client.send(new CreateThingCommand({ thingName: "taken-thing" }))),
      () => Thing("thing", { thingName: "taken-thing" }),
    ],
    [
      "a Job whose target group does not exist",
      async () => undefined,
      () =>
        Job("job", {
          jobId: "lonely-job",
          targets: [`arn:aws:iot:${stack.local.region}:${stack.local.accountId}:thinggroup/nowhere`],
          document: { op: "y" },
        }),
    ],
  ];
  for (const [name, setup, declare] of refusedCreates) {
    test(`refused create: ${name}`, async () => {
      await stack.client.send(new CreateThingCommand({ thingName: "t1" }));
      await setup(stack);
      await stack.deploy(() => ThingGroup("bystander", {}));
      const before = stack.stateFiles();
      const error = await stack
        .deploy(async () => {
          await ThingGroup("bystander", {});
          await declare();
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(stack.stateFiles()).toEqual(before);
    });
  }

  test("a refused update that made no call keeps the state byte for byte (status included)", async () => {
    await stack.deploy(() => ThingGroup("group", { thingGroupName: "kept-group" }));
    const file = path.join(stack.stateDir(), "group.json");
    const before = fs.readFileSync(file, "utf8");
    expect(JSON.parse(before).status).toBe("created");
    stack.local.resetStats();
    // A new parent replaces the group, deleting it first: the parent does not exist, so nothing is deleted.
    const error = await stack
      .deploy(() => ThingGroup("group", { thingGroupName: "kept-group", parentGroupName: "missing-parent" }))
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain("missing-parent");
    expect(stack.mutatingCalls()).toEqual([]);
    expect(fs.readFileSync(file, "utf8")).toBe(before);
  });
});

describe("state that names a resource it does not own", () => {
  test("a JobTemplate whose recorded id was changed to another stage's template: the deploy and the destroy refuse, naming the file; nothing is changed", async () => {
    const theirs = await stack.deploy(
      () => JobTemplate("theirs", { jobTemplateId: "tpl-theirs", description: "theirs", document: { op: "theirs" } }),
      { stage: "other" },
    );
    const mine = await stack.deploy(() =>
      JobTemplate("mine", { jobTemplateId: "tpl-mine", description: "mine", document: { op: "mine" } }),
    );
    // The state of "mine" is edited to name the other template (every occurrence of its id, ARN included).
    const file = path.join(stack.stateDir(), "mine.json");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replaceAll("tpl-mine", "tpl-theirs"));
    stack.local.resetStats();
    const error = await stack
      .deploy(() => JobTemplate("mine", { jobTemplateId: "tpl-mine", description: "mine, v2", document: { op: "mine" } }))
      .catch((e: unknown) => e);
    expect(stack.mutatingCalls()).toEqual([]);
    expect((error as Error).message).toContain('JobTemplate "mine"');
    expect((error as Error).message).toContain(`${stack.app}/other/theirs`);
    expect((error as Error).message).toContain(path.join(stack.app, "test", "mine.json"));
    const destroyed = await stack.destroy().catch((e: unknown) => e);
    expect((destroyed as Error).message).toContain('JobTemplate "mine"');
    expect(stack.mutatingCalls()).toEqual([]);
    for (const t of [mine, theirs])
      expect((await stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: t.jobTemplateId }))).jobTemplateArn).toBe(
        t.jobTemplateArn,
      );
  });

  test("a Job that references a JobTemplate whose state was changed to name another stage's template is not created from it", async () => {
    const target = `arn:aws:iot:${stack.local.region}:${stack.local.accountId}:thing/t1`;
    await stack.client.send(new CreateThingCommand({ thingName: "t1" }));
    await stack.deploy(() => JobTemplate("theirs", { jobTemplateId: "tpl-theirs", description: "theirs", document: { op: "theirs" } }), {
      stage: "other",
    });
    const program = (v: string) => async () => {
      const template = await JobTemplate("mine", { jobTemplateId: "tpl-mine", description: "mine", document: { op: "mine" } });
      await Job("job", { targets: [target], jobTemplate: template, description: v });
    };
    await stack.deploy(program("v1"));
    // Only the recorded output is edited: the props are the program's, so Alchemy skips the template.
    const file = path.join(stack.stateDir(), "mine.json");
    const state = JSON.parse(fs.readFileSync(file, "utf8"));
    state.output = JSON.parse(JSON.stringify(state.output).replaceAll("tpl-mine", "tpl-theirs"));
    fs.writeFileSync(file, JSON.stringify(state, null, 2));
    stack.local.resetStats();
    // The job now names tpl-theirs: it would be replaced by a job from the wrong template.
    const error = await stack.deploy(program("v1")).catch((e: unknown) => e);
    expect(stack.mutatingCalls()).toEqual([]);
    expect((error as Error).message).toContain('Job "job"');
    expect((error as Error).message).toContain(`${stack.app}/other/theirs`);
  });
});
