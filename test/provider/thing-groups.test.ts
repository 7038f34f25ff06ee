/**
 * Replacing a thing group, deployed through the real runtime against the
 * local endpoint (the preview's side of the same programs is held by the
 * cases of test/preview/accuracy.test.ts):
 *
 * - a group replaced under its name (a new parent) is a new group, without
 *   the memberships IoT dropped with the old one: the Things that declare it
 *   are added to it again in the same deploy;
 * - a child group replaced under a parent the program creates earlier in the
 *   same deploy (a renamed parent) is replaced under it; a parent neither
 *   declared earlier nor existing is refused before any call.
 */
import { DescribeThingGroupCommand, ListThingGroupsForThingCommand, ResourceNotFoundException } from "@aws-sdk/client-iot";
import { afterEach, beforeEach, expect, test } from "vitest";
import { Thing, ThingGroup, ValidationError } from "../../src/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack({ local: { deletionDelayMs: 20 } });
});
afterEach(() => stack.close());

const groupsOf = async (thingName: string) =>
  ((await stack.client.send(new ListThingGroupsForThingCommand({ thingName }))).thingGroups ?? []).map((g) => g.groupName).sort();
const parentOf = async (thingGroupName: string) =>
  (await stack.client.send(new DescribeThingGroupCommand({ thingGroupName }))).thingGroupMetadata?.parentGroupName;

test("a group given a new parent is replaced, and the things that declare it are added to the new group in the same deploy", async () => {
  const program = (parent?: string) => async () => {
    await ThingGroup("site-a", { thingGroupName: "site-a" });
    await ThingGroup("site-b", { thingGroupName: "site-b" });
    const fleet = await ThingGroup("fleet", { thingGroupName: "fleet", ...(parent ? { parentGroupName: parent } : {}) });
    const other = await ThingGroup("other", { thingGroupName: "other" });
    const d1 = await Thing("d1", { thingName: "d1", thingGroups: [fleet, other] });
    return { fleet, d1 };
  };
  const first = await stack.deploy(program());
  expect(first.fleet.generation).toBeUndefined();
  expect(first.d1.thingGroups).toEqual(["fleet", "other"]);
  expect(first.d1.thingGroupGenerations).toBeUndefined();
  expect(await groupsOf("d1")).toEqual(["fleet", "other"]);

  // The group is deleted and created under its parent; the thing is added to the new group (not to "other", which it is still in).
  stack.local.resetStats();
  const second = await stack.deploy(program("site-a"));
  expect(stack.mutatingCalls()).toEqual(["DeleteThingGroup", "CreateThingGroup", "AddThingToThingGroup"]);
  expect(await parentOf("fleet")).toBe("site-a");
  expect(await groupsOf("d1")).toEqual(["fleet", "other"]);
  expect(second.fleet.generation).toBe(2);
  expect(second.fleet.thingGroupId).not.toBe(first.fleet.thingGroupId);
  expect(second.d1.thingGroups).toEqual(["fleet", "other"]);
  expect(second.d1.thingGroupGenerations).toEqual({ fleet: 2 });

  // Nothing is left to do: a --force deploy reads everything and calls nothing.
  stack.local.resetStats();
  await stack.deploy(program("site-a"), { force: true });
  expect(stack.mutatingCalls()).toEqual([]);

  // Each new group counts one more, and the thing follows each.
  stack.local.resetStats();
  const third = await stack.deploy(program("site-b"));
  expect(stack.mutatingCalls()).toEqual(["DeleteThingGroup", "CreateThingGroup", "AddThingToThingGroup"]);
  expect(third.fleet.generation).toBe(3);
  expect(third.d1.thingGroupGenerations).toEqual({ fleet: 3 });
  expect(await groupsOf("d1")).toEqual(["fleet", "other"]);
});

test("a group given by name and the same group given as the resource are the same props, until the resource makes a new group", async () => {
  const program = (byName: boolean, parent?: string) => async () => {
    await ThingGroup("root", { thingGroupName: "root" });
    const fleet = await ThingGroup("fleet", { thingGroupName: "fleet", ...(parent ? { parentGroupName: parent } : {}) });
    await Thing("d1", { thingName: "d1", thingGroups: [byName ? "fleet" : fleet] });
  };
  await stack.deploy(program(false));
  stack.local.resetStats();
  await stack.deploy(program(true));
  expect(stack.local.stats().requests).toBe(0);
  // Named, the thing is not told of the new group: IoT drops its membership (a --force deploy adds it again).
  await stack.deploy(program(true, "root"));
  expect(await groupsOf("d1")).toEqual([]);
  stack.local.resetStats();
  await stack.deploy(program(true, "root"), { force: true });
  expect(stack.mutatingCalls()).toEqual(["AddThingToThingGroup"]);
  expect(await groupsOf("d1")).toEqual(["fleet"]);
});

test("a renamed parent: the new parent is created, then its child replaced under it and its thing added again; the old parent goes at the end", async () => {
  const program = (parentName: string) => async () => {
    const parent = await ThingGroup("parent", { thingGroupName: parentName });
    const fleet = await ThingGroup("fleet", { thingGroupName: "fleet", parentGroupName: parent.thingGroupName });
    await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
  };
  await stack.deploy(program("site"));
  stack.local.resetStats();
  await stack.deploy(program("site-2"));
  expect(stack.mutatingCalls()).toEqual([
    "CreateThingGroup",
    "DeleteThingGroup",
    "CreateThingGroup",
    "AddThingToThingGroup",
    "DeleteThingGroup",
  ]);
  expect(await parentOf("fleet")).toBe("site-2");
  expect(await groupsOf("d1")).toEqual(["fleet"]);
  await expect(stack.client.send(new DescribeThingGroupCommand({ thingGroupName: "site" }))).rejects.toBeInstanceOf(
    ResourceNotFoundException,
  );
});

test("a new parent that the program does not declare earlier and that does not exist is refused before any call", async () => {
  await stack.deploy(() => ThingGroup("fleet", { thingGroupName: "fleet" }));
  const programs: Array<[string, () => Promise<unknown>]> = [
    // Neither declared nor existing.
    ["nowhere", () => ThingGroup("fleet", { thingGroupName: "fleet", parentGroupName: "nowhere" })],
    // Declared, but after the group: when the deploy reaches the group, the parent does not exist yet.
    [
      "late",
      async () => {
        await ThingGroup("fleet", { thingGroupName: "fleet", parentGroupName: "late" });
        await ThingGroup("late", { thingGroupName: "late" });
      },
    ],
  ];
  for (const [parent, program] of programs) {
    stack.local.resetStats();
    const error = await stack.deploy(program).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(`parentGroupName: thing group "${parent}" does not exist`);
    expect(stack.mutatingCalls()).toEqual([]);
    expect(await parentOf("fleet")).toBeUndefined();
  }
});
