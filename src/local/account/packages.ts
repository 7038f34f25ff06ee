/**
 * The account's Software Package Catalog, its packages and configuration:
 * what CreatePackage, GetPackage, UpdatePackage, DeletePackage,
 * ListPackages, GetPackageConfiguration and UpdatePackageConfiguration check
 * and change, and the check of the package versions a job or a job template
 * installs (`destinationPackageVersions`). Versions and their SBOMs:
 * package-versions.ts. Requests and answers: operations/packages.ts.
 *
 * Sources: the API reference of each operation (the model's documentation),
 * the developer guide's preparing-to-use-software-package-catalog (version
 * lifecycle, default version, deleting a package) and
 * preparing-jobs-for-service-package-catalog ($default, $null).
 */
import { SHAPES } from "../../api/model/iot.generated.ts";
import type { StringRule } from "../../api/constraints.ts";
import { IoTError, invalid, notFound } from "../errors.ts";
import { versionKey, versionsOf, type PackageLimits } from "../state/catalog.ts";
import type { Page } from "../state/pagination.ts";
import type { PackageConfigurationRecord, PackageRecord, PackageVersionRecord } from "../state/store.ts";
import type { World } from "../state/world.ts";
import * as check from "./checks.ts";

/**
 * The endpoint's quotas (ServiceQuotaExceededException beyond them); AWS's
 * own are on the AWS IoT Device Management quotas page
 * (general/latest/gr/iot_device_management.html#software_package_catalog_limits).
 */
export const DEFAULT_PACKAGE_LIMITS: PackageLimits = { packages: 10_000, versionsPerPackage: 1_000 };

/** A string shape of the model as a rule (for input that did not pass the model's validation: CloudFormation). */
export function modelRule(shapeName: string): StringRule {
  const s = SHAPES[shapeName] as { min?: number; max?: number; pattern?: string };
  return { min: s.min, max: s.max, pattern: s.pattern };
}

export const RULES = {
  packageName: modelRule("PackageName"),
  versionName: modelRule("VersionName"),
  description: modelRule("ResourceDescription"),
  roleArn: modelRule("RoleArn"),
};

/** The page size of the catalog's lists: 1–100 (PackageCatalogMaxResults). */
export function catalogPageSize(value: number | undefined): number | undefined {
  return check.num("maxResults", value, { min: 1, max: 100, integer: true });
}

/** Tags given as a map (`tags` of CreatePackage and CreatePackageVersion): the API's tag checks apply. */
export function tagMap(value: Record<string, string> | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  return check.tags(
    "tags",
    Object.entries(value).map(([Key, Value]) => ({ Key, Value })),
  );
}

export function requirePackage(world: World, packageName: string): PackageRecord {
  const pkg = world.tables.packages.get(packageName);
  if (!pkg) throw notFound(`Package ${packageName} cannot be found.`);
  return pkg;
}

// ---------------------------------------------------------------- packages

export interface CreatePackageInput {
  packageName: string;
  description?: string;
  tags?: Record<string, string>;
  clientToken?: string;
}

/** Creates a package; a retry with the clientToken of the create that made it answers that package again. */
export function createPackage(world: World, input: CreatePackageInput): PackageRecord {
  const packageName = check.str("packageName", input.packageName, RULES.packageName, { required: true })!;
  const description = check.str("description", input.description, RULES.description);
  const tags = tagMap(input.tags);
  const existing = world.tables.packages.get(packageName);
  if (existing) {
    if (input.clientToken !== undefined && existing.clientToken === input.clientToken) return existing;
    throw new IoTError("ConflictException", `Package ${packageName} already exists.`, { resourceId: packageName });
  }
  const limit = (world.packageLimits ?? DEFAULT_PACKAGE_LIMITS).packages;
  if (world.tables.packages.size >= limit) {
    throw new IoTError(
      "ServiceQuotaExceededException",
      `Cannot create package ${packageName}: the account has ${limit} packages, the most allowed.`,
    );
  }
  const now = world.now();
  const pkg: PackageRecord = {
    seq: world.nextSeq(),
    packageName,
    packageArn: world.arn(`package/${packageName}`),
    description,
    createdAt: now,
    lastModifiedAt: now,
    clientToken: input.clientToken,
  };
  world.tables.packages.set(packageName, pkg);
  if (tags && Object.keys(tags).length > 0) world.tables.tags.set(pkg.packageArn, tags);
  return pkg;
}

export function getPackage(world: World, input: { packageName: string }): PackageRecord {
  return requirePackage(world, check.str("packageName", input.packageName, RULES.packageName, { required: true })!);
}

export interface UpdatePackageInput {
  packageName: string;
  description?: string;
  defaultVersionName?: string;
  unsetDefaultVersion?: boolean;
}

/**
 * Changes a package's description and default version. The default must be
 * a PUBLISHED or DEPRECATED version of the package (a DRAFT one "can't be
 * named as the default version until you transition the package version to
 * published"; "you can also name a deprecated package version as the default
 * version").
 */
export function updatePackage(world: World, input: UpdatePackageInput): PackageRecord {
  const pkg = requirePackage(world, check.str("packageName", input.packageName, RULES.packageName, { required: true })!);
  const description = check.str("description", input.description, RULES.description);
  const defaultVersionName = check.str("defaultVersionName", input.defaultVersionName, RULES.versionName);
  if (defaultVersionName !== undefined && input.unsetDefaultVersion === true) {
    throw invalid("You cannot name a defaultVersionName and set unsetDefaultVersion to true at the same time.");
  }
  if (defaultVersionName !== undefined) {
    const version = world.tables.packageVersions.get(versionKey(pkg.packageName, defaultVersionName));
    if (!version) throw notFound(`Package version ${defaultVersionName} of package ${pkg.packageName} cannot be found.`);
    if (version.status === "DRAFT") {
      throw new IoTError(
        "ConflictException",
        `Package version ${defaultVersionName} of package ${pkg.packageName} is DRAFT: only a PUBLISHED or DEPRECATED version can be the default version. Publish it first (UpdatePackageVersion with action PUBLISH).`,
        { resourceId: defaultVersionName },
      );
    }
    pkg.defaultVersionName = defaultVersionName;
  }
  if (input.unsetDefaultVersion === true) pkg.defaultVersionName = undefined;
  if (description !== undefined) pkg.description = description;
  pkg.lastModifiedAt = world.now();
  return pkg;
}

/**
 * Deletes a package. One that does not exist is success (the model lists no
 * ResourceNotFoundException); one that still has versions is refused ("If you
 * use an API call to delete software packages, you must delete the package
 * versions first and then the software package").
 */
export function deletePackage(world: World, input: { packageName: string }): void {
  const packageName = check.str("packageName", input.packageName, RULES.packageName, { required: true })!;
  const pkg = world.tables.packages.get(packageName);
  if (!pkg) return;
  const versions = versionsOf(world.tables, pkg);
  if (versions.length > 0) {
    const names = versions.slice(0, 5).map((v) => v.versionName);
    throw invalid(
      `Package ${packageName} still has ${versions.length} version${versions.length === 1 ? "" : "s"} (${names.join(", ")}${versions.length > 5 ? ", ..." : ""}): delete its versions first (DeletePackageVersion), then the package.`,
    );
  }
  world.tables.packages.delete(packageName);
  world.tables.tags.delete(pkg.packageArn);
}

/** The account's packages, oldest first. */
export function listPackages(world: World, input: { maxResults?: number; nextToken?: string }): Page<PackageRecord> {
  const maxResults = catalogPageSize(input.maxResults);
  const items = [...world.tables.packages.values()].sort((a, b) => a.seq - b.seq);
  return world.paginate("ListPackages", items, { nextToken: input.nextToken, maxResults });
}

// ---------------------------------------------------------------- configuration

/** The configuration as GetPackageConfiguration answers it: disabled until UpdatePackageConfiguration set it. */
export function getPackageConfiguration(world: World): PackageConfigurationRecord {
  return world.tables.packageConfiguration.get("default") ?? { versionUpdateByJobsConfig: { enabled: false } };
}

/**
 * Replaces `versionUpdateByJobsConfig` (a member left out is unset). Enabling
 * it needs the role AWS IoT Jobs updates the shadow with: `enabled: true`
 * without a `roleArn` is refused (the endpoint's choice; AWS documents the
 * role as what grants Jobs the right to update the shadow).
 */
export function updatePackageConfiguration(
  world: World,
  input: { versionUpdateByJobsConfig?: { enabled?: boolean; roleArn?: string } },
): void {
  const config = input.versionUpdateByJobsConfig;
  if (config === undefined) return;
  const enabled = check.bool("versionUpdateByJobsConfig.enabled", config.enabled) ?? false;
  const roleArn = check.str("versionUpdateByJobsConfig.roleArn", config.roleArn, RULES.roleArn);
  if (enabled && roleArn === undefined) {
    throw invalid(
      "versionUpdateByJobsConfig.roleArn is required when enabled is true: it is the role that grants AWS IoT Jobs the right to update the reserved named shadow ($package).",
    );
  }
  world.tables.packageConfiguration.set("default", {
    versionUpdateByJobsConfig: { enabled, ...(roleArn !== undefined ? { roleArn } : {}) },
  });
}

// ---------------------------------------------------------------- versions a job installs

const VERSION_ARN = /^arn:aws:iot:([^:]*):([^:]*):package\/([^/]+)\/version\/([^/]+)$/;

/** What a destinationPackageVersions ARN installs: a version, or the removal of the package ($null). */
export interface Destination {
  arn: string;
  packageName: string;
  /** The version, $default resolved; undefined for $null (uninstall). */
  version?: PackageVersionRecord;
}

/** Reads a package version ARN of this account: the version it names now ($default resolved), or undefined when there is none. */
export function resolveDestination(world: World, arn: string): Destination | undefined {
  const m = VERSION_ARN.exec(arn);
  if (!m || m[1] !== world.region || m[2] !== world.accountId) return undefined;
  const [, , , packageName, versionName] = m;
  const pkg = world.tables.packages.get(packageName);
  if (!pkg) return undefined;
  if (versionName === "$null") return { arn, packageName };
  const name = versionName === "$default" ? pkg.defaultVersionName : versionName;
  const version = name === undefined ? undefined : world.tables.packageVersions.get(versionKey(packageName, name));
  return version ? { arn, packageName, version } : undefined;
}

/**
 * Checks the versions a job (`forJob`) or a job template installs: each ARN
 * must name a version of this account and region (`$default`: the package's
 * default version; `$null`: uninstalling the package, which must exist); a
 * job cannot deploy a DRAFT version ("The package version must be in either
 * the Published or Deprecated state when the job deploys"), a template may
 * name one (it is checked again when a job is created from it).
 */
export function checkDestinationVersions(world: World, arns: readonly string[] | undefined, forJob: boolean): void {
  for (const arn of arns ?? []) {
    if (!VERSION_ARN.test(arn)) {
      throw invalid(
        `destinationPackageVersions: '${arn}' is not a package version ARN (arn:aws:iot:<region>:<account>:package/<packageName>/version/<versionName>).`,
      );
    }
    const found = resolveDestination(world, arn);
    if (!found) {
      const isDefault = arn.endsWith("/version/$default");
      throw notFound(
        `Package version ${arn} cannot be found in account ${world.accountId}, region ${world.region}${isDefault ? " (the package does not exist or has no default version)" : ""}.`,
      );
    }
    if (forJob && found.version?.status === "DRAFT") {
      throw invalid(
        `Package version ${found.version.versionName} of package ${found.packageName} (${arn}) is DRAFT: a job can deploy only a PUBLISHED or DEPRECATED version. Publish it first (UpdatePackageVersion with action PUBLISH).`,
      );
    }
  }
}
