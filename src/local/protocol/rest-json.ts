/** The restJson1 protocol of the IoT API: body and query parsing, signature check, routing, and the JSON responses and errors. */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { IoTError, serverErrorFor } from "../errors.ts";
import { isReadOnly, matchRoute } from "./routes.ts";
import { verifySignature } from "./sigv4.ts";
import { validateInput } from "./validation.ts";
import type { JsonObject } from "../state/store.ts";
import { ADMIN_PREFIX, BadRequest, MAX_BODY, readBody, type RequestContext } from "./http.ts";

export function send(res: http.ServerResponse, status: number, body: JsonObject | undefined, code?: string) {
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers: http.OutgoingHttpHeaders = {
    "x-amzn-requestid": randomUUID(),
    "content-length": Buffer.byteLength(text),
  };
  if (text) headers["content-type"] = "application/json";
  if (code) headers["x-amzn-errortype"] = code;
  res.writeHead(status, headers);
  res.end(text);
}

/** What a call acts on, for the stats: the id in its path, a tagged resource's name, or a membership. */
function subjectOf(params: Record<string, string>, query: Record<string, string>, body: JsonObject): string | undefined {
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const thing = params.thingName ?? str(body.thingName);
  const group = params.thingGroupName ?? str(body.thingGroupName);
  if (thing && group && !params.thingName && !params.thingGroupName) return `${thing} → ${group}`;
  const arn = str(body.resourceArn) ?? query.resourceArn;
  return (
    params.jobId ?? params.jobTemplateId ?? thing ?? group ?? params.templateName ?? (arn ? arn.slice(arn.lastIndexOf("/") + 1) : undefined)
  );
}

export function sendError(res: http.ServerResponse, error: IoTError) {
  send(res, error.status, { message: error.message, ...error.extra } as JsonObject, error.code);
}

/**
 * Serves a restJson1 request (an IoT API operation, or an admin route under
 * ADMIN_PREFIX): reads and checks the body, verifies the signature, routes it
 * and answers in JSON, errors included.
 */
export async function handleRestJson(
  ctx: RequestContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  method: string,
  rawPath: string,
  rawQuery: string,
) {
  let operation: string | undefined;
  let subject: string | undefined;
  const admin = rawPath.startsWith(ADMIN_PREFIX);
  try {
    const { body: bodyBuffer, tooLarge } = await readBody(req);
    if (tooLarge) throw new BadRequest("InvalidRequestException", `Request body exceeds the ${MAX_BODY} byte limit.`);
    const bodyText = bodyBuffer.toString("utf8");
    const searchParams = new URLSearchParams(rawQuery);
    const signedQuery: Record<string, string | string[]> = {};
    const query: Record<string, string> = {};
    for (const [k, v] of searchParams) {
      const prev = signedQuery[k];
      signedQuery[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      query[k] ??= v;
    }
    await verifySignature(
      { method, path: rawPath, query: signedQuery, headers: req.headers, body: bodyText },
      ctx.credentials,
      ctx.world.region,
      ["iot", "execute-api"],
    );
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
    const outcome = await ctx.admit(operation, {
      throttled: () => new IoTError("ThrottlingException", "Rate exceeded"),
      failed: () => serverErrorFor(operation!),
    });
    if (outcome === "drop-before") return ctx.drop(req, res, operation);
    // The model's constraints first (as the service's validation layer does), then the operation.
    validateInput(operation, { params: matched.params, query, body });
    ctx.world.tick();
    const result = matched.route.handler(ctx.world, { params: matched.params, query, body });
    if (!isReadOnly(operation)) await ctx.commit();
    if (outcome === "drop-after") return ctx.drop(req, res, operation);
    ctx.countCall(operation, 200, undefined, subject);
    ctx.log?.(`${method} ${rawPath} -> 200 ${operation}`);
    send(res, 200, result);
  } catch (error) {
    const e =
      error instanceof IoTError ? error : new IoTError("InternalFailureException", `Internal error: ${(error as Error)?.message ?? error}`);
    if (operation && !(e instanceof BadRequest)) ctx.countCall(operation, e.status, e.code, subject);
    else if (!admin) ctx.reject();
    ctx.log?.(`${method} ${rawPath} -> ${e.status} ${e.code}: ${e.message}`);
    if (!res.headersSent && !res.destroyed) sendError(res, e);
  }
}
