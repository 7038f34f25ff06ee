/**
 * `alchemy-iot-jobs/cloudformation`: JobTemplate and Job with the property
 * names and shapes of CloudFormation's `AWS::IoT::JobTemplate` and
 * `AWS::IoT::Job` (and of Alchemy's generated Cloud Control resource
 * `AWS.IoT.JobTemplate`), so a property block can be moved over as it is;
 * SoftwarePackage and SoftwarePackageVersion likewise
 * (`AWS::IoT::SoftwarePackage`, `AWS::IoT::SoftwarePackageVersion`,
 * software-packages.ts).
 *
 * They are the package's own resources under another spelling: the same
 * Alchemy resource kinds and state, the same lifecycle (tags are updated in
 * place, which CloudFormation cannot do; everything else as documented in
 * docs/job-template.md and docs/job.md) and the same validation, with every
 * error naming the CloudFormation property path.
 */
// First: the whole-program check's process starts while the rest of the package loads (src/preview/early-check.ts).
import "../preview/early-check.ts";
import { wireProcess } from "../wiring.ts";
import type { Secret } from "alchemy";
import { aliasesOf } from "../provider/engine/members.ts";
import {
  Job as CoreJob,
  JOB_ROWS,
  type Job as CoreJobOutput,
  type JobDeletion,
  type JobProps as CoreJobProps,
} from "../provider/kinds/job/contract.ts";
import {
  JobTemplate as CoreJobTemplate,
  ROWS as JOB_TEMPLATE_ROWS,
  type JobTemplate as CoreJobTemplateOutput,
  type JobTemplateProps as CoreJobTemplateProps,
} from "../provider/kinds/job-template/contract.ts";
import type { PackageVersionInput } from "../provider/kinds/package-versions.ts";
import type { JobTarget } from "../provider/types.ts";
import { jobPropsSchema } from "../provider/kinds/job/schema.ts";
import { jobTemplatePropsSchema } from "../provider/kinds/job-template/schema.ts";
import { JOB, JOB_TEMPLATE } from "../api/cloudformation/properties.ts";
import { PASSTHROUGH, run, type CloudFormationType, type ProviderOptions, type Tag } from "./translate.ts";

// ------------------------------------------------------------------ CloudFormation shapes

// The same wiring as the main entry's (src/wiring.ts).
wireProcess();

export type { ProviderOptions, Tag } from "./translate.ts";

export interface AbortCriteria {
  /** The only action is `CANCEL`. */
  Action: "CANCEL";
  FailureType: "FAILED" | "REJECTED" | "TIMED_OUT" | "ALL";
  /** Executions that must have finished before the job can be aborted (at least 1). */
  MinNumberOfExecutedThings: number;
  /** Share of failed executions that aborts the job (0–100). */
  ThresholdPercentage: number;
}

export interface AbortConfig {
  CriteriaList: AbortCriteria[];
}

export interface RetryCriteria {
  FailureType: "FAILED" | "TIMED_OUT" | "ALL";
  NumberOfRetries: number;
}

export interface ExponentialRolloutRate {
  BaseRatePerMinute: number;
  IncrementFactor: number;
  RateIncreaseCriteria: { NumberOfNotifiedThings?: number; NumberOfSucceededThings?: number };
}

export interface MaintenanceWindow {
  /** A cron expression in UTC, e.g. `cron(0 22 ? * SAT *)`. */
  StartTime: string;
  /** 1–1430 minutes. */
  DurationInMinutes: number;
}

export interface PresignedUrlConfig {
  RoleArn: string;
  /** 60–3600 seconds. @default 3600 */
  ExpiresInSec?: number;
}

export interface TimeoutConfig {
  /** 1–10080 minutes. */
  InProgressTimeoutInMinutes: number;
}

/** A job document: JSON text as in CloudFormation, or a JSON value, or an `alchemy.secret(...)`. */
export type Document = string | Record<string, unknown> | Secret<string>;

/** The properties of `AWS::IoT::JobTemplate`. */
export interface JobTemplateProperties {
  /**
   * The template's id (1–64 letters, digits, `_`, `-`). Required by
   * CloudFormation; here it defaults like the main API's `jobTemplateId`.
   */
  JobTemplateId?: string;
  Description: string;
  /** Exactly one of Document, DocumentSource and JobArn. */
  Document?: Document;
  DocumentSource?: string;
  /** A job to copy (its ARN, or a Job output). */
  JobArn?: string | { jobArn: string };
  AbortConfig?: AbortConfig;
  /** Retries per failure type. Note: `RetryCriteriaList` here, `CriteriaList` in AWS::IoT::Job. */
  JobExecutionsRetryConfig?: { RetryCriteriaList?: RetryCriteria[] };
  /** Note: `ExponentialRolloutRate` here, `ExponentialRate` in AWS::IoT::Job. */
  JobExecutionsRolloutConfig?: { ExponentialRolloutRate?: ExponentialRolloutRate; MaximumPerMinute?: number };
  MaintenanceWindows?: MaintenanceWindow[];
  PresignedUrlConfig?: PresignedUrlConfig;
  TimeoutConfig?: TimeoutConfig;
  /** Package version ARNs; a SoftwarePackageVersion output is accepted too (its status and attributes are then checked before any call). */
  DestinationPackageVersions?: PackageVersionInput[];
  /**
   * Tags, updated in place (CloudFormation replaces the template instead).
   * A `{ key: value }` object, as Alchemy's Cloud Control docs write it, is accepted too.
   */
  Tags?: Tag[] | Record<string, string>;
}

/** The properties of `AWS::IoT::Job`. */
export interface JobProperties {
  /** The job's id. Required by CloudFormation; here it defaults like the main API's `jobId`. */
  JobId?: string;
  /** Thing and thing group ARNs (or Thing/ThingGroup outputs). */
  Targets: JobTarget[];
  TargetSelection?: "SNAPSHOT" | "CONTINUOUS";
  Description?: string;
  /** Exactly one of Document, DocumentSource and JobTemplateArn. */
  Document?: Document;
  DocumentSource?: string;
  /** The template's ARN; a JobTemplate output or a ManagedJobTemplate lookup is accepted too. */
  JobTemplateArn?: string | { jobTemplateArn: string } | { templateArn: string };
  /** Values for a managed template's `${aws:iot:parameter:...}` placeholders; each may be an `alchemy.secret(...)`. */
  DocumentParameters?: Record<string, string | Secret<string>>;
  AbortConfig?: AbortConfig;
  /** Note: `CriteriaList` here, `RetryCriteriaList` in AWS::IoT::JobTemplate. */
  JobExecutionsRetryConfig?: { CriteriaList?: RetryCriteria[] };
  /** Note: `ExponentialRate` here, `ExponentialRolloutRate` in AWS::IoT::JobTemplate. */
  JobExecutionsRolloutConfig?: { ExponentialRate?: ExponentialRolloutRate; MaximumPerMinute?: number };
  SchedulingConfig?: {
    StartTime?: string;
    EndTime?: string;
    EndBehavior?: "STOP_ROLLOUT" | "CANCEL" | "FORCE_CANCEL";
    MaintenanceWindows?: MaintenanceWindow[];
  };
  PresignedUrlConfig?: PresignedUrlConfig;
  TimeoutConfig?: TimeoutConfig;
  /** Package version ARNs; a SoftwarePackageVersion output is accepted too (its status and attributes are then checked before any call). */
  DestinationPackageVersions?: PackageVersionInput[];
  /** Tags, updated in place. A `{ key: value }` object is accepted too. */
  Tags?: Tag[] | Record<string, string>;
}

export interface JobTemplateProps extends JobTemplateProperties, ProviderOptions {}

export interface JobProps extends JobProperties, ProviderOptions {
  /** What destroy and replacement may do to a job that devices are still running (see docs/job.md). */
  deletion?: JobDeletion;
}

/** A deployed job template: the main API's output, plus CloudFormation's attribute names. */
export interface JobTemplate extends CoreJobTemplateOutput {
  /** `Fn::GetAtt Arn`. */
  Arn: string;
  /** `Ref`. */
  JobTemplateId: string;
}

/** A deployed job: the main API's output, plus CloudFormation's attribute names. */
export interface Job extends CoreJobOutput {
  /** `Fn::GetAtt Arn`. */
  Arn: string;
  /** `Ref`. */
  JobId: string;
}

// ------------------------------------------------------------------ translation

const TEMPLATE_TYPE: CloudFormationType = {
  shape: JOB_TEMPLATE,
  schema: jobTemplatePropsSchema,
  aliases: aliasesOf(JOB_TEMPLATE_ROWS),
  passthrough: PASSTHROUGH,
};

const JOB_TYPE: CloudFormationType = {
  shape: JOB,
  schema: jobPropsSchema,
  aliases: aliasesOf(JOB_ROWS),
  passthrough: [...PASSTHROUGH, "deletion"],
  adjust(apiProps) {
    // JobTemplateArn may be a JobTemplate output or a ManagedJobTemplate lookup: the main API's jobTemplate.
    const ref = apiProps.jobTemplateArn;
    if (ref !== undefined && typeof ref === "object") {
      apiProps.jobTemplate = ref;
      delete apiProps.jobTemplateArn;
    }
  },
};

// ------------------------------------------------------------------ resources

/**
 * An AWS IoT job template declared with the properties of
 * `AWS::IoT::JobTemplate`. The same resource as the main API's JobTemplate
 * (same state, lifecycle and checks); errors name CloudFormation paths.
 *
 * @example
 * import { JobTemplate } from "alchemy-iot-jobs/cloudformation";
 *
 * const basic = await JobTemplate("basicJobTemplate", {
 *   Description: "Basic job template for device updates",
 *   JobTemplateId: "device-update-template",
 *   Document: JSON.stringify({ operation: "updateFirmware", version: "1.2.3" }),
 *   TimeoutConfig: { InProgressTimeoutInMinutes: 60 },
 *   Tags: [{ Key: "Environment", Value: "Production" }],
 * });
 * basic.Arn; // also basic.jobTemplateArn
 *
 * @example
 * // Abort, retry, rollout and maintenance windows, spelled as in CloudFormation
 * await JobTemplate("ota", {
 *   JobTemplateId: "ota",
 *   Description: "OTA update",
 *   Document: JSON.stringify({ operation: "ota" }),
 *   AbortConfig: {
 *     CriteriaList: [{ Action: "CANCEL", FailureType: "FAILED", MinNumberOfExecutedThings: 5, ThresholdPercentage: 10 }],
 *   },
 *   JobExecutionsRetryConfig: { RetryCriteriaList: [{ FailureType: "TIMED_OUT", NumberOfRetries: 2 }] },
 *   JobExecutionsRolloutConfig: {
 *     ExponentialRolloutRate: { BaseRatePerMinute: 10, IncrementFactor: 2, RateIncreaseCriteria: { NumberOfSucceededThings: 50 } },
 *   },
 *   MaintenanceWindows: [{ StartTime: "cron(0 22 ? * SAT *)", DurationInMinutes: 120 }],
 * });
 */
export function JobTemplate(id: string, props: JobTemplateProps): Promise<JobTemplate> {
  return run(
    TEMPLATE_TYPE,
    `JobTemplate "${id}"`,
    props,
    (apiProps) => CoreJobTemplate(id, apiProps as unknown as CoreJobTemplateProps),
    (out) => ({
      ...out,
      Arn: out.jobTemplateArn,
      JobTemplateId: out.jobTemplateId,
    }),
  );
}

/**
 * An AWS IoT job declared with the properties of `AWS::IoT::Job`. The same
 * resource as the main API's Job (same state, lifecycle and checks,
 * including `DocumentParameters` checked against a managed template before
 * any call); errors name CloudFormation paths.
 *
 * @example
 * import { Job } from "alchemy-iot-jobs/cloudformation";
 *
 * const job = await Job("rollout", {
 *   JobId: "firmware-1-2-3",
 *   Targets: ["arn:aws:iot:us-east-1:123456789012:thinggroup/fleet"],
 *   JobTemplateArn: template.Arn,
 *   TargetSelection: "CONTINUOUS",
 *   JobExecutionsRetryConfig: { CriteriaList: [{ FailureType: "FAILED", NumberOfRetries: 1 }] },
 *   Tags: [{ Key: "team", Value: "fleet" }],
 * });
 *
 * @example
 * // From an AWS managed template, its parameters checked before any call
 * const download = await ManagedJobTemplate({ templateName: "AWS-Download-File" });
 * await Job("fetch-config", {
 *   Targets: [fleet],
 *   JobTemplateArn: download,
 *   DocumentParameters: { downloadUrl: "https://example.com/cfg.json", filePath: "/etc/app/cfg.json" },
 * });
 */
export function Job(id: string, props: JobProps): Promise<Job> {
  return run(
    JOB_TYPE,
    `Job "${id}"`,
    props,
    (apiProps) => CoreJob(id, apiProps as unknown as CoreJobProps),
    (out) => ({
      ...out,
      Arn: out.jobArn,
      JobId: out.jobId,
    }),
  );
}

export {
  SoftwarePackage,
  SoftwarePackageVersion,
  type S3Location,
  type SoftwarePackageProperties,
  type SoftwarePackageProps,
  type SoftwarePackageVersionProperties,
  type SoftwarePackageVersionProps,
} from "./software-packages.ts";
export {
  fromCloudFormation,
  toCloudFormation,
  JOB,
  JOB_TEMPLATE,
  SOFTWARE_PACKAGE,
  SOFTWARE_PACKAGE_VERSION,
} from "../api/cloudformation/properties.ts";
export { ManagedByStackError } from "../provider/stack-guard.ts";
