/**
 * Verifies AWS Signature Version 4 on incoming requests by computing the
 * request's signature as received, with the endpoint's credentials, and
 * comparing it with the one the client sent. Every request's signature is
 * checked; what the computation can reuse is cached: the signing key derived
 * from (secret key, date, region, service), which AWS's verifiers cache too.
 *
 * The canonical request is built exactly as `@smithy/signature-v4` (the SDK's
 * signer) builds it when re-signing the received request — same path
 * normalisation and escaping, query and header canonicalisation, payload hash
 * — but synchronously with node:crypto, without copying the request (the
 * signer's async hashing and request clones were most of a request's cost).
 * test/local/sigv4.test.ts checks it against the SDK's signer.
 */
import { createHmac, hash, timingSafeEqual } from "node:crypto";
import { IoTError } from "../errors.ts";

export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;
const SKEW_MS = 15 * 60_000;
const PAYLOAD_HASH_HEADER = "x-amz-content-sha256";
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export interface IncomingSigned {
  method: string;
  /** The raw path as received (still percent-encoded). */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  /** The body; undefined when it is not read yet (the signature must then cover a signed x-amz-content-sha256). */
  body: string | undefined;
}

/** The parts of the last Authorization header parsed: the router and the checks read the same header. */
let lastAuthorization: { text: string; parts: RegExpExecArray | null } | undefined;

function parseAuthorization(text: string): RegExpExecArray | null {
  if (lastAuthorization?.text !== text) lastAuthorization = { text, parts: AUTH.exec(text) };
  return lastAuthorization.parts;
}

/** SignedHeaders lists as split, by their text: a client sends the same few lists again and again. Bounded, cleared when full. */
const signedLists = new Map<string, readonly string[]>();
const MAX_SIGNED_LISTS = 256;

/** The SignedHeaders list of an Authorization header, split once per distinct list. */
function signedHeadersOf(parts: RegExpExecArray): readonly string[] {
  const text = parts[5];
  let list = signedLists.get(text);
  if (list === undefined) {
    list = Object.freeze(text.split(";"));
    if (signedLists.size >= MAX_SIGNED_LISTS) signedLists.clear();
    signedLists.set(text, list);
  }
  return list;
}

/** The service a request's Authorization header is scoped to (undefined when it is not a SigV4 header). */
export function signingService(headers: IncomingSigned["headers"]): string | undefined {
  const authorization = header(headers, "authorization");
  return authorization ? parseAuthorization(authorization)?.[4] : undefined;
}

/** A SigV4 Authorization header that passed the checks needing neither the secret nor the body. */
export interface CheckedAuthorization {
  service: string;
  signingDate: Date;
  signedHeaders: readonly string[];
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
  const m = parseAuthorization(authorization);
  if (!m) {
    throw new IoTError("IncompleteSignatureException", "Authorization header is not an AWS4-HMAC-SHA256 signature.");
  }
  const accessKeyId = m[1];
  const signingRegion = m[3];
  const service = m[4];
  const signature = m[6];
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
  const signingDate = amzDate ? signingDateOf(amzDate) : undefined;
  if (!signingDate) throw new IoTError("InvalidSignatureException", "Missing or malformed X-Amz-Date header.");
  // The server's time: the machine's, or the endpoint's clock (which its Date header gives, and clients correct to).
  const t = signingDate.getTime();
  const fresh = typeof now === "number" ? Math.abs(t - now) <= SKEW_MS : now.some((n) => Math.abs(t - n) <= SKEW_MS);
  if (!fresh) {
    throw new IoTError("InvalidSignatureException", "Signature expired: the request time is more than 15 minutes from the server time.");
  }
  return { service, signingDate, signedHeaders: signedHeadersOf(m), signature };
}

/**
 * Whether the signature covers the body through a signed
 * `x-amz-content-sha256` header (the SDK always sends one): then the
 * signature can be verified before the body is read, and the body checked
 * against that hash afterwards (checkPayloadHash).
 */
export function signsPayloadHash(headers: IncomingSigned["headers"], checked?: CheckedAuthorization): boolean {
  let signed = checked?.signedHeaders;
  if (!signed) {
    const authorization = header(headers, "authorization");
    const parts = authorization ? parseAuthorization(authorization) : null;
    signed = parts ? signedHeadersOf(parts) : undefined;
  }
  return signed !== undefined && signed.includes(PAYLOAD_HASH_HEADER) && header(headers, PAYLOAD_HASH_HEADER) !== undefined;
}

/** Throws a 403 InvalidSignatureException unless the body is what a signed x-amz-content-sha256 header says. */
export function checkPayloadHash(headers: IncomingSigned["headers"], body: string): void {
  const payloadHash = header(headers, PAYLOAD_HASH_HEADER);
  if (payloadHash !== undefined && payloadHash !== sha256Hex(body)) {
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
  verifyChecked(request, checkAuthorization(request.headers, credentials, region, services, now), credentials, region);
}

/** Headers the SDK's signer never takes from the request: it sets x-amz-date itself, and drops the others. */
const GENERATED_HEADERS = new Set(["authorization", "x-amz-date", "date"]);

/**
 * verifySignature for an Authorization header checkAuthorization already
 * passed: synchronous, throws the 403 IoTError on a wrong signature.
 */
export function verifyChecked(
  request: IncomingSigned,
  checked: CheckedAuthorization,
  credentials: LocalCredentials & { sessionToken?: string },
  region: string,
): void {
  const { service, signingDate, signedHeaders: signed, signature } = checked;
  const token = typeof credentials.sessionToken === "string" && credentials.sessionToken ? credentials.sessionToken : undefined;
  // The signed headers' names and values, as the signer would see them (the generated ones replaced), sorted.
  const names: string[] = [];
  const values: string[] = [];
  let payloadHash: string | undefined;
  // A signer lists the names sorted: then they need no sorting, nor deduplicating.
  let ascending = true;
  let previous = "";
  for (const name of signed) {
    const value = header(request.headers, name);
    if (typeof value !== "string") throw new IoTError("InvalidSignatureException", `Signed header '${name}' is missing.`);
    if (name === PAYLOAD_HASH_HEADER) payloadHash = value;
    if (name <= previous) ascending = false;
    previous = name;
    if (!GENERATED_HEADERS.has(name) && (token === undefined || name !== SECURITY_TOKEN_HEADER)) {
      names.push(name);
      values.push(value);
    }
  }
  // The signer takes a signed x-amz-content-sha256 header as the payload hash
  // without looking at the body, so check that it is the body's hash (the SDK
  // always sends it); otherwise the body could be swapped after signing.
  if (request.body !== undefined) {
    if (payloadHash !== undefined && payloadHash !== sha256Hex(request.body)) {
      throw new IoTError(
        "InvalidSignatureException",
        "The provided 'x-amz-content-sha256' header does not match what was computed from the request body.",
      );
    }
  } else if (payloadHash === undefined) throw new Error("verifySignature needs the body: x-amz-content-sha256 is not signed");
  const longDate = longDateOf(signingDate);
  const shortDate = longDate.slice(0, 8);
  if (!ascending) sortUnique(names, values);
  insertSorted(names, values, "x-amz-date", longDate);
  if (token !== undefined) insertSorted(names, values, SECURITY_TOKEN_HEADER, token);
  let canonicalHeaders = "";
  let signedList = "";
  for (let i = 0; i < names.length; i++) {
    canonicalHeaders += `${names[i]}:${canonicalHeaderValue(values[i])}\n`;
    signedList += i === 0 ? names[i] : `;${names[i]}`;
  }
  const canonicalRequest = `${request.method}\n${canonicalPath(request.path)}\n${canonicalQuery(request.query)}\n${canonicalHeaders}\n${signedList}\n${payloadHash ?? sha256Hex(request.body ?? "")}`;
  const scope = `${shortDate}/${region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${longDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const expected = signingKey(credentials.secretAccessKey, shortDate, region, service).sign(stringToSign);
  // The header's signature is 64 lower-case hex digits (AUTH), so it decodes to the 32 bytes compared.
  if (signature.length !== 64 || !timingSafeEqual(expected, Buffer.from(signature, "hex"))) {
    throw new IoTError(
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    );
  }
}

const SECURITY_TOKEN_HEADER = "x-amz-security-token";

/** Sorts names (and their values alongside), keeping a repeated name's first value (all of a name's values are the same). */
function sortUnique(names: string[], values: string[]): void {
  const byName = new Map<string, string>();
  for (let i = 0; i < names.length; i++) if (!byName.has(names[i])) byName.set(names[i], values[i]);
  const sorted = [...byName.keys()].sort();
  names.length = 0;
  values.length = 0;
  for (const name of sorted) {
    names.push(name);
    values.push(byName.get(name)!);
  }
}

/** Inserts a name absent from the sorted names at its place, with its value. */
function insertSorted(names: string[], values: string[], name: string, value: string): void {
  let i = names.length;
  while (i > 0 && names[i - 1] > name) i--;
  names.splice(i, 0, name);
  values.splice(i, 0, value);
}

/**
 * Derived signing keys, by secret key, date, region and service: a key is
 * valid for one day's requests in one scope, and four HMACs to derive.
 * Bounded: cleared when full (a day, region or service change adds a key).
 */
const signingKeys = new Map<string, SigningKey>();
const MAX_SIGNING_KEYS = 64;

/**
 * A signing key ready to sign: HMAC-SHA256 (RFC 2104) as two one-shot
 * SHA-256 hashes over the key's inner and outer pads, computed once per key,
 * rather than an HMAC context made for each request (most of a signature
 * check's cost in node:crypto).
 */
export class SigningKey {
  readonly key: Buffer;
  private readonly innerPad: Buffer;
  /** The outer pad, followed by room for the inner hash. */
  private readonly outer: Buffer;

  constructor(key: Buffer) {
    this.key = key;
    // A SHA-256 HMAC key longer than the 64-byte block is hashed first (a derived key is 32 bytes).
    const block = Buffer.alloc(64);
    (key.length > 64 ? hash("sha256", key, "buffer") : key).copy(block);
    this.innerPad = Buffer.alloc(64);
    this.outer = Buffer.alloc(96);
    for (let i = 0; i < 64; i++) {
      this.innerPad[i] = block[i] ^ 0x36;
      this.outer[i] = block[i] ^ 0x5c;
    }
  }

  /** HMAC-SHA256 of a text's UTF-8 bytes. */
  sign(text: string): Buffer {
    const inner = Buffer.allocUnsafe(64 + Buffer.byteLength(text));
    this.innerPad.copy(inner);
    inner.write(text, 64);
    hash("sha256", inner, "buffer").copy(this.outer, 64);
    return hash("sha256", this.outer, "buffer");
  }
}

/** The SigV4 signing key: HMAC("AWS4" + secret, date) chained over region, service and "aws4_request". */
export function signingKey(secret: string, shortDate: string, region: string, service: string): SigningKey {
  const cacheKey = `${shortDate}/${region}/${service}/${secret}`;
  let key = signingKeys.get(cacheKey);
  if (key === undefined) {
    let derived = createHmac("sha256", `AWS4${secret}`).update(shortDate).digest();
    for (const part of [region, service, "aws4_request"]) derived = createHmac("sha256", derived).update(part).digest();
    key = new SigningKey(derived);
    if (signingKeys.size >= MAX_SIGNING_KEYS) signingKeys.clear();
    signingKeys.set(cacheKey, key);
  }
  return key;
}

/** SHA-256 of a text's UTF-8 bytes, in hex (one-shot: no Hash object per call; the empty body's is known). */
function sha256Hex(text: string): string {
  return text === "" ? EMPTY_SHA256 : hash("sha256", text, "hex");
}

/** As the signer: line breaks and runs of spaces or tabs become one space, then one leading and one trailing space go. */
function canonicalHeaderValue(value: string): string {
  if (!/[\r\n\t]| {2}|^ | $/.test(value)) return value;
  return value
    .replace(/[\r\n]/g, " ")
    .replace(/[ \t]+/g, " ")
    .replace(/^ | $/g, "");
}

/** RFC 3986 escaping as the signer's escapeUri: encodeURIComponent, plus !'()* escaped. */
const escapeUri = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** A path that normalises and escapes to itself: segments of unreserved characters, none "." or "..", no empty one. */
const PLAIN_PATH = /^(?:\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*|\.[A-Za-z0-9_~-][A-Za-z0-9._~-]*|\.\.[A-Za-z0-9._~-]+))+\/?$/;

/** The signer's canonical URI (uriEscapePath): "." and ".." resolved, empty segments dropped, then escaped again. */
export function canonicalPath(path: string): string {
  if (path === "/" || PLAIN_PATH.test(path)) return path;
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment.length === 0 || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith("/") ? "/" : ""}${segments.join("/")}${segments.length > 0 && path.endsWith("/") ? "/" : ""}`;
  return escapeUri(normalized).replace(/%2F/g, "/");
}

/** The signer's canonical query: keys and values escaped, sorted by key (a repeated key's pairs sorted), x-amz-signature left out. */
export function canonicalQuery(query: Record<string, string | string[]>): string {
  const keys: string[] = [];
  const serialized: Record<string, string> = {};
  for (const key in query) {
    if (!Object.hasOwn(query, key) || key.toLowerCase() === "x-amz-signature") continue;
    const encodedKey = escapeUri(key);
    keys.push(encodedKey);
    const value = query[key];
    if (typeof value === "string") serialized[encodedKey] = `${encodedKey}=${escapeUri(value)}`;
    else if (Array.isArray(value)) {
      serialized[encodedKey] = value
        .map((v) => `${encodedKey}=${escapeUri(v)}`)
        .sort()
        .join("&");
    }
  }
  if (keys.length === 0) return "";
  return keys
    .sort()
    .map((key) => serialized[key])
    .filter((s) => s)
    .join("&");
}

function header(headers: IncomingSigned["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/**
 * X-Amz-Date headers parsed, and dates formatted as the signer's X-Amz-Date:
 * the requests of a second share them. Bounded, cleared when full.
 */
const signingDates = new Map<string, number>();
const longDates = new Map<number, string>();
const MAX_DATES = 256;

function signingDateOf(text: string): Date | undefined {
  const time = signingDates.get(text);
  if (time !== undefined) return new Date(time);
  const date = parseAmzDate(text);
  if (date) {
    if (signingDates.size >= MAX_DATES) signingDates.clear();
    signingDates.set(text, date.getTime());
  }
  return date;
}

/** The signer's X-Amz-Date for a date: ISO 8601 basic format, to the second. */
function longDateOf(date: Date): string {
  const time = date.getTime();
  let text = longDates.get(time);
  if (text === undefined) {
    text = date
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z")
      .replace(/[-:]/g, "");
    if (longDates.size >= MAX_DATES) longDates.clear();
    longDates.set(time, text);
  }
  return text;
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}
