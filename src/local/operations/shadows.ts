/**
 * The AWS IoT data plane's shadow operations, as `@aws-sdk/client-iot-data-plane`
 * sends them: GetThingShadow, UpdateThingShadow, DeleteThingShadow and
 * ListNamedShadowsForThing. The shadow's name travels in the query as
 * `name`; UpdateThingShadow's body is the update document itself, and the
 * answers of the three shadow operations are documents (the SDK's `payload`).
 * The checks and the changes: account/shadows.ts.
 */
import * as shadows from "../account/shadows.ts";
import { invalid } from "../errors.ts";
import type { JsonObject } from "../state/store.ts";
import type { World } from "../state/world.ts";
import { compact } from "./handler.ts";

/** A data-plane request: path labels, query parameters and the raw body. */
export interface DataPlaneRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  body: string;
}

export type DataPlaneHandler = (world: World, request: DataPlaneRequest) => JsonObject;

const shadowRef = ({ params, query }: DataPlaneRequest) => ({ thingName: params.thingName, shadowName: query.name });

export const getThingShadow: DataPlaneHandler = (world, request) => shadows.getThingShadow(world, shadowRef(request));

export const updateThingShadow: DataPlaneHandler = (world, request) => {
  let payload: unknown;
  try {
    payload = JSON.parse(request.body);
  } catch {
    throw invalid("Payload contains invalid json");
  }
  return shadows.updateThingShadow(world, { ...shadowRef(request), payload });
};

export const deleteThingShadow: DataPlaneHandler = (world, request) => shadows.deleteThingShadow(world, shadowRef(request));

export const listNamedShadowsForThing: DataPlaneHandler = (world, { params, query }) => {
  const pageSize = query.pageSize === undefined ? undefined : /^\d+$/.test(query.pageSize) ? Number(query.pageSize) : NaN;
  const page = shadows.listNamedShadowsForThing(world, { thingName: params.thingName, pageSize, nextToken: query.nextToken });
  return compact({ results: page.items, nextToken: page.nextToken, timestamp: Math.floor(world.nowMs() / 1000) });
};
