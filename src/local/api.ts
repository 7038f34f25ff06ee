/**
 * The local endpoint's public surface: the options of `startLocalIoT`, the
 * handle it returns, and what its statistics report (server.ts implements it).
 */
import type * as cfn from "./cloudformation/index.ts";
import type * as executions from "./account/executions.ts";
import type { FaultOptions } from "./protocol/faults.ts";
import type { LocalCredentials } from "./protocol/sigv4.ts";
import type { DeviceBehaviour } from "./simulation/behaviour.ts";
import type { PackageLimits } from "./state/catalog.ts";
import type { SimulatedDevicesRequest } from "./simulation/devices.ts";
import type { ExecutionEvent } from "./simulation/events.ts";
import type { World } from "./state/world.ts";

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
  /**
   * Quotas of the Software Package Catalog: packages per account, versions
   * per package (ServiceQuotaExceededException beyond them).
   * @default { packages: 10000, versionsPerPackage: 1000 }
   */
  packageLimits?: Partial<PackageLimits>;
  /**
   * How many of the most recent calls `stats().calls` keeps (older ones are
   * only counted, in `byOperation` and `callsOmitted`); 0 keeps none.
   * @default 10000
   */
  maxCallRecords?: number;
  /** Connections served at once; more are closed at once, without an answer (`stats().refusedConnections`). @default 256 */
  maxConnections?: number;
  /** Time a connection has to send a request's headers (from its start), or it is closed. @default 10000 */
  headersTimeoutMs?: number;
  /** Time a connection has to send a whole request, headers and body, or it is answered 408 and closed. @default 30000 */
  requestTimeoutMs?: number;
  /** Time a keep-alive connection may stay idle between requests before it is closed. @default 10000 */
  idleTimeoutMs?: number;
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
  /** Requests refused before routing: unsigned, badly signed, malformed, too large, unknown route, or not received in time. */
  rejected: number;
  /** Connections closed on arrival because `maxConnections` were open. */
  refusedConnections: number;
  /**
   * Connections the endpoint's fast path handed to node:http, from a request
   * that was not of the kind it serves (not arrived whole, chunked, `Expect`,
   * malformed...): such requests are answered as before, only more slowly.
   * The SDK's requests leave it at 0.
   */
  handedOverConnections: number;
  peakDeletionsInProgress: number;
  /** The most recent API calls (at most `maxCallRecords`), in arrival order. */
  calls: CallRecord[];
  /** Calls since the last resetStats() that are no longer in `calls` (counted in `byOperation` all the same). */
  callsOmitted: number;
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
  /**
   * Registers an S3 object that jobs with `documentSource` read their document
   * from, or an SBOM (`s3://<bucket>/<key>`, `?versionId=<version>` when the
   * SBOM's location names a version).
   */
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
