/**
 * AWS::IoT::SoftwarePackage and AWS::IoT::SoftwarePackageVersion under
 * CloudFormation's property names: the translation tables, and the
 * `cloudformation` entry point's SoftwarePackage and SoftwarePackageVersion
 * (the main API's resources, a version DRAFT unless `Status` says otherwise,
 * errors in CloudFormation terms) against the local endpoint.
 */
import { DescribeJobTemplateCommand, GetPackageCommand, GetPackageVersionCommand, ListTagsForResourceCommand } from "@aws-sdk/client-iot";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
// Imported by the package name, as users write it.
import {
  fromCloudFormation,
  JobTemplate,
  SOFTWARE_PACKAGE,
  SOFTWARE_PACKAGE_VERSION,
  SoftwarePackage,
  SoftwarePackageVersion,
  toCloudFormation,
  type SoftwarePackageVersionProps,
} from "alchemy-iot-jobs/cloudformation";
import { ValidationError } from "../../src/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

describe("the translation tables", () => {
  const version = {
    PackageName: "th200-firmware",
    VersionName: "1.1.0",
    Description: "Calibration fix",
    Attributes: { "min-hw": "2", "signing-key": "fw-2024" },
    Artifact: { S3Location: { Bucket: "firmware-builds", Key: "th200/1.1.0.bin", Version: "3" } },
    Recipe: '{"operation":"install"}',
    Sbom: { S3Location: { Bucket: "firmware-builds", Key: "th200/1.1.0.spdx.json" } },
    Tags: [{ Key: "channel", Value: "stable" }],
  };

  test("AWS::IoT::SoftwarePackageVersion: every property, to the main API's props and back", () => {
    expect(Object.keys(SOFTWARE_PACKAGE_VERSION).sort()).toEqual(
      ["Artifact", "Attributes", "Description", "PackageName", "Recipe", "Sbom", "Tags", "VersionName"].sort(),
    );
    const { props, issues } = fromCloudFormation(SOFTWARE_PACKAGE_VERSION, version);
    expect(issues).toEqual([]);
    expect(props).toEqual({
      package: "th200-firmware",
      versionName: "1.1.0",
      description: "Calibration fix",
      attributes: { "min-hw": "2", "signing-key": "fw-2024" },
      artifact: { s3Location: { bucket: "firmware-builds", key: "th200/1.1.0.bin", version: "3" } },
      recipe: '{"operation":"install"}',
      sbom: { s3Location: { bucket: "firmware-builds", key: "th200/1.1.0.spdx.json" } },
      tags: { channel: "stable" },
    });
    expect(toCloudFormation(SOFTWARE_PACKAGE_VERSION, props)).toEqual(version);
  });

  test("AWS::IoT::SoftwarePackage: every property, to the main API's props and back", () => {
    const pkg = { PackageName: "th200-firmware", Description: "TH-200 firmware", Tags: [{ Key: "team", Value: "firmware" }] };
    expect(Object.keys(SOFTWARE_PACKAGE).sort()).toEqual(["Description", "PackageName", "Tags"]);
    const { props, issues } = fromCloudFormation(SOFTWARE_PACKAGE, pkg);
    expect(issues).toEqual([]);
    expect(props).toEqual({ packageName: "th200-firmware", description: "TH-200 firmware", tags: { team: "firmware" } });
    expect(toCloudFormation(SOFTWARE_PACKAGE, props)).toEqual(pkg);
  });

  test("an unknown property names the valid ones", () => {
    // The SBOM as a published example writes it (a format and inline content): CloudFormation takes an S3 location.
    const { issues } = fromCloudFormation(SOFTWARE_PACKAGE_VERSION, { ...version, Sbom: { format: "spdx", content: "..." } });
    expect(issues.map((i) => i.message)).toEqual([
      "Sbom.format: unknown property; valid properties here: S3Location",
      "Sbom.content: unknown property; valid properties here: S3Location",
    ]);
    const status = fromCloudFormation(SOFTWARE_PACKAGE_VERSION, { ...version, artifact: {} }).issues[0];
    expect(status.message).toBe("artifact: unknown property; the valid property is Artifact");
  });
});

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(() => stack.close());

describe("SoftwarePackage and SoftwarePackageVersion with CloudFormation properties", () => {
  const program = (status?: "PUBLISHED", defaultVersion?: string) => async () => {
    const firmware = await SoftwarePackage("firmware", {
      PackageName: "th200-firmware",
      Description: "TH-200 firmware",
      ...(defaultVersion ? { DefaultVersion: defaultVersion } : {}),
      Tags: [{ Key: "team", Value: "firmware" }],
    });
    const v110 = await SoftwarePackageVersion("v110", {
      PackageName: firmware,
      VersionName: "1.1.0",
      Attributes: { "min-hw": "2" },
      Artifact: { S3Location: { Bucket: "firmware-builds", Key: "th200/1.1.0.bin" } },
      ...(status ? { Status: status } : {}),
    });
    return { firmware, v110 };
  };

  test("a version is DRAFT, as CloudFormation leaves it, until Status publishes it", async () => {
    const { firmware, v110 } = await stack.deploy(program());
    expect(firmware.PackageName).toBe("th200-firmware");
    expect(firmware.PackageArn).toBe(`arn:aws:iot:${stack.local.region}:${stack.local.accountId}:package/th200-firmware`);
    expect(firmware.PackageArn).toBe(firmware.packageArn);
    expect(v110.PackageVersionArn).toBe(`${firmware.PackageArn}/version/1.1.0`);
    expect(v110.Status).toBe("DRAFT");
    const live = await stack.client.send(new GetPackageVersionCommand({ packageName: "th200-firmware", versionName: "1.1.0" }));
    expect(live.status).toBe("DRAFT");
    expect(live.attributes).toEqual({ "min-hw": "2" });
    expect(live.artifact?.s3Location).toMatchObject({ bucket: "firmware-builds", key: "th200/1.1.0.bin" });
    const tags = await stack.client.send(new ListTagsForResourceCommand({ resourceArn: firmware.PackageArn }));
    expect(tags.tags).toContainEqual({ Key: "team", Value: "firmware" });

    // The same resources as the main API's: a no-op redeploy makes no call.
    stack.local.resetStats();
    await stack.deploy(program());
    expect(stack.local.stats().requests).toBe(0);

    // Publishing as code: Status, and the package's DefaultVersion (this package's extensions).
    const published = await stack.deploy(program("PUBLISHED", "1.1.0"));
    expect(published.v110.Status).toBe("PUBLISHED");
    expect(stack.mutatingCalls().sort()).toEqual(["UpdatePackage", "UpdatePackageVersion"]);
    expect((await stack.client.send(new GetPackageCommand({ packageName: "th200-firmware" }))).defaultVersionName).toBe("1.1.0");

    // A template installs it, given as the resource.
    const tpl = await stack.deploy(async () => {
      const { v110 } = await program("PUBLISHED", "1.1.0")();
      return JobTemplate("install", {
        JobTemplateId: "install-1-1-0",
        Description: "Install 1.1.0",
        Document: JSON.stringify({ operation: "install", minHw: "${aws:iot:package:th200-firmware:version:1.1.0:attributes:min-hw}" }),
        DestinationPackageVersions: [v110],
      });
    });
    const live2 = await stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: tpl.JobTemplateId }));
    expect(live2.destinationPackageVersions).toEqual([published.v110.PackageVersionArn]);
  });

  test("a template that installs a version left DRAFT is refused before any call, in CloudFormation terms", async () => {
    const error = (await stack
      .deploy(async () => {
        const { v110 } = await program()();
        return JobTemplate("install", {
          JobTemplateId: "install",
          Description: "Install",
          Document: "{}",
          DestinationPackageVersions: [v110],
        });
      })
      .catch((e) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues.map((i) => i.path)).toEqual(["DestinationPackageVersions[0]"]);
    expect(error.issues[0].message).toMatch(/is declared DRAFT; AWS deploys only PUBLISHED or DEPRECATED versions/);
  });
});

describe("invalid CloudFormation properties are refused before any call, with CloudFormation paths", () => {
  const base: SoftwarePackageVersionProps = { PackageName: "th200-firmware", VersionName: "1.1.0" };
  const cases: Array<{ name: string; props: Record<string, unknown>; path: string; says: RegExp }> = [
    {
      name: "an artifact without its key",
      props: { ...base, Artifact: { S3Location: { Bucket: "firmware-builds" } } },
      path: "Artifact.S3Location.Key",
      says: /is required/,
    },
    { name: "a status that is not one", props: { ...base, Status: "ACTIVE" }, path: "Status", says: /"ACTIVE" is not one of/ },
    {
      name: "a package name with a slash",
      props: { ...base, PackageName: "th200/firmware" },
      path: "PackageName",
      says: /"th200\/firmware"/,
    },
    {
      name: "an empty attribute value",
      props: { ...base, Attributes: { "min-hw": "" } },
      path: "Attributes.min-hw",
      says: /attribute value/,
    },
    {
      name: "the SBOM of a published example",
      props: { ...base, Sbom: { format: "spdx", content: "sbom-content" } },
      path: "Sbom.format",
      says: /unknown property; valid properties here: S3Location/,
    },
    { name: "the main API's name", props: { ...base, status: "PUBLISHED" }, path: "status", says: /the valid property is Status/ },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      const error = await stack
        .deploy(() => SoftwarePackageVersion("v", c.props as unknown as SoftwarePackageVersionProps))
        .catch((e) => e);
      expect(error).toBeInstanceOf(ValidationError);
      const issue = (error as ValidationError).issues.find((i) => i.path === c.path);
      expect(issue, `issues: ${JSON.stringify((error as ValidationError).issues)}`).toBeDefined();
      expect(issue!.message).toMatch(c.says);
      expect(issue!.message.startsWith(`${c.path}: `)).toBe(true);
      expect(stack.local.stats().requests).toBe(0);
      expect(stack.stateFiles()).toEqual({});
    });
  }

  test("a package's DefaultVersion that is no version name, and an unknown property", async () => {
    const error = (await stack
      .deploy(() => SoftwarePackage("p", { PackageName: "p", DefaultVersion: "1.0/0", Versions: [] } as never))
      .catch((e) => e)) as ValidationError;
    expect(error.issues.map((i) => i.path).sort()).toEqual(["DefaultVersion", "Versions"]);
    expect(error.message).toMatch(/Versions: unknown property; valid properties here: PackageName, Description, Tags, DefaultVersion/);
    expect(stack.local.stats().requests).toBe(0);
  });
});

describe("a package and version that a CloudFormation stack manages", () => {
  const yaml = `
Resources:
  Firmware:
    Type: AWS::IoT::SoftwarePackage
    DeletionPolicy: Retain
    Properties:
      PackageName: th200-firmware
  FirmwareV1:
    Type: AWS::IoT::SoftwarePackageVersion
    DeletionPolicy: Retain
    Properties:
      PackageName: !Ref Firmware
      VersionName: 1.0.0
`;

  test("the package is not adopted while the stack manages it", async () => {
    await stack.local.createStack({ stackName: "legacy", template: yaml });
    stack.local.resetStats();
    const error = await stack.deploy(() => SoftwarePackage("Firmware", { PackageName: "th200-firmware", adopt: true })).catch((e) => e);
    expect(String(error)).toContain('is managed by CloudFormation stack "legacy" (logical id "Firmware")');
    expect(stack.mutatingCalls()).toEqual([]);
  });

  // KNOWN BUG (not in this folder): the stack guard compares the stack's physical id with the version's own ids
  // (`<package>/version/<name>` and its ARN), but CloudFormation lists a version as `PackageName|VersionName`, so
  // the guard takes the logical id for another resource and lets the adoption proceed. Flip to `test` once
  // src/provider/stack-guard.ts (or the version kind) also accepts CloudFormation's form.
  test("the version is not adopted while the stack manages it", async () => {
    await stack.local.createStack({ stackName: "legacy", template: yaml });
    stack.local.resetStats();
    const error = await stack
      .deploy(() => SoftwarePackageVersion("FirmwareV1", { PackageName: "th200-firmware", VersionName: "1.0.0", adopt: true }))
      .catch((e) => e);
    expect(String(error)).toContain('is managed by CloudFormation stack "legacy" (logical id "FirmwareV1")');
    expect(stack.mutatingCalls()).toEqual([]);
  });
});
