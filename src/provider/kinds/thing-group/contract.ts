/**
 * ThingGroup: a static thing group. Description and attributes change in
 * place (UpdateThingGroup), tags too; a new name or parent replaces it.
 *
 * IoT drops a group's memberships when it deletes the group, so a new group
 * (a replacement, or one made again after it was deleted out of band) has no
 * members: the output's `generation` counts the groups this resource has
 * made, and a Thing given the resource keeps it, so that a new group changes
 * the thing's props and the thing is added to it in the same deploy.
 */
import { DescribeThingGroupCommand } from "../../iot-sdk.ts";
import { defaultPhysicalId, ifFound, ownershipOf } from "../../common.ts";
import { creationDiffs, noChange, tagDiffs, type Change } from "../../engine/change.ts";
import type { Desired, Kind, Observed, Recorded } from "../../engine/contract.ts";
import { defineResource } from "../../engine/define.ts";
import { plannedEarlier } from "../../engine/recorder.ts";
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
  /**
   * Which group this resource has made under its name: 2 after the first new
   * group (a replacement, or a group made again after it was deleted out of
   * band), one more with each; absent for the first. A Thing given this
   * resource keeps it, and is added again to a new group.
   */
  generation?: number;
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

/**
 * The generation a create makes, by desired state: one more than the
 * recorded group's (a new group of a resource that had one), else the first.
 */
const making = new WeakMap<Desired<Spec>, number>();
const generationOf = (facts: { extra: Record<string, unknown> }) =>
  typeof facts.extra.generation === "number" ? facts.extra.generation : 1;

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
    const desired: Desired<Spec> = {
      id,
      ownership,
      sensitive: new Set(),
      state: { location: location.key, region: location.region, spec: spec(id, props), tags: { ...(props.tags ?? {}) }, settings: {} },
    };
    const last = ctx.output as Partial<ThingGroup> | undefined;
    making.set(desired, last?.thingGroupId ? (last.generation ?? 1) + 1 : 1);
    return desired;
  },

  recorded(output): Recorded<Spec> | undefined {
    if (!output?.thingGroupName || (output as RecordedOutput).absent) return undefined;
    return {
      state: { ...recordedBase(output), spec: spec(output.thingGroupName, output), settings: {} },
      facts: {
        arn: output.thingGroupArn,
        extra: { thingGroupId: output.thingGroupId, ...(output.generation ? { generation: output.generation } : {}) },
      },
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
    // The group recorded, or (another id: made again out of band, without its members) a new generation.
    const was = recorded?.facts;
    const generation = !was ? 1 : was.extra.thingGroupId === live.thingGroupId ? generationOf(was) : generationOf(was) + 1;
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
      facts: {
        arn: live.thingGroupArn!,
        createdAt: live.thingGroupMetadata?.creationDate,
        extra: { thingGroupId: live.thingGroupId, ...(generation > 1 ? { generation } : {}) },
      },
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

  /**
   * Before the old group is deleted: the parent the new one names exists. A
   * parent the program declares earlier (a new or renamed group) exists by
   * then in a deploy: a preview, which creates nothing, knows it from its plan.
   */
  async preflight(client, desired, location) {
    const parent = desired.state.spec.parentGroupName;
    if (!parent || isUnknown(parent) || plannedEarlier(kind.type, `${location.key}|${location.region}`, parent)) return;
    if (!(await ifFound(client.send(new DescribeThingGroupCommand({ thingGroupName: parent }))))) {
      throw new ValidationError(`ThingGroup "${desired.ownership.resource.split("/").pop()}"`, [
        {
          path: "parentGroupName",
          message: `parentGroupName: "${parent}" does not exist in ${describeLocation(desired.state)}; the group is replaced by deleting it first, so nothing was deleted`,
        },
      ]);
    }
  },

  predict(desired, location, account) {
    const generation = making.get(desired) ?? 1;
    return {
      arn: arnFor(location, account, "thinggroup", desired.id),
      extra: { thingGroupId: UNKNOWN, ...(generation > 1 ? { generation } : {}) },
    };
  },

  output(props, desired, facts, location, taken): ThingGroup {
    return {
      ...props,
      thingGroupName: desired.id,
      thingGroupArn: facts.arn,
      arn: facts.arn,
      thingGroupId: facts.extra.thingGroupId as string,
      ...(generationOf(facts) > 1 ? { generation: generationOf(facts) } : {}),
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
