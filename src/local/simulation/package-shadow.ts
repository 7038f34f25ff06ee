/**
 * What AWS IoT Jobs does for the Software Package Catalog when an execution
 * succeeds: if the account's package configuration has
 * `versionUpdateByJobsConfig.enabled` and the job has
 * `destinationPackageVersions`, it updates the thing's reserved named shadow
 * `$package` (API reference, VersionUpdateByJobsConfig: "Jobs updates the
 * thing's reserved named shadow with the package version information up on
 * successful job completion"): `state.reported.<packageName>.version` for each
 * version (`$default` as the package's default version when the job
 * succeeds), and the package removed for a `$null` version ("prompts the AWS
 * IoT Jobs service to remove the existing software package and package
 * version from the device's reserved named shadow",
 * preparing-jobs-for-service-package-catalog).
 *
 * A version deleted since the job was created is skipped (AWS then reports an
 * error of its own, which the endpoint does not emulate), and so is the
 * update if the shadow would exceed its limits.
 */
import { getPackageConfiguration, resolveDestination } from "../account/packages.ts";
import { IoTError } from "../errors.ts";
import { PACKAGE_SHADOW } from "../state/catalog.ts";
import { updateShadow } from "../state/shadows.ts";
import type { ExecutionRecord, JobRecord, JsonObject } from "../state/store.ts";
import type { World } from "../state/world.ts";

export function recordInstalledVersions(world: World, job: JobRecord, execution: ExecutionRecord): void {
  if (!job.destinationPackageVersions?.length) return;
  if (!getPackageConfiguration(world).versionUpdateByJobsConfig.enabled) return;
  const reported: JsonObject = {};
  for (const arn of job.destinationPackageVersions) {
    const destination = resolveDestination(world, arn);
    if (!destination) continue;
    // Only the version: the attributes are the device's to report.
    reported[destination.packageName] = destination.version ? { version: destination.version.versionName } : null;
  }
  if (Object.keys(reported).length === 0) return;
  try {
    updateShadow(world.tables, execution.thingName, PACKAGE_SHADOW, { state: { reported } }, Math.floor(world.nowMs() / 1000));
  } catch (error) {
    if (!(error instanceof IoTError)) throw error;
  }
}
