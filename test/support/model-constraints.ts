/**
 * The input constraints of the AWS IoT service model (src/model/iot.generated.ts)
 * for the conformance test (test/model/conformance.test.ts): every input
 * constraint of an operation (required members; string lengths, patterns and
 * enums; numeric ranges; list and map sizes; map keys and values), and which
 * of a shape's rules a value breaks.
 *
 * This module and the others the conformance requests come from
 * (model-values.ts, model-requests.ts, model-messages.ts) are an oracle
 * independent of the endpoint: they read the model table and nothing of
 * src/local.
 */
import { OPERATIONS, SHAPES } from "../../src/api/model/iot.generated.ts";
import type { MemberLocation, ModelShape } from "../../src/api/model/types.ts";

export type Shape<T extends ModelShape["type"]> = Extract<ModelShape, { type: T }>;
export type StringShape = Shape<"string">;

export type Rule = "required" | "min" | "max" | "pattern" | "enum";

/** One input constraint of one operation. */
export interface Constraint {
  /** Unique over all operations: `${operation} ${path} ${target} ${rule}`. */
  id: string;
  operation: string;
  /** The member as the service names it in messages: "abortConfig.criteriaList.1.member.thresholdPercentage". */
  path: string;
  /** Where the member sits in the SDK input: member names, and 0 for a list's first item. */
  at: readonly (string | number)[];
  /** Where the top-level member travels. */
  location: MemberLocation;
  /** The member's shape (for a map's key or value constraint: the map's shape). */
  shape: string;
  /** The member itself, or (for a map) its keys or its values. */
  target: "member" | "key" | "value";
  rule: Rule;
  /** The rule's bound (min, max), when it has one. */
  bound?: number;
}

export const isNumberType = (t: string) => t === "integer" || t === "long" || t === "double" || t === "float";
export const isIntegerType = (t: string) => t === "integer" || t === "long";

const regexps = new Map<string, RegExp>();
/** The shape's pattern as a whole-value JavaScript regular expression. */
export function wholeMatch(pattern: string): RegExp {
  let re = regexps.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, "u");
    regexps.set(pattern, re);
  }
  return re;
}

/** The rules of a shape that a value breaks (strings, numbers, and the sizes of lists and maps). */
export function rulesBroken(shapeName: string, value: unknown): Rule[] {
  const shape = SHAPES[shapeName];
  const out: Rule[] = [];
  if (shape.type === "string") {
    const s = value as string;
    if (shape.min !== undefined && s.length < shape.min) out.push("min");
    if (shape.max !== undefined && s.length > shape.max) out.push("max");
    if (shape.pattern !== undefined && !wholeMatch(shape.pattern).test(s)) out.push("pattern");
    if (shape.enum && !shape.enum.includes(s)) out.push("enum");
  } else if (isNumberType(shape.type)) {
    const n = value as number;
    const { min, max } = shape as Shape<"integer">;
    if (min !== undefined && n < min) out.push("min");
    if (max !== undefined && n > max) out.push("max");
  } else if (shape.type === "list" || shape.type === "map") {
    const size = Array.isArray(value) ? value.length : Object.keys(value as object).length;
    if (shape.min !== undefined && size < shape.min) out.push("min");
    if (shape.max !== undefined && size > shape.max) out.push("max");
  }
  return out;
}

/** The rules a shape has, in the order the cases are listed. Bounds that no value can break (min 0) are not rules. */
function rulesOf(shape: ModelShape): { rule: Rule; bound?: number }[] {
  const out: { rule: Rule; bound?: number }[] = [];
  if (shape.type === "string" || isNumberType(shape.type) || shape.type === "list" || shape.type === "map") {
    const { min, max } = shape as { min?: number; max?: number };
    const breakableMin = min !== undefined && (isNumberType(shape.type) || min > 0);
    if (breakableMin) out.push({ rule: "min", bound: min });
    if (max !== undefined) out.push({ rule: "max", bound: max });
  }
  if (shape.type === "string") {
    if (shape.pattern !== undefined) out.push({ rule: "pattern" });
    if (shape.enum) out.push({ rule: "enum" });
  }
  return out;
}

// ---------------------------------------------------------------------------
// The constraints of an operation.

/** Every constraint of the operation's input, walking nested structures, list items and map keys and values. */
export function constraintsOf(operation: string): Constraint[] {
  const op = (OPERATIONS as Record<string, { input?: string }>)[operation];
  if (!op?.input) return [];
  const out: Constraint[] = [];
  const add = (c: Omit<Constraint, "id" | "operation">) =>
    out.push({ id: `${operation} ${c.path} ${c.target} ${c.rule}`, operation, ...c });

  const walk = (shapeName: string, path: string, at: (string | number)[], location: MemberLocation, stack: string[]): void => {
    const shape = SHAPES[shapeName];
    for (const { rule, bound } of rulesOf(shape)) add({ path, at, location, shape: shapeName, target: "member", rule, bound });
    if (shape.type === "structure") {
      const required = new Set(shape.required ?? []);
      for (const [name, member] of Object.entries(shape.members)) {
        const memberPath = path ? `${path}.${name}` : name;
        const memberAt = [...at, name];
        const where = at.length === 0 ? (member.location ?? "body") : location;
        if (required.has(name))
          add({ path: memberPath, at: memberAt, location: where, shape: member.shape, target: "member", rule: "required" });
        if (!stack.includes(member.shape)) walk(member.shape, memberPath, memberAt, where, [...stack, member.shape]);
      }
    } else if (shape.type === "list") {
      if (!stack.includes(shape.member)) walk(shape.member, `${path}.1.member`, [...at, 0], location, [...stack, shape.member]);
    } else if (shape.type === "map") {
      for (const { rule, bound } of rulesOf(SHAPES[shape.key])) add({ path, at, location, shape: shapeName, target: "key", rule, bound });
      for (const { rule, bound } of rulesOf(SHAPES[shape.value]))
        add({ path, at, location, shape: shapeName, target: "value", rule, bound });
    }
  };
  walk(op.input, "", [], "body", [op.input]);
  return out;
}

/** A short description of a constraint, for test names and reports. */
export function describeConstraint(c: Constraint): string {
  const shapeName = c.target === "member" ? c.shape : (SHAPES[c.shape] as Shape<"map">)[c.target];
  const shape = SHAPES[shapeName];
  const what =
    c.rule === "required"
      ? "required"
      : c.rule === "pattern"
        ? `pattern ${(shape as StringShape).modelPattern}`
        : c.rule === "enum"
          ? "enum"
          : `${c.rule} ${isNumberType(shape.type) ? "value" : shape.type === "string" ? "length" : "entries"} ${c.bound}`;
  return `${c.target === "member" ? "" : `map ${c.target === "key" ? "key" : "value"} `}${what} (${c.location})`;
}
