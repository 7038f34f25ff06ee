/**
 * How a data file's shape problem is told (data-file.ts checks the shape):
 * the JSON path and the rule, a wrong value described by its type only (the
 * file holds job documents and document parameters, secrets included, and no
 * value of it is ever repeated).
 */
import type { z } from "zod";

type PathPart = PropertyKey;

/** `jobs[3].rollout.pending`, `tags["arn:aws:iot:..."].team` */
function formatPath(parts: readonly PathPart[]): string {
  let out = "";
  for (const p of parts) {
    if (typeof p === "number") out += `[${p}]`;
    else if (typeof p === "string" && /^[A-Za-z_$][\w$]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out || "the file";
}

function valueAt(data: unknown, path: readonly PathPart[]): unknown {
  let v: unknown = data;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** What a value is, never what it says. */
function kind(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? "a number" : "a number with a fraction";
  if (typeof value === "boolean") return "a boolean";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "an array",
  object: "an object",
  record: "an object",
  literal: "a fixed value",
};

export function describeIssue(issue: z.core.$ZodIssue, data: unknown): string[] {
  const at = formatPath(issue.path);
  const value = valueAt(data, issue.path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => `${formatPath([...issue.path, key])}: not a member of this version's data file`);
    case "invalid_type":
      if (issue.expected === "never") return [`${at}: must be absent`];
      return [`${at}: expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${kind(value)}`];
    case "invalid_value": {
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(", ");
      return [`${at}: expected one of ${allowed}, got ${typeof value === "string" ? "another string" : kind(value)}`];
    }
    case "too_small":
      return [`${at}: expected a number ${issue.inclusive ? "of at least" : "greater than"} ${issue.minimum}`];
    case "too_big":
      return [`${at}: expected a number ${issue.inclusive ? "of at most" : "less than"} ${issue.maximum}`];
    case "custom":
      return [`${at}: ${issue.message}, got ${kind(value)}`];
    default:
      return [`${at}: ${issue.message}`];
  }
}
