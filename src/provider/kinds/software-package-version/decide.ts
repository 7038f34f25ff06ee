/**
 * A version's decision: its lifecycle (IoT creates every version DRAFT; the
 * deploy publishes and deprecates it as declared), what may change in place
 * in each status, and the refusals, before any call, of what IoT cannot do
 * (a version never returns to DRAFT; a published version's content is fixed).
 */
import { creationDiffs, listNames, noChange, tagDiffs, type Change } from "../../engine/change.ts";
import type { Before, Desired } from "../../engine/contract.ts";
import { compare, memberTable, type MemberRows, type MemberTable } from "../../engine/members.ts";
import { operation, type Operation } from "../../engine/operations.ts";
import { ownershipTags } from "../../tags.ts";
import { showValue, ValidationError, type ValidationIssue } from "../../validate.ts";
import { describeLocation, moved, replacement } from "../decide.ts";
import { tagOperations } from "../shared.ts";
import { unlessDefault, whileDefault } from "../software-package/guards.ts";
import type { PackageVersionStatus, S3Location } from "./props.ts";

const SOURCE = "API reference: CreatePackageVersion, UpdatePackageVersion";
const DRAFT_ONLY = `${SOURCE}; developer guide: preparing-jobs-for-service-package-catalog (attributes and the artifact location become immutable when a version is published: a published or deprecated version's change is refused before any call)`;
const RECIPE = `${SOURCE}; developer guide: preparing-jobs-for-service-package-catalog (the recipe can be updated while the version is published, being separate from the version's metadata)`;

/** A SoftwarePackageVersion's members, one row each; its props and schema are held to these rows by tsc (contract.ts). */
export const ROWS = {
  package: {
    change: "replace",
    why: "a version belongs to its package for life; the old version is deleted first (its package is being replaced too, as a rule, and IoT deletes a package only once its versions are gone), then the new one is created and published",
    source: SOURCE,
  },
  versionName: {
    change: "replace",
    why: "a version's name is its id, and jobs install it by name; the new version is created (and published) before the old one is deleted",
    source: SOURCE,
  },
  description: { change: "in place", via: "UpdatePackageVersion", source: SOURCE },
  attributes: { change: "in place", via: "UpdatePackageVersion", source: DRAFT_ONLY },
  artifact: { change: "in place", via: "UpdatePackageVersion", source: DRAFT_ONLY },
  recipe: { change: "in place", via: "UpdatePackageVersion", source: RECIPE },
  sbom: {
    change: "in place",
    via: "AssociateSbomWithPackageVersion / DisassociateSbomFromPackageVersion",
    source: "API reference: AssociateSbomWithPackageVersion, DisassociateSbomFromPackageVersion",
  },
  status: {
    cloudFormation: false,
    change: "in place",
    via: "UpdatePackageVersion (action PUBLISH, DEPRECATE)",
    source: `${SOURCE} (action); developer guide: preparing-to-use-software-package-catalog (package version lifecycle; back to DRAFT is refused before any call)`,
  },
  packageDefault: {
    prop: false,
    change: "in place",
    via: "UpdatePackage (defaultVersionName), right after the version is published; for a version published already, the package's own UpdatePackage",
    source: "API reference: UpdatePackage; developer guide: preparing-to-use-software-package-catalog",
  },
  tags: { change: "in place", via: "TagResource / UntagResource", source: "API reference: TagResource, UntagResource" },
} as const satisfies MemberRows;

/** What each change to a SoftwarePackageVersion does. */
export const MEMBERS: MemberTable = memberTable(ROWS);

export type Spec = {
  /** The physical id: `<package>/version/<versionName>` (the ARN's resource). */
  packageVersion: string;
  package: string;
  versionName: string;
  description?: string;
  attributes: Record<string, string>;
  artifact?: { s3Location: S3Location };
  recipe?: string;
  sbom?: { s3Location: S3Location };
  status: PackageVersionStatus;
};

/** Kept in state: whether the package (the program's resource) names this version its default. */
export type Settings = { packageDefault: boolean };

/** Members that change only while the version is DRAFT (the recipe changes in any status). */
const DRAFT_MEMBERS = ["attributes", "artifact"] as const;

/** What a version's calls act on, as plans show it: `<package>/<versionName>`. */
export const subjectOf = (s: Spec) => `${s.package}/${s.versionName}`;

const labelOf = (desired: Desired) => `SoftwarePackageVersion "${desired.ownership.resource.split("/").pop()}"`;
const comparable = (spec: Spec, settings: Record<string, unknown>) => {
  const { packageVersion: _, ...rest } = spec;
  return { ...rest, ...settings };
};

/** One UpdatePackageVersion action. */
const action = (s: Spec, id: string, what: "PUBLISH" | "DEPRECATE") =>
  operation("UpdatePackageVersion", { packageName: s.package, versionName: s.versionName, action: what }, id);

/**
 * The calls from one status to another, in order: PUBLISH (DRAFT or
 * DEPRECATED to PUBLISHED; DRAFT on its way to DEPRECATED), the default
 * version's designation right after it (`designate`), DEPRECATE.
 */
function lifecycle(s: Spec, id: string, from: PackageVersionStatus, designate: Operation | undefined): Operation[] {
  const to = s.status;
  const ops: Operation[] = [];
  if (from !== to && (to === "PUBLISHED" || from === "DRAFT")) ops.push(action(s, id, "PUBLISH"));
  if (designate && to === "PUBLISHED") ops.push(designate);
  if (to === "DEPRECATED" && from !== "DEPRECATED") ops.push(action(s, id, "DEPRECATE"));
  return ops;
}

const designation = (s: Spec, guarded: boolean) =>
  operation(
    "UpdatePackage",
    { packageName: s.package, defaultVersionName: s.versionName },
    s.package,
    guarded ? { guard: unlessDefault(s.package, s.versionName) } : {},
  );

const associate = (s: Spec, id: string) =>
  operation("AssociateSbomWithPackageVersion", { packageName: s.package, versionName: s.versionName, sbom: s.sbom! }, id);

/** Every call that creates the version and brings it to its declared status. */
function creation(desired: Desired<Spec>): Operation[] {
  const s = desired.state.spec;
  const create = operation(
    "CreatePackageVersion",
    {
      packageName: s.package,
      versionName: s.versionName,
      description: s.description,
      attributes: Object.keys(s.attributes).length > 0 ? s.attributes : undefined,
      artifact: s.artifact,
      recipe: s.recipe,
      tags: { ...desired.state.tags, ...ownershipTags(desired.ownership) },
    },
    subjectOf(s),
  );
  const designate = (desired.state.settings as Settings).packageDefault ? designation(s, false) : undefined;
  return [create, ...(s.sbom ? [associate(s, subjectOf(s))] : []), ...lifecycle(s, subjectOf(s), "DRAFT", designate)];
}

/** The calls that delete a version: the package's default designation removed first (DeletePackageVersion refuses the default). */
export function deletion(s: Spec): Operation[] {
  const id = subjectOf(s);
  return [
    operation("UpdatePackage", { packageName: s.package, unsetDefaultVersion: true }, s.package, {
      guard: whileDefault(s.package, s.versionName),
    }),
    operation("DeletePackageVersion", { packageName: s.package, versionName: s.versionName }, id),
  ];
}

/** What deprecating the version does to jobs that install it (the jobs are known when the version was read: --refresh, --force). */
function deprecation(s: Spec, before: Before<Spec>): { warnings: string[]; notes: string[] } {
  const what = `version ${s.versionName} of package ${s.package}`;
  const jobs = before.live ? (before.facts.extra.jobsInProgress as string[] | undefined) : undefined;
  const effect = "AWS lets those jobs continue, and the devices they have not reached yet still install this version";
  if (jobs === undefined)
    return { warnings: [], notes: [`DEPRECATE: jobs IN_PROGRESS that install ${what} are listed with --refresh; ${effect}`] };
  if (jobs.length === 0) return { warnings: [], notes: [`DEPRECATE: no job IN_PROGRESS installs ${what}`] };
  return {
    warnings: [
      `DEPRECATE: job${jobs.length === 1 ? "" : "s"} ${listNames(jobs)} IN_PROGRESS install${jobs.length === 1 ? "s" : ""} ${what}; ${effect}`,
    ],
    notes: [],
  };
}

/** Changes IoT cannot make to this version, refused before any call. */
function refusals(b: Spec, s: Spec, changed: string[], desired: Desired): ValidationIssue[] {
  const what = `version ${s.versionName} of package ${s.package} is ${b.status}`;
  const issues: ValidationIssue[] = [];
  if (s.status === "DRAFT" && b.status !== "DRAFT") {
    issues.push({
      path: "status",
      message: `status: "DRAFT": ${what}, and a version never returns to DRAFT (UpdatePackageVersion only publishes and deprecates); declare a new versionName for a new draft`,
    });
  }
  for (const m of DRAFT_MEMBERS.filter((m) => changed.includes(m))) {
    const shown = desired.sensitive.has(m) ? "(sensitive)" : showValue(s[m]);
    if (b.status !== "DRAFT") {
      issues.push({
        path: m,
        message: `${m}: ${shown}: ${what}; a published or deprecated version's attributes and artifact are fixed (IoT changes them only while it is DRAFT), and jobs in flight name the version; declare a new versionName`,
      });
    } else if (m === "artifact" && s.artifact === undefined) {
      issues.push({
        path: m,
        message: `${m}: undefined: UpdatePackageVersion replaces a version's artifact but cannot remove it; declare a new versionName, or keep an artifact`,
      });
    }
  }
  return issues;
}

export function decideVersion(before: Before<Spec> | undefined, desired: Desired<Spec>): Change {
  const s = desired.state.spec;
  const id = subjectOf(s);
  const settings = desired.state.settings as Settings;
  if (!before) {
    return {
      ...noChange(),
      action: "create",
      diffs: creationDiffs({ ...comparable(s, settings) }, desired.state.tags),
      operations: creation(desired),
      notes: [`IoT creates the version DRAFT; the deploy then brings it to ${s.status}`],
    };
  }
  const b = before.state.spec;
  const bSettings = before.state.settings as Partial<Settings>;
  const { diffs, replaced } = compare(MEMBERS, comparable(b, bSettings), comparable(s, settings));
  diffs.push(...tagDiffs(before.state.tags, desired.state.tags));
  const movedAway = moved(before.state, desired.state);
  if (movedAway || replaced.length > 0) {
    const reasons = [
      ...(movedAway ? [`the version moves from ${describeLocation(before.state)} to ${describeLocation(desired.state)}`] : []),
      ...replaced.map((r) => r.reason),
    ];
    // In another package (or place): the old version goes first, so that the old package (replaced before it, and
    // deleted at the end of the deploy) is empty by then. Only a new versionName keeps the old version until the new one is published.
    const createFirst = !movedAway && b.package === s.package;
    return { ...noChange(), ...replacement(createFirst, creation(desired), deletion(b)), reasons, diffs };
  }
  if (diffs.length === 0) return noChange();
  const changed = [...new Set(diffs.map((d) => d.path.split(/[.[]/)[0]))];
  const issues = refusals(b, s, changed, desired);
  if (issues.length > 0) throw new ValidationError(labelOf(desired), issues);

  const operations: Operation[] = [];
  const content = (["description", "recipe", ...DRAFT_MEMBERS] as const).filter((m) => changed.includes(m));
  if (content.length > 0) {
    const input: Record<string, unknown> = { packageName: s.package, versionName: s.versionName };
    // An empty description or recipe is IoT's way of clearing it.
    for (const m of content) input[m] = m === "description" || m === "recipe" ? (s[m] ?? "") : s[m];
    operations.push(operation("UpdatePackageVersion", input as never, id));
  }
  if (changed.includes("sbom")) {
    operations.push(
      s.sbom
        ? associate(s, id)
        : operation("DisassociateSbomFromPackageVersion", { packageName: s.package, versionName: s.versionName }, id),
    );
  }
  // Published in this deploy, and the package's default: the version names itself the default (the package could not: it was not published yet).
  const designate = settings.packageDefault && b.status !== "PUBLISHED" ? designation(s, true) : undefined;
  operations.push(...lifecycle(s, id, b.status, designate));
  operations.push(...tagOperations(before.state.tags, desired.state.tags, before.facts.arn, id));

  const change: Change = { ...noChange(), action: "update", diffs, operations };
  if (operations.some((o) => (o.input as { action?: string }).action === "DEPRECATE")) {
    const { warnings, notes } = deprecation(s, before);
    change.warnings.push(...warnings);
    change.notes.push(...notes);
  }
  if (settings.packageDefault !== !!bSettings.packageDefault && !designate) {
    change.notes.push(
      settings.packageDefault
        ? `the package now names ${s.versionName} its default; the SoftwarePackage's UpdatePackage makes it so (the version is ${b.status} already)`
        : `the package no longer names ${s.versionName} its default; the SoftwarePackage's UpdatePackage changes that`,
    );
  }
  return change;
}
