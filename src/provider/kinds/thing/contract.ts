/**
 * Thing: a device's registry entry, with its attributes (UpdateThing) and
 * static group memberships (Add/RemoveThingFromThingGroup) changed in place;
 * a new name replaces it.
 *
 * A membership is in one group, not in a name: IoT drops it when the group
 * is deleted, and a group replaced under the same name (a new parent) is
 * another group. A ThingGroup counts the groups it has made (its output's
 * `generation`, absent for the first); a thing given the resource keeps that
 * count in its props (`{ thingGroupName, generation }`, the name alone for a
 * first group, so a name and the resource stay the same props). A new group
 * changes the thing's props, and its decision adds it again in the same deploy.
 */
import { DescribeThingCommand, ListThingGroupsForThingCommand } from "../../iot-sdk.ts";
import { defaultPhysicalId, ifFound, ownershipOf } from "../../common.ts";
import { creationDiffs, noChange, type Change } from "../../engine/change.ts";
import type { Desired, Kind, Observed, Recorded } from "../../engine/contract.ts";
import { defineResource } from "../../engine/define.ts";
import type { z } from "zod";
import { compare, memberTable, type MemberRows, type MemberTable, type PropMembers } from "../../engine/members.ts";
import type { Holds, Same } from "../../engine/same.ts";
import { operation, type Operation } from "../../engine/operations.ts";
import type { IoTClientProps } from "../../location.ts";
import { thingPropsSchema } from "./schema.ts";
import { isUnknown, UNKNOWN } from "../../unknown.ts";
import { checkProps } from "../../validate.ts";
import { describeLocation, moved, replacement } from "../decide.ts";
import type { Deployed } from "../deployed.ts";
import { arnFor, outputBase, recordedBase, sealed, type MembersOf, type RecordedOutput } from "../shared.ts";

/** Properties of an IoT thing (a device's registry entry). */
export interface ThingProps extends IoTClientProps {
  /**
   * The thing's name (1–128 letters, digits, `:`, `_`, `-`). Changing it replaces the thing.
   * @default `${app}-${stage}-${id}`
   */
  thingName?: string;
  /** Attributes (name -> value), updated in place: the declared set replaces the thing's. */
  attributes?: Record<string, string>;
  /** Static thing groups the thing belongs to (names or `ThingGroup` resources). Updated in place. */
  thingGroups?: Array<string | GroupReference>;
  /**
   * Take over an existing thing with the same name. Things carry no tags, so
   * the provider cannot tell a thing it created from someone else's: without
   * `adopt`, a deploy that finds the name taken stops and changes nothing.
   * @default the `--adopt` flag of the deploy
   */
  adopt?: boolean;
}

/** A deployed thing. Pass it in a Job's `targets`. */
export interface Thing extends ThingProps, Deployed {
  /** The region the resource lives in. */
  region: string;
  thingName: string;
  thingArn: string;
  /** Same as `thingArn`. */
  arn: string;
  thingId: string;
  /**
   * For each group given as a `ThingGroup` that has made more than one group
   * (replaced under the same name): the generation of the group the thing was added to.
   */
  thingGroupGenerations?: Record<string, number>;
}

/** A thing group given as a resource (a `ThingGroup`'s output): its name, and which group of that name it is. */
export interface GroupReference {
  thingGroupName: string;
  /** The ThingGroup's `generation`: 2 and up once it has made a new group (absent: its first). */
  generation?: number;
}

const SOURCE = "API reference: UpdateThing (attributePayload), AddThingToThingGroup, RemoveThingFromThingGroup";

/** A Thing's members, one row each; its props and schema are held to these rows by tsc below. */
export const ROWS = {
  thingName: { change: "replace", why: "a thing's name is its id; the new thing is created before the old one is deleted", source: SOURCE },
  attributes: { change: "in place", via: "UpdateThing", source: SOURCE },
  thingGroups: { change: "in place", via: "AddThingToThingGroup / RemoveThingFromThingGroup", source: SOURCE },
  thingGroupGenerations: {
    prop: false,
    change: "in place",
    via: "AddThingToThingGroup",
    source: "API reference: DeleteThingGroup (the group's memberships go with it), AddThingToThingGroup",
  },
  tags: { prop: false, change: "in place", via: "(none: things carry no tags)", source: "things are not taggable" },
} as const satisfies MemberRows;

type _PropsAreTheRows = Holds<Same<MembersOf<ThingProps>, PropMembers<typeof ROWS>>>;
type _SchemaIsTheProps = Holds<Same<keyof z.input<typeof thingPropsSchema>, keyof ThingProps>>;

/** What each change to a Thing does. */
export const MEMBERS: MemberTable = memberTable(ROWS);

/** `thingGroupGenerations`: which group of each name (of `thingGroups`) the thing is in, where it is a later one. */
type Spec = {
  thingName: string;
  attributes: Record<string, string>;
  thingGroups: string[];
  thingGroupGenerations?: Record<string, number>;
};

type Generations = Record<string, number>;

const groupName = (g: string | GroupReference) => (typeof g === "string" ? g : g.thingGroupName);
const later = (g: string | GroupReference): g is Required<GroupReference> =>
  typeof g === "object" && typeof g.generation === "number" && g.generation > 1;

/** The generations the references carry (a `ThingGroup` that made a new group), by group name. */
const generationsOf = (groups: ReadonlyArray<string | GroupReference>): Generations =>
  Object.fromEntries(groups.filter(later).map((g) => [g.thingGroupName, g.generation]));

function spec(
  name: string,
  props: { attributes?: Record<string, string>; thingGroups?: Array<string | GroupReference> },
  generations: Generations = generationsOf(props.thingGroups ?? []),
): Spec {
  const thingGroups = [...new Set((props.thingGroups ?? []).map(groupName))];
  const known = Object.fromEntries(thingGroups.flatMap((g) => (generations[g] === undefined ? [] : [[g, generations[g]]])));
  return {
    thingName: name,
    attributes: { ...(props.attributes ?? {}) },
    thingGroups,
    ...(Object.keys(known).length > 0 ? { thingGroupGenerations: known } : {}),
  };
}

/**
 * The groups the thing stays in by name that are new groups now (replaced
 * under the same name): the old group's memberships went with it, so the
 * thing is added again.
 */
const regrouped = (before: Spec, after: Spec): string[] =>
  after.thingGroups.filter((g) => {
    const generation = after.thingGroupGenerations?.[g];
    return before.thingGroups.includes(g) && generation !== undefined && generation !== before.thingGroupGenerations?.[g];
  });

const add = (name: string, groups: string[]): Operation[] =>
  groups.map((g) => operation("AddThingToThingGroup", { thingName: name, thingGroupName: g }, `${name} → ${g}`));

// Sealed: no Secret object in its state or calls, no secret value in its diffs (shared.ts).
const kind: Kind<ThingProps, Thing, Spec> = sealed({
  type: "iot::Thing",
  label: "Thing",
  noun: "thing",
  members: MEMBERS,
  tagged: false,
  idMember: "thingName",
  created: { arn: "thingArn", ids: ["thingId"] },
  claim: "read-first",

  desire(ctx, props, location): Desired<Spec> {
    checkProps(`Thing "${ctx.id}"`, thingPropsSchema, props);
    const ownership = ownershipOf(ctx);
    const id = props.thingName ?? defaultPhysicalId(ownership, 128);
    return {
      id,
      ownership,
      sensitive: new Set(),
      state: { location: location.key, region: location.region, spec: spec(id, props), tags: {}, settings: {} },
    };
  },

  recorded(output): Recorded<Spec> | undefined {
    if (!output?.thingName || (output as RecordedOutput).absent) return undefined;
    return {
      state: {
        ...recordedBase(output),
        tags: {},
        spec: spec(output.thingName, output, { ...generationsOf(output.thingGroups ?? []), ...(output.thingGroupGenerations ?? {}) }),
        settings: {},
      },
      facts: { arn: output.thingArn, extra: { thingId: output.thingId } },
      ...((output as RecordedOutput).adopted ? { adopted: true } : {}),
    };
  },

  /** The thing, and the groups it is in that the program declares (memberships made elsewhere are not this resource's). */
  async observe(client, id, desired, recorded): Promise<Observed<Spec> | null> {
    const live = await ifFound(client.send(new DescribeThingCommand({ thingName: id })));
    if (!live) return null;
    const hint = recorded?.state ?? desired?.state;
    const groups = await client.send(new ListThingGroupsForThingCommand({ thingName: id }));
    const declared = new Set([...(recorded?.state.spec.thingGroups ?? []), ...(desired?.state.spec.thingGroups ?? [])]);
    const member = (groups.thingGroups ?? []).map((g) => g.groupName!).filter((g) => declared.has(g));
    // A live membership is in the group the thing was added to: the one recorded (a group replaced out of band
    // took its memberships with it), or, for a thing taken over, the one the program names.
    const generations = (recorded ?? desired)?.state.spec.thingGroupGenerations ?? {};
    return {
      state: {
        location: hint?.location ?? "",
        region: hint?.region ?? "",
        spec: spec(
          id,
          {
            attributes: live.attributes ?? {},
            thingGroups: (hint?.spec.thingGroups ?? [])
              .filter((g) => member.includes(g))
              .concat(member.filter((g) => !hint?.spec.thingGroups.includes(g))),
          },
          generations,
        ),
        tags: {},
        settings: {},
      },
      facts: { arn: live.thingArn!, extra: { thingId: live.thingId } },
      // Things carry no tags: nothing says whose a thing is.
      ours: false,
    };
  },

  decide(before, desired): Change {
    const id = desired.id;
    const s = desired.state.spec;
    const create = [
      operation("CreateThing", { thingName: id, attributePayload: { attributes: s.attributes } }, id),
      ...add(id, s.thingGroups),
    ];
    if (!before) return { ...noChange(), action: "create", diffs: creationDiffs(s, {}), operations: create };
    const b = before.state;
    const { diffs, replaced, inPlace } = compare(MEMBERS, b.spec, s);
    const movedAway = moved(b, desired.state);
    const oldName = b.spec.thingName;
    if (movedAway || replaced.length > 0) {
      const remove = operation("DeleteThing", { thingName: oldName }, oldName);
      return {
        ...noChange(),
        ...replacement(true, create, [remove]),
        reasons: [
          movedAway
            ? `the thing moves from ${describeLocation(b)} to ${describeLocation(desired.state)}`
            : `thingName changed (${oldName} → ${id})`,
        ],
        diffs,
      };
    }
    if (diffs.length === 0) return noChange();
    const operations: Operation[] = [];
    // merge: false replaces every attribute with the declared ones.
    if (inPlace.has("UpdateThing"))
      operations.push(operation("UpdateThing", { thingName: id, attributePayload: { attributes: s.attributes, merge: false } }, id));
    const again = regrouped(b.spec, s);
    operations.push(
      ...add(
        id,
        s.thingGroups.filter((g) => !b.spec.thingGroups.includes(g) || again.includes(g)),
      ),
    );
    // Only memberships this resource declared are removed; memberships made elsewhere stay.
    for (const g of b.spec.thingGroups.filter((g) => !s.thingGroups.includes(g))) {
      operations.push(operation("RemoveThingFromThingGroup", { thingName: id, thingGroupName: g }, `${id} → ${g}`));
    }
    const notes = again.map(
      (g) =>
        `thing group ${g} is a new group of that name (its ThingGroup made generation ${s.thingGroupGenerations![g]}): IoT dropped ${id}'s membership with the old group, so ${id} is added again`,
    );
    return { ...noChange(), action: "update", diffs, operations, notes };
  },

  removal(recorded): Change {
    const name = recorded.state.spec.thingName;
    return { ...noChange(), action: "delete", operations: [operation("DeleteThing", { thingName: name }, name)] };
  },

  /** Its static groups: each declared by the program, or existing. */
  references(desired) {
    return desired.state.spec.thingGroups.flatMap((g, i) =>
      isUnknown(g) ? [] : [{ path: `thingGroups[${i}]`, type: "iot::ThingGroup", id: g }],
    );
  },

  predict(desired, location, account) {
    return { arn: arnFor(location, account, "thing", desired.id), extra: { thingId: UNKNOWN } };
  },

  output(props, desired, facts, location, taken): Thing {
    const generations = desired.state.spec.thingGroupGenerations;
    return {
      ...props,
      // The groups by name, as given; beside them, which group of each name the thing is in.
      ...(props.thingGroups ? { thingGroups: props.thingGroups.map(groupName) } : {}),
      ...(generations ? { thingGroupGenerations: { ...generations } } : {}),
      thingName: desired.id,
      thingArn: facts.arn,
      arn: facts.arn,
      thingId: facts.extra.thingId as string,
      ...outputBase(location, taken),
    };
  },
});

/**
 * An AWS IoT thing, with its attributes and static thing group memberships.
 *
 * @example
 * const fleet = await ThingGroup("fleet", {});
 * const sensor = await Thing("sensor-1", { attributes: { model: "s1" }, thingGroups: [fleet] });
 * await Job("calibrate", { targets: [sensor], document: { operation: "calibrate" } });
 */
export const Thing = defineResource(kind, {
  validate(id, props) {
    checkProps(`Thing "${id}"`, thingPropsSchema, props ?? {});
  },
  /**
   * A group by its name; one given as a ThingGroup that has made a new group keeps its generation too,
   * so that a new group changes the thing's props (and its first group's are the name's).
   */
  normalize(props) {
    return props.thingGroups
      ? {
          ...props,
          thingGroups: props.thingGroups.map((g) =>
            later(g) ? { thingGroupName: g.thingGroupName, generation: g.generation } : groupName(g),
          ),
        }
      : props;
  },
});

export const thingKind = kind;
