/**
 * The account's device shadows (the AWS IoT data plane): what GetThingShadow,
 * UpdateThingShadow, DeleteThingShadow and ListNamedShadowsForThing check,
 * read and change (requests and answers: operations/shadows.ts; documents:
 * state/shadows.ts).
 *
 * A shadow belongs to a thing name, registered or not, and outlives the
 * thing (the shadow service keeps documents by name; the endpoint deletes
 * none when a thing is deleted).
 */
import { IoTError, invalid } from "../errors.ts";
import { shadowKey } from "../state/catalog.ts";
import type { Page } from "../state/pagination.ts";
import { parseShadowUpdate, shadowDocument, updateShadow } from "../state/shadows.ts";
import type { JsonObject } from "../state/store.ts";
import type { World } from "../state/world.ts";

/** The data plane's thing and shadow names (API reference, iot-data: ThingName, ShadowName). */
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const SHADOW_NAME = /^[$a-zA-Z0-9:_-]{1,64}$/;

export interface ShadowRef {
  thingName: string;
  /** Undefined: the classic (unnamed) shadow. */
  shadowName?: string;
}

function ref(input: ShadowRef): { thingName: string; shadowName: string } {
  if (!THING_NAME.test(input.thingName ?? "")) {
    throw invalid(`Invalid thing name '${input.thingName}': 1 to 128 characters of a-z, A-Z, 0-9, ':', '_' and '-'.`);
  }
  if (input.shadowName !== undefined && !SHADOW_NAME.test(input.shadowName)) {
    throw invalid(`Invalid shadow name '${input.shadowName}': 1 to 64 characters of a-z, A-Z, 0-9, '$', ':', '_' and '-'.`);
  }
  return { thingName: input.thingName, shadowName: input.shadowName ?? "" };
}

const nowSeconds = (world: World) => Math.floor(world.nowMs() / 1000);

function noShadow(thingName: string, shadowName: string): IoTError {
  const name = shadowName === "" ? thingName : `${thingName}~${shadowName}`;
  return new IoTError("ResourceNotFoundException", `No shadow exists with name: '${name}'`);
}

export function getThingShadow(world: World, input: ShadowRef): JsonObject {
  const { thingName, shadowName } = ref(input);
  const shadow = world.tables.shadows.get(shadowKey(thingName, shadowName));
  if (!shadow) throw noShadow(thingName, shadowName);
  return shadowDocument(shadow, nowSeconds(world));
}

/** Applies an update document (already parsed JSON) and answers the update's response document. */
export function updateThingShadow(world: World, input: ShadowRef & { payload: unknown }): JsonObject {
  const { thingName, shadowName } = ref(input);
  const update = parseShadowUpdate(input.payload, shadowName);
  return updateShadow(world.tables, thingName, shadowName, update, nowSeconds(world));
}

/** Deletes a shadow; answers its last version. */
export function deleteThingShadow(world: World, input: ShadowRef): JsonObject {
  const { thingName, shadowName } = ref(input);
  const key = shadowKey(thingName, shadowName);
  const shadow = world.tables.shadows.get(key);
  if (!shadow) throw noShadow(thingName, shadowName);
  world.tables.shadows.delete(key);
  return { version: shadow.version, timestamp: nowSeconds(world) };
}

/** The names of a thing's named shadows (not the classic one), by name. */
export function listNamedShadowsForThing(world: World, input: { thingName: string; pageSize?: number; nextToken?: string }): Page<string> {
  const { thingName } = ref({ thingName: input.thingName });
  if (input.pageSize !== undefined && !(Number.isInteger(input.pageSize) && input.pageSize >= 1 && input.pageSize <= 100)) {
    throw invalid(`Invalid pageSize ${input.pageSize}: a whole number from 1 to 100.`);
  }
  const names = [...world.tables.shadows.values()]
    .filter((s) => s.thingName === thingName && s.shadowName !== "")
    .map((s) => s.shadowName)
    .sort();
  const items = names.map((name, i) => ({ seq: i + 1, name }));
  const page = world.paginate("ListNamedShadowsForThing", items, {
    nextToken: input.nextToken,
    maxResults: input.pageSize,
    filter: thingName,
  });
  return { items: page.items.map((i) => i.name), nextToken: page.nextToken };
}
