/**
 * Values that only exist after a deploy (an ARN the service will assign, a
 * creation time) are represented during a preview by a marker string, so they
 * can flow through props like real values and are rendered as
 * "(known after deploy)". Validation accepts them wherever a string is
 * expected.
 */
export const UNKNOWN_TEXT = "(known after deploy)";
const MARK = "\uE000";
export const UNKNOWN = `${MARK}${UNKNOWN_TEXT}${MARK}`;

/** True for a value that is, or contains, the marker. */
export function isUnknown(value: unknown): boolean {
  return typeof value === "string" && value.includes(MARK);
}

/** Deep check: does any string inside a value contain the marker? */
export function containsUnknown(value: unknown): boolean {
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}
