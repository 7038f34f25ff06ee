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
import * as executions from "./account/executions.ts";
import { Faults } from "./protocol/faults.ts";
import { handleAdmin } from "./protocol/admin.ts";
import { applyConnectionLimits, connectionLimits, serverOptions } from "./protocol/connections.ts";
import { handleRequest } from "./protocol/dispatch.ts";
import { useFastPath } from "./protocol/fast-path.ts";
import { setResponseDate, type Admitted, type FaultErrors, type Incoming, type Outgoing, type RequestContext } from "./protocol/http.ts";
import { sendError } from "./protocol/rest-json.ts";
import { isReadOnly } from "./protocol/routes.ts";
import { DEFAULT_MAX_CALL_RECORDS, StatsRecorder } from "./protocol/stats.ts";
import { acquire, type HeldLock } from "../runtime/lock/index.ts";
import { Persister, PersistenceError, readStateFile, removeOrphanedTemporaryFiles } from "./state/store.ts";
import { refuseUnreadableDataFile } from "./state/data-file-text.ts";
import { addSimulatedDevices, simulateThing } from "./simulation/devices.ts";
import { Simulation } from "./simulation/engine.ts";
import { World } from "./state/world.ts";
import { DEFAULT_PACKAGE_LIMITS } from "./account/packages.ts";
import type { PackageLimits } from "./state/catalog.ts";
import { LOCAL_CREDENTIALS, type LocalIoT, type LocalIoTOptions } from "./api.ts";

export { LOCAL_CREDENTIALS } from "./api.ts";
export type { CallRecord, LocalIoT, LocalIoTOptions, LocalIoTStats, OperationStats } from "./api.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the endpoint. Throws PersistenceError when `persistPath` holds an
 * unreadable file, and LockTimeoutError when another process keeps it.
 */
export async function startLocalIoT(options: LocalIoTOptions = {}): Promise<LocalIoT> {
  const held =
    options.persistPath && options.lock !== false
      ? await acquire(options.persistPath, {
          what: `the local IoT endpoint's data file ${options.persistPath}`,
          timeoutMs: options.lockTimeoutMs,
        })
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
  // A file that is not even a JSON object (empty, binary, `null`, an array) is refused saying so, and kept as it is.
  if (options.persistPath) refuseUnreadableDataFile(options.persistPath);
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
    packageLimits: packageLimits(options.packageLimits),
  });
  const simulation = new Simulation(world);
  const instanceId = loaded?.instanceId ?? randomUUID();
  // Without the lock (a preview reading the data), changes stay in memory: only the file's owner writes it.
  const persister =
    options.persistPath && held ? Persister.forTables(options.persistPath, accountId, region, world.tables, instanceId) : undefined;
  const faults = new Faults(options.faults);
  const cloudFormationPageSize = options.cloudFormationPageSize ?? cfn.DEFAULT_CLOUDFORMATION_PAGE_SIZE;
  if (!Number.isInteger(cloudFormationPageSize) || cloudFormationPageSize < 1) {
    throw new Error(`cloudFormationPageSize must be a positive integer, got ${options.cloudFormationPageSize}`);
  }
  const limits = connectionLimits(options);
  const stats = new StatsRecorder(maxCallRecords(options.maxCallRecords));
  const log = options.log;
  let requestListener: ((operation: string, count: number) => void) | undefined;

  const commit = () => persister?.commit() ?? Promise.resolve();

  /**
   * Counts an API request and applies the fault configuration to it: waits
   * the injected latency, throws the protocol's throttling or server error,
   * or says whether to drop the connection before or after serving it.
   */
  function admit(operation: string, errors: FaultErrors): Admitted | Promise<Admitted> {
    const counters = stats.counters;
    counters.requests++;
    requestListener?.(operation, counters.requests);
    if (!isReadOnly(operation)) counters.mutatingRequests++;
    const latency = faults.latencyFor(operation);
    // Without injected latency the outcome is known now: no promise, no turn of the event loop.
    if (latency > 0) return sleep(latency).then(() => outcomeOf(operation, errors));
    return outcomeOf(operation, errors);
  }

  function outcomeOf(operation: string, errors: FaultErrors): Admitted {
    const outcome = faults.outcomeFor(operation);
    if (outcome === "throttle") {
      stats.counters.throttled++;
      throw errors.throttled();
    }
    if (outcome === "error") {
      stats.counters.injectedErrors++;
      throw errors.failed(operation);
    }
    return outcome;
  }

  function drop(req: Incoming, res: Outgoing, operation: string) {
    stats.counters.droppedConnections++;
    stats.countCall(operation, 0, "dropped");
    log?.(`${req.method} ${req.url} -> connection dropped (${operation})`);
    res.destroy();
    req.socket.destroy();
  }

  const requests: RequestContext = {
    world,
    credentials,
    cloudFormationPageSize,
    log,
    // Without a persist file, nothing to wait for: a request is answered in the turn it arrived.
    commit: () => persister?.commit(),
    admit,
    drop,
    countCall: (operation, status, error, resource) => stats.countCall(operation, status, error, resource),
    reject() {
      stats.counters.rejected++;
    },
    admin: (method, path, body, res) => handleAdmin({ api, faults, world }, method, path, body, res),
  };

  // The Date header's text, made again only when the second changes (it shows whole seconds).
  let dateSecond = NaN;
  let dateText = "";
  const serve = (req: Incoming, res: Outgoing) => {
    // The Date header is the endpoint's time (its virtual clock, or the wall clock plus what advanceTime added), as AWS's is its own.
    const clock = world.clockMs();
    const second = Math.floor(clock / 1000);
    if (second !== dateSecond) {
      dateSecond = second;
      dateText = new Date(clock).toUTCString();
    }
    setResponseDate(res, dateText);
    handleRequest(requests, req, res).catch((error) => {
      // Never let a request take the server down.
      if (!res.headersSent && !res.destroyed) {
        sendError(res, new IoTError("InternalFailureException", String(error?.message ?? error)));
      }
    });
  };
  const server = http.createServer(serverOptions(limits), serve);
  // Expect: 100-continue: the handler sends 100 Continue only once the request's headers passed (protocol/intake.ts).
  server.on("checkContinue", serve);
  // The SDK's requests are served by the fast path; every other request by node:http, as before.
  const fastPath = useFastPath(server, serve, {
    headersTimeoutMs: limits.headersTimeoutMs,
    idleTimeoutMs: limits.idleTimeoutMs,
    onHandOver: () => stats.counters.handedOverConnections++,
  });
  applyConnectionLimits(
    server,
    limits,
    () => stats.counters.refusedConnections++,
    () => stats.counters.rejected++,
  );

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
        fastPath.closeAll();
      });
      await commit();
      await held?.release();
    },
    stats() {
      return stats.snapshot(world.peakDeletionsInProgress);
    },
    resetStats() {
      stats.reset();
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
      simulation.release(job);
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

function maxCallRecords(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_CALL_RECORDS;
  if (!Number.isInteger(value) || value < 0) throw new Error(`maxCallRecords must be a whole number, got ${String(value)}`);
  return value;
}

function packageLimits(given: LocalIoTOptions["packageLimits"]): PackageLimits | undefined {
  if (given === undefined) return undefined;
  const limits = { ...DEFAULT_PACKAGE_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`packageLimits.${name} must be a whole number, got ${String(value)}`);
  }
  return limits;
}

function checkVirtualClock(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new Error(`virtualClock must be a time in epoch milliseconds, got ${String(value)}`);
  }
  return value;
}

export { OPERATIONS, isReadOnly } from "./protocol/routes.ts";
export { DATA_PLANE_OPERATIONS } from "./protocol/data-plane.ts";
export type { FaultOptions } from "./protocol/faults.ts";
export type { ErrorCode };
