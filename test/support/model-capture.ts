/**
 * Records every HTTP exchange an `@aws-sdk/client-iot` client makes, as it
 * went over the wire: the operation (from the command's name), the request's
 * method, path and query, and the response's status, headers and raw body
 * text. The SDK's deserializers drop members they do not know, so checking a
 * response against the service model needs the raw JSON.
 *
 * A middleware placed right inside the SDK's deserializer reads each response
 * body once and hands the deserializer the same bytes, so the client behaves
 * exactly as without it.
 */
import type { IoTClient, ServiceInputTypes, ServiceOutputTypes } from "@aws-sdk/client-iot";
import { HttpRequest, HttpResponse } from "@smithy/protocol-http";
// Types only (erased): @smithy/types comes with the SDK.
import type { DeserializeMiddleware } from "@smithy/types";

export interface Exchange {
  /** The operation the client called: the command's name without "Command". */
  operation: string;
  /** The request as the SDK sent it. */
  request: {
    method: string;
    /** The path, percent-encoded as sent. */
    path: string;
    query: Record<string, string | string[] | null>;
  };
  /** HTTP status answered. */
  status: number;
  /** Response headers, names lower-cased. */
  headers: Record<string, string>;
  /** The response body, as sent (UTF-8). */
  text: string;
}

async function readAll(body: unknown): Promise<Uint8Array> {
  if (body === undefined || body === null) return new Uint8Array();
  if (body instanceof Uint8Array) return body;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Starts recording the client's exchanges; returns the (growing) list. */
export function captureExchanges(client: IoTClient): Exchange[] {
  const exchanges: Exchange[] = [];
  const capture: DeserializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
    const result = await next(args);
    const response = result.response;
    if (HttpResponse.isInstance(response)) {
      const bytes = await readAll(response.body);
      // The deserializer reads a Uint8Array body as it is (no stream to drain).
      response.body = bytes;
      const request = HttpRequest.isInstance(args.request) ? args.request : undefined;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) headers[name.toLowerCase()] = value;
      exchanges.push({
        operation: String(context.commandName ?? "").replace(/Command$/, ""),
        request: { method: request?.method ?? "", path: request?.path ?? "", query: { ...(request?.query ?? {}) } },
        status: response.statusCode,
        headers,
        text: Buffer.from(bytes).toString("utf8"),
      });
    }
    return result;
  };
  // "after" the deserializer is inside it: this middleware sees the response before the deserializer does.
  client.middlewareStack.addRelativeTo(capture, {
    name: "modelCaptureMiddleware",
    relation: "after",
    toMiddleware: "deserializerMiddleware",
  });
  return exchanges;
}
