/**
 * CloudFormation stacks on the local endpoint.
 *
 * Stacks are registered through the admin API (`createStack`, `updateStack`,
 * `deleteStack`, or `/_local/stacks`): the endpoint parses the template
 * (JSON or YAML, with the short-form tags), creates its IoT resources in
 * dependency order through the same handlers the IoT API uses, and tags them
 * as CloudFormation does. The stacks can then be read with the CloudFormation
 * read operations `@aws-sdk/client-cloudformation` sends (awsQuery protocol:
 * `POST /` with a form body, XML answers): DescribeStacks,
 * DescribeStackResource, ListStackResources and GetTemplate.
 *
 * Scope: AWS::IoT::JobTemplate, AWS::IoT::Job, AWS::IoT::Thing and
 * AWS::IoT::ThingGroup; Ref, Fn::GetAtt, Fn::Sub and Fn::Join; no
 * Parameters, Conditions, Mappings or Transform; a change to an existing
 * resource's Properties is refused (the endpoint creates and deletes, it does
 * not update).
 */
import { randomUUID } from "node:crypto";
import { parseTemplateBody } from "../cloudformation/template.ts";
import { fromCloudFormation, JOB, JOB_TEMPLATE, type Shape } from "../cloudformation/properties.ts";
import { LISTS, RESERVED_TAG_PREFIX, STRINGS, wholeMatch } from "../iot/constraints.ts";
import { IoTError, type ErrorCode } from "./errors.ts";
import * as jobs from "./jobs.ts";
import type { JsonObject, StackRecord, StackResourceRecord, StackStatus, Tables } from "./store.ts";
import * as templates from "./templates.ts";
import * as things from "./things.ts";
import type { World } from "./world.ts";

/** An error of a stack operation: a ValidationError (400) unless said otherwise. */
export class CloudFormationError extends IoTError {
  override name = "CloudFormationError";
  constructor(message: string, code: ErrorCode = "ValidationError") {
    super(code, message);
  }
}

const fail = (message: string, code?: ErrorCode): never => {
  throw new CloudFormationError(message, code);
};

// ---------------------------------------------------------------- public types

/** A template: an object, or JSON or YAML text (short-form tags such as `!Ref` allowed). */
export type StackTemplate = string | Record<string, unknown>;

/** Stack tags, as a record or as CloudFormation's `[{ Key, Value }]` list. */
export type StackTags = Record<string, string> | Array<{ Key: string; Value: string }>;

export interface CreateStackRequest {
  stackName: string;
  template: StackTemplate;
  /** Stack-level tags: returned by DescribeStacks and put on every taggable resource. */
  tags?: StackTags;
}

export interface UpdateStackRequest {
  /** The stack's name or stack id. */
  stackName: string;
  /** The new template; it replaces the old one. */
  template: StackTemplate;
}

export interface LocalStackResource {
  logicalResourceId: string;
  physicalResourceId: string;
  resourceType: string;
  /** The IoT ARN of the resource. */
  arn: string;
}

/** What createStack and updateStack answer. */
export interface LocalStack {
  stackName: string;
  stackId: string;
  status: StackStatus;
  /** The resources the stack lists now, in creation order. */
  resources: LocalStackResource[];
  /** updateStack: logical ids created by this update. */
  created?: string[];
  /** updateStack: logical ids removed from the template and deleted from IoT. */
  deleted?: string[];
  /** updateStack: logical ids removed from the template but kept in IoT (`DeletionPolicy: Retain`). */
  retained?: string[];
}

/** What deleteStack answers. */
export interface LocalStackDeletion {
  stackName: string;
  stackId: string;
  /** Logical ids whose IoT resources were deleted. */
  deleted: string[];
  /** Logical ids whose IoT resources were kept (`DeletionPolicy: Retain`). */
  retained: string[];
}

/** The CloudFormation operations the endpoint serves (awsQuery actions). */
export const CLOUDFORMATION_OPERATIONS: readonly string[] = [
  "DescribeStacks",
  "DescribeStackResource",
  "ListStackResources",
  "GetTemplate",
];

/** CloudFormation's page size for ListStackResources and DescribeStacks. */
export const DEFAULT_CLOUDFORMATION_PAGE_SIZE = 100;

export const STACK_NAME_TAG = "aws:cloudformation:stack-name";
export const LOGICAL_ID_TAG = "aws:cloudformation:logical-id";
export const STACK_ID_TAG = "aws:cloudformation:stack-id";

// ---------------------------------------------------------------- templates

interface ResourceDecl {
  logicalId: string;
  type: string;
  properties: Record<string, unknown>;
  dependsOn: string[];
  deletionPolicy?: string;
  metadata?: unknown;
}

interface OutputDecl {
  key: string;
  value: unknown;
  description?: string;
  exportName?: unknown;
}

interface ParsedTemplate {
  /** The text returned by GetTemplate. */
  body: string;
  description?: string;
  /** In template order. */
  resources: ResourceDecl[];
  outputs: OutputDecl[];
}

const SUPPORTED_TYPES = ["AWS::IoT::JobTemplate", "AWS::IoT::Job", "AWS::IoT::Thing", "AWS::IoT::ThingGroup"];
const SUPPORTED_INTRINSICS = ["Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join"];
const PSEUDO_PARAMETERS = [
  "AWS::Region",
  "AWS::AccountId",
  "AWS::StackName",
  "AWS::StackId",
  "AWS::Partition",
  "AWS::URLSuffix",
  "AWS::NoValue",
];
const TOP_LEVEL = ["AWSTemplateFormatVersion", "Description", "Metadata", "Resources", "Outputs"];
const UNSUPPORTED_SECTIONS = ["Parameters", "Mappings", "Conditions", "Transform", "Rules"];
const RESOURCE_ATTRIBUTES = ["Type", "Properties", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Metadata"];
const DELETION_POLICIES = ["Delete", "Retain", "RetainExceptOnCreate"];
/** Fn::GetAtt attributes per type. */
const ATTRIBUTES: Record<string, string[]> = {
  "AWS::IoT::JobTemplate": ["Arn"],
  "AWS::IoT::Job": ["Arn"],
  "AWS::IoT::Thing": ["Arn", "Id"],
  "AWS::IoT::ThingGroup": ["Arn", "Id"],
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const formatError = (message: string): never => fail(`Template format error: ${message}`);
/** Ends a message with a full stop, so that more can follow. */
const sentence = (message: string) => (/[.!?]$/.test(message) ? message : `${message}.`);

/** Parses and checks a template; throws a ValidationError naming what is wrong. */
export function parseTemplate(template: unknown): ParsedTemplate {
  let body: string;
  let doc: unknown;
  if (typeof template === "string") {
    body = template;
    if (template.trim() === "") formatError("the template is empty.");
    try {
      // JSON, or YAML with CloudFormation's short-form tags (shared with import-stack).
      doc = parseTemplateBody(template);
    } catch (error) {
      fail((error as Error).message);
    }
  } else if (isObject(template)) {
    body = JSON.stringify(template, null, 2);
    doc = JSON.parse(body);
  } else {
    return fail("The template must be an object, or JSON or YAML text.");
  }
  if (!isObject(doc)) return formatError("the template is not a JSON or YAML object.");

  for (const key of Object.keys(doc)) {
    if (UNSUPPORTED_SECTIONS.includes(key)) {
      formatError(`the ${key} section is not supported by the local endpoint (it supports ${TOP_LEVEL.join(", ")}).`);
    }
    if (!TOP_LEVEL.includes(key)) formatError(`Invalid template property or properties [${key}]`);
  }
  if (doc.Description !== undefined && typeof doc.Description !== "string") {
    formatError("Description must be a string.");
  }
  const resources = doc.Resources;
  if (!isObject(resources) || Object.keys(resources).length === 0) {
    return formatError("At least one Resources member must be defined.");
  }
  const decls: ResourceDecl[] = [];
  for (const [logicalId, value] of Object.entries(resources)) {
    if (!/^[A-Za-z0-9]+$/.test(logicalId)) {
      formatError(`Resource name ${logicalId} is non alphanumeric.`);
    }
    if (!isObject(value)) return formatError(`resource ${logicalId} must be an object with a Type member.`);
    for (const key of Object.keys(value)) {
      if (key === "Condition") {
        formatError(`resource ${logicalId}: Condition is not supported by the local endpoint.`);
      }
      if (!RESOURCE_ATTRIBUTES.includes(key)) {
        formatError(`Invalid template resource property '${key}' (resource ${logicalId}).`);
      }
    }
    const type = value.Type;
    if (typeof type !== "string") return formatError(`resource ${logicalId}: Every Resources object must contain a Type member.`);
    if (!SUPPORTED_TYPES.includes(type)) {
      formatError(
        `resource ${logicalId}: type ${type} is not supported by the local endpoint (it supports ${SUPPORTED_TYPES.join(", ")}).`,
      );
    }
    const properties = value.Properties ?? {};
    if (!isObject(properties)) return formatError(`resource ${logicalId}: Properties must be an object.`);
    const dependsOn =
      value.DependsOn === undefined ? [] : Array.isArray(value.DependsOn) ? value.DependsOn : [value.DependsOn];
    if (dependsOn.some((d) => typeof d !== "string")) formatError(`resource ${logicalId}: DependsOn must name resources.`);
    const deletionPolicy = value.DeletionPolicy;
    if (deletionPolicy !== undefined && (typeof deletionPolicy !== "string" || !DELETION_POLICIES.includes(deletionPolicy))) {
      formatError(
        `resource ${logicalId}: DeletionPolicy ${JSON.stringify(deletionPolicy)} is not supported for ${type} (use ${DELETION_POLICIES.join(", ")}).`,
      );
    }
    const replacePolicy = value.UpdateReplacePolicy;
    if (replacePolicy !== undefined && (typeof replacePolicy !== "string" || !DELETION_POLICIES.includes(replacePolicy))) {
      formatError(`resource ${logicalId}: UpdateReplacePolicy ${JSON.stringify(replacePolicy)} is not supported for ${type}.`);
    }
    decls.push({
      logicalId,
      type,
      properties,
      dependsOn: dependsOn as string[],
      deletionPolicy: deletionPolicy as string | undefined,
      metadata: value.Metadata,
    });
  }

  const outputs: OutputDecl[] = [];
  if (doc.Outputs !== undefined) {
    if (!isObject(doc.Outputs)) return formatError("Outputs must be an object.");
    for (const [key, value] of Object.entries(doc.Outputs)) {
      if (!isObject(value) || value.Value === undefined) return formatError(`output ${key} must have a Value.`);
      const exportName = isObject(value.Export) ? value.Export.Name : undefined;
      if (value.Condition !== undefined) formatError(`output ${key}: Condition is not supported by the local endpoint.`);
      outputs.push({
        key,
        value: value.Value,
        description: typeof value.Description === "string" ? value.Description : undefined,
        exportName,
      });
    }
  }

  const parsed: ParsedTemplate = {
    body,
    description: doc.Description as string | undefined,
    resources: decls,
    outputs,
  };
  // Every reference must name a resource of this template (or a pseudo parameter).
  const byId = new Map(decls.map((d) => [d.logicalId, d]));
  for (const d of decls) {
    const where = `resource ${d.logicalId}`;
    for (const dep of d.dependsOn) {
      if (!byId.has(dep)) formatError(`Unresolved resource dependencies [${dep}] in the Resources block of the template (${where}, DependsOn).`);
    }
    references(d.properties, byId, where);
    references(d.metadata, byId, where);
  }
  for (const o of outputs) {
    references(o.value, byId, `output ${o.key}`);
    references(o.exportName, byId, `output ${o.key}`);
  }
  dependencyOrder(parsed);
  return parsed;
}

/** The logical ids a value refers to (through Ref, Fn::GetAtt and Fn::Sub); checks every intrinsic on the way. */
function references(value: unknown, byId: Map<string, ResourceDecl>, where: string): Set<string> {
  const found = new Set<string>();
  const unresolved = (name: string) =>
    formatError(`Unresolved resource dependencies [${name}] in the Resources block of the template (${where}).`);
  const ref = (name: string) => {
    if (PSEUDO_PARAMETERS.includes(name)) return;
    if (name.startsWith("AWS::")) formatError(`pseudo parameter ${name} is not supported by the local endpoint (${where}).`);
    if (!byId.has(name)) unresolved(name);
    found.add(name);
  };
  const getAtt = (name: string, attribute: string) => {
    const target = byId.get(name);
    if (!target) return unresolved(name);
    if (!ATTRIBUTES[target.type].includes(attribute)) {
      fail(`Template error: resource ${name} does not support attribute type ${attribute} in Fn::GetAtt (${where}).`);
    }
    found.add(name);
  };
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObject(v)) return;
    const keys = Object.keys(v);
    const fn = keys.length === 1 && (keys[0] === "Ref" || keys[0].startsWith("Fn::") || keys[0] === "Condition") ? keys[0] : undefined;
    if (!fn) return keys.forEach((k) => walk(v[k]));
    const arg = v[fn];
    if (!SUPPORTED_INTRINSICS.includes(fn)) {
      formatError(`the intrinsic function ${fn} is not supported by the local endpoint (${where}; it supports ${SUPPORTED_INTRINSICS.join(", ")}).`);
    }
    if (fn === "Ref") {
      if (typeof arg !== "string") formatError(`Ref must name a resource or pseudo parameter (${where}).`);
      return ref(arg as string);
    }
    if (fn === "Fn::GetAtt") {
      const parts = typeof arg === "string" ? [arg.split(".")[0], arg.split(".").slice(1).join(".")] : arg;
      if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== "string" || typeof parts[1] !== "string") {
        return formatError(`Fn::GetAtt takes [LogicalId, Attribute] (${where}).`);
      }
      return getAtt(parts[0], parts[1]);
    }
    if (fn === "Fn::Sub") {
      const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
      if (typeof text !== "string" || !isObject(vars) || (Array.isArray(arg) && arg.length !== 2)) {
        return formatError(`Fn::Sub takes a string, or [string, { Name: value }] (${where}).`);
      }
      Object.values(vars).forEach(walk);
      for (const name of subVariables(text)) {
        if (name in vars) continue;
        const dot = name.indexOf(".");
        if (dot === -1) ref(name);
        else getAtt(name.slice(0, dot), name.slice(dot + 1));
      }
      return;
    }
    // Fn::Join
    if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== "string" || !Array.isArray(arg[1])) {
      return formatError(`Fn::Join takes [delimiter, [values]] (${where}).`);
    }
    walk(arg[1]);
  };
  walk(value);
  return found;
}

/** Names in `${...}` placeholders of an Fn::Sub string (`${!Literal}` excluded). */
function subVariables(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
    const name = m[1].trim();
    if (!name.startsWith("!")) names.push(name);
  }
  return names;
}

/** Resources in an order where every resource comes after the ones it depends on (template order otherwise). */
function dependencyOrder(template: ParsedTemplate): ResourceDecl[] {
  const byId = new Map(template.resources.map((d) => [d.logicalId, d]));
  const deps = new Map(
    template.resources.map((d) => [d.logicalId, new Set([...d.dependsOn, ...references(d.properties, byId, `resource ${d.logicalId}`)])]),
  );
  const order: ResourceDecl[] = [];
  const done = new Set<string>();
  while (order.length < template.resources.length) {
    const next = template.resources.find((d) => !done.has(d.logicalId) && [...deps.get(d.logicalId)!].every((x) => done.has(x)));
    if (!next) {
      const stuck = template.resources.filter((d) => !done.has(d.logicalId)).map((d) => d.logicalId);
      return formatError(`Circular dependency between resources: [${stuck.join(", ")}]`);
    }
    order.push(next);
    done.add(next.logicalId);
  }
  return order;
}

// ---------------------------------------------------------------- intrinsics

const NO_VALUE = Symbol("AWS::NoValue");

interface ResolveContext {
  world: World;
  stackName: string;
  stackId: string;
  /** Created resources by logical id. */
  resources: Map<string, { ref: string; attributes: Record<string, string> }>;
}

function pseudo(ctx: ResolveContext, name: string): string | typeof NO_VALUE {
  switch (name) {
    case "AWS::Region":
      return ctx.world.region;
    case "AWS::AccountId":
      return ctx.world.accountId;
    case "AWS::StackName":
      return ctx.stackName;
    case "AWS::StackId":
      return ctx.stackId;
    case "AWS::Partition":
      return "aws";
    case "AWS::URLSuffix":
      return "amazonaws.com";
    default:
      return NO_VALUE;
  }
}

/** Resolves Ref, Fn::GetAtt, Fn::Sub and Fn::Join (the template was checked by parseTemplate). */
function resolve(value: unknown, ctx: ResolveContext): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, ctx)).filter((v) => v !== NO_VALUE);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === "Ref" || keys[0].startsWith("Fn::"))) {
    const arg = value[keys[0]];
    switch (keys[0]) {
      case "Ref":
        return refValue(ctx, arg as string);
      case "Fn::GetAtt": {
        const [name, attribute] = typeof arg === "string" ? [arg.split(".")[0], arg.split(".").slice(1).join(".")] : (arg as string[]);
        return attributeValue(ctx, name, attribute);
      }
      case "Fn::Sub": {
        const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
        const values: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(vars)) values[k] = resolve(v, ctx);
        return text.replace(/\$\{([^}]*)\}/g, (_whole, inner: string) => {
          const name = inner.trim();
          if (name.startsWith("!")) return `\${${inner.slice(inner.indexOf("!") + 1)}}`;
          if (name in values) return scalar(values[name], `Fn::Sub variable ${name}`);
          const dot = name.indexOf(".");
          return dot === -1 ? scalar(refValue(ctx, name), `\${${name}}`) : attributeValue(ctx, name.slice(0, dot), name.slice(dot + 1));
        });
      }
      case "Fn::Join": {
        const [delimiter, items] = arg as [string, unknown[]];
        const resolved = resolve(items, ctx);
        if (!Array.isArray(resolved)) return fail("Fn::Join: the values must be a list.");
        return resolved.map((v) => scalar(v, "a value of Fn::Join")).join(delimiter);
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = resolve(v, ctx);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

function scalar(value: unknown, what: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return fail(`Template error: ${what} must resolve to a string, not ${JSON.stringify(value)}.`);
}

function refValue(ctx: ResolveContext, name: string): string | typeof NO_VALUE {
  if (name.startsWith("AWS::")) return pseudo(ctx, name);
  const resource = ctx.resources.get(name);
  if (!resource) return fail(`Template format error: Unresolved resource dependencies [${name}] in the Resources block of the template`);
  return resource.ref;
}

function attributeValue(ctx: ResolveContext, name: string, attribute: string): string {
  const value = ctx.resources.get(name)?.attributes[attribute];
  if (value === undefined) {
    return fail(`Template error: resource ${name} does not support attribute type ${attribute} in Fn::GetAtt`);
  }
  return value;
}

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
    return fail(`Properties validation failed: #/${cfnKey}: expected type: String, found: ${Array.isArray(value) ? "JSONArray" : "JSONObject"}`);
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

const HANDLERS: Record<string, TypeHandler> = {
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
      if (world.tables.templates.has(id)) templates.deleteJobTemplate(world, { params: { jobTemplateId: id }, query: {}, body: {} });
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
      if (world.tables.things.has(id)) things.deleteThing(world, { params: { thingName: id }, query: {}, body: {} });
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
      if (world.tables.thingGroups.has(id)) things.deleteThingGroup(world, { params: { thingGroupName: id }, query: {}, body: {} });
    },
  },
};

/** CreateThing and CreateThingGroup are idempotent; CloudFormation refuses to take over an existing one. */
function alreadyExists(exists: boolean, type: string, id: string): void {
  if (exists) fail(`Resource of type '${type}' with identifier '${id}' already exists.`);
}

// ---------------------------------------------------------------- stacks

const retains = (policy: string | undefined) => policy === "Retain" || policy === "RetainExceptOnCreate";

function normalizeTags(tags: StackTags | undefined): Array<{ Key: string; Value: string }> {
  if (tags === undefined) return [];
  const list = Array.isArray(tags) ? tags : isObject(tags) ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : undefined;
  if (!list) return fail("tags must be a record of strings or a list of { Key, Value }.");
  if (list.length > LISTS.tagsPerResource.max) fail(`A stack can have at most ${LISTS.tagsPerResource.max} tags; got ${list.length}.`);
  const seen = new Set<string>();
  for (const tag of list) {
    if (!isObject(tag) || typeof tag.Key !== "string" || typeof tag.Value !== "string") {
      fail(`Stack tag ${JSON.stringify(tag)} must be { Key: string, Value: string }.`);
    }
    if (tag.Key.length < 1 || tag.Key.length > 128 || !wholeMatch(STRINGS.tagKey.pattern!).test(tag.Key)) {
      fail(`Stack tag key '${tag.Key}' must be 1 to 128 characters: ${STRINGS.tagKey.patternText}.`);
    }
    if (tag.Value.length > 256) fail(`Stack tag value of '${tag.Key}' is longer than 256 characters.`);
    if (tag.Key.toLowerCase().startsWith(RESERVED_TAG_PREFIX)) {
      fail(`Stack tag key '${tag.Key}' uses the reserved prefix '${RESERVED_TAG_PREFIX}'.`);
    }
    if (seen.has(tag.Key)) fail(`Stack tag key '${tag.Key}' is given twice.`);
    seen.add(tag.Key);
  }
  return list.map((t) => ({ Key: t.Key, Value: t.Value }));
}

/** Looks a stack up by name or stack id; undefined when there is none. */
export function findStack(world: World, nameOrId: string): StackRecord | undefined {
  if (typeof nameOrId !== "string") return undefined;
  if (nameOrId.startsWith("arn:")) {
    for (const stack of world.tables.stacks.values()) if (stack.stackId === nameOrId) return stack;
    return undefined;
  }
  return world.tables.stacks.get(nameOrId);
}

/** Runs `change`; if it throws, puts every table back as it was (nothing created is left behind). */
function transaction<T>(world: World, change: () => T): T {
  const before = structuredClone(world.tables);
  try {
    return change();
  } catch (error) {
    for (const key of Object.keys(before) as Array<keyof Tables>) {
      const table = world.tables[key] as Map<string, unknown>;
      table.clear();
      for (const [k, v] of before[key] as Map<string, unknown>) table.set(k, v);
    }
    throw error;
  }
}

/** Wraps a failure with the logical id and type it concerns. */
function inResource<T>(decl: { logicalId: string; type: string }, action: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    const problem =
      error instanceof CloudFormationError
        ? error.message
        : error instanceof IoTError
          ? `${error.code}: ${error.message}`
          : String((error as Error)?.message ?? error);
    throw new CloudFormationError(`Resource ${decl.logicalId} (${decl.type}) failed to ${action}: ${problem}`);
  }
}

function createResource(world: World, stack: { stackName: string; stackId: string; tags: Record<string, string> }, decl: ResourceDecl, ctx: ResolveContext): StackResourceRecord {
  return inResource(decl, "create", () => {
    const handler = HANDLERS[decl.type];
    const properties = resolve(decl.properties, ctx) as Record<string, unknown>;
    const created = handler.create(world, decl, properties, stack.tags, ctx);
    if (handler.taggable) {
      // What CloudFormation adds; API callers cannot set aws: keys, and these do not count toward the 50-tag limit.
      world.tables.tags.set(created.arn, {
        ...(world.tables.tags.get(created.arn) ?? {}),
        [STACK_NAME_TAG]: stack.stackName,
        [LOGICAL_ID_TAG]: decl.logicalId,
        [STACK_ID_TAG]: stack.stackId,
      });
    }
    ctx.resources.set(decl.logicalId, { ref: created.physicalId, attributes: created.attributes });
    return {
      logicalResourceId: decl.logicalId,
      physicalResourceId: created.physicalId,
      resourceType: decl.type,
      status: "CREATE_COMPLETE",
      lastUpdatedAt: world.nowMs(),
      attributes: created.attributes,
      deletionPolicy: decl.deletionPolicy,
    } satisfies StackResourceRecord;
  });
}

function resolveMetadata(decl: ResourceDecl, ctx: ResolveContext): string | undefined {
  if (decl.metadata === undefined) return undefined;
  return inResource(decl, "resolve its Metadata for", () => JSON.stringify(resolve(decl.metadata, ctx)));
}

function resolveOutputs(template: ParsedTemplate, ctx: ResolveContext): StackRecord["outputs"] {
  return template.outputs.map((o) => {
    try {
      const value = scalar(resolve(o.value, ctx), `the Value of output ${o.key}`);
      const exportName = o.exportName === undefined ? undefined : scalar(resolve(o.exportName, ctx), `the Export Name of output ${o.key}`);
      return {
        OutputKey: o.key,
        OutputValue: value,
        ...(o.description !== undefined ? { Description: o.description } : {}),
        ...(exportName !== undefined ? { ExportName: exportName } : {}),
      };
    } catch (error) {
      throw new CloudFormationError(`Output ${o.key}: ${(error as Error).message}`);
    }
  });
}

function summary(stack: StackRecord): LocalStack {
  return {
    stackName: stack.stackName,
    stackId: stack.stackId,
    status: stack.status,
    resources: stack.resources.map((r) => ({
      logicalResourceId: r.logicalResourceId,
      physicalResourceId: r.physicalResourceId,
      resourceType: r.resourceType,
      arn: r.attributes.Arn ?? "",
    })),
  };
}

const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]*$/;

/** Registers a stack and creates its resources; on any failure nothing is left behind. */
export function createStack(world: World, request: CreateStackRequest): LocalStack {
  const { stackName } = request ?? {};
  if (typeof stackName !== "string" || !STACK_NAME.test(stackName) || stackName.length > 128) {
    fail(
      `1 validation error detected: Value '${String(stackName)}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]* (at most 128 characters)`,
    );
  }
  if (world.tables.stacks.has(stackName)) fail(`Stack [${stackName}] already exists`, "AlreadyExistsException");
  const tags = normalizeTags(request?.tags);
  const template = parseTemplate(request?.template);
  const stackId = `arn:aws:cloudformation:${world.region}:${world.accountId}:stack/${stackName}/${randomUUID()}`;
  const ctx: ResolveContext = { world, stackName, stackId, resources: new Map() };
  const tagRecord = Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
  return transaction(world, () => {
    try {
      const resources: StackResourceRecord[] = [];
      for (const decl of dependencyOrder(template)) {
        resources.push(createResource(world, { stackName, stackId, tags: tagRecord }, decl, ctx));
      }
      for (const decl of template.resources) {
        const metadata = resolveMetadata(decl, ctx);
        if (metadata !== undefined) resources.find((r) => r.logicalResourceId === decl.logicalId)!.metadata = metadata;
      }
      const stack: StackRecord = {
        stackName,
        stackId,
        status: "CREATE_COMPLETE",
        createdAt: world.nowMs(),
        description: template.description,
        templateBody: template.body,
        tags,
        outputs: resolveOutputs(template, ctx),
        resources,
      };
      world.tables.stacks.set(stackName, stack);
      return summary(stack);
    } catch (error) {
      throw new CloudFormationError(`${sentence((error as Error).message)} Stack ${stackName} was rolled back: nothing it created was kept.`);
    }
  });
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical(value[k])]),
  );
}

/**
 * Replaces a stack's template. New logical ids are created; removed ones are
 * deleted, unless the old template gave them `DeletionPolicy: Retain` (they
 * then stay in IoT, tags and all, and are no longer listed). Kept logical ids
 * may change only DeletionPolicy, UpdateReplacePolicy and Metadata.
 */
export function updateStack(world: World, request: UpdateStackRequest): LocalStack {
  const stack = findStack(world, request?.stackName);
  if (!stack) return fail(`Stack [${request?.stackName}] does not exist`);
  const template = parseTemplate(request.template);
  const old = parseTemplate(stack.templateBody);
  const oldById = new Map(old.resources.map((d) => [d.logicalId, d]));
  const newIds = new Set(template.resources.map((d) => d.logicalId));
  for (const decl of template.resources) {
    const before = oldById.get(decl.logicalId);
    if (!before) continue;
    if (before.type !== decl.type) {
      fail(
        `Resource ${decl.logicalId}: changing its Type (${before.type} to ${decl.type}) is not supported by the local endpoint. Stack ${stack.stackName} was not changed.`,
      );
    }
    if (!sameJson(before.properties, decl.properties)) {
      fail(
        `Resource ${decl.logicalId} (${decl.type}): changing Properties of an existing resource is not supported by the local endpoint ` +
          `(only DeletionPolicy, UpdateReplacePolicy and Metadata may change; add a new logical id instead). Stack ${stack.stackName} was not changed.`,
      );
    }
  }
  const ctx: ResolveContext = { world, stackName: stack.stackName, stackId: stack.stackId, resources: new Map() };
  for (const r of stack.resources) ctx.resources.set(r.logicalResourceId, { ref: r.physicalResourceId, attributes: r.attributes });
  const tagRecord = Object.fromEntries(stack.tags.map((t) => [t.Key, t.Value]));
  return transaction(world, () => {
    try {
      const kept = stack.resources.filter((r) => newIds.has(r.logicalResourceId));
      const removed = stack.resources.filter((r) => !newIds.has(r.logicalResourceId));
      const created: StackResourceRecord[] = [];
      for (const decl of dependencyOrder(template)) {
        if (oldById.has(decl.logicalId)) continue;
        created.push(createResource(world, { stackName: stack.stackName, stackId: stack.stackId, tags: tagRecord }, decl, ctx));
      }
      // Cleanup after the creations, newest first, as CloudFormation does.
      const deleted: string[] = [];
      const retained: string[] = [];
      for (const r of [...removed].reverse()) {
        if (retains(r.deletionPolicy)) {
          retained.unshift(r.logicalResourceId);
          continue;
        }
        inResource({ logicalId: r.logicalResourceId, type: r.resourceType }, "delete", () => HANDLERS[r.resourceType].remove(world, r.physicalResourceId));
        deleted.unshift(r.logicalResourceId);
      }
      const resources = [...kept.map((r) => ({ ...r })), ...created];
      for (const decl of template.resources) {
        const record = resources.find((r) => r.logicalResourceId === decl.logicalId)!;
        record.deletionPolicy = decl.deletionPolicy;
        const metadata = resolveMetadata(decl, ctx);
        if (metadata === undefined) delete record.metadata;
        else record.metadata = metadata;
      }
      const now = world.nowMs();
      const updated: StackRecord = {
        ...stack,
        status: "UPDATE_COMPLETE",
        lastUpdatedAt: now,
        description: template.description,
        templateBody: template.body,
        outputs: resolveOutputs(template, ctx),
        resources,
      };
      if (updated.description === undefined) delete updated.description;
      world.tables.stacks.set(stack.stackName, updated);
      return { ...summary(updated), created: created.map((r) => r.logicalResourceId), deleted, retained };
    } catch (error) {
      throw new CloudFormationError(
        `${sentence((error as Error).message)} The update of stack ${stack.stackName} was rolled back: the stack and its resources are as they were.`,
      );
    }
  });
}

/** Deletes a stack and its resources, except those with `DeletionPolicy: Retain` (jobs are deleted with force). */
export function deleteStack(world: World, stackName: string): LocalStackDeletion {
  const stack = findStack(world, stackName);
  if (!stack) return fail(`Stack with id ${stackName} does not exist`);
  return transaction(world, () => {
    const deleted: string[] = [];
    const retained: string[] = [];
    try {
      for (const r of [...stack.resources].reverse()) {
        if (retains(r.deletionPolicy)) {
          retained.unshift(r.logicalResourceId);
          continue;
        }
        inResource({ logicalId: r.logicalResourceId, type: r.resourceType }, "delete", () => HANDLERS[r.resourceType].remove(world, r.physicalResourceId));
        deleted.unshift(r.logicalResourceId);
      }
    } catch (error) {
      throw new CloudFormationError(`${sentence((error as Error).message)} Stack ${stack.stackName} was not deleted: it and its resources are as they were.`);
    }
    world.tables.stacks.delete(stack.stackName);
    return { stackName: stack.stackName, stackId: stack.stackId, deleted, retained };
  });
}

/** Names of the live stacks, oldest first. */
export function listStacks(world: World): string[] {
  return [...world.tables.stacks.keys()];
}

// ---------------------------------------------------------------- awsQuery operations

export const CLOUDFORMATION_XMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

/** Characters written as entities: markup, CR (XML parsers turn a raw CR LF into LF) and other control characters. */
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const XML_SPECIAL = /[&<>"'\r\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

/** Escapes text for XML; CR is written as a character reference so that XML parsers keep it. */
export function xmlEscape(text: string): string {
  return text.replace(XML_SPECIAL, (c) => {
    switch (c) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      case "'":
        return "&apos;";
      default:
        return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

const el = (name: string, value: string | undefined): string => (value === undefined ? "" : `<${name}>${xmlEscape(value)}</${name}>`);
const members = (name: string, items: string[]): string =>
  items.length === 0 ? `<${name}/>` : `<${name}>${items.map((i) => `<member>${i}</member>`).join("")}</${name}>`;
const iso = (ms: number) => new Date(ms).toISOString();

function validation(message: string): never {
  throw new CloudFormationError(message);
}

function requiredParam(params: Record<string, string>, name: string, member: string): string {
  const value = params[name];
  if (value === undefined || value === "") {
    validation(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

function requireStack(world: World, nameOrId: string): StackRecord {
  return findStack(world, nameOrId) ?? validation(`Stack with id ${nameOrId} does not exist`);
}

/** Opaque page tokens, bound to the operation and the stack (or list) they page through. */
function encodeToken(operation: string, key: string, index: number): string {
  return Buffer.from(JSON.stringify({ o: operation, k: key, i: index })).toString("base64url");
}
function decodeToken(token: string, operation: string, key: string): number {
  try {
    const data = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (data?.o === operation && data?.k === key && Number.isInteger(data?.i) && data.i >= 0) return data.i;
  } catch {
    // fall through
  }
  return validation("Invalid NextToken: it does not come from a previous page of this request.");
}

function page<T>(operation: string, key: string, items: T[], nextToken: string | undefined, size: number) {
  const start = nextToken === undefined ? 0 : decodeToken(nextToken, operation, key);
  const slice = items.slice(start, start + size);
  const more = start + size < items.length;
  return { items: slice, nextToken: more ? encodeToken(operation, key, start + size) : undefined };
}

function stackXml(stack: StackRecord): string {
  return (
    el("StackId", stack.stackId) +
    el("StackName", stack.stackName) +
    el("Description", stack.description) +
    el("CreationTime", iso(stack.createdAt)) +
    el("LastUpdatedTime", stack.lastUpdatedAt === undefined ? undefined : iso(stack.lastUpdatedAt)) +
    el("StackStatus", stack.status) +
    el("DisableRollback", "false") +
    members("NotificationARNs", []) +
    members(
      "Tags",
      stack.tags.map((t) => el("Key", t.Key) + el("Value", t.Value)),
    ) +
    (stack.outputs.length > 0
      ? members(
          "Outputs",
          stack.outputs.map((o) => el("OutputKey", o.OutputKey) + el("OutputValue", o.OutputValue) + el("Description", o.Description) + el("ExportName", o.ExportName)),
        )
      : "") +
    el("EnableTerminationProtection", "false") +
    `<DriftInformation>${el("StackDriftStatus", "NOT_CHECKED")}</DriftInformation>`
  );
}

export interface QueryOptions {
  pageSize: number;
}

type QueryOperation = (world: World, params: Record<string, string>, options: QueryOptions) => string;

const QUERY_OPERATIONS: Record<string, QueryOperation> = {
  DescribeStacks(world, params, { pageSize }) {
    if (params.StackName !== undefined && params.StackName !== "") {
      return `<Stacks><member>${stackXml(requireStack(world, params.StackName))}</member></Stacks>`;
    }
    // Newest first.
    const all = [...world.tables.stacks.values()].reverse();
    const p = page("DescribeStacks", "*", all, params.NextToken, pageSize);
    return members("Stacks", p.items.map(stackXml)) + el("NextToken", p.nextToken);
  },
  DescribeStackResource(world, params) {
    const stackName = requiredParam(params, "StackName", "stackName");
    const logicalId = requiredParam(params, "LogicalResourceId", "logicalResourceId");
    const stack = findStack(world, stackName) ?? validation(`Stack '${stackName}' does not exist`);
    const r =
      stack.resources.find((x) => x.logicalResourceId === logicalId) ??
      validation(`Resource ${logicalId} does not exist for stack ${stack.stackName}`);
    return (
      "<StackResourceDetail>" +
      el("StackName", stack.stackName) +
      el("StackId", stack.stackId) +
      el("LogicalResourceId", r.logicalResourceId) +
      el("PhysicalResourceId", r.physicalResourceId) +
      el("ResourceType", r.resourceType) +
      el("LastUpdatedTimestamp", iso(r.lastUpdatedAt)) +
      el("ResourceStatus", r.status) +
      el("Metadata", r.metadata) +
      `<DriftInformation>${el("StackResourceDriftStatus", "NOT_CHECKED")}</DriftInformation>` +
      "</StackResourceDetail>"
    );
  },
  ListStackResources(world, params, { pageSize }) {
    const stack = requireStack(world, requiredParam(params, "StackName", "stackName"));
    const p = page("ListStackResources", stack.stackId, stack.resources, params.NextToken, pageSize);
    return (
      members(
        "StackResourceSummaries",
        p.items.map(
          (r) =>
            el("LogicalResourceId", r.logicalResourceId) +
            el("PhysicalResourceId", r.physicalResourceId) +
            el("ResourceType", r.resourceType) +
            el("LastUpdatedTimestamp", iso(r.lastUpdatedAt)) +
            el("ResourceStatus", r.status) +
            `<DriftInformation>${el("StackResourceDriftStatus", "NOT_CHECKED")}</DriftInformation>`,
        ),
      ) + el("NextToken", p.nextToken)
    );
  },
  GetTemplate(world, params) {
    const stage = params.TemplateStage;
    if (stage !== undefined && stage !== "Original" && stage !== "Processed") {
      validation(
        `1 validation error detected: Value '${stage}' at 'templateStage' failed to satisfy constraint: Member must satisfy enum value set: [Original, Processed]`,
      );
    }
    if (params.ChangeSetName !== undefined && params.ChangeSetName !== "") {
      validation("Change sets are not supported by the local endpoint: GetTemplate takes a StackName only.");
    }
    if (params.StackName === undefined || params.StackName === "") {
      validation("Either StackName or ChangeSetName must be specified.");
    }
    const stack = requireStack(world, params.StackName);
    // No transforms are supported, so the processed template is the original one.
    return el("TemplateBody", stack.templateBody) + members("StagesAvailable", ["Original", "Processed"]);
  },
};

/** Whether `action` is a CloudFormation operation the endpoint serves. */
export function isQueryOperation(action: string | undefined): action is string {
  return action !== undefined && Object.hasOwn(QUERY_OPERATIONS, action);
}

/** Runs an awsQuery operation; returns the whole XML response document. */
export function runQueryOperation(
  world: World,
  action: string,
  params: Record<string, string>,
  requestId: string,
  options: QueryOptions,
): string {
  const result = QUERY_OPERATIONS[action](world, params, options);
  return (
    `<${action}Response xmlns="${CLOUDFORMATION_XMLNS}">` +
    `<${action}Result>${result}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
    `</${action}Response>`
  );
}

/** The awsQuery error document. */
export function queryErrorXml(code: string, message: string, status: number, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${CLOUDFORMATION_XMLNS}">` +
    `<Error><Type>${status >= 500 ? "Receiver" : "Sender"}</Type>${el("Code", code)}${el("Message", message)}</Error>` +
    `<RequestId>${requestId}</RequestId>` +
    `</ErrorResponse>`
  );
}

/** The awsQuery names of the signature errors the IoT side reports with restJson1 names. */
export const QUERY_AUTH_CODES: Partial<Record<ErrorCode, ErrorCode>> = {
  MissingAuthenticationTokenException: "MissingAuthenticationToken",
  IncompleteSignatureException: "IncompleteSignature",
  UnrecognizedClientException: "InvalidClientTokenId",
  InvalidSignatureException: "SignatureDoesNotMatch",
  InvalidRequestException: "ValidationError",
  ThrottlingException: "Throttling",
};
