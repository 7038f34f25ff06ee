/**
 * Where a resource's IoT calls go: its *location*.
 *
 * Decided, in order, by:
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
 */
import fs from "node:fs";
import path from "node:path";
import type { IoTClient } from "@aws-sdk/client-iot";
import type { Scope } from "alchemy";
import type { AwsClientProps } from "alchemy/aws";
import { currentMode, IsolationError, registry, rehearsalEndpoint, setMode, type SharedEndpoint } from "../runtime/registry.ts";
import { clientFor, localClient, type Settings } from "./client.ts";
import type { Location } from "./engine/contract.ts";
import { currentRecorder, previewing } from "./engine/recorder.ts";

export type { Location };

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

export interface Resolved {
  client: IoTClient;
  location: Location;
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

function isLocalMode(settings: IoTClientProps, scope: Scope | undefined): boolean {
  if (settings.local !== undefined) return settings.local;
  if (process.env.ALCHEMY_IOT_LOCAL === "1" || process.env.ALCHEMY_IOT_LOCAL === "true") return true;
  return scope?.local ?? false;
}

/**
 * A synchronous key for where a resource's calls go ("local",
 * "aws|us-east-1", "http://host:port|us-east-1"). The resource wrappers add
 * it to the props Alchemy stores (`__location`), so that pointing a stack
 * elsewhere (local endpoint -> AWS, another region) makes Alchemy run the
 * handlers, which then move the resources, instead of skipping them.
 */
export function locationKey(props: object | undefined, scope: Scope | undefined): string {
  if (rehearsalEndpoint()) return "local";
  const settings: IoTClientProps = { ...scopeSettings(scope), ...defined(clientProps(props)) };
  const region = settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "";
  if (settings.endpoint !== undefined) return `${settings.endpoint}|${region}`;
  if (isLocalMode(settings, scope)) return "local";
  return `aws|${region}`;
}

// ------------------------------------------------------------------ rehearsal

/**
 * A rehearsal (src/rehearsal) sends every resource's calls to its own
 * in-memory endpoint, whatever the program, its scopes or the environment
 * say (endpoint, local, AWS credentials): a rehearsal never reaches the
 * location the program names. The endpoint is kept in the process-wide registry, so every
 * copy of this package in the process follows it (or refuses every call).
 */
export function rehearseOn(local: SharedEndpoint | undefined): void {
  registry().rehearsal = local;
  setMode(local ? "rehearsal" : undefined);
}

// ------------------------------------------------------------------ embedded local endpoint

/** The file holding the embedded endpoint's data for an Alchemy project. */
export function localDataFile(dotAlchemy: string): string {
  return path.join(dotAlchemy, "local-iot", "endpoint.json");
}

/**
 * Starts (once per process and data file) the embedded endpoint. It does not
 * keep the process alive, and every write reaches its file before the call
 * that made it returns, so nothing is lost when the process ends. A deploy
 * owns the data file while the process runs (another process waits for it);
 * a preview only reads it.
 */
export function embeddedLocalIoT(dotAlchemy: string): Promise<SharedEndpoint> {
  // A rehearsal never opens the user's data file (every call goes to its own endpoint).
  if (currentMode() === "rehearsal")
    return Promise.reject(
      new IsolationError("A rehearsal never starts the project's embedded local endpoint: nothing was read or written."),
    );
  const file = localDataFile(dotAlchemy);
  const owner = !previewing();
  // Shared through the registry: a second copy of the package in the process uses the same endpoint.
  const embedded = registry().embedded;
  const current = embedded.get(file);
  if (current && (current.owner || !owner)) return current.started;
  // Loaded on first use: a deploy to AWS never loads the emulator. A reader that was started first makes way for the owner.
  const started = (async () => {
    await (await current?.started.catch(() => undefined))?.stop();
    const start = registry().startEmbedded;
    if (!start)
      throw new Error(
        'The embedded local IoT endpoint is not available: load alchemy-iot-jobs from its entry point (import from "alchemy-iot-jobs").',
      );
    return start({ persistPath: file, lock: owner });
  })();
  const entry = { started, owner };
  embedded.set(file, entry);
  started.catch(() => {
    if (embedded.get(file) === entry) embedded.delete(file);
  });
  return started;
}

/** Stops embedded endpoints (tests; a normal process just exits). */
export async function stopEmbeddedEndpoints(): Promise<void> {
  const embedded = registry().embedded;
  const all = [...embedded.values()];
  embedded.clear();
  await Promise.all(all.map(async (e) => (await e.started.catch(() => undefined))?.stop()));
}

/** What a resource's output records about where it was deployed. */
export interface DeployedWhere {
  /** "aws", "local" or the endpoint URL. */
  location?: string;
  /** Before 0.2 the output called it `target`. */
  target?: string;
  region?: string;
  /** The embedded endpoint's instance id, for resources deployed to it. */
  localInstance?: string;
}

/** The recorded location of an output (older outputs call it `target`). */
export const recordedLocation = (o: DeployedWhere | undefined) => o?.location ?? o?.target;

/**
 * The instance id of the embedded endpoint's data: the running endpoint's,
 * else the data file's (undefined when there is no file). The file is read
 * only as far as its head, where the id is written, and again only when it
 * changed, so that checking every resource of a large fleet stays cheap.
 */
async function localInstance(dotAlchemy: string): Promise<string | undefined> {
  const file = localDataFile(dotAlchemy);
  const running = registry().embedded.get(file);
  if (running) {
    const local = await running.started.catch(() => undefined);
    if (local) return local.instanceId;
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  const key = `${file}|${stat.mtimeMs}|${stat.size}`;
  if (!fileInstances.has(key)) {
    const head = Buffer.alloc(Math.min(stat.size, 512));
    const fd = fs.openSync(file, "r");
    try {
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    let id = /"instanceId":"([^"]+)"/.exec(head.toString("utf8"))?.[1];
    if (id === undefined) {
      try {
        id = (JSON.parse(fs.readFileSync(file, "utf8")) as { instanceId?: string }).instanceId;
      } catch {
        // Unreadable: the endpoint says so, with what to do, when it starts.
      }
    }
    fileInstances.set(key, id);
  }
  return fileInstances.get(key);
}

const fileInstances = new Map<string, string | undefined>();

/**
 * A resource recorded as deployed to the embedded endpoint whose data is not
 * there any more (its data file was deleted or replaced: the endpoint's data
 * has another instance id). Going on would report success (or quietly create
 * everything again) for resources that no longer exist, so stop and say so.
 * Checked for every resource a program declares, changed or not (a deploy
 * that changes nothing runs no handler), and by the handler before it acts.
 */
export async function assertLocalDataPresent(output: DeployedWhere | undefined, scope: Scope, label: string): Promise<void> {
  if (rehearsalEndpoint()) return;
  if (recordedLocation(output) !== "local" || !output?.localInstance) return;
  if ((await localInstance(scope.dotAlchemy)) === output.localInstance) return;
  const file = localDataFile(scope.dotAlchemy);
  const gone = !fs.existsSync(file);
  throw new Error(
    `${label} is recorded in Alchemy's state as deployed to the local IoT endpoint, but the endpoint's data file ` +
      `${path.relative(process.cwd(), file) || file} ${gone ? "is gone (it was deleted)" : "is not the one it was deployed to (it was replaced)"}, ` +
      `so what was deployed there no longer exists. Nothing was changed. Restore the file; or, to start the local stage over, remove its Alchemy state ` +
      `(${path.relative(process.cwd(), path.join(scope.dotAlchemy, ...scope.chain)) || "the stage directory"}) and deploy again.`,
  );
}

/** The output field that records the embedded endpoint's instance (nothing for other locations). */
export function localInstanceOf(location: Location): { localInstance?: string } {
  return location.kind === "local" && location.local ? { localInstance: location.local.instanceId } : {};
}

// ------------------------------------------------------------------ resolving

const announced = new Set<string>();

/**
 * Resolves the location and client for a resource.
 * @param props the resource's props (client settings are picked out of them)
 * @param scope the scope the resource was declared in (for scope settings and local mode)
 */
export async function resolveLocation(props: object | undefined, scope: Scope | undefined): Promise<Resolved> {
  const settings: IoTClientProps = { ...scopeSettings(scope), ...defined(clientProps(props)) };
  const resolved = await resolveSettings(settings, scope);
  if (!announced.has(resolved.location.description)) {
    announced.add(resolved.location.description);
    scope?.logger.log(`IoT location: ${resolved.location.description}`);
  }
  currentRecorder()?.location(resolved.location.description);
  return resolved;
}

async function resolveSettings(settings: IoTClientProps, scope: Scope | undefined): Promise<Resolved> {
  const rehearsal = rehearsalEndpoint();
  if (rehearsal) return localLocation(rehearsal, "local IoT Jobs endpoint (rehearsal, in memory)");
  if (settings.endpoint === undefined && isLocalMode(settings, scope)) {
    const dotAlchemy = scope?.dotAlchemy ?? path.resolve(".alchemy");
    return embeddedLocation(dotAlchemy);
  }
  const { client, region } = await clientFor(settings as Settings);
  if (settings.endpoint) {
    const endpoint = settings.endpoint;
    return { client, location: { kind: "endpoint", region, key: endpoint, endpoint, description: `IoT endpoint ${endpoint} (${region})` } };
  }
  const envEndpoint = process.env.AWS_ENDPOINT_URL_IOT ?? process.env.AWS_ENDPOINT_URL;
  return {
    client,
    location: {
      kind: "aws",
      region,
      key: "aws",
      // Where the SDK actually sends the calls (for how fast to poll), when the environment says.
      ...(envEndpoint ? { endpoint: envEndpoint } : {}),
      description: envEndpoint
        ? `AWS IoT API at ${envEndpoint} (from ${process.env.AWS_ENDPOINT_URL_IOT ? "AWS_ENDPOINT_URL_IOT" : "AWS_ENDPOINT_URL"}), region ${region}`
        : `AWS IoT in ${region}${settings.profile ? ` (profile ${settings.profile})` : ""}`,
    },
  };
}

async function embeddedLocation(dotAlchemy: string): Promise<Resolved> {
  const rehearsal = rehearsalEndpoint();
  if (rehearsal) return localLocation(rehearsal, "local IoT Jobs endpoint (rehearsal, in memory)");
  const local = await embeddedLocalIoT(dotAlchemy);
  const file = localDataFile(dotAlchemy);
  return localLocation(local, `local IoT Jobs endpoint (embedded, data in ${path.relative(process.cwd(), file) || file})`);
}

function localLocation(local: SharedEndpoint, description: string): Resolved {
  return {
    client: localClient(local),
    location: { kind: "local", region: local.region, key: "local", endpoint: local.endpoint, local, description },
  };
}

/**
 * The client for a resource where it was deployed: the recorded location wins
 * over the current settings, so a destroy or replacement acts where the
 * resource really is (resources deployed with `--local` are deleted from the
 * local endpoint even if destroy runs without it, and without asking for any
 * AWS configuration).
 */
export async function resolveRecorded(recorded: DeployedWhere, props: object | undefined, scope: Scope): Promise<Resolved> {
  const where = recordedLocation(recorded);
  const current = locationKey(props, scope);
  const here = where === "local" ? "local" : `${where}|${recorded.region ?? ""}`;
  // Deployed where the settings point now (or recorded before locations were): the usual client.
  if (!where || here === current || (where !== "local" && recorded.region === undefined)) return resolveLocation(props, scope);
  if (where === "local") return embeddedLocation(scope.dotAlchemy);
  const region = recorded.region;
  if (where === "aws") return resolveLocation({ ...props, region, endpoint: undefined, local: false }, scope);
  return resolveLocation({ ...props, region, endpoint: where, local: false }, scope);
}
