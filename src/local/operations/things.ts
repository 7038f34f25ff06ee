/**
 * Things and thing groups, so that job targets can exist: CreateThing,
 * DescribeThing, UpdateThing, DeleteThing, CreateThingGroup,
 * DescribeThingGroup, UpdateThingGroup, DeleteThingGroup,
 * AddThingToThingGroup, RemoveThingFromThingGroup, ListThingGroupsForThing,
 * ListThingsInThingGroup.
 */
import { LISTS, STRINGS } from "../../api/constraints.ts";
import * as check from "../account/checks.ts";
import { IoTError, invalid, notFound } from "../errors.ts";
import type { JsonObject, ThingGroupRecord, ThingRecord } from "../state/store.ts";
import type { World } from "../state/world.ts";
import { compact, type Handler } from "./handler.ts";

function attributes(path: string, payload: unknown): { attributes?: Record<string, string>; merge: boolean } {
  const p = check.obj(path, payload);
  if (!p) return { merge: false };
  const attrs = check.stringMap(`${path}.attributes`, p.attributes, STRINGS.attributeName, STRINGS.attributeValue, LISTS.attributes.max);
  return { attributes: attrs, merge: check.bool(`${path}.merge`, p.merge) ?? false };
}

function checkVersion(current: number, expected: unknown, what: string): void {
  const v = check.num("expectedVersion", typeof expected === "string" ? Number(expected) : expected, { min: 0, integer: true });
  if (v !== undefined && v !== current) {
    throw new IoTError("VersionConflictException", `The expected version ${v} of ${what} does not match its version ${current}.`);
  }
}

function requireThing(world: World, thingName: string): ThingRecord {
  const thing = world.tables.things.get(thingName);
  if (!thing) throw notFound(`Thing ${thingName} cannot be found.`);
  return thing;
}

function requireGroup(world: World, name: string): ThingGroupRecord {
  const group = world.tables.thingGroups.get(name);
  if (!group) throw notFound(`Thing group ${name} cannot be found.`);
  return group;
}

const sameMap = (a: Record<string, string>, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

export const createThing: Handler = (world, { params, body }) => {
  const thingName = check.str("thingName", params.thingName, STRINGS.thingName, { required: true })!;
  const thingTypeName = check.str("thingTypeName", body.thingTypeName, STRINGS.thingTypeName);
  const { attributes: attrs } = attributes("attributePayload", body.attributePayload);
  const existing = world.tables.things.get(thingName);
  if (existing) {
    // CreateThing is idempotent for an identical thing.
    if (sameMap(existing.attributes, attrs ?? {}) && existing.thingTypeName === thingTypeName) {
      return { thingName, thingArn: existing.thingArn, thingId: existing.thingId };
    }
    throw new IoTError("ResourceAlreadyExistsException", `Thing ${thingName} already exists with different attributes.`, {
      resourceId: existing.thingId,
      resourceArn: existing.thingArn,
    });
  }
  const thing: ThingRecord = {
    seq: world.nextSeq(),
    thingName,
    thingArn: world.arn(`thing/${thingName}`),
    thingId: world.newId(),
    thingTypeName,
    attributes: attrs ?? {},
    version: 1,
    createdAt: world.now(),
  };
  world.tables.things.set(thingName, thing);
  return { thingName, thingArn: thing.thingArn, thingId: thing.thingId };
};

export const describeThing: Handler = (world, { params }) => {
  const t = requireThing(world, params.thingName);
  return compact({
    defaultClientId: t.thingName,
    thingName: t.thingName,
    thingId: t.thingId,
    thingArn: t.thingArn,
    thingTypeName: t.thingTypeName,
    attributes: t.attributes,
    version: t.version,
  });
};

export const updateThing: Handler = (world, { params, body }) => {
  const t = requireThing(world, params.thingName);
  checkVersion(t.version, body.expectedVersion, `thing ${t.thingName}`);
  const { attributes: attrs, merge } = attributes("attributePayload", body.attributePayload);
  if (check.bool("removeThingType", body.removeThingType)) t.thingTypeName = undefined;
  const thingTypeName = check.str("thingTypeName", body.thingTypeName, STRINGS.thingTypeName);
  if (thingTypeName !== undefined) t.thingTypeName = thingTypeName;
  if (attrs) t.attributes = mergeAttributes(t.attributes, attrs, merge);
  t.version += 1;
  return {};
};

/** With merge, an empty value removes an attribute; without, the given map replaces all attributes. */
function mergeAttributes(current: Record<string, string>, given: Record<string, string>, merge: boolean) {
  if (!merge) return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== ""));
  const out = { ...current };
  for (const [k, v] of Object.entries(given)) {
    if (v === "") delete out[k];
    else out[k] = v;
  }
  return out;
}

export const deleteThing: Handler = (world, { params, query }) => {
  const t = requireThing(world, params.thingName);
  checkVersion(t.version, query.expectedVersion, `thing ${t.thingName}`);
  world.tables.things.delete(t.thingName);
  world.tables.tags.delete(t.thingArn);
  for (const group of world.tables.thingGroups.values()) {
    group.members = group.members.filter((m) => m !== t.thingName);
  }
  return {};
};

export const createThingGroup: Handler = (world, { params, body }) => {
  const name = check.str("thingGroupName", params.thingGroupName, STRINGS.thingGroupName, { required: true })!;
  const parentGroupName = check.str("parentGroupName", body.parentGroupName, STRINGS.thingGroupName);
  const props = check.obj("thingGroupProperties", body.thingGroupProperties);
  const description = check.str("thingGroupProperties.thingGroupDescription", props?.thingGroupDescription, STRINGS.thingGroupDescription);
  const { attributes: attrs } = attributes("thingGroupProperties.attributePayload", props?.attributePayload);
  const tags = check.tags("tags", body.tags);
  // The model lists no ResourceNotFoundException for CreateThingGroup: a missing parent is a bad request.
  if (parentGroupName !== undefined && !world.tables.thingGroups.has(parentGroupName)) {
    throw invalid(`The parent thing group ${parentGroupName} cannot be found.`);
  }
  const existing = world.tables.thingGroups.get(name);
  if (existing) {
    if (
      existing.description === description &&
      existing.parentGroupName === parentGroupName &&
      sameMap(existing.attributes, attrs ?? {})
    ) {
      return { thingGroupName: name, thingGroupArn: existing.thingGroupArn, thingGroupId: existing.thingGroupId };
    }
    throw new IoTError("ResourceAlreadyExistsException", `Thing group ${name} already exists with different properties.`, {
      resourceId: existing.thingGroupId,
      resourceArn: existing.thingGroupArn,
    });
  }
  const group: ThingGroupRecord = {
    seq: world.nextSeq(),
    thingGroupName: name,
    thingGroupArn: world.arn(`thinggroup/${name}`),
    thingGroupId: world.newId(),
    description,
    attributes: attrs ?? {},
    parentGroupName,
    version: 1,
    createdAt: world.now(),
    members: [],
  };
  world.tables.thingGroups.set(name, group);
  if (tags && Object.keys(tags).length > 0) world.tables.tags.set(group.thingGroupArn, tags);
  return { thingGroupName: name, thingGroupArn: group.thingGroupArn, thingGroupId: group.thingGroupId };
};

function ancestors(world: World, group: ThingGroupRecord): JsonObject[] {
  const chain: JsonObject[] = [];
  let parent = group.parentGroupName;
  while (parent) {
    const p = world.tables.thingGroups.get(parent);
    if (!p) break;
    chain.unshift({ groupName: p.thingGroupName, groupArn: p.thingGroupArn });
    parent = p.parentGroupName;
  }
  return chain;
}

export const describeThingGroup: Handler = (world, { params }) => {
  const g = requireGroup(world, params.thingGroupName);
  return compact({
    thingGroupName: g.thingGroupName,
    thingGroupId: g.thingGroupId,
    thingGroupArn: g.thingGroupArn,
    version: g.version,
    thingGroupProperties: compact({
      thingGroupDescription: g.description,
      attributePayload: { attributes: g.attributes },
    }),
    thingGroupMetadata: compact({
      parentGroupName: g.parentGroupName,
      rootToParentThingGroups: ancestors(world, g),
      creationDate: g.createdAt,
    }),
    status: "ACTIVE",
  });
};

export const updateThingGroup: Handler = (world, { params, body }) => {
  const g = requireGroup(world, params.thingGroupName);
  checkVersion(g.version, body.expectedVersion, `thing group ${g.thingGroupName}`);
  const props = check.obj("thingGroupProperties", body.thingGroupProperties);
  check.required("thingGroupProperties", props);
  const description = check.str("thingGroupProperties.thingGroupDescription", props!.thingGroupDescription, STRINGS.thingGroupDescription);
  const { attributes: attrs, merge } = attributes("thingGroupProperties.attributePayload", props!.attributePayload);
  if (description !== undefined) g.description = description === "" ? undefined : description;
  if (attrs) g.attributes = mergeAttributes(g.attributes, attrs, merge);
  g.version += 1;
  return { version: g.version };
};

export const deleteThingGroup: Handler = (world, { params, query }) => {
  const name = check.str("thingGroupName", params.thingGroupName, STRINGS.thingGroupName, { required: true })!;
  const g = world.tables.thingGroups.get(name);
  // Deleting a thing group that does not exist succeeds.
  if (!g) return {};
  checkVersion(g.version, query.expectedVersion, `thing group ${name}`);
  if ([...world.tables.thingGroups.values()].some((c) => c.parentGroupName === name)) {
    throw invalid(`Thing group ${name} has child groups; delete them first.`);
  }
  world.tables.thingGroups.delete(name);
  world.tables.tags.delete(g.thingGroupArn);
  return {};
};

function groupFromBody(world: World, body: JsonObject): ThingGroupRecord {
  const name = check.str("thingGroupName", body.thingGroupName, STRINGS.thingGroupName);
  const arn = check.str("thingGroupArn", body.thingGroupArn, {});
  const resolved = name ?? (arn ? world.parseArn(arn)?.name : undefined);
  if (!resolved) throw invalid("Either thingGroupName or thingGroupArn must be specified.");
  return requireGroup(world, resolved);
}

function thingFromBody(world: World, body: JsonObject): ThingRecord {
  const name = check.str("thingName", body.thingName, STRINGS.thingName);
  const arn = check.str("thingArn", body.thingArn, {});
  const resolved = name ?? (arn ? world.parseArn(arn)?.name : undefined);
  if (!resolved) throw invalid("Either thingName or thingArn must be specified.");
  return requireThing(world, resolved);
}

export const addThingToThingGroup: Handler = (world, { body }) => {
  const group = groupFromBody(world, body);
  const thing = thingFromBody(world, body);
  if (!group.members.includes(thing.thingName)) group.members.push(thing.thingName);
  // Continuous jobs that target the group reach the new member.
  for (const job of world.tables.jobs.values()) {
    if (job.status === "IN_PROGRESS" && job.targetSelection === "CONTINUOUS" && job.targets.includes(group.thingGroupArn)) {
      world.queueExecution(job, thing.thingName);
    }
  }
  return {};
};

export const removeThingFromThingGroup: Handler = (world, { body }) => {
  const group = groupFromBody(world, body);
  const thing = thingFromBody(world, body);
  group.members = group.members.filter((m) => m !== thing.thingName);
  // A queued execution of a continuous job is removed when its thing leaves the target group.
  for (const job of world.tables.jobs.values()) {
    if (job.targetSelection !== "CONTINUOUS" || !job.targets.includes(group.thingGroupArn)) continue;
    if (job.targets.includes(thing.thingArn)) continue;
    const e = world.latestExecution(job.jobId, thing.thingName);
    if (e?.status === "QUEUED") world.setExecutionStatus(e, "REMOVED");
  }
  return {};
};

export const listThingGroupsForThing: Handler = (world, { params, query }) => {
  const thing = requireThing(world, params.thingName);
  const maxResults = check.maxResults(query.maxResults);
  const items = [...world.tables.thingGroups.values()]
    .filter((g) => g.members.includes(thing.thingName))
    .sort((a, b) => a.seq - b.seq);
  const page = world.paginate("ListThingGroupsForThing", items, {
    nextToken: query.nextToken,
    maxResults,
    filter: thing.thingName,
  });
  return compact({
    thingGroups: page.items.map((g) => ({ groupName: g.thingGroupName, groupArn: g.thingGroupArn })),
    nextToken: page.nextToken,
  });
};

export const listThingsInThingGroup: Handler = (world, { params, query }) => {
  const group = requireGroup(world, params.thingGroupName);
  const maxResults = check.maxResults(query.maxResults);
  const recursive = check.bool("recursive", query.recursive) ?? false;
  const names = new Set(group.members);
  if (recursive) {
    const stack = [group.thingGroupName];
    while (stack.length) {
      const parent = stack.pop()!;
      for (const child of world.tables.thingGroups.values()) {
        if (child.parentGroupName === parent) {
          child.members.forEach((m) => names.add(m));
          stack.push(child.thingGroupName);
        }
      }
    }
  }
  const items = [...names].map((name, i) => ({ seq: i + 1, name }));
  const page = world.paginate("ListThingsInThingGroup", items, {
    nextToken: query.nextToken,
    maxResults,
    filter: `${group.thingGroupName}|${recursive}`,
  });
  return compact({ things: page.items.map((i) => i.name), nextToken: page.nextToken });
};
