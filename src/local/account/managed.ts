/**
 * AWS's managed job templates, as the account sees them: the catalogue,
 * what ListManagedJobTemplates and DescribeManagedJobTemplate check and find,
 * and the templates' document parameters (checked when a job is created from
 * one, substituted by GetJobDocument). operations/managed.ts decodes the
 * requests and shapes the answers.
 */
import catalogue from "../data/managed-job-templates.json" with { type: "json" };
import { PARAMETER_PLACEHOLDER, STRINGS, wholeMatch } from "../../api/constraints.ts";
import * as check from "./checks.ts";
import { invalid, notFound } from "../errors.ts";
import type { Page } from "../state/pagination.ts";
import type { World } from "../state/world.ts";

export interface ManagedParameter {
  key: string;
  description?: string | null;
  regex?: string | null;
  example?: string | null;
  optional: boolean;
}

export interface ManagedTemplate {
  templateName: string;
  templateVersion: string;
  description: string;
  environments: string[];
  documentParameters: ManagedParameter[];
  document: string;
}

/** The catalogue, in name then version order; versions compare numerically. */
export const MANAGED_TEMPLATES: readonly ManagedTemplate[] = (catalogue as ManagedTemplate[])
  .map(({ templateName, templateVersion, description, environments, documentParameters, document }) => ({
    templateName,
    templateVersion,
    description,
    environments,
    documentParameters,
    document,
  }))
  .sort((a, b) => a.templateName.localeCompare(b.templateName) || compareVersions(a.templateVersion, b.templateVersion));

export function compareVersions(a: string, b: string): number {
  const [am, an] = a.split(".").map(Number);
  const [bm, bn] = b.split(".").map(Number);
  return am - bm || an - bn;
}

export function managedArn(region: string, t: { templateName: string; templateVersion: string }): string {
  return `arn:aws:iot:${region}::jobtemplate/${t.templateName}:${t.templateVersion}`;
}

/** The default version of a managed template: its highest published version. */
export function findManaged(name: string, version?: string): ManagedTemplate | undefined {
  const versions = MANAGED_TEMPLATES.filter((t) => t.templateName === name);
  if (version === undefined) return versions[versions.length - 1];
  return versions.find((t) => t.templateVersion === version);
}

/** Resolves a managed-template ARN (empty account field) of this region. */
export function managedFromArn(world: World, arn: string): ManagedTemplate | undefined {
  const parsed = world.parseArn(arn);
  if (!parsed || parsed.type !== "jobtemplate" || parsed.account !== "") return undefined;
  const m = /^(.+):([^:]+)$/.exec(parsed.name);
  if (!m || parsed.region !== world.region) return undefined;
  return findManaged(m[1], m[2]);
}

/**
 * Checks documentParameters against a managed template: every required key
 * present, no unknown key, each value matching its parameter's regex as a
 * whole (the regex is anchored at both ends, like Java's String.matches).
 */
export function checkDocumentParameters(template: ManagedTemplate, parameters: Record<string, string> | undefined): void {
  const given = parameters ?? {};
  const known = new Map(template.documentParameters.map((p) => [p.key, p]));
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      throw invalid(
        `Document parameter '${key}' is not defined by managed template ${template.templateName}:${template.templateVersion}. Valid keys: ${[...known.keys()].join(", ")}.`,
      );
    }
  }
  for (const p of template.documentParameters) {
    const value = given[p.key];
    if (value === undefined) {
      if (!p.optional) {
        throw invalid(
          `Missing required document parameter '${p.key}' for managed template ${template.templateName}:${template.templateVersion}.`,
        );
      }
      continue;
    }
    if (p.regex && !wholeMatch(p.regex).test(value)) {
      throw invalid(`Document parameter '${p.key}' does not match the pattern ${p.regex}.`);
    }
  }
}

/** Replaces `${aws:iot:parameter:key}` placeholders; an omitted optional parameter becomes "". */
export function substituteParameters(document: string, parameters: Record<string, string> | undefined): string {
  return document.replace(PARAMETER_PLACEHOLDER, (_, key: string) => {
    const value = parameters?.[key] ?? "";
    // The placeholder sits inside a JSON string: escape the value as JSON string content.
    return JSON.stringify(value).slice(1, -1);
  });
}

/** The catalogue's templates, or those of one name, in name then version order. */
export function listManagedJobTemplates(
  world: World,
  input: { maxResults?: number; templateName?: string; nextToken?: string },
): Page<ManagedTemplate> {
  const maxResults = check.pageSize(input.maxResults);
  const name = check.str("templateName", input.templateName, STRINGS.managedTemplateName);
  const items = MANAGED_TEMPLATES.filter((t) => name === undefined || t.templateName === name).map((t, i) => ({
    seq: i + 1,
    t,
  }));
  if (name !== undefined && items.length === 0) {
    throw notFound(`Managed job template ${name} cannot be found.`);
  }
  const page = world.paginate("ListManagedJobTemplates", items, {
    nextToken: input.nextToken,
    maxResults,
    filter: name ?? "",
  });
  return { items: page.items.map(({ t }) => t), nextToken: page.nextToken };
}

/** A managed template: the version asked for, else its default (highest) version. */
export function describeManagedJobTemplate(_world: World, input: { templateName: string; templateVersion?: string }): ManagedTemplate {
  const name = check.str("templateName", input.templateName, STRINGS.managedTemplateName, { required: true })!;
  const version = check.str("templateVersion", input.templateVersion, STRINGS.templateVersion);
  const t = findManaged(name, version);
  if (!t) {
    throw notFound(
      version === undefined
        ? `Managed job template ${name} cannot be found.`
        : `Managed job template ${name} version ${version} cannot be found.`,
    );
  }
  return t;
}
