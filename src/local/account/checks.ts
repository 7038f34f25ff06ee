/**
 * The account's checks of an operation's input: the constraints
 * (src/api/constraints.ts: the model's limits and those it leaves open, GUIDE)
 * and the rules between members. They run after the model's validation of a
 * request (protocol/validation.ts) and after the request was decoded
 * (operations/decode.ts), in the order the service checks members. Each still
 * refuses a value of the wrong type: nested configurations travel as JSON,
 * and the public API (LocalIoT.updateJobExecution) has callers that are not
 * TypeScript. Messages follow the service's validation style ("Value '...' at
 * 'member' failed to satisfy constraint: ...") and always name the member.
 */
import {
  ENUMS,
  LISTS,
  NUMBERS,
  RESERVED_TAG_PREFIX,
  STRINGS,
  SUBSTITUTION_PATTERN,
  checkNumber,
  utf8Length,
  wholeMatch,
  type NumberRule,
  type StringRule,
} from "../../api/constraints.ts";
import { invalid } from "../errors.ts";
import type { JsonObject } from "../state/store.ts";

const shown = (value: unknown) => {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/** Refuses a member's value, naming the member and the rule it breaks. */
export function fail(path: string, value: unknown, rule: string): never {
  throw invalid(`1 validation error detected: Value '${shown(value)}' at '${path}' failed to satisfy constraint: Member ${rule}`);
}

export function required(path: string, value: unknown): void {
  if (value === undefined || value === null) {
    throw invalid(`1 validation error detected: Value null at '${path}' failed to satisfy constraint: Member must not be null`);
  }
}

export function str(path: string, value: unknown, rule: StringRule, options: { required?: boolean } = {}): string | undefined {
  if (value === undefined || value === null) {
    if (options.required) required(path, value);
    return undefined;
  }
  if (typeof value !== "string") fail(path, value, "must be a string");
  if (rule.min !== undefined && value.length < rule.min) {
    fail(path, value, `must have length greater than or equal to ${rule.min}`);
  }
  if (rule.max !== undefined && value.length > rule.max) {
    fail(path, value, `must have length less than or equal to ${rule.max}`);
  }
  if (rule.pattern !== undefined && value.length > 0 && !wholeMatch(rule.pattern).test(value)) {
    fail(path, value, `must satisfy regular expression pattern: ${rule.pattern}`);
  }
  return value;
}

export function num(path: string, value: unknown, rule: NumberRule, options: { required?: boolean } = {}): number | undefined {
  if (value === undefined || value === null) {
    if (options.required) required(path, value);
    return undefined;
  }
  if (typeof value !== "number") fail(path, value, "must be a number");
  // The service's wording for ranges; the provider's own wording for the rest (whole numbers, decimals).
  if (rule.min !== undefined && value < rule.min) fail(path, value, `must have value greater than or equal to ${rule.min}`);
  if (rule.max !== undefined && value > rule.max) fail(path, value, `must have value less than or equal to ${rule.max}`);
  const broken = checkNumber(value, rule);
  if (broken) fail(path, value, broken);
  return value;
}

export function oneOf<T extends string>(
  path: string,
  value: unknown,
  values: readonly T[],
  options: { required?: boolean } = {},
): T | undefined {
  if (value === undefined || value === null) {
    if (options.required) required(path, value);
    return undefined;
  }
  if (typeof value !== "string" || !values.includes(value as T)) {
    fail(path, value, `must satisfy enum value set: [${values.join(", ")}]`);
  }
  return value as T;
}

export function obj(path: string, value: unknown): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) fail(path, value, "must be an object");
  return value as JsonObject;
}

export function list(path: string, value: unknown, bounds: { min?: number; max?: number } = {}): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) fail(path, value, "must be a list");
  if (bounds.min !== undefined && value.length < bounds.min) {
    fail(path, value, `must have length greater than or equal to ${bounds.min}`);
  }
  if (bounds.max !== undefined && value.length > bounds.max) {
    fail(path, value, `must have length less than or equal to ${bounds.max}`);
  }
  return value;
}

export function bool(path: string, value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  fail(path, value, "must be a boolean");
}

export function stringMap(
  path: string,
  value: unknown,
  keyRule: StringRule,
  valueRule: StringRule,
  max?: number,
): Record<string, string> | undefined {
  const map = obj(path, value);
  if (!map) return undefined;
  const entries = Object.entries(map);
  if (max !== undefined && entries.length > max) {
    fail(path, `${entries.length} entries`, `must have at most ${max} entries`);
  }
  for (const [k, v] of entries) {
    str(`${path}.key`, k, keyRule);
    str(`${path}.${k}`, v, valueRule, { required: true });
  }
  return map as Record<string, string>;
}

/** Tags as `[{Key, Value}]` (the request shape); returns them as a record. */
export function tags(path: string, value: unknown): Record<string, string> | undefined {
  const items = list(path, value, { max: LISTS.tagsPerResource.max });
  if (!items) return undefined;
  const out: Record<string, string> = {};
  items.forEach((item, i) => {
    const tag = obj(`${path}.${i + 1}`, item);
    const key = str(`${path}.${i + 1}.member.Key`, tag?.Key, STRINGS.tagKey, { required: true })!;
    // The model makes Value optional: a tag without one has the empty value.
    const val = str(`${path}.${i + 1}.member.Value`, tag?.Value, STRINGS.tagValue) ?? "";
    if (key.toLowerCase().startsWith(RESERVED_TAG_PREFIX)) {
      throw invalid(`Tag key '${key}' uses the reserved prefix '${RESERVED_TAG_PREFIX}'.`);
    }
    out[key] = val;
  });
  return out;
}

export function arnList(path: string, value: unknown, max: number): string[] | undefined {
  const items = list(path, value, { max });
  items?.forEach((item, i) => str(`${path}.${i + 1}`, item, STRINGS.destinationPackageVersion, { required: true }));
  return items as string[] | undefined;
}

/** A job document: at most 32 KB (UTF-8), JSON, at most 10 substitution patterns. */
export function document(path: string, value: unknown): string | undefined {
  const doc = str(path, value, STRINGS.document);
  if (doc === undefined) return undefined;
  if (utf8Length(doc) > STRINGS.document.max) {
    fail(path, `${utf8Length(doc)} bytes`, `must be at most ${STRINGS.document.max} bytes`);
  }
  try {
    JSON.parse(doc);
  } catch {
    throw invalid(`The job document at '${path}' is not valid JSON.`);
  }
  const substitutions = doc.match(SUBSTITUTION_PATTERN)?.length ?? 0;
  if (substitutions > LISTS.substitutionsPerDocument.max) {
    throw invalid(
      `The job document at '${path}' has ${substitutions} substitution patterns; at most ${LISTS.substitutionsPerDocument.max} are allowed.`,
    );
  }
  return doc;
}

export function presignedUrlConfig(path: string, value: unknown): JsonObject | undefined {
  const c = obj(path, value);
  if (!c) return undefined;
  str(`${path}.roleArn`, c.roleArn, STRINGS.roleArn);
  num(`${path}.expiresInSec`, c.expiresInSec, NUMBERS.expiresInSec);
  return c;
}

export function rolloutConfig(path: string, value: unknown): JsonObject | undefined {
  const c = obj(path, value);
  if (!c) return undefined;
  num(`${path}.maximumPerMinute`, c.maximumPerMinute, NUMBERS.maximumPerMinute);
  const rate = obj(`${path}.exponentialRate`, c.exponentialRate);
  if (rate) {
    const p = `${path}.exponentialRate`;
    num(`${p}.baseRatePerMinute`, rate.baseRatePerMinute, NUMBERS.baseRatePerMinute, { required: true });
    num(`${p}.incrementFactor`, rate.incrementFactor, NUMBERS.incrementFactor, { required: true });
    const criteria = obj(`${p}.rateIncreaseCriteria`, rate.rateIncreaseCriteria);
    required(`${p}.rateIncreaseCriteria`, criteria);
    num(`${p}.rateIncreaseCriteria.numberOfNotifiedThings`, criteria!.numberOfNotifiedThings, NUMBERS.numberOfNotifiedThings);
    num(`${p}.rateIncreaseCriteria.numberOfSucceededThings`, criteria!.numberOfSucceededThings, NUMBERS.numberOfSucceededThings);
    if (criteria!.numberOfNotifiedThings == null && criteria!.numberOfSucceededThings == null) {
      throw invalid(`'${p}.rateIncreaseCriteria' must set numberOfNotifiedThings or numberOfSucceededThings.`);
    }
  }
  return c;
}

export function abortConfig(path: string, value: unknown): JsonObject | undefined {
  const c = obj(path, value);
  if (!c) return undefined;
  const criteria = list(`${path}.criteriaList`, c.criteriaList, { min: LISTS.abortCriteria.min });
  required(`${path}.criteriaList`, criteria);
  criteria!.forEach((item, i) => {
    const p = `${path}.criteriaList.${i + 1}.member`;
    const cr = obj(p, item)!;
    oneOf(`${p}.failureType`, cr.failureType, ENUMS.abortFailureType, { required: true });
    oneOf(`${p}.action`, cr.action, ENUMS.abortAction, { required: true });
    num(`${p}.thresholdPercentage`, cr.thresholdPercentage, NUMBERS.thresholdPercentage, { required: true });
    num(`${p}.minNumberOfExecutedThings`, cr.minNumberOfExecutedThings, NUMBERS.minNumberOfExecutedThings, { required: true });
  });
  return c;
}

export function timeoutConfig(path: string, value: unknown): JsonObject | undefined {
  const c = obj(path, value);
  if (!c) return undefined;
  num(`${path}.inProgressTimeoutInMinutes`, c.inProgressTimeoutInMinutes, NUMBERS.inProgressTimeoutInMinutes);
  return c;
}

export function retryConfig(path: string, value: unknown): JsonObject | undefined {
  const c = obj(path, value);
  if (!c) return undefined;
  const criteria = list(`${path}.criteriaList`, c.criteriaList, LISTS.retryCriteria);
  required(`${path}.criteriaList`, criteria);
  const seen = new Set<string>();
  let total = 0;
  criteria!.forEach((item, i) => {
    const p = `${path}.criteriaList.${i + 1}.member`;
    const cr = obj(p, item)!;
    const type = oneOf(`${p}.failureType`, cr.failureType, ENUMS.retryFailureType, { required: true })!;
    total += num(`${p}.numberOfRetries`, cr.numberOfRetries, NUMBERS.numberOfRetries, { required: true })!;
    if (seen.has(type)) throw invalid(`'${path}.criteriaList' lists failureType ${type} more than once.`);
    seen.add(type);
  });
  if (seen.has("ALL") && seen.size > 1) {
    throw invalid(`'${path}.criteriaList': failureType ALL cannot be combined with other failure types.`);
  }
  if (total > LISTS.totalRetries.max) {
    throw invalid(
      `'${path}.criteriaList': at most ${LISTS.totalRetries.max} retries per device in total across failure types (got ${total}).`,
    );
  }
  return c;
}

export function maintenanceWindows(path: string, value: unknown): JsonObject[] | undefined {
  const windows = list(path, value);
  windows?.forEach((item, i) => {
    const p = `${path}.${i + 1}.member`;
    const w = obj(p, item)!;
    str(`${p}.startTime`, w.startTime, STRINGS.maintenanceWindowStartTime, { required: true });
    num(`${p}.durationInMinutes`, w.durationInMinutes, NUMBERS.durationInMinutes, { required: true });
  });
  return windows as JsonObject[] | undefined;
}

/** A list's page size (maxResults). */
export function pageSize(value: number | undefined): number | undefined {
  return num("maxResults", value, NUMBERS.maxResults);
}
