/**
 * SoftwarePackage and SoftwarePackageVersion through the real Alchemy
 * runtime and the real SDK, against the local endpoint: versions brought to
 * each status, the transitions in place, what is refused before any call,
 * the default version, SBOMs, and a destroy that leaves nothing.
 */
import {
  CreatePackageCommand,
  DescribeJobCommand,
  GetPackageCommand,
  GetPackageVersionCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  UpdatePackageCommand,
} from "@aws-sdk/client-iot";
import { afterEach, beforeEach, expect, test } from "vitest";
import {
  Job,
  JobTemplate,
  SoftwarePackage,
  SoftwarePackageConfiguration,
  SoftwarePackageVersion,
  ThingGroup,
  ValidationError,
  type PackageVersionStatus,
} from "../../src/index.ts";
import { versionKey } from "../../src/local/state/catalog.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(() => stack.close());

const version = (versionName: string, packageName = "fw") => stack.client.send(new GetPackageVersionCommand({ packageName, versionName }));
const pkg = (packageName = "fw") => stack.client.send(new GetPackageCommand({ packageName }));

/** The package "fw" and one version "1.0.0" with the given props. */
const one = (props: { status?: PackageVersionStatus; attributes?: Record<string, string>; description?: string }) => async () => {
  const fw = await SoftwarePackage("fw", { packageName: "fw" });
  return SoftwarePackageVersion("v100", { package: fw, versionName: "1.0.0", ...props });
};

test("a package and versions to each status; the default version is made so by its own deploy; a destroy leaves nothing", async () => {
  const out = await stack.deploy(async () => {
    const fw = await SoftwarePackage("fw", {
      packageName: "fw",
      description: "TH-200 firmware",
      defaultVersion: "1.1.0",
      tags: { team: "fw" },
    });
    const v100 = await SoftwarePackageVersion("v100", { package: fw, versionName: "1.0.0", status: "DEPRECATED", attributes: { hw: "1" } });
    const v110 = await SoftwarePackageVersion("v110", { package: fw, versionName: "1.1.0" });
    const v120 = await SoftwarePackageVersion("v120", { package: fw, versionName: "1.2.0", status: "DRAFT" });
    return { fw, v100, v110, v120 };
  });
  expect(out.fw.packageArn).toMatch(/^arn:aws:iot:[a-z0-9-]+:\d{12}:package\/fw$/);
  expect(out.fw.arn).toBe(out.fw.packageArn);
  expect(out.v110.packageVersionArn).toBe(`${out.fw.packageArn}/version/1.1.0`);
  expect(out.v110).toMatchObject({
    packageName: "fw",
    versionName: "1.1.0",
    status: "PUBLISHED",
    attributes: {},
    arn: out.v110.packageVersionArn,
  });
  expect(out.v100).toMatchObject({ status: "DEPRECATED", attributes: { hw: "1" } });
  expect(out.v120.status).toBe("DRAFT");
  expect((await version("1.0.0")).status).toBe("DEPRECATED");
  expect((await version("1.1.0")).status).toBe("PUBLISHED");
  expect((await version("1.2.0")).status).toBe("DRAFT");
  const live = await pkg();
  expect(live).toMatchObject({ description: "TH-200 firmware", defaultVersionName: "1.1.0" });
  const tags = await stack.client.send(new ListTagsForResourceCommand({ resourceArn: out.v110.packageVersionArn }));
  expect(Object.fromEntries(tags.tags!.map((t) => [t.Key, t.Value]))).toMatchObject({ alchemy_resource: `${stack.app}/test/v110` });

  stack.local.resetStats();
  await stack.deploy(async () => {
    const fw = await SoftwarePackage("fw", {
      packageName: "fw",
      description: "TH-200 firmware",
      defaultVersion: "1.1.0",
      tags: { team: "fw" },
    });
    await SoftwarePackageVersion("v100", { package: fw, versionName: "1.0.0", status: "DEPRECATED", attributes: { hw: "1" } });
    await SoftwarePackageVersion("v110", { package: fw, versionName: "1.1.0" });
    await SoftwarePackageVersion("v120", { package: fw, versionName: "1.2.0", status: "DRAFT" });
  });
  expect(stack.local.stats().requests).toBe(0);

  // The default version is unset before it is deleted; the versions go before the package.
  stack.local.resetStats();
  await stack.destroy();
  expect(stack.mutatingCalls()).toEqual([
    "DeletePackageVersion",
    "UpdatePackage",
    "DeletePackageVersion",
    "DeletePackageVersion",
    "DeletePackage",
  ]);
  await expect(pkg()).rejects.toBeInstanceOf(ResourceNotFoundException);
  expect(stack.stateFiles()).toEqual({});
});

test("PUBLISHED → DEPRECATED → PUBLISHED in place; back to DRAFT is refused before any call, and no state is written", async () => {
  const first = await stack.deploy(one({}));
  stack.local.resetStats();
  await stack.deploy(one({ status: "DEPRECATED" }));
  expect(stack.mutatingCalls()).toEqual(["UpdatePackageVersion"]);
  expect((await version("1.0.0")).status).toBe("DEPRECATED");
  stack.local.resetStats();
  const republished = await stack.deploy(one({ status: "PUBLISHED" }));
  expect(stack.mutatingCalls()).toEqual(["UpdatePackageVersion"]);
  expect((await version("1.0.0")).status).toBe("PUBLISHED");
  expect(republished.packageVersionArn).toBe(first.packageVersionArn);

  const state = stack.stateFiles();
  stack.local.resetStats();
  const error = await stack.deploy(one({ status: "DRAFT" })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as Error).message).toContain('SoftwarePackageVersion "v100"');
  expect((error as Error).message).toContain(
    'status: "DRAFT": version 1.0.0 of package fw is PUBLISHED, and a version never returns to DRAFT',
  );
  expect(stack.mutatingCalls()).toEqual([]);
  expect(stack.stateFiles()).toEqual(state);
  expect((await version("1.0.0")).status).toBe("PUBLISHED");
});

test("attributes change in place while DRAFT; on a published version they are refused before any call, saying why", async () => {
  await stack.deploy(one({ status: "DRAFT", attributes: { hw: "1" } }));
  stack.local.resetStats();
  await stack.deploy(one({ status: "DRAFT", attributes: { hw: "2" }, description: "rc" }));
  expect(stack.mutatingCalls()).toEqual(["UpdatePackageVersion"]);
  expect(await version("1.0.0")).toMatchObject({ attributes: { hw: "2" }, description: "rc", status: "DRAFT" });

  // Changed and published in one deploy: the attributes first, while it is still DRAFT.
  stack.local.resetStats();
  await stack.deploy(one({ attributes: { hw: "3" }, description: "rc" }));
  expect(stack.mutatingCalls()).toEqual(["UpdatePackageVersion", "UpdatePackageVersion"]);
  expect(await version("1.0.0")).toMatchObject({ attributes: { hw: "3" }, status: "PUBLISHED" });

  const state = stack.stateFiles();
  stack.local.resetStats();
  const error = await stack.deploy(one({ attributes: { hw: "4" }, description: "rc" })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as Error).message).toContain(
    `attributes: {"hw":"4"}: version 1.0.0 of package fw is PUBLISHED; a published or deprecated version's attributes and artifact are fixed`,
  );
  expect((error as Error).message).toContain("declare a new versionName");
  expect(stack.mutatingCalls()).toEqual([]);
  expect(stack.stateFiles()).toEqual(state);

  // Its description still changes in place.
  stack.local.resetStats();
  await stack.deploy(one({ attributes: { hw: "3" }, description: "final" }));
  expect(stack.mutatingCalls()).toEqual(["UpdatePackageVersion"]);
  expect((await version("1.0.0")).description).toBe("final");
});

test("the default version: made so by the package once it is published; unset before the default version is deleted", async () => {
  const program = (defaultVersion: string | undefined, versions: string[]) => async () => {
    const fw = await SoftwarePackage("fw", { packageName: "fw", ...(defaultVersion ? { defaultVersion } : {}) });
    for (const v of versions) await SoftwarePackageVersion(`v${v.replaceAll(".", "")}`, { package: fw, versionName: v });
  };
  await stack.deploy(program("1.0.0", ["1.0.0", "1.1.0"]));
  expect((await pkg()).defaultVersionName).toBe("1.0.0");

  // 1.1.0 is published already: the package names it (its version only re-reads its props).
  stack.local.resetStats();
  await stack.deploy(program("1.1.0", ["1.0.0", "1.1.0"]));
  expect(stack.mutatingCalls()).toEqual(["UpdatePackage"]);
  expect((await pkg()).defaultVersionName).toBe("1.1.0");

  // A new version named the default in the same deploy: the package's call is skipped, the version's deploy makes it so.
  stack.local.resetStats();
  await stack.deploy(program("1.2.0", ["1.0.0", "1.1.0", "1.2.0"]));
  expect(stack.mutatingCalls()).toEqual(["CreatePackageVersion", "UpdatePackageVersion", "UpdatePackage"]);
  expect((await pkg()).defaultVersionName).toBe("1.2.0");

  // The default version removed from the program with the package's default: unset by the package, then deleted.
  stack.local.resetStats();
  await stack.deploy(program(undefined, ["1.0.0", "1.1.0"]));
  expect(stack.mutatingCalls()).toEqual(["UpdatePackage", "DeletePackageVersion"]);
  expect((await pkg()).defaultVersionName).toBeUndefined();
  await expect(version("1.2.0")).rejects.toBeInstanceOf(ResourceNotFoundException);

  // A version named the default out of band is unset by its own deletion.
  await stack.client.send(new UpdatePackageCommand({ packageName: "fw", defaultVersionName: "1.1.0" }));
  stack.local.resetStats();
  await stack.deploy(program(undefined, ["1.0.0"]));
  expect(stack.mutatingCalls()).toEqual(["UpdatePackage", "DeletePackageVersion"]);
  await expect(version("1.1.0")).rejects.toBeInstanceOf(ResourceNotFoundException);
});

test("a renamed package is replaced with its versions: each old version deleted first, so that the old package is empty when it is deleted", async () => {
  const program = (name: string) => async () => {
    const fw = await SoftwarePackage("fw", { packageName: name, defaultVersion: "1.0.0" });
    await SoftwarePackageVersion("v1", { package: fw, versionName: "1.0.0" });
    await SoftwarePackageVersion("v2", { package: fw, versionName: "2.0.0", status: "DEPRECATED" });
  };
  await stack.deploy(program("one"));
  stack.local.resetStats();
  await stack.deploy(program("two"));
  expect(stack.mutatingCalls()).toEqual([
    "CreatePackage",
    ...["UpdatePackage", "DeletePackageVersion", "CreatePackageVersion", "UpdatePackageVersion", "UpdatePackage"],
    ...["DeletePackageVersion", "CreatePackageVersion", "UpdatePackageVersion", "UpdatePackageVersion"],
    "DeletePackage",
  ]);
  expect((await pkg("two")).defaultVersionName).toBe("1.0.0");
  expect((await version("2.0.0", "two")).status).toBe("DEPRECATED");
  await expect(pkg("one")).rejects.toBeInstanceOf(ResourceNotFoundException);
});

test("an SBOM is associated, its validation status recorded in the output, and disassociated", async () => {
  const spdx = JSON.stringify({ spdxVersion: "SPDX-2.3", SPDXID: "SPDXRef-DOCUMENT", name: "fw" });
  stack.local.putS3Object("s3://builds/fw-1.0.0.spdx.json", spdx);
  const sbom = { s3Location: { bucket: "builds", key: "fw-1.0.0.spdx.json" } };
  const program = (withSbom: boolean) => async () => {
    const fw = await SoftwarePackage("fw", { packageName: "fw" });
    return SoftwarePackageVersion("v100", { package: fw, versionName: "1.0.0", ...(withSbom ? { sbom } : {}) });
  };
  const created = await stack.deploy(program(true));
  expect(created.sbomValidationStatus).toBe("IN_PROGRESS");
  expect((await version("1.0.0")).sbom?.s3Location).toMatchObject(sbom.s3Location);
  // A --force deploy reads the version: the outcome of the validation is recorded.
  const read = await stack.deploy(program(true), { force: true });
  expect(read.sbomValidationStatus).toBe("SUCCEEDED");

  stack.local.resetStats();
  const removed = await stack.deploy(program(false));
  expect(stack.mutatingCalls()).toEqual(["DisassociateSbomFromPackageVersion"]);
  expect(removed.sbomValidationStatus).toBeUndefined();
  expect((await version("1.0.0")).sbom).toBeUndefined();
});

test("a deploy that fails after CreatePackageVersion records the version DRAFT, without its SBOM: the next deploy finishes it", async () => {
  stack.local.putS3Object("s3://builds/sbom.json", JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.5" }));
  const program = async () => {
    const fw = await SoftwarePackage("fw", { packageName: "fw", defaultVersion: "1.0.0" });
    return SoftwarePackageVersion("v100", {
      package: fw,
      versionName: "1.0.0",
      sbom: { s3Location: { bucket: "builds", key: "sbom.json" } },
    });
  };
  // Someone publishes it between the deploy's AssociateSbomWithPackageVersion and its PUBLISH, which IoT then refuses.
  const live = () => stack.local.world.tables.packageVersions.get(versionKey("fw", "1.0.0"))!;
  stack.local.onRequest((operation) => {
    if (operation !== "UpdatePackageVersion") return;
    live().status = "PUBLISHED";
    stack.local.onRequest(undefined);
  });
  await expect(stack.deploy(program)).rejects.toThrow(/PUBLISH moves a version from DRAFT or DEPRECATED/);
  const recorded = JSON.parse(Object.entries(stack.stateFiles()).find(([file]) => file.endsWith("v100.json"))![1]);
  expect(recorded.output.status).toBe("DRAFT");
  expect(recorded.output.sbom).toBeUndefined();

  // Back to DRAFT: the next deploy sends what the failed one did not finish, as recorded.
  live().status = "DRAFT";
  stack.local.resetStats();
  const done = await stack.deploy(program);
  expect(stack.mutatingCalls()).toEqual(["AssociateSbomWithPackageVersion", "UpdatePackageVersion", "UpdatePackage"]);
  expect(done).toMatchObject({ status: "PUBLISHED", sbomValidationStatus: "IN_PROGRESS" });
  expect(await version("1.0.0")).toMatchObject({ status: "PUBLISHED", sbomValidationStatus: "SUCCEEDED" });
  expect((await pkg()).defaultVersionName).toBe("1.0.0");
});

test("an existing package is refused unless adopted; a version of a package that neither exists nor is declared is refused", async () => {
  await stack.client.send(new CreatePackageCommand({ packageName: "theirs", description: "by hand" }));
  const error = await stack.deploy(() => SoftwarePackage("p", { packageName: "theirs" })).catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/software package "theirs" already exists .* not created by this resource/);
  const adopted = await stack.deploy(() => SoftwarePackage("p", { packageName: "theirs", description: "mine", adopt: true }));
  expect(adopted.adopted).toBe(true);
  expect((await pkg("theirs")).description).toBe("mine");

  stack.local.resetStats();
  const missing = await stack
    .deploy(() => SoftwarePackageVersion("v", { package: "nowhere", versionName: "1.0.0" }))
    .catch((e: unknown) => e);
  expect(missing).toBeInstanceOf(ValidationError);
  expect((missing as Error).message).toContain('package: software package "nowhere" does not exist');
  expect(stack.mutatingCalls()).toEqual([]);
});

test("bad props are refused before any call, naming the resource, the prop, the value and the rule", async () => {
  stack.local.resetStats();
  const bad = await stack
    .deploy(async () => {
      const fw = await SoftwarePackage("fw", { packageName: "fw/1", defaultVersion: "1.1.0" });
      return fw;
    })
    .catch((e: unknown) => e);
  expect(bad).toBeInstanceOf(ValidationError);
  expect((bad as Error).message).toContain('SoftwarePackage "fw"');
  expect((bad as Error).message).toContain(`packageName: "fw/1" must match letters, digits, '-', '_' and '.' only`);

  const version = await stack
    .deploy(() =>
      SoftwarePackageVersion("v 1", {
        package: { packageName: "fw", defaultVersion: "v 1" },
        attributes: { "bad key": "v", empty: "" },
        recipe: "x".repeat(3073),
        status: "DEPRECATED",
      }),
    )
    .catch((e: unknown) => e);
  expect(version).toBeInstanceOf(ValidationError);
  const message = (version as Error).message;
  expect(message).toContain('SoftwarePackageVersion "v 1"');
  expect(message).toContain(`attributes.bad key: "v" attribute name must match letters, digits, ':', '_' and '-' only`);
  expect(message).toContain('attributes.empty: "" attribute value must not be empty');
  expect(message).toContain("must be at most 3072 characters (got 3073)");
  expect(message).toContain('versionName: the resource id "v 1", its default, must match');
  expect(message).toContain('status: "DEPRECATED": package fw names version v 1 its defaultVersion');
  expect(stack.mutatingCalls()).toEqual([]);

  const naming = await stack
    .deploy(async () => {
      const fw = await SoftwarePackage("fw", { packageName: "fw", defaultVersion: "1.0.0" });
      return SoftwarePackageVersion("v100", { package: fw, versionName: "1.0.0", status: "DEPRECATED" });
    })
    .catch((e: unknown) => e);
  expect((naming as Error).message).toContain('status: "DEPRECATED": package fw names version 1.0.0 its defaultVersion');
  const idName = await stack.deploy(() => SoftwarePackageVersion("v/1", { package: "fw" })).catch((e: unknown) => e);
  expect((idName as Error).message).toContain('versionName: the resource id "v/1", its default, must match');
});

test("the firmware example of docs/software-packages.md deploys, installs 1.1.0 with a job from a template, and is destroyed", async () => {
  const program = async () => {
    await SoftwarePackageConfiguration("catalog", {
      versionUpdateByJobsConfig: { enabled: true, roleArn: "arn:aws:iam::123456789012:role/iot-package-shadow" },
    });
    const firmware = await SoftwarePackage("firmware", {
      packageName: "th200-firmware",
      description: "Firmware of the TH-200 thermostat",
      defaultVersion: "1.1.0",
    });
    await SoftwarePackageVersion("1.0.0", {
      package: firmware,
      status: "DEPRECATED",
      artifact: { s3Location: { bucket: "th200-builds", key: "firmware/1.0.0.bin" } },
    });
    const v110 = await SoftwarePackageVersion("1.1.0", {
      package: firmware,
      description: "Fixes the sensor calibration drift",
      artifact: { s3Location: { bucket: "th200-builds", key: "firmware/1.1.0.bin" } },
      attributes: { sha256: "9f2c4e", "min-hw": "2" },
    });
    const fleet = await ThingGroup("fleet", { description: "TH-200 thermostats" });
    const install = await JobTemplate("install-1-1-0", {
      description: "Install TH-200 firmware 1.1.0",
      destinationPackageVersions: [v110],
      document: { operation: "install", sha256: "${aws:iot:package:th200-firmware:version:1.1.0:attributes:sha256}" },
    });
    return Job("rollout-1-1-0", { jobTemplate: install, targets: [fleet] });
  };
  const job = await stack.deploy(program);
  const live = await stack.client.send(new DescribeJobCommand({ jobId: job.jobId }));
  expect(live.job?.destinationPackageVersions).toEqual([(await version("1.1.0", "th200-firmware")).packageVersionArn]);
  expect((await pkg("th200-firmware")).defaultVersionName).toBe("1.1.0");
  expect((await version("1.0.0", "th200-firmware")).status).toBe("DEPRECATED");
  await stack.destroy();
  await expect(pkg("th200-firmware")).rejects.toBeInstanceOf(ResourceNotFoundException);
  expect(stack.stateFiles()).toEqual({});
});
