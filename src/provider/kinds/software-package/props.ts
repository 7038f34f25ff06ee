/** The props and output of SoftwarePackage (its behaviour is in contract.ts). */
import type { IoTClientProps } from "../../location.ts";
import type { Deployed } from "../deployed.ts";

/** Properties of an AWS IoT software package: a named set of versions in the software package catalog. */
export interface SoftwarePackageProps extends IoTClientProps {
  /**
   * The package's name (1–128 letters, digits, `-`, `_`, `.`). Changing it
   * replaces the package (and its versions, which belong to it).
   * @default `${app}-${stage}-${id}`
   * @example "thermostat-firmware"
   */
  packageName?: string;

  /**
   * What the package holds (at most 1024 characters, no control
   * characters). Changing it updates the package in place (UpdatePackage);
   * removing it clears it.
   * @default no description
   * @example "Firmware of the TH-200 thermostat"
   */
  description?: string;

  /**
   * The name of the package's default version: a PUBLISHED version, which
   * jobs install when they name the package's `$default` version. Changing
   * it updates the package in place (UpdatePackage) when that version is
   * PUBLISHED already; a version declared in the program (with this package
   * as its `package`) and not published yet is made the default by its own
   * deploy, right after it is published. A version that neither exists nor
   * is declared is refused before any call; so is one declared DRAFT or
   * DEPRECATED. Removing it unsets the default (UpdatePackage unsetDefaultVersion).
   * @default no default version
   * @example "1.1.0"
   */
  defaultVersion?: string;

  /**
   * Tags, updated in place (TagResource / UntagResource). The provider adds
   * `alchemy_app`, `alchemy_stage` and `alchemy_resource` to recognise its own packages.
   * @default no tags
   * @example { team: "firmware" }
   */
  tags?: Record<string, string>;

  /**
   * Take over an existing package of the same name that this resource did
   * not create. Its description, default version and tags are then brought
   * to the props; ownership tags are not added.
   * @default the `--adopt` flag of the deploy
   * @example true
   */
  adopt?: boolean;

  /**
   * Act on the package even though a CloudFormation stack still manages it
   * (its `aws:cloudformation:*` tags name a stack that lists it).
   * @default false
   * @example true
   */
  overrideCloudFormationStack?: boolean;
}

/** A deployed software package. Pass it as a SoftwarePackageVersion's `package`. */
export interface SoftwarePackage extends SoftwarePackageProps, Deployed {
  /** The region the package lives in. */
  region: string;
  /** The package's name. */
  packageName: string;
  /** The package's ARN (`arn:aws:iot:<region>:<account>:package/<packageName>`). */
  packageArn: string;
  /** Same as `packageArn`. */
  arn: string;
}
