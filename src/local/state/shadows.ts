/**
 * Device shadow documents (the data plane's UpdateThingShadow and
 * GetThingShadow; developer guide, device-shadow-document and
 * device-shadow-data-flow): an update merges its `desired` and `reported`
 * sections into the shadow (objects member by member, `null` deletes a
 * member, a section set to `null` is deleted), bumps the version and stamps
 * the metadata of every member it set; a read answers the state with its
 * `delta` (what `desired` asks that `reported` does not say).
 *
 * Limits: a state document of at most 8 KB (UTF-8, metadata excluded),
 * at most 6 levels of nesting in a section. The reserved named shadow
 * `$package` takes only `version` and `attributes` under each package and
 * keeps no metadata (preparing-to-use-software-package-catalog).
 */
import { IoTError } from "../errors.ts";
import { PACKAGE_SHADOW, shadowKey } from "./catalog.ts";
import type { Json, JsonObject, ShadowRecord, Tables } from "./records.ts";

export const SHADOW_MAX_BYTES = 8 * 1024;
export const SHADOW_MAX_DEPTH = 6;
const SECTIONS = ["desired", "reported"] as const;
type Section = (typeof SECTIONS)[number];

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const bad = (message: string) => new IoTError("InvalidRequestException", message);

/** A shadow update as a request's payload gives it. */
export interface ShadowUpdate {
  state: Partial<Record<Section, JsonObject | null>>;
  version?: number;
  clientToken?: string;
}

function depth(value: Json): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depth));
  if (isObject(value)) return 1 + Math.max(0, ...Object.values(value).map(depth));
  return 0;
}

/** Reads an UpdateThingShadow payload (already parsed JSON); refuses what the shadow service refuses. */
export function parseShadowUpdate(payload: unknown, shadowName: string): ShadowUpdate {
  if (!isObject(payload)) throw bad("Payload contains invalid json");
  const state = payload.state;
  if (state === undefined) throw bad("Missing required node: state");
  if (!isObject(state)) throw bad("Invalid JSON: state must be an object");
  for (const key of Object.keys(state)) {
    if (!(SECTIONS as readonly string[]).includes(key)) throw bad(`State contains an invalid node: '${key}'`);
  }
  if (payload.version !== undefined && (typeof payload.version !== "number" || !Number.isInteger(payload.version))) {
    throw bad("Invalid version: must be a whole number");
  }
  if (payload.clientToken !== undefined && typeof payload.clientToken !== "string") throw bad("Invalid clientToken: must be a string");
  const update: ShadowUpdate = {
    state: {},
    version: payload.version as number | undefined,
    clientToken: payload.clientToken as string | undefined,
  };
  for (const section of SECTIONS) {
    const value = state[section];
    if (value === undefined) continue;
    if (value !== null && !isObject(value)) throw bad(`Invalid JSON: state.${section} must be an object or null`);
    if (value !== null && depth(value) > SHADOW_MAX_DEPTH) {
      throw bad(`JSON contains too many levels of nesting; maximum is ${SHADOW_MAX_DEPTH}`);
    }
    if (value !== null && shadowName === PACKAGE_SHADOW) checkPackageSection(section, value);
    update.state[section] = value;
  }
  return update;
}

/** `$package` takes, under each package name, only `version` (a string) and `attributes` (an object). */
function checkPackageSection(section: Section, value: JsonObject): void {
  for (const [packageName, entry] of Object.entries(value)) {
    if (entry === null) continue;
    if (!isObject(entry)) throw bad(`$package: state.${section}.${packageName} must be an object with version and attributes`);
    for (const [key, v] of Object.entries(entry)) {
      if (key === "version" && (typeof v === "string" || v === null)) continue;
      if (key === "attributes" && (isObject(v) || v === null)) continue;
      throw bad(
        `$package: state.${section}.${packageName}.${key} is not allowed; the reserved named shadow takes only version (a string) and attributes (an object).`,
      );
    }
  }
}

/** Merges `change` into `target` (null deletes); returns the merged object. */
function merge(target: JsonObject | undefined, change: JsonObject): JsonObject {
  const out: JsonObject = { ...(target ?? {}) };
  for (const [key, value] of Object.entries(change)) {
    if (value === null) delete out[key];
    else if (isObject(value) && isObject(out[key])) out[key] = merge(out[key] as JsonObject, value);
    else out[key] = value;
  }
  return out;
}

/** The metadata of what `change` set: `{ timestamp }` at each member it set. */
function stamp(change: JsonObject, timestamp: number): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(change)) out[key] = isObject(value) ? stamp(value, timestamp) : { timestamp };
  return out;
}

/** What `desired` asks that `reported` does not say (undefined when nothing). */
function delta(desired: JsonObject, reported: JsonObject | undefined): JsonObject | undefined {
  const out: JsonObject = {};
  for (const [key, want] of Object.entries(desired)) {
    const have = reported?.[key];
    if (isObject(want) && isObject(have)) {
      const inner = delta(want, have);
      if (inner) out[key] = inner;
    } else if (JSON.stringify(want) !== JSON.stringify(have)) out[key] = want;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const compactSections = (value: Partial<Record<Section, JsonObject | undefined>>): JsonObject => {
  const out: JsonObject = {};
  for (const section of SECTIONS) if (value[section] !== undefined) out[section] = value[section]!;
  return out;
};

/**
 * Applies an update to a thing's shadow (creating it), and answers the
 * update's response document. Throws ConflictException on a version that
 * is not the shadow's, RequestEntityTooLargeException over 8 KB.
 */
export function updateShadow(tables: Tables, thingName: string, shadowName: string, update: ShadowUpdate, nowS: number): JsonObject {
  const key = shadowKey(thingName, shadowName);
  const current = tables.shadows.get(key);
  if (update.version !== undefined && update.version !== (current?.version ?? 0)) {
    throw new IoTError("ConflictException", "Version conflict");
  }
  const withMetadata = shadowName !== PACKAGE_SHADOW;
  const next: ShadowRecord = {
    thingName,
    shadowName,
    state: { ...current?.state },
    metadata: { ...current?.metadata },
    version: (current?.version ?? 0) + 1,
    updatedAt: nowS,
  };
  const metadata: Partial<Record<Section, JsonObject>> = {};
  for (const section of SECTIONS) {
    const change = update.state[section];
    if (change === undefined) continue;
    if (change === null) {
      delete next.state[section];
      delete next.metadata[section];
      continue;
    }
    const merged = merge(next.state[section], change);
    if (Object.keys(merged).length > 0) next.state[section] = merged;
    else delete next.state[section];
    if (withMetadata) {
      metadata[section] = stamp(change, nowS);
      next.metadata[section] = pruneMetadata(merge(next.metadata[section], metadata[section]!), next.state[section]);
    }
  }
  if (Buffer.byteLength(JSON.stringify(next.state)) > SHADOW_MAX_BYTES) {
    throw new IoTError(
      "RequestEntityTooLargeException",
      `The payload exceeds the maximum size allowed (${SHADOW_MAX_BYTES} bytes of state).`,
    );
  }
  tables.shadows.set(key, next);
  const state = compactSections(update.state as Partial<Record<Section, JsonObject>>);
  for (const section of SECTIONS) if (update.state[section] === null) state[section] = null;
  return {
    state,
    ...(withMetadata ? { metadata: compactSections(metadata) } : {}),
    version: next.version,
    timestamp: nowS,
    ...(update.clientToken !== undefined ? { clientToken: update.clientToken } : {}),
  };
}

/** Keeps only the metadata of members the state still has. */
function pruneMetadata(metadata: JsonObject, state: JsonObject | undefined): JsonObject | undefined {
  if (!state) return undefined;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (!(key in state)) continue;
    out[key] =
      isObject(state[key]) && isObject(value) && !("timestamp" in value) ? (pruneMetadata(value, state[key] as JsonObject) ?? {}) : value;
  }
  return out;
}

/** GetThingShadow's document: the state with its delta, the metadata, the version and the time of the answer. */
export function shadowDocument(shadow: ShadowRecord, nowS: number): JsonObject {
  const state = compactSections(shadow.state);
  const d = shadow.state.desired ? delta(shadow.state.desired, shadow.state.reported) : undefined;
  if (d) state.delta = d;
  return {
    state,
    ...(shadow.shadowName !== PACKAGE_SHADOW ? { metadata: compactSections(shadow.metadata) } : {}),
    version: shadow.version,
    timestamp: nowS,
  };
}
