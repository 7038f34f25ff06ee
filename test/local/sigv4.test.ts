/**
 * The endpoint's SigV4 verifier (src/local/protocol/sigv4.ts) against the
 * SDK's signer: what `@smithy/signature-v4` signs verifies, in every form the
 * canonicalisation has to agree on (paths, queries, header values, bodies);
 * anything changed after signing, or signed with another secret, date,
 * region or service, is refused, also once the signing key of the right
 * scope is cached. And the Date header the endpoint answers with.
 */
import { Hash } from "@smithy/hash-node";
import { createHmac, randomBytes } from "node:crypto";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, test } from "vitest";
import { IoTError } from "../../src/local/errors.ts";
import { startLocalIoT } from "../../src/local/index.ts";
import { canonicalPath, SigningKey, verifySignature, type IncomingSigned } from "../../src/local/protocol/sigv4.ts";
import { rawRequest } from "./helpers.ts";

const CREDENTIALS = { accessKeyId: "AKIDSIGV4TEST", secretAccessKey: "the-secret" };
const REGION = "eu-west-1";
const SERVICES = ["iot", "execute-api"];
const WHEN = new Date("2026-03-01T23:55:30Z");

interface Case {
  method: string;
  /** The raw path, as sent (percent-encoded). */
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
}

interface SignOptions {
  secret?: string;
  region?: string;
  service?: string;
  date?: Date;
  /** Leaves x-amz-content-sha256 out, so the signature covers the body itself. */
  noPayloadHeader?: boolean;
}

/** Signs a request as the SDK does, and returns it as the endpoint receives it (lower-case header names). */
async function signed(c: Case, options: SignOptions = {}): Promise<IncomingSigned> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: options.secret ?? CREDENTIALS.secretAccessKey },
    region: options.region ?? REGION,
    service: options.service ?? "iot",
    sha256: Hash.bind(null, "sha256"),
    applyChecksum: !options.noPayloadHeader,
  });
  const request = await signer.sign(
    new HttpRequest({
      method: c.method,
      protocol: "http:",
      hostname: "127.0.0.1",
      port: 4566,
      path: c.path,
      query: c.query,
      headers: { host: "127.0.0.1:4566", ...c.headers },
      body: c.body,
    }),
    { signingDate: options.date ?? WHEN },
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = String(value);
  return { method: c.method, path: c.path, query: c.query ?? {}, headers, body: c.body ?? "" };
}

const verify = (request: IncomingSigned, now: number = WHEN.getTime()) => verifySignature(request, CREDENTIALS, REGION, SERVICES, now);

async function refusal(request: IncomingSigned, now?: number): Promise<string | undefined> {
  try {
    await verify(request, now);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(IoTError);
    return (error as IoTError).code;
  }
}

const CASES: Case[] = [
  { method: "GET", path: "/job-templates/bench-seed-1" },
  { method: "GET", path: "/job-templates", query: { maxResults: "10", nextToken: "a b+c/=d" } },
  { method: "GET", path: "/jobs", query: { status: ["IN_PROGRESS", "COMPLETED"], "thing Group": "g!'()*~" } },
  { method: "GET", path: "/things/a%20b%2Fc" },
  { method: "GET", path: "/things/caf%C3%A9/" },
  { method: "GET", path: "/a/./b/../c//d" },
  { method: "GET", path: "/" },
  { method: "GET", path: "/things/.hidden/..x/..." },
  { method: "DELETE", path: "/job-templates/t-1", query: { "X-Amz-Signature": "ignored", empty: "" } },
  {
    method: "PUT",
    path: "/job-templates/t-1",
    headers: { "content-type": "application/json", "x-custom": "  spaced   out\tvalue  " },
    body: JSON.stringify({ description: "é ü 😀", document: "{}" }),
  },
  { method: "POST", path: "/things/t", headers: { "content-type": "application/json" }, body: "" },
];

describe("the verifier agrees with the SDK's signer", () => {
  test.each(CASES.map((c) => [`${c.method} ${c.path}`, c] as const))(
    "%s verifies, with and without a signed payload hash",
    async (_, c) => {
      await expect(verify(await signed(c))).resolves.toBeUndefined();
      await expect(verify(await signed(c, { noPayloadHeader: true }))).resolves.toBeUndefined();
    },
  );

  test("the canonical path is the signer's, plain or not", () => {
    const signer = new SignatureV4({ credentials: CREDENTIALS, region: REGION, service: "iot", sha256: Hash.bind(null, "sha256") });
    const theirs = (path: string) => (signer as unknown as { getCanonicalPath(r: { path: string }): string }).getCanonicalPath({ path });
    for (const path of [
      "/",
      "/jobs",
      "/jobs/",
      "/jobs/a.b",
      "/jobs/.a",
      "/jobs/..a",
      "/jobs/...",
      "/jobs/.",
      "/jobs/..",
      "/jobs//x",
      "/jobs/a%2Fb",
      "/jobs/a~b_c-d",
      "/jobs/a!b",
      "/x/../../y/",
      "//",
    ]) {
      expect(canonicalPath(path), path).toBe(theirs(path));
    }
  });

  test("a SignedHeaders list out of order or with a name repeated is canonicalised sorted, as the signer does", async () => {
    const put = await signed(CASES[9]);
    const authorization = put.headers.authorization as string;
    const list = /SignedHeaders=([^,]+)/.exec(authorization)![1].split(";");
    for (const reordered of [[...list].reverse(), [...list, list[0]], [list[1], ...list]]) {
      const headers = {
        ...put.headers,
        authorization: authorization.replace(/SignedHeaders=[^,]+/, `SignedHeaders=${reordered.join(";")}`),
      };
      await expect(verify({ ...put, headers })).resolves.toBeUndefined();
    }
  });

  test("a session token is signed as the signer signs it", async () => {
    const sessionToken = "the-session-token";
    const signer = new SignatureV4({
      credentials: { ...CREDENTIALS, sessionToken },
      region: REGION,
      service: "iot",
      sha256: Hash.bind(null, "sha256"),
    });
    const request = await signer.sign(
      new HttpRequest({
        method: "GET",
        protocol: "http:",
        hostname: "127.0.0.1",
        port: 4566,
        path: "/jobs",
        headers: { host: "127.0.0.1:4566" },
      }),
      { signingDate: WHEN },
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = String(value);
    expect(headers["x-amz-security-token"]).toBe(sessionToken);
    const incoming: IncomingSigned = { method: "GET", path: "/jobs", query: {}, headers, body: "" };
    const same = { ...CREDENTIALS, sessionToken };
    await expect(verifySignature(incoming, same, REGION, SERVICES, WHEN.getTime())).resolves.toBeUndefined();
    const other = { ...CREDENTIALS, sessionToken: "another-token" };
    await expect(verifySignature(incoming, other, REGION, SERVICES, WHEN.getTime())).rejects.toBeInstanceOf(IoTError);
  });
});

describe("what the verifier refuses", () => {
  test("a request changed after signing: method, path, query, a signed header, the body", async () => {
    const put = CASES[9];
    const ok = await signed(put);
    expect(await refusal({ ...ok, method: "POST" })).toBe("InvalidSignatureException");
    expect(await refusal({ ...ok, path: "/job-templates/t-2" })).toBe("InvalidSignatureException");
    expect(await refusal({ ...ok, query: { extra: "1" } })).toBe("InvalidSignatureException");
    expect(await refusal({ ...ok, headers: { ...ok.headers, "content-type": "text/plain" } })).toBe("InvalidSignatureException");
    expect(await refusal({ ...ok, body: `${ok.body} ` })).toBe("InvalidSignatureException");
    // Without a signed payload hash the body is in the signature itself.
    const bare = await signed(put, { noPayloadHeader: true });
    expect(await refusal({ ...bare, body: "{}" })).toBe("InvalidSignatureException");
  });

  test("a cached signing key serves only its own scope: secret, date, region and service", async () => {
    const get = CASES[0];
    // The right key for this date, region and service is now cached.
    await expect(verify(await signed(get))).resolves.toBeUndefined();
    expect(await refusal(await signed(get, { secret: "another-secret" }))).toBe("InvalidSignatureException");
    expect(await refusal(await signed(get, { region: "us-east-1" }))).toBe("InvalidSignatureException");
    expect(await refusal(await signed(get, { service: "iotdata" }))).toBe("InvalidSignatureException");

    // Another accepted service has its own key: right secret passes, wrong secret does not.
    await expect(verify(await signed(get, { service: "execute-api" }))).resolves.toBeUndefined();
    expect(await refusal(await signed(get, { service: "execute-api", secret: "another-secret" }))).toBe("InvalidSignatureException");
    // A scope claiming one service with a signature made for the other.
    const iot = await signed(get);
    const claimed = {
      ...iot,
      headers: { ...iot.headers, authorization: String(iot.headers.authorization).replace("/iot/", "/execute-api/") },
    };
    expect(await refusal(claimed)).toBe("InvalidSignatureException");

    // Ten minutes later it is the next day (another key); both dates are within the 15 minutes allowed.
    const nextDay = new Date(WHEN.getTime() + 10 * 60_000);
    await expect(verify(await signed(get, { date: nextDay }), nextDay.getTime())).resolves.toBeUndefined();
    expect(await refusal(await signed(get, { date: nextDay, secret: "another-secret" }), nextDay.getTime())).toBe(
      "InvalidSignatureException",
    );
    // The credential scope's date must be the X-Amz-Date's: a signature scoped to yesterday does not pass for today.
    const yesterday = await signed(get);
    const moved = { ...yesterday, headers: { ...yesterday.headers, "x-amz-date": "20260302T000530Z" } };
    expect(await refusal(moved, nextDay.getTime())).toBe("InvalidSignatureException");
  });

  test("a signed header that is missing, and a request too far from the server's time", async () => {
    const put = await signed(CASES[9]);
    const { "content-type": _dropped, ...rest } = put.headers;
    expect(await refusal({ ...put, headers: rest })).toBe("InvalidSignatureException");
    expect(await refusal(put, WHEN.getTime() + 16 * 60_000)).toBe("InvalidSignatureException");
  });
});

describe("the Date header", () => {
  test("is the endpoint's clock, on answers and errors alike", async () => {
    const at = Date.UTC(2031, 4, 6, 7, 8, 9);
    const local = await startLocalIoT({ virtualClock: at });
    try {
      const ok = await rawRequest(local, { method: "GET", path: "/job-templates", signingDate: new Date(at) });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("date")).toBe(new Date(at).toUTCString());
      expect(ok.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
      local.advanceTime(61_000);
      const missing = await rawRequest(local, { method: "GET", path: "/job-templates/nope", signingDate: new Date(at + 61_000) });
      expect(missing.status).toBe(404);
      expect(missing.headers.get("date")).toBe(new Date(at + 61_000).toUTCString());
    } finally {
      await local.stop();
    }
  });
});

describe("SigningKey", () => {
  test("signs as node:crypto's HMAC-SHA256 does, for keys shorter than, as long as and longer than a block, and any text", () => {
    const texts = ["", "AWS4-HMAC-SHA256\n20261207T120000Z\nscope\nhash", "é ü 𝄞 ".repeat(40), "x".repeat(1000)];
    for (const length of [1, 32, 64, 65, 200]) {
      const key = randomBytes(length);
      for (const text of texts) {
        expect(new SigningKey(key).sign(text).toString("hex"), `key of ${length} bytes`).toBe(
          createHmac("sha256", key).update(text).digest("hex"),
        );
      }
    }
  });
});
