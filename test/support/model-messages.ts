/**
 * The wording the service answers a violated input constraint with, for the
 * conformance test (test/model/conformance.test.ts): the "Member must ..."
 * phrase of each rule of the model, what a breaking request must be answered
 * with, and whether a validation message reports it.
 */
import type { ModelShape } from "../../src/api/model/types.ts";
import { isNumberType, type Rule, type StringShape } from "./model-constraints.ts";

/** What the service must answer the breaking request with. */
export interface Expectation {
  /** The path that the error names (a map's own path for its keys and values). */
  path: string;
  /** For a map key or value constraint: which of the two. */
  map?: "keys" | "value";
  /** The rule phrases ("Member must ..."), any one of which satisfies the expectation. */
  phrases: string[];
}

/** The "Member must ..." phrase of a rule of a shape. */
export function phrase(shape: ModelShape, rule: Rule): string {
  const numeric = isNumberType(shape.type);
  switch (rule) {
    case "required":
      return "Member must not be null";
    case "min":
      return numeric
        ? `Member must have value greater than or equal to ${(shape as { min: number }).min}`
        : `Member must have length greater than or equal to ${(shape as { min: number }).min}`;
    case "max":
      return numeric
        ? `Member must have value less than or equal to ${(shape as { max: number }).max}`
        : `Member must have length less than or equal to ${(shape as { max: number }).max}`;
    case "pattern":
      return `Member must satisfy regular expression pattern: ${(shape as StringShape).modelPattern}`;
    case "enum":
      return `Member must satisfy enum value set: [${(shape as StringShape).enum!.join(", ")}]`;
  }
}

// ---------------------------------------------------------------------------
// Reading the answer.

/** The errors of a validation message ("N validation error(s) detected: e1; e2"), split at each "Value ... at '". */
function errorsOf(message: string): string[] {
  const body = message.replace(/^\d+ validation errors? detected: /, "");
  return body.split(/; (?=Value (?:null|'))/);
}

/** Whether the message reports the expected violation: the path, and one of the phrases. */
export function reportsViolation(message: string, e: Expectation): boolean {
  const head = e.map
    ? `at '${e.path}' failed to satisfy constraint: Map ${e.map} must satisfy constraint: [`
    : `at '${e.path}' failed to satisfy constraint: `;
  return errorsOf(message).some((err) => {
    const i = err.indexOf(head);
    if (i < 0) return false;
    const rest = err.slice(i + head.length);
    return e.map ? e.phrases.some((p) => rest.includes(p)) : e.phrases.some((p) => rest.startsWith(p));
  });
}

/** Whether the message reports any validation error of the member (for a map: of its keys or its values). */
export function namesMember(message: string, e: Expectation): boolean {
  const head = e.map
    ? `at '${e.path}' failed to satisfy constraint: Map ${e.map} must satisfy constraint`
    : `at '${e.path}' failed to satisfy constraint`;
  return message.includes(head);
}
