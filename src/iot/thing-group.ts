import {
  CreateThingGroupCommand,
  DeleteThingGroupCommand,
  DescribeThingGroupCommand,
  ResourceAlreadyExistsException,
  UpdateThingGroupCommand,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { Resource, type Context, type Scope } from "alchemy";
import { decideThingGroup, type Change, type ThingGroupState } from "./changes.ts";
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
  /** For a group on the embedded local endpoint: that endpoint's instance id. */
  localInstance?: string;
}

const describe = (client: IoTClient, thingGroupName: string) =>
  ifFound(client.send(new DescribeThingGroupCommand({ thingGroupName })));

/** The desired state of a group from its props (validated first). */
export function desiredThingGroup(
  ctx: { id: string; fqn: string; scope: Scope },
  props: ThingGroupProps,
  target: { key: string; region: string },
): ThingGroupState {
  checkProps(`ThingGroup "${ctx.id}"`, thingGroupPropsSchema, props);
  const spec: ThingGroupState["spec"] = {
    thingGroupName: props.thingGroupName ?? physicalId(ownershipOf(ctx), 128),
    attributes: { ...(props.attributes ?? {}) },
  };
  if (props.parentGroupName !== undefined) spec.parentGroupName = props.parentGroupName;
  if (props.description !== undefined) spec.description = props.description;
  return { target: target.key, region: target.region, spec, tags: { ...(props.tags ?? {}) } };
}

/** The deployed state of a group, from its output. */
export function deployedThingGroup(output: ThingGroup): ThingGroupState {
  const spec: ThingGroupState["spec"] = { thingGroupName: output.thingGroupName, attributes: { ...(output.attributes ?? {}) } };
  if (output.parentGroupName !== undefined) spec.parentGroupName = output.parentGroupName;
  if (output.description !== undefined) spec.description = output.description;
  return { target: output.target, region: output.region, spec, tags: { ...(output.tags ?? {}) } };
}

/** Plans a deploy of the group (used by the handler and by the preview). */
export function planThingGroup(deployed: ThingGroup | undefined, desired: ThingGroupState): Change {
  return decideThingGroup(deployed ? deployedThingGroup(deployed) : undefined, desired);
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
      const { client, target } = await resolveIoT(props, this.scope);
      const ownership = ownershipOf(this);
      const desired = desiredThingGroup(this, props, target);
      const name = desired.spec.thingGroupName;
      if (this.phase === "update") await assertLocalDataPresent(this.output, this.scope, label);
      const before = this.phase === "update" ? this.output : undefined;
      const change = planThingGroup(before, desired);
      if (change.action === "replace") this.replace(change.replaceMode === "delete-first");
      const tags = { ...desired.tags, ...ownershipTags(ownership) };
      const properties = {
        thingGroupDescription: desired.spec.description,
        attributePayload: { attributes: desired.spec.attributes, merge: false },
      };

      let live = before ? await describe(client, name) : undefined;
      if (!live) {
        let created: { thingGroupArn?: string };
        try {
          created = await client.send(
            new CreateThingGroupCommand({
              thingGroupName: name,
              parentGroupName: desired.spec.parentGroupName,
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
        if (change.operations.some((o) => o.operation === "UpdateThingGroup")) {
          await client.send(
            new UpdateThingGroupCommand({
              thingGroupName: name,
              // An empty description clears it.
              thingGroupProperties: { ...properties, thingGroupDescription: desired.spec.description ?? "" },
            }),
          );
        }
        if (change.operations.some((o) => o.operation === "TagResource" || o.operation === "UntagResource")) {
          await applyTagChanges(client, live.thingGroupArn!, tagChanges(before!.tags ?? {}, desired.tags));
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
        ...localInstanceOf(target),
      };
    }),
  ),
  (id, props) => {
    checkProps(`ThingGroup "${id}"`, thingGroupPropsSchema, props ?? {});
  },
);
