/**
 * The account's things and thing groups, so that job targets can exist: what
 * CreateThing, DescribeThing, UpdateThing, DeleteThing, CreateThingGroup,
 * DescribeThingGroup, UpdateThingGroup, DeleteThingGroup,
 * AddThingToThingGroup, RemoveThingFromThingGroup, ListThingGroupsForThing
 * and ListThingsInThingGroup check, read and change (requests and answers:
 * operations/things.ts).
 */
import { LISTS, STRINGS } from "../../api/constraints.ts";
import { IoTError, invalid, notFound } from "../errors.ts";
import type { Page } from "../state/pagination.ts";
import type { ThingGroupRecord, ThingRecord } from "../state/store.ts";
import type { World } from "../state/world.ts";
import * as check from "./checks.ts";

/** An attributePayload: attributes, and whether they merge into the current ones. */
export interface AttributePayload {
  attributes?: Record<string, string>;
  merge?: boolean;
}

function attributes(path: string, payload: AttributePayload | undefined): { attributes?: Record<string, string>; merge: boolean } {
  if (!payload) return { merge: false };
  const attrs = check.stringMap(
    `${path}.attributes`,
    payload.attributes,
    STRINGS.attributeName,
    STRINGS.attributeValue,
    LISTS.attributes.max,
  );
  return { attributes: attrs, merge: payload.merge ?? false };
}

function checkVersion(current: number, expected: number | undefined, what: string): void {
  const v = check.num("expectedVersion", expected, { min: 0, integer: true });
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

// ---------------------------------------------------------------- things

export interface CreateThingInput {
  thingName: string;
  thingTypeName?: string;
  attributePayload?: AttributePayload;
}

/** Creates a thing; CreateThing is idempotent for an identical thing (the existing one is returned). */
export function createThing(world: World, input: CreateThingInput): ThingRecord {
  const thingName = check.str("thingName", input.thingName, STRINGS.thingName, { required: true })!;
  const thingTypeName = check.str("thingTypeName", input.thingTypeName, STRINGS.thingTypeName);
  const { attributes: attrs } = attributes("attributePayload", input.attributePayload);
  const existing = world.tables.things.get(thingName);
  if (existing) {
    if (sameMap(existing.attributes, attrs ?? {}) && existing.thingTypeName === thingTypeName) return existing;
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
  return thing;
}

export function describeThing(world: World, input: { thingName: string }): ThingRecord {
  return requireThing(world, input.thingName);
}

export interface UpdateThingInput {
  thingName: string;
  expectedVersion?: number;
  attributePayload?: AttributePayload;
  removeThingType?: boolean;
  thingTypeName?: string;
}

export function updateThing(world: World, input: UpdateThingInput): void {
  const t = requireThing(world, input.thingName);
  checkVersion(t.version, input.expectedVersion, `thing ${t.thingName}`);
  const { attributes: attrs, merge } = attributes("attributePayload", input.attributePayload);
  if (input.removeThingType) t.thingTypeName = undefined;
  const thingTypeName = check.str("thingTypeName", input.thingTypeName, STRINGS.thingTypeName);
  if (thingTypeName !== undefined) t.thingTypeName = thingTypeName;
  if (attrs) t.attributes = mergeAttributes(t.attributes, attrs, merge);
  t.version += 1;
}

export function deleteThing(world: World, input: { thingName: string; expectedVersion?: number }): void {
  const t = requireThing(world, input.thingName);
  checkVersion(t.version, input.expectedVersion, `thing ${t.thingName}`);
  world.tables.things.delete(t.thingName);
  world.tables.tags.delete(t.thingArn);
  for (const group of world.tables.thingGroups.values()) {
    group.members = group.members.filter((m) => m !== t.thingName);
  }
}

// ---------------------------------------------------------------- thing groups

export interface ThingGroupProperties {
  thingGroupDescription?: string;
  attributePayload?: AttributePayload;
}

export interface CreateThingGroupInput {
  thingGroupName: string;
  parentGroupName?: string;
  thingGroupProperties?: ThingGroupProperties;
  tags?: Array<{ Key?: string; Value?: string }>;
}

/** Creates a thing group; idempotent for an identical group (the existing one is returned). */
export function createThingGroup(world: World, input: CreateThingGroupInput): ThingGroupRecord {
  const name = check.str("thingGroupName", input.thingGroupName, STRINGS.thingGroupName, { required: true })!;
  const parentGroupName = check.str("parentGroupName", input.parentGroupName, STRINGS.thingGroupName);
  const props = input.thingGroupProperties;
  const description = check.str("thingGroupProperties.thingGroupDescription", props?.thingGroupDescription, STRINGS.thingGroupDescription);
  const { attributes: attrs } = attributes("thingGroupProperties.attributePayload", props?.attributePayload);
  const tags = check.tags("tags", input.tags);
  // The model lists no ResourceNotFoundException for CreateThingGroup: a missing parent is a bad request.
  if (parentGroupName !== undefined && !world.tables.thingGroups.has(parentGroupName)) {
    throw invalid(`The parent thing group ${parentGroupName} cannot be found.`);
  }
  const existing = world.tables.thingGroups.get(name);
  if (existing) {
    if (existing.description === description && existing.parentGroupName === parentGroupName && sameMap(existing.attributes, attrs ?? {})) {
      return existing;
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
  return group;
}

/** A group, with its ancestors from the root down to its parent. */
export interface ThingGroupView {
  group: ThingGroupRecord;
  ancestors: ThingGroupRecord[];
}

export function describeThingGroup(world: World, input: { thingGroupName: string }): ThingGroupView {
  const group = requireGroup(world, input.thingGroupName);
  const ancestors: ThingGroupRecord[] = [];
  let parent = group.parentGroupName;
  while (parent) {
    const p = world.tables.thingGroups.get(parent);
    if (!p) break;
    ancestors.unshift(p);
    parent = p.parentGroupName;
  }
  return { group, ancestors };
}

export interface UpdateThingGroupInput {
  thingGroupName: string;
  expectedVersion?: number;
  thingGroupProperties: ThingGroupProperties;
}

/** Returns the group's new version. */
export function updateThingGroup(world: World, input: UpdateThingGroupInput): number {
  const g = requireGroup(world, input.thingGroupName);
  checkVersion(g.version, input.expectedVersion, `thing group ${g.thingGroupName}`);
  const props = input.thingGroupProperties;
  check.required("thingGroupProperties", props);
  const description = check.str("thingGroupProperties.thingGroupDescription", props.thingGroupDescription, STRINGS.thingGroupDescription);
  const { attributes: attrs, merge } = attributes("thingGroupProperties.attributePayload", props.attributePayload);
  if (description !== undefined) g.description = description === "" ? undefined : description;
  if (attrs) g.attributes = mergeAttributes(g.attributes, attrs, merge);
  g.version += 1;
  return g.version;
}

/** Deleting a thing group that does not exist succeeds. */
export function deleteThingGroup(world: World, input: { thingGroupName: string; expectedVersion?: number }): void {
  const name = check.str("thingGroupName", input.thingGroupName, STRINGS.thingGroupName, { required: true })!;
  const g = world.tables.thingGroups.get(name);
  if (!g) return;
  checkVersion(g.version, input.expectedVersion, `thing group ${name}`);
  if ([...world.tables.thingGroups.values()].some((c) => c.parentGroupName === name)) {
    throw invalid(`Thing group ${name} has child groups; delete them first.`);
  }
  world.tables.thingGroups.delete(name);
  world.tables.tags.delete(g.thingGroupArn);
}

// ---------------------------------------------------------------- membership

/** A thing and a group, each by name or ARN (AddThingToThingGroup, RemoveThingFromThingGroup). */
export interface MembershipInput {
  thingGroupName?: string;
  thingGroupArn?: string;
  thingName?: string;
  thingArn?: string;
}

function groupOf(world: World, input: MembershipInput): ThingGroupRecord {
  const name = check.str("thingGroupName", input.thingGroupName, STRINGS.thingGroupName);
  const arn = check.str("thingGroupArn", input.thingGroupArn, {});
  const resolved = name ?? (arn ? world.parseArn(arn)?.name : undefined);
  if (!resolved) throw invalid("Either thingGroupName or thingGroupArn must be specified.");
  return requireGroup(world, resolved);
}

function thingOf(world: World, input: MembershipInput): ThingRecord {
  const name = check.str("thingName", input.thingName, STRINGS.thingName);
  const arn = check.str("thingArn", input.thingArn, {});
  const resolved = name ?? (arn ? world.parseArn(arn)?.name : undefined);
  if (!resolved) throw invalid("Either thingName or thingArn must be specified.");
  return requireThing(world, resolved);
}

export function addThingToThingGroup(world: World, input: MembershipInput): void {
  const group = groupOf(world, input);
  const thing = thingOf(world, input);
  if (!group.members.includes(thing.thingName)) group.members.push(thing.thingName);
  // Continuous jobs that target the group reach the new member.
  for (const job of world.tables.jobs.values()) {
    if (job.status === "IN_PROGRESS" && job.targetSelection === "CONTINUOUS" && job.targets.includes(group.thingGroupArn)) {
      world.queueExecution(job, thing.thingName);
    }
  }
}

export function removeThingFromThingGroup(world: World, input: MembershipInput): void {
  const group = groupOf(world, input);
  const thing = thingOf(world, input);
  group.members = group.members.filter((m) => m !== thing.thingName);
  // A queued execution of a continuous job is removed when its thing leaves the target group.
  for (const job of world.tables.jobs.values()) {
    if (job.targetSelection !== "CONTINUOUS" || !job.targets.includes(group.thingGroupArn)) continue;
    if (job.targets.includes(thing.thingArn)) continue;
    const e = world.latestExecution(job.jobId, thing.thingName);
    if (e?.status === "QUEUED") world.setExecutionStatus(e, "REMOVED");
  }
}

/** The groups the thing is a direct member of, oldest first. */
export function listThingGroupsForThing(
  world: World,
  input: { thingName: string; maxResults?: number; nextToken?: string },
): Page<ThingGroupRecord> {
  const thing = requireThing(world, input.thingName);
  const maxResults = check.pageSize(input.maxResults);
  const items = [...world.tables.thingGroups.values()].filter((g) => g.members.includes(thing.thingName)).sort((a, b) => a.seq - b.seq);
  return world.paginate("ListThingGroupsForThing", items, { nextToken: input.nextToken, maxResults, filter: thing.thingName });
}

/** The names of the group's things; with recursive, its child groups' too. */
export function listThingsInThingGroup(
  world: World,
  input: { thingGroupName: string; maxResults?: number; recursive?: boolean; nextToken?: string },
): Page<string> {
  const group = requireGroup(world, input.thingGroupName);
  const maxResults = check.pageSize(input.maxResults);
  const recursive = input.recursive ?? false;
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
    nextToken: input.nextToken,
    maxResults,
    filter: `${group.thingGroupName}|${recursive}`,
  });
  return { items: page.items.map((i) => i.name), nextToken: page.nextToken };
}
