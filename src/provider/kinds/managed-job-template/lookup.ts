/**
 * AWS managed job templates (AWS-Reboot, AWS-Download-File, ...): a lookup,
 * not a managed resource. It never creates or deletes anything and leaves
 * nothing to destroy; a Job created from its result has its
 * `documentParameters` checked against the template before any call.
 */
import type { IoTClient, ManagedJobTemplateSummary } from "@aws-sdk/client-iot";
import { DescribeManagedJobTemplateCommand, ResourceNotFoundException, paginateListManagedJobTemplates } from "../../iot-sdk.ts";
import { isSecret, Scope } from "alchemy";
import { resolveLocation, type IoTClientProps } from "../../location.ts";
import { STRINGS, wholeMatch } from "../../../api/constraints.ts";
import { recordRead } from "../../engine/recorder.ts";
import { checkProps, closestKey, showValue, ValidationError, type ValidationIssue } from "../../validate.ts";
import { isUnknown } from "../../unknown.ts";
import { managedJobTemplatePropsSchema } from "./schema.ts";
import { reported } from "../../../runtime/failure.ts";

/** One placeholder of a managed template's document. */
export interface DocumentParameter {
  /** Fills `${aws:iot:parameter:<key>}` in the document. */
  key: string;
  description?: string;
  /** The whole value must match this regular expression. */
  regex?: string;
  example?: string;
  /** Whether the parameter may be left out. */
  optional: boolean;
}

/** Which managed template to look up. */
export interface ManagedJobTemplateProps extends IoTClientProps {
  /** The template's name, e.g. "AWS-Reboot". */
  templateName: string;
  /**
   * Its version, e.g. "1.0".
   * @default the template's default version
   */
  templateVersion?: string;
}

/** An AWS managed job template. */
export interface ManagedJobTemplate {
  /** `arn:aws:iot:<region>::jobtemplate/<name>:<version>` (no account). */
  templateArn: string;
  templateName: string;
  templateVersion: string;
  description: string;
  /** Where devices can run it (e.g. LINUX). */
  environments: string[];
  /** The job document, with `${aws:iot:parameter:<key>}` placeholders. */
  document: string;
  documentParameters: DocumentParameter[];
}

export type ManagedJobTemplateListing = Required<
  Pick<ManagedJobTemplateSummary, "templateArn" | "templateName" | "templateVersion" | "description" | "environments">
>;

/**
 * Looks up an AWS managed job template with DescribeManagedJobTemplate.
 *
 * @example
 * const reboot = await ManagedJobTemplate({ templateName: "AWS-Reboot" }); // the default version
 * const download = await ManagedJobTemplate({ templateName: "AWS-Download-File", templateVersion: "1.0" });
 * await Job("fetch-config", {
 *   targets: [fleet],
 *   jobTemplate: download,
 *   documentParameters: { downloadUrl: "https://example.com/cfg.json", filePath: "/etc/app/cfg.json" },
 * });
 */
export async function ManagedJobTemplate(props: ManagedJobTemplateProps): Promise<ManagedJobTemplate> {
  try {
    return await lookUp(props);
  } catch (error) {
    throw reported(error);
  }
}

async function lookUp(props: ManagedJobTemplateProps): Promise<ManagedJobTemplate> {
  // (A secret given as the name is not printed, not even as "Secret(<name>)": checkProps refuses it.)
  const label = `ManagedJobTemplate "${isSecret(props?.templateName) ? "(sensitive)" : props?.templateName}"`;
  checkProps(label, managedJobTemplatePropsSchema, props);
  const { client } = await resolveLocation(props, Scope.getScope());
  const { templateName, templateVersion } = props;
  let out;
  try {
    out = await client.send(new DescribeManagedJobTemplateCommand({ templateName, templateVersion }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    throw await notFound(client, templateName, templateVersion);
  }
  const template: ManagedJobTemplate = {
    templateArn: out.templateArn!,
    templateName: out.templateName!,
    templateVersion: out.templateVersion!,
    description: out.description ?? "",
    environments: out.environments ?? [],
    document: out.document ?? "",
    documentParameters: (out.documentParameters ?? []).map((p) => ({
      key: p.key!,
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.regex !== undefined ? { regex: p.regex } : {}),
      ...(p.example !== undefined ? { example: p.example } : {}),
      optional: p.optional ?? false,
    })),
  };
  recordRead("ManagedJobTemplate", `${template.templateName}:${template.templateVersion}`, template);
  return template;
}

/** Every managed template and version (ListManagedJobTemplates, following every page). */
export async function listManagedJobTemplates(
  props: { templateName?: string } & IoTClientProps = {},
): Promise<ManagedJobTemplateListing[]> {
  const { client } = await resolveLocation(props, Scope.getScope());
  try {
    return await listAll(client, props.templateName);
  } catch (error) {
    if (error instanceof ResourceNotFoundException && props.templateName !== undefined) return [];
    throw error;
  }
}

async function listAll(client: IoTClient, templateName?: string): Promise<ManagedJobTemplateListing[]> {
  const out: ManagedJobTemplateListing[] = [];
  for await (const page of paginateListManagedJobTemplates({ client }, { templateName })) {
    for (const t of page.managedJobTemplates ?? []) {
      out.push({
        templateArn: t.templateArn!,
        templateName: t.templateName!,
        templateVersion: t.templateVersion!,
        description: t.description ?? "",
        environments: t.environments ?? [],
      });
    }
  }
  return out;
}

/** An error for an unknown name (listing the names) or version (listing its versions). */
async function notFound(client: IoTClient, name: string, version: string | undefined): Promise<Error> {
  const all = await listAll(client);
  const versions = all.filter((t) => t.templateName === name).map((t) => t.templateVersion);
  if (versions.length > 0) {
    return new Error(`ManagedJobTemplate: ${name} has no version ${version}. Available versions: ${versions.join(", ")}.`);
  }
  const names = [...new Set(all.map((t) => t.templateName))].sort();
  const near = closestKey(name, names);
  return new Error(
    `ManagedJobTemplate: there is no AWS managed job template named "${name}".${near ? ` Did you mean ${near}?` : ""} Available: ${names.join(", ")}.`,
  );
}

/**
 * Checks a job's documentParameters against a managed template: every
 * required parameter given, no unknown parameter, each value matching its
 * parameter's regex as a whole (anchored at both ends, like Java's
 * `String.matches`, which is how the service's patterns are written).
 * Returns the problems (empty when fine); never prints secret values.
 */
export function documentParameterIssues(
  template: Pick<ManagedJobTemplate, "templateName" | "templateVersion" | "documentParameters">,
  parameters: Record<string, string> | undefined,
  sensitive: (key: string) => boolean = () => false,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const given = parameters ?? {};
  const name = `${template.templateName} ${template.templateVersion}`;
  const known = template.documentParameters.map((p) => p.key);
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue;
    const near = closestKey(key, known);
    issues.push({
      path: `documentParameters.${key}`,
      message: `documentParameters.${key}: is not a parameter of ${name}${near ? `; did you mean ${near}?` : ""} (its parameters: ${known.join(", ") || "none"})`,
    });
  }
  for (const p of template.documentParameters) {
    const value = given[p.key];
    const path = `documentParameters.${p.key}`;
    if (value === undefined) {
      if (!p.optional) {
        const hint = [p.description?.replace(/\.$/, ""), p.example ? `e.g. ${JSON.stringify(p.example)}` : undefined]
          .filter(Boolean)
          .join("; ");
        issues.push({ path, message: `${path}: is required by ${name}${hint ? ` (${hint})` : ""}` });
      }
      continue;
    }
    if (isUnknown(value)) continue;
    const broken =
      value.length < (STRINGS.documentParameterValue.min ?? 0)
        ? "must not be empty"
        : p.regex && !wholeMatch(p.regex).test(value)
          ? `does not match the parameter's pattern ${p.regex} (the whole value must match)`
          : undefined;
    if (broken) {
      issues.push({ path, message: `${path}: ${sensitive(p.key) ? "(sensitive)" : showValue(value)} ${broken}` });
    }
  }
  return issues;
}

/** Throws a ValidationError when documentParameters do not fit the managed template. */
export function checkDocumentParameters(
  resource: string,
  template: Pick<ManagedJobTemplate, "templateName" | "templateVersion" | "documentParameters">,
  parameters: Record<string, string> | undefined,
  sensitive?: (key: string) => boolean,
): void {
  const issues = documentParameterIssues(template, parameters, sensitive);
  if (issues.length > 0) throw new ValidationError(resource, issues);
}

/** Is this object the result of a ManagedJobTemplate lookup (it carries the parameter definitions)? */
export function isManagedJobTemplate(value: unknown): value is ManagedJobTemplate {
  const v = value as Partial<ManagedJobTemplate> | null;
  return !!v && typeof v === "object" && typeof v.templateArn === "string" && Array.isArray(v.documentParameters);
}
