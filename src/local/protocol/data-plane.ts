/**
 * The AWS IoT data plane's shadow calls, on the same port as the control
 * plane: a request signed for service `iotdata` (what
 * `@aws-sdk/client-iot-data-plane` signs with) is routed here, by its own
 * small route table (these operations are not in the IoT control-plane
 * model). restJson1 like the control plane: errors in `x-amzn-ErrorType` with
 * `{"message"}`, at the data plane's statuses (ThrottlingException is 429
 * there; a known path with another method is 405 MethodNotAllowedException).
 */
import { IoTError } from "../errors.ts";
import * as shadows from "../operations/shadows.ts";
import { BadRequest, send, sendError, type Incoming, type Outgoing, type RequestContext } from "./http.ts";
import { isReadOnly } from "./routes.ts";

/** The SigV4 service name of the data plane. */
export const DATA_PLANE_SERVICE = "iotdata";

interface DataPlaneRoute {
  operation: string;
  method: string;
  template: string;
  handler: shadows.DataPlaneHandler;
}

const ROUTES: readonly DataPlaneRoute[] = [
  { operation: "GetThingShadow", method: "GET", template: "/things/{thingName}/shadow", handler: shadows.getThingShadow },
  { operation: "UpdateThingShadow", method: "POST", template: "/things/{thingName}/shadow", handler: shadows.updateThingShadow },
  { operation: "DeleteThingShadow", method: "DELETE", template: "/things/{thingName}/shadow", handler: shadows.deleteThingShadow },
  {
    operation: "ListNamedShadowsForThing",
    method: "GET",
    template: "/api/things/shadow/ListNamedShadowsForThing/{thingName}",
    handler: shadows.listNamedShadowsForThing,
  },
];

/** The data-plane operations the endpoint serves. */
export const DATA_PLANE_OPERATIONS: readonly string[] = ROUTES.map((r) => r.operation);

/** The route of a path (any method), with its labels; undefined when no route has that path. */
function matchPath(rawPath: string): Array<{ route: DataPlaneRoute; params: Record<string, string> }> {
  const segments = rawPath.split("/").slice(1);
  const out: Array<{ route: DataPlaneRoute; params: Record<string, string> }> = [];
  for (const route of ROUTES) {
    const parts = route.template.split("/").slice(1);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      if (parts[i].startsWith("{")) {
        try {
          params[parts[i].slice(1, -1)] = decodeURIComponent(segments[i]);
        } catch {
          throw new BadRequest("InvalidRequestException", `Malformed percent-encoding in path segment '${segments[i]}'.`);
        }
      } else ok = parts[i] === segments[i];
    }
    if (ok) out.push({ route, params });
  }
  return out;
}

/** Serves a data-plane request whose signature was verified (protocol/rest-json.ts). */
export async function handleDataPlane(
  ctx: RequestContext,
  req: Incoming,
  res: Outgoing,
  request: { method: string; rawPath: string; query: Record<string, string>; body: string },
): Promise<void> {
  const candidates = matchPath(request.rawPath);
  if (candidates.length === 0)
    throw new BadRequest("UnknownOperationException", `No data-plane operation matches ${request.method} ${request.rawPath}.`);
  const matched = candidates.find((c) => c.route.method === request.method);
  if (!matched) {
    throw new BadRequest("MethodNotAllowedException", `The method ${request.method} is not allowed on ${request.rawPath}.`);
  }
  const { operation } = matched.route;
  const subject = matched.params.thingName;
  try {
    const outcome = await ctx.admit(operation, {
      throttled: () => new IoTError("ThrottlingException", "Rate exceeded", {}, 429),
      failed: () => new IoTError("InternalFailureException", "Internal failure (injected fault)"),
    });
    if (outcome === "drop-before") return ctx.drop(req, res, operation);
    ctx.world.tick();
    const result = matched.route.handler(ctx.world, { params: matched.params, query: request.query, body: request.body });
    // Without a persist file there is nothing to wait for: answered in the same turn.
    const committed = isReadOnly(operation) ? undefined : ctx.commit();
    if (committed) await committed;
    if (outcome === "drop-after") return ctx.drop(req, res, operation);
    ctx.countCall(operation, 200, undefined, subject);
    ctx.log?.(`${request.method} ${request.rawPath} -> 200 ${operation}`);
    send(res, 200, result);
  } catch (error) {
    const e =
      error instanceof IoTError ? error : new IoTError("InternalFailureException", `Internal error: ${(error as Error)?.message ?? error}`);
    ctx.countCall(operation, e.status, e.code, subject);
    ctx.log?.(`${request.method} ${request.rawPath} -> ${e.status} ${e.code}: ${e.message}`);
    if (!res.headersSent && !res.destroyed) sendError(res, e);
  }
}
