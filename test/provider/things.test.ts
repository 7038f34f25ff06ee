import {
  AddThingToThingGroupCommand,
  CreateThingGroupCommand,
  DeleteThingCommand,
  DeleteThingGroupCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  ListTagsForResourceCommand,
  ListThingGroupsForThingCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-iot";
import { afterEach, beforeEach, expect, test } from "vitest";
import { Thing, ThingGroup, ValidationError } from "../../src/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(() => stack.close());

const groupsOf = async (thingName: string) =>
  ((await stack.client.send(new ListThingGroupsForThingCommand({ thingName }))).thingGroups ?? []).map((g) => g.groupName).sort();

test("ThingGroup: created with description, attributes, tags; updated in place; destroyed", async () => {
  const group = await stack.deploy(() => ThingGroup("fleet", { description: "v1", attributes: { site: "a" }, tags: { team: "x" } }));
  expect(group.thingGroupName).toBe(`${stack.app}-test-fleet`);
  expect(group.arn).toBe(group.thingGroupArn);
  let live = await stack.client.send(new DescribeThingGroupCommand({ thingGroupName: group.thingGroupName }));
  expect(live.thingGroupProperties?.thingGroupDescription).toBe("v1");
  expect(live.thingGroupProperties?.attributePayload?.attributes).toEqual({ site: "a" });

  stack.local.resetStats();
  await stack.deploy(() => ThingGroup("fleet", { description: "v2", attributes: { floor: "2" }, tags: { team: "y" } }));
  expect(stack.mutatingCalls()).toEqual(["UpdateThingGroup", "TagResource"]);
  live = await stack.client.send(new DescribeThingGroupCommand({ thingGroupName: group.thingGroupName }));
  expect(live.thingGroupProperties?.thingGroupDescription).toBe("v2");
  expect(live.thingGroupProperties?.attributePayload?.attributes).toEqual({ floor: "2" });
  expect(live.thingGroupId).toBe(group.thingGroupId);
  const tags = await stack.client.send(new ListTagsForResourceCommand({ resourceArn: group.thingGroupArn }));
  expect(Object.fromEntries(tags.tags!.map((t) => [t.Key, t.Value]))).toMatchObject({
    team: "y",
    alchemy_resource: `${stack.app}/test/fleet`,
  });

  stack.local.resetStats();
  await stack.deploy(() => ThingGroup("fleet", { description: "v2", attributes: { floor: "2" }, tags: { team: "y" } }));
  expect(stack.local.stats().requests).toBe(0);

  await stack.destroy();
  await expect(stack.client.send(new DescribeThingGroupCommand({ thingGroupName: group.thingGroupName }))).rejects.toBeInstanceOf(
    ResourceNotFoundException,
  );
});

test("ThingGroup: a rename replaces it; an existing foreign group is refused unless adopted", async () => {
  await stack.deploy(() => ThingGroup("g", { thingGroupName: "one" }));
  await stack.deploy(() => ThingGroup("g", { thingGroupName: "two" }));
  await expect(stack.client.send(new DescribeThingGroupCommand({ thingGroupName: "one" }))).rejects.toBeInstanceOf(
    ResourceNotFoundException,
  );
  expect((await stack.client.send(new DescribeThingGroupCommand({ thingGroupName: "two" }))).thingGroupName).toBe("two");

  await stack.client.send(new CreateThingGroupCommand({ thingGroupName: "foreign" }));
  const error = await stack.deploy(() => ThingGroup("f", { thingGroupName: "foreign" })).catch((e) => e);
  expect(error.message).toMatch(/thing group "foreign" already exists .* not created by this resource/);
  const adopted = await stack.deploy(() => ThingGroup("f", { thingGroupName: "foreign", description: "mine now", adopt: true }));
  expect(adopted.thingGroupName).toBe("foreign");
  expect(
    (await stack.client.send(new DescribeThingGroupCommand({ thingGroupName: "foreign" }))).thingGroupProperties?.thingGroupDescription,
  ).toBe("mine now");
});

test("Thing: attributes and memberships are updated in place, only declared memberships are removed", async () => {
  const program = (attributes: Record<string, string>, groups: string[]) => async () => {
    const a = await ThingGroup("a", { thingGroupName: "group-a" });
    const b = await ThingGroup("b", { thingGroupName: "group-b" });
    const byName = { "group-a": a, "group-b": b } as const;
    return Thing("device", { thingName: "device", attributes, thingGroups: groups.map((g) => byName[g as keyof typeof byName]) });
  };
  const thing = await stack.deploy(program({ model: "m1" }, ["group-a"]));
  expect(thing.arn).toBe(thing.thingArn);
  expect(await groupsOf("device")).toEqual(["group-a"]);

  // Someone else adds it to a group this resource does not declare.
  await stack.client.send(new CreateThingGroupCommand({ thingGroupName: "other" }));
  await stack.client.send(new AddThingToThingGroupCommand({ thingName: "device", thingGroupName: "other" }));

  stack.local.resetStats();
  await stack.deploy(program({ model: "m2", rev: "b" }, ["group-b"]));
  expect(stack.mutatingCalls().sort()).toEqual(["AddThingToThingGroup", "RemoveThingFromThingGroup", "UpdateThing"]);
  const live = await stack.client.send(new DescribeThingCommand({ thingName: "device" }));
  expect(live.attributes).toEqual({ model: "m2", rev: "b" });
  expect(live.thingId).toBe(thing.thingId);
  expect(await groupsOf("device")).toEqual(["group-b", "other"]);
});

test("Thing: a thing deleted out of band counts as deleted on destroy; an identical existing thing is taken over", async () => {
  await stack.deploy(() => Thing("d", { thingName: "d", attributes: { k: "v" } }));
  await stack.client.send(new DeleteThingCommand({ thingName: "d" }));
  await stack.destroy();
  expect(stack.stateFiles()).toEqual({});
  // A thing created by an interrupted deploy (same attributes) is simply reused.
  await stack.deploy(() => Thing("d", { thingName: "d", attributes: { k: "v" } }));
  await stack.destroy();
  await stack.deploy(() => Thing("d", { thingName: "d", attributes: { k: "v" } }));
  expect((await stack.client.send(new DescribeThingCommand({ thingName: "d" }))).attributes).toEqual({ k: "v" });
});

test("ThingGroup deleted out of band: destroy still succeeds", async () => {
  const g = await stack.deploy(() => ThingGroup("g", {}));
  await stack.client.send(new DeleteThingGroupCommand({ thingGroupName: g.thingGroupName }));
  await stack.destroy();
  expect(stack.stateFiles()).toEqual({});
});

test("bad Thing and ThingGroup props are rejected before any call", async () => {
  stack.local.resetStats();
  const e1 = await stack.deploy(() => ThingGroup("g", { thingGroupName: "has space", attributes: { "bad key!": "v" } })).catch((e) => e);
  expect(e1).toBeInstanceOf(ValidationError);
  expect(e1.message).toContain('thingGroupName: "has space"');
  expect(e1.message).toContain("attributes.bad key!:");
  const e2 = await stack
    .deploy(() => Thing("t", { thingName: "t", thingGroups: Array.from({ length: 11 }, (_, i) => `g${i}`) }))
    .catch((e) => e);
  expect(e2).toBeInstanceOf(ValidationError);
  expect(e2.message).toContain("thingGroups:");
  expect(e2.message).toContain("at most 10 thing groups");
  expect(stack.local.stats().requests).toBe(0);
  expect(stack.stateFiles()).toEqual({});
});
