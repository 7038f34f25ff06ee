/**
 * Verifies AWS Signature Version 4 on incoming requests by re-signing the
 * request as received with the endpoint's credentials (the SDK's own
 * `@smithy/signature-v4`) and comparing signatures.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { IoTError } from "../errors.ts";

export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;
const SKEW_MS = 15 * 60_000;
const sha256 = Hash.bind(null, "sha256");

export interface IncomingSigned {
  method: string;
  /** The raw path as received (still percent-encoded). */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  /** The body; undefined when it is not read yet (the signature must then cover a signed x-amz-content-sha256). */
  body: string | undefined;
}

/** The service a request's Authorization header is scoped to (undefined when it is not a SigV4 header). */
export function signingService(headers: IncomingSigned["headers"]): string | undefined {
  const authorization = header(headers, "authorization");
  return authorization ? AUTH.exec(authorization)?.[4] : undefined;
}

/** A SigV4 Authorization header that passed the checks needing neither the secret nor the body. */
export interface CheckedAuthorization {
  service: string;
  signingDate: Date;
  signedHeaders: string[];
  signature: string;
}

/**
 * The checks that need only the headers: an Authorization header of the
 * right form, the endpoint's access key, a service and region in scope, and
 * a signing date within 15 minutes of `now`. Throws the 403 IoTError AWS
 * answers (MissingAuthenticationToken, IncompleteSignature,
 * UnrecognizedClient, InvalidSignature).
 */
export function checkAuthorization(
  headers: IncomingSigned["headers"],
  credentials: LocalCredentials,
  region: string,
  services: readonly string[],
  now: number | readonly number[] = Date.now(),
): CheckedAuthorization {
  const authorization = header(headers, "authorization");
  if (!authorization) {
    throw new IoTError(
      "MissingAuthenticationTokenException",
      "Missing Authentication Token: requests must be signed with AWS Signature Version 4.",
    );
  }
  const m = AUTH.exec(authorization);
  if (!m) {
    throw new IoTError("IncompleteSignatureException", "Authorization header is not an AWS4-HMAC-SHA256 signature.");
  }
  const [, accessKeyId, , signingRegion, service, signedHeaderList, signature] = m;
  if (accessKeyId !== credentials.accessKeyId) {
    throw new IoTError("UnrecognizedClientException", "The security token included in the request is invalid.");
  }
  if (!services.includes(service)) {
    throw new IoTError("InvalidSignatureException", `Credential should be scoped to a valid service ('${services[0]}'), not '${service}'.`);
  }
  if (signingRegion !== region) {
    throw new IoTError("InvalidSignatureException", `Credential should be scoped to a valid region ('${region}'), not '${signingRegion}'.`);
  }
  const amzDate = header(headers, "x-amz-date");
  const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!signingDate) throw new IoTError("InvalidSignatureException", "Missing or malformed X-Amz-Date header.");
  // The server's time: the machine's, or the endpoint's clock (which its Date header gives, and clients correct to).
  const times = typeof now === "number" ? [now] : now;
  if (times.every((t) => Math.abs(signingDate.getTime() - t) > SKEW_MS)) {
    throw new IoTError("InvalidSignatureException", "Signature expired: the request time is more than 15 minutes from the server time.");
  }
  return { service, signingDate, signedHeaders: signedHeaderList.split(";"), signature };
}

/**
 * Whether the signature covers the body through a signed
 * `x-amz-content-sha256` header (the SDK always sends one): then the
 * signature can be verified before the body is read, and the body checked
 * against that hash afterwards (checkPayloadHash).
 */
export function signsPayloadHash(headers: IncomingSigned["headers"]): boolean {
  const authorization = header(headers, "authorization");
  const signed = authorization ? AUTH.exec(authorization)?.[5] : undefined;
  return (
    signed !== undefined && signed.split(";").includes("x-amz-content-sha256") && header(headers, "x-amz-content-sha256") !== undefined
  );
}

/** Throws a 403 InvalidSignatureException unless the body is what a signed x-amz-content-sha256 header says. */
export function checkPayloadHash(headers: IncomingSigned["headers"], body: string): void {
  const payloadHash = header(headers, "x-amz-content-sha256");
  if (payloadHash !== undefined && payloadHash !== createHash("sha256").update(body).digest("hex")) {
    throw new IoTError(
      "InvalidSignatureException",
      "The provided 'x-amz-content-sha256' header does not match what was computed from the request body.",
    );
  }
}

/**
 * Throws a 403 IoTError unless the request carries a valid signature by
 * `credentials`. Without the body (`body` undefined) the signature must
 * cover a signed x-amz-content-sha256, which the caller then checks against
 * the body (checkPayloadHash).
 */
export async function verifySignature(
  request: IncomingSigned,
  credentials: LocalCredentials,
  region: string,
  services: readonly string[],
  now: number | readonly number[] = Date.now(),
): Promise<void> {
  const {
    service,
    signingDate,
    signedHeaders: signed,
    signature,
  } = checkAuthorization(request.headers, credentials, region, services, now);
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = header(request.headers, name);
    if (value === undefined) throw new IoTError("InvalidSignatureException", `Signed header '${name}' is missing.`);
    headers[name] = value;
  }
  // The signer takes a signed x-amz-content-sha256 header as the payload hash
  // without looking at the body, so check that it is the body's hash (the SDK
  // always sends it); otherwise the body could be swapped after signing.
  if (request.body !== undefined) checkPayloadHash(headers, request.body);
  else if (headers["x-amz-content-sha256"] === undefined)
    throw new Error("verifySignature needs the body: x-amz-content-sha256 is not signed");
  const signer = new SignatureV4({
    credentials,
    region,
    service,
    sha256,
    uriEscapePath: true,
    applyChecksum: signed.includes("x-amz-content-sha256"),
  });
  const [hostname, port] = (headers.host ?? "").split(":");
  const resigned = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: "http:",
      hostname,
      port: port ? Number(port) : undefined,
      path: request.path,
      query: request.query,
      headers,
      body: request.body,
    }),
    { signingDate, signableHeaders: new Set(signed), signingRegion: region, signingService: service },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(String(resigned.headers.authorization))?.[1] ?? "";
  if (expected.length !== signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    throw new IoTError(
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    );
  }
}

function header(headers: IncomingSigned["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}
