/**
 * Tags: the ownership tags that identify the Alchemy resource that created an
 * IoT resource, and in-place tag changes with TagResource / UntagResource.
 */
import type { IoTClient, Tag } from "@aws-sdk/client-iot";
import { ListTagsForResourceCommand, TagResourceCommand, UntagResourceCommand, paginateListTagsForResource } from "./iot-sdk.ts";

// ------------------------------------------------------------------ CloudFormation's tags

export const STACK_NAME_TAG = "aws:cloudformation:stack-name";
export const LOGICAL_ID_TAG = "aws:cloudformation:logical-id";
export const STACK_ID_TAG = "aws:cloudformation:stack-id";

/** The CloudFormation stack resource an IoT resource was created as. */
export interface StackResourceRef {
  stackName: string;
  logicalId: string;
  stackId?: string;
}

/** The stack resource named by a resource's aws:cloudformation tags, if it has them. */
export function stackRefOf(tags: Record<string, string>): StackResourceRef | undefined {
  const stackName = tags[STACK_NAME_TAG];
  const logicalId = tags[LOGICAL_ID_TAG];
  if (!stackName || !logicalId) return undefined;
  return { stackName, logicalId, ...(tags[STACK_ID_TAG] ? { stackId: tags[STACK_ID_TAG] } : {}) };
}

// ------------------------------------------------------------------ ownership tags

/** Tag keys with this prefix are the provider's; users cannot set them. */
export const OWNERSHIP_TAG_PREFIX = "alchemy_";
export const OWNERSHIP_TAG_COUNT = 3;

export interface Ownership {
  app: string;
  stage: string;
  /** The resource's fully qualified name in the Alchemy app, e.g. `my-app/prod/firmware`. */
  resource: string;
}

export function ownershipTags(o: Ownership): Record<string, string> {
  return { alchemy_app: o.app, alchemy_stage: o.stage, alchemy_resource: o.resource };
}

/** Does a resource's tag set say it was created by this Alchemy resource? */
export function isOwnedBy(tags: Record<string, string>, o: Ownership): boolean {
  return tags.alchemy_app === o.app && tags.alchemy_stage === o.stage && tags.alchemy_resource === o.resource;
}

/** The tags a user manages: everything but the provider's and AWS's own. */
export function userTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith(OWNERSHIP_TAG_PREFIX) && !k.startsWith("aws:")));
}

/** Tags without AWS's reserved aws:* tags (which cannot be changed). */
export function withoutAwsTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith("aws:")));
}

export function toTagList(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function fromTagList(tags: readonly Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

export interface TagChanges {
  /** Tags to add or overwrite. */
  set: Record<string, string>;
  /** Tag keys to remove. */
  remove: string[];
}

export function tagChanges(before: Record<string, string>, after: Record<string, string>): TagChanges {
  const set = Object.fromEntries(Object.entries(after).filter(([k, v]) => before[k] !== v));
  const remove = Object.keys(before).filter((k) => !(k in after));
  return { set, remove };
}

export const hasTagChanges = (c: TagChanges) => Object.keys(c.set).length > 0 || c.remove.length > 0;

/** Reads every tag of a resource (following pages with the SDK's paginator). */
export async function readTags(client: IoTClient, resourceArn: string): Promise<Record<string, string>> {
  const tags: Tag[] = [];
  for await (const page of paginateListTagsForResource({ client }, { resourceArn })) tags.push(...(page.tags ?? []));
  return fromTagList(tags);
}

/** Applies tag changes: one TagResource for added/changed tags, one UntagResource for removed keys. */
export async function applyTagChanges(client: IoTClient, resourceArn: string, changes: TagChanges): Promise<void> {
  if (Object.keys(changes.set).length > 0) {
    await client.send(new TagResourceCommand({ resourceArn, tags: toTagList(changes.set) }));
  }
  if (changes.remove.length > 0) {
    await client.send(new UntagResourceCommand({ resourceArn, tagKeys: changes.remove }));
  }
}

/** The Alchemy resource a resource's ownership tags name, if it has them. */
export function ownerOf(tags: Record<string, string>): Ownership | undefined {
  if (tags.alchemy_resource === undefined) return undefined;
  return { app: tags.alchemy_app ?? "", stage: tags.alchemy_stage ?? "", resource: tags.alchemy_resource };
}

/** What a resource's tags say: its user tags, whether it is ours, the CloudFormation stack that created it. */
export interface TagReading {
  tags: Record<string, string>;
  ours: boolean;
  ownerTag?: string;
  /** The Alchemy resource its ownership tags name. */
  owner?: Ownership;
  stack?: StackResourceRef;
}

export async function readOwnership(client: IoTClient, arn: string, ownership: Ownership | undefined): Promise<TagReading> {
  const all = await readTags(client, arn);
  const stack = stackRefOf(all);
  const owner = ownerOf(all);
  return {
    tags: userTags(all),
    ours: ownership ? isOwnedBy(all, ownership) : false,
    ...(all.alchemy_resource ? { ownerTag: all.alchemy_resource } : {}),
    ...(owner ? { owner } : {}),
    ...(stack ? { stack } : {}),
  };
}

export { ListTagsForResourceCommand };
