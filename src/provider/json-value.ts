/**
 * Whether a value given as a JSON document (a job document written as an
 * object) is JSON: `JSON.stringify` silently writes NaN and Infinity as null,
 * leaves out undefined members, functions and symbols, and throws on a BigInt
 * or a cycle ("Maximum call stack size exceeded" before that). Such a value is
 * refused before any call, naming where it is inside the document.
 */

/** What a copy of a value puts where the value refers back to an object that contains it (a cycle). */
export class CycleMark {}

/** Where a value is not JSON, and what JSON would make of it. */
export interface NotJson {
  /** The path inside the value: member names and list positions. */
  path: Array<string | number>;
  /** What is there and why it is not JSON. */
  reason: string;
}

/** The first place in `value` that JSON cannot carry as written, or undefined. */
export function notJson(value: unknown, path: Array<string | number> = [], ancestors: readonly object[] = []): NotJson | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : { path, reason: `${value} is not a JSON number (JSON.stringify would send null)` };
    case "undefined":
      return { path, reason: "undefined is not a JSON value (JSON.stringify would leave the member out, or send null in a list)" };
    case "bigint":
      return { path, reason: "a BigInt is not a JSON number (JSON.stringify throws on it); write it as a string or a number" };
    case "function":
    case "symbol":
      return { path, reason: `a ${typeof value} is not a JSON value (JSON.stringify would leave it out)` };
  }
  if (value === null) return undefined;
  const object = value as object;
  if (object instanceof CycleMark || ancestors.includes(object)) {
    return { path, reason: "refers back to an object that contains it: a JSON document is a tree, not a cycle" };
  }
  // A value that says how it is written (a Date, a Secret's revealed form): JSON.stringify writes what toJSON returns.
  if (typeof (object as { toJSON?: unknown }).toJSON === "function") return undefined;
  const inside = [...ancestors, object];
  const entries: Array<[string | number, unknown]> = Array.isArray(object) ? object.map((x, i) => [i, x]) : Object.entries(object);
  for (const [key, member] of entries) {
    const found = notJson(member, [...path, key], inside);
    if (found) return found;
  }
  return undefined;
}
