/**
 * The guards of a package's default version: conditions the UpdatePackage
 * calls of a SoftwarePackage and its SoftwarePackageVersions depend on,
 * planned by their decisions (so the preview shows them) and checked here
 * when the call is due. A check reads one resource, then sends the call as
 * planned or skips it; it never changes the call's input.
 *
 * UpdatePackage names only a PUBLISHED version as the default (developer
 * guide, preparing-to-use-software-package-catalog: a version is made the
 * default while it is published), and DeletePackageVersion refuses the
 * default version until UpdatePackage unsets it (API reference: DeletePackageVersion).
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import { GetPackageCommand, GetPackageVersionCommand } from "../../iot-sdk.ts";
import { ifFound } from "../../common.ts";
import { GONE, registerGuard, send, SKIPPED, type ExecuteContext, type Executed } from "../../engine/execute.ts";
import type { Guard, Operation } from "../../engine/operations.ts";

/** The package's UpdatePackage that names `versionName` its default: sent when that version is PUBLISHED by then. */
export const whenPublished = (packageName: string, versionName: string): Guard => ({
  kind: "package-default-published",
  text: `skipped unless version ${versionName} is PUBLISHED when the call is due (else the SoftwarePackageVersion that declares it, with this package as its package, makes it the default once it publishes it)`,
  packageName,
  versionName,
});

/** A version's UpdatePackage (unsetDefaultVersion) before its deletion: only while the package names it its default. */
export const whileDefault = (packageName: string, versionName: string): Guard => ({
  kind: "package-default-is",
  text: `skipped unless the package's default version is ${versionName} (DeletePackageVersion refuses the default version)`,
  packageName,
  versionName,
});

/** A version's UpdatePackage that names it the default, right after publishing it: unless the package names it already. */
export const unlessDefault = (packageName: string, versionName: string): Guard => ({
  kind: "package-default-is-not",
  text: `skipped if the package names ${versionName} its default already`,
  packageName,
  versionName,
});

const detailsOf = (operation: Operation) => operation.guard as Guard & { packageName: string; versionName: string };

const defaultOf = async (client: IoTClient, packageName: string) =>
  ifFound(client.send(new GetPackageCommand({ packageName }))).then((p) => (p ? { name: p.defaultVersionName } : undefined));

function skip(ctx: ExecuteContext, done: Executed, operation: Operation, reason: string): typeof SKIPPED {
  done.skipped.push({ operation, reason });
  ctx.log(`${ctx.label}: ${operation.op} skipped: ${reason}`);
  return SKIPPED;
}

async function defaultPublished(ctx: ExecuteContext, operation: Operation, done: Executed): Promise<unknown> {
  const { packageName, versionName } = detailsOf(operation);
  const version = await ifFound(ctx.client.send(new GetPackageVersionCommand({ packageName, versionName })));
  if (version?.status === "PUBLISHED") return send(ctx, operation);
  const state = version ? `is ${version.status}` : "does not exist yet";
  return skip(
    ctx,
    done,
    operation,
    `version ${versionName} ${state}; the SoftwarePackageVersion that declares it (with this package as its package) makes it the default once it publishes it`,
  );
}

async function defaultIs(ctx: ExecuteContext, operation: Operation, done: Executed): Promise<unknown> {
  const { packageName, versionName } = detailsOf(operation);
  const current = await defaultOf(ctx.client, packageName);
  // The package is gone, and its versions with it: nothing is left to delete.
  if (!current) return GONE;
  if (current.name === versionName) return send(ctx, operation);
  done.skipped.push({ operation, reason: `the package's default version is ${current.name ?? "not set"}` });
  return SKIPPED;
}

async function defaultIsNot(ctx: ExecuteContext, operation: Operation, done: Executed): Promise<unknown> {
  const { packageName, versionName } = detailsOf(operation);
  const current = await defaultOf(ctx.client, packageName);
  if (current?.name !== versionName) return send(ctx, operation);
  done.skipped.push({ operation, reason: `the package names ${versionName} its default already` });
  return SKIPPED;
}

registerGuard("package-default-published", defaultPublished);
registerGuard("package-default-is", defaultIs);
registerGuard("package-default-is-not", defaultIsNot);
