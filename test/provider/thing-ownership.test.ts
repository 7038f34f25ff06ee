/**
 * A Thing never takes over a thing it did not create. Things carry no tags,
 * so nothing on a thing says whose it is: a Thing without state whose name
 * is taken is refused (by the deploy and by the preview) unless `adopt` is
 * set, and a refused Thing, never having been this stack's, is never deleted
 * by it.
 */
import "../../src/preview/globals.ts";
import { CreateThingCommand, DescribeThingCommand } from "@aws-sdk/client-iot";
import { afterAll, beforeAll, expect, test } from "vitest";
import { AlreadyExistsError, Thing } from "../../src/index.ts";
import { preview } from "../support/accuracy.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeAll(async () => {
  stack = await createStack();
});
afterAll(() => stack.close());

test("a thing someone else created is refused by the preview and the deploy, kept by a destroy, and taken over only with adopt", async () => {
  await stack.client.send(new CreateThingCommand({ thingName: "prod-sensor-7", attributePayload: { attributes: { owner: "ops" } } }));
  const program = (adopt?: boolean) => () => Thing("sensor", { thingName: "prod-sensor-7", ...(adopt ? { adopt } : {}) });

  // The preview lists the problem the deploy will stop on, with the same message.
  const planned = await preview(stack, program());
  expect(planned.problems).toHaveLength(1);
  expect(planned.problems[0].message).toContain('Thing "sensor": thing "prod-sensor-7" already exists');

  stack.local.resetStats();
  const error = await stack.deploy(program()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AlreadyExistsError);
  expect((error as Error).message).toContain('Thing "sensor": thing "prod-sensor-7" already exists');
  expect((error as Error).message).toContain("adopt: true");
  expect(stack.mutatingCalls()).toEqual([]);
  expect(Object.keys(stack.stateFiles()).filter((f) => f.endsWith("sensor.json"))).toEqual([]);

  // Removing the declaration deletes nothing: the thing was never this stack's.
  await stack.deploy(async () => undefined);
  await stack.destroy();
  expect((await stack.client.send(new DescribeThingCommand({ thingName: "prod-sensor-7" }))).attributes).toEqual({ owner: "ops" });

  // With adopt, it is taken over (and from then on managed, and deleted with the stack).
  const adopted = await stack.deploy(program(true));
  expect(adopted.thingName).toBe("prod-sensor-7");
  expect(stack.mutatingCalls().filter((c) => c === "CreateThing")).toEqual([]);
});

test("renaming a Thing to the name of someone else's thing is refused before the old one is touched", async () => {
  await stack.deploy(() => Thing("renamed", { thingName: "line-1-sensor" }));
  await stack.client.send(new CreateThingCommand({ thingName: "line-2-sensor" }));
  stack.local.resetStats();
  const error = await stack.deploy(() => Thing("renamed", { thingName: "line-2-sensor" })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AlreadyExistsError);
  expect((error as Error).message).toContain('Thing "renamed": thing "line-2-sensor" already exists');
  expect(stack.mutatingCalls()).toEqual([]);
  expect((await stack.client.send(new DescribeThingCommand({ thingName: "line-1-sensor" }))).thingName).toBe("line-1-sensor");
  await stack.destroy();
  expect((await stack.client.send(new DescribeThingCommand({ thingName: "line-2-sensor" }))).thingName).toBe("line-2-sensor");
});
