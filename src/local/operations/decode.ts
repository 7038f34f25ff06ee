/**
 * Decoding a request's members into an operation's typed input: each member
 * taken from where the AWS model says it travels (a path label, a query
 * parameter, the JSON body), text turned into the number or boolean the
 * member is, and its value refused when it is not of the member's type
 * (present when required, a string, a number, a boolean, one of an enum's
 * values, an object, a list, a map of strings).
 *
 * What the value must satisfy beyond its type (lengths, patterns, ranges,
 * sizes, rules between members) is the account's to check (account/checks.ts).
 * A request over HTTP has passed the model's validation already
 * (protocol/validation.ts), so there these only narrow the types; a
 * CloudFormation resource's properties come here without it.
 */
import { invalid } from "../errors.ts";
import { bool, fail, oneOf, required } from "../account/checks.ts";
import type { JsonObject } from "../state/store.ts";

/** A string member; undefined when absent (or null). */
export function text(path: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") fail(path, value, "must be a string");
  return value;
}

/** A string member the operation requires. */
export function requiredText(path: string, value: unknown): string {
  required(path, value);
  return text(path, value)!;
}

/** A number member. */
export function number(path: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number") fail(path, value, "must be a number");
  return value;
}

/** A boolean member; in a query, "true" or "false". */
export function flag(path: string, value: unknown): boolean | undefined {
  return bool(path, value);
}

/** A member of an enum type. */
export function choice<T extends string>(path: string, value: unknown, values: readonly T[]): T | undefined {
  return oneOf(path, value, values);
}

/** A structure member, kept as the JSON it is. */
export function object(path: string, value: unknown): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) fail(path, value, "must be an object");
  return value as JsonObject;
}

/** A structure member the operation requires. */
export function requiredObject(path: string, value: unknown): JsonObject {
  const out = object(path, value);
  required(path, out);
  return out!;
}

/** A list member, whatever its items. */
export function list(path: string, value: unknown): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) fail(path, value, "must be a list");
  return value;
}

/** A list of strings; items are `<path>.<n>` (from 1). */
export function texts(path: string, value: unknown): string[] | undefined {
  const items = list(path, value);
  items?.forEach((item, i) => {
    required(`${path}.${i + 1}`, item);
    text(`${path}.${i + 1}`, item);
  });
  return items as string[] | undefined;
}

/** A list of strings the operation requires. */
export function requiredTexts(path: string, value: unknown): string[] {
  const items = texts(path, value);
  required(path, items);
  return items!;
}

/** A list of structures; items are `<path>.<n>.member` (from 1). */
export function objects(path: string, value: unknown): JsonObject[] | undefined {
  const items = list(path, value);
  items?.forEach((item, i) => requiredObject(`${path}.${i + 1}.member`, item));
  return items as JsonObject[] | undefined;
}

/** A map of strings; a value is `<path>.<key>`. */
export function textMap(path: string, value: unknown): Record<string, string> | undefined {
  const map = object(path, value);
  if (!map) return undefined;
  for (const [k, v] of Object.entries(map)) requiredText(`${path}.${k}`, v);
  return map as Record<string, string>;
}

/** A tag as the request gives it (the model makes Value optional). */
export interface Tag {
  Key?: string;
  Value?: string;
}

/** A list of tags, `[{ Key, Value }]`. */
export function tagList(path: string, value: unknown): Tag[] | undefined {
  const items = list(path, value);
  return items?.map((item, i) => {
    const tag = object(`${path}.${i + 1}`, item) ?? {};
    return {
      Key: text(`${path}.${i + 1}.member.Key`, tag.Key),
      Value: text(`${path}.${i + 1}.member.Value`, tag.Value),
    };
  });
}

/** A list of tags the operation requires. */
export function requiredTagList(path: string, value: unknown): Tag[] {
  required(path, value);
  return tagList(path, value)!;
}

/** maxResults, a query parameter: a whole number in text. */
export function maxResults(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return number("maxResults", /^-?\d+$/.test(value) ? Number(value) : value);
}

/** A long in a path label or query parameter (an execution number). */
export function whole(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw invalid(`'${name}' must be a whole number.`);
  return Number(value);
}

/** expectedVersion: a number in the body, text in a query. */
export function version(value: unknown): number | undefined {
  return number("expectedVersion", typeof value === "string" ? Number(value) : value);
}
