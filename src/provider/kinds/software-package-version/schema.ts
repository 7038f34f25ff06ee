/**
 * SoftwarePackageVersion's props as a zod schema, and the rules between its
 * props and its package that the schema cannot see (its default versionName
 * is the resource id).
 */
import { z } from "zod";
import { checkString, ENUMS, GUIDE, STRINGS, utf8Length } from "../../../api/constraints.ts";
import { clientPropsShape, tagsSchema } from "../../schemas.ts";
import { isUnknown } from "../../unknown.ts";
import { oneOf, reference, secretAllowed, showValue, str, strict, withSecretPolicy, type ValidationIssue } from "../../validate.ts";
import { CATALOG_ADVICE, catalogDescriptionSchema, catalogNames, packageNameSchema, s3LocationSchema } from "../software-package/schema.ts";

/** A version's attributes: names `[a-zA-Z0-9:_-]+`, values not empty, at most 3 KB together (API reference: CreatePackageVersion). */
const attributesSchema = z.record(z.string(), z.string()).superRefine((attrs, ctx) => {
  let bytes = 0;
  for (const [k, v] of Object.entries(attrs)) {
    const kp = checkString(k, STRINGS.packageAttributeName);
    if (kp) ctx.addIssue({ code: "custom", path: [k], message: `attribute name ${kp}` });
    if (typeof v !== "string" || isUnknown(v)) continue;
    const vp = checkString(v, STRINGS.packageAttributeValue);
    if (vp) ctx.addIssue({ code: "custom", path: [k], message: `attribute value ${vp}` });
    bytes += utf8Length(k) + utf8Length(v);
  }
  if (bytes > GUIDE.packageVersionAttributes.maxBytes) {
    ctx.addIssue({
      code: "custom",
      message: `are ${bytes} bytes together (names and values); a version's attributes are at most ${GUIDE.packageVersionAttributes.maxBytes} bytes (3 KB)`,
    });
  }
});

/** The package: a name, or the SoftwarePackage (its name and default version are read; its other props are not sent). */
const packageSchema = z.union([
  packageNameSchema,
  reference(z.object({ packageName: packageNameSchema, defaultVersion: z.string().optional() }).passthrough(), [
    "packageName",
    "defaultVersion",
  ]),
]);

const versionProps = strict(
  {
    ...clientPropsShape,
    package: packageSchema,
    versionName: str(STRINGS.versionName).optional(),
    description: catalogDescriptionSchema.optional(),
    attributes: attributesSchema.optional(),
    artifact: strict({ s3Location: s3LocationSchema }).optional(),
    // An inline job document: devices receive it, so a secret may go there (encrypted in state, masked in plans).
    recipe: secretAllowed(str(STRINGS.packageRecipe)).optional(),
    sbom: strict({ s3Location: s3LocationSchema }).optional(),
    tags: tagsSchema.optional(),
    status: oneOf(ENUMS.packageVersionStatus).optional(),
    adopt: z.boolean().optional(),
    overrideCloudFormationStack: z.boolean().optional(),
  },
  {
    packageName: "the prop is package: a SoftwarePackage of the program, or a package name",
    name: "the name prop is versionName",
    action: 'give the status to reach: status: "PUBLISHED" or "DEPRECATED"; the deploy sends PUBLISH and DEPRECATE',
    defaultVersion: "the default version is the package's: set defaultVersion on the SoftwarePackage",
  },
);

export const softwarePackageVersionPropsSchema = withSecretPolicy(versionProps, {
  describe: "GetPackageVersion",
  advice: CATALOG_ADVICE,
  rules: {
    package: catalogNames("package", "software package"),
    versionName: catalogNames("versionName", "package version"),
    attributes:
      "IoT returns a version's attributes in clear to anyone who can call GetPackageVersion, and substitutes them into the job documents that name them",
  },
});

/** The version's name: versionName, else the resource id. */
export const versionNameOf = (id: string, props: { versionName?: string }) => props.versionName ?? id;

/** The package's name, and its default version when the package is the program's resource. */
export function packageOf(pkg: unknown): { name: string; defaultVersion?: string; resource: boolean } {
  if (typeof pkg === "string") return { name: pkg, resource: false };
  const p = (pkg ?? {}) as { packageName?: string; defaultVersion?: string };
  return {
    name: String(p.packageName ?? ""),
    ...(typeof p.defaultVersion === "string" ? { defaultVersion: p.defaultVersion } : {}),
    resource: true,
  };
}

/**
 * The rules the schema cannot check: a versionName taken from the resource
 * id must be a version name, and the package's default version is PUBLISHED.
 */
export function versionIssues(id: string, view: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const name = versionNameOf(id, view as { versionName?: string });
  if (view.versionName === undefined) {
    const broken = checkString(id, STRINGS.versionName);
    if (broken)
      issues.push({
        path: "versionName",
        message: `versionName: the resource id ${showValue(id)}, its default, ${broken}; set versionName (e.g. "1.1.0")`,
      });
  }
  const pkg = packageOf(view.package);
  const status = (view.status as string | undefined) ?? "PUBLISHED";
  if (pkg.defaultVersion !== undefined && pkg.defaultVersion === name && status !== "PUBLISHED") {
    issues.push({
      path: "status",
      message: `status: ${showValue(status)}: package ${pkg.name} names version ${name} its defaultVersion, and the provider makes only a PUBLISHED version a package's default (IoT refuses a DRAFT one; a DEPRECATED default would have jobs that install the package's $default install a version you retired); publish it, or name another defaultVersion on the package`,
    });
  }
  return issues;
}
