/**
 * `import-stack`: reads the IoT software packages, package versions, job
 * templates and jobs of a CloudFormation stack and writes a TypeScript
 * module that declares them for this provider with their live configuration
 * and `adopt: true`, so that the first deploy takes them over without
 * changing anything.
 *
 * Calls (all reads): CloudFormation DescribeStacks, ListStackResources (every
 * page) and GetTemplate (for DeletionPolicy); IoT GetPackage,
 * GetPackageVersion, DescribeJobTemplate, DescribeJob, GetJobDocument and
 * ListTagsForResource (import-live.ts). The module is written by import-code.ts.
 */
import {
  DescribeStacksCommand,
  GetTemplateCommand,
  paginateListStackResources,
  type StackResourceSummary,
} from "@aws-sdk/client-cloudformation";
import { resolveLocation, type IoTClientProps } from "../provider/location.ts";
import { cloudFormationClientFor } from "../provider/stack-guard.ts";
import { parseTemplateBody } from "../api/cloudformation/template.ts";
import { generate, IMPORTED_TYPES, variableFor, type ImportedResource, type ImportedType } from "./import-code.ts";
import { liveProps } from "./import-live.ts";

export { literal, IMPORTED_TYPES, type ImportedResource, type ImportedType } from "./import-code.ts";

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

export interface StackImport {
  stackName: string;
  stackId: string;
  /** The imported resources: packages, then versions, then templates, then jobs (each may refer to the ones before). */
  resources: ImportedResource[];
  /** Resources of the stack this command does not import (other types). */
  skipped: Array<{ logicalId: string; type: string }>;
  /** Things to do before deploying (e.g. a DeletionPolicy that is not Retain). */
  warnings: string[];
  /** The generated TypeScript module. */
  code: string;
}

const RETAINED = new Set(["Retain", "RetainExceptOnCreate"]);

const isImported = (type: string | undefined): type is ImportedType => IMPORTED_TYPES.includes(type as ImportedType);

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
  // Packages, then versions, then templates, then jobs: each may refer to the ones before.
  for (const type of IMPORTED_TYPES) {
    for (const s of listed.filter((r) => r.ResourceType === type)) {
      const logicalId = s.LogicalResourceId!;
      const physicalId = s.PhysicalResourceId!;
      const props = await liveProps(client, type, physicalId);
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
    if (!isImported(s.ResourceType)) skipped.push({ logicalId: s.LogicalResourceId!, type: s.ResourceType ?? "?" });
  }
  const code = generate({ stackName, stackId: stack.StackId ?? "", resources, skipped, warnings, style, packageName });
  return { stackName, stackId: stack.StackId ?? "", resources, skipped, warnings, code };
}
