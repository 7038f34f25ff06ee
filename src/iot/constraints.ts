/**
 * The AWS IoT Jobs API's documented limits, patterns and enums, as data.
 *
 * One table serves both sides of the project: the provider's input validation
 * (`validate.ts`) and the local endpoint's request checks (`src/local/`).
 * Values come from the IoT service model (shapes, lengths, patterns) and the
 * AWS IoT developer guide (ranges the model leaves open, e.g. timeouts and
 * rollout rates); see docs/configuration.md for the sources of each limit.
 */

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

const ID: StringRule = {
  min: 1,
  max: 64,
  pattern: "[a-zA-Z0-9_-]+",
  patternText: "letters, digits, '_' and '-' only",
};
/** `[^\p{C}]+`: no control or other invisible "C" category characters. */
const NO_CONTROL = "[^\\p{C}]+";
const NO_CONTROL_TEXT = "no control characters";
const ARN: StringRule = {
  min: 1,
  max: 1600,
  pattern: "arn:[!-~]+",
  patternText: "an ARN (\"arn:\" followed by printable ASCII without spaces)",
};

export const STRINGS = {
  jobId: ID,
  jobTemplateId: ID,
  thingName: {
    min: 1,
    max: 128,
    pattern: "[a-zA-Z0-9:_-]+",
    patternText: "letters, digits, ':', '_' and '-' only",
  },
  thingGroupName: {
    min: 1,
    max: 128,
    pattern: "[a-zA-Z0-9:_-]+",
    patternText: "letters, digits, ':', '_' and '-' only",
  },
  namespaceId: {
    min: 1,
    pattern: "[a-zA-Z0-9_-]+",
    patternText: "letters, digits, '_' and '-' only",
  },
  managedTemplateName: { min: 1, max: 64 },
  templateVersion: {
    pattern: "[1-9]+\\.[0-9]+",
    patternText: "a version like \"1.0\"",
  },
  /** `[^\p{C}]+` in the model: at least one character. */
  description: { min: 1, max: 2028, pattern: NO_CONTROL, patternText: NO_CONTROL_TEXT },
  document: { max: 32768 },
  documentSource: { min: 1, max: 1350 },
  targetArn: { max: 2048 },
  jobTemplateArn: ARN,
  destinationPackageVersion: ARN,
  roleArn: { min: 20, max: 2048 },
  reasonCode: {
    max: 128,
    pattern: "[\\p{Lu}\\p{Nd}_]+",
    patternText: "upper-case letters, digits and '_' only",
  },
  comment: { min: 1, max: 2028, pattern: NO_CONTROL, patternText: NO_CONTROL_TEXT },
  tagKey: {
    min: 1,
    max: 128,
    pattern: "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
    patternText: "letters, digits, spaces and _ . : / = + - @ only",
  },
  tagValue: { min: 0, max: 256 },
  documentParameterKey: {
    min: 1,
    max: 128,
    pattern: "[a-zA-Z0-9_-]+",
    patternText: "letters, digits, '_' and '-' only",
  },
  documentParameterValue: {
    min: 1,
    max: 30720,
    pattern: NO_CONTROL,
    patternText: NO_CONTROL_TEXT,
  },
  maintenanceWindowStartTime: { min: 1, max: 256 },
  schedulingTime: { min: 1, max: 64 },
  statusDetailsKey: {
    min: 1,
    max: 128,
    pattern: "[a-zA-Z0-9:_-]+",
    patternText: "letters, digits, ':', '_' and '-' only",
  },
  statusDetailsValue: { min: 1, pattern: NO_CONTROL, patternText: NO_CONTROL_TEXT },
  attributeName: {
    max: 128,
    pattern: "[a-zA-Z0-9_.,@/:#-]+",
    patternText: "letters, digits and _ . , @ / : # - only",
  },
  attributeValue: {
    max: 800,
    pattern: "[a-zA-Z0-9_.,@/:#=\\[\\]-]*",
    patternText: "letters, digits and _ . , @ / : # = [ ] - only",
  },
} as const satisfies Record<string, StringRule>;

export const NUMBERS = {
  expiresInSec: { min: 60, max: 3600, integer: true },
  maximumPerMinute: { min: 1, max: 1000, integer: true },
  baseRatePerMinute: { min: 1, max: 1000, integer: true },
  incrementFactor: { min: 1.1, max: 5, maxDecimals: 1 },
  numberOfNotifiedThings: { min: 1, integer: true },
  numberOfSucceededThings: { min: 1, integer: true },
  thresholdPercentage: { min: 0, max: 100, maxDecimals: 2 },
  minNumberOfExecutedThings: { min: 1, integer: true },
  inProgressTimeoutInMinutes: { min: 1, max: 10080, integer: true },
  numberOfRetries: { min: 0, max: 10, integer: true },
  durationInMinutes: { min: 1, max: 1430, integer: true },
  maxResults: { min: 1, max: 250, integer: true },
} as const satisfies Record<string, NumberRule>;

export const LISTS = {
  /** CreateJob targets: at least one; AWS documents at most 100 per job. */
  targets: { min: 1, max: 100 },
  abortCriteria: { min: 1 },
  retryCriteria: { min: 1, max: 2 },
  /** Retries per device, summed over all failure types. */
  totalRetries: { max: 10 },
  destinationPackageVersions: { max: 25 },
  tagsPerResource: { max: 50 },
  statusDetails: { max: 10 },
  /** `${aws:iot:...}` substitution patterns per job document. */
  substitutionsPerDocument: { max: 10 },
  attributes: { max: 50 },
} as const;

export const ENUMS = {
  targetSelection: ["CONTINUOUS", "SNAPSHOT"],
  jobStatus: [
    "IN_PROGRESS",
    "CANCELED",
    "COMPLETED",
    "DELETION_IN_PROGRESS",
    "SCHEDULED",
  ],
  jobExecutionStatus: [
    "QUEUED",
    "IN_PROGRESS",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "REJECTED",
    "REMOVED",
    "CANCELED",
  ],
  abortFailureType: ["FAILED", "REJECTED", "TIMED_OUT", "ALL"],
  retryFailureType: ["FAILED", "TIMED_OUT", "ALL"],
  abortAction: ["CANCEL"],
  jobEndBehavior: ["STOP_ROLLOUT", "CANCEL", "FORCE_CANCEL"],
} as const;

export type TargetSelection = (typeof ENUMS.targetSelection)[number];
export type JobStatus = (typeof ENUMS.jobStatus)[number];
export type JobExecutionStatus = (typeof ENUMS.jobExecutionStatus)[number];

/** Job statuses a job never leaves on its own (DeleteJob without force accepts only these). */
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ["COMPLETED", "CANCELED"];

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
    return rule.min === 1
      ? "must not be empty"
      : `must be at least ${rule.min} characters (got ${value.length})`;
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
  if (rule.maxDecimals !== undefined) {
    const decimals = (String(value).split(".")[1] ?? "").length;
    if (decimals > rule.maxDecimals) {
      return `must have at most ${rule.maxDecimals} decimal place${rule.maxDecimals === 1 ? "" : "s"}`;
    }
  }
  return undefined;
}

/** UTF-8 byte length (the job document limit is in bytes: 32 KB). */
export function utf8Length(value: string): number {
  return Buffer.byteLength(value, "utf8");
}
