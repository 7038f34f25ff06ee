/** The props and output of JobTemplate (its behaviour is in job-template.ts). */
import type { IoTClientProps } from "../../location.ts";
import type { PackageVersionInput } from "../package-versions.ts";
import type {
  AbortConfig,
  JobDocument,
  MaintenanceWindow,
  PresignedUrlConfig,
  RetryConfig,
  RolloutConfig,
  TimeoutConfig,
} from "../../types.ts";
import type { Deployed } from "../deployed.ts";

/**
 * Properties of an AWS IoT job template: the members of CreateJobTemplate,
 * plus where to create it.
 */
export interface JobTemplateProps extends IoTClientProps {
  /**
   * The template's id (1–64 letters, digits, `_`, `-`). Changing it creates a
   * new template before the old one is deleted.
   * @default `${app}-${stage}-${id}`, sanitised and shortened to 64 characters
   */
  jobTemplateId?: string;

  /** What the template is for (up to 2028 characters, no control characters). */
  description: string;

  /**
   * The job document: JSON text, or a JSON value (serialised for you), at most
   * 32 KB. Wrap it in `alchemy.secret(...)` to keep it encrypted in state and
   * masked in logs and previews. Exactly one of `document`, `documentSource`
   * and `jobArn` is required.
   */
  document?: JobDocument;

  /**
   * URL of an S3 object holding the job document (`https://<bucket>.s3.<region>.amazonaws.com/<key>`),
   * read by IoT when a job is created from the template.
   */
  documentSource?: string;

  /**
   * Create the template as a copy of an existing job: a `Job` resource or a
   * job ARN. The template copies the job's document and configuration when it
   * is created. Given a `Job` resource, it follows that job: when the job's
   * document or configuration changes (or the job is replaced with another),
   * the template is made again from it.
   */
  jobArn?: string | { jobArn: string };

  /** Role and expiry for presigned S3 URLs (`${aws:iot:s3-presigned-url:...}` placeholders in the document). */
  presignedUrlConfig?: PresignedUrlConfig;

  /** Rollout rate of jobs created from the template. */
  jobExecutionsRolloutConfig?: RolloutConfig;

  /** When jobs created from the template are cancelled automatically. */
  abortConfig?: AbortConfig;

  /** How long a device may stay IN_PROGRESS before its execution times out (1–10080 minutes). */
  timeoutConfig?: TimeoutConfig;

  /** Retries per device after FAILED or TIMED_OUT executions (at most 10 in total). */
  jobExecutionsRetryConfig?: RetryConfig;

  /** Recurring windows in which jobs from the template roll out (continuous jobs only). */
  maintenanceWindows?: MaintenanceWindow[];

  /**
   * The software package versions the template's jobs install (at most 25):
   * SoftwarePackageVersion resources or ARNs (`$default`, `$null` as for Job). A DRAFT
   * version is refused before any call, and the document's package placeholders must
   * name versions, attributes and artifacts listed here. Changing them replaces the template.
   * @example
   * destinationPackageVersions: [firmware110]
   */
  destinationPackageVersions?: PackageVersionInput[];

  /**
   * Tags. Changing them updates the template in place (TagResource /
   * UntagResource). The provider adds `alchemy_app`, `alchemy_stage` and
   * `alchemy_resource` to recognise its own templates.
   */
  tags?: Record<string, string>;

  /**
   * Take over an existing template with the same id (one this resource did
   * not create, e.g. made by hand or by a CloudFormation stack). The template
   * is read first: when its configuration and tags match the props, adopting
   * it makes no change at all; differing tags are updated in place, and a
   * differing configuration replaces it. Ownership tags are not added to an
   * adopted template.
   * @default the `--adopt` flag of the deploy
   */
  adopt?: boolean;

  /**
   * Act on the template even though a CloudFormation stack still manages it.
   * Without it, adopting, updating, replacing or deleting a template that
   * carries `aws:cloudformation:*` tags first asks CloudFormation whether the
   * stack still lists it, and refuses if it does (see
   * docs/migrating-from-cloudformation.md).
   * @default false
   */
  overrideCloudFormationStack?: boolean;
}

/** A deployed job template. */
export interface JobTemplate extends JobTemplateProps, Deployed {
  /** The region the resource lives in. */
  region: string;
  /** The template's id. */
  jobTemplateId: string;
  /** The template's ARN. */
  jobTemplateArn: string;
  /**
   * When the template was created: IoT's time for a template read from IoT
   * (adopted), else the deploy's clock when CreateJobTemplate answered
   * (CreateJobTemplate does not return it). Unchanged by in-place tag updates.
   */
  createdAt: Date;
}
