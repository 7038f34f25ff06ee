/**
 * The endpoint's records, as its world holds them and its data file keeps
 * them (store.ts reads and writes the file, data-file.ts checks its shape).
 */
import type { JobExecutionStatus, JobStatus, TargetSelection } from "../../api/constraints.ts";
import type { RolloutProgress } from "../../api/rollout.ts";
import type { DeviceBehaviour } from "../simulation/behaviour.ts";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface TemplateRecord {
  /** Creation order, for pagination. */
  seq: number;
  jobTemplateId: string;
  jobTemplateArn: string;
  description: string;
  document?: string;
  documentSource?: string;
  presignedUrlConfig?: JsonObject;
  jobExecutionsRolloutConfig?: JsonObject;
  abortConfig?: JsonObject;
  timeoutConfig?: JsonObject;
  jobExecutionsRetryConfig?: JsonObject;
  maintenanceWindows?: JsonObject[];
  destinationPackageVersions?: string[];
  /** Epoch seconds. */
  createdAt: number;
}

export interface JobRecord {
  seq: number;
  jobId: string;
  jobArn: string;
  targets: string[];
  targetSelection: TargetSelection;
  status: JobStatus;
  forceCanceled?: boolean;
  reasonCode?: string;
  comment?: string;
  description?: string;
  /** The document as given (placeholders unresolved). */
  document?: string;
  documentSource?: string;
  /** The documentSource object as it was when the job was created (AWS reads it once, at creation). */
  sourceDocument?: string;
  presignedUrlConfig?: JsonObject;
  jobExecutionsRolloutConfig?: JsonObject;
  abortConfig?: JsonObject;
  timeoutConfig?: JsonObject;
  jobExecutionsRetryConfig?: JsonObject;
  namespaceId?: string;
  jobTemplateArn?: string;
  documentParameters?: Record<string, string>;
  schedulingConfig?: JsonObject;
  destinationPackageVersions?: string[];
  createdAt: number;
  lastUpdatedAt: number;
  completedAt?: number;
  /** Epoch milliseconds at which an asynchronous deletion completes. */
  deleteAt?: number;
  /** Status the job had when its deletion started (to know whether it was forced). */
  statusBeforeDeletion?: JobStatus;
  /**
   * Where the job's rollout stands (the fleet simulation). Absent in files
   * written before the simulation existed: such a job notified every target
   * at once when it started.
   */
  rollout?: RolloutRecord;
}

/** The progress of a job's rollout; every member optional, so older files load. */
export interface RolloutRecord {
  /** Created while the endpoint holds rollouts: nothing is notified until releaseJob. */
  held?: boolean;
  /** Epoch ms of the rollout's minute 0 (creation, scheduled start or release). */
  startedAtMs?: number;
  /** Things to notify, in notification order (thing names, sorted); undefined until the rollout starts. */
  pending?: string[];
  /** Index in `pending` of the next thing to notify. */
  next?: number;
  /** Epoch ms of the next rollout minute, if one is due. */
  nextAtMs?: number;
  /** Epoch ms at which the last rollout minute began, and how many things it notified (the minute's budget used). */
  minuteAtMs?: number;
  minuteNotified?: number;
  /** Rate progress, for the rollout helpers of src/api/rollout.ts. */
  progress?: RolloutProgress;
  /** Executions that succeeded since the last rollout minute, not yet counted towards the rate. */
  succeeded?: number;
  /** While a maintenance window is open: when it closes (epoch ms), so open minutes need no cron evaluation. */
  windowEndsAtMs?: number;
  /** The scheduled endTime has been acted upon. */
  ended?: boolean;
  /** No new execution may be created any more (endTime passed with STOP_ROLLOUT). */
  stopped?: boolean;
}

export interface ExecutionRecord {
  jobId: string;
  thingName: string;
  thingArn: string;
  executionNumber: number;
  status: JobExecutionStatus;
  forceCanceled?: boolean;
  statusDetails?: Record<string, string>;
  queuedAt: number;
  startedAt?: number;
  lastUpdatedAt: number;
  versionNumber: number;
  retryAttempt: number;
  /** Epoch ms at which this IN_PROGRESS execution times out (timeoutConfig when it started). */
  timeoutAtMs?: number;
  /** Epoch ms at which the simulated device reports this execution's outcome. */
  deviceDueAtMs?: number;
}

export interface ThingRecord {
  seq: number;
  thingName: string;
  thingArn: string;
  thingId: string;
  thingTypeName?: string;
  attributes: Record<string, string>;
  version: number;
  createdAt: number;
  /** A simulated device: the endpoint runs its executions from this behaviour model. */
  simulated?: { behaviour: DeviceBehaviour; seed: number };
}

export interface ThingGroupRecord {
  seq: number;
  thingGroupName: string;
  thingGroupArn: string;
  thingGroupId: string;
  description?: string;
  attributes: Record<string, string>;
  parentGroupName?: string;
  version: number;
  createdAt: number;
  /** Thing names, in the order they joined. */
  members: string[];
}

export type StackStatus = "CREATE_COMPLETE" | "UPDATE_COMPLETE";

/** One resource of a registered CloudFormation stack. */
export interface StackResourceRecord {
  logicalResourceId: string;
  /** What `Ref` returns: the template id, job id, thing name or thing group name. */
  physicalResourceId: string;
  resourceType: string;
  status: StackStatus;
  /** Epoch milliseconds of the last change CloudFormation made to the resource. */
  lastUpdatedAt: number;
  /** `Fn::GetAtt` values (Arn, and Id for things and thing groups). */
  attributes: Record<string, string>;
  /** The resource's `Metadata` attribute, resolved, as JSON text (what DescribeStackResource returns). */
  metadata?: string;
  /** The resource's `DeletionPolicy` in the stack's current template. */
  deletionPolicy?: string;
}

/** A CloudFormation stack registered through the admin API (for the read operations). */
export interface StackRecord {
  stackName: string;
  /** `arn:aws:cloudformation:{region}:{account}:stack/{name}/{uuid}` */
  stackId: string;
  status: StackStatus;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds of the last update, if any. */
  lastUpdatedAt?: number;
  description?: string;
  /** The template exactly as last given (an object is kept as JSON text). */
  templateBody: string;
  tags: Array<{ Key: string; Value: string }>;
  outputs: Array<{ OutputKey: string; OutputValue: string; Description?: string; ExportName?: string }>;
  /** In creation order. */
  resources: StackResourceRecord[];
}

/** An S3 object's location, as the Software Package Catalog names artifacts and SBOMs. */
export interface S3LocationRecord {
  bucket?: string;
  key?: string;
  version?: string;
}

export type PackageVersionStatus = "DRAFT" | "PUBLISHED" | "DEPRECATED";

/** A software package (the Software Package Catalog). */
export interface PackageRecord {
  /** Creation order, for pagination. */
  seq: number;
  packageName: string;
  packageArn: string;
  description?: string;
  defaultVersionName?: string;
  /** Epoch seconds. */
  createdAt: number;
  lastModifiedAt: number;
  /** The clientToken of the CreatePackage that made it (a retried create with it is answered again). */
  clientToken?: string;
}

/** The outcome of validating a version's SBOM (account/sbom.ts). */
export interface SbomValidationRecord {
  result: "SUCCEEDED" | "FAILED";
  errorCode?: "INCOMPATIBLE_FORMAT" | "FILE_SIZE_LIMIT_EXCEEDED";
  errorMessage?: string;
}

/** A version of a software package. */
export interface PackageVersionRecord {
  seq: number;
  packageName: string;
  versionName: string;
  packageVersionArn: string;
  status: PackageVersionStatus;
  description?: string;
  attributes: Record<string, string>;
  artifact?: S3LocationRecord;
  recipe?: string;
  sbom?: S3LocationRecord;
  /** The validation of `sbom`, done when it was associated. */
  sbomValidation?: SbomValidationRecord;
  createdAt: number;
  lastModifiedAt: number;
  clientToken?: string;
}

/** UpdatePackageConfiguration's settings (one record per account and region). */
export interface PackageConfigurationRecord {
  versionUpdateByJobsConfig: { enabled: boolean; roleArn?: string };
}

/** A device shadow (the data plane): the classic shadow has the name "". */
export interface ShadowRecord {
  thingName: string;
  shadowName: string;
  state: { desired?: JsonObject; reported?: JsonObject };
  /** Per-leaf update times (epoch seconds), in the shape of `state`. */
  metadata: { desired?: JsonObject; reported?: JsonObject };
  version: number;
  /** Epoch seconds of the last update. */
  updatedAt: number;
}

export interface Tables {
  templates: Map<string, TemplateRecord>;
  jobs: Map<string, JobRecord>;
  /**
   * By job id, then thing name: every execution number of that pair, oldest
   * first. Nested rather than keyed by `${jobId}/${thingName}` so that a
   * million-device fleet needs no key string per execution and a job's
   * executions are read without scanning the others'.
   */
  executions: Map<string, Map<string, ExecutionRecord[]>>;
  things: Map<string, ThingRecord>;
  thingGroups: Map<string, ThingGroupRecord>;
  /** Tags by resource ARN. */
  tags: Map<string, Record<string, string>>;
  stacks: Map<string, StackRecord>;
  /** Software packages by name. */
  packages: Map<string, PackageRecord>;
  /** Package versions by `${packageName}/${versionName}`. */
  packageVersions: Map<string, PackageVersionRecord>;
  /** The package configuration, under the key "default" once UpdatePackageConfiguration set it. */
  packageConfiguration: Map<string, PackageConfigurationRecord>;
  /** Device shadows by `${thingName}/${shadowName}` (the classic shadow: `${thingName}/`). */
  shadows: Map<string, ShadowRecord>;
}
