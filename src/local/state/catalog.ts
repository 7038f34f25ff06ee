/**
 * What the world and the account share about the Software Package Catalog's
 * tables: how versions are keyed, which ARNs name a package or a version of
 * this account, and the reserved named shadow `$package` that says which
 * versions a thing has installed (developer guide,
 * preparing-to-use-software-package-catalog, "Reserved named shadow":
 * `state.reported.<packageName>.version`).
 */
import type { JsonObject, PackageRecord, PackageVersionRecord, Tables } from "./records.ts";

/** Quotas of the Software Package Catalog (the endpoint's defaults: account/packages.ts). */
export interface PackageLimits {
  /** Software packages per account and region. */
  packages: number;
  /** Versions per software package. */
  versionsPerPackage: number;
}

/** The reserved named shadow of the Software Package Catalog. */
export const PACKAGE_SHADOW = "$package";

/** The key of a version in `tables.packageVersions`. */
export const versionKey = (packageName: string, versionName: string) => `${packageName}/${versionName}`;

/** The key of a shadow in `tables.shadows` (the classic shadow's name is ""). */
export const shadowKey = (thingName: string, shadowName: string) => `${thingName}/${shadowName}`;

/** The resource part of a package ARN (`pkg`) or a package version ARN (`pkg/version/1.0`). */
export function parseCatalogResource(name: string): { packageName: string; versionName?: string } | undefined {
  const m = /^([^/]+)(?:\/version\/([^/]+))?$/.exec(name);
  return m ? { packageName: m[1], versionName: m[2] } : undefined;
}

/** Whether the resource part of an ARN of type `package` names a package or a version that exists. */
export function catalogResourceExists(tables: Tables, name: string): boolean {
  const parsed = parseCatalogResource(name);
  if (!parsed) return false;
  if (parsed.versionName === undefined) return tables.packages.has(parsed.packageName);
  return tables.packageVersions.has(versionKey(parsed.packageName, parsed.versionName));
}

/** A package's versions, in creation order. */
export function versionsOf(tables: Tables, pkg: PackageRecord): PackageVersionRecord[] {
  const out: PackageVersionRecord[] = [];
  for (const v of tables.packageVersions.values()) if (v.packageName === pkg.packageName) out.push(v);
  return out.sort((a, b) => a.seq - b.seq);
}

/** `{ packageName: versionName }` from a thing's `$package` shadow (reported state). */
export function installedVersions(tables: Tables, thingName: string): Record<string, string> {
  const reported = tables.shadows.get(shadowKey(thingName, PACKAGE_SHADOW))?.state.reported ?? {};
  const out: Record<string, string> = {};
  for (const [packageName, entry] of Object.entries(reported)) {
    const version = (entry as JsonObject | null)?.version;
    if (typeof version === "string") out[packageName] = version;
  }
  return out;
}
