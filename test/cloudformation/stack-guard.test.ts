/**
 * Never fight a stack: a template or job that a CloudFormation stack still
 * manages is not adopted, updated, replaced or deleted; once the stack lets
 * go of it (DeletionPolicy: Retain, then removed from the template, or the
 * stack deleted), it is. Against the local endpoint's CloudFormation stacks,
 * through the real SDKs and Alchemy runtime.
 */
import { DescribeJobCommand, DescribeJobTemplateCommand, ListTagsForResourceCommand } from "@aws-sdk/client-iot";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Job, JobTemplate, ManagedByStackError, type JobProps, type JobTemplateProps } from "../../src/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(() => stack.close());

const templateYaml = (retain: boolean, extra = "") => `
Resources:
  FirmwareTemplate:
    Type: AWS::IoT::JobTemplate
${retain ? "    DeletionPolicy: Retain\n" : ""}    Properties:
      JobTemplateId: firmware
      Description: Firmware rollout
      Document: '{"operation":"updateFirmware","version":"1.0"}'
      Tags:
        - Key: team
          Value: fleet
${extra}`;

const declared: JobTemplateProps = {
  jobTemplateId: "firmware",
  description: "Firmware rollout",
  document: { operation: "updateFirmware", version: "1.0" },
  tags: { team: "fleet" },
  adopt: true,
};

const cfnCalls = () => stack.local.stats().calls.filter((c) => c.operation === "DescribeStackResource").length;

describe("a job template created by a CloudFormation stack", () => {
  test("is not adopted while the stack manages it; is adopted unchanged once the stack retained and dropped it", async () => {
    await stack.local.createStack({ stackName: "legacy", template: templateYaml(true) });
    stack.local.resetStats();

    const error = await stack.deploy(() => JobTemplate("firmware", declared)).catch((e) => e);
    expect(error).toBeInstanceOf(ManagedByStackError);
    expect(error.message).toContain('job template "firmware" is managed by CloudFormation stack "legacy" (logical id "FirmwareTemplate")');
    expect(error.message).toContain("Refusing to adopt it");
    expect(error.message).toContain("set DeletionPolicy: Retain on FirmwareTemplate");
    expect(error.message).toContain("overrideCloudFormationStack: true");
    expect(error.message).toContain("Nothing was changed.");
    expect(stack.mutatingCalls()).toEqual([]);
    expect(cfnCalls()).toBe(1);

    // The stack lets go of it: removed from the template, kept by DeletionPolicy: Retain.
    const updated = await stack.local.updateStack({
      stackName: "legacy",
      template: "Resources:\n  Placeholder:\n    Type: AWS::IoT::ThingGroup\n    Properties:\n      ThingGroupName: placeholder\n",
    });
    expect(updated.retained).toEqual(["FirmwareTemplate"]);
    stack.local.resetStats();
    const adopted = await stack.deploy(() => JobTemplate("firmware", declared));
    expect(stack.mutatingCalls()).toEqual([]);
    expect(adopted.cloudFormation).toMatchObject({ stackName: "legacy", logicalId: "FirmwareTemplate" });

    // Later changes still check (the tags stay on the template), and proceed.
    stack.local.resetStats();
    await stack.deploy(() => JobTemplate("firmware", { ...declared, tags: { team: "devices" } }));
    expect(stack.mutatingCalls()).toEqual(["TagResource"]);
    expect(cfnCalls()).toBe(1);
    const live = await stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: "firmware" }));
    const tags = await stack.client.send(new ListTagsForResourceCommand({ resourceArn: live.jobTemplateArn }));
    expect(tags.tags?.find((t) => t.Key === "aws:cloudformation:stack-name")?.Value).toBe("legacy");

    await stack.destroy();
    await expect(stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: "firmware" }))).rejects.toThrow(/cannot be found/);
  });

  test("with overrideCloudFormationStack it is adopted anyway; without it, updates and deletes are refused until the stack is gone", async () => {
    await stack.local.createStack({ stackName: "legacy", template: templateYaml(false) });
    const adopted = await stack.deploy(() => JobTemplate("firmware", { ...declared, overrideCloudFormationStack: true }));
    expect(adopted.cloudFormation?.stackName).toBe("legacy");

    // A tag change without the override: refused, nothing changed.
    stack.local.resetStats();
    const error = await stack.deploy(() => JobTemplate("firmware", { ...declared, tags: { team: "x" } })).catch((e) => e);
    expect(error).toBeInstanceOf(ManagedByStackError);
    expect(error.message).toContain("Refusing to update it");
    expect(stack.mutatingCalls()).toEqual([]);

    // A replacement (new document), too.
    const replace = await stack.deploy(() => JobTemplate("firmware", { ...declared, document: { v: 2 } })).catch((e) => e);
    expect(replace).toBeInstanceOf(ManagedByStackError);
    expect(replace.message).toContain("Refusing to replace it");

    // The refused deploys left the state as it was (override included). Without the override in state,
    // destroy is refused too: the template stays, and so does the state.
    await stack.deploy(() => JobTemplate("firmware", declared));
    stack.local.resetStats();
    const destroy = await stack.destroy().catch((e) => e);
    expect(destroy).toBeInstanceOf(ManagedByStackError);
    expect(destroy.message).toContain("Refusing to delete it");
    expect(stack.mutatingCalls()).toEqual([]);
    await stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: "firmware" }));

    // The stack is deleted, keeping nothing (DeletionPolicy Delete): the template is gone and destroy is a no-op.
    const deleted = await stack.local.deleteStack("legacy");
    expect(deleted.deleted).toEqual(["FirmwareTemplate"]);
    await stack.destroy();
    expect(stack.stateFiles()).toEqual({});
  });

  test("a stack that lists another template under the logical id does not block", async () => {
    // The stack created "firmware"; then the stack's FirmwareTemplate was renamed (a new physical resource),
    // leaving the old one retained with the same tags.
    await stack.local.createStack({ stackName: "legacy", template: templateYaml(true) });
    await stack.local.updateStack({
      stackName: "legacy",
      template: "Resources:\n  Placeholder:\n    Type: AWS::IoT::ThingGroup\n    Properties:\n      ThingGroupName: placeholder\n",
    });
    await stack.local.updateStack({
      stackName: "legacy",
      template: templateYaml(true).replace("JobTemplateId: firmware", "JobTemplateId: firmware-v2"),
    });
    stack.local.resetStats();
    await stack.deploy(() => JobTemplate("firmware", declared));
    expect(stack.mutatingCalls()).toEqual([]);
  });
});

describe("a job created by a CloudFormation stack", () => {
  const jobYaml = (retain: boolean) => `
Resources:
  Fleet:
    Type: AWS::IoT::ThingGroup
    DeletionPolicy: Retain
    Properties:
      ThingGroupName: fleet
  Rollout:
    Type: AWS::IoT::Job
${retain ? "    DeletionPolicy: Retain\n" : ""}    Properties:
      JobId: rollout
      Targets:
        - !GetAtt Fleet.Arn
      TargetSelection: CONTINUOUS
      Document: '{"operation":"configure"}'
      Description: Configure the fleet
`;
  const job = (extra: Partial<JobProps> = {}) =>
    Job("rollout", {
      jobId: "rollout",
      targets: [`arn:aws:iot:${stack.local.region}:${stack.local.accountId}:thinggroup/fleet`],
      targetSelection: "CONTINUOUS",
      document: { operation: "configure" },
      description: "Configure the fleet",
      adopt: true,
      ...extra,
    });

  test("is refused while managed, adopted after removal from the stack, and its destroy checks the stack again", async () => {
    await stack.local.createStack({ stackName: "jobs", template: jobYaml(true) });
    stack.local.resetStats();
    const error = await stack.deploy(() => job()).catch((e) => e);
    expect(error).toBeInstanceOf(ManagedByStackError);
    expect(error.message).toContain('job "rollout" is managed by CloudFormation stack "jobs" (logical id "Rollout")');
    expect(stack.mutatingCalls()).toEqual([]);

    await stack.local.updateStack({
      stackName: "jobs",
      template: jobYaml(true).replace(/ {2}Rollout:[\s\S]*$/, ""),
    });
    stack.local.resetStats();
    const adopted = await stack.deploy(() => job({ description: "Configure the whole fleet" }));
    expect(stack.mutatingCalls()).toEqual(["UpdateJob"]);
    expect(adopted.cloudFormation).toMatchObject({ stackName: "jobs", logicalId: "Rollout" });
    expect((await stack.client.send(new DescribeJobCommand({ jobId: "rollout" }))).job?.description).toBe("Configure the whole fleet");

    stack.local.resetStats();
    await stack.destroy();
    expect(cfnCalls()).toBe(1);
    expect(stack.mutatingCalls()).toEqual(["CancelJob", "DeleteJob"]);
  });
});
