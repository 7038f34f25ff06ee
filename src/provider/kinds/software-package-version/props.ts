/** The props and output of SoftwarePackageVersion (its behaviour is in contract.ts). */
import type { Secret } from "alchemy";
import type { IoTClientProps } from "../../location.ts";
import type { Deployed } from "../deployed.ts";

/** A version's lifecycle status (API: PackageVersionStatus). */
export type PackageVersionStatus = "DRAFT" | "PUBLISHED" | "DEPRECATED";

/** An S3 object (API: S3Location). */
export interface S3Location {
  /**
   * The bucket.
   * @example "firmware-builds"
   */
  bucket: string;
  /**
   * The object's key.
   * @example "th200/1.1.0.bin"
   */
  key: string;
  /**
   * The object's version, in a versioned bucket.
   * @default the object's latest version
   * @example "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
   */
  version?: string;
}

/** A package as a version names it: its name, and (when the package is the program's resource) its default version. */
export interface SoftwarePackageRef {
  packageName: string;
  defaultVersion?: string;
}

/** Properties of a version of a software package: the members of CreatePackageVersion, its status, and where to create it. */
export interface SoftwarePackageVersionProps extends IoTClientProps {
  /**
   * The package the version belongs to: a `SoftwarePackage` of the program
   * (then the version also knows whether it is the package's default
   * version, and makes it so right after publishing it) or a package name.
   * Changing it replaces the version.
   * @example firmware
   */
  package: string | SoftwarePackageRef;

  /**
   * The version's name (1–64 letters, digits, `-`, `_`, `.`). Changing it
   * replaces the version (a new version is created and published before the
   * old one is deleted).
   * @default the resource id
   * @example "1.1.0"
   */
  versionName?: string;

  /**
   * What the version holds (at most 1024 characters, no control
   * characters). Changes in place in any status (UpdatePackageVersion).
   * @default no description
   * @example "Fixes the sensor calibration drift"
   */
  description?: string;

  /**
   * Metadata (name → value; names of letters, digits, `:`, `_`, `-`; values
   * not empty; at most 3 KB together) that job documents read with
   * `${aws:iot:package:<package>:version:<version>:attributes:<name>}`.
   * Changes in place only while the version is DRAFT: a published or
   * deprecated version's attributes are fixed (declare a new versionName).
   * @default no attributes
   * @example { "signing-key": "fw-2024", "min-hw": "2" }
   */
  attributes?: Record<string, string>;

  /**
   * Where the version's files are in S3. Changes in place only while the
   * version is DRAFT.
   * @default no artifact
   * @example { s3Location: { bucket: "firmware-builds", key: "th200/1.1.0.bin" } }
   */
  artifact?: { s3Location: S3Location };

  /**
   * An inline job document for a quick deployment of the version (at most
   * 3072 characters). May be an `alchemy.secret(...)`: it is encrypted in
   * state and masked in plans. Changes in place only while the version is DRAFT.
   * @default no recipe
   * @example JSON.stringify({ operation: "install", version: "1.1.0" })
   */
  recipe?: string | Secret<string>;

  /**
   * The version's software bill of materials (SPDX or CycloneDX) in S3.
   * Changing it associates the new one (AssociateSbomWithPackageVersion);
   * removing it disassociates it. IoT validates it after the call: the
   * output's `sbomValidationStatus` says how far.
   * @default no SBOM
   * @example { s3Location: { bucket: "firmware-builds", key: "th200/1.1.0.spdx.json" } }
   */
  sbom?: { s3Location: S3Location };

  /**
   * Tags, updated in place (TagResource / UntagResource). The provider adds
   * its `alchemy_*` ownership tags.
   * @default no tags
   * @example { channel: "stable" }
   */
  tags?: Record<string, string>;

  /**
   * The status the deploy brings the version to. IoT creates every version
   * DRAFT; the deploy then publishes it (UpdatePackageVersion action
   * PUBLISH) and deprecates it (action DEPRECATE) as declared. A version
   * never returns to DRAFT: that is refused before any call.
   * @default "PUBLISHED"
   * @example "DEPRECATED"
   */
  status?: PackageVersionStatus;

  /**
   * Take over an existing version of the same name that this resource did
   * not create.
   * @default the `--adopt` flag of the deploy
   * @example true
   */
  adopt?: boolean;

  /**
   * Act on the version even though a CloudFormation stack still manages it.
   * @default false
   * @example true
   */
  overrideCloudFormationStack?: boolean;
}

/** A deployed package version. Pass it in a Job's or JobTemplate's `destinationPackageVersions`. */
export interface SoftwarePackageVersion extends SoftwarePackageVersionProps, Deployed {
  /** The region the version lives in. */
  region: string;
  /** The name of its package. */
  packageName: string;
  /** The version's name. */
  versionName: string;
  /** Its physical id: `<packageName>/version/<versionName>` (its ARN's resource). */
  packageVersion: string;
  /** The version's ARN (`arn:aws:iot:<region>:<account>:package/<packageName>/version/<versionName>`). */
  packageVersionArn: string;
  /** Same as `packageVersionArn`. */
  arn: string;
  /** Its status after the deploy. */
  status: PackageVersionStatus;
  /** Its attributes (none: `{}`). */
  attributes: Record<string, string>;
  /** The validation status of its SBOM, as the last call or read said (IN_PROGRESS right after it is associated). */
  sbomValidationStatus?: "IN_PROGRESS" | "FAILED" | "SUCCEEDED";
}
