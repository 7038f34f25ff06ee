/** Hands each request to its protocol: awsQuery for a form POST to `/`, restJson1 (IoT API and admin routes) otherwise. */
import { handleQuery } from "./aws-query.ts";
import type { Incoming, Outgoing, RequestContext } from "./http.ts";
import { handleRestJson } from "./rest-json.ts";

export async function handleRequest(ctx: RequestContext, req: Incoming, res: Outgoing) {
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const rawQuery = q === -1 ? "" : rawUrl.slice(q + 1);
  const method = req.method ?? "GET";
  const contentType = String(req.headers["content-type"] ?? "");
  if (method === "POST" && rawPath === "/" && /^application\/x-www-form-urlencoded\b/i.test(contentType)) {
    return handleQuery(ctx, req, res, rawQuery);
  }
  return handleRestJson(ctx, req, res, method, rawPath, rawQuery);
}
