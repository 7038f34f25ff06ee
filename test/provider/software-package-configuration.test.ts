/**
 * SoftwarePackageConfiguration through the real Alchemy runtime and SDK:
 * taken over (never created), updated in place, and put back as it was
 * found when destroyed; one per account and region.
 */
import { GetPackageConfigurationCommand, UpdatePackageConfigurationCommand } from "@aws-sdk/client-iot";
import { afterEach, beforeEach, expect, test } from "vitest";
import { SoftwarePackageConfiguration, ValidationError } from "../../src/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(() => stack.close());

const ROLE = "arn:aws:iam::123456789012:role/iot-package-shadow";
const OTHER_ROLE = "arn:aws:iam::123456789012:role/iot-package-shadow-2";
const live = async () => (await stack.client.send(new GetPackageConfigurationCommand({}))).versionUpdateByJobsConfig;

test("taken over with what it found recorded, updated in place, and put back by a destroy", async () => {
  // Someone enabled it before this stack existed.
  await stack.client.send(new UpdatePackageConfigurationCommand({ versionUpdateByJobsConfig: { enabled: true, roleArn: ROLE } }));
  const program = (enabled: boolean, roleArn?: string) => () =>
    SoftwarePackageConfiguration("catalog", { versionUpdateByJobsConfig: { enabled, ...(roleArn ? { roleArn } : {}) } });

  stack.local.resetStats();
  const first = await stack.deploy(program(true, OTHER_ROLE));
  expect(stack.mutatingCalls()).toEqual(["UpdatePackageConfiguration"]);
  expect(first).toMatchObject({
    original: { enabled: true, roleArn: ROLE },
    adopted: true,
    versionUpdateByJobsConfig: { enabled: true, roleArn: OTHER_ROLE },
  });
  expect(await live()).toEqual({ enabled: true, roleArn: OTHER_ROLE });

  stack.local.resetStats();
  await stack.deploy(program(true, OTHER_ROLE));
  expect(stack.local.stats().requests).toBe(0);

  stack.local.resetStats();
  const updated = await stack.deploy(program(false));
  expect(stack.mutatingCalls()).toEqual(["UpdatePackageConfiguration"]);
  expect(await live()).toEqual({ enabled: false });
  // What it found is kept: a destroy puts that back, not the previous deploy's.
  expect(updated.original).toEqual({ enabled: true, roleArn: ROLE });

  stack.local.resetStats();
  await stack.destroy();
  expect(stack.mutatingCalls()).toEqual(["UpdatePackageConfiguration"]);
  expect(await live()).toEqual({ enabled: true, roleArn: ROLE });
  expect(stack.stateFiles()).toEqual({});
});

test("a configuration that matches the props is taken over without a call", async () => {
  stack.local.resetStats();
  const out = await stack.deploy(() => SoftwarePackageConfiguration("catalog", { versionUpdateByJobsConfig: { enabled: false } }));
  expect(stack.mutatingCalls()).toEqual([]);
  expect(out.original).toEqual({ enabled: false });
});

test("a second declaration for the same account and region, and enabled without a role, are refused before their calls", async () => {
  stack.local.resetStats();
  const error = await stack
    .deploy(async () => {
      await SoftwarePackageConfiguration("a", { versionUpdateByJobsConfig: { enabled: false } });
      return SoftwarePackageConfiguration("b", { versionUpdateByJobsConfig: { enabled: true, roleArn: ROLE } });
    })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as Error).message).toContain('SoftwarePackageConfiguration "b"');
  expect((error as Error).message).toContain(
    `${stack.app}/test/a declares the software package configuration of this account and region already`,
  );
  expect(stack.mutatingCalls()).toEqual([]);

  const noRole = await stack
    .deploy(() => SoftwarePackageConfiguration("c", { versionUpdateByJobsConfig: { enabled: true } }))
    .catch((e: unknown) => e);
  expect(noRole).toBeInstanceOf(ValidationError);
  expect((noRole as Error).message).toContain("versionUpdateByJobsConfig.roleArn: is required when enabled is true");
  expect(stack.mutatingCalls()).toEqual([]);
});
