/**
 * `alchemy-iot-jobs/cloudformation`: JobTemplate and Job with the property
 * names and shapes of CloudFormation's `AWS::IoT::JobTemplate` and
 * `AWS::IoT::Job` (and of Alchemy's generated Cloud Control resource
 * `AWS.IoT.JobTemplate`), so a property block can be moved over as it is.
 *
 * They are the package's own resources under another spelling: the same
 * Alchemy resource kinds and state, the same lifecycle (tags are updated in
 * place, which CloudFormation cannot do; everything else as documented in
 * docs/job-template.md and docs/job.md) and the same validation, with every
 * error naming the CloudFormation property path.
 */
import { wireProcess } from "../wiring.ts";
import { randomUUID } from "node:crypto";
import { isSecret, type Secret } from "alchemy";
import { IOT_CLIENT_KEYS, type IoTClientProps } from "../provider/location.ts";
import { keepIdentity } from "../provider/common.ts";
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
import type { JobTarget } from "../provider/types.ts";
import { jobPropsSchema } from "../provider/kinds/job/schema.ts";
import { jobTemplatePropsSchema } from "../provider/kinds/job-template/schema.ts";
import { checkProps, SECRET_REFUSED, ValidationError, type ValidationIssue } from "../provider/validate.ts";
import { cloudFormationPath, fromCloudFormation, JOB, JOB_TEMPLATE, nameMap, type Shape } from "../api/cloudformation/properties.ts";

// ------------------------------------------------------------------ CloudFormation shapes

/** `{ Key, Value }`, as in every CloudFormation `Tags` list. */
// The same wiring as the main entry's (src/wiring.ts).
wireProcess();

export interface Tag {
  Key: string;
  Value: string;
}

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

/** Options of this package that CloudFormation has no property for. */
export interface ProviderOptions extends IoTClientProps {
  /** Take over an existing resource with the same id (see docs/migrating-from-cloudformation.md). */
  adopt?: boolean;
  /** Act on a resource even though a CloudFormation stack still manages it. @default false */
  overrideCloudFormationStack?: boolean;
}

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
  DestinationPackageVersions?: string[];
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
  DestinationPackageVersions?: string[];
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

const PASSTHROUGH = [...IOT_CLIENT_KEYS, "adopt", "overrideCloudFormationStack"];

/** Main-API props that a CloudFormation property also stands for (prop -> the prop of the shape), from the member rows. */
const ALIASES: Record<"template" | "job", Record<string, string>> = {
  job: aliasesOf(JOB_ROWS),
  template: aliasesOf(JOB_TEMPLATE_ROWS),
};

/** `{ key: value }` tags as a `[{ Key, Value }]` list (the list is what CloudFormation takes). */
function tagList(tags: unknown): unknown {
  if (tags && typeof tags === "object" && !Array.isArray(tags) && Object.values(tags).every((v) => typeof v === "string")) {
    return Object.entries(tags as Record<string, string>).map(([Key, Value]) => ({ Key, Value }));
  }
  return tags;
}

/** Rewords a main-API message for CloudFormation: prop names become property names, outside quoted values. */
function reword(text: string, names: Map<string, string>): string {
  return text
    .split(/("(?:[^"\\]|\\.)*")/)
    .map((part, i) => {
      if (i % 2 === 1) return part; // a quoted value
      const replaced = part.replace(/\b[a-z][a-zA-Z]*\b/g, (word, offset: number) => {
        const name = names.get(word);
        if (!name) return word;
        // camelCase names are unambiguous; one-word names ("document", "tags") only where they are listed as props.
        if (/[A-Z]/.test(word)) return name;
        const after = part.slice(offset + word.length);
        return /^(,|:| or\b)/.test(after) ? name : word;
      });
      // "JobTemplateArn or JobTemplateArn" when two API props share one property.
      return replaced.replace(/\b([A-Z]\w+)(, | or )\1\b/g, "$1");
    })
    .join("");
}

/** A main-API validation issue, with its path and names in CloudFormation terms. */
function toCloudFormationIssue(
  issue: ValidationIssue,
  shape: Shape,
  cfnValue: Record<string, unknown>,
  names: Map<string, string>,
  aliases: Record<string, string>,
): ValidationIssue {
  const root = /^[^.[]+/.exec(issue.path)?.[0] ?? "";
  const apiPath = aliases[root] ? aliases[root] + issue.path.slice(root.length) : issue.path;
  let path = cloudFormationPath(shape, apiPath, cfnValue);
  let rest = issue.message.startsWith(`${issue.path}: `) ? issue.message.slice(issue.path.length + 2) : issue.message;
  if (/^Tags\[\d+\]$/.test(path)) {
    // The main API reports a tag by its key (tags.<key>); CloudFormation has a list entry with a Key and a Value.
    const key = apiPath.slice("tags.".length);
    const [, problem] = /^(?:"(?:[^"\\]|\\.)*"|\(sensitive\)) (.*)$/.exec(rest) ?? [undefined, rest];
    // (A refused secret is a tag's value: one given as a Key is refused before this, in CloudFormation terms.)
    const isValue = /^tag value/.test(problem) || problem.startsWith(SECRET_REFUSED);
    path += isValue ? ".Value" : ".Key";
    rest = isValue ? rest : `${JSON.stringify(key)} ${problem}`;
  }
  return { path, message: `${path}: ${reword(rest, names)}` };
}

const isPlain = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype;

/**
 * Secrets go through the translation as opaque strings and are put back in
 * the API props after it: the translation neither takes a secret apart nor
 * prints one (a tag it cannot read is quoted in its message), and the main
 * API's checks then decide where a secret may go. Objects without a secret
 * inside are kept as they are (a resource given as a target stays itself).
 */
function hideSecrets(value: Record<string, unknown>) {
  const secrets = new Map<string, unknown>();
  const nonce = randomUUID().slice(0, 8);
  const holds = (v: unknown): boolean => isSecret(v) || (Array.isArray(v) ? v.some(holds) : isPlain(v) && Object.values(v).some(holds));
  const hide = (v: unknown): unknown => {
    if (isSecret(v)) {
      const token = `(secret ${nonce}-${secrets.size})`;
      secrets.set(token, v);
      return token;
    }
    if (!holds(v)) return v;
    if (Array.isArray(v)) return v.map(hide);
    const out: Record<PropertyKey, unknown> = { ...(v as Record<string, unknown>) };
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = hide(x);
    return out;
  };
  const hidden = hide(value) as Record<string, unknown>;
  const isToken = (v: unknown): v is string => typeof v === "string" && secrets.has(v);
  const inside = (v: unknown): boolean =>
    isToken(v) || (Array.isArray(v) ? v.some(inside) : isPlain(v) && Object.entries(v).some(([k, x]) => isToken(k) || inside(x)));
  const restore = (v: unknown): unknown => {
    if (isToken(v)) return secrets.get(v);
    if (!inside(v)) return v;
    if (Array.isArray(v)) return v.map(restore);
    const out: Record<PropertyKey, unknown> = { ...(v as Record<string, unknown>) };
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      // A secret as a key (a tag's Key) cannot be put back: it is refused on its own (tagKeySecrets).
      if (isToken(k)) delete out[k];
      else out[k] = restore(x);
    }
    return out;
  };
  /** A message with every token (quoted or not) shown as "(sensitive)". */
  const redact = (text: string) =>
    [...secrets.keys()].reduce((t, token) => t.split(JSON.stringify(token)).join("(sensitive)").split(token).join("(sensitive)"), text);
  return { hidden, restore, redact };
}

/** A secret as a tag's Key: refused (IoT stores tag keys in clear, and a key cannot be kept encrypted). */
function tagKeySecrets(tags: unknown): ValidationIssue[] {
  if (!Array.isArray(tags)) return [];
  return tags.flatMap((tag, i) =>
    tag && typeof tag === "object" && isSecret((tag as { Key?: unknown }).Key)
      ? [
          {
            path: `Tags[${i}].Key`,
            message: `Tags[${i}].Key: ${SECRET_REFUSED}: IoT stores tags in clear and returns them to anyone who can call ListTagsForResource; pass a plain string`,
          },
        ]
      : [],
  );
}

/**
 * Translates CloudFormation properties and validates them with the main
 * API's schema, reporting every problem at once in CloudFormation terms.
 */
function prepare(
  kind: "template" | "job",
  label: string,
  props: Record<string, unknown>,
): { apiProps: Record<string, unknown>; rethrow: (error: unknown) => never } {
  const shape = kind === "template" ? JOB_TEMPLATE : JOB;
  const names = nameMap(shape);
  const aliases = ALIASES[kind];
  for (const [api, target] of Object.entries(aliases)) names.set(api, names.get(target)!);
  const { hidden: given, restore, redact } = hideSecrets(props ?? {});
  const cfnValue = given.Tags === undefined ? given : { ...given, Tags: tagList(given.Tags) };
  const translated = fromCloudFormation(shape, cfnValue, kind === "job" ? [...PASSTHROUGH, "deletion"] : PASSTHROUGH);
  const apiProps = restore(translated.props) as Record<string, unknown>;
  const issues = [...tagKeySecrets((props ?? {}).Tags), ...translated.issues.map((i) => ({ path: i.path, message: redact(i.message) }))];
  if (kind === "job") {
    // JobTemplateArn may be a JobTemplate output or a ManagedJobTemplate lookup: the main API's jobTemplate.
    const ref = apiProps.jobTemplateArn;
    if (ref !== undefined && typeof ref === "object") {
      apiProps.jobTemplate = ref;
      delete apiProps.jobTemplateArn;
    }
  }
  const translateIssues = (error: ValidationError): ValidationIssue[] =>
    error.issues.map((i) => toCloudFormationIssue(i, shape, cfnValue, names, aliases));
  const all: ValidationIssue[] = [...issues];
  try {
    checkProps(label, kind === "template" ? jobTemplatePropsSchema : jobPropsSchema, apiProps);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    for (const issue of translateIssues(error)) {
      // An unknown property already explains what is missing under it.
      if (!all.some((t) => t.path === issue.path)) all.push(issue);
    }
  }
  if (all.length > 0) throw new ValidationError(label, all);
  return {
    apiProps,
    rethrow(error: unknown): never {
      throw error instanceof ValidationError ? new ValidationError(label, translateIssues(error)) : error;
    },
  };
}

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
    "template",
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
 * Translates and checks the props, then runs the main API's resource; its
 * output gets CloudFormation's attribute names, and a validation error that
 * it raises later (e.g. a schedule checked at create time) CloudFormation paths.
 */
function run<O, R>(
  kind: "template" | "job",
  label: string,
  props: object,
  resource: (apiProps: Record<string, unknown>) => Promise<O>,
  attributes: (out: O) => R,
): Promise<R> {
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(kind, label, props as Record<string, unknown>);
  } catch (error) {
    return Promise.reject(error);
  }
  const pending = resource(prepared.apiProps);
  return keepIdentity(
    pending,
    pending.then(attributes, (error) => prepared.rethrow(error)),
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
    "job",
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

export { fromCloudFormation, toCloudFormation, JOB, JOB_TEMPLATE } from "../api/cloudformation/properties.ts";
export { ManagedByStackError } from "../provider/stack-guard.ts";
