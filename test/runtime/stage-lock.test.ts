/**
 * The stage's lock in a host that runs programs in its own process (a test
 * runner, a tool): one app and stage deployed to two state roots are two
 * locks. A deploy whose lock was left held by an earlier run of the same app
 * and stage elsewhere (a failed deploy is never finalized, so its lease stays
 * until the process ends) still takes its own, and writes under its own fence.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, expect, test } from "vitest";
import { JobTemplate } from "../../src/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

const stacks: TestStack[] = [];
afterEach(async () => {
  for (const s of stacks.splice(0)) await s.close();
});

const lockDir = (s: TestStack) => path.join(s.dir, ".alchemy", ".locks", s.app, `${s.stage}.lock`);

test("one app and stage in two state roots: a deploy takes the lock of its own root, even while the other's is held", async () => {
  const first = await createStack({ app: "same-app" });
  const second = await createStack({ app: "same-app" });
  stacks.push(first, second);
  // A deploy whose program fails after its first resource: never finalized, so the first root's lock stays held.
  await expect(
    first.deploy(async () => {
      await JobTemplate("tpl", { jobTemplateId: "first-tpl", description: "first", document: { op: "x" } });
      throw new Error("the program failed");
    }),
  ).rejects.toThrow("the program failed");
  expect(fs.existsSync(lockDir(first))).toBe(true);
  // The second root's deploy holds its own lock while it runs, and releases it at the end.
  let heldWhileRunning = false;
  await second.deploy(async () => {
    const template = await JobTemplate("tpl", { jobTemplateId: "same-tpl", description: "second", document: { op: "x" } });
    heldWhileRunning = fs.existsSync(lockDir(second));
    return template;
  });
  expect(heldWhileRunning).toBe(true);
  expect(fs.existsSync(lockDir(second))).toBe(false);
  expect([...second.local.world.tables.templates.keys()]).toEqual(["same-tpl"]);
  expect([...first.local.world.tables.templates.keys()]).toEqual(["first-tpl"]);
  // The first root's lock is still its own (held until released or the process ends).
  expect(fs.existsSync(lockDir(first))).toBe(true);
});
