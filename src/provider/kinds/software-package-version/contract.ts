/**
 * SoftwarePackageVersion: a version of a software package, brought to its
 * declared status (DRAFT, PUBLISHED, DEPRECATED) by the deploy. What may
 * change in place depends on the status (decide.ts); a new name or package
 * replaces it. Its physical id is its ARN's resource: `<package>/version/<versionName>`.
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import { DescribeJobCommand, GetPackageVersionCommand, paginateListJobs } from "../../iot-sdk.ts";
import type { z } from "zod";
import { ifFound, ownershipOf } from "../../common.ts";
import type { Desired, Facts, Kind, Observed, Recorded } from "../../engine/contract.ts";
import { defineResource } from "../../engine/define.ts";
import type { PropMembers } from "../../engine/members.ts";
import type { Holds, Same } from "../../engine/same.ts";
import { isUnknown } from "../../unknown.ts";
import { checkProps, revealForChecks, ValidationError } from "../../validate.ts";
import { arnFor, outputBase, readOwnership, recordedBase, revealed, sealed, type MembersOf, type RecordedOutput } from "../shared.ts";
import { versionId } from "../software-package/contract.ts";
import { decideVersion, deletion, MEMBERS, ROWS, type Settings, type Spec } from "./decide.ts";
import type * as Declared from "./props.ts";
import type { S3Location } from "./props.ts";
import { packageOf, softwarePackageVersionPropsSchema, versionIssues, versionNameOf } from "./schema.ts";

export type SoftwarePackageVersionProps = Declared.SoftwarePackageVersionProps;
export type SoftwarePackageVersion = Declared.SoftwarePackageVersion;
export type { PackageVersionStatus } from "./props.ts";

type _PropsAreTheRows = Holds<Same<MembersOf<SoftwarePackageVersionProps>, PropMembers<typeof ROWS>>>;
type _SchemaIsTheProps = Holds<Same<keyof z.input<typeof softwarePackageVersionPropsSchema>, keyof SoftwarePackageVersionProps>>;

/** The package and version names of a physical id (`<package>/version/<versionName>`). */
function namesOf(id: string): { packageName: string; versionName: string } {
  const at = id.lastIndexOf("/version/");
  return { packageName: id.slice(0, at), versionName: id.slice(at + "/version/".length) };
}

/** Checks the props (schema, then the rules between them); returns them revealed and the secret paths. */
function checked(label: string, id: string, props: object) {
  let result: ReturnType<typeof checkProps>;
  try {
    result = checkProps(label, softwarePackageVersionPropsSchema, props);
  } catch (error) {
    // Every problem at once: the rules between the props too (they read only what they can).
    if (!(error instanceof ValidationError)) throw error;
    const more = versionIssues(id, revealForChecks(props).view as Record<string, unknown>);
    throw more.length > 0 ? new ValidationError(label, [...error.issues, ...more]) : error;
  }
  const issues = versionIssues(id, result.view);
  if (issues.length > 0) throw new ValidationError(label, issues);
  return result;
}

/** The spec and settings from revealed props (or a recorded output's). */
function specOf(view: Record<string, any>, versionName: string): { spec: Spec; settings: Settings } {
  const pkg = packageOf(view.package);
  const spec: Spec = {
    packageVersion: versionId(pkg.name, versionName),
    package: pkg.name,
    versionName,
    attributes: { ...(view.attributes ?? {}) },
    status: view.status ?? "PUBLISHED",
  };
  for (const m of ["description", "artifact", "recipe", "sbom"] as const) if (view[m] !== undefined) spec[m] = structuredClone(view[m]);
  return { spec, settings: { packageDefault: pkg.defaultVersion !== undefined && pkg.defaultVersion === versionName } };
}

/** An S3 location as IoT answers it (every member optional), as the props give it. */
const s3 = (l: { bucket?: string; key?: string; version?: string }): S3Location => ({
  bucket: l.bucket ?? "",
  key: l.key ?? "",
  ...(l.version ? { version: l.version } : {}),
});

/** The jobs IN_PROGRESS that install the version (what its DEPRECATE leaves running). */
async function jobsInstalling(client: IoTClient, arn: string): Promise<string[]> {
  const jobs: string[] = [];
  for await (const page of paginateListJobs({ client }, { status: "IN_PROGRESS" })) {
    for (const summary of page.jobs ?? []) {
      const job = await ifFound(client.send(new DescribeJobCommand({ jobId: summary.jobId! })));
      if (job?.job?.destinationPackageVersions?.includes(arn)) jobs.push(summary.jobId!);
    }
  }
  return jobs;
}

// Sealed: no Secret object in its state or calls, no secret value in its diffs (shared.ts).
const kind: Kind<SoftwarePackageVersionProps, SoftwarePackageVersion, Spec> = sealed({
  type: "iot::SoftwarePackageVersion",
  label: "SoftwarePackageVersion",
  noun: "software package version",
  members: MEMBERS,
  tagged: true,
  idMember: "packageVersion",
  // The Create call answers the version's status (DRAFT): recorded until the deploy has brought it further (answered).
  created: { arn: "packageVersionArn", ids: ["status"] },

  desire(ctx, props, location): Desired<Spec> {
    const result = checked(`SoftwarePackageVersion "${ctx.id}"`, ctx.id, props);
    const view = result.view as Record<string, any>;
    const { spec, settings } = specOf(view, versionNameOf(ctx.id, view));
    return {
      id: spec.packageVersion,
      ownership: ownershipOf(ctx),
      sensitive: result.sensitive,
      state: { location: location.key, region: location.region, spec, tags: { ...(view.tags ?? {}) }, settings },
    };
  },

  recorded(output): Recorded<Spec> | undefined {
    if (!output?.packageVersion || (output as RecordedOutput).absent) return undefined;
    const view = revealed(output);
    const { spec, settings } = specOf(view, output.versionName);
    spec.status = output.status;
    return {
      state: { ...recordedBase(output), spec, settings },
      facts: {
        arn: output.packageVersionArn,
        extra: output.sbomValidationStatus ? { sbomValidationStatus: output.sbomValidationStatus } : {},
      },
      ...(output.cloudFormation ? { stack: output.cloudFormation } : {}),
      ...((output as RecordedOutput).adopted ? { adopted: true } : {}),
    };
  },

  async observe(client, id, desired, recorded): Promise<Observed<Spec> | null> {
    const { packageName, versionName } = namesOf(id);
    const live = await ifFound(client.send(new GetPackageVersionCommand({ packageName, versionName })));
    if (!live) return null;
    const hint = recorded?.state ?? desired?.state;
    const arn = live.packageVersionArn!;
    // The jobs a DEPRECATE would leave running are read only when the program deprecates a published version.
    const deprecating = desired?.state.spec.status === "DEPRECATED" && live.status === "PUBLISHED";
    const [reading, jobs] = await Promise.all([
      readOwnership(client, arn, desired?.ownership),
      deprecating ? jobsInstalling(client, arn) : undefined,
    ]);
    const spec: Spec = {
      packageVersion: id,
      package: packageName,
      versionName,
      attributes: { ...(live.attributes ?? {}) },
      status: live.status as Spec["status"],
    };
    if (live.description) spec.description = live.description;
    if (live.artifact?.s3Location) spec.artifact = { s3Location: s3(live.artifact.s3Location) };
    if (live.recipe) spec.recipe = live.recipe;
    if (live.sbom?.s3Location) spec.sbom = { s3Location: s3(live.sbom.s3Location) };
    const extra: Record<string, unknown> = {};
    if (live.sbomValidationStatus) extra.sbomValidationStatus = live.sbomValidationStatus;
    if (jobs) extra.jobsInProgress = jobs;
    return {
      state: {
        location: hint?.location ?? "",
        region: hint?.region ?? "",
        spec,
        tags: reading.tags,
        // Whether the program's package names it its default is the program's, not IoT's: taken as declared.
        settings: { ...(hint?.settings ?? { packageDefault: false }) },
      },
      facts: { arn, createdAt: live.creationDate, extra },
      ours: reading.ours,
      ...(reading.ownerTag ? { ownerTag: reading.ownerTag } : {}),
      ...(reading.stack ? { stack: reading.stack } : {}),
    };
  },

  decide: decideVersion,

  removal(recorded) {
    const s = recorded.state.spec;
    return { action: "delete", reasons: [], diffs: [], operations: deletion(s), warnings: [], notes: [] };
  },

  /** Its package: declared by the program, or existing. */
  references(desired) {
    const pkg = desired.state.spec.package;
    return pkg && !isUnknown(pkg) ? [{ path: "package", type: "iot::SoftwarePackage", id: pkg }] : [];
  },

  /** What AssociateSbomWithPackageVersion answered; and the deploy brought the version past the DRAFT its Create answered. */
  answered(facts, responses): Facts {
    const extra: Record<string, unknown> = { ...facts.extra };
    delete extra.status;
    const associated = responses.get("AssociateSbomWithPackageVersion") as { sbomValidationStatus?: string } | undefined;
    if (associated) extra.sbomValidationStatus = associated.sbomValidationStatus;
    else if (responses.has("DisassociateSbomFromPackageVersion")) delete extra.sbomValidationStatus;
    return { ...facts, extra };
  },

  predict(desired, location, account) {
    return { arn: arnFor(location, account, "package", desired.id), extra: {} };
  },

  output(props, desired, facts, location, taken): SoftwarePackageVersion {
    const s = desired.state.spec;
    // Recorded right after the Create call (before the next call): the version is DRAFT, and its SBOM not associated yet.
    const interim = facts.extra.status !== undefined;
    const sbomValidationStatus = s.sbom ? (facts.extra.sbomValidationStatus as string | undefined) : undefined;
    return {
      ...props,
      ...(interim ? { sbom: undefined } : {}),
      packageName: s.package,
      versionName: s.versionName,
      packageVersion: desired.id,
      packageVersionArn: facts.arn,
      arn: facts.arn,
      status: (facts.extra.status as Spec["status"] | undefined) ?? s.status,
      attributes: { ...s.attributes },
      ...(sbomValidationStatus ? { sbomValidationStatus: sbomValidationStatus as SoftwarePackageVersion["sbomValidationStatus"] } : {}),
      ...outputBase(location, taken),
    };
  },
});

/**
 * A version of an AWS IoT software package, created DRAFT by IoT and brought
 * by the deploy to its declared status (PUBLISHED by default).
 *
 * @example
 * const firmware = await SoftwarePackage("firmware", { defaultVersion: "1.1.0" });
 * const v110 = await SoftwarePackageVersion("v110", {
 *   package: firmware,
 *   versionName: "1.1.0",
 *   artifact: { s3Location: { bucket: "firmware-builds", key: "th200/1.1.0.bin" } },
 *   attributes: { "min-hw": "2" },
 * });
 * await JobTemplate("install-1-1-0", { description: "Install 1.1.0", document: { operation: "install" }, destinationPackageVersions: [v110] });
 */
export const SoftwarePackageVersion = defineResource(kind, {
  validate(id, props) {
    checked(`SoftwarePackageVersion "${id}"`, id, props ?? {});
  },
  normalize(props) {
    // The package resource: its name and default version (what the version reads of it), so that nothing else of it re-runs the version.
    const pkg = props.package;
    if (!pkg || typeof pkg !== "object") return props;
    return {
      ...props,
      package: { packageName: pkg.packageName, ...(pkg.defaultVersion !== undefined ? { defaultVersion: pkg.defaultVersion } : {}) },
    };
  },
});

export const softwarePackageVersionKind = kind;
