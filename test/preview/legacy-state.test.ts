/**
 * State written by earlier versions of the package, which accepted a secret
 * tag value (every kind refuses one now): the tag is kept encrypted in state,
 * and a `preview --refresh` compares its value, not its wrapper, so it is not
 * drift for ever.
 */
import "../../src/preview/globals.ts";
import fs from "node:fs";
import path from "node:path";
import alchemy, { serialize } from "alchemy";
import { afterEach, beforeEach, expect, test } from "vitest";
import { JobTemplate } from "../../src/index.ts";
import { preview } from "../support/accuracy.ts";
import { createStack, PASSWORD, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(() => stack.close());

test("a secret tag value in state (written by an earlier version) is not reported as drift by preview --refresh", async () => {
  const program = () => JobTemplate("tpl", { jobTemplateId: "tpl", description: "d", document: { op: "x" }, tags: { token: "s3cr3t" } });
  await stack.deploy(program);
  // Rewrite the state as an earlier version wrote it: the tag's value as an alchemy.secret.
  const file = path.join(stack.stateDir(), "tpl.json");
  const state = JSON.parse(fs.readFileSync(file, "utf8"));
  const scope = { password: PASSWORD } as Parameters<typeof serialize>[0];
  state.output.tags.token = await serialize(scope, alchemy.secret("s3cr3t"));
  state.props.tags.token = state.output.tags.token;
  fs.writeFileSync(file, JSON.stringify(state));
  for (let i = 0; i < 2; i++) {
    const plan = await preview(stack, program, { refresh: true });
    expect(plan.drift).toEqual([]);
  }
});
