/**
 * The one place that builds IoT clients: credentials, retries, concurrency,
 * the preview's read-only guard, and clear errors for a missing region or
 * credentials and for responses that are not the API's.
 *
 * Clients are shared per location and credentials, so the rate limiter of
 * each operation (src/provider/pacing.ts) sees all of its traffic to one
 * account and region.
 */
import { IoTClient } from "./iot-sdk.ts";
import { fromIni, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { AdaptiveRetryStrategy } from "@smithy/core/retry";
import type { Secret } from "alchemy";
import { NO_CREDENTIALS, NO_REGION } from "../runtime/failure.ts";
import { assertMayWrite } from "../runtime/fence.ts";
import { assertIsolated, currentMode, type SharedEndpoint } from "../runtime/registry.ts";
import { pacedRetryStrategy } from "./pacing.ts";
import { Semaphore } from "./semaphore.ts";

/** Retries: the SDK's adaptive mode (a client-side rate limiter that adapts to throttling). */
export const RETRY = { retryMode: "adaptive", maxAttempts: 10 } as const;

/**
 * An IoT client's retries: the SDK's adaptive strategy with 10 attempts, its
 * rate limiter a Pacer of its own (src/provider/pacing.ts), which sends at
 * IoT's rate once IoT throttles. Each client gets its own: the provider sends
 * each operation through a client of its own (perOperation, below).
 */
export function retryConfig(): { maxAttempts: number; retryStrategy: AdaptiveRetryStrategy } {
  return {
    maxAttempts: RETRY.maxAttempts,
    retryStrategy: pacedRetryStrategy(RETRY.maxAttempts),
  };
}

/**
 * Operations one client runs at once. The SDK paces attempts once IoT
 * throttles, but does not bound how many operations a deploy starts: a
 * program that declares a thousand templates with Promise.all would send a
 * thousand requests in the same millisecond, exhaust the SDK's retry quota
 * on the throttled burst, and fail. A small cap keeps the burst within what
 * the adaptive limiter can absorb. (Waiting for a slot is not an attempt.)
 */
export const MAX_CONCURRENT_OPERATIONS = Number(process.env.ALCHEMY_IOT_MAX_CONCURRENCY ?? 16);

/** Client settings, as IoTClientProps has them. */
export interface Settings {
  region?: string;
  profile?: string;
  accessKeyId?: Secret<string> | string;
  secretAccessKey?: Secret<string> | string;
  sessionToken?: Secret<string> | string;
  roleArn?: string;
  externalId?: string;
  roleSessionName?: string;
  endpoint?: string;
}

/** A region or credentials that cannot be found: the message says what to set, and how to work without AWS. */
export class IoTConfigurationError extends Error {
  override name = "IoTConfigurationError";
}

/** A response the SDK could not read (e.g. an HTML error page from a proxy): what was called and what came back. */
export class UnreadableResponseError extends Error {
  override name = "UnreadableResponseError";
}

const clients = new Map<string, IoTClient>();

function cachedClient(key: string, make: () => IoTClient): IoTClient {
  let client = clients.get(key);
  if (!client) {
    client = perOperation(make);
    clients.set(key, client);
  }
  return client;
}

/** The client of the embedded (or any in-process) local endpoint. */
export function localClient(local: SharedEndpoint): IoTClient {
  return cachedClient(
    `local|${local.endpoint}`,
    () => new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials, ...retryConfig() }),
  );
}

const reveal = (v: Secret<string> | string | undefined) => (v === undefined ? undefined : typeof v === "string" ? v : v.unencrypted);

/** The client for AWS or a custom endpoint, and its region (checked, with its credentials, before any call). */
export async function clientFor(settings: Settings): Promise<{ client: IoTClient; region: string }> {
  const accessKeyId = reveal(settings.accessKeyId);
  const secretAccessKey = reveal(settings.secretAccessKey);
  const sessionToken = reveal(settings.sessionToken);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new IoTConfigurationError("IoT client settings: accessKeyId and secretAccessKey must be given together.");
  }
  let credentials: IoTClient["config"]["credentials"] | { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  if (accessKeyId !== undefined) credentials = { accessKeyId, secretAccessKey: secretAccessKey!, sessionToken };
  else if (settings.profile !== undefined) credentials = fromIni({ profile: settings.profile });
  if (settings.roleArn !== undefined) {
    credentials = fromTemporaryCredentials({
      params: {
        RoleArn: settings.roleArn,
        RoleSessionName: settings.roleSessionName ?? "alchemy-iot-jobs",
        ExternalId: settings.externalId,
      },
      masterCredentials: credentials as any,
      clientConfig: settings.region ? { region: settings.region } : undefined,
    });
  }
  const region = settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const endpoint = settings.endpoint;
  const identity = [endpoint ?? "aws", region ?? "", accessKeyId ?? "", settings.profile ?? "", settings.roleArn ?? ""].join("|");
  const client = cachedClient(
    identity,
    () =>
      new IoTClient({
        ...(region ? { region } : {}),
        ...(endpoint ? { endpoint } : {}),
        ...(credentials ? { credentials: credentials as any } : {}),
        ...(settings.profile && !credentials ? { profile: settings.profile } : {}),
        ...retryConfig(),
      }),
  );
  return { client, region: await checkedConfig(client) };
}

const checked = new WeakMap<IoTClient, Promise<string>>();

/**
 * The client's region, with its credentials resolved once, so that a missing
 * region or missing credentials fail before any resource is touched, with a
 * message naming what to set (instead of the SDK's "Region is missing" at the
 * first call). The SDK caches what its providers return, so nothing is resolved twice.
 */
function checkedConfig(client: IoTClient): Promise<string> {
  let result = checked.get(client);
  if (!result) {
    result = (async () => {
      // The messages say all there is to say (the SDK's own is quoted), so they carry no `cause` for loggers to repeat.
      const region = await client.config.region().catch(() => {
        throw new IoTConfigurationError(NO_REGION);
      });
      await client.config.credentials().catch((error: unknown) => {
        throw new IoTConfigurationError(`${NO_CREDENTIALS} (the SDK said: ${(error as Error).message})`);
      });
      return region;
    })();
    result.catch(() => checked.delete(client));
    checked.set(client, result);
  }
  return result;
}

/** Forgets every client (tests; a normal process just exits). */
export function forgetClients(): void {
  for (const c of clients.values()) c.destroy();
  clients.clear();
}

/**
 * An IoT client that sends each API operation through its own SDK client.
 *
 * IoT rate-limits every API separately (10 requests per second each for the
 * jobs APIs), while the SDK's adaptive retry mode keeps one rate limiter per
 * client. With one client, throttling on CreateJobTemplate would also slow
 * DescribeJobTemplate, and a deploy would run at the rate of one API instead
 * of each at its own. So each operation gets a client of its own, built with
 * the same configuration, and therefore its own pacer, retry quota and
 * concurrency cap.
 */
function perOperation(make: () => IoTClient): IoTClient {
  const router = make();
  const byOperation = new Map<string, IoTClient>();
  const forCommand = (command: object) => {
    const name = command.constructor.name;
    let client = byOperation.get(name);
    if (!client) {
      client = make();
      guardPreview(client);
      guardIsolation(client, "IoT");
      explainUnreadableResponses(client);
      limitConcurrency(client, MAX_CONCURRENT_OPERATIONS);
      byOperation.set(name, client);
    }
    return client;
  };
  guardPreview(router);
  guardIsolation(router, "IoT");
  const send = ((command: Parameters<IoTClient["send"]>[0], ...rest: unknown[]) =>
    (forCommand(command).send as (...args: unknown[]) => unknown)(command, ...rest)) as IoTClient["send"];
  router.send = send;
  const destroy = router.destroy.bind(router);
  router.destroy = () => {
    for (const c of byOperation.values()) c.destroy();
    destroy();
  };
  return router;
}

/** Caps the operations a client runs at once (the whole operation, retries included). */
export function limitConcurrency(client: IoTClient, size: number): void {
  const slots = new Semaphore(size);
  client.middlewareStack.add(
    (next) => async (args) => {
      const release = await slots.acquire();
      try {
        return await next(args);
      } finally {
        release();
      }
    },
    { step: "initialize", name: "alchemyIotConcurrency", priority: "high" },
  );
}

/** During a preview, a client refuses every call that is not a Describe, List or Get (it would change something). */
export function guardPreview(client: IoTClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "";
      if (currentMode() === "preview" && !/^(Describe|List|Get)/.test(command.replace(/Command$/, ""))) {
        throw new Error(`A preview must not change anything, but ${command.replace(/Command$/, "")} was about to be called.`);
      }
      return next(args);
    },
    { step: "initialize", name: "alchemyIotPreviewGuard" },
  );
}

interface Guardable {
  middlewareStack: {
    add(
      middleware: (next: (args: any) => Promise<any>, context: { commandName?: string }) => (args: any) => Promise<any>,
      options: object,
    ): void;
  };
}

/**
 * Checked on every request (every attempt, retries included, after the SDK
 * resolved where it goes: an explicit endpoint, AWS_ENDPOINT_URL_*, or AWS):
 *
 * - while a rehearsal runs, a request that would go anywhere but the
 *   rehearsal's endpoint is refused; a copy of the package that cannot follow
 *   the preview or rehearsal in progress refuses every request
 *   (src/runtime/registry.ts);
 * - a request that changes something is sent only while the process still
 *   holds its stage's lease (src/runtime/fence.ts): a holder that lost it
 *   sends nothing more.
 */
export function guardIsolation(client: Guardable, service: string): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? "call").replace(/Command$/, "");
      const request = args.request as { protocol?: string; hostname?: string; port?: number } | undefined;
      const url = request?.hostname
        ? `${request.protocol ?? "https:"}//${request.hostname}${request.port ? `:${request.port}` : ""}`
        : undefined;
      assertIsolated(url, `${service} ${operation}`);
      if (!/^(Describe|List|Get)/.test(operation)) assertMayWrite(`${service} ${operation}`);
      return next(args);
    },
    { step: "finalizeRequest", name: "alchemyIotIsolation", priority: "low" },
  );
}

/**
 * When a response is not the API's JSON (an HTML page from a proxy, another
 * service on the port), the SDK throws a bare SyntaxError. Say instead which
 * call got what: the operation, the HTTP status and a short excerpt.
 */
export function explainUnreadableResponses(client: IoTClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
        if (e?.name !== "SyntaxError" || !e.$metadata) throw error;
        const operation = (context.commandName ?? "the call").replace(/Command$/, "");
        const excerpt = /"([^"]*)"\.{3} is not valid JSON/.exec(e.message ?? "")?.[1] ?? (e.message ?? "").split("\n")[0].slice(0, 80);
        const status = e.$metadata.httpStatusCode;
        const answered = `${operation}: the IoT endpoint answered HTTP ${status ?? "?"} with a body that is not the API's (it starts ${JSON.stringify(excerpt)}).`;
        // An error page for a call of the API's own shape: an emulator that lacks the operation answers so (moto: HTTP 500).
        const unserved = status === 404 || status === 405 || status === 500 || status === 501;
        throw new UnreadableResponseError(
          unserved
            ? `${answered} The endpoint does not serve ${operation}, it seems: an emulator that lacks an operation answers so ` +
                `(moto, for one, has no ${operation === "UpdateJob" || operation === "ListTagsForResource" ? operation : "UpdateJob or ListTagsForResource"}). ` +
                `Use an endpoint that serves every operation the provider calls (the package's local endpoint does: docs/local-endpoint.md), ` +
                `or check the endpoint and network settings. Whether the call took effect is unknown.`
            : `${answered} Something other than the AWS IoT API answered (a proxy, or another ` +
                `service at the endpoint): check the endpoint and network settings. Whether the call took effect is unknown.`,
        );
      }
    },
    { step: "initialize", name: "alchemyIotUnreadableResponses", priority: "low" },
  );
}
