/**
 * Validating a package version's software bill of materials
 * (AssociateSbomWithPackageVersion). The endpoint never calls S3: an SBOM's
 * `s3Location` is read from the objects registered with `putS3Object(url,
 * body)` (or `POST /_local/s3`), under the URL `s3://<bucket>/<key>`, with
 * `?versionId=<version>` when the location names a version.
 *
 * An SBOM succeeds when it is a JSON document in one of the two formats AWS
 * validates against (developer guide, preparing-to-use-software-package-catalog,
 * "Software Bill of Materials"): SPDX 2.x (`spdxVersion` "SPDX-2.<n>" and an
 * `SPDXID`) or CycloneDX (`bomFormat` "CycloneDX" and a `specVersion`).
 * Anything else fails with INCOMPATIBLE_FORMAT, an object that is not
 * registered included (its message says how to register it). AWS reads a zip
 * archive of such .json files; the endpoint reads one JSON document.
 */
import type { S3LocationRecord, SbomValidationRecord } from "../state/store.ts";
import type { World } from "../state/world.ts";

/** The URL an SBOM's S3 location is registered under. */
export function sbomUrl(location: S3LocationRecord): string {
  const base = `s3://${location.bucket ?? ""}/${location.key ?? ""}`;
  return location.version !== undefined ? `${base}?versionId=${encodeURIComponent(location.version)}` : base;
}

const failed = (errorMessage: string): SbomValidationRecord => ({ result: "FAILED", errorCode: "INCOMPATIBLE_FORMAT", errorMessage });

/** Validates the SBOM at `location` as it is registered now. */
export function validateSbom(world: World, location: S3LocationRecord): SbomValidationRecord {
  const url = sbomUrl(location);
  const body = world.s3Objects.get(url);
  if (body === undefined) {
    return failed(
      `The local endpoint has no object at ${url}: register the SBOM with putS3Object("${url}", body) (or POST /_local/s3) before associating it.`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return failed(`${url} is not a JSON document; an SBOM must be SPDX 2.x or CycloneDX JSON.`);
  }
  const d = (doc ?? {}) as Record<string, unknown>;
  if (typeof d.spdxVersion === "string" && /^SPDX-2\.\d+$/.test(d.spdxVersion) && typeof d.SPDXID === "string")
    return { result: "SUCCEEDED" };
  if (d.bomFormat === "CycloneDX" && typeof d.specVersion === "string") return { result: "SUCCEEDED" };
  return failed(
    `${url} is neither an SPDX 2.x document (spdxVersion "SPDX-2.x" and SPDXID) nor a CycloneDX document (bomFormat "CycloneDX" and specVersion).`,
  );
}
