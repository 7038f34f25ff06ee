/**
 * The Software Package Catalog's SBOMs and configuration, and the jobs and
 * job templates that install package versions, on the local endpoint through
 * the real SDK.
 */
import {
  AssociateSbomWithPackageVersionCommand,
  CreateJobCommand,
  CreateJobTemplateCommand,
  CreatePackageCommand,
  CreatePackageVersionCommand,
  DescribeJobCommand,
  DisassociateSbomFromPackageVersionCommand,
  GetPackageConfigurationCommand,
  GetPackageVersionCommand,
  InvalidRequestException,
  ListSbomValidationResultsCommand,
  ResourceNotFoundException,
  UpdatePackageCommand,
  UpdatePackageConfigurationCommand,
  UpdatePackageVersionCommand,
  ValidationException,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { DOC, createThings, expectError, iotClient, packageVersions, rawRequest } from "./helpers.ts";

let local: LocalIoT;
let iot: IoTClient;
let thingArn: string;
beforeAll(async () => {
  local = await startLocalIoT();
  iot = iotClient(local, { maxAttempts: 1 });
  thingArn = (await createThings(iot, ["pj-thing"])).thingArns[0];
  await iot.send(new CreatePackageCommand({ packageName: "sbom" }));
});
afterAll(() => local.stop());

const SPDX = JSON.stringify({ spdxVersion: "SPDX-2.3", SPDXID: "SPDXRef-DOCUMENT", name: "fw", packages: [] });
const CYCLONEDX = JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.5", components: [] });

async function associate(versionName: string, s3Location: { bucket: string; key: string; version?: string }) {
  await iot.send(new CreatePackageVersionCommand({ packageName: "sbom", versionName }));
  return iot.send(new AssociateSbomWithPackageVersionCommand({ packageName: "sbom", versionName, sbom: { s3Location } }));
}
const results = (versionName: string, validationResult?: "SUCCEEDED" | "FAILED") =>
  iot.send(new ListSbomValidationResultsCommand({ packageName: "sbom", versionName, validationResult }));

describe("SBOM", () => {
  test("an SPDX document: IN_PROGRESS in the answer, SUCCEEDED to every later read", async () => {
    local.putS3Object("s3://sboms/fw.spdx.json", SPDX);
    const out = await associate("spdx", { bucket: "sboms", key: "fw.spdx.json" });
    expect(out).toMatchObject({
      packageName: "sbom",
      versionName: "spdx",
      sbom: { s3Location: { bucket: "sboms", key: "fw.spdx.json" } },
      sbomValidationStatus: "IN_PROGRESS",
    });
    const got = await iot.send(new GetPackageVersionCommand({ packageName: "sbom", versionName: "spdx" }));
    expect(got).toMatchObject({ sbom: { s3Location: { bucket: "sboms", key: "fw.spdx.json" } }, sbomValidationStatus: "SUCCEEDED" });
    expect((await results("spdx")).validationResultSummaries).toEqual([{ fileName: "fw.spdx.json", validationResult: "SUCCEEDED" }]);
    expect((await results("spdx", "FAILED")).validationResultSummaries).toEqual([]);
  });

  test("a CycloneDX document, at a versioned location (registered with ?versionId=): SUCCEEDED", async () => {
    local.putS3Object("s3://sboms/fw.cdx.json?versionId=v7", CYCLONEDX);
    await associate("cdx", { bucket: "sboms", key: "fw.cdx.json", version: "v7" });
    expect((await results("cdx", "SUCCEEDED")).validationResultSummaries).toEqual([
      { fileName: "fw.cdx.json", validationResult: "SUCCEEDED" },
    ]);
  });

  test("a document in neither format: FAILED with INCOMPATIBLE_FORMAT and a message", async () => {
    local.putS3Object("s3://sboms/notes.json", JSON.stringify({ notes: "not an SBOM" }));
    await associate("bad", { bucket: "sboms", key: "notes.json" });
    const got = await iot.send(new GetPackageVersionCommand({ packageName: "sbom", versionName: "bad" }));
    expect(got.sbomValidationStatus).toBe("FAILED");
    const [summary] = (await results("bad", "FAILED")).validationResultSummaries!;
    expect(summary).toMatchObject({ fileName: "notes.json", validationResult: "FAILED", errorCode: "INCOMPATIBLE_FORMAT" });
    expect(summary.errorMessage).toContain("neither an SPDX 2.x document");
  });

  test("an object that is not registered: FAILED, and the message says how to register it", async () => {
    await associate("missing", { bucket: "sboms", key: "nowhere.json" });
    const [summary] = (await results("missing")).validationResultSummaries!;
    expect(summary).toMatchObject({ validationResult: "FAILED", errorCode: "INCOMPATIBLE_FORMAT" });
    expect(summary.errorMessage).toContain('putS3Object("s3://sboms/nowhere.json"');
  });

  test("Disassociate clears it; an unknown version is a 404; a location without a key is refused", async () => {
    local.putS3Object("s3://sboms/fw.spdx.json", SPDX);
    await associate("cleared", { bucket: "sboms", key: "fw.spdx.json" });
    await iot.send(new DisassociateSbomFromPackageVersionCommand({ packageName: "sbom", versionName: "cleared" }));
    const got = await iot.send(new GetPackageVersionCommand({ packageName: "sbom", versionName: "cleared" }));
    expect(got.sbom).toBeUndefined();
    expect(got.sbomValidationStatus).toBeUndefined();
    expect((await results("cleared")).validationResultSummaries).toEqual([]);
    await expectError(results("nope"), ResourceNotFoundException, 404, "nope");
    await expectError(
      iot.send(
        new AssociateSbomWithPackageVersionCommand({ packageName: "sbom", versionName: "cleared", sbom: { s3Location: { bucket: "b" } } }),
      ),
      ValidationException,
      400,
      "sbom.s3Location",
      "key",
    );
  });

  test("POST /_local/s3 registers an SBOM from another process", async () => {
    const res = await rawRequest(local, {
      method: "POST",
      path: "/_local/s3",
      body: JSON.stringify({ url: "s3://sboms/remote.json", body: SPDX }),
    });
    expect(res.status).toBe(200);
    await associate("remote", { bucket: "sboms", key: "remote.json" });
    expect((await results("remote")).validationResultSummaries![0].validationResult).toBe("SUCCEEDED");
  });
});

describe("the package configuration", () => {
  test("disabled until set; enabling needs a role; the role is answered back", async () => {
    expect((await iot.send(new GetPackageConfigurationCommand({}))).versionUpdateByJobsConfig).toEqual({ enabled: false });
    await expectError(
      iot.send(new UpdatePackageConfigurationCommand({ versionUpdateByJobsConfig: { enabled: true } })),
      ValidationException,
      400,
      "roleArn",
    );
    await expectError(
      iot.send(new UpdatePackageConfigurationCommand({ versionUpdateByJobsConfig: { enabled: true, roleArn: "short" } })),
      ValidationException,
      400,
      "versionUpdateByJobsConfig.roleArn",
    );
    const roleArn = "arn:aws:iam::123456789012:role/shadow-writer";
    await iot.send(new UpdatePackageConfigurationCommand({ versionUpdateByJobsConfig: { enabled: true, roleArn } }));
    expect((await iot.send(new GetPackageConfigurationCommand({}))).versionUpdateByJobsConfig).toEqual({ enabled: true, roleArn });
    await iot.send(new UpdatePackageConfigurationCommand({ versionUpdateByJobsConfig: { enabled: false } }));
    expect((await iot.send(new GetPackageConfigurationCommand({}))).versionUpdateByJobsConfig).toEqual({ enabled: false });
  });
});

describe("jobs and job templates that install package versions", () => {
  let published: string;
  let draft: string;
  let deprecated: string;
  beforeAll(async () => {
    [published, deprecated] = await packageVersions(iot, "agent", ["2.0.0", "1.0.0"]);
    await iot.send(new UpdatePackageVersionCommand({ packageName: "agent", versionName: "1.0.0", action: "DEPRECATE" }));
    draft = (await iot.send(new CreatePackageVersionCommand({ packageName: "agent", versionName: "3.0.0-rc" }))).packageVersionArn!;
  });
  let n = 0;
  const job = (destinationPackageVersions: string[], extra: Record<string, unknown> = {}) =>
    iot.send(new CreateJobCommand({ jobId: `pj-${++n}`, targets: [thingArn], document: DOC, destinationPackageVersions, ...extra }));

  test("a job installs PUBLISHED and DEPRECATED versions, as given", async () => {
    const { jobId } = await job([published, deprecated]);
    expect((await iot.send(new DescribeJobCommand({ jobId }))).job!.destinationPackageVersions).toEqual([published, deprecated]);
  });

  test("a DRAFT version is refused, naming the version and its status", async () => {
    await expectError(job([published, draft]), InvalidRequestException, 400, "3.0.0-rc", "agent", "DRAFT", "PUBLISH");
  });

  test("a version that does not exist in this account and region is a 404 naming the ARN", async () => {
    const unknown = local.world.arn("package/agent/version/9.9.9");
    await expectError(job([unknown]), ResourceNotFoundException, 404, unknown);
    const elsewhere = "arn:aws:iot:eu-west-1:123456789012:package/agent/version/2.0.0";
    await expectError(job([elsewhere]), ResourceNotFoundException, 404, elsewhere);
    await expectError(
      job(["arn:aws:iot:us-east-1:123456789012:thing/pj-thing"]),
      InvalidRequestException,
      400,
      "not a package version ARN",
    );
  });

  test("$default is the package's default version (refused while it has none); $null uninstalls a package that exists", async () => {
    const byDefault = local.world.arn("package/agent/version/$default");
    await expectError(job([byDefault]), ResourceNotFoundException, 404, "no default version");
    await iot.send(new UpdatePackageCommand({ packageName: "agent", defaultVersionName: "2.0.0" }));
    await job([byDefault]);
    await job([local.world.arn("package/agent/version/$null")]);
    await expectError(job([local.world.arn("package/ghost/version/$null")]), ResourceNotFoundException, 404, "ghost");
  });

  test("a template may name a DRAFT version; a job created from it is refused until the version is published", async () => {
    const { jobTemplateArn } = await iot.send(
      new CreateJobTemplateCommand({ jobTemplateId: "pj-template", description: "rc", document: DOC, destinationPackageVersions: [draft] }),
    );
    await expectError(
      iot.send(
        new CreateJobTemplateCommand({
          jobTemplateId: "pj-bad",
          description: "x",
          document: DOC,
          destinationPackageVersions: [local.world.arn("package/agent/version/0")],
        }),
      ),
      ResourceNotFoundException,
      404,
      "version/0",
    );
    const fromTemplate = () => iot.send(new CreateJobCommand({ jobId: `pj-t${++n}`, targets: [thingArn], jobTemplateArn }));
    await expectError(fromTemplate(), InvalidRequestException, 400, "3.0.0-rc", "DRAFT");
    await iot.send(new UpdatePackageVersionCommand({ packageName: "agent", versionName: "3.0.0-rc", action: "PUBLISH" }));
    const { jobId } = await fromTemplate();
    expect((await iot.send(new DescribeJobCommand({ jobId }))).job!.destinationPackageVersions).toEqual([draft]);
  });
});
