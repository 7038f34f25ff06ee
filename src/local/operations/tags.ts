/** TagResource, UntagResource, ListTagsForResource on job, jobtemplate, thing and thinggroup ARNs. */
import { LISTS, STRINGS } from "../../api/constraints.ts";
import * as check from "./checks.ts";
import { invalid } from "../errors.ts";
import { compact, type Handler } from "./handler.ts";

export const tagResource: Handler = (world, { body }) => {
  const resourceArn = check.str("resourceArn", body.resourceArn, {}, { required: true })!;
  check.required("tags", body.tags);
  const tags = check.tags("tags", body.tags)!;
  world.requireTaggable(resourceArn);
  const merged = { ...(world.tables.tags.get(resourceArn) ?? {}), ...tags };
  if (Object.keys(merged).length > LISTS.tagsPerResource.max) {
    throw invalid(
      `Resource ${resourceArn} would have ${Object.keys(merged).length} tags; at most ${LISTS.tagsPerResource.max} are allowed per resource.`,
    );
  }
  world.tables.tags.set(resourceArn, merged);
  return {};
};

export const untagResource: Handler = (world, { body }) => {
  const resourceArn = check.str("resourceArn", body.resourceArn, {}, { required: true })!;
  check.required("tagKeys", body.tagKeys);
  const keys = check.list("tagKeys", body.tagKeys) as string[];
  keys.forEach((key, i) => check.str(`tagKeys.${i + 1}`, key, STRINGS.tagKey, { required: true }));
  world.requireTaggable(resourceArn);
  const current = { ...(world.tables.tags.get(resourceArn) ?? {}) };
  for (const key of keys) delete current[key];
  world.tables.tags.set(resourceArn, current);
  return {};
};

export const listTagsForResource: Handler = (world, { query }) => {
  const resourceArn = check.str("resourceArn", query.resourceArn, {}, { required: true })!;
  world.requireTaggable(resourceArn);
  const items = Object.entries(world.tables.tags.get(resourceArn) ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Key, Value], i) => ({ seq: i + 1, tag: { Key, Value } }));
  const page = world.paginate("ListTagsForResource", items, {
    nextToken: query.nextToken,
    filter: resourceArn,
  });
  return compact({ tags: page.items.map((i) => i.tag), nextToken: page.nextToken });
};
