/**
 * Where a secret (`alchemy.secret(...)`) may go in a resource's props, and
 * the check that refuses it everywhere else, by construction: only a schema
 * wrapped in `secretAllowed` takes one (a job document, documentParameters
 * values, the client credentials), and only `reference` sets aside those
 * inside another resource's output, whose other props are not sent. Used by
 * `checkProps` (validate.ts), which names the resource, the prop path and
 * why, never the value.
 */
import { isSecret, Secret } from "alchemy";
import { z } from "zod";
import { formatPath, type PathPart, type ValidationIssue } from "./paths.ts";
import { CycleMark } from "./json-value.ts";

/**
 * A secret as the placement check shows it to a schema: an object that no
 * string, number or record schema accepts, so that only a schema that
 * unwraps it on purpose (`secretAllowed`) can take it.
 */
class SecretValue {
  value: unknown;
  constructor(value: unknown) {
    this.value = value;
  }
}

/** Secrets a schema took on purpose, or set aside (inside a reference, not sent). */
const placed = new WeakSet<SecretValue>();

/** Marks every secret inside `v` as placed and returns `v` with their values (for `deep` places). */
function unwrapAll(v: unknown, ancestors: readonly object[] = []): unknown {
  if (v instanceof SecretValue) {
    placed.add(v);
    return unwrapAll(v.value, ancestors);
  }
  // A cycle is marked, for the schema to refuse where it is (./json-value.ts), instead of recursing for ever.
  if (v && typeof v === "object" && ancestors.includes(v)) return new CycleMark();
  if (Array.isArray(v)) return v.map((x) => unwrapAll(x, [...ancestors, v]));
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapAll(x, [...ancestors, v])]));
  }
  return v;
}

/**
 * A place where a secret is accepted: the API carries its value to where it
 * is needed (a job document to the devices, a managed template's parameters
 * into the document, credentials to the request signer). The schema checks
 * the secret's value; the resource sends it revealed and masks it in plans.
 * `deep`: secrets anywhere inside the value (a job document given as an object).
 */
export function secretAllowed<T extends z.ZodType>(schema: T, options: { deep?: boolean } = {}) {
  return z.preprocess((v) => {
    if (options.deep) return unwrapAll(v);
    if (!(v instanceof SecretValue)) return v;
    placed.add(v);
    return v.value;
  }, schema);
}

/**
 * Another resource given as a prop (its output, or any object carrying its
 * ARN or name): only the `read` members are used and sent, so secrets in its
 * other props (its client credentials, a secret document) are set aside.
 * A secret in a `read` member, or in place of the whole reference, is refused.
 */
export function reference<T extends z.ZodType>(schema: T, read: readonly string[]) {
  return z.preprocess((v) => {
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      for (const [k, x] of Object.entries(v)) if (!read.includes(k)) unwrapAll(x);
    }
    return v;
  }, schema);
}

/** Why secrets cannot go in a resource's props (other than where `secretAllowed` takes them). */
export interface SecretPolicy {
  /** The call that returns the resource's props to anyone allowed to make it, e.g. "DescribeThing". */
  describe: string;
  /** What to do instead. */
  advice: string;
  /** Why not, per top-level prop, where the default ("IoT stores <prop> in clear and returns it ...") does not say it. */
  rules?: Record<string, string>;
}

const policies = new WeakMap<object, SecretPolicy>();

/** Why secrets are refused in the props `schema` checks, if registered. */
export const policyOf = (schema: object): SecretPolicy | undefined => policies.get(schema);

/** Registers why secrets are refused in the props a schema checks (messages of `checkProps`). */
export function withSecretPolicy<T extends z.ZodType>(schema: T, policy: SecretPolicy): T {
  policies.set(schema, policy);
  return schema;
}

/** The client settings that are configuration, never secrets (the credentials are `secretAllowed`). */
const CLIENT_SETTINGS = ["region", "profile", "roleArn", "externalId", "roleSessionName", "endpoint", "local"];

export const SECRET_REFUSED = "a secret (alchemy.secret) cannot be used here";

export function refusal(path: string, policy: SecretPolicy | undefined): string {
  if (path === "(props)")
    return `${path}: ${SECRET_REFUSED}: the props themselves cannot be a secret; wrap only the values that may be secrets`;
  const root = /^[^.[]+/.exec(path)?.[0] ?? path;
  const p = policy ?? { describe: "the resource's Describe call", advice: "pass a plain string" };
  const why =
    p.rules?.[root] ??
    (CLIENT_SETTINGS.includes(root)
      ? `${root} is client configuration, used as it is to reach IoT (only accessKeyId, secretAccessKey and sessionToken may be secrets)`
      : root === "tags"
        ? "IoT stores tags in clear and returns them to anyone who can call ListTagsForResource"
        : `IoT stores ${root} in clear and returns it to anyone who can call ${p.describe}`);
  return `${path}: ${SECRET_REFUSED}: ${why}; ${p.advice}`;
}

type Found = { path: string; marker: SecretValue; revealed: unknown };

/** Replaces every secret in `value` (plain objects and lists) by a SecretValue, listing where each was. */
export function markSecrets(value: unknown, path: PathPart[], found: Found[], ancestors: readonly object[] = []): unknown {
  if (isSecret(value)) {
    const revealed = (value as Secret<unknown>).unencrypted;
    const entry: Found = { path: formatPath(path) || "(props)", marker: new SecretValue(undefined), revealed };
    found.push(entry);
    entry.marker.value = markSecrets(revealed, path, found, ancestors);
    return entry.marker;
  }
  if (value && typeof value === "object" && ancestors.includes(value)) return new CycleMark();
  const inside = value && typeof value === "object" ? [...ancestors, value] : ancestors;
  if (Array.isArray(value)) return value.map((x, i) => markSecrets(x, [...path, i], found, inside));
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, markSecrets(x, [...path, k], found, inside)]));
  }
  return value;
}

export const isUnder = (path: string, root: string) => path === root || path.startsWith(`${root}.`) || path.startsWith(`${root}[`);

/**
 * The secrets that no schema took: the props are checked a second time with
 * each secret shown as a SecretValue, which only `secretAllowed` unwraps (and
 * `reference` sets aside). Fails closed: if that check cannot finish, every
 * secret it did not see taken is refused. Only the outermost of nested
 * refused secrets is named.
 */
export function misplacedSecrets(schema: z.ZodType<unknown>, props: unknown): Array<{ path: string; revealed: unknown }> {
  const found: Found[] = [];
  const probe = markSecrets(props, [], found);
  if (found.length === 0) return [];
  try {
    schema.safeParse(probe);
  } catch {
    // Refinements written for plain values may trip over a SecretValue: what was not taken is refused.
  }
  const refused = found.filter((f) => !placed.has(f.marker));
  const outermost = refused.filter((f) => !refused.some((g) => g !== f && g.path !== f.path && isUnder(f.path, g.path)));
  return outermost.filter((f, i) => outermost.findIndex((g) => g.path === f.path) === i);
}

/** Does the text hold the JSON of an alchemy.secret wrapper (`{"unencrypted":...,"type":"secret"}`)? */
export const isSecretText = (text: string) => /"unencrypted"\s*:/.test(text) && /"type"\s*:\s*"secret"/.test(text);

/** A secret that became text: `${secret}` in a template string gives "Secret(<name>)", JSON.stringify(secret) its wrapper with the value. */
export function secretAsText(text: string): string | undefined {
  if (isSecretText(text)) return "holds the JSON of an alchemy.secret wrapper, value included";
  if (!text.includes("Secret(")) return undefined;
  for (const s of Secret.all()) {
    if (s.name && text.includes(`Secret(${s.name})`))
      return `holds "Secret(${s.name})", what an alchemy.secret becomes in a template string, not its value`;
  }
  return undefined;
}

/** Strings in the props that hold a secret turned into text (never sent: the value would go out in clear, or not at all). */
export function secretsAsText(value: unknown, path: PathPart[], out: ValidationIssue[], ancestors: readonly object[] = []): void {
  if (isSecret(value) || (value && typeof value === "object" && ancestors.includes(value))) return;
  const inside = value && typeof value === "object" ? [...ancestors, value] : ancestors;
  if (typeof value === "string") {
    const what = secretAsText(value);
    const p = formatPath(path) || "(props)";
    if (what)
      out.push({
        path: p,
        message: `${p}: ${what}; pass the secret itself where secrets are accepted (a job document, documentParameters values, client credentials), or a plain string`,
      });
  } else if (Array.isArray(value)) value.forEach((x, i) => secretsAsText(x, [...path, i], out, inside));
  else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, x] of Object.entries(value)) secretsAsText(x, [...path, k], out, inside);
  }
}

/** Every string in a secret's value (the value itself, or the strings inside an object value). */
export function stringsIn(value: unknown, out: string[] = [], ancestors: readonly object[] = []): string[] {
  if (isSecret(value)) return stringsIn((value as Secret<unknown>).unencrypted, out, ancestors);
  if (typeof value === "string") {
    if (value.length > 0) out.push(value);
  } else if (value && typeof value === "object" && !ancestors.includes(value)) {
    for (const x of Array.isArray(value) ? value : Object.values(value)) stringsIn(x, out, [...ancestors, value]);
  }
  return out;
}

/** A message with every secret value in it replaced: a rule that quotes another prop's value must not print a secret. */
export function scrub(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    out = out.split(s).join("(sensitive)");
    const quoted = JSON.stringify(s).slice(1, -1);
    if (quoted !== s) out = out.split(quoted).join("(sensitive)");
  }
  return out;
}
