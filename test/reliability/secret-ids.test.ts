/**
 * A job's default id never depends on a secret value: a job id is printed,
 * stored in the clear and seen by devices, and a hash that covered a short
 * secret would let anyone test guesses of it. Ids made before secrets were
 * left out are kept while nothing they covered changes.
 */
import alchemy from "alchemy";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Job, ThingGroup } from "../../src/index.ts";
import { defaultPhysicalId } from "../../src/provider/common.ts";
import { jobKind } from "../../src/provider/kinds/job/contract.ts";
import { forcingHash, jobSpec } from "../../src/provider/kinds/job/spec.ts";
import type { Location } from "../../src/provider/location.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeAll(async () => {
  stack = await createStack();
});
afterAll(() => stack.close());

test("changing only a secret document keeps the default jobId (the job is replaced under the same id)", async () => {
  const program = (token: string) => async () => {
    const fleet = await ThingGroup("fleet", {});
    return Job("rotate", {
      targets: [fleet],
      document: alchemy.secret(JSON.stringify({ op: "rotate", token })),
      deletion: { force: true },
    });
  };
  const first = await stack.deploy(program("guess-me-1"));
  stack.local.resetStats();
  const second = await stack.deploy(program("guess-me-2"));
  expect(second.jobId).toBe(first.jobId);
  // The group is empty, so the job has completed: it is deleted without a CancelJob (IoT would refuse one).
  expect(stack.mutatingCalls()).toEqual(["DeleteJob", "CreateJob"]);
  // The same props with a secret that was never used give the same id.
  const third = await stack.deploy(program("guess-me-3"));
  expect(third.jobId).toBe(first.jobId);
  await stack.destroy();
});

test("an id made before secrets were left out is kept until the job must be replaced", () => {
  const scope = { appName: "app", stage: "dev" } as never;
  const location: Location = { kind: "aws", region: "us-east-1", key: "aws", description: "AWS" };
  const ownership = { app: "app", stage: "dev", resource: "app/dev/rotate" };
  const fleet = "arn:aws:iot:us-east-1:123456789012:thinggroup/fleet";
  const props = (token: string, targets = [fleet]) => ({ targets, document: alchemy.secret(`{"token":"${token}"}`) });
  // Before 0.2 the hash covered the secret document.
  const legacy = defaultPhysicalId(
    ownership,
    64,
    forcingHash(jobSpec({ targets: [fleet], document: '{"token":"a"}' }, ""), location, new Set()),
  );
  const recorded = {
    jobId: legacy,
    jobArn: `arn:aws:iot:us-east-1:123456789012:job/${legacy}`,
    targets: [fleet],
    document: '{"token":"a"}',
    location: "aws",
    region: "us-east-1",
    status: "IN_PROGRESS",
  };
  const desire = (token: string, output?: object, targets?: string[]) =>
    jobKind.desire({ id: "rotate", fqn: "app/dev/rotate", scope, output }, props(token, targets) as never, location).id;
  expect(desire("a")).not.toBe(legacy);
  expect(desire("a", recorded)).toBe(legacy);
  // The secret changed (the job is replaced): the id is the new scheme's, which does not depend on the secret.
  expect(desire("b", recorded)).toBe(desire("a"));
  // As for any other member that forces a new job.
  const other = "arn:aws:iot:us-east-1:123456789012:thinggroup/other";
  expect(desire("a", recorded, [other])).toBe(desire("a", undefined, [other]));
});
