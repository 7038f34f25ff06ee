import {
  AddThingToThingGroupCommand,
  CreateThingCommand,
  DeleteThingCommand,
  DescribeThingCommand,
  RemoveThingFromThingGroupCommand,
  ResourceAlreadyExistsException,
  UpdateThingCommand,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { Resource, type Context, type Scope } from "alchemy";
import { decideThing, type Change, type ThingState } from "./changes.ts";
import { assertLocalDataPresent, localInstanceOf, resolveIoT, type IoTClientProps } from "./client.ts";
import {
  AlreadyExistsError,
  exitNonZeroOnFailure,
  ifFound,
  ownershipOf,
  physicalId,
  resolveDeployed,
  validatedResource,
  withoutTarget,
} from "./common.ts";
import { checkProps, thingPropsSchema } from "./validate.ts";

/** Properties of an IoT thing (a device's registry entry). */
export interface ThingProps extends IoTClientProps {
  /**
   * The thing's name (1–128 letters, digits, `:`, `_`, `-`). Changing it replaces the thing.
   * @default `${app}-${stage}-${id}`
   */
  thingName?: string;
  /** Attributes (name -> value), updated in place. */
  attributes?: Record<string, string>;
  /** Static thing groups the thing belongs to (names or `ThingGroup` resources). Updated in place. */
  thingGroups?: Array<string | { thingGroupName: string }>;
}

/** A deployed thing. Pass it in a Job's `targets`. */
export interface Thing extends ThingProps {
  thingName: string;
  thingArn: string;
  /** Same as `thingArn`. */
  arn: string;
  thingId: string;
  region: string;
  target: string;
  /** For a thing on the embedded local endpoint: that endpoint's instance id. */
  localInstance?: string;
}

const describe = (client: IoTClient, thingName: string) => ifFound(client.send(new DescribeThingCommand({ thingName })));

const groupName = (g: string | { thingGroupName: string }) => (typeof g === "string" ? g : g.thingGroupName);

/** The desired state of a thing from its props (validated first). */
export function desiredThing(
  ctx: { id: string; fqn: string; scope: Scope },
  props: ThingProps,
  target: { key: string; region: string },
): ThingState {
  checkProps(`Thing "${ctx.id}"`, thingPropsSchema, props);
  return {
    target: target.key,
    region: target.region,
    spec: { thingName: props.thingName ?? physicalId(ownershipOf(ctx), 128), attributes: { ...(props.attributes ?? {}) } },
    groups: [...new Set((props.thingGroups ?? []).map(groupName))],
  };
}

/** The deployed state of a thing, from its output. */
export function deployedThing(output: Thing): ThingState {
  return {
    target: output.target,
    region: output.region,
    spec: { thingName: output.thingName, attributes: { ...(output.attributes ?? {}) } },
    groups: [...new Set((output.thingGroups ?? []).map(groupName))],
  };
}

/** Plans a deploy of the thing (used by the handler and by the preview). */
export function planThing(deployed: Thing | undefined, desired: ThingState): Change {
  return decideThing(deployed ? deployedThing(deployed) : undefined, desired);
}

/**
 * An AWS IoT thing, with its attributes and static thing group memberships.
 *
 * @example
 * const fleet = await ThingGroup("fleet", {});
 * const sensor = await Thing("sensor-1", { attributes: { model: "s1" }, thingGroups: [fleet] });
 * await Job("calibrate", { targets: [sensor], document: { operation: "calibrate" } });
 */
export const Thing = validatedResource(
  Resource("iot::Thing", exitNonZeroOnFailure(async function (this: Context<Thing, ThingProps>, id: string, rawProps: ThingProps): Promise<Thing> {
    const label = `Thing "${id}"`;
    const props = withoutTarget(rawProps);
    if (this.phase === "delete") {
      if (this.output?.thingName) {
        const { client } = await resolveDeployed(this.output, withoutTarget(this.props), this.scope);
        await ifFound(client.send(new DeleteThingCommand({ thingName: this.output.thingName })));
      }
      return this.destroy();
    }
    const { client, target } = await resolveIoT(props, this.scope);
    const desired = desiredThing(this, props, target);
    const name = desired.spec.thingName;
    if (this.phase === "update") await assertLocalDataPresent(this.output, this.scope, label);
    const before = this.phase === "update" ? this.output : undefined;
    const change = planThing(before, desired);
    if (change.action === "replace") this.replace(false);

    let live = before ? await describe(client, name) : undefined;
    let add = desired.groups;
    if (!live) {
      try {
        await client.send(new CreateThingCommand({ thingName: name, attributePayload: { attributes: desired.spec.attributes } }));
      } catch (error) {
        if (!(error instanceof ResourceAlreadyExistsException)) throw error;
        // Things carry no tags to prove ownership: an existing thing with other attributes is someone else's.
        throw new AlreadyExistsError(
          `${label}: thing "${name}" already exists in ${target.description} with other attributes. Choose another thingName, or declare its attributes as they are.`,
        );
      }
      live = (await describe(client, name))!;
    } else {
      if (change.operations.some((o) => o.operation === "UpdateThing")) {
        // merge: false replaces every attribute with the declared ones.
        await client.send(
          new UpdateThingCommand({ thingName: name, attributePayload: { attributes: desired.spec.attributes, merge: false } }),
        );
      }
      add = desired.groups.filter((g) => !deployedThing(before!).groups.includes(g));
      // Only memberships this resource declared are removed; memberships made elsewhere stay.
      for (const g of deployedThing(before!).groups.filter((g) => !desired.groups.includes(g))) {
        await client.send(new RemoveThingFromThingGroupCommand({ thingName: name, thingGroupName: g }));
      }
    }
    for (const g of add) {
      await client.send(new AddThingToThingGroupCommand({ thingName: name, thingGroupName: g }));
    }
    return {
      ...props,
      thingName: name,
      thingArn: live.thingArn!,
      arn: live.thingArn!,
      thingId: live.thingId!,
      region: target.region,
      target: target.key,
      ...localInstanceOf(target),
    };
  })),
  (id, props) => {
    checkProps(`Thing "${id}"`, thingPropsSchema, props ?? {});
  },
);
