/**
 * SoftwarePackage and SoftwarePackageVersion with the property names and
 * shapes of CloudFormation's `AWS::IoT::SoftwarePackage` and
 * `AWS::IoT::SoftwarePackageVersion`: the main API's resources (same kinds,
 * state, lifecycle and checks) under another spelling, every error naming
 * the CloudFormation property path.
 *
 * Two props are this package's extensions, for what CloudFormation cannot
 * declare: a package's `DefaultVersion` and a version's `Status`. A version's
 * `Status` defaults to `"DRAFT"` here, what CloudFormation leaves (it creates
 * every version as a draft and cannot publish one), unlike the main API's
 * `"PUBLISHED"`.
 */
import type { Secret } from "alchemy";
import type { CloudFormationMembers } from "../provider/engine/members.ts";
import type { Holds, Same } from "../provider/engine/same.ts";
import {
  SoftwarePackage as CoreSoftwarePackage,
  ROWS as PACKAGE_ROWS,
  type SoftwarePackage as CoreSoftwarePackageOutput,
  type SoftwarePackageProps as CoreSoftwarePackageProps,
} from "../provider/kinds/software-package/contract.ts";
import {
  SoftwarePackageVersion as CoreSoftwarePackageVersion,
  type PackageVersionStatus,
  type SoftwarePackageVersion as CoreSoftwarePackageVersionOutput,
  type SoftwarePackageVersionProps as CoreSoftwarePackageVersionProps,
} from "../provider/kinds/software-package-version/contract.ts";
import { ROWS as VERSION_ROWS } from "../provider/kinds/software-package-version/decide.ts";
import { softwarePackagePropsSchema } from "../provider/kinds/software-package/schema.ts";
import { softwarePackageVersionPropsSchema } from "../provider/kinds/software-package-version/schema.ts";
import { aliasesOf } from "../provider/engine/members.ts";
import {
  SOFTWARE_PACKAGE,
  SOFTWARE_PACKAGE_PROPERTIES,
  SOFTWARE_PACKAGE_VERSION,
  SOFTWARE_PACKAGE_VERSION_PROPERTIES,
  type Shape,
} from "../api/cloudformation/properties.ts";
import { PASSTHROUGH, run, type CloudFormationType, type ProviderOptions, type Tag } from "./translate.ts";

// CloudFormation's properties are the kinds' members that CloudFormation has a property for: adding a member
// to one and not the other fails tsc. (defaultVersion and status are this package's extensions, below: their
// rows say `cloudFormation: false`.)
type _PackageIsTheRows = Holds<Same<keyof typeof SOFTWARE_PACKAGE_PROPERTIES, CloudFormationMembers<typeof PACKAGE_ROWS>>>;
type _VersionIsTheRows = Holds<Same<keyof typeof SOFTWARE_PACKAGE_VERSION_PROPERTIES, CloudFormationMembers<typeof VERSION_ROWS>>>;

/** This package's extensions: props CloudFormation has no property for, under a CloudFormation-style name. */
const PACKAGE_EXTENSIONS: Shape = { DefaultVersion: "defaultVersion" };
const VERSION_EXTENSIONS: Shape = { Status: "status" };

/** An S3 object, as CloudFormation spells it. */
export interface S3Location {
  Bucket: string;
  Key: string;
  /** The object's version, in a versioned bucket. */
  Version?: string;
}

/** The properties of `AWS::IoT::SoftwarePackage`. */
export interface SoftwarePackageProperties {
  /** The package's name (1–128 letters, digits, `-`, `_`, `.`). @default `${app}-${stage}-${id}`, as the main API's `packageName` */
  PackageName?: string;
  /** What the package holds (at most 1024 characters). Updated in place. */
  Description?: string;
  /** Tags, updated in place. A `{ key: value }` object is accepted too. */
  Tags?: Tag[] | Record<string, string>;
}

export interface SoftwarePackageProps extends SoftwarePackageProperties, ProviderOptions {
  /**
   * This package's extension (CloudFormation has no property for it): the
   * name of the package's default version, a PUBLISHED version. Removing it
   * unsets the default, as with the main API's `defaultVersion`.
   * @default no default version
   */
  DefaultVersion?: string;
}

/** The properties of `AWS::IoT::SoftwarePackageVersion`. */
export interface SoftwarePackageVersionProperties {
  /**
   * The package's name; a SoftwarePackage output is accepted too (as
   * `!Ref` would give its name), and then the version also knows whether it
   * is the package's default version.
   */
  PackageName: string | { packageName: string; defaultVersion?: string };
  /** The version's name (1–64 letters, digits, `-`, `_`, `.`). @default the resource id */
  VersionName?: string;
  /** What the version holds (at most 1024 characters). Updated in place. */
  Description?: string;
  /** Metadata that job documents read (`${aws:iot:package:...:attributes:<name>}`). Changes only while DRAFT. */
  Attributes?: Record<string, string>;
  /** Where the version's files are. Changes only while DRAFT. */
  Artifact?: { S3Location: S3Location };
  /** An inline job document for a quick deployment; may be an `alchemy.secret(...)`. Changes only while DRAFT. */
  Recipe?: string | Secret<string>;
  /** The software bill of materials in S3 (associated and disassociated in place). */
  Sbom?: { S3Location: S3Location };
  /** Tags, updated in place. A `{ key: value }` object is accepted too. */
  Tags?: Tag[] | Record<string, string>;
}

export interface SoftwarePackageVersionProps extends SoftwarePackageVersionProperties, ProviderOptions {
  /**
   * This package's extension (CloudFormation has no property for it): the
   * status the deploy brings the version to, publishing (`"PUBLISHED"`) or
   * deprecating (`"DEPRECATED"`) it. Its default is `"DRAFT"`, what
   * CloudFormation leaves, **unlike the main API's `"PUBLISHED"`**: a job
   * installs only a published version, so publishing is written down here.
   * @default "DRAFT"
   */
  Status?: PackageVersionStatus;
}

/** A deployed software package: the main API's output, plus CloudFormation's attribute names. */
export interface SoftwarePackage extends CoreSoftwarePackageOutput {
  /** `Fn::GetAtt PackageArn`. */
  PackageArn: string;
  /** `Ref`. */
  PackageName: string;
}

/** A deployed package version: the main API's output, plus CloudFormation's attribute names. */
export interface SoftwarePackageVersion extends CoreSoftwarePackageVersionOutput {
  /** `Fn::GetAtt PackageVersionArn`. */
  PackageVersionArn: string;
  /** `Fn::GetAtt Status`. */
  Status: PackageVersionStatus;
  /** The package's name (`Ref` gives `PackageName|VersionName`). */
  PackageName: string;
  /** The version's name. */
  VersionName: string;
}

const PACKAGE_TYPE: CloudFormationType = {
  shape: { ...SOFTWARE_PACKAGE, ...PACKAGE_EXTENSIONS },
  schema: softwarePackagePropsSchema,
  aliases: aliasesOf(PACKAGE_ROWS),
  passthrough: PASSTHROUGH,
};

const VERSION_TYPE: CloudFormationType = {
  shape: { ...SOFTWARE_PACKAGE_VERSION, ...VERSION_EXTENSIONS },
  schema: softwarePackageVersionPropsSchema,
  aliases: aliasesOf(VERSION_ROWS),
  passthrough: PASSTHROUGH,
  adjust(apiProps) {
    // What CloudFormation leaves: a draft.
    apiProps.status ??= "DRAFT";
  },
};

/**
 * An AWS IoT software package declared with the properties of
 * `AWS::IoT::SoftwarePackage`. The same resource as the main API's
 * SoftwarePackage (same state, lifecycle and checks); errors name
 * CloudFormation paths. `DefaultVersion` is this package's extension.
 *
 * @example
 * import { SoftwarePackage, SoftwarePackageVersion } from "alchemy-iot-jobs/cloudformation";
 *
 * const firmware = await SoftwarePackage("firmware", {
 *   PackageName: "th200-firmware",
 *   Description: "TH-200 thermostat firmware",
 *   Tags: [{ Key: "team", Value: "firmware" }],
 * });
 * firmware.PackageArn; // also firmware.packageArn
 */
export function SoftwarePackage(id: string, props: SoftwarePackageProps = {}): Promise<SoftwarePackage> {
  return run(
    PACKAGE_TYPE,
    `SoftwarePackage "${id}"`,
    props,
    (apiProps) => CoreSoftwarePackage(id, apiProps as unknown as CoreSoftwarePackageProps),
    (out) => ({ ...out, PackageArn: out.packageArn, PackageName: out.packageName }),
  );
}

/**
 * A version of a software package declared with the properties of
 * `AWS::IoT::SoftwarePackageVersion`. The same resource as the main API's
 * SoftwarePackageVersion (same state, lifecycle and checks); errors name
 * CloudFormation paths.
 *
 * CloudFormation creates every version as a draft and cannot publish one, so
 * `Status` (this package's extension) defaults to `"DRAFT"` here, unlike the
 * main API's `"PUBLISHED"`. Set `Status: "PUBLISHED"` to publish the version
 * as code (a job installs only a published version).
 *
 * @example
 * const v110 = await SoftwarePackageVersion("v110", {
 *   PackageName: firmware.PackageName,
 *   VersionName: "1.1.0",
 *   Attributes: { "min-hw": "2" },
 *   Artifact: { S3Location: { Bucket: "firmware-builds", Key: "th200/1.1.0.bin" } },
 *   Status: "PUBLISHED",
 * });
 * v110.PackageVersionArn; // for a job's DestinationPackageVersions (or pass v110 itself)
 */
export function SoftwarePackageVersion(id: string, props: SoftwarePackageVersionProps): Promise<SoftwarePackageVersion> {
  return run(
    VERSION_TYPE,
    `SoftwarePackageVersion "${id}"`,
    props,
    (apiProps) => CoreSoftwarePackageVersion(id, apiProps as unknown as CoreSoftwarePackageVersionProps),
    (out) => ({
      ...out,
      PackageVersionArn: out.packageVersionArn,
      Status: out.status,
      PackageName: out.packageName,
      VersionName: out.versionName,
    }),
  );
}
