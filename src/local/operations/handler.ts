/**
 * What serves an IoT API operation in the emulator: a handler, given the
 * request's parts as the protocol decoded them (protocol/rest-json.ts), and
 * answering the JSON the service returns. ("Operation" is the provider's word
 * for a planned SDK call; the emulator serves them with handlers.)
 */
import type { JsonObject } from "../state/store.ts";
import type { World } from "../state/world.ts";

/** A request's parts: decoded path labels, query parameters and JSON body. */
export interface RequestParts {
  params: Record<string, string>;
  query: Record<string, string>;
  body: JsonObject;
}

/** Serves one operation: synchronous over the in-memory tables; throws IoTError. */
export type Handler = (world: World, request: RequestParts) => JsonObject | undefined;

/**
 * Drops undefined members (the service omits unset members): a copy without
 * them, or the object itself when it has none (callers pass the answer they
 * just built, and only serialise what comes back).
 */
export function compact<T extends Record<string, unknown>>(value: T): JsonObject {
  let unset = false;
  for (const k in value) {
    if (Object.hasOwn(value, k) && value[k] === undefined) {
      unset = true;
      break;
    }
  }
  if (!unset) return value as unknown as JsonObject;
  const out: Record<string, unknown> = {};
  for (const k in value) if (Object.hasOwn(value, k) && value[k] !== undefined) out[k] = value[k];
  return out as JsonObject;
}
