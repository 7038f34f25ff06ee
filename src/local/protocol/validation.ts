/**
 * Input validation from the AWS model: before an operation runs, its request
 * (URI labels, query parameters, JSON body) is checked against the model's
 * input shape (src/api/model/iot.generated.ts): required members, string lengths
 * and patterns, enums, numeric ranges, list and map sizes, and map keys and
 * values. Every violation is reported, in the service's validation wording:
 *
 *   2 validation errors detected: Value 'a b' at 'jobId' failed to satisfy
 *   constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+;
 *   Value '0' at 'maxResults' failed to satisfy constraint: Member must have
 *   value greater than or equal to 1
 *
 * Paths name a top-level member by its name, nested members dotted, list
 * items as `<list>.<n>.member` (from 1), and a map by its own path. What the
 * model does not say (the developer guide's limits, rules between members)
 * is checked by the emulated account (account/checks.ts).
 */
import { OPERATIONS, SHAPES } from "../../api/model/iot.generated.ts";
import type { ModelShape } from "../../api/model/types.ts";
import { invalid } from "../errors.ts";
import type { RequestParts } from "../operations/handler.ts";

const patterns = new Map<string, RegExp>();
function matches(pattern: string, value: string): boolean {
  let re = patterns.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, "u");
    patterns.set(pattern, re);
  }
  return re.test(value);
}

/** A value as the service shows it in a message (Java's toString of the parsed value). */
function shown(value: unknown): string {
  const text = (v: unknown): string =>
    Array.isArray(v)
      ? `[${v.map(text).join(", ")}]`
      : v && typeof v === "object"
        ? `{${Object.entries(v)
            .map(([k, x]) => `${k}=${text(x)}`)
            .join(", ")}}`
        : String(v);
  const t = text(value);
  return t.length > 200 ? `${t.slice(0, 197)}...` : t;
}

const violation = (path: string, value: unknown, rule: string) =>
  value === null || value === undefined
    ? `Value null at '${path}' failed to satisfy constraint: ${rule}`
    : `Value '${shown(value)}' at '${path}' failed to satisfy constraint: ${rule}`;

/** The broken rules of a scalar or a collection's size, as "Member must ..." phrases. */
function rulesBroken(shape: ModelShape, value: unknown): string[] {
  const out: string[] = [];
  if (shape.type === "string") {
    if (typeof value !== "string") return ["Member must be a string"];
    if (shape.min !== undefined && value.length < shape.min) out.push(`Member must have length greater than or equal to ${shape.min}`);
    if (shape.max !== undefined && value.length > shape.max) out.push(`Member must have length less than or equal to ${shape.max}`);
    if (shape.pattern !== undefined && !matches(shape.pattern, value))
      out.push(`Member must satisfy regular expression pattern: ${shape.modelPattern}`);
    if (shape.enum && !shape.enum.includes(value)) out.push(`Member must satisfy enum value set: [${shape.enum.join(", ")}]`);
  } else if (shape.type === "integer" || shape.type === "long" || shape.type === "double" || shape.type === "float") {
    if (typeof value !== "number" || Number.isNaN(value)) return ["Member must be a number"];
    if ((shape.type === "integer" || shape.type === "long") && !Number.isInteger(value)) return ["Member must be an integer"];
    if (shape.min !== undefined && value < shape.min) out.push(`Member must have value greater than or equal to ${shape.min}`);
    if (shape.max !== undefined && value > shape.max) out.push(`Member must have value less than or equal to ${shape.max}`);
  } else if (shape.type === "boolean") {
    if (typeof value !== "boolean") return ["Member must be a boolean"];
  } else if (shape.type === "timestamp") {
    if (typeof value !== "number" && typeof value !== "string") return ["Member must be a timestamp"];
  } else if (shape.type === "list" || shape.type === "map") {
    const size =
      shape.type === "list" ? (Array.isArray(value) ? value.length : undefined) : isObject(value) ? Object.keys(value).length : undefined;
    if (size === undefined) return [`Member must be a ${shape.type === "list" ? "list" : "map"}`];
    if (shape.min !== undefined && size < shape.min) out.push(`Member must have length greater than or equal to ${shape.min}`);
    if (shape.max !== undefined && size > shape.max) out.push(`Member must have length less than or equal to ${shape.max}`);
  } else if (shape.type === "structure") {
    if (!isObject(value)) return ["Member must be a structure"];
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** Checks a present value against its shape, and what it contains; appends to `errors`. */
function check(shapeName: string, value: unknown, path: string, errors: string[], seen: readonly string[]): void {
  const shape = SHAPES[shapeName];
  const broken = rulesBroken(shape, value);
  for (const rule of broken) errors.push(violation(path, value, rule));
  if (broken.some((r) => / be an? /.test(r))) return; // the wrong type: nothing inside to check
  if (seen.includes(shapeName)) return; // a recursive shape: its members were checked one level up
  const inner = [...seen, shapeName];
  if (shape.type === "structure") checkMembers(shapeName, value as Record<string, unknown>, path ? `${path}.` : "", errors, inner);
  else if (shape.type === "list")
    (value as unknown[]).forEach((item, i) => checkPresent(shape.member, item, `${path}.${i + 1}.member`, errors, inner));
  else if (shape.type === "map") {
    const entries = Object.entries(value as Record<string, unknown>);
    const keyRules = new Set(entries.flatMap(([k]) => rulesBroken(SHAPES[shape.key], k)));
    if (keyRules.size > 0) errors.push(violation(path, value, `Map keys must satisfy constraint: [${[...keyRules].join(", ")}]`));
    const valueRules = new Set(
      entries.flatMap(([, v]) => (v === null || v === undefined ? ["Member must not be null"] : rulesBroken(SHAPES[shape.value], v))),
    );
    if (valueRules.size > 0) errors.push(violation(path, value, `Map value must satisfy constraint: [${[...valueRules].join(", ")}]`));
    const valueShape = SHAPES[shape.value];
    if (valueShape.type === "structure" || valueShape.type === "list" || valueShape.type === "map") {
      for (const [k, v] of entries) if (v !== null && v !== undefined) check(shape.value, v, `${path}.${k}`, errors, inner);
    }
  }
}

function checkPresent(shapeName: string, value: unknown, path: string, errors: string[], seen: readonly string[]): void {
  if (value === null || value === undefined) errors.push(violation(path, value, "Member must not be null"));
  else check(shapeName, value, path, errors, seen);
}

/** A structure's members as a list, and its required ones, computed once per shape. */
interface Members {
  list: Array<[name: string, member: { shape: string; location?: string; wire?: string }]>;
  required: ReadonlySet<string>;
}
const membersOf = new Map<string, Members>();
function members(shapeName: string): Members {
  let found = membersOf.get(shapeName);
  if (!found) {
    const shape = SHAPES[shapeName] as Extract<ModelShape, { type: "structure" }>;
    found = { list: Object.entries(shape.members), required: new Set(shape.required ?? []) };
    membersOf.set(shapeName, found);
  }
  return found;
}

function checkMembers(shapeName: string, value: Record<string, unknown>, prefix: string, errors: string[], seen: readonly string[]): void {
  const { list, required } = members(shapeName);
  for (const [name, m] of list) {
    const v = value[name];
    if (v === undefined || v === null) {
      if (required.has(name)) errors.push(violation(`${prefix}${name}`, null, "Member must not be null"));
      continue;
    }
    check(m.shape, v, `${prefix}${name}`, errors, seen);
  }
}

/** A query parameter or URI label as the member's type (the SDK sends numbers and booleans as text). */
function fromText(shape: ModelShape, text: string): unknown {
  if (shape.type === "integer" || shape.type === "long") return /^-?\d+$/.test(text) ? Number(text) : text;
  if (shape.type === "double" || shape.type === "float") return text.trim() !== "" && !Number.isNaN(Number(text)) ? Number(text) : text;
  if (shape.type === "boolean") return text === "true" ? true : text === "false" ? false : text;
  return text;
}

/** Where one input member travels, and its shape, looked up once per operation. */
interface InputMember {
  name: string;
  wire: string;
  location: "uri" | "querystring" | "body" | "other";
  shape: ModelShape;
}
/** Each operation's input shape name and members (undefined: no input shape, or not a structure). */
const inputsOf = new Map<string, { input: string; members: InputMember[] } | undefined>();
function inputMembers(operation: string): { input: string; members: InputMember[] } | undefined {
  if (inputsOf.has(operation)) return inputsOf.get(operation);
  const op = Object.hasOwn(OPERATIONS, operation) ? (OPERATIONS as Record<string, { input?: string }>)[operation] : undefined;
  const shape = op?.input ? SHAPES[op.input] : undefined;
  const found =
    op?.input && shape && shape.type === "structure"
      ? {
          input: op.input,
          members: members(op.input).list.map(([name, m]): InputMember => ({
            name,
            wire: m.wire ?? name,
            location: m.location === "uri" || m.location === "querystring" ? m.location : m.location === undefined ? "body" : "other",
            shape: SHAPES[m.shape],
          })),
        }
      : undefined;
  if (inputsOf.size < 1024) inputsOf.set(operation, found);
  return found;
}

/** The operation's input as one object of members, taken from where the model says each travels. */
export function inputOf(operation: string, parts: RequestParts): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const found = inputMembers(operation);
  if (!found) return input;
  for (const m of found.members) {
    if (m.location === "body") {
      const value = parts.body[m.wire];
      if (value !== undefined) input[m.name] = value;
    } else if (m.location !== "other") {
      // An empty label or parameter is an empty string for a string member, and no value for any other.
      const text = m.location === "uri" ? parts.params[m.wire] : parts.query[m.wire];
      if (text !== undefined && (text !== "" || m.shape.type === "string")) input[m.name] = fromText(m.shape, text);
    }
  }
  return input;
}

/** Throws InvalidRequestException listing every way the request breaks the operation's input shape. */
export function validateInput(operation: string, parts: RequestParts): void {
  const found = inputMembers(operation);
  if (!found) return;
  const errors: string[] = [];
  checkMembers(found.input, inputOf(operation, parts), "", errors, [found.input]);
  if (errors.length === 0) return;
  throw invalid(`${errors.length} validation error${errors.length === 1 ? "" : "s"} detected: ${errors.join("; ")}`);
}
