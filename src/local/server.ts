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
import * as cfn from "./cloudformation.ts";
import { IoTError, invalid, serverErrorFor, type ErrorCode } from "./errors.ts";
import * as executions from "./executions.ts";
import { Faults, type FaultOptions } from "./faults.ts";
import * as jobs from "./jobs.ts";
import * as managed from "./managed.ts";
import { verifySignature, type LocalCredentials } from "./sigv4.ts";
import { Persister, PersistenceError, readStateFile, type JsonObject } from "./store.ts";
import * as tags from "./tags.ts";
import * as templates from "./templates.ts";
import * as things from "./things.ts";
import { World, type Operation } from "./world.ts";

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
  /** Moves the endpoint's clock forward (to reach scheduled start times). */
  advanceTime(ms: number): void;
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

interface Route {
  method: string;
  segments: string[];
  operation: string;
  handler: Operation;
}

const route = (method: string, template: string, operation: string, handler: Operation): Route => ({
  method,
  segments: template.split("/").slice(1),
  operation,
  handler,
});

/** Method + URI template of every operation, as in the SDK's service model. */
const ROUTES: Route[] = [
  route("PUT", "/job-templates/{jobTemplateId}", "CreateJobTemplate", templates.createJobTemplate),
  route("GET", "/job-templates/{jobTemplateId}", "DescribeJobTemplate", templates.describeJobTemplate),
  route("GET", "/job-templates", "ListJobTemplates", templates.listJobTemplates),
  route("DELETE", "/job-templates/{jobTemplateId}", "DeleteJobTemplate", templates.deleteJobTemplate),
  route("PUT", "/jobs/{jobId}", "CreateJob", jobs.createJob),
  route("PATCH", "/jobs/{jobId}", "UpdateJob", jobs.updateJob),
  route("GET", "/jobs/{jobId}", "DescribeJob", jobs.describeJob),
  route("GET", "/jobs", "ListJobs", jobs.listJobs),
  route("PUT", "/jobs/{jobId}/cancel", "CancelJob", jobs.cancelJob),
  route("DELETE", "/jobs/{jobId}", "DeleteJob", jobs.deleteJob),
  route("GET", "/jobs/{jobId}/job-document", "GetJobDocument", jobs.getJobDocument),
  route("GET", "/managed-job-templates", "ListManagedJobTemplates", managed.listManagedJobTemplates),
  route("GET", "/managed-job-templates/{templateName}", "DescribeManagedJobTemplate", managed.describeManagedJobTemplate),
  route("POST", "/tags", "TagResource", tags.tagResource),
  route("POST", "/untag", "UntagResource", tags.untagResource),
  route("GET", "/tags", "ListTagsForResource", tags.listTagsForResource),
  route("GET", "/things/{thingName}/jobs/{jobId}", "DescribeJobExecution", executions.describeJobExecution),
  route("GET", "/jobs/{jobId}/things", "ListJobExecutionsForJob", executions.listJobExecutionsForJob),
  route("GET", "/things/{thingName}/jobs", "ListJobExecutionsForThing", executions.listJobExecutionsForThing),
  route("PUT", "/things/{thingName}/jobs/{jobId}/cancel", "CancelJobExecution", executions.cancelJobExecution),
  route(
    "DELETE",
    "/things/{thingName}/jobs/{jobId}/executionNumber/{executionNumber}",
    "DeleteJobExecution",
    executions.deleteJobExecution,
  ),
  route("POST", "/things/{thingName}", "CreateThing", things.createThing),
  route("GET", "/things/{thingName}", "DescribeThing", things.describeThing),
  route("PATCH", "/things/{thingName}", "UpdateThing", things.updateThing),
  route("DELETE", "/things/{thingName}", "DeleteThing", things.deleteThing),
  route("POST", "/thing-groups/{thingGroupName}", "CreateThingGroup", things.createThingGroup),
  route("GET", "/thing-groups/{thingGroupName}", "DescribeThingGroup", things.describeThingGroup),
  route("PATCH", "/thing-groups/{thingGroupName}", "UpdateThingGroup", things.updateThingGroup),
  route("DELETE", "/thing-groups/{thingGroupName}", "DeleteThingGroup", things.deleteThingGroup),
  route("PUT", "/thing-groups/addThingToThingGroup", "AddThingToThingGroup", things.addThingToThingGroup),
  route("PUT", "/thing-groups/removeThingFromThingGroup", "RemoveThingFromThingGroup", things.removeThingFromThingGroup),
  route("GET", "/things/{thingName}/thing-groups", "ListThingGroupsForThing", things.listThingGroupsForThing),
  route("GET", "/thing-groups/{thingGroupName}/things", "ListThingsInThingGroup", things.listThingsInThingGroup),
];

/** The API operations this endpoint serves. */
export const OPERATIONS: readonly string[] = ROUTES.map((r) => r.operation);

export function isReadOnly(operation: string): boolean {
  return /^(Describe|List|Get)/.test(operation);
}

class BadRequest extends IoTError {}

function matchRoute(method: string, rawPath: string): { route: Route; params: Record<string, string> } | undefined {
  const segments = rawPath.split("/").slice(1);
  let best: { route: Route; params: Record<string, string>; literals: number } | undefined;
  for (const r of ROUTES) {
    if (r.method !== method || r.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    for (let i = 0; i < segments.length && ok; i++) {
      const t = r.segments[i];
      if (t.startsWith("{")) {
        try {
          params[t.slice(1, -1)] = decodeURIComponent(segments[i]);
        } catch {
          throw new BadRequest("InvalidRequestException", `Malformed percent-encoding in path segment '${segments[i]}'.`);
        }
      } else if (t === segments[i]) literals++;
      else ok = false;
    }
    if (ok && (!best || literals > best.literals)) best = { route: r, params, literals };
  }
  return best;
}

const MAX_BODY = 1024 * 1024;
/** Beyond this, an oversized body is not even drained: the connection is closed. */
const HARD_BODY_LIMIT = 16 * MAX_BODY;
const ADMIN_PREFIX = "/_local/";

function readBody(req: http.IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > HARD_BODY_LIMIT) {
        req.destroy();
        reject(new Error("request body far too large"));
        return;
      }
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }));
    req.on("error", reject);
  });
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

/** Starts the endpoint. Throws PersistenceError when `persistPath` holds an unreadable file. */
export async function startLocalIoT(options: LocalIoTOptions = {}): Promise<LocalIoT> {
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
  });
  const instanceId = loaded?.instanceId ?? randomUUID();
  const persister = options.persistPath
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

  function countCall(operation: string, status: number, error?: string) {
    const s = (stats.byOperation[operation] ??= { count: 0, ok: 0, errors: {} });
    s.count++;
    if (status === 200) s.ok++;
    else {
      const key = error ?? "dropped";
      s.errors[key] = (s.errors[key] ?? 0) + 1;
    }
    stats.calls.push(error ? { operation, status, error } : { operation, status });
  }

  function send(res: http.ServerResponse, status: number, body: JsonObject | undefined, code?: string) {
    const text = body === undefined ? "" : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = {
      "x-amzn-requestid": randomUUID(),
      "content-length": Buffer.byteLength(text),
    };
    if (text) headers["content-type"] = "application/json";
    if (code) headers["x-amzn-errortype"] = code;
    res.writeHead(status, headers);
    res.end(text);
  }

  function sendError(res: http.ServerResponse, error: IoTError) {
    send(res, error.status, { message: error.message, ...error.extra } as JsonObject, error.code);
  }

  /**
   * Admin routes. GET only reads (stats, faults, clock); every change needs
   * another method (POST). A bad request is a 400, never a 500.
   */
  async function handleAdmin(method: string, path: string, body: JsonObject, res: http.ServerResponse) {
    let parts: string[];
    try {
      parts = path.slice(ADMIN_PREFIX.length).split("/").map(decodeURIComponent);
    } catch {
      throw invalid(`Malformed percent-encoding in ${path}.`);
    }
    const [area, ...rest] = parts;
    const write = method !== "GET";
    try {
      if (area === "devices" && rest.length === 3 && rest[1] === "jobs" && write) {
        await api.updateJobExecution({
          thingName: rest[0],
          jobId: rest[2],
          status: body.status as executions.DeviceStatus,
          statusDetails: body.statusDetails as Record<string, string> | undefined,
        });
        return send(res, 200, {});
      }
      if (area === "stats" && (rest.length === 0 || (rest[0] === "reset" && write))) {
        if (rest[0] === "reset") api.resetStats();
        return send(res, 200, api.stats() as unknown as JsonObject);
      }
      if (area === "faults" && rest.length === 0) {
        if (write) api.setFaults(body as FaultOptions);
        return send(res, 200, faults.current as JsonObject);
      }
      if (area === "clock" && rest.length === 0) {
        if (write) api.advanceTime(Number(body.advanceMs ?? 0));
        return send(res, 200, { offsetMs: world.clockOffsetMs });
      }
      if (area === "stacks") {
        if (method === "GET" && rest.length === 0) return send(res, 200, { stackNames: api.listStacks() });
        if (method === "POST" && rest.length === 0) {
          return send(res, 200, (await api.createStack(body as unknown as cfn.CreateStackRequest)) as unknown as JsonObject);
        }
        if (method === "PUT" && rest.length === 1) {
          const updated = await api.updateStack({ stackName: rest[0], template: body.template as cfn.StackTemplate });
          return send(res, 200, updated as unknown as JsonObject);
        }
        if (method === "DELETE" && rest.length === 1) {
          return send(res, 200, (await api.deleteStack(rest[0])) as unknown as JsonObject);
        }
      }
      if (area === "s3" && rest.length === 0 && write) {
        if (typeof body.url !== "string" || typeof body.body !== "string") {
          throw invalid(`POST ${path} expects {"url": "<S3 URL>", "body": "<document>"}.`);
        }
        api.putS3Object(body.url, body.body);
        return send(res, 200, {});
      }
    } catch (error) {
      // setFaults and advanceTime throw plain errors for bad values.
      throw error instanceof IoTError ? error : invalid((error as Error).message);
    }
    throw new IoTError("UnknownOperationException", `No admin route ${method} ${path}`);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q === -1 ? "" : rawUrl.slice(q + 1);
    const method = req.method ?? "GET";
    let operation: string | undefined;
    const admin = rawPath.startsWith(ADMIN_PREFIX);
    const contentType = String(req.headers["content-type"] ?? "");
    if (method === "POST" && rawPath === "/" && /^application\/x-www-form-urlencoded\b/i.test(contentType)) {
      return handleQuery(req, res, rawQuery);
    }
    try {
      const { body: bodyBuffer, tooLarge } = await readBody(req);
      if (tooLarge) throw new BadRequest("InvalidRequestException", `Request body exceeds the ${MAX_BODY} byte limit.`);
      const bodyText = bodyBuffer.toString("utf8");
      const searchParams = new URLSearchParams(rawQuery);
      const signedQuery: Record<string, string | string[]> = {};
      const query: Record<string, string> = {};
      for (const [k, v] of searchParams) {
        const prev = signedQuery[k];
        signedQuery[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
        query[k] ??= v;
      }
      await verifySignature(
        { method, path: rawPath, query: signedQuery, headers: req.headers, body: bodyText },
        credentials,
        world.region,
        ["iot", "execute-api"],
      );
      let body: JsonObject = {};
      if (bodyText.trim().length > 0) {
        try {
          body = JSON.parse(bodyText);
        } catch {
          throw new BadRequest("InvalidRequestException", "The request body is not valid JSON.");
        }
        if (body === null || typeof body !== "object" || Array.isArray(body)) {
          throw new BadRequest("InvalidRequestException", "The request body must be a JSON object.");
        }
      }
      if (admin) return await handleAdmin(method, rawPath, body, res);
      const matched = matchRoute(method, rawPath);
      if (!matched) throw new BadRequest("UnknownOperationException", `No operation matches ${method} ${rawPath}.`);
      operation = matched.route.operation;
      const outcome = await admit(operation, {
        throttled: () => new IoTError("ThrottlingException", "Rate exceeded"),
        failed: () => serverErrorFor(operation!),
      });
      if (outcome === "drop-before") return drop(req, res, operation);
      world.tick();
      const result = matched.route.handler(world, { params: matched.params, query, body });
      if (!isReadOnly(operation)) await commit();
      if (outcome === "drop-after") return drop(req, res, operation);
      countCall(operation, 200);
      log?.(`${method} ${rawPath} -> 200 ${operation}`);
      send(res, 200, result);
    } catch (error) {
      const e =
        error instanceof IoTError
          ? error
          : new IoTError("InternalFailureException", `Internal error: ${(error as Error)?.message ?? error}`);
      if (operation && !(e instanceof BadRequest)) countCall(operation, e.status, e.code);
      else if (!admin) stats.rejected++;
      log?.(`${method} ${rawPath} -> ${e.status} ${e.code}: ${e.message}`);
      if (!res.headersSent && !res.destroyed) sendError(res, e);
    }
  }

  function sendXml(res: http.ServerResponse, status: number, xml: string, requestId: string) {
    res.writeHead(status, {
      "x-amzn-requestid": requestId,
      "content-type": "text/xml",
      "content-length": Buffer.byteLength(xml),
    });
    res.end(xml);
  }

  /**
   * The CloudFormation read operations (awsQuery protocol): `POST /` with a
   * form-urlencoded body naming the Action, signed for service
   * "cloudformation", answered in XML.
   */
  async function handleQuery(req: http.IncomingMessage, res: http.ServerResponse, rawQuery: string) {
    const requestId = randomUUID();
    let operation: string | undefined;
    try {
      const { body: bodyBuffer, tooLarge } = await readBody(req);
      if (tooLarge) throw new BadRequest("ValidationError", `Request body exceeds the ${MAX_BODY} byte limit.`);
      const bodyText = bodyBuffer.toString("utf8");
      const signedQuery: Record<string, string | string[]> = {};
      for (const [k, v] of new URLSearchParams(rawQuery)) {
        const prev = signedQuery[k];
        signedQuery[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      try {
        await verifySignature(
          { method: "POST", path: "/", query: signedQuery, headers: req.headers, body: bodyText },
          credentials,
          world.region,
          ["cloudformation"],
        );
      } catch (error) {
        const e = error as IoTError;
        throw new BadRequest(cfn.QUERY_AUTH_CODES[e.code] ?? e.code, e.message);
      }
      const params: Record<string, string> = {};
      for (const [k, v] of new URLSearchParams(bodyText)) params[k] ??= v;
      const action = params.Action;
      if (!cfn.isQueryOperation(action)) {
        throw new BadRequest(
          "InvalidAction",
          action ? `Could not find operation ${action} for version ${params.Version ?? "(none)"}` : "The request must name an Action.",
        );
      }
      operation = action;
      const outcome = await admit(operation, {
        throttled: () => new IoTError("Throttling", "Rate exceeded"),
        failed: () => new IoTError("InternalFailure", "Internal failure (injected fault)"),
      });
      if (outcome === "drop-before") return drop(req, res, operation);
      world.tick();
      const xml = cfn.runQueryOperation(world, operation, params, requestId, { pageSize: cloudFormationPageSize });
      if (outcome === "drop-after") return drop(req, res, operation);
      countCall(operation, 200);
      log?.(`POST / -> 200 ${operation}`);
      sendXml(res, 200, xml, requestId);
    } catch (error) {
      const e =
        error instanceof IoTError
          ? error
          : new IoTError("InternalFailure", `Internal error: ${(error as Error)?.message ?? error}`);
      if (operation && !(e instanceof BadRequest)) countCall(operation, e.status, e.code);
      else stats.rejected++;
      log?.(`POST / -> ${e.status} ${operation ?? "CloudFormation"} ${e.code}: ${e.message}`);
      if (!res.headersSent && !res.destroyed) sendXml(res, e.status, cfn.queryErrorXml(e.code, e.message, e.status, requestId), requestId);
    }
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

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
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
      if (!(ms >= 0)) throw new Error("advanceTime expects a non-negative number of milliseconds");
      world.clockOffsetMs += ms;
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

export type { FaultOptions } from "./faults.ts";
export type { ErrorCode };
