/**
 * The account's package versions and their SBOMs: what CreatePackageVersion,
 * GetPackageVersion, UpdatePackageVersion, DeletePackageVersion,
 * ListPackageVersions, AssociateSbomWithPackageVersion,
 * DisassociateSbomFromPackageVersion and ListSbomValidationResults check and
 * change (requests and answers: operations/packages.ts).
 *
 * The lifecycle (developer guide, preparing-to-use-software-package-catalog):
 * a version is created DRAFT; PUBLISH moves DRAFT or DEPRECATED to
 * PUBLISHED, DEPRECATE moves PUBLISHED to DEPRECATED; nothing else. The
 * attributes and the artifact change only while DRAFT (they "become
 * immutable" once published, preparing-jobs-for-service-package-catalog);
 * the recipe also while PUBLISHED ("can be updated when a package version is
 * in the published status"); the description and tags at any time.
 */
import { utf8Length } from "../../api/constraints.ts";
import { IoTError, invalid, notFound } from "../errors.ts";
import { versionKey, versionsOf } from "../state/catalog.ts";
import type { Page } from "../state/pagination.ts";
import type { PackageVersionRecord, PackageVersionStatus, S3LocationRecord } from "../state/store.ts";
import type { World } from "../state/world.ts";
import * as check from "./checks.ts";
import { catalogPageSize, DEFAULT_PACKAGE_LIMITS, modelRule, RULES, tagMap } from "./packages.ts";
import { validateSbom } from "./sbom.ts";

/** "The combined size of all the attributes on a package version is limited to 3KB" (API reference, CreatePackageVersion). */
export const ATTRIBUTES_MAX_BYTES = 3 * 1024;
const ATTRIBUTE_KEY = modelRule("ResourceAttributeKey");
const ATTRIBUTE_VALUE = modelRule("ResourceAttributeValue");
const RECIPE = modelRule("PackageVersionRecipe");
const S3_PART = { min: 1 };

export interface VersionRef {
  packageName: string;
  versionName: string;
}

function names(input: VersionRef): VersionRef {
  return {
    packageName: check.str("packageName", input.packageName, RULES.packageName, { required: true })!,
    versionName: check.str("versionName", input.versionName, RULES.versionName, { required: true })!,
  };
}

export function requireVersion(world: World, ref: VersionRef): PackageVersionRecord {
  const { packageName, versionName } = names(ref);
  const version = world.tables.packageVersions.get(versionKey(packageName, versionName));
  if (!version) throw notFound(`Package version ${versionName} of package ${packageName} cannot be found.`);
  return version;
}

function attributes(value: Record<string, string> | undefined): Record<string, string> | undefined {
  const attrs = check.stringMap("attributes", value, ATTRIBUTE_KEY, ATTRIBUTE_VALUE);
  if (!attrs) return undefined;
  const bytes = Object.entries(attrs).reduce((n, [k, v]) => n + utf8Length(k) + utf8Length(v), 0);
  if (bytes > ATTRIBUTES_MAX_BYTES) {
    throw invalid(
      `attributes: their combined size is ${bytes} bytes; the combined size of a package version's attributes is limited to 3 KB (${ATTRIBUTES_MAX_BYTES} bytes).`,
    );
  }
  return attrs;
}

/** An S3 location (`artifact.s3Location`, `sbom.s3Location`). */
export function s3Location(path: string, value: S3LocationRecord | undefined, required = false): S3LocationRecord | undefined {
  const loc = check.obj(path, value) as S3LocationRecord | undefined;
  const bucket = check.str(`${path}.bucket`, loc?.bucket, S3_PART);
  const key = check.str(`${path}.key`, loc?.key, S3_PART);
  const version = check.str(`${path}.version`, loc?.version, {});
  if (required && (bucket === undefined || key === undefined)) {
    throw invalid(`${path} must name the object's bucket and key (and its version, optionally).`);
  }
  if (!loc) return undefined;
  return {
    ...(bucket !== undefined ? { bucket } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(version !== undefined ? { version } : {}),
  };
}

export interface CreatePackageVersionInput extends VersionRef {
  description?: string;
  attributes?: Record<string, string>;
  artifact?: { s3Location?: S3LocationRecord };
  recipe?: string;
  tags?: Record<string, string>;
  clientToken?: string;
}

/** Creates a DRAFT version of an existing package. */
export function createPackageVersion(world: World, input: CreatePackageVersionInput): PackageVersionRecord {
  const { packageName, versionName } = names(input);
  const description = check.str("description", input.description, RULES.description);
  const attrs = attributes(input.attributes);
  const artifact = s3Location("artifact.s3Location", check.obj("artifact", input.artifact)?.s3Location as S3LocationRecord | undefined);
  const recipe = check.str("recipe", input.recipe, RECIPE);
  const tags = tagMap(input.tags);
  const pkg = world.tables.packages.get(packageName);
  if (!pkg) throw invalid(`Package ${packageName} does not exist: create it (CreatePackage) before its versions.`);
  const existing = world.tables.packageVersions.get(versionKey(packageName, versionName));
  if (existing) {
    if (input.clientToken !== undefined && existing.clientToken === input.clientToken) return existing;
    throw new IoTError("ConflictException", `Package version ${versionName} of package ${packageName} already exists.`, {
      resourceId: versionName,
    });
  }
  const limit = (world.packageLimits ?? DEFAULT_PACKAGE_LIMITS).versionsPerPackage;
  if (versionsOf(world.tables, pkg).length >= limit) {
    throw new IoTError(
      "ServiceQuotaExceededException",
      `Cannot create version ${versionName}: package ${packageName} has ${limit} versions, the most allowed per package.`,
    );
  }
  const now = world.now();
  const version: PackageVersionRecord = {
    seq: world.nextSeq(),
    packageName,
    versionName,
    packageVersionArn: world.arn(`package/${packageName}/version/${versionName}`),
    status: "DRAFT",
    description,
    attributes: attrs ?? {},
    ...(artifact ? { artifact } : {}),
    recipe,
    createdAt: now,
    lastModifiedAt: now,
    clientToken: input.clientToken,
  };
  world.tables.packageVersions.set(versionKey(packageName, versionName), version);
  if (tags && Object.keys(tags).length > 0) world.tables.tags.set(version.packageVersionArn, tags);
  return version;
}

export interface UpdatePackageVersionInput extends VersionRef {
  description?: string;
  attributes?: Record<string, string>;
  artifact?: { s3Location?: S3LocationRecord };
  action?: "PUBLISH" | "DEPRECATE";
  recipe?: string;
}

const TRANSITIONS: Record<"PUBLISH" | "DEPRECATE", { from: readonly PackageVersionStatus[]; to: PackageVersionStatus }> = {
  PUBLISH: { from: ["DRAFT", "DEPRECATED"], to: "PUBLISHED" },
  DEPRECATE: { from: ["PUBLISHED"], to: "DEPRECATED" },
};

function refuse(version: PackageVersionRecord, message: string): never {
  throw new IoTError(
    "ConflictException",
    `Package version ${version.versionName} of package ${version.packageName} is ${version.status}: ${message}`,
    {
      resourceId: version.versionName,
    },
  );
}

/** Edits a version (what its status allows, judged before the action) and moves it along its lifecycle. */
export function updatePackageVersion(world: World, input: UpdatePackageVersionInput): PackageVersionRecord {
  const version = requireVersion(world, input);
  const description = check.str("description", input.description, RULES.description);
  const attrs = attributes(input.attributes);
  const artifactGiven = check.obj("artifact", input.artifact);
  const artifact = s3Location("artifact.s3Location", artifactGiven?.s3Location as S3LocationRecord | undefined);
  const recipe = check.str("recipe", input.recipe, RECIPE);
  const action = check.oneOf("action", input.action, ["PUBLISH", "DEPRECATE"] as const);
  if (attrs !== undefined && version.status !== "DRAFT")
    refuse(version, "its attributes can be changed only while it is DRAFT (create a new version instead).");
  if (artifactGiven !== undefined && version.status !== "DRAFT")
    refuse(version, "its artifact can be changed only while it is DRAFT (create a new version instead).");
  if (recipe !== undefined && version.status === "DEPRECATED")
    refuse(version, "its recipe can be changed only while it is DRAFT or PUBLISHED.");
  if (action !== undefined && !TRANSITIONS[action].from.includes(version.status)) {
    const { from, to } = TRANSITIONS[action];
    refuse(version, `${action} moves a version from ${from.join(" or ")} to ${to}; it cannot move from ${version.status} to ${to}.`);
  }
  if (description !== undefined) version.description = description;
  if (attrs !== undefined) version.attributes = attrs;
  if (artifactGiven !== undefined) {
    if (artifact) version.artifact = artifact;
    else delete version.artifact;
  }
  if (recipe !== undefined) version.recipe = recipe;
  if (action !== undefined) version.status = TRANSITIONS[action].to;
  version.lastModifiedAt = world.now();
  return version;
}

/**
 * Deletes a version. One that does not exist is success (the model lists no
 * ResourceNotFoundException); the package's default version is refused ("you
 * must remove the designation from the software package using the
 * UpdatePackage action", API reference).
 */
export function deletePackageVersion(world: World, input: VersionRef): void {
  const { packageName, versionName } = names(input);
  const version = world.tables.packageVersions.get(versionKey(packageName, versionName));
  if (!version) return;
  if (world.tables.packages.get(packageName)?.defaultVersionName === versionName) {
    throw invalid(
      `Package version ${versionName} is the default version of package ${packageName}: unset it first (UpdatePackage with unsetDefaultVersion: true) or name another default version.`,
    );
  }
  world.tables.packageVersions.delete(versionKey(packageName, versionName));
  world.tables.tags.delete(version.packageVersionArn);
}

/** A package's versions, oldest first, optionally of one status. */
export function listPackageVersions(
  world: World,
  input: { packageName: string; status?: PackageVersionStatus; maxResults?: number; nextToken?: string },
): Page<PackageVersionRecord> {
  const packageName = check.str("packageName", input.packageName, RULES.packageName, { required: true })!;
  const status = check.oneOf("status", input.status, ["DRAFT", "PUBLISHED", "DEPRECATED"] as const);
  const maxResults = catalogPageSize(input.maxResults);
  const pkg = world.tables.packages.get(packageName);
  if (!pkg) throw invalid(`Package ${packageName} does not exist.`);
  const items = versionsOf(world.tables, pkg).filter((v) => status === undefined || v.status === status);
  return world.paginate("ListPackageVersions", items, { nextToken: input.nextToken, maxResults, filter: `${packageName}|${status ?? ""}` });
}

// ---------------------------------------------------------------- SBOM

/**
 * Associates an SBOM (replacing one already associated) and validates it at
 * once, reading the registered object now (account/sbom.ts). The answer says
 * IN_PROGRESS, as AWS's does; every later read sees the outcome.
 */
export function associateSbom(world: World, input: VersionRef & { sbom: { s3Location?: S3LocationRecord } }): PackageVersionRecord {
  const version = requireVersion(world, input);
  const sbom = check.obj("sbom", input.sbom);
  check.required("sbom", sbom);
  const location = s3Location("sbom.s3Location", sbom!.s3Location as S3LocationRecord | undefined, true)!;
  version.sbom = location;
  version.sbomValidation = validateSbom(world, location);
  version.lastModifiedAt = world.now();
  return version;
}

/** Removes a version's SBOM (a version without one: nothing to do). */
export function disassociateSbom(world: World, input: VersionRef): void {
  const version = requireVersion(world, input);
  if (!version.sbom) return;
  delete version.sbom;
  delete version.sbomValidation;
  version.lastModifiedAt = world.now();
}

/** The validation result of a version's SBOM: one summary, or none without an SBOM. */
export function listSbomValidationResults(
  world: World,
  input: VersionRef & { validationResult?: "SUCCEEDED" | "FAILED"; maxResults?: number; nextToken?: string },
): Page<{ fileName: string; validationResult: "SUCCEEDED" | "FAILED"; errorCode?: string; errorMessage?: string }> {
  const version = requireVersion(world, input);
  const wanted = check.oneOf("validationResult", input.validationResult, ["FAILED", "SUCCEEDED"] as const);
  const maxResults = catalogPageSize(input.maxResults);
  const v = version.sbomValidation;
  const items =
    version.sbom && v && (wanted === undefined || v.result === wanted)
      ? [{ seq: 1, fileName: version.sbom.key ?? "", validationResult: v.result, errorCode: v.errorCode, errorMessage: v.errorMessage }]
      : [];
  const page = world.paginate("ListSbomValidationResults", items, {
    nextToken: input.nextToken,
    maxResults,
    filter: `${version.packageName}|${version.versionName}|${wanted ?? ""}`,
  });
  return { items: page.items.map(({ seq: _seq, ...summary }) => summary), nextToken: page.nextToken };
}
