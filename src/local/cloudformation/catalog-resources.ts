/**
 * The Software Package Catalog's CloudFormation types:
 * `AWS::IoT::SoftwarePackage` (PackageName, Description, Tags; Ref: the
 * package name; Fn::GetAtt: PackageArn) and `AWS::IoT::SoftwarePackageVersion`
 * (PackageName, VersionName, Description, Attributes, Artifact, Recipe, Sbom,
 * Tags; Ref: `PackageName|VersionName`, CloudFormation's form for a resource
 * identified by two properties; Fn::GetAtt: PackageVersionArn, Status,
 * ErrorReason). As CloudFormation does, a version is created DRAFT
 * ("Package versions are created in a draft state", template reference):
 * publishing it is UpdatePackageVersion's. Created and deleted through the
 * same code as the IoT API, so every API check applies.
 */
import { randomUUID } from "node:crypto";
import { fromCloudFormation, type Shape } from "../../api/cloudformation/properties.ts";
import { deletePackage } from "../account/packages.ts";
import { deletePackageVersion } from "../account/package-versions.ts";
import { asModeled, IoTError } from "../errors.ts";
import * as packages from "../operations/packages.ts";
import type { JsonObject } from "../state/store.ts";
import type { World } from "../state/world.ts";
import type { ResolveContext } from "./intrinsics.ts";
import type { ResourceDecl } from "./parser.ts";
import { fail } from "./types.ts";

const S3_LOCATION: Shape = { Bucket: "bucket", Key: "key", Version: "version" };
const SOFTWARE_PACKAGE: Shape = { PackageName: "packageName", Description: "description", Tags: ["tags", "tags"] };
const SOFTWARE_PACKAGE_VERSION: Shape = {
  PackageName: "packageName",
  VersionName: "versionName",
  Description: "description",
  Attributes: ["attributes", "map"],
  Artifact: ["artifact", { S3Location: ["s3Location", S3_LOCATION] }],
  Recipe: "recipe",
  Sbom: ["sbom", { S3Location: ["s3Location", S3_LOCATION] }],
  Tags: ["tags", "tags"],
};

interface Created {
  physicalId: string;
  arn: string;
  attributes: Record<string, string>;
}

function translate(shape: Shape, props: Record<string, unknown>): Record<string, unknown> {
  const { props: out, issues } = fromCloudFormation(shape, props);
  if (issues.length > 0) fail(`Properties validation failed: ${issues.map((i) => i.message).join("; ")}`);
  return out;
}

/** Runs an API handler as the operation would answer it over HTTP (ValidationException for a bad value). */
function call<T>(operation: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw error instanceof IoTError ? asModeled(operation, error) : error;
  }
}

/** A name CloudFormation would generate: `{stack}-{logicalId}-{12 characters}`, cut to `max`. */
function generatedName(ctx: ResolveContext, logicalId: string, max: number): string {
  const suffix = randomUUID().replace(/-/g, "").slice(0, 12).toUpperCase();
  return `${ctx.stackName}-${logicalId}`.slice(0, max - 13) + `-${suffix}`;
}

function nameOf(props: Record<string, unknown>, apiKey: string, cfnKey: string): string | undefined {
  const value = props[apiKey];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") return fail(`Properties validation failed: #/${cfnKey}: expected type: String`);
  return value;
}

/** The stack's tags, then the resource's own (which win), as the API's tag map. */
function withStackTags(props: Record<string, unknown>, stackTags: Record<string, string>): void {
  const merged = { ...stackTags, ...((props.tags as Record<string, string> | undefined) ?? {}) };
  if (Object.keys(merged).length === 0) delete props.tags;
  else props.tags = merged;
}

export const CATALOG_HANDLERS = {
  "AWS::IoT::SoftwarePackage": {
    taggable: true,
    create(
      world: World,
      decl: ResourceDecl,
      properties: Record<string, unknown>,
      stackTags: Record<string, string>,
      ctx: ResolveContext,
    ): Created {
      const props = translate(SOFTWARE_PACKAGE, properties);
      const packageName = nameOf(props, "packageName", "PackageName") ?? generatedName(ctx, decl.logicalId, 128);
      delete props.packageName;
      withStackTags(props, stackTags);
      const out = call("CreatePackage", () =>
        packages.createPackage(world, { params: { packageName }, query: {}, body: props as JsonObject })!,
      );
      const arn = String(out.packageArn);
      return { physicalId: packageName, arn, attributes: { PackageArn: arn } };
    },
    remove(world: World, id: string): void {
      call("DeletePackage", () => deletePackage(world, { packageName: id }));
    },
  },
  "AWS::IoT::SoftwarePackageVersion": {
    taggable: true,
    create(
      world: World,
      decl: ResourceDecl,
      properties: Record<string, unknown>,
      stackTags: Record<string, string>,
      ctx: ResolveContext,
    ): Created {
      const props = translate(SOFTWARE_PACKAGE_VERSION, properties);
      const packageName = nameOf(props, "packageName", "PackageName");
      if (packageName === undefined) fail("Properties validation failed: #: required key [PackageName] not found");
      const versionName = nameOf(props, "versionName", "VersionName") ?? generatedName(ctx, decl.logicalId, 64);
      const sbom = props.sbom;
      delete props.packageName;
      delete props.versionName;
      delete props.sbom;
      withStackTags(props, stackTags);
      const params = { packageName: packageName!, versionName };
      call("CreatePackageVersion", () => packages.createPackageVersion(world, { params, query: {}, body: props as JsonObject }));
      if (sbom !== undefined) {
        call("AssociateSbomWithPackageVersion", () =>
          packages.associateSbomWithPackageVersion(world, { params, query: {}, body: { sbom } as JsonObject }),
        );
      }
      const view = packages.versionView(world.tables.packageVersions.get(`${packageName}/${versionName}`)!);
      const arn = String(view.packageVersionArn);
      return {
        physicalId: `${packageName}|${versionName}`,
        arn,
        attributes: { PackageVersionArn: arn, Status: String(view.status), ErrorReason: "" },
      };
    },
    remove(world: World, id: string): void {
      const [packageName, versionName] = id.split("|");
      call("DeletePackageVersion", () => deletePackageVersion(world, { packageName, versionName }));
    },
  },
};
