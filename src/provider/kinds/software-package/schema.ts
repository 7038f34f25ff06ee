/**
 * SoftwarePackage's props as a zod schema, and what the three software
 * package catalog kinds share: names, descriptions, S3 locations and the
 * advice of their secret policies.
 */
import { z } from "zod";
import { STRINGS } from "../../../api/constraints.ts";
import { clientPropsShape, tagsSchema } from "../../schemas.ts";
import { str, strict, withSecretPolicy } from "../../validate.ts";

/** The catalog stores its members in clear: a secret goes nowhere in a package but a version's recipe. */
export const CATALOG_ADVICE = "pass a plain string; a value the devices need belongs in a version's recipe (recipe: alchemy.secret(...))";

/** The advice for a member that names a package or version: the name is in its ARN. */
export const catalogNames = (prop: string, noun: string) =>
  `${prop} names the ${noun}: it is part of its ARN, which IoT returns in clear, every plan and log prints and every job that installs it names`;

/** A package's name (1–128 letters, digits, `-`, `_`, `.`). */
export const packageNameSchema = str(STRINGS.packageName);
/** A version's name (1–64 letters, digits, `-`, `_`, `.`). */
export const versionNameSchema = str(STRINGS.versionName);
/** A package's or version's description (at most 1024 characters, no control characters). */
export const catalogDescriptionSchema = str(STRINGS.packageDescription);

/** An S3 object: where a version's artifact or SBOM is (S3Location). */
export const s3LocationSchema = strict(
  {
    bucket: str(STRINGS.s3Bucket),
    key: str(STRINGS.s3Key),
    version: z.string().optional(),
  },
  { Bucket: "the members are bucket, key and version", Key: "the members are bucket, key and version" },
);

const softwarePackageProps = strict(
  {
    ...clientPropsShape,
    packageName: packageNameSchema.optional(),
    description: catalogDescriptionSchema.optional(),
    defaultVersion: versionNameSchema.optional(),
    tags: tagsSchema.optional(),
    adopt: z.boolean().optional(),
    overrideCloudFormationStack: z.boolean().optional(),
  },
  {
    name: "the name prop is packageName",
    defaultVersionName: 'the prop is defaultVersion: a version name, e.g. defaultVersion: "1.1.0"',
    versions: "declare each version as a SoftwarePackageVersion with package: <this package>",
  },
);

export const softwarePackagePropsSchema = withSecretPolicy(softwarePackageProps, {
  describe: "GetPackage",
  advice: CATALOG_ADVICE,
  rules: {
    packageName: catalogNames("packageName", "software package"),
    defaultVersion: catalogNames("defaultVersion", "package version"),
  },
});
