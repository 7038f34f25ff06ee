/**
 * The account's tags on jobs, job templates, things, thing groups, software
 * packages and package versions: what TagResource, UntagResource and
 * ListTagsForResource check and change.
 */
import { LISTS, STRINGS } from "../../api/constraints.ts";
import { IoTError, invalid } from "../errors.ts";
import { catalogResourceExists } from "../state/catalog.ts";
import type { Page } from "../state/pagination.ts";
import type { World } from "../state/world.ts";
import * as check from "./checks.ts";

/** A 404 unless the ARN names a taggable resource of this account and region (a 400 for a managed template). */
function requireTaggable(world: World, resourceArn: string): void {
  const parsed = world.parseArn(resourceArn);
  if (parsed && parsed.account === "" && parsed.type === "jobtemplate") {
    throw invalid(`Managed job templates cannot be tagged: ${resourceArn}`);
  }
  const { tables } = world;
  const exists =
    parsed !== undefined &&
    parsed.region === world.region &&
    parsed.account === world.accountId &&
    ((parsed.type === "job" && tables.jobs.has(parsed.name) && tables.jobs.get(parsed.name)!.status !== "DELETION_IN_PROGRESS") ||
      (parsed.type === "jobtemplate" && tables.templates.has(parsed.name)) ||
      (parsed.type === "thing" && tables.things.has(parsed.name)) ||
      (parsed.type === "thinggroup" && tables.thingGroups.has(parsed.name)) ||
      (parsed.type === "package" && catalogResourceExists(tables, parsed.name)));
  if (!exists) {
    throw new IoTError("ResourceNotFoundException", `Resource ${resourceArn} cannot be found.`);
  }
}

export function tagResource(world: World, input: { resourceArn: string; tags: Array<{ Key?: string; Value?: string }> }): void {
  const resourceArn = check.str("resourceArn", input.resourceArn, {}, { required: true })!;
  check.required("tags", input.tags);
  const tags = check.tags("tags", input.tags)!;
  requireTaggable(world, resourceArn);
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
  requireTaggable(world, resourceArn);
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
  requireTaggable(world, resourceArn);
  const items = Object.entries(world.tables.tags.get(resourceArn) ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Key, Value], i) => ({ seq: i + 1, Key, Value }));
  const page = world.paginate("ListTagsForResource", items, { nextToken: input.nextToken, filter: resourceArn });
  return { items: page.items.map(({ Key, Value }) => ({ Key, Value })), nextToken: page.nextToken };
}
