/**
 * Props -> checked input: the machinery. Every constraint of `constraints.ts`
 * is expressed as a zod schema (schemas.ts); a failed check becomes one line naming the prop path, the bad
 * value (truncated, or "(sensitive)" for secrets) and the rule, and all
 * problems of a resource are reported together before any API call is made.
 *
 * zod was chosen because it reports every issue with its path in one pass,
 * composes the shared shapes (abort, retry, rollout, ...) between JobTemplate
 * and Job, and lets each refinement carry our own wording.
 *
 * Secrets (`alchemy.secret(...)`) are refused everywhere by construction:
 * only a schema wrapped in `secretAllowed` takes one (a job document,
 * documentParameters values, the client credentials), and only `reference`
 * sets aside those inside another resource's output, whose other props are
 * not sent. Every other place that a secret reaches (an attribute, a
 * description, a name, a tag, an ARN, a new prop added later) is refused by
 * `checkProps`, naming the resource, the prop path and why, never the value.
 */
import { isSecret, Secret } from "alchemy";
import { z } from "zod";
import { checkNumber, checkString, type NumberRule, type StringRule } from "./constraints.ts";
import { isUnknown } from "./unknown.ts";

/** One problem with a prop. */
export interface ValidationIssue {
  /** Prop path, e.g. `abortConfig.criteriaList[0].action`. */
  path: string;
  /** The whole line: path, value and rule. */
  message: string;
}

/** Thrown before any API call when props break the API's rules. */
export class ValidationError extends Error {
  override name = "ValidationError";
  readonly resource: string;
  readonly issues: ValidationIssue[];
  constructor(resource: string, issues: ValidationIssue[]) {
    super(
      `Invalid props for ${resource} (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
        issues.map((i) => `  - ${i.message}`).join("\n"),
    );
    this.resource = resource;
    this.issues = issues;
  }
}

// ------------------------------------------------------------------ paths

export type PathPart = string | number;

export function formatPath(parts: readonly PathPart[]): string {
  let out = "";
  for (const p of parts) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out;
}

const MAX_SHOWN = 60;
export function showValue(value: unknown): string {
  let text: string;
  if (value === undefined) text = "undefined";
  else if (typeof value === "string") text = JSON.stringify(value);
  // JSON would show NaN and the infinities as null.
  else if (typeof value === "number" && !Number.isFinite(value)) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}...` : text;
}

// ------------------------------------------------------------------ secrets

/**
 * Returns props with secrets replaced by their values (for checking) and the
 * paths that held secrets (so messages never print them).
 */
export function revealForChecks(value: unknown, path: PathPart[] = [], sensitive = new Set<string>()): {
  view: unknown;
  sensitive: Set<string>;
} {
  const walk = (v: unknown, p: PathPart[]): unknown => {
    if (isSecret(v)) {
      sensitive.add(formatPath(p));
      return walk((v as Secret<unknown>).unencrypted, p);
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...p, i]));
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...p, k])]));
    }
    return v;
  };
  return { view: walk(value, path), sensitive };
}

function isSensitive(path: string, sensitive: Set<string>): boolean {
  for (const s of sensitive) {
    if (path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`)) return true;
  }
  return false;
}

// ------------------------------------------------------------------ where a secret may go

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
function unwrapAll(v: unknown): unknown {
  if (v instanceof SecretValue) {
    placed.add(v);
    return unwrapAll(v.value);
  }
  if (Array.isArray(v)) return v.map(unwrapAll);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapAll(x)]));
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

/** Registers why secrets are refused in the props a schema checks (messages of `checkProps`). */
export function withSecretPolicy<T extends z.ZodType>(schema: T, policy: SecretPolicy): T {
  policies.set(schema, policy);
  return schema;
}

/** The client settings that are configuration, never secrets (the credentials are `secretAllowed`). */
const CLIENT_SETTINGS = ["region", "profile", "roleArn", "externalId", "roleSessionName", "endpoint", "local"];

export const SECRET_REFUSED = "a secret (alchemy.secret) cannot be used here";

function refusal(path: string, policy: SecretPolicy | undefined): string {
  if (path === "(props)") return `${path}: ${SECRET_REFUSED}: the props themselves cannot be a secret; wrap only the values that may be secrets`;
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
function markSecrets(value: unknown, path: PathPart[], found: Found[]): unknown {
  if (isSecret(value)) {
    const revealed = (value as Secret<unknown>).unencrypted;
    const entry: Found = { path: formatPath(path) || "(props)", marker: new SecretValue(undefined), revealed };
    found.push(entry);
    entry.marker.value = markSecrets(revealed, path, found);
    return entry.marker;
  }
  if (Array.isArray(value)) return value.map((x, i) => markSecrets(x, [...path, i], found));
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, markSecrets(x, [...path, k], found)]));
  }
  return value;
}

const isUnder = (path: string, root: string) => path === root || path.startsWith(`${root}.`) || path.startsWith(`${root}[`);

/**
 * The secrets that no schema took: the props are checked a second time with
 * each secret shown as a SecretValue, which only `secretAllowed` unwraps (and
 * `reference` sets aside). Fails closed: if that check cannot finish, every
 * secret it did not see taken is refused. Only the outermost of nested
 * refused secrets is named.
 */
function misplacedSecrets(schema: z.ZodType<unknown>, props: unknown): Array<{ path: string; revealed: unknown }> {
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
function secretAsText(text: string): string | undefined {
  if (isSecretText(text)) return "holds the JSON of an alchemy.secret wrapper, value included";
  if (!text.includes("Secret(")) return undefined;
  for (const s of Secret.all()) {
    if (s.name && text.includes(`Secret(${s.name})`)) return `holds "Secret(${s.name})", what an alchemy.secret becomes in a template string, not its value`;
  }
  return undefined;
}

/** Strings in the props that hold a secret turned into text (never sent: the value would go out in clear, or not at all). */
function secretsAsText(value: unknown, path: PathPart[], out: ValidationIssue[]): void {
  if (isSecret(value)) return;
  if (typeof value === "string") {
    const what = secretAsText(value);
    const p = formatPath(path) || "(props)";
    if (what) out.push({ path: p, message: `${p}: ${what}; pass the secret itself where secrets are accepted (a job document, documentParameters values, client credentials), or a plain string` });
  } else if (Array.isArray(value)) value.forEach((x, i) => secretsAsText(x, [...path, i], out));
  else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, x] of Object.entries(value)) secretsAsText(x, [...path, k], out);
  }
}

/** Every string in a secret's value (the value itself, or the strings inside an object value). */
function stringsIn(value: unknown, out: string[] = []): string[] {
  if (isSecret(value)) return stringsIn((value as Secret<unknown>).unencrypted, out);
  if (typeof value === "string") {
    if (value.length > 0) out.push(value);
  } else if (Array.isArray(value)) value.forEach((x) => stringsIn(x, out));
  else if (value && typeof value === "object") {
    for (const x of Object.values(value)) stringsIn(x, out);
  }
  return out;
}

/** A message with every secret value in it replaced: a rule that quotes another prop's value must not print a secret. */
function scrub(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    out = out.split(s).join("(sensitive)");
    const quoted = JSON.stringify(s).slice(1, -1);
    if (quoted !== s) out = out.split(quoted).join("(sensitive)");
  }
  return out;
}

// ------------------------------------------------------------------ schema helpers

/**
 * Refinements run even when a member already failed, so that every problem
 * (an unknown prop next to a missing one, say) is reported in one go.
 */
export const ALWAYS = { when: () => true };

/** A string checked against a constraints rule; values not known until deploy pass. */
export const str = (rule: StringRule) =>
  z.string().superRefine((value, ctx) => {
    if (isUnknown(value)) return;
    const broken = checkString(value, rule);
    if (broken) ctx.addIssue({ code: "custom", message: broken });
  });

export const num = (rule: NumberRule) =>
  z.number().superRefine((value, ctx) => {
    const broken = checkNumber(value, rule);
    if (broken) ctx.addIssue({ code: "custom", message: broken });
  });

export const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().superRefine((value, ctx) => {
    if (!values.includes(value)) ctx.addIssue({ code: "custom", message: `is not one of ${values.join(", ")}` });
  }) as unknown as z.ZodType<T[number]>;

const editDistance = (a: string, b: string): number => {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
};

/** Suggests the closest known key for a mistyped one. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  // A shortened name (retryConfig for jobExecutionsRetryConfig): the shortest known key that contains it.
  const containing = known.filter((k) => lower.length >= 4 && k.toLowerCase().includes(lower)).sort((a, b) => a.length - b.length);
  if (containing.length > 0) return containing[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const distance = editDistance(lower, k.toLowerCase());
    if (distance < bestDistance) {
      best = k;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

/**
 * An object with a fixed set of props: unknown props are reported with a hint
 * (a specific explanation when one is registered, else the closest known prop).
 */
export function strict<S extends z.ZodRawShape>(shape: S, hints: Record<string, string> = {}) {
  const known = Object.keys(shape);
  return z
    .object(shape)
    .passthrough()
    .superRefine((value, ctx) => {
      if (!value || typeof value !== "object") return;
      for (const key of Object.keys(value)) {
        if (key in shape) continue;
        const near = closestKey(key, known);
        const hint =
          hints[key] ?? (near ? `did you mean ${near}?` : `valid props here: ${known.join(", ")}`);
        ctx.addIssue({ code: "custom", path: [key], message: `unknown property; ${hint}`, params: { unknownKey: true } });
      }
    }, ALWAYS) as unknown as z.ZodObject<S>;
}

// ------------------------------------------------------------------ running a schema

/**
 * Checks props with a schema; throws one ValidationError listing every
 * problem. A secret where the schema does not take one is a problem (see
 * `secretAllowed`); secret values are checked but never printed. Returns the
 * props with secrets revealed (to build API input from) and the secret paths.
 */
export function checkProps(
  resource: string,
  schema: z.ZodType<unknown>,
  props: unknown,
): { view: Record<string, unknown>; sensitive: Set<string> } {
  const { view, sensitive } = revealForChecks(props);
  const policy = policies.get(schema);
  const misplaced = misplacedSecrets(schema, props);
  const issues: ValidationIssue[] = misplaced.map(({ path }) => ({ path, message: refusal(path, policy) }));
  secretsAsText(props, [], issues);
  const refused = issues.map((i) => i.path);
  const result = schema.safeParse(view);
  if (result.success && issues.length === 0) return { view: view as Record<string, unknown>, sensitive };
  const seen = new Set(issues.map((i) => i.message));
  for (const issue of result.error?.issues ?? []) {
    for (const line of describeIssue(issue, view, sensitive)) {
      // A refused secret is the problem to fix there; what its value breaks besides is not reported.
      if (seen.has(line.message) || refused.some((r) => isUnder(line.path, r))) continue;
      seen.add(line.message);
      issues.push(line);
    }
  }
  // A rule that quotes another prop's value (a template ARN, a target) must not print a refused secret,
  // nor any secret of the program that ended up in a plain string. (Accepted secrets sit at sensitive
  // paths, which messages show as "(sensitive)".) Short values of other secrets are left: they would
  // blank out ordinary words of the messages.
  const secrets = [...misplaced.flatMap((m) => stringsIn(m.revealed)), ...stringsIn(Secret.all()).filter((v) => v.length >= 6)];
  throw new ValidationError(resource, issues.map((i) => ({ path: i.path, message: scrub(i.message, secrets) })));
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: any = root;
  for (const p of path) v = v?.[p as any];
  return v;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown, sensitive: Set<string>): ValidationIssue[] {
  if (issue.code === "invalid_union" && "errors" in issue) {
    // Report the branch that got furthest (the most specific problems).
    const branches = (issue.errors as z.core.$ZodIssue[][]).filter((b) => b.length > 0);
    const deepest = branches.sort((a, b) => depth(b) - depth(a))[0];
    if (deepest && depth(deepest) > issue.path.length) {
      return deepest.flatMap((i) => describeIssue({ ...i, path: [...issue.path, ...i.path] } as z.core.$ZodIssue, root, sensitive));
    }
  }
  const parts = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  const path = formatPath(parts) || "(props)";
  const value = valueAt(root, parts);
  const shown = isSensitive(path, sensitive) ? "(sensitive)" : showValue(value);
  let message: string;
  if (issue.code === "custom" && (issue.params as any)?.unknownKey) {
    message = `${path}: ${issue.message}`;
  } else if (issue.code === "invalid_type" && value === undefined) {
    message = `${path}: is required`;
  } else if (value === undefined) {
    message = `${path}: ${issue.message}`;
  } else if (issue.code === "invalid_type") {
    message = `${path}: ${shown} must be ${article(issue.expected)}`;
  } else if (issue.code === "invalid_union") {
    message = `${path}: ${shown} ${issue.message === "Invalid input" ? unionExpectation(issue) : issue.message}`;
  } else {
    message = `${path}: ${shown} ${issue.message}`;
  }
  // Details (a parser's message) may quote the value: never for a secret.
  const detail = (issue as { params?: { detail?: string } }).params?.detail;
  if (detail && !isSensitive(path, sensitive)) message += ` (${detail})`;
  return [{ path, message }];
}

const depth = (issues: z.core.$ZodIssue[]) => Math.max(...issues.map((i) => i.path.length));

/** What a union accepts, from the types its branches expected: "must be a string or an object". */
function unionExpectation(issue: z.core.$ZodIssue): string {
  const branches = ("errors" in issue ? (issue.errors as z.core.$ZodIssue[][]) : []).map((b) => b.find((i) => i.path.length === 0 && i.code === "invalid_type"));
  const expected = [...new Set(branches.map((i) => (i && "expected" in i ? article(String(i.expected)) : undefined)).filter((e): e is string => !!e))];
  return expected.length > 0 ? `must be ${expected.join(" or ")}` : "has an unsupported type";
}

function article(expected: string): string {
  const names: Record<string, string> = {
    string: "a string",
    number: "a number",
    boolean: "true or false",
    object: "an object",
    array: "a list",
    record: "an object of string values",
  };
  return names[expected] ?? `of type ${expected}`;
}
