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
  body: string;
}

/** The service a request's Authorization header is scoped to (undefined when it is not a SigV4 header). */
export function signingService(headers: IncomingSigned["headers"]): string | undefined {
  const authorization = header(headers, "authorization");
  return authorization ? AUTH.exec(authorization)?.[4] : undefined;
}

/** Throws a 403 IoTError unless the request carries a valid signature by `credentials`. */
export async function verifySignature(
  request: IncomingSigned,
  credentials: LocalCredentials,
  region: string,
  services: readonly string[],
  now: number = Date.now(),
): Promise<void> {
  const authorization = header(request.headers, "authorization");
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
  const amzDate = header(request.headers, "x-amz-date");
  const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!signingDate) throw new IoTError("InvalidSignatureException", "Missing or malformed X-Amz-Date header.");
  if (Math.abs(signingDate.getTime() - now) > SKEW_MS) {
    throw new IoTError("InvalidSignatureException", "Signature expired: the request time is more than 15 minutes from the server time.");
  }
  const signed = signedHeaderList.split(";");
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = header(request.headers, name);
    if (value === undefined) throw new IoTError("InvalidSignatureException", `Signed header '${name}' is missing.`);
    headers[name] = value;
  }
  // The signer takes a signed x-amz-content-sha256 header as the payload hash
  // without looking at the body, so check that it is the body's hash (the SDK
  // always sends it); otherwise the body could be swapped after signing.
  const payloadHash = headers["x-amz-content-sha256"];
  if (payloadHash !== undefined && payloadHash !== createHash("sha256").update(request.body).digest("hex")) {
    throw new IoTError(
      "InvalidSignatureException",
      "The provided 'x-amz-content-sha256' header does not match what was computed from the request body.",
    );
  }
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
