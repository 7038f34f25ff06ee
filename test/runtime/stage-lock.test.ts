/**
 * The stage's lock in a host that runs programs in its own process (a test
 * runner, a tool): one app and stage deployed to two state roots are two
 * locks. A deploy whose lock was left held by an earlier run of the same app
 * and stage elsewhere (a failed deploy is never finalized, so its lease stays
 * until the process ends) still takes its own, and writes under its own fence.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, expect, test, vi } from "vitest";
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

test("a lock removed from under a host (unlock --force) is reported, the host keeps running, and its next deploy takes the lock afresh", async () => {
  const stack = await createStack({ app: "host-app" });
  stacks.push(stack);
  const printed: string[] = [];
  const write = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  const exitCode = process.exitCode;
  try {
    await expect(
      stack.deploy(async () => {
        await JobTemplate("tpl", { jobTemplateId: "host-tpl", description: "first", document: { op: "x" } });
        throw new Error("the program failed");
      }),
    ).rejects.toThrow("the program failed");
    // What `alchemy-iot-jobs unlock --force` does: the lock directory goes.
    fs.rmSync(lockDir(stack), { recursive: true, force: true });
    // The holder's next renewal (every 2 s) finds it gone: it says so, and forgets the lease.
    for (const deadline = Date.now() + 15_000; !printed.some((l) => l.includes("Lost the lock")) && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(printed.join("")).toMatch(/✖ Deploy failed: Lost the lock on the state of stage "test" of app "host-app" .*was removed/);
    expect(process.exitCode).toBe(1);
  } finally {
    write.mockRestore();
    process.exitCode = exitCode;
  }
  // The host is still running: its next deploy of the stage takes the lock afresh and writes.
  const again = await stack.deploy(() => JobTemplate("tpl", { jobTemplateId: "host-tpl", description: "second", document: { op: "x" } }));
  expect(again.jobTemplateId).toBe("host-tpl");
  expect(stack.local.world.tables.templates.get("host-tpl")?.description).toBe("second");
  expect(fs.existsSync(lockDir(stack))).toBe(false);
});
