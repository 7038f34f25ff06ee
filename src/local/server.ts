/**
 * The local IoT Jobs endpoint: a node:http server that speaks AWS IoT's
 * restJson1 protocol, so the unmodified `@aws-sdk/client-iot` can use it.
 *
 * Requests are routed by the SDK's HTTP method and URI templates, must be
 * SigV4-signed with the endpoint's credentials, and are answered with the
 * service's status codes, JSON shapes and error conventions.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import * as cfn from "./cloudformation/index.ts";
import { IoTError, type ErrorCode } from "./errors.ts";
import * as executions from "./executions.ts";
import { Faults, type FaultOptions } from "./faults.ts";
import { handleAdmin } from "./protocol/admin.ts";
import { handleRequest } from "./protocol/dispatch.ts";
import type { RequestContext } from "./protocol/http.ts";
import { sendError } from "./protocol/rest-json.ts";
import { isReadOnly } from "./routes.ts";
import type { LocalCredentials } from "./sigv4.ts";
import { acquire, type HeldLock } from "../lock.ts";
import { Persister, PersistenceError, readStateFile, removeOrphanedTemporaryFiles } from "./store.ts";
import type { DeviceBehaviour } from "./simulation/behaviour.ts";
import { addSimulatedDevices, simulateThing, type SimulatedDevicesRequest } from "./simulation/devices.ts";
import type { ExecutionEvent } from "./simulation/events.ts";
import { World } from "./world.ts";

export interface LocalIoTOptions {
  /** Port to listen on; 0 picks a free port. @default 0 */
  port?: number;
  /** Interface to bind. @default "127.0.0.1" */
  host?: string;
  /** Region the endpoint answers for (ARNs and signatures use it). @default "us-east-1" */
  region?: string;
  /** Account id in ARNs. @default "123456789012" */
  accountId?: string;
  /** Credentials requests must be signed with. @default LOCAL_CREDENTIALS */
  credentials?: LocalCredentials;
  /** File that keeps the endpoint's data across restarts. @default in memory only */
  persistPath?: string;
  /** How long a deleted job stays DELETION_IN_PROGRESS. @default 250 */
  deletionDelayMs?: number;
  /** Jobs that may be DELETION_IN_PROGRESS at once. @default 10 (the AWS limit) */
  maxConcurrentDeletions?: number;
  /** Fault injection (off by default). */
  faults?: FaultOptions;
  /**
   * Page size of the CloudFormation ListStackResources and DescribeStacks
   * operations (tests set it low to exercise pagination).
   * @default 100 (CloudFormation's)
   */
  cloudFormationPageSize?: number;
  /** Receives one line per request (for the standalone server). */
  log?: (line: string) => void;
  /**
   * Let the process exit while the server is running (for an endpoint embedded
   * in a deploy). Writes still complete before each response is sent.
   * @default false
   */
  unref?: boolean;
  /**
   * With `persistPath`: own the data file while running (a lock next to it),
   * so that no two processes write it at once; a second one waits for the
   * first, saying so, or gives up after `lockTimeoutMs`. `false` only reads
   * the file (a preview): no lock is taken, and changes stay in memory.
   * @default true
   */
  lock?: boolean;
  /** How long to wait for another process's lock on the data file. @default ALCHEMY_IOT_LOCK_TIMEOUT or 15 minutes */
  lockTimeoutMs?: number;
  /**
   * A virtual clock, in epoch ms: the endpoint's time stands still here and
   * moves only by `advanceTime` (no wall-clock drift at all). Maintenance
   * windows are evaluated only on a virtual clock.
   * @default the wall clock (plus what advanceTime added)
   */
  virtualClock?: number;
  /**
   * Jobs are created (IN_PROGRESS or SCHEDULED) but notify no device until
   * `releaseJob(jobId)`; their targets are resolved at release.
   * @default false
   */
  holdRollouts?: boolean;
  /** Called for every execution status change, creation included ("QUEUED": notified), on the endpoint's clock. */
  onExecution?: (event: ExecutionEvent) => void;
}

/** The credentials the endpoint accepts unless told otherwise. Not a secret: the endpoint is local. */
export const LOCAL_CREDENTIALS: Readonly<LocalCredentials> = {
  accessKeyId: "AKIALOCALIOTJOBS0000",
  secretAccessKey: "local-iot-jobs-secret-access-key",
};

export interface OperationStats {
  count: number;
  ok: number;
  /** Error responses by error code ("dropped" for dropped connections). */
  errors: Record<string, number>;
}

export interface CallRecord {
  operation: string;
  /** HTTP status answered, or 0 when the connection was dropped. */
  status: number;
  error?: string;
  /**
   * What the call acted on: a job, template, thing or group id (from the
   * path, or the last part of a tagged resource's ARN), or "thing → group"
   * for memberships. Absent for list calls.
   */
  resource?: string;
}

export interface LocalIoTStats {
  /** API requests received (admin routes excluded). */
  requests: number;
  byOperation: Record<string, OperationStats>;
  /** Requests to operations that change state (everything but Describe*, List*, Get*). */
  mutatingRequests: number;
  throttled: number;
  injectedErrors: number;
  droppedConnections: number;
  /** Requests refused before routing: unsigned, badly signed, malformed, too large, unknown route. */
  rejected: number;
  peakDeletionsInProgress: number;
  /** Every API call in arrival order. */
  calls: CallRecord[];
}

export interface LocalIoT {
  /** Base URL to pass as the SDK's `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  /**
   * Identifies the endpoint's data: new for an empty endpoint, kept across
   * restarts with `persistPath`. A client that recorded it can tell that the
   * data it deployed to was lost or replaced.
   */
  readonly instanceId: string;
  /** A fresh copy each time (the SDK annotates the credentials object it is given). */
  readonly credentials: LocalCredentials;
  stop(): Promise<void>;
  stats(): LocalIoTStats;
  resetStats(): void;
  /** Replaces the fault configuration. */
  setFaults(faults: FaultOptions): void;
  /** Changes how long deleted jobs stay DELETION_IN_PROGRESS. */
  setDeletionDelay(ms: number): void;
  /**
   * Calls `listener` as each API request arrives, with its operation and its
   * number since the last resetStats() (tests use it to kill a client at a
   * given request). The request is served as usual. Pass undefined to remove.
   */
  onRequest(listener: ((operation: string, count: number) => void) | undefined): void;
  /** Acts as a device (the jobs data plane): moves the thing's latest execution of a job. */
  updateJobExecution(request: {
    thingName: string;
    jobId: string;
    status: executions.DeviceStatus;
    statusDetails?: Record<string, string>;
  }): Promise<void>;
  /**
   * Moves the endpoint's clock forward and runs the fleet simulation up to the
   * new time (rollout minutes, simulated devices, timeouts, retries, scheduled
   * starts and ends, deletions); with `persistPath`, the result is written in
   * the background (stop() waits for it).
   */
  advanceTime(ms: number): void;
  /**
   * Starts the rollout of a job created while the endpoint holds rollouts:
   * now (its minute 0), or at its scheduled start if that is still ahead.
   * Throws if the job does not exist or is not held.
   */
  releaseJob(jobId: string): Promise<void>;
  /**
   * Creates `count` simulated devices named `${namePrefix}${i}` (i from 1,
   * zero-padded to at least 5 digits, e.g. sim-00001), adds them to the thing
   * group if one is given (creating it if needed), and returns their names.
   */
  addSimulatedDevices(request: SimulatedDevicesRequest): Promise<string[]>;
  /** Marks an existing thing as a simulated device with this behaviour (DEFAULT_BEHAVIOUR overridden) and seed. */
  simulateThing(thingName: string, behaviour?: Partial<DeviceBehaviour>, seed?: number): Promise<void>;
  /** Registers an S3 object that jobs with `documentSource` read their document from. */
  putS3Object(url: string, body: string): void;
  /**
   * Registers a CloudFormation stack and creates its IoT resources as
   * CloudFormation would (dependency order, aws:cloudformation:* tags). Its
   * stack can then be read with DescribeStacks, DescribeStackResource,
   * ListStackResources and GetTemplate. Rejects with a CloudFormationError
   * (400) naming the logical id and the problem; nothing is then left behind.
   */
  createStack(request: cfn.CreateStackRequest): Promise<cfn.LocalStack>;
  /**
   * Replaces a stack's template: new logical ids are created, removed ones
   * deleted (unless the old template said `DeletionPolicy: Retain`). A change
   * to an existing resource's Properties is refused.
   */
  updateStack(request: cfn.UpdateStackRequest): Promise<cfn.LocalStack>;
  /** Deletes a stack and its resources, except those with `DeletionPolicy: Retain`. */
  deleteStack(stackName: string): Promise<cfn.LocalStackDeletion>;
  /** Names of the registered stacks, oldest first. */
  listStacks(): string[];
  /** @internal the emulated account, for in-process tools. */
  readonly world: World;
}

function emptyStats(): LocalIoTStats {
  return {
    requests: 0,
    byOperation: {},
    mutatingRequests: 0,
    throttled: 0,
    injectedErrors: 0,
    droppedConnections: 0,
    rejected: 0,
    peakDeletionsInProgress: 0,
    calls: [],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the endpoint. Throws PersistenceError when `persistPath` holds an
 * unreadable file, and LockTimeoutError when another process keeps it.
 */
export async function startLocalIoT(options: LocalIoTOptions = {}): Promise<LocalIoT> {
  const held =
    options.persistPath && options.lock !== false
      ? await acquire(options.persistPath, { what: `the local IoT endpoint's data file ${options.persistPath}`, timeoutMs: options.lockTimeoutMs })
      : undefined;
  try {
    // Owning the file, nothing else writes it: a temporary file left by a process killed mid-write is garbage.
    if (held) removeOrphanedTemporaryFiles(options.persistPath!);
    return await start(options, held);
  } catch (error) {
    await held?.release();
    throw error;
  }
}

async function start(options: LocalIoTOptions, held: HeldLock | undefined): Promise<LocalIoT> {
  const credentials = options.credentials ?? LOCAL_CREDENTIALS;
  let region = options.region;
  let accountId = options.accountId;
  const loaded = options.persistPath ? readStateFile(options.persistPath) : undefined;
  if (loaded) {
    if ((region && region !== loaded.region) || (accountId && accountId !== loaded.accountId)) {
      throw new PersistenceError(
        `${options.persistPath} holds data of account ${loaded.accountId} in ${loaded.region}, but the endpoint was asked to serve account ${accountId ?? loaded.accountId} in ${region ?? loaded.region}. Use another persistPath or the same account and region.`,
      );
    }
    region = loaded.region;
    accountId = loaded.accountId;
  }
  region ??= "us-east-1";
  accountId ??= "123456789012";
  const world = new World({
    accountId,
    region,
    deletionDelayMs: options.deletionDelayMs ?? 250,
    maxConcurrentDeletions: options.maxConcurrentDeletions ?? 10,
    tables: loaded?.tables,
    virtualClockMs: checkVirtualClock(options.virtualClock),
    holdRollouts: options.holdRollouts ?? false,
    onExecution: options.onExecution,
  });
  const instanceId = loaded?.instanceId ?? randomUUID();
  // Without the lock (a preview reading the data), changes stay in memory: only the file's owner writes it.
  const persister = options.persistPath && held
    ? Persister.forTables(options.persistPath, accountId, region, world.tables, instanceId)
    : undefined;
  const faults = new Faults(options.faults);
  const cloudFormationPageSize = options.cloudFormationPageSize ?? cfn.DEFAULT_CLOUDFORMATION_PAGE_SIZE;
  if (!Number.isInteger(cloudFormationPageSize) || cloudFormationPageSize < 1) {
    throw new Error(`cloudFormationPageSize must be a positive integer, got ${options.cloudFormationPageSize}`);
  }
  let stats = emptyStats();
  const log = options.log;
  let requestListener: ((operation: string, count: number) => void) | undefined;

  const commit = () => persister?.commit() ?? Promise.resolve();

  function countCall(operation: string, status: number, error?: string, resource?: string) {
    const s = (stats.byOperation[operation] ??= { count: 0, ok: 0, errors: {} });
    s.count++;
    if (status === 200) s.ok++;
    else {
      const key = error ?? "dropped";
      s.errors[key] = (s.errors[key] ?? 0) + 1;
    }
    stats.calls.push({ operation, status, ...(error ? { error } : {}), ...(resource ? { resource } : {}) });
  }

  /**
   * Counts an API request and applies the fault configuration to it: waits
   * the injected latency, throws the protocol's throttling or server error,
   * or says whether to drop the connection before or after serving it.
   */
  async function admit(operation: string, errors: { throttled: () => IoTError; failed: () => IoTError }) {
    stats.requests++;
    requestListener?.(operation, stats.requests);
    if (!isReadOnly(operation)) stats.mutatingRequests++;
    const latency = faults.latencyFor(operation);
    if (latency > 0) await sleep(latency);
    const outcome = faults.outcomeFor(operation);
    if (outcome === "throttle") {
      stats.throttled++;
      throw errors.throttled();
    }
    if (outcome === "error") {
      stats.injectedErrors++;
      throw errors.failed();
    }
    return outcome;
  }

  function drop(req: http.IncomingMessage, res: http.ServerResponse, operation: string) {
    stats.droppedConnections++;
    countCall(operation, 0, "dropped");
    log?.(`${req.method} ${req.url} -> connection dropped (${operation})`);
    res.destroy();
    req.socket.destroy();
  }

  const requests: RequestContext = {
    world,
    credentials,
    cloudFormationPageSize,
    log,
    commit,
    admit,
    drop,
    countCall,
    reject() {
      stats.rejected++;
    },
    admin: (method, path, body, res) => handleAdmin({ api, faults, world }, method, path, body, res),
  };

  const server = http.createServer((req, res) => {
    handleRequest(requests, req, res).catch((error) => {
      // Never let a request take the server down.
      if (!res.headersSent && !res.destroyed) {
        sendError(res, new IoTError("InternalFailureException", String(error?.message ?? error)));
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on("clientError", (_error, socket) => {
    stats.rejected++;
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  if (options.unref) {
    server.unref();
    server.on("connection", (socket) => socket.unref());
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;

  const api: LocalIoT = {
    endpoint: `http://${urlHost}:${port}`,
    port,
    region: world.region,
    accountId: world.accountId,
    instanceId,
    get credentials() {
      return { ...credentials };
    },
    world,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await commit();
      await held?.release();
    },
    stats() {
      return structuredClone({ ...stats, peakDeletionsInProgress: world.peakDeletionsInProgress });
    },
    resetStats() {
      stats = emptyStats();
      world.peakDeletionsInProgress = world.deletionsInProgress();
    },
    setFaults(f) {
      faults.set(f);
    },
    setDeletionDelay(ms) {
      world.deletionDelayMs = ms;
    },
    onRequest(listener) {
      requestListener = listener;
    },
    async updateJobExecution(request) {
      world.tick();
      executions.updateJobExecution(world, request);
      await commit();
    },
    advanceTime(ms) {
      if (!(ms >= 0) || !Number.isFinite(ms)) throw new Error("advanceTime expects a non-negative number of milliseconds");
      world.clockOffsetMs += ms;
      world.tick();
      // The next acknowledged write contains this too, and stop() waits for it; a failure here is not the caller's.
      if (persister) commit().catch(() => {});
    },
    async releaseJob(jobId) {
      world.tick();
      const job = world.tables.jobs.get(jobId);
      if (!job) throw new Error(`Job ${jobId} cannot be found.`);
      world.simulation.release(job);
      await commit();
    },
    async addSimulatedDevices(request) {
      world.tick();
      const names = addSimulatedDevices(world, request);
      await commit();
      return names;
    },
    async simulateThing(thingName, behaviour, seed) {
      world.tick();
      simulateThing(world, thingName, behaviour, seed);
      await commit();
    },
    putS3Object(url, body) {
      world.s3Objects.set(url, body);
    },
    async createStack(request) {
      world.tick();
      const stack = cfn.createStack(world, request);
      await commit();
      return stack;
    },
    async updateStack(request) {
      world.tick();
      const stack = cfn.updateStack(world, request);
      await commit();
      return stack;
    },
    async deleteStack(stackName) {
      world.tick();
      const deletion = cfn.deleteStack(world, stackName);
      await commit();
      return deletion;
    },
    listStacks() {
      return cfn.listStacks(world);
    },
  };
  return api;
}

function checkVirtualClock(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new Error(`virtualClock must be a time in epoch milliseconds, got ${String(value)}`);
  }
  return value;
}

export { OPERATIONS, isReadOnly } from "./routes.ts";
export type { FaultOptions } from "./faults.ts";
export type { ErrorCode };
