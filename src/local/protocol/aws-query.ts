/** The awsQuery protocol of the CloudFormation read operations: the signed form POST to `/`, dispatched to the CloudFormation module, answered in XML. */
import { randomUUID } from "node:crypto";
import * as cfn from "../cloudformation/index.ts";
import { IoTError } from "../errors.ts";
import { BadRequest, ConnectionLost, writeHead, type Incoming, type Outgoing, type RequestContext } from "./http.ts";
import { discardUnread, receiveSigned } from "./intake.ts";

function sendXml(res: Outgoing, status: number, xml: string, requestId: string) {
  writeHead(res, status, ["x-amzn-requestid", requestId, "content-type", "text/xml", "content-length", Buffer.byteLength(xml)]);
  res.end(xml);
}

/**
 * The CloudFormation read operations (awsQuery protocol): `POST /` with a
 * form-urlencoded body naming the Action, signed for service
 * "cloudformation", answered in XML.
 */
export async function handleQuery(ctx: RequestContext, req: Incoming, res: Outgoing, rawQuery: string) {
  const requestId = randomUUID();
  let operation: string | undefined;
  try {
    const signedQuery: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(rawQuery)) {
      const prev = signedQuery[k];
      signedQuery[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    let bodyText: string;
    try {
      bodyText = await receiveSigned(ctx, req, res, {
        method: "POST",
        path: "/",
        query: signedQuery,
        services: ["cloudformation"],
        tooLargeCode: "ValidationError",
      });
    } catch (error) {
      // The signature's refusals under CloudFormation's names.
      const e = error as IoTError;
      throw e instanceof IoTError && !(e instanceof BadRequest) ? new BadRequest(cfn.QUERY_AUTH_CODES[e.code] ?? e.code, e.message) : e;
    }
    const params: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(bodyText)) params[k] ??= v;
    const action = params.Action;
    if (!cfn.isQueryOperation(action)) {
      throw new BadRequest(
        "InvalidAction",
        action ? `Could not find operation ${action} for version ${params.Version ?? "(none)"}` : "The request must name an Action.",
      );
    }
    operation = action;
    const outcome = await ctx.admit(operation, {
      throttled: () => new IoTError("Throttling", "Rate exceeded"),
      failed: () => new IoTError("InternalFailure", "Internal failure (injected fault)"),
    });
    if (outcome === "drop-before") return ctx.drop(req, res, operation);
    ctx.world.tick();
    const xml = cfn.runQueryOperation(ctx.world, operation, params, requestId, { pageSize: ctx.cloudFormationPageSize });
    if (outcome === "drop-after") return ctx.drop(req, res, operation);
    ctx.countCall(operation, 200);
    ctx.log?.(`POST / -> 200 ${operation}`);
    sendXml(res, 200, xml, requestId);
  } catch (error) {
    // Counted by the server when it closed the connection (or the client left): nobody to answer.
    if (error instanceof ConnectionLost) return ctx.log?.(`POST / -> connection lost: ${error.message}`);
    const e = error instanceof IoTError ? error : new IoTError("InternalFailure", `Internal error: ${(error as Error)?.message ?? error}`);
    if (operation && !(e instanceof BadRequest)) ctx.countCall(operation, e.status, e.code);
    else ctx.reject();
    ctx.log?.(`POST / -> ${e.status} ${operation ?? "CloudFormation"} ${e.code}: ${e.message}`);
    discardUnread(req, res);
    if (!res.headersSent && !res.destroyed) sendXml(res, e.status, cfn.queryErrorXml(e.code, e.message, e.status, requestId), requestId);
  }
}
