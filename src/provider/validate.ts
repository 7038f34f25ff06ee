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
import { checkNumber, checkString, type NumberRule, type StringRule } from "../api/constraints.ts";
import { formatPath, type PathPart, type ValidationIssue } from "./paths.ts";
import { isSecretText, isUnder, misplacedSecrets, policyOf, refusal, scrub, secretsAsText, stringsIn } from "./secret-placement.ts";
import { isUnknown } from "./unknown.ts";
import { CycleMark } from "./json-value.ts";

export { formatPath, type PathPart, type ValidationIssue };
export { reference, SECRET_REFUSED, secretAllowed, withSecretPolicy, type SecretPolicy } from "./secret-placement.ts";
export { isSecretText };

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
export function revealForChecks(
  value: unknown,
  path: PathPart[] = [],
  sensitive = new Set<string>(),
): {
  view: unknown;
  sensitive: Set<string>;
} {
  const walk = (v: unknown, p: PathPart[], ancestors: readonly object[]): unknown => {
    if (isSecret(v)) {
      sensitive.add(formatPath(p));
      return walk((v as Secret<unknown>).unencrypted, p, ancestors);
    }
    // A cycle is marked where it is, for the schema to refuse (./json-value.ts), instead of recursing for ever.
    if (v && typeof v === "object" && ancestors.includes(v)) return new CycleMark();
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...p, i], [...ancestors, v]));
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...p, k], [...ancestors, v])]));
    }
    return v;
  };
  return { view: walk(value, path, []), sensitive };
}

function isSensitive(path: string, sensitive: Set<string>): boolean {
  for (const s of sensitive) {
    if (path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`)) return true;
  }
  return false;
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
        const hint = hints[key] ?? (near ? `did you mean ${near}?` : `valid props here: ${known.join(", ")}`);
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
  const policy = policyOf(schema);
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
  throw new ValidationError(
    resource,
    issues.map((i) => ({ path: i.path, message: scrub(i.message, secrets) })),
  );
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
  const branches = ("errors" in issue ? (issue.errors as z.core.$ZodIssue[][]) : []).map((b) =>
    b.find((i) => i.path.length === 0 && i.code === "invalid_type"),
  );
  const expected = [
    ...new Set(branches.map((i) => (i && "expected" in i ? article(String(i.expected)) : undefined)).filter((e): e is string => !!e)),
  ];
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
