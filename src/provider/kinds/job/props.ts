/** The props and output of Job (its behaviour is in job.ts). */
import type { JobStatus } from "@aws-sdk/client-iot";
import type { Secret } from "alchemy";
import type { IoTClientProps } from "../../location.ts";
import type { PackageVersionInput } from "../package-versions.ts";
import type { ManagedJobTemplate } from "../managed-job-template/lookup.ts";
import type {
  AbortConfig,
  JobDocument,
  JobTarget,
  PresignedUrlConfig,
  RetryConfig,
  RolloutConfig,
  SchedulingConfig,
  TimeoutConfig,
} from "../../types.ts";
import type { Deployed } from "../deployed.ts";

/** What destroying (or replacing) a job may do to devices that are running it. */
export interface JobDeletion {
  /**
   * Allow cancelling executions that devices are running right now
   * (CancelJob and DeleteJob with `force`). Without it, destroying a job that
   * devices are running fails with an explanation, and nothing is changed.
   * @default false
   */
  force?: boolean;
  /**
   * How long to wait for IoT to finish deleting the job (it stays
   * DELETION_IN_PROGRESS while its executions are removed). On timeout the
   * destroy fails and the job stays in state, so a later destroy finishes it.
   * @default 600
   */
  timeoutSeconds?: number;
}

export const DEFAULT_DELETION_TIMEOUT_SECONDS = 600;

/** Properties of an AWS IoT job: the members of CreateJob, plus deletion behaviour and where to create it. */
export interface JobProps extends IoTClientProps {
  /**
   * The job's id (1–64 letters, digits, `_`, `-`). With an explicit id, a
   * replacement must wait until the old job is deleted before creating the new one.
   * @default `${app}-${stage}-${id}-<hash>`, where the hash covers the props that force replacement:
   * stable across deploys, new on every replacement (AWS discourages reusing job ids)
   */
  jobId?: string;

  /** Things and thing groups to run the job on (1–100): ARNs, or `Thing` / `ThingGroup` resources. */
  targets: JobTarget[];

  /** The job document (JSON text or value, at most 32 KB); may be an `alchemy.secret(...)`. */
  document?: JobDocument;

  /** URL of an S3 object holding the job document, read once when the job is created. */
  documentSource?: string;

  /**
   * Create the job from a template: a `ManagedJobTemplate` lookup, a `JobTemplate`, or a template ARN.
   * Exactly one of `document`, `documentSource`, `jobTemplate` and `jobTemplateArn` is required.
   */
  jobTemplate?: ManagedJobTemplate | { jobTemplateArn: string } | string;

  /** The template's ARN (an alternative to `jobTemplate`). */
  jobTemplateArn?: string;

  /**
   * Values for the `${aws:iot:parameter:<key>}` placeholders of an AWS managed
   * template (only with one). Checked before any call: every required key,
   * no unknown key, each value matching the parameter's regex as a whole.
   * Values may be `alchemy.secret(...)`.
   */
  documentParameters?: Record<string, string | Secret<string>>;

  /** What the job does (up to 2028 characters). Updated in place. */
  description?: string;

  /** Role and expiry for presigned S3 URLs. Updated in place. */
  presignedUrlConfig?: PresignedUrlConfig;

  /**
   * SNAPSHOT runs on the targets as they are at creation and completes;
   * CONTINUOUS also reaches things added to a target group later.
   * @default "SNAPSHOT"
   */
  targetSelection?: "SNAPSHOT" | "CONTINUOUS";

  /** Rollout rate. Updated in place. */
  jobExecutionsRolloutConfig?: RolloutConfig;

  /** Abort criteria. Updated in place (cannot be removed once set). */
  abortConfig?: AbortConfig;

  /** In-progress timeout (1–10080 minutes). Updated in place; applies to executions that start afterwards. */
  timeoutConfig?: TimeoutConfig;

  /** Retries after FAILED or TIMED_OUT. After creation they can only be lowered to 0. */
  jobExecutionsRetryConfig?: RetryConfig;

  /** Start and end time, end behaviour, maintenance windows (continuous jobs only). */
  schedulingConfig?: SchedulingConfig;

  /** IoT Greengrass namespace of the job. */
  namespaceId?: string;

  /**
   * The software package versions the job installs (at most 25): SoftwarePackageVersion
   * resources or ARNs (`arn:aws:iot:<region>:<account>:package/<package>/version/<version>`,
   * `$default` for the package's default version, `$null` to uninstall). Each must be
   * PUBLISHED or DEPRECATED: a DRAFT version is refused before any call (declared ones
   * by their status, ARNs by a read), and the document's package placeholders
   * (`${aws:iot:package:<package>:version:<version>:attributes:<key>}` ...) must name
   * versions, attributes and artifacts listed here. Changing them replaces the job.
   * @example
   * destinationPackageVersions: [firmware110]
   */
  destinationPackageVersions?: PackageVersionInput[];

  /** Tags, updated in place. The provider adds its `alchemy_*` ownership tags. */
  tags?: Record<string, string>;

  /** What destroy and replacement may do to a job that devices are still running. */
  deletion?: JobDeletion;

  /**
   * Take over an existing job with the same `jobId` (one this resource did
   * not create, e.g. made by a CloudFormation stack). The job is read first:
   * when it matches the props, adopting it makes no change at all; differing
   * UpdateJob members and tags are updated in place, anything else replaces
   * the job. Ownership tags are not added to an adopted job.
   * @default the `--adopt` flag of the deploy
   */
  adopt?: boolean;

  /**
   * Act on the job even though a CloudFormation stack still manages it.
   * Without it, adopting, updating, replacing or deleting a job that carries
   * `aws:cloudformation:*` tags first asks CloudFormation whether the stack
   * still lists it, and refuses if it does.
   * @default false
   */
  overrideCloudFormationStack?: boolean;
}

/** A deployed job. */
export interface Job extends Omit<JobProps, "jobTemplateArn">, Deployed {
  /** The region the resource lives in. */
  region: string;
  jobId: string;
  jobArn: string;
  /** The job's status when it was last deployed or read (it moves on by itself: SNAPSHOT jobs complete). */
  status: JobStatus;
  /**
   * When the job was created: IoT's time for a job read from IoT (adopted),
   * else the deploy's clock when CreateJob answered (CreateJob does not return it).
   */
  createdAt: Date;
  /** The template the job was created from, if any. */
  jobTemplateArn?: string;
  /**
   * UpdateJob members the deploy recorded but did not send, with the values
   * the job still has (IoT does not update finished jobs).
   */
  notApplied?: Record<string, unknown>;
}
