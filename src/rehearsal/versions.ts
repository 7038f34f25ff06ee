/**
 * Software package versions in a rehearsal.
 *
 * - Versions a job or template names by ARN without declaring them (they
 *   usually exist in the real account) are made on the rehearsal's endpoint,
 *   PUBLISHED, and the job names those; the notes say so. A rehearsal never
 *   reads the real catalog, so it cannot know their real status: a deploy
 *   (or a preview with --refresh) checks it.
 * - The endpoint's package configuration is enabled (unless the program
 *   declares one), so that a succeeded execution records the versions on the
 *   device's `$package` reserved named shadow, as AWS does; the report counts,
 *   per package, how many devices end on each version.
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import {
  CreatePackageCommand,
  CreatePackageVersionCommand,
  GetPackageCommand,
  GetPackageVersionCommand,
  UpdatePackageCommand,
  UpdatePackageVersionCommand,
} from "../provider/iot-sdk.ts";
import { ifFound } from "../provider/common.ts";
import { parseVersionArn } from "../provider/kinds/package-versions.ts";
import type { LocalIoT } from "../local/index.ts";

/** The version name a rehearsal gives a package's default when the program names `$default` of a package it does not declare. */
const REHEARSAL_DEFAULT = "rehearsal-default";

async function ensureVersion(client: IoTClient, packageName: string, versionName: string): Promise<boolean> {
  let made = false;
  if (!(await ifFound(client.send(new GetPackageCommand({ packageName }))))) {
    await client.send(new CreatePackageCommand({ packageName }));
    made = true;
  }
  if (versionName === "$null") return made;
  const name = versionName === "$default" ? REHEARSAL_DEFAULT : versionName;
  if (versionName === "$default" && (await client.send(new GetPackageCommand({ packageName }))).defaultVersionName) return made;
  if (!(await ifFound(client.send(new GetPackageVersionCommand({ packageName, versionName: name }))))) {
    await client.send(new CreatePackageVersionCommand({ packageName, versionName: name }));
    await client.send(new UpdatePackageVersionCommand({ packageName, versionName: name, action: "PUBLISH" }));
    made = true;
  }
  if (versionName === "$default") await client.send(new UpdatePackageCommand({ packageName, defaultVersionName: name }));
  return made;
}

/**
 * The props of a Job or JobTemplate with the versions it names by ARN made
 * on the rehearsal's endpoint (`arnOf` gives the endpoint's ARN of a
 * resource) and named there; notes what was made.
 */
export async function localVersions(
  client: IoTClient,
  arnOf: (resource: string) => string,
  props: Record<string, unknown>,
  notes: string[],
): Promise<Record<string, unknown>> {
  const list = props?.destinationPackageVersions;
  if (!Array.isArray(list)) return props;
  const versions: unknown[] = [];
  for (const entry of list) {
    const p = typeof entry === "string" ? parseVersionArn(entry) : undefined;
    if (!p) {
      versions.push(entry);
      continue;
    }
    if (await ensureVersion(client, p.packageName, p.versionName)) {
      const note = `package version ${p.packageName} ${p.versionName} (${entry}) is not declared by the program: the rehearsal made it on its own endpoint, PUBLISHED (a deploy checks its real status)`;
      if (!notes.includes(note)) notes.push(note);
    }
    versions.push(arnOf(`package/${p.packageName}/version/${p.versionName}`));
  }
  return { ...props, destinationPackageVersions: versions };
}

/** Per package: how many devices end on each version; "(none)" for devices without the package. */
export type VersionCounts = Record<string, Record<string, number>>;

/**
 * How many devices end on each version of the packages the job installs
 * (`installs`: its destinationPackageVersions as DescribeJob answers them):
 * a device whose execution SUCCEEDED has the job's version ($null: none);
 * any other keeps what it had, which `before(thing)` answers from its
 * `$package` shadow as it was before the job (package name -> version name;
 * a simulated device has none unless the program gave it one).
 */
export function versionCounts(
  installs: readonly string[],
  devices: ReadonlyArray<{ thing: string; status: string }>,
  before: (thingName: string) => Record<string, string>,
): VersionCounts {
  const target = new Map<string, string>();
  for (const arn of installs) {
    const p = parseVersionArn(arn);
    if (p) target.set(p.packageName, p.versionName === "$null" ? "(none)" : p.versionName);
  }
  const counts: VersionCounts = {};
  for (const pkg of [...target.keys()].sort()) counts[pkg] = {};
  for (const { thing, status } of devices) {
    const had = before(thing);
    for (const [pkg, version] of target) {
      const ends = status === "SUCCEEDED" ? version : (had[pkg] ?? "(none)");
      counts[pkg][ends] = (counts[pkg][ends] ?? 0) + 1;
    }
  }
  return counts;
}

/** The versions a thing's `$package` shadow records on the rehearsal's endpoint (none: `{}`). */
export function installedVersions(local: LocalIoT, thingName: string): Record<string, string> {
  return local.world.installedPackageVersions(thingName);
}
