/**
 * A checker of JSON values against the shapes of the official AWS IoT service
 * model (src/model/iot.generated.ts), for the routes test
 * (test/model/routes.test.ts): every member of a response body, at any depth,
 * must be a member of the model's shape under that exact name, with the JSON
 * type restJson1 gives the model type (timestamps as epoch seconds, enums
 * among the model's values). Each mismatch is reported with its member path.
 */
import { OPERATIONS, SHAPES } from "../../src/api/model/iot.generated.ts";
import type { ModelOperation } from "../../src/api/model/types.ts";

export const MODEL_OPERATIONS: Readonly<Record<string, ModelOperation>> = OPERATIONS;

/** Where a checked value sits, and which model shape applies. */
export interface Mismatch {
  operation: string;
  /** Member path in the body: `job.jobProcessDetails.numberOfQueuedThings`, `jobs[].status`, `tags{}`. */
  path: string;
  problem: string;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
  return `the ${typeof value} ${JSON.stringify(value)}`;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Epoch seconds of a plausible date (2001–2286): a millisecond timestamp is far above. */
const EPOCH_SECONDS_MAX = 1e10;

/**
 * Checks `value` against the model shape `shapeName` as restJson1 puts it in
 * JSON, recursing into structures, lists and maps. Reports each mismatch;
 * records every member path seen (for the information about unsent members).
 */
export function checkValue(operation: string, shapeName: string, value: unknown, path: string, out: Mismatch[], seen: Set<string>): void {
  const shape = SHAPES[shapeName];
  const fail = (problem: string): void => {
    out.push({ operation, path: path || "(body)", problem });
  };
  if (!shape) return fail(`the model has no shape ${shapeName}`);
  if (value === null) return fail(`sent null; the model says ${shape.type} (${shapeName}), and restJson1 omits unset members`);
  switch (shape.type) {
    case "string":
      if (typeof value !== "string") return fail(`sent ${describeValue(value)}; the model says string (${shapeName})`);
      if (shape.enum && !shape.enum.includes(value)) {
        fail(`sent ${describeValue(value)}, which is not one of the model's ${shapeName} values (${shape.enum.join(", ")})`);
      }
      return;
    case "integer":
    case "long":
      if (typeof value !== "number" || !Number.isInteger(value)) {
        fail(`sent ${describeValue(value)}; the model says ${shape.type} (${shapeName}), a whole JSON number`);
      }
      return;
    case "double":
    case "float":
      if (typeof value !== "number" || !Number.isFinite(value)) {
        fail(`sent ${describeValue(value)}; the model says ${shape.type} (${shapeName}), a JSON number`);
      }
      return;
    case "boolean":
      if (typeof value !== "boolean") fail(`sent ${describeValue(value)}; the model says boolean (${shapeName})`);
      return;
    case "timestamp":
      if (typeof value !== "number" || !Number.isFinite(value)) {
        fail(`sent ${describeValue(value)}; the model says timestamp (${shapeName}), epoch seconds as a JSON number in restJson1`);
      } else if (value < 0 || value > EPOCH_SECONDS_MAX) {
        fail(`sent ${describeValue(value)}; the model says timestamp (${shapeName}) in epoch seconds, and this is not a date in seconds`);
      }
      return;
    case "blob":
      if (typeof value !== "string") fail(`sent ${describeValue(value)}; the model says blob (${shapeName}), a base64 JSON string`);
      return;
    case "structure": {
      if (!isPlainObject(value)) return fail(`sent ${describeValue(value)}; the model says structure (${shapeName})`);
      // Members bound to headers, the status code or the URI are not in the body.
      const bodyMembers = new Map<string, string>();
      for (const [name, member] of Object.entries(shape.members)) {
        if (!member.location) bodyMembers.set(member.wire ?? name, member.shape);
      }
      for (const [name, member] of Object.entries(value)) {
        const memberPath = path ? `${path}.${name}` : name;
        const memberShape = bodyMembers.get(name);
        if (!memberShape) {
          const known = [...bodyMembers.keys()].join(", ") || "none";
          out.push({
            operation,
            path: memberPath,
            problem: `sent ${describeValue(member)}, but ${shapeName} has no body member ${name} (its members: ${known})`,
          });
          continue;
        }
        seen.add(memberPath);
        checkValue(operation, memberShape, member, memberPath, out, seen);
      }
      return;
    }
    case "list":
      if (!Array.isArray(value)) return fail(`sent ${describeValue(value)}; the model says list (${shapeName})`);
      value.forEach((item) => checkValue(operation, shape.member, item, `${path}[]`, out, seen));
      return;
    case "map":
      if (!isPlainObject(value)) return fail(`sent ${describeValue(value)}; the model says map (${shapeName})`);
      for (const [key, item] of Object.entries(value)) {
        checkValue(operation, shape.key, key, `${path}{key}`, out, seen);
        checkValue(operation, shape.value, item, `${path}{}`, out, seen);
      }
      return;
  }
}

/** Checks a successful response body against the operation's output shape. */
export function checkResponseBody(operation: string, text: string, out: Mismatch[], seen: Set<string>): void {
  if (text.length === 0) return;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    out.push({ operation, path: "(body)", problem: `sent a body that is not JSON: ${JSON.stringify(text.slice(0, 80))}` });
    return;
  }
  const output = MODEL_OPERATIONS[operation]?.output;
  if (output) return checkValue(operation, output, body, "", out, seen);
  // No output shape: the body carries no members.
  if (!isPlainObject(body)) {
    out.push({ operation, path: "(body)", problem: `sent ${describeValue(body)}; the operation has no output in the model` });
    return;
  }
  for (const [name, member] of Object.entries(body)) {
    out.push({ operation, path: name, problem: `sent ${describeValue(member)}, but the operation has no output in the model` });
  }
}

/** Every member path of a shape, as checkValue names them (for the information about unsent members). */
export function memberPaths(shapeName: string, path: string, out: string[], stack: string[] = []): void {
  const shape = SHAPES[shapeName];
  if (!shape || stack.includes(shapeName)) return;
  const next = [...stack, shapeName];
  if (shape.type === "structure") {
    for (const [name, member] of Object.entries(shape.members)) {
      if (member.location) continue;
      const memberPath = path ? `${path}.${member.wire ?? name}` : (member.wire ?? name);
      out.push(memberPath);
      memberPaths(member.shape, memberPath, out, next);
    }
  } else if (shape.type === "list") {
    memberPaths(shape.member, `${path}[]`, out, next);
  } else if (shape.type === "map") {
    memberPaths(shape.value, `${path}{}`, out, next);
  }
}

/** The mismatches as sorted, distinct lines ("operation path: problem"), for an assertion. */
export const listMismatches = (mismatches: Mismatch[]) =>
  [...new Set(mismatches.map((m) => `${m.operation} ${m.path}: ${m.problem}`))].sort();
