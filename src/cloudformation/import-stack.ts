/**
 * `import-stack`: reads the IoT job templates and jobs of a CloudFormation
 * stack and writes a TypeScript module that declares them for this provider
 * with their live configuration and `adopt: true`, so that the first deploy
 * takes them over without changing anything.
 *
 * Calls (all reads): CloudFormation DescribeStacks, ListStackResources (every
 * page) and GetTemplate (for DeletionPolicy); IoT DescribeJobTemplate,
 * DescribeJob, GetJobDocument and ListTagsForResource.
 */
import {
  DescribeStacksCommand,
  GetTemplateCommand,
  paginateListStackResources,
  type StackResourceSummary,
} from "@aws-sdk/client-cloudformation";
import { DescribeJobCommand, DescribeJobTemplateCommand, GetJobDocumentCommand, type IoTClient } from "@aws-sdk/client-iot";
import { parseDocument } from "../provider/engine/change.ts";
import { resolveLocation, type IoTClientProps } from "../provider/location.ts";
import { liveJobSpec } from "../provider/kinds/job/spec.ts";
import { liveTemplateSpec } from "../provider/kinds/job-template/contract.ts";
import { cloudFormationClientFor } from "../provider/stack-guard.ts";
import { readTags, userTags } from "../provider/tags.ts";
import { JOB, JOB_TEMPLATE, toCloudFormation } from "../api/cloudformation/properties.ts";
import { parseTemplateBody } from "../api/cloudformation/template.ts";

export interface ImportStackOptions extends IoTClientProps {
  stackName: string;
  /**
   * Property names in the generated code: the main API's (`"api"`) or
   * CloudFormation's, for the `alchemy-iot-jobs/cloudformation` entry point.
   * @default "api"
   */
  style?: "api" | "cloudformation";
  /** The package the generated module imports from. @default "alchemy-iot-jobs" */
  packageName?: string;
}

export interface ImportedResource {
  logicalId: string;
  type: "AWS::IoT::JobTemplate" | "AWS::IoT::Job";
  physicalId: string;
  /** The variable the generated code assigns it to. */
  variable: string;
  deletionPolicy: string;
  /** The props written (main API names), without `adopt`. */
  props: Record<string, unknown>;
}

export interface StackImport {
  stackName: string;
  stackId: string;
  resources: ImportedResource[];
  /** Resources of the stack this command does not import (other types). */
  skipped: Array<{ logicalId: string; type: string }>;
  /** Things to do before deploying (e.g. a DeletionPolicy that is not Retain). */
  warnings: string[];
  /** The generated TypeScript module. */
  code: string;
}

const IMPORTED_TYPES = ["AWS::IoT::JobTemplate", "AWS::IoT::Job"] as const;
const RETAINED = new Set(["Retain", "RetainExceptOnCreate"]);

/** A piece of code in a literal (a variable reference). */
class Code {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A value as a TypeScript literal, indented for the generated module. */
export function literal(value: unknown, indent = ""): string {
  const inner = `${indent}  `;
  if (value instanceof Code) return value.text;
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((v) => literal(v, inner));
    const flat = `[${items.join(", ")}]`;
    return flat.length <= 80 && !flat.includes("\n") ? flat : `[\n${items.map((i) => `${inner}${i},`).join("\n")}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{}";
  const lines = entries.map(([k, v]) => `${inner}${IDENTIFIER.test(k) ? k : JSON.stringify(k)}: ${literal(v, inner)},`);
  return `{\n${lines.join("\n")}\n${indent}}`;
}

const RESERVED = new Set(
  "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await async of".split(
    " ",
  ),
);

/** A camelCase variable name for a logical id, unique among `taken`. */
function variableFor(logicalId: string, taken: Set<string>): string {
  const words = logicalId.replace(/[^A-Za-z0-9]+/g, " ").trim();
  let name = words ? words.charAt(0).toLowerCase() + words.slice(1).replace(/ (\w)/g, (_, c: string) => c.toUpperCase()) : "resource";
  if (/^\d/.test(name) || RESERVED.has(name)) name = `_${name}`;
  let unique = name;
  for (let i = 2; taken.has(unique); i++) unique = `${name}${i}`;
  taken.add(unique);
  return unique;
}

/** A job document as written in the program: a JSON value when it is JSON, the text otherwise. */
const documentValue = (text: unknown) => (typeof text === "string" ? parseDocument(text) : text);

async function templateProps(client: IoTClient, jobTemplateId: string): Promise<Record<string, unknown>> {
  const live = await client.send(new DescribeJobTemplateCommand({ jobTemplateId }));
  const { jobTemplateId: id, ...spec } = liveTemplateSpec(live);
  const tags = userTags(await readTags(client, live.jobTemplateArn!));
  return {
    jobTemplateId: id,
    ...spec,
    ...(spec.document !== undefined ? { document: documentValue(spec.document) } : {}),
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
  };
}

async function jobProps(client: IoTClient, jobId: string): Promise<Record<string, unknown>> {
  const live = await client.send(new DescribeJobCommand({ jobId }));
  const document = live.documentSource
    ? undefined
    : (await client.send(new GetJobDocumentCommand({ jobId, beforeSubstitution: true }))).document;
  const { jobId: id, ...spec } = liveJobSpec(live, document);
  if (spec.jobTemplateArn !== undefined) {
    // The document came from the template: CreateJob takes one source only.
    delete spec.document;
    delete spec.documentSource;
  }
  const tags = userTags(await readTags(client, live.job!.jobArn!));
  return {
    jobId: id,
    ...spec,
    ...(spec.document !== undefined ? { document: documentValue(spec.document) } : {}),
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
  };
}

/** Reads the stack and its IoT resources, and generates the module. */
export async function importStack(options: ImportStackOptions): Promise<StackImport> {
  const { stackName, style = "api", packageName = "alchemy-iot-jobs", ...settings } = options;
  const { client, location } = await resolveLocation(settings, undefined);
  const cfn = await cloudFormationClientFor(client, location);

  let stack;
  try {
    stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (e.name === "ValidationError" && /does not exist/.test(e.message ?? "")) {
      throw new Error(`CloudFormation stack "${stackName}" does not exist (${location.description}): ${e.message}`);
    }
    throw error;
  }
  if (!stack) throw new Error(`CloudFormation stack "${stackName}" does not exist (${location.description}).`);

  const summaries: StackResourceSummary[] = [];
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stackName })) {
    summaries.push(...(page.StackResourceSummaries ?? []));
  }
  const body = (await cfn.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: "Original" }))).TemplateBody ?? "{}";
  const template = parseTemplateBody(body) as { Resources?: Record<string, { DeletionPolicy?: unknown }> };

  const taken = new Set<string>();
  const resources: ImportedResource[] = [];
  const skipped: StackImport["skipped"] = [];
  const warnings: string[] = [];
  const listed = summaries
    .filter((s) => s.PhysicalResourceId && !/^DELETE_/.test(s.ResourceStatus ?? ""))
    .sort((a, b) => (a.LogicalResourceId ?? "").localeCompare(b.LogicalResourceId ?? ""));
  // Templates first: jobs may refer to them.
  for (const type of IMPORTED_TYPES) {
    for (const s of listed.filter((r) => r.ResourceType === type)) {
      const logicalId = s.LogicalResourceId!;
      const physicalId = s.PhysicalResourceId!;
      const props = type === "AWS::IoT::JobTemplate" ? await templateProps(client, physicalId) : await jobProps(client, physicalId);
      const policy = template.Resources?.[logicalId]?.DeletionPolicy;
      const deletionPolicy = typeof policy === "string" ? policy : "Delete";
      if (!RETAINED.has(deletionPolicy)) {
        warnings.push(
          `${logicalId} (${type} ${physicalId}) has DeletionPolicy ${deletionPolicy}${policy === undefined ? " (the default)" : ""}: ` +
            `removing it from the stack, or deleting the stack, would delete it. Set DeletionPolicy: Retain on ${logicalId} and update the stack first.`,
        );
      }
      resources.push({ logicalId, type, physicalId, variable: variableFor(logicalId, taken), deletionPolicy, props });
    }
  }
  for (const s of listed) {
    if (!IMPORTED_TYPES.includes(s.ResourceType as never)) skipped.push({ logicalId: s.LogicalResourceId!, type: s.ResourceType ?? "?" });
  }
  const code = generate({ stackName, stackId: stack.StackId ?? "", resources, skipped, warnings, style, packageName });
  return { stackName, stackId: stack.StackId ?? "", resources, skipped, warnings, code };
}

function generate(i: {
  stackName: string;
  stackId: string;
  resources: ImportedResource[];
  skipped: StackImport["skipped"];
  warnings: string[];
  style: "api" | "cloudformation";
  packageName: string;
}): string {
  const cfn = i.style === "cloudformation";
  const used = [...new Set(i.resources.map((r) => (r.type === "AWS::IoT::JobTemplate" ? "JobTemplate" : "Job")))].sort();
  const functionName = variableFor(`import ${i.stackName}`, new Set());
  const templates = new Map(
    i.resources.filter((r) => r.type === "AWS::IoT::JobTemplate").map((r) => [r.props.jobTemplateId as string, r.variable] as const),
  );
  const header = [
    `// Generated by \`alchemy-iot-jobs import-stack ${i.stackName}\` from CloudFormation stack ${i.stackName}`,
    ...(i.stackId ? [`// (${i.stackId}).`] : []),
    "//",
    "// The declarations carry the live configuration and `adopt: true`: the first deploy takes the",
    "// resources over without changing them. Until the stack lets go of them (DeletionPolicy: Retain,",
    "// then remove them from its template and update the stack), this provider refuses to touch them.",
    "// See docs/migrating-from-cloudformation.md. Call the function inside your Alchemy app:",
    "//",
    `//   const app = await alchemy("my-app");`,
    `//   const { ${i.resources
      .slice(0, 2)
      .map((r) => r.variable)
      .join(", ")}${i.resources.length > 2 ? ", ..." : ""} } = await ${functionName}();`,
    "//   await app.finalize();",
    ...(i.warnings.length > 0
      ? ["//", "// Before you remove these resources from the stack:", ...i.warnings.map((w) => `//   - ${w}`)]
      : []),
    ...(i.skipped.length > 0
      ? ["//", "// Not imported (not IoT job templates or jobs):", ...i.skipped.map((s) => `//   - ${s.logicalId} (${s.type})`)]
      : []),
  ];
  const body: string[] = [];
  for (const r of i.resources) {
    const isTemplate = r.type === "AWS::IoT::JobTemplate";
    const props: Record<string, unknown> = { ...r.props };
    const templateVar = !isTemplate
      ? templates.get(
          String(props.jobTemplateArn ?? "")
            .split("/")
            .pop() ?? "",
        )
      : undefined;
    let declared: Record<string, unknown>;
    if (cfn) {
      declared = toCloudFormation(isTemplate ? JOB_TEMPLATE : JOB, props);
      if (declared.Document !== undefined && typeof declared.Document !== "string")
        declared.Document = new Code(`JSON.stringify(${literal(declared.Document, "  ")})`);
      if (templateVar) declared.JobTemplateArn = new Code(`${templateVar}.Arn`);
    } else {
      // A job of an imported template refers to it (same ARN), in the ARN's place.
      declared = Object.fromEntries(
        Object.entries(props).map(([k, v]) => (k === "jobTemplateArn" && templateVar ? ["jobTemplate", new Code(templateVar)] : [k, v])),
      );
    }
    declared.adopt = true;
    body.push(
      `  // ${r.logicalId}: ${r.type} ${r.physicalId}, DeletionPolicy ${r.deletionPolicy}`,
      `  const ${r.variable} = await ${isTemplate ? "JobTemplate" : "Job"}(${JSON.stringify(r.logicalId)}, ${literal(declared, "  ")});`,
      "",
    );
  }
  const lines = [
    ...header,
    `import { ${used.join(", ")} } from "${i.packageName}${cfn ? "/cloudformation" : ""}";`,
    "",
    `export async function ${functionName}() {`,
    ...body,
    `  return { ${i.resources.map((r) => r.variable).join(", ")} };`,
    "}",
    "",
    `export default ${functionName};`,
    "",
  ];
  if (used.length === 0) lines.splice(header.length, 1);
  return lines.join("\n");
}
