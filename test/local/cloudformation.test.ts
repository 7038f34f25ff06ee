/**
 * CloudFormation stacks on the local endpoint: registered through the admin
 * API, read through the real `@aws-sdk/client-cloudformation` (awsQuery, XML),
 * their resources checked through the real `@aws-sdk/client-iot`.
 */
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  paginateListStackResources,
  type CloudFormationClientConfig,
} from "@aws-sdk/client-cloudformation";
import {
  CreateJobTemplateCommand,
  CreateThingGroupCommand,
  DescribeJobCommand,
  DescribeJobTemplateCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  InvalidRequestException,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  TagResourceCommand,
} from "@aws-sdk/client-iot";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { CloudFormationError, startLocalIoT, type LocalIoT, type LocalIoTOptions } from "../../src/local/index.ts";
import { DOC, expectError, iotClient, rawRequest } from "./helpers.ts";

const running: LocalIoT[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const l of running.splice(0)) await l.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function start(options: LocalIoTOptions = {}): Promise<LocalIoT> {
  const local = await startLocalIoT({ deletionDelayMs: 0, ...options });
  running.push(local);
  return local;
}

function cfnClient(local: LocalIoT, config: Partial<CloudFormationClientConfig> = {}): CloudFormationClient {
  return new CloudFormationClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials, ...config });
}

/** The error a CloudFormation call fails with (fails the test if it succeeds). */
async function cfnError(promise: Promise<unknown>): Promise<CloudFormationServiceException> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CloudFormationServiceException);
    return error as CloudFormationServiceException;
  }
  throw new Error("expected the CloudFormation call to fail, but it succeeded");
}

async function stackError(promise: Promise<unknown>): Promise<CloudFormationError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CloudFormationError);
    return error as CloudFormationError;
  }
  throw new Error("expected the stack operation to fail, but it succeeded");
}

const tagsOf = async (local: LocalIoT, resourceArn: string) =>
  Object.fromEntries(
    ((await iotClient(local).send(new ListTagsForResourceCommand({ resourceArn }))).tags ?? []).map((t) => [t.Key!, t.Value!]),
  );

/** Everything the endpoint holds, to check that a failed operation changed nothing. */
const tableSizes = (local: LocalIoT) =>
  Object.fromEntries(Object.entries(local.world.tables).map(([name, table]) => [name, (table as Map<string, unknown>).size]));

// A YAML stack with short-form intrinsics: a thing group, two job templates, a job targeting the group.
const FLEET = `AWSTemplateFormatVersion: "2010-09-09"
Description: Fleet rollout <v1> & friends
Resources:
  Fleet:
    Type: AWS::IoT::ThingGroup
    Properties:
      ThingGroupName: !Sub "\${AWS::StackName}-devices"
      ThingGroupProperties:
        ThingGroupDescription: Field devices
      Tags:
        - Key: tier
          Value: edge
  Sensor:
    Type: AWS::IoT::Thing
    Properties:
      ThingName: sensor-1
      AttributePayload:
        Attributes:
          model: t1
  RebootTemplate:
    Type: AWS::IoT::JobTemplate
    DeletionPolicy: Retain
    Metadata:
      Owner: !Ref Fleet
    Properties:
      JobTemplateId: reboot
      Description: !Join [" ", ["Reboot", !Ref Fleet, "in", !Ref "AWS::Region"]]
      Document: '{"operation":"reboot"}'
      Tags:
        - Key: team
          Value: devices
  FirmwareTemplate:
    Type: AWS::IoT::JobTemplate
    Properties:
      JobTemplateId: firmware
      Description: !Sub "Firmware for \${Fleet} (\${Fleet.Arn})"
      Document: |
        {"operation": "firmware", "version": "1.2.3"}
  Rollout:
    Type: AWS::IoT::Job
    Properties:
      JobId: !Sub "\${RebootTemplate}-rollout"
      Targets:
        - !GetAtt Fleet.Arn
      JobTemplateArn: !GetAtt RebootTemplate.Arn
      TargetSelection: CONTINUOUS
Outputs:
  GroupArn:
    Description: The fleet's ARN
    Value: !GetAtt [Fleet, Arn]
`;

describe("a YAML stack, read through the CloudFormation SDK", () => {
  test("DescribeStacks, DescribeStackResource, ListStackResources (paginated), GetTemplate and the IoT side", async () => {
    const local = await start({ cloudFormationPageSize: 2 });
    const registered = await local.createStack({ stackName: "fleet", template: FLEET, tags: { env: "test" } });
    expect(registered.status).toBe("CREATE_COMPLETE");
    expect(registered.stackId).toMatch(/^arn:aws:cloudformation:us-east-1:123456789012:stack\/fleet\/[0-9a-f-]{36}$/);
    // Created in dependency order: the group before what refers to it, the template before the job.
    const order = registered.resources.map((r) => r.logicalResourceId);
    expect(order.indexOf("Fleet")).toBeLessThan(order.indexOf("RebootTemplate"));
    expect(order.indexOf("RebootTemplate")).toBeLessThan(order.indexOf("Rollout"));
    expect(order).toHaveLength(5);

    const cfn = cfnClient(local);
    const byName = (await cfn.send(new DescribeStacksCommand({ StackName: "fleet" }))).Stacks!;
    expect(byName).toHaveLength(1);
    const stack = byName[0];
    expect(stack).toMatchObject({
      StackName: "fleet",
      StackId: registered.stackId,
      StackStatus: "CREATE_COMPLETE",
      Description: "Fleet rollout <v1> & friends",
      Tags: [{ Key: "env", Value: "test" }],
      Outputs: [
        {
          OutputKey: "GroupArn",
          OutputValue: "arn:aws:iot:us-east-1:123456789012:thinggroup/fleet-devices",
          Description: "The fleet's ARN",
        },
      ],
    });
    expect(stack.CreationTime).toBeInstanceOf(Date);
    expect(Math.abs(stack.CreationTime!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(stack.LastUpdatedTime).toBeUndefined();
    // By stack id, and all live stacks without a name.
    expect((await cfn.send(new DescribeStacksCommand({ StackName: registered.stackId }))).Stacks![0].StackName).toBe("fleet");
    expect((await cfn.send(new DescribeStacksCommand({}))).Stacks!.map((s) => s.StackName)).toEqual(["fleet"]);

    const detail = (await cfn.send(new DescribeStackResourceCommand({ StackName: "fleet", LogicalResourceId: "RebootTemplate" })))
      .StackResourceDetail!;
    expect(detail).toMatchObject({
      StackName: "fleet",
      StackId: registered.stackId,
      LogicalResourceId: "RebootTemplate",
      PhysicalResourceId: "reboot",
      ResourceType: "AWS::IoT::JobTemplate",
      ResourceStatus: "CREATE_COMPLETE",
    });
    expect(detail.LastUpdatedTimestamp).toBeInstanceOf(Date);
    expect(JSON.parse(detail.Metadata!)).toEqual({ Owner: "fleet-devices" });
    // Ref returns: JobTemplate -> its id, Job -> its id, Thing -> its name, ThingGroup -> its name.
    const physical = async (LogicalResourceId: string) =>
      (await cfn.send(new DescribeStackResourceCommand({ StackName: registered.stackId, LogicalResourceId }))).StackResourceDetail!
        .PhysicalResourceId;
    expect(await physical("Rollout")).toBe("reboot-rollout");
    expect(await physical("Sensor")).toBe("sensor-1");
    expect(await physical("Fleet")).toBe("fleet-devices");

    // Three pages of 2, 2 and 1 through the SDK's paginator.
    const pages: string[][] = [];
    for await (const p of paginateListStackResources({ client: cfn }, { StackName: "fleet" })) {
      pages.push(p.StackResourceSummaries!.map((r) => r.LogicalResourceId!));
      for (const r of p.StackResourceSummaries!) {
        expect(r.ResourceStatus).toBe("CREATE_COMPLETE");
        expect(r.LastUpdatedTimestamp).toBeInstanceOf(Date);
      }
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(order);
    const first = await cfn.send(new ListStackResourcesCommand({ StackName: "fleet" }));
    expect(first.StackResourceSummaries![0]).toMatchObject({
      LogicalResourceId: order[0],
      PhysicalResourceId: registered.resources[0].physicalResourceId,
      ResourceType: registered.resources[0].resourceType,
    });
    expect(first.NextToken).toEqual(expect.any(String));

    const template = await cfn.send(new GetTemplateCommand({ StackName: "fleet" }));
    expect(template.TemplateBody).toBe(FLEET);
    expect(template.StagesAvailable).toEqual(["Original", "Processed"]);
    expect((await cfn.send(new GetTemplateCommand({ StackName: "fleet", TemplateStage: "Processed" }))).TemplateBody).toBe(FLEET);

    // The IoT side: what CloudFormation would have created, with its tags.
    const iot = iotClient(local);
    const reboot = await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "reboot" }));
    expect(reboot.description).toBe("Reboot fleet-devices in us-east-1");
    expect(reboot.document).toBe('{"operation":"reboot"}');
    const firmware = await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "firmware" }));
    expect(firmware.description).toBe("Firmware for fleet-devices (arn:aws:iot:us-east-1:123456789012:thinggroup/fleet-devices)");
    expect(JSON.parse(firmware.document!)).toEqual({ operation: "firmware", version: "1.2.3" });
    const { job } = await iot.send(new DescribeJobCommand({ jobId: "reboot-rollout" }));
    expect(job).toMatchObject({
      targets: ["arn:aws:iot:us-east-1:123456789012:thinggroup/fleet-devices"],
      jobTemplateArn: reboot.jobTemplateArn,
      targetSelection: "CONTINUOUS",
      status: "IN_PROGRESS",
    });
    expect((await iot.send(new DescribeThingCommand({ thingName: "sensor-1" }))).attributes).toEqual({ model: "t1" });
    const group = await iot.send(new DescribeThingGroupCommand({ thingGroupName: "fleet-devices" }));
    expect(group.thingGroupProperties?.thingGroupDescription).toBe("Field devices");

    const cfnTags = (logicalId: string) => ({
      "aws:cloudformation:stack-name": "fleet",
      "aws:cloudformation:logical-id": logicalId,
      "aws:cloudformation:stack-id": registered.stackId,
    });
    expect(await tagsOf(local, reboot.jobTemplateArn!)).toEqual({ ...cfnTags("RebootTemplate"), env: "test", team: "devices" });
    expect(await tagsOf(local, firmware.jobTemplateArn!)).toEqual({ ...cfnTags("FirmwareTemplate"), env: "test" });
    expect(await tagsOf(local, job!.jobArn!)).toEqual({ ...cfnTags("Rollout"), env: "test" });
    expect(await tagsOf(local, group.thingGroupArn!)).toEqual({ ...cfnTags("Fleet"), env: "test", tier: "edge" });
    // Things are not taggable (AWS::IoT::Thing has no Tags): no tags are added.
    expect(await tagsOf(local, "arn:aws:iot:us-east-1:123456789012:thing/sensor-1")).toEqual({});

    // API callers still cannot use the aws: prefix.
    await expectError(
      iot.send(
        new TagResourceCommand({ resourceArn: firmware.jobTemplateArn, tags: [{ Key: "aws:cloudformation:stack-name", Value: "x" }] }),
      ),
      InvalidRequestException,
      400,
      "aws:",
    );
  });

  test("a JSON object template: Fn::Sub with variables, Fn::Join, pseudo parameters, AWS::NoValue, generated names", async () => {
    const local = await start({ region: "eu-west-1", accountId: "210987654321" });
    const registered = await local.createStack({
      stackName: "json-stack",
      tags: [{ Key: "owner", Value: "qa" }],
      template: {
        Resources: {
          Group: { Type: "AWS::IoT::ThingGroup" },
          Device: { Type: "AWS::IoT::Thing", DependsOn: "Group" },
          Template: {
            Type: "AWS::IoT::JobTemplate",
            Properties: {
              JobTemplateId: { "Fn::Join": ["-", [{ Ref: "AWS::StackName" }, "tpl"]] },
              Description: { "Fn::Sub": ["${Who} in ${AWS::Partition}:${AWS::AccountId} ${!Literal}", { Who: { Ref: "Device" } }] },
              Document: DOC,
              DocumentSource: { Ref: "AWS::NoValue" },
            },
          },
        },
        Outputs: {
          TemplateId: { Value: { Ref: "Template" } },
          GroupName: { Value: { Ref: "Group" } },
          GroupId: { Value: { "Fn::GetAtt": ["Group", "Id"] } },
          StackId: { Value: { Ref: "AWS::StackId" } },
        },
      },
    });
    const [group, device] = registered.resources;
    // Without a name, CloudFormation generates {stack}-{logical id}-{12 characters}.
    expect(group.physicalResourceId).toMatch(/^json-stack-Group-[A-Z0-9]{12}$/);
    expect(device.physicalResourceId).toMatch(/^json-stack-Device-[A-Z0-9]{12}$/);
    const iot = iotClient(local);
    const t = await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "json-stack-tpl" }));
    expect(t.description).toBe(`${device.physicalResourceId} in aws:210987654321 \${Literal}`);
    expect(t.documentSource).toBeUndefined();
    const groupId = (await iot.send(new DescribeThingGroupCommand({ thingGroupName: group.physicalResourceId }))).thingGroupId;
    const [stack] = (await cfnClient(local).send(new DescribeStacksCommand({ StackName: "json-stack" }))).Stacks!;
    expect(stack.Description).toBeUndefined();
    expect(Object.fromEntries(stack.Outputs!.map((o) => [o.OutputKey, o.OutputValue]))).toEqual({
      TemplateId: "json-stack-tpl",
      GroupName: group.physicalResourceId,
      GroupId: groupId,
      StackId: registered.stackId,
    });
    expect(registered.stackId).toMatch(/^arn:aws:cloudformation:eu-west-1:210987654321:stack\/json-stack\//);
    // An object template is kept, and returned, as JSON text.
    const body = (await cfnClient(local).send(new GetTemplateCommand({ StackName: "json-stack" }))).TemplateBody!;
    expect(JSON.parse(body).Resources.Template.Properties.Document).toBe(DOC);
    expect(await tagsOf(local, t.jobTemplateArn!)).toMatchObject({ owner: "qa", "aws:cloudformation:logical-id": "Template" });
  });

  test("a template body with XML special characters and CR LF line ends comes back byte for byte", async () => {
    const local = await start();
    const template =
      '{\r\n  "Description": "a < b & c > d &amp; &#x41; \\"quoted\\" \'single\'",\r\n  "Resources": {\r\n' +
      '    "G": { "Type": "AWS::IoT::ThingGroup", "Properties": { "ThingGroupName": "crlf" } }\r\n  }\r\n}\r\n';
    await local.createStack({ stackName: "crlf", template });
    const cfn = cfnClient(local);
    expect((await cfn.send(new GetTemplateCommand({ StackName: "crlf" }))).TemplateBody).toBe(template);
    expect((await cfn.send(new DescribeStacksCommand({ StackName: "crlf" }))).Stacks![0].Description).toBe(
      `a < b & c > d &amp; &#x41; "quoted" 'single'`,
    );
  });
});

describe("CloudFormation errors", () => {
  test("unknown stacks and logical ids are ValidationErrors with CloudFormation's messages", async () => {
    const local = await start();
    await local.createStack({
      stackName: "known",
      template: { Resources: { G: { Type: "AWS::IoT::ThingGroup", Properties: { ThingGroupName: "g" } } } },
    });
    const cfn = cfnClient(local, { maxAttempts: 1 });
    // [call, the whole message, or a part of it]
    const cases: Array<[Promise<unknown>, string | { part: string }]> = [
      [cfn.send(new DescribeStacksCommand({ StackName: "nope" })), "Stack with id nope does not exist"],
      [cfn.send(new DescribeStackResourceCommand({ StackName: "nope", LogicalResourceId: "G" })), "Stack 'nope' does not exist"],
      [
        cfn.send(new DescribeStackResourceCommand({ StackName: "known", LogicalResourceId: "Nope" })),
        "Resource Nope does not exist for stack known",
      ],
      [cfn.send(new ListStackResourcesCommand({ StackName: "nope" })), "Stack with id nope does not exist"],
      [cfn.send(new GetTemplateCommand({ StackName: "nope" })), "Stack with id nope does not exist"],
      [cfn.send(new ListStackResourcesCommand({ StackName: "known", NextToken: "not-a-token" })), { part: "Invalid NextToken" }],
      [
        cfn.send(new GetTemplateCommand({ StackName: "known", TemplateStage: "Final" as never })),
        { part: "Member must satisfy enum value set: [Original, Processed]" },
      ],
    ];
    for (const [call, message] of cases) {
      const e = await cfnError(call);
      expect(e.name).toBe("ValidationError");
      if (typeof message === "string") expect(e.message).toBe(message);
      else expect(e.message).toContain(message.part);
      expect(e.$metadata.httpStatusCode).toBe(400);
      expect(e.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  test("unknown actions, bad signatures and other protocols' signatures get awsQuery XML errors", async () => {
    const local = await start();
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const body = "Action=DeleteStack&Version=2010-05-15&StackName=x";
    const unknown = await rawRequest(local, { method: "POST", path: "/", body, headers: form, service: "cloudformation" });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get("content-type")).toBe("text/xml");
    expect(unknown.text).toBe(
      `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>InvalidAction</Code>` +
        `<Message>Could not find operation DeleteStack for version 2010-05-15</Message></Error>` +
        `<RequestId>${unknown.headers.get("x-amzn-requestid")}</RequestId></ErrorResponse>`,
    );
    // Signed for IoT instead of CloudFormation, unsigned, wrong secret.
    const asIot = await rawRequest(local, { method: "POST", path: "/", body: "Action=DescribeStacks&Version=2010-05-15", headers: form });
    expect(asIot.status).toBe(403);
    expect(asIot.text).toContain("<Code>SignatureDoesNotMatch</Code>");
    const unsigned = await rawRequest(local, { method: "POST", path: "/", body, headers: form, unsigned: true });
    expect(unsigned.status).toBe(403);
    expect(unsigned.text).toContain("<Code>MissingAuthenticationToken</Code>");
    const wrongKey = cfnClient(local, { maxAttempts: 1, credentials: { accessKeyId: "AKIAOTHER", secretAccessKey: "x" } });
    const e = await cfnError(wrongKey.send(new DescribeStacksCommand({})));
    expect(e.name).toBe("InvalidClientTokenId");
    expect(e.$metadata.httpStatusCode).toBe(403);
    // A refused request is not an operation.
    expect(local.stats()).toMatchObject({ requests: 0, rejected: 4 });
  });
});

describe("rollback: a stack that cannot be created leaves nothing behind", () => {
  const group = { Type: "AWS::IoT::ThingGroup", Properties: { ThingGroupName: "rb-group" } };
  const template = (id: string) => ({
    Type: "AWS::IoT::JobTemplate",
    Properties: { JobTemplateId: id, Description: "d", Document: DOC },
  });
  const cases: Array<[string, Record<string, unknown> | string, string[]]> = [
    [
      "a job whose target does not exist (a handler error, after three resources were created)",
      {
        Resources: {
          Group: group,
          T1: template("rb-1"),
          T2: template("rb-2"),
          Job: {
            Type: "AWS::IoT::Job",
            Properties: { JobId: "rb-job", Targets: ["arn:aws:iot:us-east-1:123456789012:thinggroup/missing"], Document: DOC },
          },
        },
      },
      ["Resource Job (AWS::IoT::Job) failed to create", "ResourceNotFoundException", "thinggroup/missing", "rolled back"],
    ],
    [
      "a missing JobTemplateId",
      { Resources: { Group: group, T: { Type: "AWS::IoT::JobTemplate", Properties: { Description: "d", Document: DOC } } } },
      ["Resource T (AWS::IoT::JobTemplate)", "required key [JobTemplateId] not found"],
    ],
    [
      "a property of the other CloudFormation type (a translation issue)",
      {
        Resources: {
          Group: group,
          T: {
            Type: "AWS::IoT::JobTemplate",
            Properties: {
              JobTemplateId: "rb-t",
              Description: "d",
              Document: DOC,
              JobExecutionsRetryConfig: { CriteriaList: [{ FailureType: "FAILED", NumberOfRetries: 1 }] },
            },
          },
        },
      },
      ["Resource T (AWS::IoT::JobTemplate)", "JobExecutionsRetryConfig.CriteriaList", "RetryCriteriaList"],
    ],
    [
      "a tag with the reserved aws: prefix",
      {
        Resources: {
          Group: group,
          T: {
            ...template("rb-t"),
            Properties: { ...template("rb-t").Properties, Tags: [{ Key: "aws:cloudformation:stack-name", Value: "x" }] },
          },
        },
      },
      ["Resource T (AWS::IoT::JobTemplate)", "reserved prefix 'aws:'"],
    ],
    [
      "a Document given as an object (CloudFormation's type is String)",
      { Resources: { Group: group, T: { ...template("rb-t"), Properties: { ...template("rb-t").Properties, Document: { op: 1 } } } } },
      ["Resource T (AWS::IoT::JobTemplate)", "#/Document: expected type: String"],
    ],
    [
      "an unsupported resource type",
      { Resources: { Group: group, B: { Type: "AWS::S3::Bucket" } } },
      ["resource B", "AWS::S3::Bucket is not supported"],
    ],
    [
      "a Ref to nothing",
      "Resources:\n  Group:\n    Type: AWS::IoT::ThingGroup\n  T:\n    Type: AWS::IoT::JobTemplate\n    Properties:\n      JobTemplateId: !Ref Missing\n",
      ["Unresolved resource dependencies [Missing]", "resource T"],
    ],
    [
      "an intrinsic function it does not support",
      "Resources:\n  T:\n    Type: AWS::IoT::JobTemplate\n    Properties:\n      JobTemplateId: !If [c, a, b]\n",
      ["Fn::If is not supported", "resource T"],
    ],
    [
      "an attribute the type does not have",
      {
        Resources: {
          Group: group,
          T: { ...template("rb-t"), Properties: { ...template("rb-t").Properties, Description: { "Fn::GetAtt": ["Group", "Name"] } } },
        },
      },
      ["resource Group does not support attribute type Name in Fn::GetAtt", "resource T"],
    ],
    [
      "a dependency cycle",
      { Resources: { A: { ...group, DependsOn: "B" }, B: { Type: "AWS::IoT::ThingGroup", DependsOn: "A" } } },
      ["Circular dependency between resources: [A, B]"],
    ],
    ["no resources", { Resources: {} }, ["At least one Resources member must be defined."]],
    ["YAML that does not parse", "Resources:\n  T: [\n", ["YAML not well-formed"]],
    [
      "an unsupported section",
      { Parameters: { P: { Type: "String" } }, Resources: { Group: group } },
      ["Parameters section is not supported"],
    ],
  ];
  test.each(cases)("%s", async (_name, body, fragments) => {
    const local = await start();
    const before = tableSizes(local);
    const error = await stackError(local.createStack({ stackName: "rollback", template: body }));
    expect(error.code).toBe("ValidationError");
    expect(error.status).toBe(400);
    for (const fragment of fragments) expect(error.message).toContain(fragment);
    expect(tableSizes(local)).toEqual(before);
    expect(local.listStacks()).toEqual([]);
    const iot = iotClient(local, { maxAttempts: 1 });
    await expectError(iot.send(new DescribeThingGroupCommand({ thingGroupName: "rb-group" })), ResourceNotFoundException, 404);
    await expectError(iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "rb-1" })), ResourceNotFoundException, 404);
    const e = await cfnError(cfnClient(local, { maxAttempts: 1 }).send(new DescribeStacksCommand({ StackName: "rollback" })));
    expect(e.name).toBe("ValidationError");
  });

  test("rollback never deletes what existed before the stack, and the stack name stays free", async () => {
    const local = await start();
    const iot = iotClient(local);
    await iot.send(
      new CreateJobTemplateCommand({ jobTemplateId: "existing", description: "mine", document: DOC, tags: [{ Key: "k", Value: "v" }] }),
    );
    await iot.send(new CreateThingGroupCommand({ thingGroupName: "existing-group" }));
    const before = tableSizes(local);
    const clash = await stackError(
      local.createStack({
        stackName: "clash",
        template: {
          Resources: {
            G: { Type: "AWS::IoT::ThingGroup", Properties: { ThingGroupName: "new-group" } },
            T: { Type: "AWS::IoT::JobTemplate", Properties: { JobTemplateId: "existing", Description: "d", Document: DOC } },
          },
        },
      }),
    );
    expect(clash.message).toContain("Resource T (AWS::IoT::JobTemplate) failed to create: ConflictException");
    // CreateThingGroup is idempotent in IoT, but CloudFormation does not take over an existing group.
    const group = await stackError(
      local.createStack({
        stackName: "clash",
        template: { Resources: { G: { Type: "AWS::IoT::ThingGroup", Properties: { ThingGroupName: "existing-group" } } } },
      }),
    );
    expect(group.message).toContain("Resource of type 'AWS::IoT::ThingGroup' with identifier 'existing-group' already exists.");
    expect(tableSizes(local)).toEqual(before);
    expect((await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "existing" }))).description).toBe("mine");
    expect(await tagsOf(local, `arn:aws:iot:us-east-1:123456789012:jobtemplate/existing`)).toEqual({ k: "v" });
    await local.createStack({
      stackName: "clash",
      template: { Resources: { G: { Type: "AWS::IoT::ThingGroup", Properties: { ThingGroupName: "new-group" } } } },
    });
    const again = await stackError(
      local.createStack({ stackName: "clash", template: { Resources: { G: { Type: "AWS::IoT::ThingGroup" } } } }),
    );
    expect(again.code).toBe("AlreadyExistsException");
    expect(again.message).toBe("Stack [clash] already exists");
  });
});

const STAGED = `Resources:
  Group:
    Type: AWS::IoT::ThingGroup
    Properties:
      ThingGroupName: staged
  Kept:
    Type: AWS::IoT::JobTemplate
    DeletionPolicy: Retain
    Properties:
      JobTemplateId: kept
      Description: kept
      Document: '{"op":"kept"}'
  Dropped:
    Type: AWS::IoT::JobTemplate
    Properties:
      JobTemplateId: dropped
      Description: dropped
      Document: '{"op":"dropped"}'
  Job:
    Type: AWS::IoT::Job
    Properties:
      JobId: staged-job
      Targets: [!GetAtt Group.Arn]
      JobTemplateArn: !GetAtt Dropped.Arn
`;

describe("updateStack", () => {
  test("removing a Retain resource keeps it in IoT with its tags; removing others deletes them; new ids are created", async () => {
    const local = await start({ deletionDelayMs: 60_000 });
    const created = await local.createStack({ stackName: "staged", template: STAGED });
    const cfn = cfnClient(local, { maxAttempts: 1 });
    const iot = iotClient(local, { maxAttempts: 1 });
    const keptArn = created.resources.find((r) => r.logicalResourceId === "Kept")!.arn;
    const keptTags = await tagsOf(local, keptArn);
    expect(keptTags).toMatchObject({ "aws:cloudformation:logical-id": "Kept" });

    // The new template drops Kept (Retain), Dropped and Job, adds Added, and changes only the Group's Metadata.
    const next = `Resources:
  Group:
    Type: AWS::IoT::ThingGroup
    Metadata: { note: !Sub "\${AWS::StackName} v2" }
    DeletionPolicy: Retain
    Properties:
      ThingGroupName: staged
  Added:
    Type: AWS::IoT::JobTemplate
    Properties:
      JobTemplateId: added
      Description: !Ref Group
      Document: '{"op":"added"}'
`;
    const updated = await local.updateStack({ stackName: "staged", template: next });
    expect(updated).toMatchObject({ status: "UPDATE_COMPLETE", created: ["Added"], deleted: ["Dropped", "Job"], retained: ["Kept"] });
    expect(updated.resources.map((r) => r.logicalResourceId)).toEqual(["Group", "Added"]);

    // Kept: still in IoT, tags intact, but no longer a stack resource.
    expect((await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "kept" }))).description).toBe("kept");
    expect(await tagsOf(local, keptArn)).toEqual(keptTags);
    const gone = await cfnError(cfn.send(new DescribeStackResourceCommand({ StackName: "staged", LogicalResourceId: "Kept" })));
    expect(gone.name).toBe("ValidationError");
    expect(gone.message).toBe("Resource Kept does not exist for stack staged");
    // Dropped: deleted. Job: deleted with force, through DELETION_IN_PROGRESS.
    await expectError(iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "dropped" })), ResourceNotFoundException, 404);
    expect((await iot.send(new DescribeJobCommand({ jobId: "staged-job" }))).job?.status).toBe("DELETION_IN_PROGRESS");
    local.advanceTime(60_000);
    await expectError(iot.send(new DescribeJobCommand({ jobId: "staged-job" })), ResourceNotFoundException, 404);
    // Added: created and tagged.
    expect((await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "added" }))).description).toBe("staged");
    expect(await tagsOf(local, updated.resources[1].arn)).toMatchObject({ "aws:cloudformation:logical-id": "Added" });
    // Group: untouched in IoT; its Metadata is updated.
    const groupDetail = (await cfn.send(new DescribeStackResourceCommand({ StackName: "staged", LogicalResourceId: "Group" })))
      .StackResourceDetail!;
    expect(JSON.parse(groupDetail.Metadata!)).toEqual({ note: "staged v2" });

    const [stack] = (await cfn.send(new DescribeStacksCommand({ StackName: "staged" }))).Stacks!;
    expect(stack.StackStatus).toBe("UPDATE_COMPLETE");
    expect(stack.LastUpdatedTime).toBeInstanceOf(Date);
    expect(stack.LastUpdatedTime!.getTime()).toBeGreaterThanOrEqual(stack.CreationTime!.getTime());
    expect((await cfn.send(new GetTemplateCommand({ StackName: "staged" }))).TemplateBody).toBe(next);
    const listed = (await cfn.send(new ListStackResourcesCommand({ StackName: "staged" }))).StackResourceSummaries!;
    expect(listed.map((r) => [r.LogicalResourceId, r.PhysicalResourceId])).toEqual([
      ["Group", "staged"],
      ["Added", "added"],
    ]);

    // The group is Retain in the template now: deleting the stack keeps it, and deletes Added.
    const deletion = await local.deleteStack("staged");
    expect(deletion).toMatchObject({ deleted: ["Added"], retained: ["Group"] });
    expect((await iot.send(new DescribeThingGroupCommand({ thingGroupName: "staged" }))).thingGroupName).toBe("staged");
    await expectError(iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "added" })), ResourceNotFoundException, 404);
  });

  test("a change to an existing resource's Properties is refused and changes nothing", async () => {
    const local = await start();
    await local.createStack({ stackName: "staged", template: STAGED });
    const before = structuredClone(local.world.tables);
    const changed = STAGED.replace("Description: kept", "Description: kept v2").replace(/ {2}Dropped:[\s\S]*$/, "");
    const error = await stackError(local.updateStack({ stackName: "staged", template: changed }));
    expect(error.status).toBe(400);
    expect(error.message).toContain(
      "Resource Kept (AWS::IoT::JobTemplate): changing Properties of an existing resource is not supported by the local endpoint",
    );
    expect(error.message).toContain("Stack staged was not changed.");
    expect(local.world.tables).toEqual(before);
    expect((await cfnClient(local).send(new GetTemplateCommand({ StackName: "staged" }))).TemplateBody).toBe(STAGED);
    // A failing creation during an update rolls the update back.
    const failing = `${STAGED}  Broken:\n    Type: AWS::IoT::Job\n    Properties:\n      JobId: broken\n      Targets: [arn:aws:iot:us-east-1:123456789012:thing/missing]\n      Document: '{}'\n`;
    const rolledBack = await stackError(local.updateStack({ stackName: "staged", template: failing }));
    expect(rolledBack.message).toContain("Resource Broken (AWS::IoT::Job) failed to create");
    expect(local.world.tables).toEqual(before);
    // An unknown stack.
    const unknown = await stackError(local.updateStack({ stackName: "nope", template: STAGED }));
    expect(unknown.message).toBe("Stack [nope] does not exist");
  });
});

describe("deleteStack", () => {
  test("deletes the resources except those with DeletionPolicy: Retain; the stack is gone", async () => {
    const local = await start({ deletionDelayMs: 0 });
    const { stackId } = await local.createStack({ stackName: "doomed", template: STAGED });
    const deletion = await local.deleteStack("doomed");
    expect(deletion).toEqual({ stackName: "doomed", stackId, deleted: ["Group", "Dropped", "Job"], retained: ["Kept"] });
    const iot = iotClient(local, { maxAttempts: 1 });
    await expectError(iot.send(new DescribeJobCommand({ jobId: "staged-job" })), ResourceNotFoundException, 404);
    await expectError(iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "dropped" })), ResourceNotFoundException, 404);
    await expectError(iot.send(new DescribeThingGroupCommand({ thingGroupName: "staged" })), ResourceNotFoundException, 404);
    const kept = await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "kept" }));
    expect(await tagsOf(local, kept.jobTemplateArn!)).toEqual({
      "aws:cloudformation:stack-name": "doomed",
      "aws:cloudformation:logical-id": "Kept",
      "aws:cloudformation:stack-id": stackId,
    });
    const cfn = cfnClient(local, { maxAttempts: 1 });
    for (const name of ["doomed", stackId]) {
      const e = await cfnError(cfn.send(new DescribeStacksCommand({ StackName: name })));
      expect(e.name).toBe("ValidationError");
      expect(e.message).toBe(`Stack with id ${name} does not exist`);
    }
    expect((await cfn.send(new DescribeStacksCommand({}))).Stacks).toEqual([]);
    expect(local.listStacks()).toEqual([]);
    expect((await stackError(local.deleteStack("doomed"))).message).toBe("Stack with id doomed does not exist");
    // The name can be used again.
    await expect(
      local.createStack({
        stackName: "doomed",
        template: { Resources: { G: { Type: "AWS::IoT::ThingGroup", Properties: { ThingGroupName: "again" } } } },
      }),
    ).resolves.toMatchObject({ status: "CREATE_COMPLETE" });
  });
});

describe("statistics and faults", () => {
  test("CloudFormation calls are counted by action, as read-only; admin routes are not counted", async () => {
    const local = await start();
    await local.createStack({ stackName: "counted", template: STAGED });
    await rawRequest(local, { method: "GET", path: "/_local/stacks" });
    local.resetStats();
    const cfn = cfnClient(local, { maxAttempts: 1 });
    await cfn.send(new DescribeStacksCommand({ StackName: "counted" }));
    await cfn.send(new DescribeStackResourceCommand({ StackName: "counted", LogicalResourceId: "Kept" }));
    await cfn.send(new DescribeStackResourceCommand({ StackName: "counted", LogicalResourceId: "Nope" })).catch(() => undefined);
    await cfn.send(new ListStackResourcesCommand({ StackName: "counted" }));
    await cfn.send(new GetTemplateCommand({ StackName: "counted" }));
    await rawRequest(local, { method: "GET", path: "/_local/stacks" });
    const stats = local.stats();
    expect(stats).toMatchObject({ requests: 5, mutatingRequests: 0, rejected: 0 });
    expect(stats.byOperation).toEqual({
      DescribeStacks: { count: 1, ok: 1, errors: {} },
      DescribeStackResource: { count: 2, ok: 1, errors: { ValidationError: 1 } },
      ListStackResources: { count: 1, ok: 1, errors: {} },
      GetTemplate: { count: 1, ok: 1, errors: {} },
    });
    expect(stats.calls).toEqual([
      { operation: "DescribeStacks", status: 200 },
      { operation: "DescribeStackResource", status: 200 },
      { operation: "DescribeStackResource", status: 400, error: "ValidationError" },
      { operation: "ListStackResources", status: 200 },
      { operation: "GetTemplate", status: 200 },
    ]);
  });

  test("faults apply to CloudFormation operations by name", async () => {
    const local = await start();
    await local.createStack({ stackName: "faulty", template: STAGED });
    const cfn = cfnClient(local, { maxAttempts: 1 });
    local.setFaults({ errorRate: 1, operations: ["DescribeStackResource"] });
    const injected = await cfnError(cfn.send(new DescribeStackResourceCommand({ StackName: "faulty", LogicalResourceId: "Kept" })));
    expect(injected.name).toBe("InternalFailure");
    expect(injected.$metadata.httpStatusCode).toBe(500);
    expect((await cfn.send(new DescribeStacksCommand({ StackName: "faulty" }))).Stacks).toHaveLength(1);
    local.setFaults({ throttle: { ListStackResources: 1 }, burst: 1 });
    await cfn.send(new ListStackResourcesCommand({ StackName: "faulty" }));
    const throttled = await cfnError(cfn.send(new ListStackResourcesCommand({ StackName: "faulty" })));
    expect(throttled.name).toBe("Throttling");
    expect(throttled.$metadata.httpStatusCode).toBe(400);
    local.setFaults({ dropAfterCalls: { GetTemplate: [1] } });
    await expect(cfn.send(new GetTemplateCommand({ StackName: "faulty" }))).rejects.toThrow();
    expect(local.stats()).toMatchObject({ injectedErrors: 1, throttled: 1, droppedConnections: 1 });
    expect(local.stats().byOperation.GetTemplate.errors).toEqual({ dropped: 1 });
  });
});

describe("persistence", () => {
  test("stacks survive a restart and can be updated and deleted afterwards", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-iot-cfn-"));
    dirs.push(dir);
    const file = path.join(dir, "endpoint.json");
    const first = await start({ persistPath: file });
    const created = await first.createStack({ stackName: "durable", template: FLEET, tags: { env: "ci" } });
    running.splice(running.indexOf(first), 1);
    await first.stop();

    const second = await start({ persistPath: file });
    expect(second.listStacks()).toEqual(["durable"]);
    const cfn = cfnClient(second);
    const [stack] = (await cfn.send(new DescribeStacksCommand({ StackName: "durable" }))).Stacks!;
    expect(stack).toMatchObject({ StackId: created.stackId, StackStatus: "CREATE_COMPLETE", Tags: [{ Key: "env", Value: "ci" }] });
    expect((await cfn.send(new GetTemplateCommand({ StackName: "durable" }))).TemplateBody).toBe(FLEET);
    const detail = (await cfn.send(new DescribeStackResourceCommand({ StackName: "durable", LogicalResourceId: "RebootTemplate" })))
      .StackResourceDetail!;
    expect(detail.PhysicalResourceId).toBe("reboot");
    expect(await tagsOf(second, created.resources.find((r) => r.logicalResourceId === "Rollout")!.arn)).toMatchObject({
      "aws:cloudformation:stack-id": created.stackId,
    });
    // The stored template still drives updates: dropping RebootTemplate (Retain) keeps it.
    const withoutReboot = FLEET.replace(/ {2}RebootTemplate:[\s\S]*?(?= {2}FirmwareTemplate:)/, "").replace(
      / {2}Rollout:[\s\S]*?(?=Outputs:)/,
      "",
    );
    const updated = await second.updateStack({ stackName: "durable", template: withoutReboot });
    expect(updated).toMatchObject({ retained: ["RebootTemplate"], deleted: ["Rollout"] });
    running.splice(running.indexOf(second), 1);
    await second.stop();

    const third = await start({ persistPath: file });
    expect((await cfnClient(third).send(new DescribeStacksCommand({ StackName: "durable" }))).Stacks![0].StackStatus).toBe(
      "UPDATE_COMPLETE",
    );
    await third.deleteStack("durable");
    running.splice(running.indexOf(third), 1);
    await third.stop();
    const fourth = await start({ persistPath: file });
    expect(fourth.listStacks()).toEqual([]);
    expect(fourth.world.tables.templates.has("reboot")).toBe(true);
    expect(fourth.world.tables.templates.has("firmware")).toBe(false);
  });
});

describe("admin HTTP routes", () => {
  test("POST, GET, PUT and DELETE /_local/stacks", async () => {
    const local = await start();
    const created = await rawRequest(local, {
      method: "POST",
      path: "/_local/stacks",
      body: JSON.stringify({ stackName: "over-http", template: STAGED, tags: { via: "http" } }),
    });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ stackName: "over-http", status: "CREATE_COMPLETE" });
    expect(created.json.resources.map((r: { logicalResourceId: string }) => r.logicalResourceId)).toEqual([
      "Group",
      "Kept",
      "Dropped",
      "Job",
    ]);
    expect((await rawRequest(local, { method: "GET", path: "/_local/stacks" })).json).toEqual({ stackNames: ["over-http"] });
    const [stack] = (await cfnClient(local).send(new DescribeStacksCommand({ StackName: "over-http" }))).Stacks!;
    expect(stack.Tags).toEqual([{ Key: "via", Value: "http" }]);

    const bad = await rawRequest(local, {
      method: "POST",
      path: "/_local/stacks",
      body: JSON.stringify({
        stackName: "bad",
        template: { Resources: { T: { Type: "AWS::IoT::JobTemplate", Properties: { Description: "d" } } } },
      }),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-amzn-errortype")).toBe("ValidationError");
    expect(bad.json.message).toContain("Resource T (AWS::IoT::JobTemplate)");
    expect(bad.json.message).toContain("required key [JobTemplateId] not found");

    const updated = await rawRequest(local, {
      method: "PUT",
      path: "/_local/stacks/over-http",
      body: JSON.stringify({ template: STAGED.replace(/ {2}Job:[\s\S]*$/, "") }),
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ status: "UPDATE_COMPLETE", deleted: ["Job"], created: [], retained: [] });

    const refused = await rawRequest(local, { method: "PUT", path: "/_local/stacks/nope", body: JSON.stringify({ template: STAGED }) });
    expect(refused.status).toBe(400);
    expect(refused.json.message).toBe("Stack [nope] does not exist");

    const deleted = await rawRequest(local, { method: "DELETE", path: "/_local/stacks/over-http" });
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ deleted: ["Group", "Dropped"], retained: ["Kept"] });
    expect((await rawRequest(local, { method: "GET", path: "/_local/stacks" })).json).toEqual({ stackNames: [] });
    // Admin routes are signed like the others.
    expect((await rawRequest(local, { method: "GET", path: "/_local/stacks", unsigned: true })).status).toBe(403);
    expect(local.stats().requests).toBe(1);
  });
});
