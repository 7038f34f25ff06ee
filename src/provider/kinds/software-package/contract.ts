/**
 * SoftwarePackage: a package of the software package catalog. Its
 * description and default version change in place (UpdatePackage), its tags
 * too (TagResource / UntagResource); a new name replaces it. A default
 * version that is not published yet is made the default by the
 * SoftwarePackageVersion that declares it, once that version publishes it.
 */
import { GetPackageCommand } from "../../iot-sdk.ts";
import type { z } from "zod";
import { defaultPhysicalId, ifFound, ownershipOf } from "../../common.ts";
import { creationDiffs, noChange, tagDiffs, type Change } from "../../engine/change.ts";
import type { Desired, Kind, Observed, Recorded } from "../../engine/contract.ts";
import { defineResource } from "../../engine/define.ts";
import { compare, memberTable, type MemberRows, type MemberTable, type PropMembers } from "../../engine/members.ts";
import { operation, type Operation } from "../../engine/operations.ts";
import type { Holds, Same } from "../../engine/same.ts";
import { ownershipTags } from "../../tags.ts";
import { isUnknown } from "../../unknown.ts";
import { checkProps } from "../../validate.ts";
import { describeLocation, moved, replacement } from "../decide.ts";
import { arnFor, outputBase, readOwnership, recordedBase, sealed, tagOperations, type MembersOf, type RecordedOutput } from "../shared.ts";
import { whenPublished } from "./guards.ts";
import type * as Declared from "./props.ts";
import { softwarePackagePropsSchema } from "./schema.ts";

export type SoftwarePackageProps = Declared.SoftwarePackageProps;
export type SoftwarePackage = Declared.SoftwarePackage;

const SOURCE = "API reference: CreatePackage, UpdatePackage (description, defaultVersionName, unsetDefaultVersion)";

/** A SoftwarePackage's members, one row each; its props and schema are held to these rows by tsc below. */
export const ROWS = {
  packageName: {
    change: "replace",
    why: "a package's name is its id (IoT has no rename); the new package is created before the old one is deleted, and its versions, which belong to it, are replaced with it",
    source: SOURCE,
  },
  description: { change: "in place", via: "UpdatePackage", source: SOURCE },
  defaultVersion: {
    cloudFormation: false,
    change: "in place",
    via: "UpdatePackage, or the version's own deploy once it publishes the version",
    source: `${SOURCE}; developer guide: preparing-to-use-software-package-catalog (only a published version is made the default)`,
  },
  tags: { change: "in place", via: "TagResource / UntagResource", source: "API reference: TagResource, UntagResource" },
} as const satisfies MemberRows;

type _PropsAreTheRows = Holds<Same<MembersOf<SoftwarePackageProps>, PropMembers<typeof ROWS>>>;
type _SchemaIsTheProps = Holds<Same<keyof z.input<typeof softwarePackagePropsSchema>, keyof SoftwarePackageProps>>;

/** What each change to a SoftwarePackage does. */
export const MEMBERS: MemberTable = memberTable(ROWS);

type Spec = { packageName: string; description?: string; defaultVersion?: string };

function spec(name: string, props: { description?: string; defaultVersion?: string }): Spec {
  const out: Spec = { packageName: name };
  if (props.description !== undefined) out.description = props.description;
  if (props.defaultVersion !== undefined) out.defaultVersion = props.defaultVersion;
  return out;
}

/** The physical id of a package's version (its ARN's resource after `package/`): what references to a version name. */
export const versionId = (packageName: string, versionName: string) => `${packageName}/version/${versionName}`;

/** Why the package itself does not name its default version now: it has no versions yet. */
const designatedByVersion = (version: string) =>
  `defaultVersion ${version}: a new package has no versions yet, so no UpdatePackage is sent; the SoftwarePackageVersion that declares ${version} (with this package as its package) makes it the default right after it publishes it`;

/** The calls that bring the default version from `before` to `after`. */
function defaultOperations(id: string, before: string | undefined, after: string | undefined): Operation[] {
  if (before === after) return [];
  if (after === undefined) return [operation("UpdatePackage", { packageName: id, unsetDefaultVersion: true }, id)];
  return [operation("UpdatePackage", { packageName: id, defaultVersionName: after }, id, { guard: whenPublished(id, after) })];
}

// Sealed: no Secret object in its state or calls, no secret value in its diffs (shared.ts).
const kind: Kind<SoftwarePackageProps, SoftwarePackage, Spec> = sealed({
  type: "iot::SoftwarePackage",
  label: "SoftwarePackage",
  noun: "software package",
  members: MEMBERS,
  tagged: true,
  idMember: "packageName",
  created: { arn: "packageArn" },

  desire(ctx, props, location): Desired<Spec> {
    checkProps(`SoftwarePackage "${ctx.id}"`, softwarePackagePropsSchema, props);
    const ownership = ownershipOf(ctx);
    const id = props.packageName ?? defaultPhysicalId(ownership, 128);
    return {
      id,
      ownership,
      sensitive: new Set(),
      state: { location: location.key, region: location.region, spec: spec(id, props), tags: { ...(props.tags ?? {}) }, settings: {} },
    };
  },

  recorded(output): Recorded<Spec> | undefined {
    if (!output?.packageName || (output as RecordedOutput).absent) return undefined;
    return {
      state: { ...recordedBase(output), spec: spec(output.packageName, output), settings: {} },
      facts: { arn: output.packageArn, extra: {} },
      ...(output.cloudFormation ? { stack: output.cloudFormation } : {}),
      ...((output as RecordedOutput).adopted ? { adopted: true } : {}),
    };
  },

  async observe(client, id, desired, recorded): Promise<Observed<Spec> | null> {
    const live = await ifFound(client.send(new GetPackageCommand({ packageName: id })));
    if (!live) return null;
    const hint = recorded?.state ?? desired?.state;
    const reading = await readOwnership(client, live.packageArn!, desired?.ownership);
    return {
      state: {
        location: hint?.location ?? "",
        region: hint?.region ?? "",
        spec: spec(id, { description: live.description || undefined, defaultVersion: live.defaultVersionName || undefined }),
        tags: reading.tags,
        settings: {},
      },
      facts: { arn: live.packageArn!, createdAt: live.creationDate, extra: {} },
      ours: reading.ours,
      ...(reading.ownerTag ? { ownerTag: reading.ownerTag } : {}),
      ...(reading.stack ? { stack: reading.stack } : {}),
    };
  },

  decide(before, desired): Change {
    const id = desired.id;
    const s = desired.state.spec;
    const create = operation(
      "CreatePackage",
      { packageName: id, description: s.description, tags: { ...desired.state.tags, ...ownershipTags(desired.ownership) } },
      id,
    );
    const notes = s.defaultVersion !== undefined ? [designatedByVersion(s.defaultVersion)] : [];
    if (!before) return { ...noChange(), action: "create", diffs: creationDiffs(s, desired.state.tags), operations: [create], notes };
    const b = before.state;
    const { diffs, replaced, inPlace } = compare(MEMBERS, b.spec, s);
    diffs.push(...tagDiffs(b.tags, desired.state.tags));
    const movedAway = moved(b, desired.state);
    const oldName = b.spec.packageName;
    if (movedAway || replaced.length > 0) {
      const reasons = [
        ...(movedAway ? [`the software package moves from ${describeLocation(b)} to ${describeLocation(desired.state)}`] : []),
        ...replaced.map((r) =>
          r.member === "packageName" ? `packageName changed (${oldName} → ${id}); ${ROWS.packageName.why}` : r.reason,
        ),
      ];
      const remove = operation("DeletePackage", { packageName: oldName }, oldName);
      return { ...noChange(), ...replacement(true, [create], [remove]), reasons, diffs, notes };
    }
    if (diffs.length === 0) return noChange();
    const operations: Operation[] = [];
    // An empty description is IoT's way of clearing it.
    if (inPlace.has("UpdatePackage"))
      operations.push(operation("UpdatePackage", { packageName: id, description: s.description ?? "" }, id));
    operations.push(...defaultOperations(id, b.spec.defaultVersion, s.defaultVersion));
    operations.push(...tagOperations(b.tags, desired.state.tags, before.facts.arn, id));
    return { ...noChange(), action: "update", diffs, operations };
  },

  removal(recorded): Change {
    const name = recorded.state.spec.packageName;
    return { ...noChange(), action: "delete", operations: [operation("DeletePackage", { packageName: name }, name)] };
  },

  /**
   * Its default version: declared by the program (usually after the
   * package, which its versions name) or existing. A forward reference: the
   * whole-program check reads it; without it, UpdatePackage's guard does.
   */
  references(desired) {
    const { packageName, defaultVersion } = desired.state.spec;
    if (defaultVersion === undefined || isUnknown(defaultVersion) || isUnknown(packageName)) return [];
    return [{ path: "defaultVersion", type: "iot::SoftwarePackageVersion", id: versionId(packageName, defaultVersion), forward: true }];
  },

  predict(desired, location, account) {
    return { arn: arnFor(location, account, "package", desired.id), extra: {} };
  },

  output(props, desired, facts, location, taken): SoftwarePackage {
    return {
      ...props,
      packageName: desired.id,
      packageArn: facts.arn,
      arn: facts.arn,
      ...outputBase(location, taken),
    };
  },
});

/**
 * An AWS IoT software package (software package catalog): the versions of
 * one piece of software that jobs install on devices.
 *
 * @example
 * const firmware = await SoftwarePackage("firmware", { description: "TH-200 firmware", defaultVersion: "1.1.0" });
 * const v110 = await SoftwarePackageVersion("v110", { package: firmware, versionName: "1.1.0" });
 */
export const SoftwarePackage = defineResource(kind, {
  validate(id, props) {
    checkProps(`SoftwarePackage "${id}"`, softwarePackagePropsSchema, props ?? {});
  },
});

export const softwarePackageKind = kind;
