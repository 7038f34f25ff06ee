/**
 * The Software Package Catalog's part of the routes test's scenario
 * (test/support/model-scenario.ts): every catalog operation driven to success
 * through the real SDK, with the variants of its members the model's output
 * covers, and to deliberate failures. `catalogSetup` runs first: the
 * scenario's job template installs the version it publishes.
 */
import {
  AssociateSbomWithPackageVersionCommand,
  CreatePackageCommand,
  CreatePackageVersionCommand,
  DeletePackageCommand,
  DeletePackageVersionCommand,
  DisassociateSbomFromPackageVersionCommand,
  GetPackageCommand,
  GetPackageConfigurationCommand,
  GetPackageVersionCommand,
  ListPackagesCommand,
  ListPackageVersionsCommand,
  ListSbomValidationResultsCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UpdatePackageCommand,
  UpdatePackageConfigurationCommand,
  UpdatePackageVersionCommand,
  type PackageVersionStatus,
} from "@aws-sdk/client-iot";
import type { CallRecorder } from "./model-calls.ts";

const SPDX = JSON.stringify({ spdxVersion: "SPDX-2.3", SPDXID: "SPDXRef-DOCUMENT", name: "rt" });

/** Package `rt` with version 1.0.0 PUBLISHED (the scenario's template installs it). */
export async function catalogSetup(calls: CallRecorder): Promise<void> {
  const { ok } = calls;
  await ok(
    "create a package with a description and tags",
    new CreatePackageCommand({ packageName: "rt", description: "the runtime", tags: { team: "fleet" } }),
  );
  await ok(
    "create a package version with every member",
    new CreatePackageVersionCommand({
      packageName: "rt",
      versionName: "1.0.0",
      description: "first",
      attributes: { arch: "arm64" },
      artifact: { s3Location: { bucket: "rt-bucket", key: "rt-1.0.0.bin", version: "v1" } },
      recipe: '{"steps":[]}',
      tags: { stage: "beta" },
    }),
  );
  await ok("publish a version", new UpdatePackageVersionCommand({ packageName: "rt", versionName: "1.0.0", action: "PUBLISH" }));
}

/** The rest of the catalog's operations, successes and deliberate failures. */
export async function catalogScenario(calls: CallRecorder): Promise<void> {
  const { local, ok, fails, arn } = calls;
  local.putS3Object("s3://rt-bucket/sbom.spdx.json", SPDX);

  await ok("create a package", new CreatePackageCommand({ packageName: "rt-other" }));
  await ok("create a bare version", new CreatePackageVersionCommand({ packageName: "rt", versionName: "2.0.0" }));
  await ok("get a package without a default version", new GetPackageCommand({ packageName: "rt" }));
  await ok(
    "name the default version",
    new UpdatePackageCommand({ packageName: "rt", defaultVersionName: "1.0.0", description: "updated" }),
  );
  await ok("get a package with a default version", new GetPackageCommand({ packageName: "rt" }));
  await ok("list packages", new ListPackagesCommand({}));
  await ok("list packages, one page", new ListPackagesCommand({ maxResults: 1 }));
  await ok("get a PUBLISHED version", new GetPackageVersionCommand({ packageName: "rt", versionName: "1.0.0" }));
  await ok(
    "edit a DRAFT version",
    new UpdatePackageVersionCommand({ packageName: "rt", versionName: "2.0.0", attributes: { arch: "x86" }, description: "second" }),
  );
  await ok(
    "associate an SBOM",
    new AssociateSbomWithPackageVersionCommand({
      packageName: "rt",
      versionName: "2.0.0",
      sbom: { s3Location: { bucket: "rt-bucket", key: "sbom.spdx.json" } },
    }),
  );
  await ok("get a version with an SBOM", new GetPackageVersionCommand({ packageName: "rt", versionName: "2.0.0" }));
  await ok("list SBOM validation results", new ListSbomValidationResultsCommand({ packageName: "rt", versionName: "2.0.0" }));
  await ok(
    "list SBOM validation results that failed",
    new ListSbomValidationResultsCommand({ packageName: "rt", versionName: "2.0.0", validationResult: "FAILED", maxResults: 1 }),
  );
  await ok("disassociate an SBOM", new DisassociateSbomFromPackageVersionCommand({ packageName: "rt", versionName: "2.0.0" }));
  await ok("list versions", new ListPackageVersionsCommand({ packageName: "rt" }));
  await ok("list versions, one page", new ListPackageVersionsCommand({ packageName: "rt", maxResults: 1 }));
  await ok("list PUBLISHED versions", new ListPackageVersionsCommand({ packageName: "rt", status: "PUBLISHED" }));
  await ok("deprecate a version", new UpdatePackageVersionCommand({ packageName: "rt", versionName: "1.0.0", action: "DEPRECATE" }));
  await ok("get the package configuration before it is set", new GetPackageConfigurationCommand({}));
  await ok(
    "enable the shadow updates by jobs",
    new UpdatePackageConfigurationCommand({
      versionUpdateByJobsConfig: { enabled: true, roleArn: "arn:aws:iam::123456789012:role/rt-role" },
    }),
  );
  await ok("get the package configuration", new GetPackageConfigurationCommand({}));
  await ok("tag a package", new TagResourceCommand({ resourceArn: arn("package/rt"), tags: [{ Key: "env", Value: "test" }] }));
  await ok("list a package version's tags", new ListTagsForResourceCommand({ resourceArn: arn("package/rt/version/1.0.0") }));

  // Deliberate failures.
  await fails("create a package that exists", new CreatePackageCommand({ packageName: "rt" }));
  await fails("create a package with a name that is not one", new CreatePackageCommand({ packageName: "bad name!" }));
  await fails("get an unknown package", new GetPackageCommand({ packageName: "rt-nope" }));
  await fails("update an unknown package", new UpdatePackageCommand({ packageName: "rt-nope", description: "x" }));
  await fails("name a DRAFT version the default", new UpdatePackageCommand({ packageName: "rt", defaultVersionName: "2.0.0" }));
  await fails(
    "name a default version and unset it at once",
    new UpdatePackageCommand({ packageName: "rt", defaultVersionName: "1.0.0", unsetDefaultVersion: true }),
  );
  await fails("delete a package that has versions", new DeletePackageCommand({ packageName: "rt" }));
  await fails("list packages with a token that is not one", new ListPackagesCommand({ nextToken: "not-a-token" }));
  await fails("create a version of an unknown package", new CreatePackageVersionCommand({ packageName: "rt-nope", versionName: "1" }));
  await fails("create a version that exists", new CreatePackageVersionCommand({ packageName: "rt", versionName: "1.0.0" }));
  await fails("get an unknown version", new GetPackageVersionCommand({ packageName: "rt", versionName: "9.9.9" }));
  await fails(
    "deprecate a DRAFT version",
    new UpdatePackageVersionCommand({ packageName: "rt", versionName: "2.0.0", action: "DEPRECATE" }),
  );
  await fails(
    "change a DEPRECATED version's attributes",
    new UpdatePackageVersionCommand({ packageName: "rt", versionName: "1.0.0", attributes: { arch: "x" } }),
  );
  await fails("update an unknown version", new UpdatePackageVersionCommand({ packageName: "rt", versionName: "9.9.9", description: "x" }));
  await fails("delete the default version", new DeletePackageVersionCommand({ packageName: "rt", versionName: "1.0.0" }));
  await fails(
    "list versions with a status that is not one",
    new ListPackageVersionsCommand({ packageName: "rt", status: "GONE" as PackageVersionStatus }),
  );
  await fails(
    "associate an SBOM with an unknown version",
    new AssociateSbomWithPackageVersionCommand({
      packageName: "rt",
      versionName: "9.9.9",
      sbom: { s3Location: { bucket: "rt-bucket", key: "sbom.spdx.json" } },
    }),
  );
  await fails(
    "disassociate the SBOM of an unknown version",
    new DisassociateSbomFromPackageVersionCommand({ packageName: "rt", versionName: "9.9.9" }),
  );
  await fails(
    "list the SBOM results of an unknown version",
    new ListSbomValidationResultsCommand({ packageName: "rt", versionName: "9.9.9" }),
  );
  await fails(
    "enable the shadow updates without a role",
    new UpdatePackageConfigurationCommand({ versionUpdateByJobsConfig: { enabled: true } }),
  );

  // Ends of life.
  await ok("unset the default version", new UpdatePackageCommand({ packageName: "rt", unsetDefaultVersion: true }));
  await ok("delete a version", new DeletePackageVersionCommand({ packageName: "rt", versionName: "2.0.0" }));
  await ok("delete a version that does not exist", new DeletePackageVersionCommand({ packageName: "rt", versionName: "2.0.0" }));
  await ok("delete a package without versions", new DeletePackageCommand({ packageName: "rt-other" }));
  await ok("delete a package that does not exist", new DeletePackageCommand({ packageName: "rt-other" }));
}
