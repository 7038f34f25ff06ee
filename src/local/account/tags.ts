/** The account's tags on jobs, job templates, things and thing groups: what TagResource, UntagResource and ListTagsForResource check and change. */
import { LISTS, STRINGS } from "../../api/constraints.ts";
import { invalid } from "../errors.ts";
import type { Page } from "../state/pagination.ts";
import type { World } from "../state/world.ts";
import * as check from "./checks.ts";

export function tagResource(world: World, input: { resourceArn: string; tags: Array<{ Key?: string; Value?: string }> }): void {
  const resourceArn = check.str("resourceArn", input.resourceArn, {}, { required: true })!;
  check.required("tags", input.tags);
  const tags = check.tags("tags", input.tags)!;
  world.requireTaggable(resourceArn);
  const merged = { ...(world.tables.tags.get(resourceArn) ?? {}), ...tags };
  if (Object.keys(merged).length > LISTS.tagsPerResource.max) {
    throw invalid(
      `Resource ${resourceArn} would have ${Object.keys(merged).length} tags; at most ${LISTS.tagsPerResource.max} are allowed per resource.`,
    );
  }
  world.tables.tags.set(resourceArn, merged);
}

export function untagResource(world: World, input: { resourceArn: string; tagKeys: string[] }): void {
  const resourceArn = check.str("resourceArn", input.resourceArn, {}, { required: true })!;
  check.required("tagKeys", input.tagKeys);
  const keys = check.list("tagKeys", input.tagKeys) as string[];
  keys.forEach((key, i) => check.str(`tagKeys.${i + 1}`, key, STRINGS.tagKey, { required: true }));
  world.requireTaggable(resourceArn);
  const current = { ...(world.tables.tags.get(resourceArn) ?? {}) };
  for (const key of keys) delete current[key];
  world.tables.tags.set(resourceArn, current);
}

/** A resource's tags, by key. */
export function listTagsForResource(
  world: World,
  input: { resourceArn: string; nextToken?: string },
): Page<{ Key: string; Value: string }> {
  const resourceArn = check.str("resourceArn", input.resourceArn, {}, { required: true })!;
  world.requireTaggable(resourceArn);
  const items = Object.entries(world.tables.tags.get(resourceArn) ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Key, Value], i) => ({ seq: i + 1, Key, Value }));
  const page = world.paginate("ListTagsForResource", items, { nextToken: input.nextToken, filter: resourceArn });
  return { items: page.items.map(({ Key, Value }) => ({ Key, Value })), nextToken: page.nextToken };
}
