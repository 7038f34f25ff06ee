/**
 * The per-type handlers: how each supported resource type is created (its
 * properties, in the API's names, go through the IoT API's handlers as a
 * request body would) and deleted (through the account, by id).
 */
import { randomUUID } from "node:crypto";
import { fromCloudFormation, JOB, JOB_TEMPLATE, type Shape } from "../../api/cloudformation/properties.ts";
import * as jobs from "../operations/jobs.ts";
import type { JsonObject } from "../state/store.ts";
import * as templates from "../operations/templates.ts";
import * as things from "../operations/things.ts";
import { deleteJobTemplate } from "../account/templates.ts";
import { deleteThing, deleteThingGroup } from "../account/things.ts";
import type { World } from "../state/world.ts";
import type { ResolveContext } from "./intrinsics.ts";
import type { ResourceDecl } from "./parser.ts";
import { CATALOG_HANDLERS } from "./catalog-resources.ts";
import { fail } from "./types.ts";

// ---------------------------------------------------------------- resource types

interface Created {
  physicalId: string;
  arn: string;
  attributes: Record<string, string>;
}

interface TypeHandler {
  /** The taggable types get the stack's tags and the aws:cloudformation tags. */
  taggable: boolean;
  /** Creates the resource from its resolved CloudFormation properties, with the stack's tags if taggable. */
  create(world: World, decl: ResourceDecl, props: Record<string, unknown>, stackTags: Record<string, string>, ctx: ResolveContext): Created;
  /** Deletes the IoT resource (a resource already gone is not an error, as in CloudFormation). */
  remove(world: World, physicalId: string): void;
}

const THING: Shape = {
  ThingName: "thingName",
  AttributePayload: ["attributePayload", { Attributes: ["attributes", "map"] }],
};
const THING_GROUP: Shape = {
  ThingGroupName: "thingGroupName",
  ParentGroupName: "parentGroupName",
  ThingGroupProperties: [
    "thingGroupProperties",
    { ThingGroupDescription: "thingGroupDescription", AttributePayload: ["attributePayload", { Attributes: ["attributes", "map"] }] },
  ],
  Tags: ["tags", "tags"],
};

/** Translates CloudFormation properties to the API's; unknown properties are errors naming the valid ones. */
function translate(shape: Shape, props: Record<string, unknown>): Record<string, unknown> {
  const { props: out, issues } = fromCloudFormation(shape, props);
  if (issues.length > 0) fail(`Properties validation failed: ${issues.map((i) => i.message).join("; ")}`);
  return out;
}

function requiredId(props: Record<string, unknown>, apiKey: string, cfnKey: string): string {
  const value = props[apiKey];
  if (value === undefined || value === null) return fail(`Properties validation failed: #: required key [${cfnKey}] not found`);
  if (typeof value !== "string" && typeof value !== "number") {
    return fail(
      `Properties validation failed: #/${cfnKey}: expected type: String, found: ${Array.isArray(value) ? "JSONArray" : "JSONObject"}`,
    );
  }
  return String(value);
}

function checkDocument(props: Record<string, unknown>): void {
  if (props.document !== undefined && typeof props.document !== "string") {
    fail(
      "Properties validation failed: #/Document: expected type: String, found: JSONObject (write the job document as JSON text, e.g. with Fn::Sub or a YAML block scalar)",
    );
  }
}

/** The stack's tags, then the resource's own (which win), as the API's `[{ Key, Value }]` list; both go through the API's tag checks. */
function withStackTags(props: Record<string, unknown>, stackTags: Record<string, string>): void {
  const merged = { ...stackTags, ...((props.tags as Record<string, string> | undefined) ?? {}) };
  if (Object.keys(merged).length === 0) delete props.tags;
  else props.tags = Object.entries(merged).map(([Key, Value]) => ({ Key, Value }));
}

/** A name CloudFormation would generate for a resource without one: `{stack}-{logicalId}-{12 characters}`. */
function generatedName(ctx: ResolveContext, logicalId: string): string {
  const suffix = randomUUID().replace(/-/g, "").slice(0, 12).toUpperCase();
  return `${ctx.stackName}-${logicalId}`.slice(0, 128 - 13) + `-${suffix}`;
}

export const HANDLERS: Record<string, TypeHandler> = {
  "AWS::IoT::JobTemplate": {
    taggable: true,
    create(world, _decl, properties, stackTags) {
      const props = translate(JOB_TEMPLATE, properties);
      const jobTemplateId = requiredId(props, "jobTemplateId", "JobTemplateId");
      checkDocument(props);
      delete props.jobTemplateId;
      withStackTags(props, stackTags);
      const out = templates.createJobTemplate(world, { params: { jobTemplateId }, query: {}, body: props as JsonObject })!;
      return { physicalId: jobTemplateId, arn: String(out.jobTemplateArn), attributes: { Arn: String(out.jobTemplateArn) } };
    },
    remove(world, id) {
      if (world.tables.templates.has(id)) deleteJobTemplate(world, { jobTemplateId: id });
    },
  },
  "AWS::IoT::Job": {
    taggable: true,
    create(world, _decl, properties, stackTags) {
      const props = translate(JOB, properties);
      const jobId = requiredId(props, "jobId", "JobId");
      if (props.targets === undefined) fail("Properties validation failed: #: required key [Targets] not found");
      checkDocument(props);
      delete props.jobId;
      withStackTags(props, stackTags);
      const out = jobs.createJob(world, { params: { jobId }, query: {}, body: props as JsonObject })!;
      return { physicalId: jobId, arn: String(out.jobArn), attributes: { Arn: String(out.jobArn) } };
    },
    remove(world, id) {
      // DeleteJob with force=true: the job goes through DELETION_IN_PROGRESS as usual (the
      // limit on concurrent deletions is not applied: CloudFormation would wait and retry).
      const job = world.tables.jobs.get(id);
      if (job && job.status !== "DELETION_IN_PROGRESS") world.startDeletion(job);
    },
  },
  "AWS::IoT::Thing": {
    taggable: false,
    create(world, decl, properties, _stackTags, ctx) {
      const props = translate(THING, properties);
      const thingName = props.thingName === undefined ? generatedName(ctx, decl.logicalId) : requiredId(props, "thingName", "ThingName");
      delete props.thingName;
      alreadyExists(world.tables.things.has(thingName), decl.type, thingName);
      const out = things.createThing(world, { params: { thingName }, query: {}, body: props as JsonObject })!;
      return { physicalId: thingName, arn: String(out.thingArn), attributes: { Arn: String(out.thingArn), Id: String(out.thingId) } };
    },
    remove(world, id) {
      if (world.tables.things.has(id)) deleteThing(world, { thingName: id });
    },
  },
  "AWS::IoT::ThingGroup": {
    taggable: true,
    create(world, decl, properties, stackTags, ctx) {
      const props = translate(THING_GROUP, properties);
      const name =
        props.thingGroupName === undefined ? generatedName(ctx, decl.logicalId) : requiredId(props, "thingGroupName", "ThingGroupName");
      delete props.thingGroupName;
      alreadyExists(world.tables.thingGroups.has(name), decl.type, name);
      withStackTags(props, stackTags);
      const out = things.createThingGroup(world, { params: { thingGroupName: name }, query: {}, body: props as JsonObject })!;
      return {
        physicalId: name,
        arn: String(out.thingGroupArn),
        attributes: { Arn: String(out.thingGroupArn), Id: String(out.thingGroupId) },
      };
    },
    remove(world, id) {
      if (world.tables.thingGroups.has(id)) deleteThingGroup(world, { thingGroupName: id });
    },
  },
  ...CATALOG_HANDLERS,
};

/** CreateThing and CreateThingGroup are idempotent; CloudFormation refuses to take over an existing one. */
function alreadyExists(exists: boolean, type: string, id: string): void {
  if (exists) fail(`Resource of type '${type}' with identifier '${id}' already exists.`);
}
