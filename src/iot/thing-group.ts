import {
  CreateThingGroupCommand,
  DeleteThingGroupCommand,
  DescribeThingGroupCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateThingGroupCommand,
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
import { applyTagChanges, isOwnedBy, ownershipTags, readTags, tagChanges, toTagList, withoutAwsTags } from "./tags.ts";
import { checkProps, thingGroupPropsSchema } from "./validate.ts";

/** Properties of a static thing group (a set of things that jobs can target). */
export interface ThingGroupProps extends IoTClientProps {
  /**
   * The group's name (1–128 letters, digits, `:`, `_`, `-`). Changing it replaces the group.
   * @default `${app}-${stage}-${id}`
   */
  thingGroupName?: string;
  /** Description, updated in place. */
  description?: string;
  /** Attributes (name -> value), updated in place. */
  attributes?: Record<string, string>;
  /** Parent group. Changing it replaces the group. */
  parentGroupName?: string;
  /** Tags, updated in place. The provider adds its `alchemy_*` ownership tags. */
  tags?: Record<string, string>;
  /** Take over an existing group with the same name that this resource did not create. */
  adopt?: boolean;
}

/** A deployed thing group. Pass it in a Job's `targets`. */
export interface ThingGroup extends ThingGroupProps {
  thingGroupName: string;
  thingGroupArn: string;
  /** Same as `thingGroupArn` (so the group can be used wherever an `{ arn }` target is expected). */
  arn: string;
  thingGroupId: string;
  region: string;
  target: string;
}

async function describe(client: IoTClient, thingGroupName: string) {
  try {
    return await client.send(new DescribeThingGroupCommand({ thingGroupName }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/**
 * A static AWS IoT thing group, so jobs can target devices declared in the same stack.
 *
 * @example
 * const fleet = await ThingGroup("fleet", { description: "All field devices", attributes: { site: "berlin" } });
 * await Job("update", { targets: [fleet], document: { operation: "update" } });
 */
export const ThingGroup = validatedResource(
  Resource(
    "iot::ThingGroup",
    exitNonZeroOnFailure(async function (this: Context<ThingGroup, ThingGroupProps>, id: string, rawProps: ThingGroupProps): Promise<ThingGroup> {
      const label = `ThingGroup "${id}"`;
      const props = withoutTarget(rawProps);
      if (this.phase === "delete") {
        if (this.output?.thingGroupName) {
          const { client } = await resolveDeployed(this.output, withoutTarget(this.props), this.scope);
          await client.send(new DeleteThingGroupCommand({ thingGroupName: this.output.thingGroupName }));
        }
        return this.destroy();
      }
      checkProps(label, thingGroupPropsSchema, props);
      const { client, target } = await resolveIoT(props, this.scope);
      const ownership = ownershipOf(this);
      const name = props.thingGroupName ?? physicalId(ownership, 128);
      const attributes = props.attributes ?? {};
      const before = this.phase === "update" ? this.output : undefined;
      if (
        before &&
        (before.thingGroupName !== name ||
          before.parentGroupName !== props.parentGroupName ||
          before.target !== target.key ||
          before.region !== target.region)
      ) {
        this.replace(before.thingGroupName === name && before.target === target.key && before.region === target.region);
      }
      const tags = { ...(props.tags ?? {}), ...ownershipTags(ownership) };
      const properties = {
        thingGroupDescription: props.description,
        attributePayload: { attributes, merge: false },
      };

      let live = before ? await describe(client, name) : undefined;
      if (!live) {
        let created: { thingGroupArn?: string };
        try {
          created = await client.send(
            new CreateThingGroupCommand({
              thingGroupName: name,
              parentGroupName: props.parentGroupName,
              thingGroupProperties: properties,
              tags: toTagList(tags),
            }),
          );
        } catch (error) {
          if (!(error instanceof ResourceAlreadyExistsException)) throw error;
          created = (await describe(client, name))!;
        }
        // CreateThingGroup succeeds for an identical existing group, so ownership is checked on the tags.
        const existingTags = await readTags(client, created.thingGroupArn!);
        if (!isOwnedBy(existingTags, ownership)) {
          if (!(props.adopt ?? this.scope.adopt)) {
            throw new AlreadyExistsError(
              `${label}: thing group "${name}" already exists in ${target.description} and was not created by this resource. ` +
                `Set adopt: true (or deploy with --adopt) to take it over, or choose another thingGroupName.`,
            );
          }
          await client.send(new UpdateThingGroupCommand({ thingGroupName: name, thingGroupProperties: properties }));
          await applyTagChanges(client, created.thingGroupArn!, tagChanges(withoutAwsTags(existingTags), tags));
        }
        live = (await describe(client, name))!;
      } else {
        const current = live.thingGroupProperties;
        if (
          (current?.thingGroupDescription ?? undefined) !== props.description ||
          !isDeepStrictEqual(current?.attributePayload?.attributes ?? {}, attributes)
        ) {
          await client.send(
            new UpdateThingGroupCommand({
              thingGroupName: name,
              // An empty description clears it.
              thingGroupProperties: { ...properties, thingGroupDescription: props.description ?? "" },
            }),
          );
        }
        if (!isDeepStrictEqual(before!.tags ?? {}, props.tags ?? {})) {
          await applyTagChanges(client, live.thingGroupArn!, tagChanges(before!.tags ?? {}, props.tags ?? {}));
        }
      }
      return {
        ...props,
        thingGroupName: name,
        thingGroupArn: live.thingGroupArn!,
        arn: live.thingGroupArn!,
        thingGroupId: live.thingGroupId!,
        region: target.region,
        target: target.key,
      };
    }),
  ),
  (id, props) => {
    checkProps(`ThingGroup "${id}"`, thingGroupPropsSchema, props ?? {});
  },
);
