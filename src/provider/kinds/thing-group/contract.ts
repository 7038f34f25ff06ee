/**
 * ThingGroup: a static thing group. Description and attributes change in
 * place (UpdateThingGroup), tags too; a new name or parent replaces it.
 */
import { DescribeThingGroupCommand } from "@aws-sdk/client-iot";
import { defaultPhysicalId, ifFound, ownershipOf } from "../../common.ts";
import { creationDiffs, noChange, tagDiffs, type Change } from "../../engine/change.ts";
import type { Desired, Kind, Observed, Recorded } from "../../engine/contract.ts";
import { defineResource } from "../../engine/define.ts";
import type { z } from "zod";
import { compare, memberTable, type MemberRows, type MemberTable, type PropMembers } from "../../engine/members.ts";
import type { Holds, Same } from "../../engine/same.ts";
import { operation, type Operation } from "../../engine/operations.ts";
import type { IoTClientProps } from "../../location.ts";
import { thingGroupPropsSchema } from "./schema.ts";
import { ownershipTags, toTagList } from "../../tags.ts";
import { isUnknown, UNKNOWN } from "../../unknown.ts";
import { checkProps, ValidationError } from "../../validate.ts";
import { describeLocation, moved, replacement } from "../decide.ts";
import type { Deployed } from "../deployed.ts";
import { arnFor, outputBase, readOwnership, recordedBase, tagOperations, sealed, type MembersOf, type RecordedOutput } from "../shared.ts";

/** Properties of a static thing group (a set of things that jobs can target). */
export interface ThingGroupProps extends IoTClientProps {
  /**
   * The group's name (1–128 letters, digits, `:`, `_`, `-`). Changing it replaces the group.
   * @default `${app}-${stage}-${id}`
   */
  thingGroupName?: string;
  /** Description, updated in place. */
  description?: string;
  /** Attributes (name -> value), updated in place: the declared set replaces the group's. */
  attributes?: Record<string, string>;
  /** Parent group. Changing it replaces the group. */
  parentGroupName?: string;
  /** Tags, updated in place. The provider adds its `alchemy_*` ownership tags. */
  tags?: Record<string, string>;
  /** Take over an existing group with the same name that this resource did not create. */
  adopt?: boolean;
  /**
   * Act on the group even though a CloudFormation stack still manages it.
   * @default false
   */
  overrideCloudFormationStack?: boolean;
}

/** A deployed thing group. Pass it in a Job's `targets`. */
export interface ThingGroup extends ThingGroupProps, Deployed {
  /** The region the resource lives in. */
  region: string;
  thingGroupName: string;
  thingGroupArn: string;
  /** Same as `thingGroupArn` (so the group can be used wherever an `{ arn }` target is expected). */
  arn: string;
  thingGroupId: string;
}

const SOURCE = "API reference: UpdateThingGroup (thingGroupProperties); CreateThingGroup (thingGroupName, parentGroupName)";

/** A ThingGroup's members, one row each; its props and schema are held to these rows by tsc below. */
export const ROWS = {
  thingGroupName: {
    change: "replace",
    why: "a group's name is its id; the new group is created before the old one is deleted",
    source: SOURCE,
  },
  parentGroupName: { change: "replace", why: "a thing group's parent is fixed when it is created", source: SOURCE },
  description: { change: "in place", via: "UpdateThingGroup", source: SOURCE },
  attributes: { change: "in place", via: "UpdateThingGroup", source: SOURCE },
  tags: { change: "in place", via: "TagResource / UntagResource", source: "API reference: TagResource, UntagResource" },
} as const satisfies MemberRows;

type _PropsAreTheRows = Holds<Same<MembersOf<ThingGroupProps>, PropMembers<typeof ROWS>>>;
type _SchemaIsTheProps = Holds<Same<keyof z.input<typeof thingGroupPropsSchema>, keyof ThingGroupProps>>;

/** What each change to a ThingGroup does. */
export const MEMBERS: MemberTable = memberTable(ROWS);

type Spec = { thingGroupName: string; parentGroupName?: string; description?: string; attributes: Record<string, string> };

function spec(name: string, props: { parentGroupName?: string; description?: string; attributes?: Record<string, string> }): Spec {
  const out: Spec = { thingGroupName: name, attributes: { ...(props.attributes ?? {}) } };
  if (props.parentGroupName !== undefined) out.parentGroupName = props.parentGroupName;
  if (props.description !== undefined) out.description = props.description;
  return out;
}

/** What UpdateThingGroup sends: the whole declared description and attributes (an empty description clears it). */
const properties = (s: Spec, clear: boolean) => ({
  thingGroupDescription: s.description ?? (clear ? "" : undefined),
  attributePayload: { attributes: s.attributes, merge: false },
});

// Sealed: no Secret object in its state or calls, no secret value in its diffs (shared.ts).
const kind: Kind<ThingGroupProps, ThingGroup, Spec> = sealed({
  type: "iot::ThingGroup",
  label: "ThingGroup",
  noun: "thing group",
  members: MEMBERS,
  tagged: true,
  idMember: "thingGroupName",
  created: { arn: "thingGroupArn", ids: ["thingGroupId"] },
  claim: "tags-after",

  desire(ctx, props, location): Desired<Spec> {
    checkProps(`ThingGroup "${ctx.id}"`, thingGroupPropsSchema, props);
    const ownership = ownershipOf(ctx);
    const id = props.thingGroupName ?? defaultPhysicalId(ownership, 128);
    return {
      id,
      ownership,
      sensitive: new Set(),
      state: { location: location.key, region: location.region, spec: spec(id, props), tags: { ...(props.tags ?? {}) }, settings: {} },
    };
  },

  recorded(output): Recorded<Spec> | undefined {
    if (!output?.thingGroupName || (output as RecordedOutput).absent) return undefined;
    return {
      state: { ...recordedBase(output), spec: spec(output.thingGroupName, output), settings: {} },
      facts: { arn: output.thingGroupArn, extra: { thingGroupId: output.thingGroupId } },
      ...(output.cloudFormation ? { stack: output.cloudFormation } : {}),
      ...((output as RecordedOutput).adopted ? { adopted: true } : {}),
    };
  },

  async observe(client, id, desired, recorded): Promise<Observed<Spec> | null> {
    const live = await ifFound(client.send(new DescribeThingGroupCommand({ thingGroupName: id })));
    if (!live) return null;
    const hint = recorded?.state ?? desired?.state;
    const reading = await readOwnership(client, live.thingGroupArn!, desired?.ownership);
    const props = live.thingGroupProperties;
    return {
      state: {
        location: hint?.location ?? "",
        region: hint?.region ?? "",
        spec: spec(id, {
          description: props?.thingGroupDescription || undefined,
          attributes: props?.attributePayload?.attributes ?? {},
          parentGroupName: live.thingGroupMetadata?.parentGroupName,
        }),
        tags: reading.tags,
        settings: {},
      },
      facts: { arn: live.thingGroupArn!, createdAt: live.thingGroupMetadata?.creationDate, extra: { thingGroupId: live.thingGroupId } },
      ours: reading.ours,
      ...(reading.ownerTag ? { ownerTag: reading.ownerTag } : {}),
      ...(reading.stack ? { stack: reading.stack } : {}),
    };
  },

  decide(before, desired): Change {
    const id = desired.id;
    const s = desired.state.spec;
    const create = operation(
      "CreateThingGroup",
      {
        thingGroupName: id,
        parentGroupName: s.parentGroupName,
        thingGroupProperties: properties(s, false),
        tags: toTagList({ ...desired.state.tags, ...ownershipTags(desired.ownership) }),
      },
      id,
    );
    if (!before) return { ...noChange(), action: "create", diffs: creationDiffs(s, desired.state.tags), operations: [create] };
    const b = before.state;
    const { diffs, replaced, inPlace } = compare(MEMBERS, b.spec, s);
    diffs.push(...tagDiffs(b.tags, desired.state.tags));
    const movedAway = moved(b, desired.state);
    const oldName = b.spec.thingGroupName;
    if (movedAway || replaced.length > 0) {
      const reasons = [
        ...(movedAway ? [`the thing group moves from ${describeLocation(b)} to ${describeLocation(desired.state)}`] : []),
        ...replaced.map((r) => (r.member === "thingGroupName" ? `thingGroupName changed (${oldName} → ${id})` : r.reason)),
      ];
      const remove = operation("DeleteThingGroup", { thingGroupName: oldName }, oldName);
      return { ...noChange(), ...replacement(movedAway || oldName !== id, [create], [remove]), reasons, diffs };
    }
    if (diffs.length === 0) return noChange();
    const operations: Operation[] = inPlace.has("UpdateThingGroup")
      ? [operation("UpdateThingGroup", { thingGroupName: id, thingGroupProperties: properties(s, true) }, id)]
      : [];
    operations.push(...tagOperations(b.tags, desired.state.tags, before.facts.arn, id));
    return { ...noChange(), action: "update", diffs, operations };
  },

  removal(recorded): Change {
    const name = recorded.state.spec.thingGroupName;
    return { ...noChange(), action: "delete", operations: [operation("DeleteThingGroup", { thingGroupName: name }, name)] };
  },

  /** Its parent: declared by the program, or existing. */
  references(desired) {
    const parent = desired.state.spec.parentGroupName;
    return parent && !isUnknown(parent) ? [{ path: "parentGroupName", type: "iot::ThingGroup", id: parent }] : [];
  },

  /** Before the old group is deleted: the parent the new one names exists. */
  async preflight(client, desired) {
    const parent = desired.state.spec.parentGroupName;
    if (parent && !(await ifFound(client.send(new DescribeThingGroupCommand({ thingGroupName: parent }))))) {
      throw new ValidationError(`ThingGroup "${desired.ownership.resource.split("/").pop()}"`, [
        {
          path: "parentGroupName",
          message: `parentGroupName: "${parent}" does not exist in ${describeLocation(desired.state)}; the group is replaced by deleting it first, so nothing was deleted`,
        },
      ]);
    }
  },

  predict(desired, location, account) {
    return { arn: arnFor(location, account, "thinggroup", desired.id), extra: { thingGroupId: UNKNOWN } };
  },

  output(props, desired, facts, location, taken): ThingGroup {
    return {
      ...props,
      thingGroupName: desired.id,
      thingGroupArn: facts.arn,
      arn: facts.arn,
      thingGroupId: facts.extra.thingGroupId as string,
      ...outputBase(location, taken),
    };
  },
});

/**
 * A static AWS IoT thing group, so jobs can target devices declared in the same stack.
 *
 * @example
 * const fleet = await ThingGroup("fleet", { description: "All field devices", attributes: { site: "berlin" } });
 * await Job("update", { targets: [fleet], document: { operation: "update" } });
 */
export const ThingGroup = defineResource(kind, {
  validate(id, props) {
    checkProps(`ThingGroup "${id}"`, thingGroupPropsSchema, props ?? {});
  },
});

export const thingGroupKind = kind;
