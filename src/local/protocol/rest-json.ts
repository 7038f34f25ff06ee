/**
 * The restJson1 protocol of the IoT API: body and query parsing, signature
 * check, routing, and the JSON responses and errors. A request signed for
 * the data plane (`iotdata`) goes to its own routes (data-plane.ts).
 */
import { asModeled, IoTError, serverErrorFor } from "../errors.ts";
import { DATA_PLANE_SERVICE, handleDataPlane } from "./data-plane.ts";
import { isReadOnly, matchRoute } from "./routes.ts";
import { discardUnread, receiveSigned } from "./intake.ts";
import { signingService } from "./sigv4.ts";
import { validateInput } from "./validation.ts";
import type { JsonObject } from "../state/store.ts";
import { ADMIN_PREFIX, BadRequest, ConnectionLost, send, sendError, type Incoming, type Outgoing, type RequestContext } from "./http.ts";

export { send, sendError } from "./http.ts";

/** The services an IoT API request may be signed for. */
const IOT_SERVICES: readonly string[] = ["iot", "execute-api"];

/** The errors of an injected fault, in restJson1. */
const REST_JSON_FAULTS = {
  throttled: () => new IoTError("ThrottlingException", "Rate exceeded"),
  failed: (operation: string) => serverErrorFor(operation),
};

/** What a call acts on, for the stats: the id in its path, a tagged resource's name, or a membership. */
const str = (v: unknown) => (typeof v === "string" ? v : undefined);

function subjectOf(params: Record<string, string>, query: Record<string, string>, body: JsonObject): string | undefined {
  const thing = params.thingName ?? str(body.thingName);
  const group = params.thingGroupName ?? str(body.thingGroupName);
  if (thing && group && !params.thingName && !params.thingGroupName) return `${thing} → ${group}`;
  const arn = str(body.resourceArn) ?? query.resourceArn;
  const version = params.packageName && params.versionName ? `${params.packageName}/${params.versionName}` : undefined;
  return (
    params.jobId ??
    params.jobTemplateId ??
    thing ??
    group ??
    params.templateName ??
    version ??
    params.packageName ??
    (arn ? arnSubject(arn) : undefined)
  );
}

/** A tagged resource's name in the stats: its id, or `<package>/<version>` for a package version (as the version's own calls). */
function arnSubject(arn: string): string {
  const version = /:package\/([^/]+)\/version\/([^/]+)$/.exec(arn);
  return version ? `${version[1]}/${version[2]}` : arn.slice(arn.lastIndexOf("/") + 1);
}

/**
 * Serves a restJson1 request (an IoT API operation, or an admin route under
 * ADMIN_PREFIX): verifies the signature (on the headers before the body is
 * read, see intake.ts), routes it and answers in JSON, errors included.
 */
export async function handleRestJson(ctx: RequestContext, req: Incoming, res: Outgoing, method: string, rawPath: string, rawQuery: string) {
  let operation: string | undefined;
  let subject: string | undefined;
  const admin = rawPath.startsWith(ADMIN_PREFIX);
  try {
    // The query as signed (a repeated key's values as an array) and as the operation reads it (the first value).
    const signedQuery: Record<string, string | string[]> = {};
    const query: Record<string, string> = {};
    if (rawQuery !== "") {
      for (const [k, v] of new URLSearchParams(rawQuery)) {
        const prev = signedQuery[k];
        signedQuery[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
        query[k] ??= v;
      }
    }
    const dataPlane = !admin && signingService(req.headers) === DATA_PLANE_SERVICE;
    const received = receiveSigned(ctx, req, res, {
      method,
      path: rawPath,
      query: signedQuery,
      services: dataPlane ? [DATA_PLANE_SERVICE] : IOT_SERVICES,
      tooLargeCode: "InvalidRequestException",
    });
    // A request without a body is served synchronously, without waiting a turn.
    const bodyText = typeof received === "string" ? received : await received;
    if (dataPlane) return await handleDataPlane(ctx, req, res, { method, rawPath, query, body: bodyText });
    let body: JsonObject = {};
    if (bodyText.trim().length > 0) {
      try {
        body = JSON.parse(bodyText);
      } catch {
        throw new BadRequest("InvalidRequestException", "The request body is not valid JSON.");
      }
      if (body === null || typeof body !== "object" || Array.isArray(body)) {
        throw new BadRequest("InvalidRequestException", "The request body must be a JSON object.");
      }
    }
    if (admin) return await ctx.admin(method, rawPath, body, res);
    const matched = matchRoute(method, rawPath);
    if (!matched) throw new BadRequest("UnknownOperationException", `No operation matches ${method} ${rawPath}.`);
    operation = matched.route.operation;
    subject = subjectOf(matched.params, query, body);
    const admitted = ctx.admit(operation, REST_JSON_FAULTS);
    const outcome = typeof admitted === "string" ? admitted : await admitted;
    if (outcome === "drop-before") return ctx.drop(req, res, operation);
    // The model's constraints first (as the service's validation layer does), then the operation.
    validateInput(operation, { params: matched.params, query, body });
    ctx.world.tick();
    const result = matched.route.handler(ctx.world, { params: matched.params, query, body });
    // Without a persist file there is nothing to wait for: answered in the same turn.
    const committed = isReadOnly(operation) ? undefined : ctx.commit();
    if (committed) await committed;
    if (outcome === "drop-after") return ctx.drop(req, res, operation);
    ctx.countCall(operation, 200, undefined, subject);
    ctx.log?.(`${method} ${rawPath} -> 200 ${operation}`);
    send(res, 200, result);
  } catch (error) {
    // Counted by the server when it closed the connection (or the client left): nobody to answer.
    if (error instanceof ConnectionLost) return ctx.log?.(`${method} ${rawPath} -> connection lost: ${error.message}`);
    const raw =
      error instanceof IoTError ? error : new IoTError("InternalFailureException", `Internal error: ${(error as Error)?.message ?? error}`);
    // A bad request is the operation's modeled code (ValidationException for the Software Package Catalog's).
    const e = operation && !(raw instanceof BadRequest) ? asModeled(operation, raw) : raw;
    if (operation && !(e instanceof BadRequest)) ctx.countCall(operation, e.status, e.code, subject);
    else if (!admin) ctx.reject();
    ctx.log?.(`${method} ${rawPath} -> ${e.status} ${e.code}: ${e.message}`);
    discardUnread(req, res);
    if (!res.headersSent && !res.destroyed) sendError(res, e);
  }
}
