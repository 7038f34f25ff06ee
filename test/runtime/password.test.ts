/**
 * A state written with another password: the deploy says so, naming the
 * resource, instead of the cipher's "unable to authenticate data", and
 * changes nothing; with the right password it goes on.
 */
import alchemy from "alchemy";
import { afterAll, beforeAll, expect, test } from "vitest";
import { JobTemplate, StatePasswordError } from "../../src/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeAll(async () => {
  stack = await createStack();
});
afterAll(() => stack.close());

test("a wrong password is named as such, and nothing is changed", async () => {
  const program = (op: string) => () =>
    JobTemplate("secret-doc", { jobTemplateId: "secret-doc", description: "d", document: alchemy.secret(JSON.stringify({ op })) });
  await stack.deploy(program("x"));
  stack.local.resetStats();
  const error = await stack.deploy(program("y"), { password: "another-password" }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StatePasswordError);
  expect((error as Error).message).toBe(
    'The secrets in the state of iot::JobTemplate "secret-doc" cannot be decrypted with this run\'s password: the state was written with another one ' +
      "(the app's `password`, or ALCHEMY_PASSWORD). Nothing was changed. Run again with the password the state was written with.",
  );
  expect(stack.mutatingCalls()).toEqual([]);
  // With the password it was written with, the change goes through.
  await stack.deploy(program("y"));
  expect(stack.mutatingCalls()).toEqual(["DeleteJobTemplate", "CreateJobTemplate"]);
});
