/**
 * The AWS IoT Jobs API's limits, patterns and enums, as data.
 *
 * One table serves both sides of the project: the provider's input validation
 * (`validate.ts`, `schemas.ts`) and the local endpoint's request checks
 * (`src/local/`). Lengths, patterns, ranges, sizes and enums come from the AWS
 * model, through the generated table (src/api/model/iot.generated.ts); the limits
 * the model leaves open come from AWS's documentation, each with its source,
 * in GUIDE below.
 */
import { SHAPES } from "./model/iot.generated.ts";

/** A string constraint: length bounds and a pattern the whole value must match. */
export interface StringRule {
  readonly min?: number;
  readonly max?: number;
  /** Source of a regular expression that must match the whole value. */
  readonly pattern?: string;
  /** Human wording of the pattern, used in error messages. */
  readonly patternText?: string;
}

/** A numeric constraint. */
export interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
  /** Maximum number of decimal digits (e.g. thresholdPercentage allows two). */
  readonly maxDecimals?: number;
}

// ------------------------------------------------------------------ from the AWS model

type Shape = (typeof SHAPES)[string];

function shape<T extends Shape["type"]>(name: string, ...types: T[]): Extract<Shape, { type: T }> {
  const s = SHAPES[name];
  if (!s || !types.includes(s.type as T)) throw new Error(`model shape ${name} is not a ${types.join(" or ")}`);
  return s as Extract<Shape, { type: T }>;
}

/**
 * A string shape of the model as a rule. A pattern that needs one character
 * at least (`...+`) with no minimum length means a minimum of 1: said so, the
 * message for an empty value is "must not be empty".
 */
function modelString(name: string, patternText?: string): StringRule {
  const s = shape(name, "string");
  const min = s.min ?? (s.pattern !== undefined && /\+\)?\$?$/.test(s.pattern) ? 1 : undefined);
  return {
    ...(min !== undefined ? { min } : {}),
    ...(s.max !== undefined ? { max: s.max } : {}),
    ...(s.pattern !== undefined ? { pattern: s.pattern, ...(patternText ? { patternText } : {}) } : {}),
  };
}

/** A numeric shape of the model as a rule (integer and long shapes take whole numbers). */
function modelNumber(name: string, guide: Partial<NumberRule> = {}): NumberRule {
  const s = shape(name, "integer", "long", "double", "float");
  return {
    ...(s.min !== undefined ? { min: s.min } : {}),
    ...(s.max !== undefined ? { max: s.max } : {}),
    ...(s.type === "integer" || s.type === "long" ? { integer: true } : {}),
    ...guide,
  };
}

/** A list or map shape's size bounds. */
function modelSize(name: string, guide: { min?: number; max?: number } = {}): { min?: number; max?: number } {
  const s = shape(name, "list", "map");
  return { ...(s.min !== undefined ? { min: s.min } : {}), ...(s.max !== undefined ? { max: s.max } : {}), ...guide };
}

/** A rule with bounds that must be there (checked when the module loads, so a model refresh that drops one fails at once). */
function need<R extends object, K extends string>(rule: R, ...keys: K[]): R & Record<K, number> {
  for (const k of keys)
    if (typeof (rule as Record<string, unknown>)[k] !== "number")
      throw new Error(`constraint ${k} is missing from ${JSON.stringify(rule)}`);
  return rule as R & Record<K, number>;
}

const modelEnum = (name: string): readonly string[] => shape(name, "string").enum ?? [];

const ID_TEXT = "letters, digits, '_' and '-' only";
const NAME_TEXT = "letters, digits, ':', '_' and '-' only";
const NO_CONTROL_TEXT = "no control characters";
const CATALOG_NAME_TEXT = "letters, digits, '-', '_' and '.' only";
const ARN_TEXT = 'an ARN ("arn:" followed by printable ASCII without spaces)';

/** String members: the model's lengths and patterns, with wording for messages. */
export const STRINGS = {
  jobId: modelString("JobId", ID_TEXT),
  jobTemplateId: modelString("JobTemplateId", ID_TEXT),
  thingName: modelString("ThingName", NAME_TEXT),
  thingGroupName: modelString("ThingGroupName", NAME_TEXT),
  namespaceId: modelString("NamespaceId", ID_TEXT),
  managedTemplateName: modelString("ManagedJobTemplateName"),
  templateVersion: modelString("ManagedTemplateVersion", 'a version like "1.0"'),
  description: modelString("JobDescription", NO_CONTROL_TEXT),
  document: need(modelString("JobDocument"), "max"),
  documentSource: modelString("JobDocumentSource"),
  targetArn: modelString("TargetArn"),
  jobTemplateArn: modelString("JobTemplateArn", ARN_TEXT),
  destinationPackageVersion: modelString("PackageVersionArn", ARN_TEXT),
  roleArn: modelString("RoleArn"),
  reasonCode: modelString("ReasonCode", "upper-case letters, digits and '_' only"),
  comment: modelString("Comment", NO_CONTROL_TEXT),
  tagKey: modelString("TagKey", "letters, digits, spaces and _ . : / = + - @ only"),
  tagValue: modelString("TagValue"),
  documentParameterKey: modelString("ParameterKey", ID_TEXT),
  documentParameterValue: modelString("ParameterValue", NO_CONTROL_TEXT),
  maintenanceWindowStartTime: modelString("CronExpression"),
  schedulingTime: modelString("StringDateTime"),
  statusDetailsKey: modelString("DetailsKey", NAME_TEXT),
  statusDetailsValue: modelString("DetailsValue", NO_CONTROL_TEXT),
  attributeName: modelString("AttributeName", "letters, digits and _ . , @ / : # - only"),
  attributeValue: modelString("AttributeValue", "letters, digits and _ . , @ / : # = [ ] - only"),
  thingGroupDescription: modelString("ThingGroupDescription", "printable ASCII characters and spaces only"),
  thingGroupId: modelString("ThingGroupId", "letters, digits and '-' only"),
  thingTypeName: modelString("ThingTypeName", NAME_TEXT),
  packageName: modelString("PackageName", CATALOG_NAME_TEXT),
  versionName: modelString("VersionName", CATALOG_NAME_TEXT),
  packageDescription: modelString("ResourceDescription", NO_CONTROL_TEXT),
  packageAttributeName: modelString("ResourceAttributeKey", "letters, digits, ':', '_' and '-' only"),
  packageAttributeValue: modelString("ResourceAttributeValue", NO_CONTROL_TEXT),
  packageRecipe: need(modelString("PackageVersionRecipe"), "max"),
  s3Bucket: modelString("S3Bucket"),
  s3Key: modelString("S3Key"),
} as const satisfies Record<string, StringRule>;

// ------------------------------------------------------------------ from the documentation (the model does not say)

/**
 * Limits the model leaves open, from AWS's documentation; each with its
 * source (DG: the AWS IoT developer guide; API: the API reference's text).
 * Everything else in this file comes from the model.
 */
export const GUIDE = {
  /** DG, job-configurations-api and job-limits: a rollout sends at most 1000 job executions per minute. */
  maximumPerMinute: { max: 1000 },
  /** API, ExponentialRolloutRate: incrementFactor takes one decimal digit at most. */
  incrementFactor: { maxDecimals: 1 },
  /** API, AbortCriteria: a percentage from 0, with two decimal digits at most. */
  thresholdPercentage: { min: 0, maxDecimals: 2 },
  /** DG, jobs-configurations-details: an in-progress timeout is 1 minute to 7 days (10080 minutes). */
  inProgressTimeoutInMinutes: { min: 1, max: 10080 },
  /** DG, job-limits: a job has at most 100 targets. */
  targets: { max: 100 },
  /** DG, job-limits: at most 10 retries per device in total, across failure types. */
  totalRetries: { max: 10 },
  /** API, CreateJob: at most 25 package version ARNs. */
  destinationPackageVersions: { max: 25 },
  /** DG, tagging: at most 50 tags per resource. */
  tagsPerResource: { max: 50 },
  /** API, CancelJobExecution / UpdateJobExecution: at most 10 status details. */
  statusDetails: { max: 10 },
  /** DG, job document placeholders: at most 10 substitution patterns per document. */
  substitutionsPerDocument: { max: 10 },
  /** DG, thing limits: at most 50 attributes per thing (and per thing group). */
  attributes: { max: 50 },
  /** DG, thing groups: a thing belongs to at most 10 static thing groups. */
  thingGroupsPerThing: { max: 10 },
  /** API, CreatePackageVersion / UpdatePackageVersion: a version's attributes are at most 3 KB together. */
  packageVersionAttributes: { maxBytes: 3072 },
} as const;

export const NUMBERS = {
  expiresInSec: modelNumber("ExpiresInSec"),
  maximumPerMinute: need(modelNumber("MaxJobExecutionsPerMin", GUIDE.maximumPerMinute), "min", "max"),
  baseRatePerMinute: modelNumber("RolloutRatePerMinute"),
  incrementFactor: modelNumber("IncrementFactor", GUIDE.incrementFactor),
  numberOfNotifiedThings: modelNumber("NumberOfThings"),
  numberOfSucceededThings: modelNumber("NumberOfThings"),
  thresholdPercentage: modelNumber("AbortThresholdPercentage", GUIDE.thresholdPercentage),
  minNumberOfExecutedThings: modelNumber("MinimumNumberOfExecutedThings"),
  inProgressTimeoutInMinutes: modelNumber("InProgressTimeoutInMinutes", GUIDE.inProgressTimeoutInMinutes),
  numberOfRetries: modelNumber("NumberOfRetries"),
  durationInMinutes: modelNumber("DurationInMinutes"),
  maxResults: modelNumber("LaserMaxResults"),
} as const satisfies Record<string, NumberRule>;

export const LISTS = {
  /** CreateJob targets: at least one (model), at most 100 (guide). */
  targets: need(modelSize("JobTargets", GUIDE.targets), "min", "max"),
  abortCriteria: need(modelSize("AbortCriteriaList"), "min"),
  retryCriteria: need(modelSize("RetryCriteriaList"), "min", "max"),
  /** Retries per device, summed over all failure types. */
  totalRetries: GUIDE.totalRetries,
  destinationPackageVersions: need(modelSize("DestinationPackageVersions", GUIDE.destinationPackageVersions), "max"),
  tagsPerResource: need(modelSize("TagList", GUIDE.tagsPerResource), "max"),
  statusDetails: need(modelSize("DetailsMap", GUIDE.statusDetails), "max"),
  /** `${aws:iot:...}` substitution patterns per job document. */
  substitutionsPerDocument: GUIDE.substitutionsPerDocument,
  attributes: need(modelSize("Attributes", GUIDE.attributes), "max"),
} as const;

export const ENUMS = {
  targetSelection: modelEnum("TargetSelection") as readonly ["CONTINUOUS", "SNAPSHOT"],
  jobStatus: modelEnum("JobStatus") as readonly ["IN_PROGRESS", "CANCELED", "COMPLETED", "DELETION_IN_PROGRESS", "SCHEDULED"],
  jobExecutionStatus: modelEnum("JobExecutionStatus") as readonly [
    "QUEUED",
    "IN_PROGRESS",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "REJECTED",
    "REMOVED",
    "CANCELED",
  ],
  abortFailureType: modelEnum("JobExecutionFailureType") as readonly ["FAILED", "REJECTED", "TIMED_OUT", "ALL"],
  retryFailureType: modelEnum("RetryableFailureType") as readonly ["FAILED", "TIMED_OUT", "ALL"],
  abortAction: modelEnum("AbortAction") as readonly ["CANCEL"],
  jobEndBehavior: modelEnum("JobEndBehavior") as readonly ["STOP_ROLLOUT", "CANCEL", "FORCE_CANCEL"],
  packageVersionStatus: modelEnum("PackageVersionStatus") as readonly ["DRAFT", "PUBLISHED", "DEPRECATED"],
} as const;

export type TargetSelection = (typeof ENUMS.targetSelection)[number];
export type JobStatus = (typeof ENUMS.jobStatus)[number];
export type JobExecutionStatus = (typeof ENUMS.jobExecutionStatus)[number];

/**
 * Job statuses a job never leaves on its own: the job has finished. DeleteJob
 * without force accepts only these, and IoT updates no such job (the
 * provider records the change in state only, and says so in FINISHED_JOB_RULE's words).
 */
const FINISHED_JOBS: readonly JobStatus[] = ["COMPLETED", "CANCELED"];

/** Has a job with this status finished (COMPLETED or CANCELED)? The one test of it, wherever a job's status is read. */
export const isFinishedJob = (status: unknown): boolean => FINISHED_JOBS.includes(status as JobStatus);

/** The statuses of a finished job, in words: "COMPLETED or CANCELED". */
export const FINISHED_JOB_STATUSES = FINISHED_JOBS.join(" or ");

/** The rule, in the one wording every message that applies it uses. */
export const FINISHED_JOB_RULE = "IoT does not update finished jobs";

/** Execution statuses that are final. */
export const TERMINAL_EXECUTION_STATUSES: readonly JobExecutionStatus[] = [
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
  "REJECTED",
  "REMOVED",
  "CANCELED",
];

/** The members UpdateJob accepts; every other job property is fixed at creation. */
export const UPDATABLE_JOB_MEMBERS = [
  "description",
  "presignedUrlConfig",
  "jobExecutionsRolloutConfig",
  "abortConfig",
  "timeoutConfig",
  "jobExecutionsRetryConfig",
] as const;

/** The reserved tag-key prefix AWS keeps for itself. */
export const RESERVED_TAG_PREFIX = "aws:";

/** Placeholder syntax for managed-template parameters inside a job document. */
export const PARAMETER_PLACEHOLDER = /\$\{aws:iot:parameter:([a-zA-Z0-9_-]+)\}/g;
/** Any IoT substitution pattern (parameters, presigned S3 URLs). */
export const SUBSTITUTION_PATTERN = /\$\{aws:iot:[^}]*\}/g;

/** Compiled whole-value matcher for a string rule's pattern (unicode-aware). */
const compiled = new Map<string, RegExp>();
export function wholeMatch(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, "u");
    compiled.set(pattern, re);
  }
  return re;
}

/**
 * Checks a string against a rule; returns the broken rule's wording, or
 * undefined when the value is fine. Lengths count UTF-16 code units, as the
 * service model's length traits do for these ASCII-dominated fields.
 */
export function checkString(value: string, rule: StringRule): string | undefined {
  if (rule.min !== undefined && value.length < rule.min) {
    return rule.min === 1 ? "must not be empty" : `must be at least ${rule.min} characters (got ${value.length})`;
  }
  if (rule.max !== undefined && value.length > rule.max) {
    return `must be at most ${rule.max} characters (got ${value.length})`;
  }
  if (rule.pattern !== undefined && value.length > 0 && !wholeMatch(rule.pattern).test(value)) {
    return `must match ${rule.patternText ?? rule.pattern}`;
  }
  return undefined;
}

/** Checks a number against a rule; returns the broken rule's wording, or undefined. */
export function checkNumber(value: number, rule: NumberRule): string | undefined {
  if (!Number.isFinite(value)) return "must be a finite number";
  if (rule.integer && !Number.isInteger(value)) return "must be a whole number";
  if (rule.min !== undefined && rule.max !== undefined && (value < rule.min || value > rule.max)) {
    return `must be between ${rule.min} and ${rule.max}`;
  }
  if (rule.min !== undefined && value < rule.min) return `must be at least ${rule.min}`;
  if (rule.max !== undefined && value > rule.max) return `must be at most ${rule.max}`;
  // Rounded to the allowed digits, the value must be itself (String(1e-7) has no "." to count after).
  if (rule.maxDecimals !== undefined && Number(value.toFixed(rule.maxDecimals)) !== value) {
    return `must have at most ${rule.maxDecimals} decimal place${rule.maxDecimals === 1 ? "" : "s"}`;
  }
  return undefined;
}

/** UTF-8 byte length (the job document limit is in bytes: 32 KB). */
export function utf8Length(value: string): number {
  return Buffer.byteLength(value, "utf8");
}
