/**
 * Things and thing groups: CreateThing, DescribeThing, UpdateThing,
 * DeleteThing, CreateThingGroup, DescribeThingGroup, UpdateThingGroup,
 * DeleteThingGroup, AddThingToThingGroup, RemoveThingFromThingGroup,
 * ListThingGroupsForThing, ListThingsInThingGroup: their requests decoded,
 * their answers shaped (the checks and the changes: account/things.ts).
 */
import * as things from "../account/things.ts";
import type { JsonObject } from "../state/store.ts";
import * as decode from "./decode.ts";
import { compact, type Handler } from "./handler.ts";

function attributePayload(path: string, value: unknown): things.AttributePayload | undefined {
  const payload = decode.object(path, value);
  if (!payload) return undefined;
  return { attributes: decode.textMap(`${path}.attributes`, payload.attributes), merge: decode.flag(`${path}.merge`, payload.merge) };
}

function thingGroupProperties(props: JsonObject): things.ThingGroupProperties;
function thingGroupProperties(props: JsonObject | undefined): things.ThingGroupProperties | undefined;
function thingGroupProperties(props: JsonObject | undefined): things.ThingGroupProperties | undefined {
  if (!props) return undefined;
  return {
    thingGroupDescription: decode.text("thingGroupProperties.thingGroupDescription", props.thingGroupDescription),
    attributePayload: attributePayload("thingGroupProperties.attributePayload", props.attributePayload),
  };
}

function membership(body: JsonObject): things.MembershipInput {
  return {
    thingGroupName: decode.text("thingGroupName", body.thingGroupName),
    thingGroupArn: decode.text("thingGroupArn", body.thingGroupArn),
    thingName: decode.text("thingName", body.thingName),
    thingArn: decode.text("thingArn", body.thingArn),
  };
}

export const createThing: Handler = (world, { params, body }) => {
  const t = things.createThing(world, {
    thingName: decode.requiredText("thingName", params.thingName),
    thingTypeName: decode.text("thingTypeName", body.thingTypeName),
    attributePayload: attributePayload("attributePayload", body.attributePayload),
  });
  return { thingName: t.thingName, thingArn: t.thingArn, thingId: t.thingId };
};

export const describeThing: Handler = (world, { params }) => {
  const t = things.describeThing(world, { thingName: decode.requiredText("thingName", params.thingName) });
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
  things.updateThing(world, {
    thingName: decode.requiredText("thingName", params.thingName),
    expectedVersion: decode.version(body.expectedVersion),
    attributePayload: attributePayload("attributePayload", body.attributePayload),
    removeThingType: decode.flag("removeThingType", body.removeThingType),
    thingTypeName: decode.text("thingTypeName", body.thingTypeName),
  });
  return {};
};

export const deleteThing: Handler = (world, { params, query }) => {
  things.deleteThing(world, {
    thingName: decode.requiredText("thingName", params.thingName),
    expectedVersion: decode.version(query.expectedVersion),
  });
  return {};
};

export const createThingGroup: Handler = (world, { params, body }) => {
  const g = things.createThingGroup(world, {
    thingGroupName: decode.requiredText("thingGroupName", params.thingGroupName),
    parentGroupName: decode.text("parentGroupName", body.parentGroupName),
    thingGroupProperties: thingGroupProperties(decode.object("thingGroupProperties", body.thingGroupProperties)),
    tags: decode.tagList("tags", body.tags),
  });
  return { thingGroupName: g.thingGroupName, thingGroupArn: g.thingGroupArn, thingGroupId: g.thingGroupId };
};

export const describeThingGroup: Handler = (world, { params }) => {
  const { group: g, ancestors } = things.describeThingGroup(world, {
    thingGroupName: decode.requiredText("thingGroupName", params.thingGroupName),
  });
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
      rootToParentThingGroups: ancestors.map((p) => ({ groupName: p.thingGroupName, groupArn: p.thingGroupArn })),
      creationDate: g.createdAt,
    }),
    status: "ACTIVE",
  });
};

export const updateThingGroup: Handler = (world, { params, body }) => {
  const version = things.updateThingGroup(world, {
    thingGroupName: decode.requiredText("thingGroupName", params.thingGroupName),
    expectedVersion: decode.version(body.expectedVersion),
    thingGroupProperties: thingGroupProperties(decode.requiredObject("thingGroupProperties", body.thingGroupProperties)),
  });
  return { version };
};

export const deleteThingGroup: Handler = (world, { params, query }) => {
  things.deleteThingGroup(world, {
    thingGroupName: decode.requiredText("thingGroupName", params.thingGroupName),
    expectedVersion: decode.version(query.expectedVersion),
  });
  return {};
};

export const addThingToThingGroup: Handler = (world, { body }) => {
  things.addThingToThingGroup(world, membership(body));
  return {};
};

export const removeThingFromThingGroup: Handler = (world, { body }) => {
  things.removeThingFromThingGroup(world, membership(body));
  return {};
};

export const listThingGroupsForThing: Handler = (world, { params, query }) => {
  const page = things.listThingGroupsForThing(world, {
    thingName: decode.requiredText("thingName", params.thingName),
    maxResults: decode.maxResults(query.maxResults),
    nextToken: query.nextToken,
  });
  return compact({
    thingGroups: page.items.map((g) => ({ groupName: g.thingGroupName, groupArn: g.thingGroupArn })),
    nextToken: page.nextToken,
  });
};

export const listThingsInThingGroup: Handler = (world, { params, query }) => {
  const page = things.listThingsInThingGroup(world, {
    thingGroupName: decode.requiredText("thingGroupName", params.thingGroupName),
    maxResults: decode.maxResults(query.maxResults),
    recursive: decode.flag("recursive", query.recursive),
    nextToken: query.nextToken,
  });
  return compact({ things: page.items, nextToken: page.nextToken });
};
