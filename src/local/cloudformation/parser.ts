/** Template parsing and validation: parseTemplate, the references it checks, and the resources' dependency order. */
import { parseTemplateBody } from "../../api/cloudformation/template.ts";
import { fail } from "./types.ts";

// ---------------------------------------------------------------- templates

export interface ResourceDecl {
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

export interface ParsedTemplate {
  /** The text returned by GetTemplate. */
  body: string;
  description?: string;
  /** In template order. */
  resources: ResourceDecl[];
  outputs: OutputDecl[];
}

const SUPPORTED_TYPES = [
  "AWS::IoT::JobTemplate",
  "AWS::IoT::Job",
  "AWS::IoT::Thing",
  "AWS::IoT::ThingGroup",
  "AWS::IoT::SoftwarePackage",
  "AWS::IoT::SoftwarePackageVersion",
];
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
  "AWS::IoT::SoftwarePackage": ["PackageArn"],
  "AWS::IoT::SoftwarePackageVersion": ["PackageVersionArn", "Status", "ErrorReason"],
};

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const formatError = (message: string): never => fail(`Template format error: ${message}`);
/** Ends a message with a full stop, so that more can follow. */
export const sentence = (message: string) => (/[.!?]$/.test(message) ? message : `${message}.`);

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
    const dependsOn = value.DependsOn === undefined ? [] : Array.isArray(value.DependsOn) ? value.DependsOn : [value.DependsOn];
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
      if (!byId.has(dep))
        formatError(`Unresolved resource dependencies [${dep}] in the Resources block of the template (${where}, DependsOn).`);
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
      formatError(
        `the intrinsic function ${fn} is not supported by the local endpoint (${where}; it supports ${SUPPORTED_INTRINSICS.join(", ")}).`,
      );
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
export function dependencyOrder(template: ParsedTemplate): ResourceDecl[] {
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
