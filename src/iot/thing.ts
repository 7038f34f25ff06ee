import {
  AddThingToThingGroupCommand,
  CreateThingCommand,
  DeleteThingCommand,
  DescribeThingCommand,
  RemoveThingFromThingGroupCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateThingCommand,
  paginateListThingGroupsForThing,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { Resource, type Context } from "alchemy";
import { isDeepStrictEqual } from "node:util";
import { resolveIoT, type IoTClientProps } from "./client.ts";
import {
  AlreadyExistsError,
  exitNonZeroOnFailure,
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
}

async function describe(client: IoTClient, thingName: string) {
  try {
    return await client.send(new DescribeThingCommand({ thingName }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function groupsOf(client: IoTClient, thingName: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListThingGroupsForThing({ client }, { thingName })) {
    for (const g of page.thingGroups ?? []) names.push(g.groupName!);
  }
  return names;
}

const groupName = (g: string | { thingGroupName: string }) => (typeof g === "string" ? g : g.thingGroupName);

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
        try {
          await client.send(new DeleteThingCommand({ thingName: this.output.thingName }));
        } catch (error) {
          if (!(error instanceof ResourceNotFoundException)) throw error;
        }
      }
      return this.destroy();
    }
    checkProps(label, thingPropsSchema, props);
    const { client, target } = await resolveIoT(props, this.scope);
    const name = props.thingName ?? physicalId(ownershipOf(this), 128);
    const attributes = props.attributes ?? {};
    const wanted = [...new Set((props.thingGroups ?? []).map(groupName))];
    const before = this.phase === "update" ? this.output : undefined;
    if (before && (before.thingName !== name || before.target !== target.key || before.region !== target.region)) {
      this.replace(false);
    }

    let live = before ? await describe(client, name) : undefined;
    if (!live) {
      try {
        await client.send(new CreateThingCommand({ thingName: name, attributePayload: { attributes } }));
      } catch (error) {
        if (!(error instanceof ResourceAlreadyExistsException)) throw error;
        // Things carry no tags to prove ownership: an existing thing with other attributes is someone else's.
        throw new AlreadyExistsError(
          `${label}: thing "${name}" already exists in ${target.description} with other attributes. Choose another thingName, or declare its attributes as they are.`,
        );
      }
      live = (await describe(client, name))!;
    } else if (!isDeepStrictEqual(live.attributes ?? {}, attributes)) {
      // merge: false replaces every attribute with the declared ones.
      await client.send(new UpdateThingCommand({ thingName: name, attributePayload: { attributes, merge: false } }));
    }

    const current = before || wanted.length > 0 ? await groupsOf(client, name) : [];
    for (const g of wanted.filter((g) => !current.includes(g))) {
      await client.send(new AddThingToThingGroupCommand({ thingName: name, thingGroupName: g }));
    }
    const previouslyDeclared = (before?.thingGroups ?? []).map(groupName);
    // Only memberships this resource declared are removed; memberships made elsewhere stay.
    for (const g of current.filter((g) => !wanted.includes(g) && previouslyDeclared.includes(g))) {
      await client.send(new RemoveThingFromThingGroupCommand({ thingName: name, thingGroupName: g }));
    }
    return {
      ...props,
      thingName: name,
      thingArn: live.thingArn!,
      arn: live.thingArn!,
      thingId: live.thingId!,
      region: target.region,
      target: target.key,
    };
  })),
  (id, props) => {
    checkProps(`Thing "${id}"`, thingPropsSchema, props ?? {});
  },
);
