/**
 * Bad input, across JobTemplate, Job and ManagedJobTemplate and every
 * constraint family (patterns, lengths, ranges, enums, required, mutually
 * exclusive, documentParameters rules, unknown props): each case is exactly
 * one problem, reported as one clear line naming the prop path and the rule,
 * with zero API calls and no state written.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { Job, JobTemplate, ManagedJobTemplate, ThingGroup, ValidationError } from "../../src/index.ts";
import { MANAGED_TEMPLATES } from "../../src/local/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeAll(async () => {
  stack = await createStack();
});
afterAll(() => stack.close());

const thing = "arn:aws:iot:us-east-1:123456789012:thing/device";
const group = "arn:aws:iot:us-east-1:123456789012:thinggroup/fleet";
// The result of ManagedJobTemplate({ templateName: "AWS-Download-File" }), as data (so no call is made).
const m = MANAGED_TEMPLATES.find((t) => t.templateName === "AWS-Download-File")!;
const download = {
  templateArn: `arn:aws:iot:us-east-1::jobtemplate/${m.templateName}:${m.templateVersion}`,
  templateName: m.templateName,
  templateVersion: m.templateVersion,
  description: m.description,
  environments: m.environments,
  document: m.document,
  documentParameters: m.documentParameters.map((p) => ({ key: p.key, optional: p.optional, ...(p.regex ? { regex: p.regex } : {}) })),
};
const params = { downloadUrl: "https://example.com/cfg", filePath: "/etc/cfg" };

const template = { description: "A template", document: { op: "x" } };
const job = { targets: [group], document: { op: "x" } };
const criterion = { failureType: "FAILED", action: "CANCEL", thresholdPercentage: 10, minNumberOfExecutedThings: 5 };

type Kind = "JobTemplate" | "Job" | "ManagedJobTemplate";
/** [kind, family, props, the one path at fault, a fragment of the rule] */
const cases: Array<[Kind, string, Record<string, unknown>, string, string]> = [
  // JobTemplate
  ["JobTemplate", "required", { document: { op: "x" } }, "description", "is required"],
  ["JobTemplate", "pattern", { ...template, jobTemplateId: "no spaces" }, "jobTemplateId", "must match letters, digits, '_' and '-' only"],
  ["JobTemplate", "length", { ...template, jobTemplateId: "t".repeat(65) }, "jobTemplateId", "must be at most 64 characters"],
  ["JobTemplate", "length", { ...template, description: "d".repeat(2029) }, "description", "must be at most 2028 characters"],
  ["JobTemplate", "format", { ...template, document: "{not json" }, "document", "is not valid JSON"],
  ["JobTemplate", "format", { description: "d", documentSource: "ftp://x/y.json" }, "documentSource", "must be the URL of an S3 object"],
  [
    "JobTemplate",
    "mutually exclusive",
    { ...template, documentSource: "https://b.s3.amazonaws.com/j.json" },
    "documentSource",
    "cannot be combined with document",
  ],
  [
    "JobTemplate",
    "mutually exclusive",
    { ...template, jobArn: "arn:aws:iot:us-east-1:123456789012:job/j" },
    "jobArn",
    "cannot be combined with document",
  ],
  [
    "JobTemplate",
    "range",
    { ...template, abortConfig: { criteriaList: [{ ...criterion, thresholdPercentage: 150 }] } },
    "abortConfig.criteriaList[0].thresholdPercentage",
    "must be between 0 and 100",
  ],
  [
    "JobTemplate",
    "range",
    { ...template, timeoutConfig: { inProgressTimeoutInMinutes: 0 } },
    "timeoutConfig.inProgressTimeoutInMinutes",
    "must be between 1 and 10080",
  ],
  [
    "JobTemplate",
    "range",
    { ...template, maintenanceWindows: [{ startTime: "cron(0 2 ? * MON *)", durationInMinutes: 0 }] },
    "maintenanceWindows[0].durationInMinutes",
    "must be between 1 and 1430",
  ],
  [
    "JobTemplate",
    "range",
    { ...template, jobExecutionsRolloutConfig: { maximumPerMinute: 0 } },
    "jobExecutionsRolloutConfig.maximumPerMinute",
    "must be between 1 and 1000",
  ],
  [
    "JobTemplate",
    "range",
    { ...template, presignedUrlConfig: { expiresInSec: 4000 } },
    "presignedUrlConfig.expiresInSec",
    "must be between 60 and 3600",
  ],
  [
    "JobTemplate",
    "enum",
    { ...template, abortConfig: { criteriaList: [{ ...criterion, action: "ABORT" }] } },
    "abortConfig.criteriaList[0].action",
    "is not one of CANCEL",
  ],
  [
    "JobTemplate",
    "limit",
    { ...template, tags: Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`k${i}`, "v"])) },
    "tags",
    "at most 47",
  ],
  ["JobTemplate", "unknown prop", { ...template, targets: [thing] }, "targets", "unknown property; a job template has no targets"],
  ["JobTemplate", "format", { description: "d", jobArn: "not-an-arn" }, "jobArn", "must be a job ARN"],
  ["JobTemplate", "format", { description: "d", jobArn: thing }, "jobArn", "must be a job ARN"],
  [
    "JobTemplate",
    "format",
    { ...template, presignedUrlConfig: { roleArn: "my-s3-download-role" } },
    "presignedUrlConfig.roleArn",
    "must be an IAM role ARN",
  ],
  [
    "JobTemplate",
    "format",
    { ...template, presignedUrlConfig: { roleArn: "arn:aws:iot:us-east-1:123456789012:rolealias/s3" } },
    "presignedUrlConfig.roleArn",
    "must be an IAM role ARN",
  ],
  [
    "JobTemplate",
    "format",
    { description: "d", documentSource: "https://example.com/job.json" },
    "documentSource",
    "must be the URL of an S3 object",
  ],
  [
    "JobTemplate",
    "format",
    { ...template, maintenanceWindows: [{ startTime: "every monday", durationInMinutes: 60 }] },
    "maintenanceWindows[0].startTime",
    "must be a cron expression",
  ],
  [
    "JobTemplate",
    "range",
    { ...template, maintenanceWindows: [{ startTime: "cron(99 99 ? * MON *)", durationInMinutes: 60 }] },
    "maintenanceWindows[0].startTime",
    '"99" is not a value from 0 to 59',
  ],
  [
    "JobTemplate",
    "mutually exclusive",
    { ...template, maintenanceWindows: [{ startTime: "cron(0 2 1 * MON *)", durationInMinutes: 60 }] },
    "maintenanceWindows[0].startTime",
    "sets both day-of-month (1) and day-of-week (MON): AWS cron expressions need ? in exactly one of them",
  ],
  [
    "Job",
    "mutually exclusive",
    {
      ...job,
      targetSelection: "CONTINUOUS",
      schedulingConfig: { maintenanceWindows: [{ startTime: "cron(0 2 ? * ? *)", durationInMinutes: 60 }] },
    },
    "schedulingConfig.maintenanceWindows[0].startTime",
    "leaves both day-of-month (?) and day-of-week (?)",
  ],
  [
    "Job",
    "pattern",
    { ...job, destinationPackageVersions: ["arn:aws:iot:us-east-1:123456789012:job/ota"] },
    "destinationPackageVersions[0]",
    "must be a package version ARN",
  ],
  [
    "JobTemplate",
    "duplicate",
    { ...template, abortConfig: { criteriaList: [criterion, { ...criterion, thresholdPercentage: 50 }] } },
    "abortConfig.criteriaList",
    "lists failureType FAILED more than once",
  ],
  [
    "JobTemplate",
    "unknown prop",
    { ...template, retryConfig: { criteriaList: [] } },
    "retryConfig",
    "did you mean jobExecutionsRetryConfig?",
  ],
  [
    "JobTemplate",
    "type",
    { ...template, timeoutConfig: { inProgressTimeoutInMinutes: Number.NaN } },
    "timeoutConfig.inProgressTimeoutInMinutes",
    "NaN",
  ],
  ["JobTemplate", "type", { description: "d", document: 42 }, "document", "must be a string or an object"],
  // Job
  [
    "Job",
    "where",
    { ...job, targets: ["arn:aws:iot:eu-west-1:123456789012:thinggroup/fleet"] },
    "targets[0]",
    "is in region eu-west-1, but the job is created in us-east-1",
  ],
  ["Job", "duplicate", { ...job, targets: [group, thing, group] }, "targets[2]", "is listed twice (also targets[0])"],
  [
    "Job",
    "no effect",
    { ...job, schedulingConfig: { endBehavior: "CANCEL" } },
    "schedulingConfig.endBehavior",
    "does nothing without schedulingConfig.endTime",
  ],
  ["Job", "required", { document: { op: "x" } }, "targets", "is required"],
  ["Job", "length", { ...job, targets: [] }, "targets", "must list at least one thing or thing group"],
  ["Job", "length", { ...job, targets: Array.from({ length: 101 }, (_, i) => `${thing}${i}`) }, "targets", "lists at most 100 targets"],
  ["Job", "pattern", { ...job, targets: ["my-device"] }, "targets[0]", "must be a thing or thing group ARN"],
  [
    "Job",
    "pattern",
    { ...job, targets: ["arn:aws:iot:us-east-1:123456789012:job/other"] },
    "targets[0]",
    "must be a thing or thing group ARN",
  ],
  ["Job", "pattern", { ...job, jobId: "bad id" }, "jobId", "must match letters, digits, '_' and '-' only"],
  ["Job", "length", { ...job, jobId: "j".repeat(65) }, "jobId", "must be at most 64 characters"],
  [
    "Job",
    "required",
    { targets: [group] },
    "document",
    "is required: give exactly one of document, documentSource, jobTemplate or jobTemplateArn",
  ],
  ["Job", "mutually exclusive", { ...job, jobTemplate: download }, "jobTemplate", "cannot be combined with document"],
  ["Job", "enum", { ...job, targetSelection: "ONCE" }, "targetSelection", "is not one of CONTINUOUS, SNAPSHOT"],
  [
    "Job",
    "enum",
    { ...job, schedulingConfig: { endTime: "2099-01-01T10:00", endBehavior: "STOP" } },
    "schedulingConfig.endBehavior",
    "is not one of STOP_ROLLOUT, CANCEL, FORCE_CANCEL",
  ],
  [
    "Job",
    "format",
    { ...job, schedulingConfig: { startTime: "tomorrow" } },
    "schedulingConfig.startTime",
    "must be a date and time that exist, like 2027-01-31T22:00",
  ],
  // Dates and times that do not exist (Date.parse rolls them forward to March 2 and the next day).
  [
    "Job",
    "format",
    { ...job, schedulingConfig: { startTime: "2099-02-30T22:00" } },
    "schedulingConfig.startTime",
    "must be a date and time that exist",
  ],
  [
    "Job",
    "format",
    { ...job, schedulingConfig: { startTime: "2099-01-01T10:00", endTime: "2099-01-01T24:00" } },
    "schedulingConfig.endTime",
    "must be a date and time that exist",
  ],
  [
    "Job",
    "range",
    { ...job, schedulingConfig: { startTime: "2099-01-01T10:00", endTime: "2099-01-01T10:10" } },
    "schedulingConfig.endTime",
    "at least 30 minutes after startTime",
  ],
  [
    "Job",
    "mutually exclusive",
    { ...job, schedulingConfig: { maintenanceWindows: [{ startTime: "cron(0 2 ? * MON *)", durationInMinutes: 60 }] } },
    "schedulingConfig.maintenanceWindows",
    "cannot be used with a SNAPSHOT job",
  ],
  [
    "Job",
    "unknown prop",
    { ...job, maintenanceWindows: [] },
    "maintenanceWindows",
    "a job's maintenance windows go in schedulingConfig.maintenanceWindows",
  ],
  ["Job", "pattern", { ...job, namespaceId: "a b" }, "namespaceId", "must match letters, digits, '_' and '-' only"],
  ["Job", "range", { ...job, deletion: { timeoutSeconds: 0 } }, "deletion.timeoutSeconds", "must be between 1 and 86400"],
  ["Job", "type", { ...job, deletion: { force: "yes" } }, "deletion.force", "must be true or false"],
  ["Job", "unknown prop", { ...job, deletion: { forced: true } }, "deletion.forced", "did you mean force?"],
  [
    "Job",
    "range",
    { ...job, jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 11 }] } },
    "jobExecutionsRetryConfig.criteriaList[0].numberOfRetries",
    "must be between 0 and 10",
  ],
  ["Job", "length", { ...job, description: "" }, "description", "must not be empty"],
  ["Job", "reserved", { ...job, tags: { "aws:team": "x" } }, "tags.aws:team", "reserved by AWS"],
  [
    "Job",
    "documentParameters",
    { ...job, documentParameters: params },
    "documentParameters",
    "need jobTemplate to be an AWS managed template",
  ],
  [
    "Job",
    "documentParameters",
    { targets: [group], jobTemplateArn: "arn:aws:iot:us-east-1:123456789012:jobtemplate/custom", documentParameters: params },
    "documentParameters",
    "are only supported with AWS managed templates",
  ],
  [
    "Job",
    "documentParameters",
    { targets: [group], jobTemplate: download, documentParameters: { downloadUrl: "https://x" } },
    "documentParameters.filePath",
    "is required by AWS-Download-File 1.0",
  ],
  [
    "Job",
    "documentParameters",
    { targets: [group], jobTemplate: download, documentParameters: { ...params, mode: "fast" } },
    "documentParameters.mode",
    "is not a parameter of AWS-Download-File 1.0",
  ],
  [
    "Job",
    "documentParameters",
    { targets: [group], jobTemplate: download, documentParameters: { ...params, runAsUser: "u".repeat(300) } },
    "documentParameters.runAsUser",
    "does not match the parameter's pattern (.){0,256}",
  ],
  [
    "Job",
    "documentParameters",
    { targets: [group], jobTemplate: download, documentParameters: { ...params, "bad key": "v" } },
    "documentParameters.bad key",
    "parameter name must match",
  ],
  // ManagedJobTemplate
  ["ManagedJobTemplate", "required", {}, "templateName", "is required"],
  ["ManagedJobTemplate", "length", { templateName: "" }, "templateName", "must not be empty"],
  ["ManagedJobTemplate", "length", { templateName: "T".repeat(65) }, "templateName", "must be at most 64 characters"],
  [
    "ManagedJobTemplate",
    "pattern",
    { templateName: "AWS-Reboot", templateVersion: "latest" },
    "templateVersion",
    'must match a version like "1.0"',
  ],
  ["ManagedJobTemplate", "type", { templateName: "AWS-Reboot", templateVersion: 1 }, "templateVersion", "must be a string"],
  ["ManagedJobTemplate", "unknown prop", { templateName: "AWS-Reboot", version: "1.0" }, "version", "the prop is templateVersion"],
];

function call(kind: Kind, props: Record<string, unknown>): Promise<unknown> {
  if (kind === "JobTemplate") return JobTemplate("bad", props as never);
  if (kind === "Job") return Job("bad", props as never);
  return ManagedJobTemplate(props as never);
}

test(`the table has at least 40 invalid props across the three kinds (${cases.length})`, () => {
  expect(cases.length).toBeGreaterThanOrEqual(40);
  expect(new Set(cases.map((c) => c[0]))).toEqual(new Set(["JobTemplate", "Job", "ManagedJobTemplate"]));
});

test.each(cases)("%s, %s: %j", async (kind, _family, props, path, rule) => {
  stack.local.resetStats();
  const error = (await stack.deploy(() => call(kind, props)).catch((e: unknown) => e)) as ValidationError;
  expect(error).toBeInstanceOf(ValidationError);
  expect(error.issues).toHaveLength(1);
  expect(error.issues[0].path).toBe(path);
  expect(error.issues[0].message.startsWith(`${path}: `)).toBe(true);
  expect(error.issues[0].message).toContain(rule);
  expect(error.message).toMatch(new RegExp(`^Invalid props for ${kind} "`));
  expect(stack.local.stats().requests).toBe(0);
  expect(stack.stateFiles()).toEqual({});
});

// Documents written as objects that JSON cannot carry: JSON.stringify would send null, leave members out, or throw.
const cyclic: Record<string, unknown> = { op: "x", steps: [] };
(cyclic.steps as unknown[]).push({ back: cyclic });
const notJsonDocuments: Array<[string, Record<string, unknown>, string, string]> = [
  ["NaN", { op: "x", retries: Number.NaN }, "document.retries", "NaN is not a JSON number"],
  ["Infinity", { op: "x", limits: [1, Number.POSITIVE_INFINITY] }, "document.limits[1]", "Infinity is not a JSON number"],
  ["undefined", { op: "x", url: undefined }, "document.url", "undefined is not a JSON value"],
  ["a function", { op: "x", run: () => 1 }, "document.run", "a function is not a JSON value"],
  ["a BigInt", { op: "x", size: 10n }, "document.size", "a BigInt is not a JSON number"],
  ["a cycle", cyclic, "document.steps[0].back", "refers back to an object that contains it"],
];

test.each(notJsonDocuments)(
  "a document holding %s is refused, naming where it is, before any call",
  async (_what, document, path, rule) => {
    for (const kind of ["JobTemplate", "Job"] as const) {
      stack.local.resetStats();
      const props = kind === "JobTemplate" ? { ...template, document } : { ...job, document };
      const error = (await stack.deploy(() => call(kind, props)).catch((e: unknown) => e)) as ValidationError;
      expect(error, kind).toBeInstanceOf(ValidationError);
      expect(error.issues.map((i) => i.path)).toEqual([path]);
      expect(error.issues[0].message.startsWith(`${path}: `), error.issues[0].message).toBe(true);
      expect(error.issues[0].message).toContain(rule);
      expect(stack.local.stats().requests).toBe(0);
      expect(stack.stateFiles()).toEqual({});
    }
  },
);

test("a target of another account than the deploy's (known from a resource deployed there) is refused before any call", async () => {
  const fleet = await stack.deploy(() => ThingGroup("known", {}));
  expect(fleet.thingGroupArn).toContain(":123456789012:");
  stack.local.resetStats();
  const error = (await stack
    .deploy(async () => {
      await ThingGroup("known", {});
      return Job("elsewhere", { ...job, targets: ["arn:aws:iot:us-east-1:999999999999:thing/device"] });
    })
    .catch((e: unknown) => e)) as ValidationError;
  expect(error).toBeInstanceOf(ValidationError);
  expect(error.issues.map((i) => i.message)).toEqual([
    'targets[0]: "arn:aws:iot:us-east-1:999999999999:thing/device" is in account 999999999999, but the job is created in account 123456789012; a job targets things and thing groups of its own account',
  ]);
  expect(stack.mutatingCalls()).toEqual([]);
  expect(Object.keys(stack.stateFiles()).some((f) => f.includes("elsewhere"))).toBe(false);
  await stack.destroy();
});

const hoursAhead = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString().slice(0, 16);
const farEnd = hoursAhead(3 * 366 * 24);

/** Checks that need the clock or a lookup run in the handler; they too leave no state and make no change. */
const late: Array<[string, Record<string, unknown>, string]> = [
  [
    "a start time in the past",
    { ...job, schedulingConfig: { startTime: "2020-01-01T10:00" } },
    'schedulingConfig.startTime: "2020-01-01T10:00" must be at least 30 minutes in the future',
  ],
  [
    "an end time too far ahead",
    { ...job, schedulingConfig: { startTime: hoursAhead(2), endTime: farEnd } },
    `schedulingConfig.endTime: "${farEnd}" must be at most two years in the future`,
  ],
  [
    "a managed template ARN that names none",
    { targets: [group], jobTemplateArn: "arn:aws:iot:us-east-1::jobtemplate/AWS-No-Such-Template:1.0" },
    'jobTemplateArn: "arn:aws:iot:us-east-1::jobtemplate/AWS-No-Such-Template:1.0" names no AWS managed job template',
  ],
];

test.each(late)("%s: refused with no state written and nothing changed", async (_name, props, rule) => {
  stack.local.resetStats();
  const error = (await stack.deploy(() => Job("late", props as never)).catch((e: unknown) => e)) as ValidationError;
  expect(error).toBeInstanceOf(ValidationError);
  expect(error.message).toContain(rule);
  expect(stack.mutatingCalls()).toEqual([]);
  expect(Object.keys(stack.stateFiles()).filter((f) => f.includes("late"))).toEqual([]);
});
