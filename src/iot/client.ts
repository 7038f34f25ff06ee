/**
 * The one place that builds IoT clients.
 *
 * Where a resource's IoT calls go (its *target*) is decided, in order, by:
 *   1. an explicit `endpoint` (resource props, then scope settings);
 *   2. local mode: `local: true` in props or scope settings, Alchemy's local
 *      mode (`--local` / `--dev`, i.e. `scope.local`), or ALCHEMY_IOT_LOCAL=1:
 *      the embedded local IoT Jobs endpoint, started on demand in this process
 *      on a free loopback port, its data kept under `.alchemy/local-iot/`;
 *   3. otherwise AWS, through the standard credential chain. The SDK itself
 *      honours AWS_ENDPOINT_URL_IOT / AWS_ENDPOINT_URL.
 *
 * Credentials and region follow Alchemy's AwsClientProps precedence:
 * environment < scope (`aws` and `iot` settings of the enclosing
 * `alchemy(...)` / `alchemy.run(...)` scopes) < resource props.
 * Clients are shared per target and credentials, so the SDK's adaptive retry
 * rate limiter sees all the traffic that goes to one account and region.
 */
import path from "node:path";
import { IoTClient } from "@aws-sdk/client-iot";
import { fromIni, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { Scope, Secret } from "alchemy";
import type { AwsClientProps } from "alchemy/aws";
import type { LocalIoT } from "../local/server.ts";
import { currentRecorder, previewing } from "./plan-hooks.ts";
import { Semaphore } from "./wait.ts";
import { NO_CREDENTIALS, NO_REGION } from "../failure.ts";

/**
 * Where and how a resource talks to IoT. Every member can also be set for a
 * whole scope: `alchemy("app", { iot: { local: true } })` or
 * `alchemy.run("eu", { aws: { region: "eu-west-1" } }, ...)`.
 */
export interface IoTClientProps extends AwsClientProps {
  /**
   * Send IoT calls to this URL instead of AWS (e.g. a standalone local
   * endpoint: `npx alchemy-iot-jobs local`).
   */
  endpoint?: string;
  /**
   * Use the embedded local IoT Jobs endpoint.
   * @default true in Alchemy's local mode (`--local` / `--dev`), otherwise false
   */
  local?: boolean;
}

/** Where a resource's IoT calls go; stored in outputs so updates and deletes use the same place. */
export interface IoTTarget {
  kind: "aws" | "local" | "endpoint";
  region: string;
  /** Stable identity of the target: "aws", "local" or the endpoint URL. */
  key: string;
  /** One-line description for logs. */
  description: string;
  endpoint?: string;
  /** The embedded endpoint, when the target is local (for tests and tools). */
  local?: LocalIoT;
}

export interface ResolvedIoT {
  client: IoTClient;
  target: IoTTarget;
}

export const IOT_CLIENT_KEYS = [
  "region",
  "profile",
  "accessKeyId",
  "secretAccessKey",
  "sessionToken",
  "roleArn",
  "externalId",
  "roleSessionName",
  "endpoint",
  "local",
] as const satisfies readonly (keyof IoTClientProps)[];

/** Retries: the SDK's adaptive mode (a client-side rate limiter that adapts to throttling). */
export const RETRY = { retryMode: "adaptive", maxAttempts: 10 } as const;

/**
 * Operations one client runs at once. The SDK paces attempts once IoT
 * throttles, but does not bound how many operations a deploy starts: a
 * program that declares a thousand templates with Promise.all would send a
 * thousand requests in the same millisecond, exhaust the SDK's retry quota
 * on the throttled burst, and fail. A small cap keeps the burst within what
 * the adaptive limiter can absorb. (Waiting for a slot is not an attempt.)
 */
export const MAX_CONCURRENT_OPERATIONS = Number(process.env.ALCHEMY_IOT_MAX_CONCURRENCY ?? 16);

const reveal = (v: Secret<string> | string | undefined) =>
  v === undefined ? undefined : typeof v === "string" ? v : v.unencrypted;

/** Scope settings from the root down to `scope` (inner scopes win). */
function scopeSettings(scope: Scope | undefined): IoTClientProps {
  const chain: Scope[] = [];
  for (let s = scope; s; s = s.parent) chain.unshift(s);
  const merged: IoTClientProps = {};
  for (const s of chain) {
    const creds = s.providerCredentials as { aws?: IoTClientProps; iot?: IoTClientProps } | undefined;
    Object.assign(merged, defined(creds?.aws ?? {}), defined(creds?.iot ?? {}));
  }
  return merged;
}

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Picks the client settings out of a resource's props. */
export function clientProps(props: object | undefined): IoTClientProps {
  const out: Record<string, unknown> = {};
  for (const key of IOT_CLIENT_KEYS) {
    const v = (props as Record<string, unknown> | undefined)?.[key];
    if (v !== undefined) out[key] = v;
  }
  return out as IoTClientProps;
}

// ------------------------------------------------------------------ embedded local endpoint

const embedded = new Map<string, Promise<LocalIoT>>();

/** The directory holding the embedded endpoint's data for an Alchemy project. */
export function localDataFile(dotAlchemy: string): string {
  return path.join(dotAlchemy, "local-iot", "endpoint.json");
}

/**
 * Starts (once per process and data file) the embedded endpoint. It does not
 * keep the process alive, and every write reaches its file before the call
 * that made it returns, so nothing is lost when the process ends.
 */
export function embeddedLocalIoT(dotAlchemy: string): Promise<LocalIoT> {
  const file = localDataFile(dotAlchemy);
  let started = embedded.get(file);
  if (!started) {
    // Loaded on first use: a deploy to AWS never loads the emulator.
    started = import("../local/server.ts").then(({ startLocalIoT }) => startLocalIoT({ port: 0, persistPath: file, unref: true }));
    embedded.set(file, started);
    started.catch(() => embedded.delete(file));
  }
  return started;
}

/** What a resource's output records about where it was deployed. */
export interface DeployedWhere {
  target?: string;
  /** The embedded endpoint's instance id, for resources deployed to it. */
  localInstance?: string;
}

/**
 * A resource recorded as deployed to the embedded endpoint whose data is not
 * there any more (its data file was deleted or replaced: the endpoint now has
 * another instance id). Going on would quietly create everything again, so
 * stop and say so.
 */
export async function assertLocalDataPresent(output: DeployedWhere | undefined, scope: Scope, label: string): Promise<void> {
  if (output?.target !== "local" || !output.localInstance) return;
  const local = await embeddedLocalIoT(scope.dotAlchemy);
  if (local.instanceId === output.localInstance) return;
  const file = localDataFile(scope.dotAlchemy);
  throw new Error(
    `${label} is recorded in Alchemy's state as deployed to the local IoT endpoint, but the endpoint's data file ` +
      `${path.relative(process.cwd(), file) || file} is not the one it was deployed to (it was deleted or replaced). ` +
      `Nothing was changed. Restore the file; or, to start the local stage over, remove its Alchemy state ` +
      `(${path.relative(process.cwd(), path.join(scope.dotAlchemy, ...scope.chain)) || "the stage directory"}) and deploy again.`,
  );
}

/** The output field that records the embedded endpoint's instance (nothing for other targets). */
export function localInstanceOf(target: IoTTarget): DeployedWhere {
  return target.kind === "local" && target.local ? { localInstance: target.local.instanceId } : {};
}

/** Stops embedded endpoints (tests; a normal process just exits). */
export async function stopEmbeddedEndpoints(): Promise<void> {
  const all = [...embedded.values()];
  embedded.clear();
  clients.clear();
  await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.stop()));
}

// ------------------------------------------------------------------ clients

const clients = new Map<string, IoTClient>();
const announced = new Set<string>();

function cachedClient(key: string, make: () => IoTClient): IoTClient {
  let client = clients.get(key);
  if (!client) {
    client = perOperation(make);
    clients.set(key, client);
  }
  return client;
}

/**
 * An IoT client that sends each API operation through its own SDK client.
 *
 * IoT rate-limits every API separately (10 requests per second each for the
 * jobs APIs), while the SDK's adaptive retry mode keeps one rate limiter per
 * client. With one client, throttling on CreateJobTemplate would also slow
 * DescribeJobTemplate, and a deploy would run at the rate of one API instead
 * of each at its own. So each operation gets a client of its own, built with
 * the same configuration, and therefore its own adaptive limiter, retry quota
 * and concurrency cap.
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
      limitConcurrency(client, MAX_CONCURRENT_OPERATIONS);
      byOperation.set(name, client);
    }
    return client;
  };
  guardPreview(router);
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
      if (previewing() && !/^(Describe|List|Get)/.test(command.replace(/Command$/, ""))) {
        throw new Error(`A preview must not change anything, but ${command.replace(/Command$/, "")} was about to be called.`);
      }
      return next(args);
    },
    { step: "initialize", name: "alchemyIotPreviewGuard" },
  );
}

/** A region or credentials that cannot be found: the message says what to set, and how to work without AWS. */
export class IoTConfigurationError extends Error {
  override name = "IoTConfigurationError";
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

function isLocalMode(settings: IoTClientProps, scope: Scope | undefined): boolean {
  if (settings.local !== undefined) return settings.local;
  if (process.env.ALCHEMY_IOT_LOCAL === "1" || process.env.ALCHEMY_IOT_LOCAL === "true") return true;
  return scope?.local ?? false;
}

/**
 * A synchronous fingerprint of where a resource's calls go ("local",
 * "aws|us-east-1", "http://host:port|us-east-1"). The resource wrappers add
 * it to the props Alchemy stores, so that pointing a stack elsewhere (local
 * endpoint -> AWS, another region) makes Alchemy run the handlers, which then
 * move the resources, instead of skipping them as unchanged.
 */
export function targetFingerprint(props: object | undefined, scope: Scope | undefined): string {
  const settings: IoTClientProps = { ...scopeSettings(scope), ...defined(clientProps(props)) };
  const region = settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "";
  if (settings.endpoint !== undefined) return `${settings.endpoint}|${region}`;
  if (isLocalMode(settings, scope)) return "local";
  return `aws|${region}`;
}

/**
 * Resolves the target and client for a resource.
 * @param props the resource's props (client settings are picked out of them)
 * @param scope the scope the resource was declared in (for scope settings and local mode)
 */
export async function resolveIoT(props: object | undefined, scope: Scope | undefined): Promise<ResolvedIoT> {
  const settings: IoTClientProps = { ...scopeSettings(scope), ...defined(clientProps(props)) };
  const resolved = await resolveSettings(settings, scope);
  if (!announced.has(resolved.target.description)) {
    announced.add(resolved.target.description);
    scope?.logger.log(`IoT target: ${resolved.target.description}`);
  }
  currentRecorder()?.target(resolved.target.description);
  return resolved;
}

async function resolveSettings(settings: IoTClientProps, scope: Scope | undefined): Promise<ResolvedIoT> {
  if (settings.endpoint === undefined && isLocalMode(settings, scope)) {
    const dotAlchemy = scope?.dotAlchemy ?? path.resolve(".alchemy");
    const local = await embeddedLocalIoT(dotAlchemy);
    const target: IoTTarget = {
      kind: "local",
      region: local.region,
      key: "local",
      endpoint: local.endpoint,
      local,
      description: `local IoT Jobs endpoint (embedded, data in ${path.relative(process.cwd(), localDataFile(dotAlchemy)) || localDataFile(dotAlchemy)})`,
    };
    const client = cachedClient(`local|${local.endpoint}`, () =>
      new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials, ...RETRY }),
    );
    return { client, target };
  }

  const accessKeyId = reveal(settings.accessKeyId);
  const secretAccessKey = reveal(settings.secretAccessKey);
  const sessionToken = reveal(settings.sessionToken);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new Error("IoT client settings: accessKeyId and secretAccessKey must be given together.");
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
  const identity = [
    endpoint ?? "aws",
    region ?? "",
    accessKeyId ?? "",
    settings.profile ?? "",
    settings.roleArn ?? "",
  ].join("|");
  const client = cachedClient(identity, () =>
    new IoTClient({
      ...(region ? { region } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(credentials ? { credentials: credentials as any } : {}),
      ...(settings.profile && !credentials ? { profile: settings.profile } : {}),
      ...RETRY,
    }),
  );
  const resolvedRegion = await checkedConfig(client);
  if (endpoint) {
    return {
      client,
      target: { kind: "endpoint", region: resolvedRegion, key: endpoint, endpoint, description: `IoT endpoint ${endpoint} (${resolvedRegion})` },
    };
  }
  const envEndpoint = process.env.AWS_ENDPOINT_URL_IOT ?? process.env.AWS_ENDPOINT_URL;
  return {
    client,
    target: {
      kind: "aws",
      region: resolvedRegion,
      key: "aws",
      description: envEndpoint
        ? `AWS IoT API at ${envEndpoint} (from ${process.env.AWS_ENDPOINT_URL_IOT ? "AWS_ENDPOINT_URL_IOT" : "AWS_ENDPOINT_URL"}), region ${resolvedRegion}`
        : `AWS IoT in ${resolvedRegion}${settings.profile ? ` (profile ${settings.profile})` : ""}`,
    },
  };
}
