/**
 * The Software Package Catalog: CreatePackage, GetPackage, UpdatePackage,
 * DeletePackage, ListPackages, CreatePackageVersion, GetPackageVersion,
 * UpdatePackageVersion, DeletePackageVersion, ListPackageVersions,
 * AssociateSbomWithPackageVersion, DisassociateSbomFromPackageVersion,
 * ListSbomValidationResults, GetPackageConfiguration and
 * UpdatePackageConfiguration: their requests decoded, their answers shaped
 * (the checks and the changes: account/packages.ts, account/package-versions.ts).
 */
import * as packages from "../account/packages.ts";
import * as versions from "../account/package-versions.ts";
import type { JsonObject, PackageRecord, PackageVersionRecord, PackageVersionStatus, S3LocationRecord } from "../state/store.ts";
import * as decode from "./decode.ts";
import { compact, type Handler } from "./handler.ts";

const STATUSES = ["DRAFT", "PUBLISHED", "DEPRECATED"] as const;

function location(path: string, value: unknown): S3LocationRecord | undefined {
  const loc = decode.object(path, value);
  if (!loc) return undefined;
  return compact({
    bucket: decode.text(`${path}.bucket`, loc.bucket),
    key: decode.text(`${path}.key`, loc.key),
    version: decode.text(`${path}.version`, loc.version),
  }) as S3LocationRecord;
}

/** `{ s3Location }` (an artifact or an SBOM). */
function withLocation(path: string, value: unknown): { s3Location?: S3LocationRecord } | undefined {
  const v = decode.object(path, value);
  return v ? { s3Location: location(`${path}.s3Location`, v.s3Location) } : undefined;
}

const versionRef = (params: Record<string, string>) => ({
  packageName: decode.requiredText("packageName", params.packageName),
  versionName: decode.requiredText("versionName", params.versionName),
});

const located = (loc: S3LocationRecord | undefined) => (loc ? { s3Location: loc as JsonObject } : undefined);

// ---------------------------------------------------------------- packages

export const createPackage: Handler = (world, { params, query, body }) => {
  const p = packages.createPackage(world, {
    packageName: decode.requiredText("packageName", params.packageName),
    description: decode.text("description", body.description),
    tags: decode.textMap("tags", body.tags),
    clientToken: query.clientToken,
  });
  return compact({ packageName: p.packageName, packageArn: p.packageArn, description: p.description });
};

const packageView = (p: PackageRecord) =>
  compact({
    packageName: p.packageName,
    packageArn: p.packageArn,
    description: p.description,
    defaultVersionName: p.defaultVersionName,
    creationDate: p.createdAt,
    lastModifiedDate: p.lastModifiedAt,
  });

export const getPackage: Handler = (world, { params }) =>
  packageView(packages.getPackage(world, { packageName: decode.requiredText("packageName", params.packageName) }));

export const updatePackage: Handler = (world, { params, body }) => {
  packages.updatePackage(world, {
    packageName: decode.requiredText("packageName", params.packageName),
    description: decode.text("description", body.description),
    defaultVersionName: decode.text("defaultVersionName", body.defaultVersionName),
    unsetDefaultVersion: decode.flag("unsetDefaultVersion", body.unsetDefaultVersion),
  });
  return {};
};

export const deletePackage: Handler = (world, { params }) => {
  packages.deletePackage(world, { packageName: decode.requiredText("packageName", params.packageName) });
  return {};
};

export const listPackages: Handler = (world, { query }) => {
  const page = packages.listPackages(world, { maxResults: decode.maxResults(query.maxResults), nextToken: query.nextToken });
  return compact({
    packageSummaries: page.items.map((p) =>
      compact({
        packageName: p.packageName,
        defaultVersionName: p.defaultVersionName,
        creationDate: p.createdAt,
        lastModifiedDate: p.lastModifiedAt,
      }),
    ),
    nextToken: page.nextToken,
  });
};

// ---------------------------------------------------------------- versions

export const createPackageVersion: Handler = (world, { params, query, body }) => {
  const v = versions.createPackageVersion(world, {
    ...versionRef(params),
    description: decode.text("description", body.description),
    attributes: decode.textMap("attributes", body.attributes),
    artifact: withLocation("artifact", body.artifact),
    recipe: decode.text("recipe", body.recipe),
    tags: decode.textMap("tags", body.tags),
    clientToken: query.clientToken,
  });
  return compact({
    packageVersionArn: v.packageVersionArn,
    packageName: v.packageName,
    versionName: v.versionName,
    description: v.description,
    attributes: v.attributes,
    status: v.status,
  });
};

/** GetPackageVersion's answer (the CloudFormation resource reads it too). */
export function versionView(v: PackageVersionRecord): JsonObject {
  return compact({
    packageVersionArn: v.packageVersionArn,
    packageName: v.packageName,
    versionName: v.versionName,
    description: v.description,
    attributes: v.attributes,
    artifact: located(v.artifact),
    status: v.status,
    creationDate: v.createdAt,
    lastModifiedDate: v.lastModifiedAt,
    sbom: located(v.sbom),
    sbomValidationStatus: v.sbomValidation?.result,
    recipe: v.recipe,
  });
}

export const getPackageVersion: Handler = (world, { params }) => versionView(versions.requireVersion(world, versionRef(params)));

export const updatePackageVersion: Handler = (world, { params, body }) => {
  versions.updatePackageVersion(world, {
    ...versionRef(params),
    description: decode.text("description", body.description),
    attributes: decode.textMap("attributes", body.attributes),
    artifact: withLocation("artifact", body.artifact),
    action: decode.choice("action", body.action, ["PUBLISH", "DEPRECATE"] as const),
    recipe: decode.text("recipe", body.recipe),
  });
  return {};
};

export const deletePackageVersion: Handler = (world, { params }) => {
  versions.deletePackageVersion(world, versionRef(params));
  return {};
};

export const listPackageVersions: Handler = (world, { params, query }) => {
  const page = versions.listPackageVersions(world, {
    packageName: decode.requiredText("packageName", params.packageName),
    status: decode.choice("status", query.status, STATUSES) as PackageVersionStatus | undefined,
    maxResults: decode.maxResults(query.maxResults),
    nextToken: query.nextToken,
  });
  return compact({
    packageVersionSummaries: page.items.map((v) =>
      compact({
        packageName: v.packageName,
        versionName: v.versionName,
        status: v.status,
        creationDate: v.createdAt,
        lastModifiedDate: v.lastModifiedAt,
      }),
    ),
    nextToken: page.nextToken,
  });
};

// ---------------------------------------------------------------- SBOM

export const associateSbomWithPackageVersion: Handler = (world, { params, body }) => {
  const v = versions.associateSbom(world, { ...versionRef(params), sbom: withLocation("sbom", decode.requiredObject("sbom", body.sbom))! });
  // The validation has run (account/sbom.ts); AWS answers while it runs, and reads see the outcome.
  return compact({ packageName: v.packageName, versionName: v.versionName, sbom: located(v.sbom), sbomValidationStatus: "IN_PROGRESS" });
};

export const disassociateSbomFromPackageVersion: Handler = (world, { params }) => {
  versions.disassociateSbom(world, versionRef(params));
  return {};
};

export const listSbomValidationResults: Handler = (world, { params, query }) => {
  const page = versions.listSbomValidationResults(world, {
    ...versionRef(params),
    validationResult: decode.choice("validationResult", query.validationResult, ["FAILED", "SUCCEEDED"] as const),
    maxResults: decode.maxResults(query.maxResults),
    nextToken: query.nextToken,
  });
  return compact({ validationResultSummaries: page.items.map((s) => compact(s)), nextToken: page.nextToken });
};

// ---------------------------------------------------------------- configuration

export const getPackageConfiguration: Handler = (world) => {
  const { versionUpdateByJobsConfig: c } = packages.getPackageConfiguration(world);
  return { versionUpdateByJobsConfig: compact({ enabled: c.enabled, roleArn: c.roleArn }) };
};

export const updatePackageConfiguration: Handler = (world, { body }) => {
  const config = decode.object("versionUpdateByJobsConfig", body.versionUpdateByJobsConfig);
  packages.updatePackageConfiguration(world, {
    versionUpdateByJobsConfig: config && {
      enabled: decode.flag("versionUpdateByJobsConfig.enabled", config.enabled),
      roleArn: decode.text("versionUpdateByJobsConfig.roleArn", config.roleArn),
    },
  });
  return {};
};
