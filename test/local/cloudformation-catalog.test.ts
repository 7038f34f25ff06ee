/**
 * The Software Package Catalog's CloudFormation types on the local endpoint:
 * AWS::IoT::SoftwarePackage and AWS::IoT::SoftwarePackageVersion created
 * (DRAFT) through the same code as the API, with the tags CloudFormation
 * adds, read back through `@aws-sdk/client-cloudformation` and
 * `@aws-sdk/client-iot`, and deleted with their stack.
 */
import { CloudFormationClient, DescribeStackResourceCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import {
  GetPackageCommand,
  GetPackageVersionCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { CloudFormationError, startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { expectError, iotClient } from "./helpers.ts";

let local: LocalIoT;
let iot: IoTClient;
let cfn: CloudFormationClient;
beforeEach(async () => {
  local = await startLocalIoT();
  iot = iotClient(local, { maxAttempts: 1 });
  cfn = new CloudFormationClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
});
afterEach(() => local.stop());

const TEMPLATE = `
Resources:
  Agent:
    Type: AWS::IoT::SoftwarePackage
    Properties:
      PackageName: agent
      Description: The device agent
      Tags:
        - { Key: team, Value: fleet }
  AgentV1:
    Type: AWS::IoT::SoftwarePackageVersion
    Properties:
      PackageName: !Ref Agent
      VersionName: "1.0.0"
      Description: First release
      Attributes: { arch: arm64 }
      Artifact: { S3Location: { Bucket: artifacts, Key: agent-1.0.0.bin, Version: "1" } }
      Recipe: '{"steps":[]}'
      Sbom: { S3Location: { Bucket: sboms, Key: agent.spdx.json } }
      Tags:
        - { Key: stage, Value: beta }
  Unnamed:
    Type: AWS::IoT::SoftwarePackage
Outputs:
  PackageArn: { Value: !GetAtt Agent.PackageArn }
  VersionRef: { Value: !Ref AgentV1 }
  VersionArn: { Value: !GetAtt AgentV1.PackageVersionArn }
  VersionStatus: { Value: !GetAtt AgentV1.Status }
  UnnamedRef: { Value: !Ref Unnamed }
`;

describe("AWS::IoT::SoftwarePackage and AWS::IoT::SoftwarePackageVersion", () => {
  test("are created as the API creates them, the version DRAFT; Ref and Fn::GetAtt answer CloudFormation's values", async () => {
    local.putS3Object("s3://sboms/agent.spdx.json", JSON.stringify({ spdxVersion: "SPDX-2.3", SPDXID: "SPDXRef-DOCUMENT" }));
    const stack = await local.createStack({ stackName: "catalog", template: TEMPLATE, tags: { env: "test" } });
    const packageArn = local.world.arn("package/agent");
    const versionArn = local.world.arn("package/agent/version/1.0.0");
    expect(stack.resources.map((r) => [r.logicalResourceId, r.physicalResourceId, r.arn])).toEqual([
      ["Agent", "agent", packageArn],
      ["AgentV1", "agent|1.0.0", versionArn],
      ["Unnamed", expect.stringMatching(/^catalog-Unnamed-[A-Z0-9]{12}$/), expect.stringContaining(":package/catalog-Unnamed-")],
    ]);
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: "catalog" }));
    const outputs = Object.fromEntries(Stacks![0].Outputs!.map((o) => [o.OutputKey, o.OutputValue]));
    expect(outputs).toMatchObject({ PackageArn: packageArn, VersionRef: "agent|1.0.0", VersionArn: versionArn, VersionStatus: "DRAFT" });
    const resource = await cfn.send(new DescribeStackResourceCommand({ StackName: "catalog", LogicalResourceId: "AgentV1" }));
    expect(resource.StackResourceDetail).toMatchObject({
      PhysicalResourceId: "agent|1.0.0",
      ResourceType: "AWS::IoT::SoftwarePackageVersion",
    });

    expect(await iot.send(new GetPackageCommand({ packageName: "agent" }))).toMatchObject({ description: "The device agent" });
    expect(await iot.send(new GetPackageVersionCommand({ packageName: "agent", versionName: "1.0.0" }))).toMatchObject({
      status: "DRAFT",
      description: "First release",
      attributes: { arch: "arm64" },
      artifact: { s3Location: { bucket: "artifacts", key: "agent-1.0.0.bin", version: "1" } },
      recipe: '{"steps":[]}',
      sbom: { s3Location: { bucket: "sboms", key: "agent.spdx.json" } },
      sbomValidationStatus: "SUCCEEDED",
    });
    const tags = async (resourceArn: string) =>
      Object.fromEntries((await iot.send(new ListTagsForResourceCommand({ resourceArn }))).tags!.map((t) => [t.Key, t.Value]));
    expect(await tags(packageArn)).toMatchObject({
      team: "fleet",
      env: "test",
      "aws:cloudformation:stack-name": "catalog",
      "aws:cloudformation:logical-id": "Agent",
    });
    expect(await tags(versionArn)).toMatchObject({ stage: "beta", env: "test", "aws:cloudformation:logical-id": "AgentV1" });
  });

  test("deleting the stack deletes the version, then the package", async () => {
    await local.createStack({ stackName: "catalog", template: TEMPLATE });
    const deletion = await local.deleteStack("catalog");
    expect(deletion.deleted).toEqual(["Agent", "AgentV1", "Unnamed"]);
    await expectError(iot.send(new GetPackageCommand({ packageName: "agent" })), ResourceNotFoundException, 404);
  });

  test("a version of a package that does not exist fails the stack, naming the API's error; nothing is kept", async () => {
    const template = {
      Resources: {
        Pkg: { Type: "AWS::IoT::SoftwarePackage", Properties: { PackageName: "kept-not" } },
        V: { Type: "AWS::IoT::SoftwarePackageVersion", Properties: { PackageName: "missing", VersionName: "1" } },
      },
    };
    const error = await local.createStack({ stackName: "broken", template }).catch((e) => e);
    expect(error).toBeInstanceOf(CloudFormationError);
    expect(error.message).toContain(
      "Resource V (AWS::IoT::SoftwarePackageVersion) failed to create: ValidationException: Package missing does not exist",
    );
    await expectError(iot.send(new GetPackageCommand({ packageName: "kept-not" })), ResourceNotFoundException, 404);
    const unknown = await local
      .createStack({
        stackName: "broken",
        template: { Resources: { P: { Type: "AWS::IoT::SoftwarePackage", Properties: { Name: "x" } } } },
      })
      .catch((e) => e);
    expect(unknown.message).toContain("Name: unknown property");
  });
});
