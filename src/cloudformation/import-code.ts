/**
 * The module `import-stack` writes: one declaration per imported resource,
 * with its live configuration and `adopt: true`, in the main API's names or
 * CloudFormation's (`alchemy-iot-jobs/cloudformation`). A resource that
 * refers to another imported one refers to it by variable: a version to its
 * package, a template or job to the versions it installs, a job to its template.
 */
import {
  JOB,
  JOB_TEMPLATE,
  SOFTWARE_PACKAGE,
  SOFTWARE_PACKAGE_VERSION,
  toCloudFormation,
  type Shape,
} from "../api/cloudformation/properties.ts";

/** The CloudFormation types `import-stack` takes over, in the order it declares them (each may refer to the ones before). */
export const IMPORTED_TYPES = [
  "AWS::IoT::SoftwarePackage",
  "AWS::IoT::SoftwarePackageVersion",
  "AWS::IoT::JobTemplate",
  "AWS::IoT::Job",
] as const;

export type ImportedType = (typeof IMPORTED_TYPES)[number];

export interface ImportedResource {
  logicalId: string;
  type: ImportedType;
  physicalId: string;
  /** The variable the generated code assigns it to. */
  variable: string;
  deletionPolicy: string;
  /** The props written (main API names), without `adopt`. */
  props: Record<string, unknown>;
}

/** For each type: the resource it is declared with, and its CloudFormation shape with this package's extensions. */
const DECLARED: Record<ImportedType, { resource: string; shape: Shape }> = {
  "AWS::IoT::SoftwarePackage": { resource: "SoftwarePackage", shape: { ...SOFTWARE_PACKAGE, DefaultVersion: "defaultVersion" } },
  "AWS::IoT::SoftwarePackageVersion": { resource: "SoftwarePackageVersion", shape: { ...SOFTWARE_PACKAGE_VERSION, Status: "status" } },
  "AWS::IoT::JobTemplate": { resource: "JobTemplate", shape: JOB_TEMPLATE },
  "AWS::IoT::Job": { resource: "Job", shape: JOB },
};

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
export function variableFor(logicalId: string, taken: Set<string>): string {
  const words = logicalId.replace(/[^A-Za-z0-9]+/g, " ").trim();
  let name = words ? words.charAt(0).toLowerCase() + words.slice(1).replace(/ (\w)/g, (_, c: string) => c.toUpperCase()) : "resource";
  if (/^\d/.test(name) || RESERVED.has(name)) name = `_${name}`;
  let unique = name;
  for (let i = 2; taken.has(unique); i++) unique = `${name}${i}`;
  taken.add(unique);
  return unique;
}

/** The variables of the imported resources that others refer to: packages by name, versions and templates by ARN's end. */
function variablesOf(resources: ImportedResource[]) {
  const of = (type: ImportedType, key: (p: Record<string, unknown>) => string) =>
    new Map(resources.filter((r) => r.type === type).map((r) => [key(r.props), r.variable] as const));
  return {
    packages: of("AWS::IoT::SoftwarePackage", (p) => String(p.packageName)),
    versions: of("AWS::IoT::SoftwarePackageVersion", (p) => `package/${String(p.package)}/version/${String(p.versionName)}`),
    templates: of("AWS::IoT::JobTemplate", (p) => String(p.jobTemplateId)),
  };
}

/** A resource's props as the generated code declares them: references to other imported resources by variable. */
function declaration(r: ImportedResource, vars: ReturnType<typeof variablesOf>, cfn: boolean): Record<string, unknown> {
  const props: Record<string, unknown> = { ...r.props };
  if (r.type === "AWS::IoT::SoftwarePackageVersion") {
    const pkg = vars.packages.get(String(props.package));
    if (pkg) props.package = new Code(pkg);
  }
  if (Array.isArray(props.destinationPackageVersions)) {
    props.destinationPackageVersions = props.destinationPackageVersions.map((arn) => {
      const version = [...vars.versions].find(([suffix]) => typeof arn === "string" && arn.endsWith(`:${suffix}`))?.[1];
      return version ? new Code(version) : arn;
    });
  }
  const templateVar =
    r.type === "AWS::IoT::Job"
      ? vars.templates.get(
          String(props.jobTemplateArn ?? "")
            .split("/")
            .pop() ?? "",
        )
      : undefined;
  if (!cfn) {
    // A job of an imported template refers to it (same ARN), in the ARN's place.
    return Object.fromEntries(
      Object.entries(props).map(([k, v]) => (k === "jobTemplateArn" && templateVar ? ["jobTemplate", new Code(templateVar)] : [k, v])),
    );
  }
  const declared = toCloudFormation(DECLARED[r.type].shape, props);
  if (declared.Document !== undefined && typeof declared.Document !== "string")
    declared.Document = new Code(`JSON.stringify(${literal(declared.Document, "  ")})`);
  if (templateVar) declared.JobTemplateArn = new Code(`${templateVar}.Arn`);
  return declared;
}

/** The generated module. */
export function generate(i: {
  stackName: string;
  stackId: string;
  resources: ImportedResource[];
  skipped: Array<{ logicalId: string; type: string }>;
  warnings: string[];
  style: "api" | "cloudformation";
  packageName: string;
}): string {
  const cfn = i.style === "cloudformation";
  const used = [...new Set(i.resources.map((r) => DECLARED[r.type].resource))].sort();
  const functionName = variableFor(`import ${i.stackName}`, new Set());
  const vars = variablesOf(i.resources);
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
      ? [
          "//",
          "// Not imported (not IoT software packages, package versions, job templates or jobs):",
          ...i.skipped.map((s) => `//   - ${s.logicalId} (${s.type})`),
        ]
      : []),
  ];
  const body: string[] = [];
  for (const r of i.resources) {
    const declared = declaration(r, vars, cfn);
    declared.adopt = true;
    body.push(
      `  // ${r.logicalId}: ${r.type} ${r.physicalId}, DeletionPolicy ${r.deletionPolicy}`,
      `  const ${r.variable} = await ${DECLARED[r.type].resource}(${JSON.stringify(r.logicalId)}, ${literal(declared, "  ")});`,
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
