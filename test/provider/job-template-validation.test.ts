import alchemy from "alchemy";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { JobTemplate, ValidationError, type JobTemplateProps } from "../../src/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeAll(async () => {
  stack = await createStack();
});
afterAll(() => stack.close());

const valid: JobTemplateProps = {
  jobTemplateId: "valid-template",
  description: "A valid template",
  document: { operation: "noop" },
};

const criterion = { failureType: "FAILED", action: "CANCEL", thresholdPercentage: 10, minNumberOfExecutedThings: 5 } as const;
const manyTags = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`k${i}`, "v"]));
const placeholders = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`p${i}`, `\${aws:iot:parameter:p${i}}`]));

/** [what is wrong, props, fragments the message must contain (the prop path first)] */
const cases: Array<[string, Record<string, unknown>, string[]]> = [
  ["missing description", { description: undefined }, ["description: is required"]],
  ["description too long", { description: "x".repeat(2029) }, ["description:", "at most 2028 characters"]],
  ["control character in description", { description: "bell\u0007" }, ["description:", "no control characters"]],
  ["description not a string", { description: 42 }, ["description: 42 must be a string"]],
  ["jobTemplateId with a space", { jobTemplateId: "bad id" }, ['jobTemplateId: "bad id"', "letters, digits"]],
  ["jobTemplateId too long", { jobTemplateId: "t".repeat(65) }, ["jobTemplateId:", "at most 64 characters"]],
  ["empty jobTemplateId", { jobTemplateId: "" }, ['jobTemplateId: ""', "must not be empty"]],
  // Seed-style mistake: document together with documentSource.
  [
    "document together with documentSource",
    { documentSource: "https://bucket.s3.amazonaws.com/job.json" },
    ["documentSource:", "cannot be combined with document", "exactly one of document, documentSource or jobArn"],
  ],
  ["no document at all", { document: undefined }, ["document: is required: give exactly one of document, documentSource or jobArn"]],
  ["document that is not JSON", { document: "{oops" }, ["document:", "is not valid JSON"]],
  ["document over 32 KB", { document: { blob: "x".repeat(33_000) } }, ["document:", "a job document is at most 32768 bytes"]],
  ["more than 10 substitution patterns", { document: placeholders }, ["document:", "11 ${aws:iot:...} substitution patterns; at most 10"]],
  [
    "documentSource that is not an S3 URL",
    { document: undefined, documentSource: "ftp://files/job.json" },
    ["documentSource:", "must be the URL of an S3 object"],
  ],
  [
    "documentSource too long",
    { document: undefined, documentSource: `https://b.s3.amazonaws.com/${"k".repeat(1400)}` },
    ["documentSource:", "at most 1350"],
  ],
  [
    "presigned URL expiry too short",
    { presignedUrlConfig: { roleArn: "arn:aws:iam::123456789012:role/r", expiresInSec: 30 } },
    ["presignedUrlConfig.expiresInSec: 30", "between 60 and 3600"],
  ],
  [
    "presigned URL role that is not an IAM role ARN",
    { presignedUrlConfig: { roleArn: "arn:x" } },
    ["presignedUrlConfig.roleArn:", "must be an IAM role ARN"],
  ],
  [
    "presigned placeholder without a role",
    { document: { url: "${aws:iot:s3-presigned-url:https://s3.amazonaws.com/b/fw.bin}" } },
    ["presignedUrlConfig.roleArn: ", "is required: the document uses ${aws:iot:s3-presigned-url:...}"],
  ],
  [
    "rollout above 1000 per minute",
    { jobExecutionsRolloutConfig: { maximumPerMinute: 1001 } },
    ["jobExecutionsRolloutConfig.maximumPerMinute: 1001", "between 1 and 1000"],
  ],
  // Seed-style mistake: jobExecutionsRolloutConfig.minimumPerMinute.
  [
    "rollout minimumPerMinute",
    { jobExecutionsRolloutConfig: { minimumPerMinute: 5 } },
    ["jobExecutionsRolloutConfig.minimumPerMinute: unknown property", "maximumPerMinute (1-1000) and exponentialRate"],
  ],
  [
    "exponential rate increment factor too small",
    {
      jobExecutionsRolloutConfig: {
        exponentialRate: { baseRatePerMinute: 10, incrementFactor: 1.05, rateIncreaseCriteria: { numberOfNotifiedThings: 5 } },
      },
    },
    ["jobExecutionsRolloutConfig.exponentialRate.incrementFactor: 1.05", "between 1.1 and 5"],
  ],
  [
    "exponential rate increment factor with two decimals",
    {
      jobExecutionsRolloutConfig: {
        exponentialRate: { baseRatePerMinute: 10, incrementFactor: 1.25, rateIncreaseCriteria: { numberOfNotifiedThings: 5 } },
      },
    },
    ["jobExecutionsRolloutConfig.exponentialRate.incrementFactor: 1.25", "at most 1 decimal place"],
  ],
  [
    "exponential rate without increase criteria values",
    { jobExecutionsRolloutConfig: { exponentialRate: { baseRatePerMinute: 10, incrementFactor: 2, rateIncreaseCriteria: {} } } },
    ["jobExecutionsRolloutConfig.exponentialRate.rateIncreaseCriteria: {}", "set numberOfNotifiedThings or numberOfSucceededThings"],
  ],
  [
    "exponential rate without a base rate",
    { jobExecutionsRolloutConfig: { exponentialRate: { incrementFactor: 2, rateIncreaseCriteria: { numberOfSucceededThings: 5 } } } },
    ["jobExecutionsRolloutConfig.exponentialRate.baseRatePerMinute: is required"],
  ],
  // Seed-style mistake: abort action ABORT, without threshold and minimum executed things.
  [
    "abort action ABORT without threshold and minimum",
    { abortConfig: { criteriaList: [{ failureType: "FAILED", action: "ABORT" }] } },
    [
      'abortConfig.criteriaList[0].action: "ABORT" is not one of CANCEL',
      "abortConfig.criteriaList[0].thresholdPercentage: is required",
      "abortConfig.criteriaList[0].minNumberOfExecutedThings: is required",
    ],
  ],
  [
    "abort threshold above 100",
    { abortConfig: { criteriaList: [{ ...criterion, thresholdPercentage: 150 }] } },
    ["abortConfig.criteriaList[0].thresholdPercentage: 150", "between 0 and 100"],
  ],
  [
    "abort threshold with three decimals",
    { abortConfig: { criteriaList: [{ ...criterion, thresholdPercentage: 10.555 }] } },
    ["abortConfig.criteriaList[0].thresholdPercentage: 10.555", "at most 2 decimal places"],
  ],
  [
    "abort threshold too small to have two decimals (1e-7, which String() writes without a point)",
    { abortConfig: { criteriaList: [{ ...criterion, thresholdPercentage: 1e-7 }] } },
    ["abortConfig.criteriaList[0].thresholdPercentage: 1e-7", "at most 2 decimal places"],
  ],
  [
    "abort failure type unknown",
    { abortConfig: { criteriaList: [{ ...criterion, failureType: "CRASHED" }] } },
    ['abortConfig.criteriaList[0].failureType: "CRASHED" is not one of FAILED, REJECTED, TIMED_OUT, ALL'],
  ],
  [
    "abort minimum executed things zero",
    { abortConfig: { criteriaList: [{ ...criterion, minNumberOfExecutedThings: 0 }] } },
    ["abortConfig.criteriaList[0].minNumberOfExecutedThings: 0", "at least 1"],
  ],
  ["empty abort criteria", { abortConfig: { criteriaList: [] } }, ["abortConfig.criteriaList: []", "at least one abort criterion"]],
  [
    "timeout above 7 days",
    { timeoutConfig: { inProgressTimeoutInMinutes: 20_000 } },
    ["timeoutConfig.inProgressTimeoutInMinutes: 20000", "between 1 and 10080"],
  ],
  [
    "fractional timeout",
    { timeoutConfig: { inProgressTimeoutInMinutes: 1.5 } },
    ["timeoutConfig.inProgressTimeoutInMinutes: 1.5", "whole number"],
  ],
  // Seed-style mistake: JobExecutionsRetryConfig: { RetryAttempts: 3 }.
  [
    "retry config with retryAttempts",
    { jobExecutionsRetryConfig: { retryAttempts: 3 } },
    [
      "jobExecutionsRetryConfig.retryAttempts: unknown property",
      "criteriaList: [{ failureType",
      "jobExecutionsRetryConfig.criteriaList: is required",
    ],
  ],
  [
    "more than 10 retries for one failure type",
    { jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 11 }] } },
    ["jobExecutionsRetryConfig.criteriaList[0].numberOfRetries: 11", "between 0 and 10"],
  ],
  [
    "more than 10 retries in total",
    {
      jobExecutionsRetryConfig: {
        criteriaList: [
          { failureType: "FAILED", numberOfRetries: 6 },
          { failureType: "TIMED_OUT", numberOfRetries: 6 },
        ],
      },
    },
    ["jobExecutionsRetryConfig.criteriaList:", "12 retries per device; at most 10 in total"],
  ],
  [
    "retry on REJECTED",
    { jobExecutionsRetryConfig: { criteriaList: [{ failureType: "REJECTED", numberOfRetries: 1 }] } },
    ['jobExecutionsRetryConfig.criteriaList[0].failureType: "REJECTED" is not one of FAILED, TIMED_OUT, ALL'],
  ],
  [
    "retry ALL combined with FAILED",
    {
      jobExecutionsRetryConfig: {
        criteriaList: [
          { failureType: "ALL", numberOfRetries: 1 },
          { failureType: "FAILED", numberOfRetries: 1 },
        ],
      },
    },
    ["jobExecutionsRetryConfig.criteriaList:", "ALL cannot be combined"],
  ],
  // Seed-style mistake: maintenance window with endTime instead of durationInMinutes.
  [
    "maintenance window with endTime",
    { maintenanceWindows: [{ startTime: "cron(0 2 ? * MON *)", endTime: "cron(0 4 ? * MON *)" }] },
    [
      "maintenanceWindows[0].endTime: unknown property",
      "durationInMinutes (1-1430), not endTime",
      "maintenanceWindows[0].durationInMinutes: is required",
    ],
  ],
  [
    "maintenance window too long",
    { maintenanceWindows: [{ startTime: "cron(0 2 ? * MON *)", durationInMinutes: 1500 }] },
    ["maintenanceWindows[0].durationInMinutes: 1500", "between 1 and 1430"],
  ],
  [
    "26 package versions",
    { destinationPackageVersions: Array.from({ length: 26 }, (_, i) => `arn:aws:iot:us-east-1:123456789012:package/p/version/${i}`) },
    ["destinationPackageVersions:", "at most 25"],
  ],
  [
    "package version that is not an ARN",
    { destinationPackageVersions: ["not-an-arn"] },
    ['destinationPackageVersions[0]: "not-an-arn"', "ARN"],
  ],
  ["reserved aws: tag key", { tags: { "aws:owner": "me" } }, ['tags.aws:owner: "me"', 'starting with "aws:" are reserved']],
  [
    "tag key reserved for ownership",
    { tags: { alchemy_stage: "x" } },
    ["tags.alchemy_stage:", "reserved for the provider's ownership tags"],
  ],
  ["too many tags", { tags: manyTags }, ["tags:", "48 tags; at most 47"]],
  ["tag value too long", { tags: { k: "v".repeat(257) } }, ["tags.k:", "tag value must be at most 256 characters"]],
  [
    "documentParameters on a template",
    { documentParameters: { a: "b" } },
    ["documentParameters: unknown property", "belong to a Job created from an AWS managed template"],
  ],
  ["PascalCase prop", { Description: "x" }, ["Description: unknown property; did you mean description?"]],
  ["invalid region", { region: "Not a region!" }, ['region: "Not a region!"', "a region name like us-east-1"]],
  ["endpoint without scheme", { endpoint: "localhost:4580" }, ['endpoint: "localhost:4580" must be an http(s) URL']],
];

describe("JobTemplate validation", () => {
  test(`the table covers at least 25 invalid props (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  test.each(cases)("%s", async (_what, change, fragments) => {
    stack.local.resetStats();
    const props = { ...valid, ...change } as JobTemplateProps;
    const error = await stack.deploy(() => JobTemplate("invalid", props)).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    for (const fragment of fragments) expect(error.message).toContain(fragment);
    expect(error.message).toContain('JobTemplate "invalid"');
    expect(stack.local.stats().requests).toBe(0);
    expect(stack.stateFiles()).toEqual({});
  });

  test("several problems are reported together, one line each", async () => {
    const error = await stack
      .deploy(() =>
        JobTemplate("invalid", {
          jobTemplateId: "bad id!",
          description: "",
          document: "{",
          timeoutConfig: { inProgressTimeoutInMinutes: 0 },
        }),
      )
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues.map((i: { path: string }) => i.path).sort()).toEqual(
      ["description", "document", "jobTemplateId", "timeoutConfig.inProgressTimeoutInMinutes"].sort(),
    );
    expect(error.message).toMatch(/\(4 problems\)/);
  });

  test("the seed-style example reports each of its mistakes in one error", async () => {
    const error = await stack
      .deploy(() =>
        JobTemplate("seed", {
          description: "Seed-style template",
          document: { operation: "update" },
          documentSource: "https://bucket.s3.amazonaws.com/job.json",
          jobExecutionsRetryConfig: { retryAttempts: 3 },
          abortConfig: { criteriaList: [{ failureType: "FAILED", action: "ABORT" }] },
          maintenanceWindows: [{ startTime: "cron(0 2 ? * MON *)", endTime: "cron(0 4 ? * MON *)" }],
          jobExecutionsRolloutConfig: { minimumPerMinute: 5 },
        } as unknown as JobTemplateProps),
      )
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      "abortConfig.criteriaList[0].action",
      "abortConfig.criteriaList[0].minNumberOfExecutedThings",
      "abortConfig.criteriaList[0].thresholdPercentage",
      "documentSource",
      "jobExecutionsRetryConfig.criteriaList",
      "jobExecutionsRetryConfig.retryAttempts",
      "jobExecutionsRolloutConfig.minimumPerMinute",
      "maintenanceWindows[0].durationInMinutes",
      "maintenanceWindows[0].endTime",
    ]);
    expect(stack.local.stats().requests).toBe(0);
  });

  test("a secret document that breaks a rule is reported without its value", async () => {
    const error = await stack
      .deploy(() => JobTemplate("invalid", { ...valid, document: alchemy.secret("{not json with password hunter2") }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain("document: (sensitive) is not valid JSON");
    expect(error.message).not.toContain("hunter2");
  });

  test("values are truncated in messages", async () => {
    const error = await stack.deploy(() => JobTemplate("invalid", { ...valid, description: `${"y".repeat(3000)}` })).catch((e) => e);
    expect(error.message).toMatch(/description: "y{20,}\.\.\. must be at most 2028 characters \(got 3000\)/);
    expect(error.message.length).toBeLessThan(400);
  });
});
