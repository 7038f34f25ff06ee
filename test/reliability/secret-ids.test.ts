/**
 * A job's default id never depends on a secret value: a job id is printed,
 * stored in the clear and seen by devices, and a hash that covered a short
 * secret would let anyone test guesses of it. Ids made before secrets were
 * left out are kept while nothing they covered changes.
 */
import alchemy from "alchemy";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Job, ThingGroup } from "../../src/index.ts";
import { defaultPhysicalId } from "../../src/iot/common.ts";
import { jobKind } from "../../src/iot/resources/job.ts";
import { forcingHash, jobSpec } from "../../src/iot/resources/job-spec.ts";
import type { Location } from "../../src/iot/location.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeAll(async () => {
  stack = await createStack();
});
afterAll(() => stack.close());

test("changing only a secret document keeps the default jobId (the job is replaced under the same id)", async () => {
  const program = (token: string) => async () => {
    const fleet = await ThingGroup("fleet", {});
    return Job("rotate", { targets: [fleet], document: alchemy.secret(JSON.stringify({ op: "rotate", token })), deletion: { force: true } });
  };
  const first = await stack.deploy(program("guess-me-1"));
  stack.local.resetStats();
  const second = await stack.deploy(program("guess-me-2"));
  expect(second.jobId).toBe(first.jobId);
  expect(stack.mutatingCalls()).toEqual(["CancelJob", "DeleteJob", "CreateJob"]);
  // The same props with a secret that was never used give the same id.
  const third = await stack.deploy(program("guess-me-3"));
  expect(third.jobId).toBe(first.jobId);
  await stack.destroy();
});

test("an id made before secrets were left out is kept while the secret stays, and left when it changes", () => {
  const scope = { appName: "app", stage: "dev" } as never;
  const location: Location = { kind: "aws", region: "us-east-1", key: "aws", description: "AWS" };
  const ownership = { app: "app", stage: "dev", resource: "app/dev/rotate" };
  const props = (token: string) => ({ targets: ["arn:aws:iot:us-east-1:123456789012:thinggroup/fleet"], document: alchemy.secret(`{"token":"${token}"}`) });
  const legacy = defaultPhysicalId(ownership, 64, forcingHash(jobSpec({ targets: props("a").targets, document: '{"token":"a"}' }, ""), location));
  const desire = (token: string, recorded?: string) =>
    jobKind.desire({ id: "rotate", fqn: "app/dev/rotate", scope, output: recorded ? { jobId: recorded } : undefined }, props(token) as never, location).id;
  expect(desire("a")).not.toBe(legacy);
  expect(desire("a", legacy)).toBe(legacy);
  expect(desire("b", legacy)).toBe(desire("a"));
});
