/**
 * How a resource of `alchemy-iot-jobs/cloudformation` becomes the main API's:
 * its CloudFormation properties are translated to the API's props, checked
 * with the main API's schema (every problem at once, each named by its
 * CloudFormation property path), and the main API's resource runs them; its
 * output gets CloudFormation's attribute names.
 */
import { randomUUID } from "node:crypto";
import { isSecret } from "alchemy";
import { IOT_CLIENT_KEYS, type IoTClientProps } from "../provider/location.ts";
import { keepIdentity } from "../provider/common.ts";
import { checkProps, SECRET_REFUSED, ValidationError, type ValidationIssue } from "../provider/validate.ts";
import { cloudFormationPath, fromCloudFormation, nameMap, type Shape } from "../api/cloudformation/properties.ts";

/** `{ Key, Value }`, as in every CloudFormation `Tags` list. */
export interface Tag {
  Key: string;
  Value: string;
}

/** Options of this package that CloudFormation has no property for. */
export interface ProviderOptions extends IoTClientProps {
  /** Take over an existing resource with the same id (see docs/migrating-from-cloudformation.md). */
  adopt?: boolean;
  /** Act on a resource even though a CloudFormation stack still manages it. @default false */
  overrideCloudFormationStack?: boolean;
}

/** The options every resource copies as they are. */
export const PASSTHROUGH: readonly string[] = [...IOT_CLIENT_KEYS, "adopt", "overrideCloudFormationStack"];

/** One CloudFormation resource type, as the translation needs it. */
export interface CloudFormationType {
  /** Its properties (and this package's extensions, such as a version's `Status`) -> the main API's props. */
  shape: Shape;
  /** The main API's schema of the props. */
  schema: Parameters<typeof checkProps>[1];
  /** Main-API props that a property also stands for (prop -> the prop of the shape), from the member rows. */
  aliases: Record<string, string>;
  /** This package's own options, copied as they are. */
  passthrough: readonly string[];
  /** Moves translated props to where the main API takes them (a resource given for an ARN, say). */
  adjust?: (apiProps: Record<string, unknown>) => void;
}

/** `{ key: value }` tags as a `[{ Key, Value }]` list (the list is what CloudFormation takes). */
function tagList(tags: unknown): unknown {
  if (tags && typeof tags === "object" && !Array.isArray(tags) && Object.values(tags).every((v) => typeof v === "string")) {
    return Object.entries(tags as Record<string, string>).map(([Key, Value]) => ({ Key, Value }));
  }
  return tags;
}

/** Rewords a main-API message for CloudFormation: prop names become property names, outside quoted values. */
function reword(text: string, names: Map<string, string>): string {
  return text
    .split(/("(?:[^"\\]|\\.)*")/)
    .map((part, i) => {
      if (i % 2 === 1) return part; // a quoted value
      const replaced = part.replace(/\b[a-z][a-zA-Z]*\b/g, (word, offset: number) => {
        const name = names.get(word);
        if (!name) return word;
        // camelCase names are unambiguous; one-word names ("document", "tags") only where they are listed as props.
        if (/[A-Z]/.test(word)) return name;
        const after = part.slice(offset + word.length);
        return /^(,|:| or\b)/.test(after) ? name : word;
      });
      // "JobTemplateArn or JobTemplateArn" when two API props share one property.
      return replaced.replace(/\b([A-Z]\w+)(, | or )\1\b/g, "$1");
    })
    .join("");
}

/** A main-API validation issue, with its path and names in CloudFormation terms. */
function toCloudFormationIssue(
  issue: ValidationIssue,
  shape: Shape,
  cfnValue: Record<string, unknown>,
  names: Map<string, string>,
  aliases: Record<string, string>,
): ValidationIssue {
  const root = /^[^.[]+/.exec(issue.path)?.[0] ?? "";
  const apiPath = aliases[root] ? aliases[root] + issue.path.slice(root.length) : issue.path;
  let path = cloudFormationPath(shape, apiPath, cfnValue);
  let rest = issue.message.startsWith(`${issue.path}: `) ? issue.message.slice(issue.path.length + 2) : issue.message;
  if (/^Tags\[\d+\]$/.test(path)) {
    // The main API reports a tag by its key (tags.<key>); CloudFormation has a list entry with a Key and a Value.
    const key = apiPath.slice("tags.".length);
    const [, problem] = /^(?:"(?:[^"\\]|\\.)*"|\(sensitive\)) (.*)$/.exec(rest) ?? [undefined, rest];
    // (A refused secret is a tag's value: one given as a Key is refused before this, in CloudFormation terms.)
    const isValue = /^tag value/.test(problem) || problem.startsWith(SECRET_REFUSED);
    path += isValue ? ".Value" : ".Key";
    rest = isValue ? rest : `${JSON.stringify(key)} ${problem}`;
  }
  return { path, message: `${path}: ${reword(rest, names)}` };
}

const isPlain = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype;

/**
 * Secrets go through the translation as opaque strings and are put back in
 * the API props after it: the translation neither takes a secret apart nor
 * prints one (a tag it cannot read is quoted in its message), and the main
 * API's checks then decide where a secret may go. Objects without a secret
 * inside are kept as they are (a resource given as a target stays itself).
 */
function hideSecrets(value: Record<string, unknown>) {
  const secrets = new Map<string, unknown>();
  const nonce = randomUUID().slice(0, 8);
  const holds = (v: unknown): boolean => isSecret(v) || (Array.isArray(v) ? v.some(holds) : isPlain(v) && Object.values(v).some(holds));
  const hide = (v: unknown): unknown => {
    if (isSecret(v)) {
      const token = `(secret ${nonce}-${secrets.size})`;
      secrets.set(token, v);
      return token;
    }
    if (!holds(v)) return v;
    if (Array.isArray(v)) return v.map(hide);
    const out: Record<PropertyKey, unknown> = { ...(v as Record<string, unknown>) };
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = hide(x);
    return out;
  };
  const hidden = hide(value) as Record<string, unknown>;
  const isToken = (v: unknown): v is string => typeof v === "string" && secrets.has(v);
  const inside = (v: unknown): boolean =>
    isToken(v) || (Array.isArray(v) ? v.some(inside) : isPlain(v) && Object.entries(v).some(([k, x]) => isToken(k) || inside(x)));
  const restore = (v: unknown): unknown => {
    if (isToken(v)) return secrets.get(v);
    if (!inside(v)) return v;
    if (Array.isArray(v)) return v.map(restore);
    const out: Record<PropertyKey, unknown> = { ...(v as Record<string, unknown>) };
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      // A secret as a key (a tag's Key) cannot be put back: it is refused on its own (tagKeySecrets).
      if (isToken(k)) delete out[k];
      else out[k] = restore(x);
    }
    return out;
  };
  /** A message with every token (quoted or not) shown as "(sensitive)". */
  const redact = (text: string) =>
    [...secrets.keys()].reduce((t, token) => t.split(JSON.stringify(token)).join("(sensitive)").split(token).join("(sensitive)"), text);
  return { hidden, restore, redact };
}

/** A secret as a tag's Key: refused (IoT stores tag keys in clear, and a key cannot be kept encrypted). */
function tagKeySecrets(tags: unknown): ValidationIssue[] {
  if (!Array.isArray(tags)) return [];
  return tags.flatMap((tag, i) =>
    tag && typeof tag === "object" && isSecret((tag as { Key?: unknown }).Key)
      ? [
          {
            path: `Tags[${i}].Key`,
            message: `Tags[${i}].Key: ${SECRET_REFUSED}: IoT stores tags in clear and returns them to anyone who can call ListTagsForResource; pass a plain string`,
          },
        ]
      : [],
  );
}

/**
 * Translates CloudFormation properties and validates them with the main
 * API's schema, reporting every problem at once in CloudFormation terms.
 */
function prepare(
  type: CloudFormationType,
  label: string,
  props: Record<string, unknown>,
): { apiProps: Record<string, unknown>; rethrow: (error: unknown) => never } {
  const { shape, aliases } = type;
  const names = nameMap(shape);
  for (const [api, target] of Object.entries(aliases)) names.set(api, names.get(target)!);
  const { hidden: given, restore, redact } = hideSecrets(props ?? {});
  const cfnValue = given.Tags === undefined ? given : { ...given, Tags: tagList(given.Tags) };
  const translated = fromCloudFormation(shape, cfnValue, type.passthrough);
  const apiProps = restore(translated.props) as Record<string, unknown>;
  const issues = [...tagKeySecrets((props ?? {}).Tags), ...translated.issues.map((i) => ({ path: i.path, message: redact(i.message) }))];
  type.adjust?.(apiProps);
  const translateIssues = (error: ValidationError): ValidationIssue[] =>
    error.issues.map((i) => toCloudFormationIssue(i, shape, cfnValue, names, aliases));
  const all: ValidationIssue[] = [...issues];
  try {
    checkProps(label, type.schema, apiProps);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    for (const issue of translateIssues(error)) {
      // An unknown property already explains what is missing under it.
      if (!all.some((t) => t.path === issue.path)) all.push(issue);
    }
  }
  if (all.length > 0) throw new ValidationError(label, all);
  return {
    apiProps,
    rethrow(error: unknown): never {
      throw error instanceof ValidationError ? new ValidationError(label, translateIssues(error)) : error;
    },
  };
}

/**
 * Translates and checks the props, then runs the main API's resource; its
 * output gets CloudFormation's attribute names, and a validation error that
 * it raises later (e.g. a schedule checked at create time) CloudFormation paths.
 */
export function run<O, R>(
  type: CloudFormationType,
  label: string,
  props: object,
  resource: (apiProps: Record<string, unknown>) => Promise<O>,
  attributes: (out: O) => R,
): Promise<R> {
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(type, label, props as Record<string, unknown>);
  } catch (error) {
    return Promise.reject(error);
  }
  const pending = resource(prepared.apiProps);
  return keepIdentity(
    pending,
    pending.then(attributes, (error) => prepared.rethrow(error)),
  );
}
