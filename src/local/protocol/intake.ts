/**
 * Receiving a signed request without trusting it first: what can be refused
 * on the headers alone (the Authorization header, the access key, the
 * signing date, the declared size, and the whole signature when it covers
 * the body's hash) is refused before a byte of the body is read; the body is
 * read only then, and checked against the signature.
 */
import type { ErrorCode } from "../errors.ts";
import {
  BadRequest,
  BufferedRequest,
  declaredLength,
  HARD_BODY_LIMIT,
  MAX_BODY,
  readBody,
  type Incoming,
  type Outgoing,
  type RequestContext,
} from "./http.ts";
import {
  checkAuthorization,
  checkPayloadHash,
  signsPayloadHash,
  verifyChecked,
  type CheckedAuthorization,
  type IncomingSigned,
} from "./sigv4.ts";

export interface SignedRequest {
  method: string;
  /** The raw path as received (still percent-encoded). */
  path: string;
  /** The query as signed (repeated keys as arrays). */
  query: Record<string, string | string[]>;
  /** The services the signature may be scoped to. */
  services: readonly string[];
  /** The code of the 400 for a body over MAX_BODY (InvalidRequestException, or ValidationError for awsQuery). */
  tooLargeCode: ErrorCode;
}

/**
 * Checks the request's signature and size, reading the body only once the
 * headers passed, and returns the body. Throws the IoTError to answer (403
 * for the signature, 400 for the size); the caller answers it and calls
 * `discardUnread`. With `Expect: 100-continue`, 100 Continue is sent only
 * once the headers passed, so a refused client never sends its body.
 *
 * A request that has no body (no Content-Length and no Transfer-Encoding, or
 * Content-Length 0), or whose body the fast path read already, is answered
 * synchronously, without waiting for a stream. Otherwise the returned
 * promise settles once the body is read and checked.
 */
export function receiveSigned(ctx: RequestContext, req: Incoming, res: Outgoing, request: SignedRequest): string | Promise<string> {
  const { credentials } = ctx;
  const region = ctx.world.region;
  // A client that corrected its clock to the endpoint's Date header signs with the endpoint's time.
  const now = [Date.now(), ctx.world.clockMs()];
  const checked = checkAuthorization(req.headers, credentials, region, request.services, now);
  // The SDK signs the body's hash: the whole signature is then checked now, the body against the hash later.
  const signedHash = signsPayloadHash(req.headers, checked);
  const unread: IncomingSigned = {
    method: request.method,
    path: request.path,
    query: request.query,
    headers: req.headers,
    body: undefined,
  };
  if (signedHash) verifyChecked(unread, checked, credentials, region);
  // Read whole by the fast path (never over MAX_BODY: node:http serves those).
  if (req instanceof BufferedRequest) return checkedBody(req, unread, checked, ctx, signedHash, req.body.toString("utf8"));
  const declared = declaredLength(req);
  if (declared !== undefined && declared > MAX_BODY) throw tooLarge(request);
  if (expectsContinue(req)) res.writeContinue();
  if (declared === 0 || (declared === undefined && req.headers["transfer-encoding"] === undefined)) {
    // Nothing to read (RFC 9112: without either header, a request has no body).
    return checkedBody(req, unread, checked, ctx, signedHash, "");
  }
  return readBody(req).then((read) => {
    if (read.tooLarge) throw tooLarge(request);
    return checkedBody(req, unread, checked, ctx, signedHash, read.body.toString("utf8"));
  });
}

const tooLarge = (request: SignedRequest) => new BadRequest(request.tooLargeCode, `Request body exceeds the ${MAX_BODY} byte limit.`);

/** The body, once checked against the signed payload hash, or with the whole signature when it did not cover the hash. */
function checkedBody(
  req: Incoming,
  unread: IncomingSigned,
  checked: CheckedAuthorization,
  ctx: RequestContext,
  signedHash: boolean,
  body: string,
): string {
  if (signedHash) checkPayloadHash(req.headers, body);
  else verifyChecked({ ...unread, body }, checked, ctx.credentials, ctx.world.region);
  return body;
}

/**
 * Before answering a request refused on its headers: the body the client may
 * still send is discarded as it arrives (never stored), so that the client
 * reads the answer and the connection serves its next request; beyond
 * HARD_BODY_LIMIT (declared or received) the connection is closed after the
 * answer instead. The server's requestTimeout bounds how long this lasts.
 */
export function discardUnread(req: Incoming, res: Outgoing): void {
  if (req instanceof BufferedRequest || req.complete || req.destroyed || req.listenerCount("data") > 0) return;
  const declared = declaredLength(req);
  // A client that waits for 100 Continue never sends the body: the connection cannot carry another request.
  if (expectsContinue(req) || (declared !== undefined && declared > HARD_BODY_LIMIT)) {
    // Node ends the connection once the answer is written, without reading the body.
    if (!res.headersSent) res.setHeader("connection", "close");
    return;
  }
  let discarded = 0;
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > HARD_BODY_LIMIT) req.socket.destroy();
  });
  req.on("error", () => {});
  req.resume();
}

function expectsContinue(req: Incoming): boolean {
  return /\b100-continue\b/i.test(String(req.headers.expect ?? ""));
}
