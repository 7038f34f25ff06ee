/**
 * The S3 side of the S3 state store: one client per region and endpoint for
 * the whole process, the bucket check every store runs once, and the errors a
 * person reads instead of the SDK's.
 *
 * - **Where calls go.** The SDK's own resolution: AWS, or the endpoint in
 *   AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL. With such an endpoint (MinIO, R2,
 *   LocalStack, moto...), buckets are addressed by path
 *   (`<endpoint>/<bucket>/<key>`), as custom endpoints need: they rarely
 *   serve `<bucket>.<host>` names.
 * - **Retries.** The SDK's `standard` mode, 3 attempts, exponential backoff
 *   with jitter and the SDK's retry quota. Not `adaptive`: its client-side
 *   rate limiter may hold any request (the stage lease's renewals go through
 *   the same client) for as long as it likes once S3 throttles, while a
 *   deploy's state traffic is a few small requests per resource. Each attempt
 *   is bounded (connection 5 s, whole request 30 s), so a write never lands
 *   long after it was fenced.
 * - **Fail closed.** A preview's client refuses every call that is not a
 *   read; during a rehearsal every call is refused (a rehearsal starts from
 *   no state and must never reach the team's), whatever copy of this package
 *   runs it (src/runtime/registry.ts).
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { s3Sdk } from "../s3-sdk.ts";
import { assertIsolated, currentMode, IsolationError } from "../registry.ts";

/** Retries: the SDK's standard mode (see above). */
export const RETRY = { retryMode: "standard", maxAttempts: 3 } as const;

/**
 * Bounds on one attempt (milliseconds). A state write checks the stage's
 * lease before each attempt (src/runtime/fence.ts), and the lease's fence
 * closes a quarter of the lease before it expires (15 s of the default 60 s):
 * an attempt must end within that margin, so that a write can never land
 * after another process took the lease over. State objects are small.
 */
export const TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true } as const;

/** A state store's S3 request that failed; the message names the bucket (and key) and what to do. */
export class S3StateError extends Error {
  override name = "S3StateError";
}

/** The endpoint the SDK will use for S3 instead of AWS's, when the environment sets one. */
export function configuredEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === "true") return undefined;
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

const clients = new Map<string, S3Client>();

/** The process's client for `region` (undefined: the SDK's region chain) and the environment's endpoint. */
export function sharedClient(region: string | undefined): S3Client {
  const endpoint = configuredEndpoint();
  const key = `${region ?? ""}|${endpoint ?? ""}`;
  let client = clients.get(key);
  if (!client) {
    client = new (s3Sdk().S3Client)({
      ...(region ? { region } : {}),
      ...(endpoint ? { forcePathStyle: true } : {}),
      ...RETRY,
      requestHandler: TIMEOUTS,
    });
    guard(client);
    clients.set(key, client);
  }
  return client;
}

/** Forgets the shared clients (tests; a normal process just exits). */
export function forgetS3Clients(): void {
  for (const c of clients.values()) c.destroy();
  clients.clear();
}

const READ = /^(Get|List|Head)/;

/** A preview reads and never writes; a rehearsal never reaches S3. */
function guard(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? "call").replace(/Command$/, "");
      if (currentMode() === "preview" && !READ.test(operation)) {
        throw new IsolationError(`A preview must not change anything, but S3 ${operation} was about to be called: nothing was sent.`);
      }
      const request = args.request as { protocol?: string; hostname?: string; port?: number } | undefined;
      const url = request?.hostname
        ? `${request.protocol ?? "https:"}//${request.hostname}${request.port ? `:${request.port}` : ""}`
        : undefined;
      assertIsolated(url, `S3 ${operation}`);
      return next(args);
    },
    { step: "finalizeRequest", name: "alchemyIotS3Guard", priority: "low" },
  );
}

/** What the explanation of a failure may name. */
export interface Where {
  bucket: string;
  /** The object, when the call was about one. */
  key?: string;
  /** The keys the store reads and writes (for the permissions it needs). */
  prefix: string;
  region?: string;
}

const NETWORK = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "TimeoutError"]);

/**
 * The error to throw for an SDK failure of `action` ("read", "write"...):
 * what was called, on which bucket and key, why, and what to do; the SDK's
 * own message is quoted. Errors that are not the SDK's pass through.
 */
export function explain(error: unknown, action: string, where: Where): unknown {
  if (!error || typeof error !== "object" || error instanceof S3StateError) return error;
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
  const name = e.name ?? "Error";
  // Refusals of this package (a lost lease, a preview's or rehearsal's isolation) say all there is to say.
  if (name === "LeaseLostError" || name === "IsolationError") return error;
  const said = `(${name}: ${(e.message || "no message").split("\n")[0]})`;
  const status = e.$metadata?.httpStatusCode;
  const endpoint = configuredEndpoint();
  const at = `${endpoint ? ` at ${endpoint}` : ""}${where.region ? ` (region ${where.region})` : ""}`;
  const object = where.key ? `s3://${where.bucket}/${where.key}` : `S3 bucket "${where.bucket}"`;
  const fail = (text: string) => new S3StateError(text);

  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(e.message ?? "")) {
    return fail(
      `No AWS credentials were found to ${action} ${object}. Set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), ` +
        `or sign in with \`aws sso login\`. ${said}`,
    );
  }
  if (/Region is missing/i.test(e.message ?? "")) {
    return fail(`No AWS region is set to ${action} ${object}: set \`region\` in the S3StateStore options, or AWS_REGION. ${said}`);
  }
  if (name === "NoSuchBucket" || (status === 404 && !where.key && name !== "NoSuchKey")) {
    return fail(
      `S3 bucket "${where.bucket}" does not exist${at}: create it (with versioning, to keep the state's history), or set \`bucketName\`. ${said}`,
    );
  }
  if (status === 403 || ["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"].includes(name)) {
    return fail(
      `Access to ${object}${at} was denied, so the state could not be ${action === "read" || action === "list" ? "read" : "written"}. ` +
        `The state store needs s3:ListBucket on the bucket and s3:GetObject, s3:PutObject and s3:DeleteObject on "${where.prefix}*". ${said}`,
    );
  }
  if (status === 301 || name === "PermanentRedirect" || name === "AuthorizationHeaderMalformed") {
    return fail(
      `S3 bucket "${where.bucket}" is in another region than the one used${at}: set \`region\` in the S3StateStore options to the bucket's. ${said}`,
    );
  }
  if (NETWORK.has(name) || (e.code !== undefined && NETWORK.has(e.code))) {
    return fail(
      `S3${at || " (AWS)"} could not be reached to ${action} ${object}, after the SDK's retries: check the network, and AWS_ENDPOINT_URL_S3 if set. ${said}`,
    );
  }
  if (status !== undefined) {
    const detail = [status !== undefined ? `HTTP ${status}` : "", e.$metadata?.requestId ? `request id ${e.$metadata.requestId}` : ""]
      .filter(Boolean)
      .join(", ");
    return fail(`Could not ${action} ${object}${at} ${said}${detail ? ` [${detail}]` : ""}.`);
  }
  return error;
}
