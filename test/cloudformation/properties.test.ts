/**
 * The `cloudformation` entry point: CloudFormation property names, the same
 * resources and lifecycle as the main API, and errors in CloudFormation terms.
 */
import {
  CreatePackageCommand,
  CreatePackageVersionCommand,
  DescribeJobTemplateCommand,
  GetJobDocumentCommand,
  DescribeJobCommand,
  ListJobTemplatesCommand,
  ListTagsForResourceCommand,
  UpdatePackageVersionCommand,
} from "@aws-sdk/client-iot";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
// Imported by the package name, as users write it.
import { Job, JobTemplate, type JobTemplateProps } from "alchemy-iot-jobs/cloudformation";
import { ManagedJobTemplate, ThingGroup, ValidationError } from "../../src/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(() => stack.close());

async function tagsOf(resourceArn: string) {
  const out = await stack.client.send(new ListTagsForResourceCommand({ resourceArn }));
  return Object.fromEntries((out.tags ?? []).map((t) => [t.Key, t.Value]));
}

describe("JobTemplate with CloudFormation properties", () => {
  test("the documented example works as written, and tags change in place", async () => {
    const example = () =>
      JobTemplate("basicJobTemplate", {
        Description: "Basic job template for device updates",
        JobTemplateId: "device-update-template",
        Document: JSON.stringify({ operation: "updateFirmware", version: "1.2.3" }),
        TimeoutConfig: { InProgressTimeoutInMinutes: 60 },
        Tags: [{ Key: "Environment", Value: "Production" }],
      });
    const tpl = await stack.deploy(example);
    expect(tpl.JobTemplateId).toBe("device-update-template");
    expect(tpl.Arn).toBe(`arn:aws:iot:${stack.local.region}:${stack.local.accountId}:jobtemplate/device-update-template`);
    expect(tpl.jobTemplateArn).toBe(tpl.Arn);
    const live = await stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: "device-update-template" }));
    expect(live.description).toBe("Basic job template for device updates");
    expect(JSON.parse(live.document!)).toEqual({ operation: "updateFirmware", version: "1.2.3" });
    expect(live.timeoutConfig).toEqual({ inProgressTimeoutInMinutes: 60 });
    expect(await tagsOf(tpl.Arn)).toMatchObject({ Environment: "Production" });

    // The same resource as the main API: a no-op redeploy makes no call...
    stack.local.resetStats();
    await stack.deploy(example);
    expect(stack.local.stats().requests).toBe(0);
    // ...and a tag change is applied in place (CloudFormation would replace the template).
    await stack.deploy(() =>
      JobTemplate("basicJobTemplate", {
        Description: "Basic job template for device updates",
        JobTemplateId: "device-update-template",
        Document: JSON.stringify({ operation: "updateFirmware", version: "1.2.3" }),
        TimeoutConfig: { InProgressTimeoutInMinutes: 60 },
        Tags: { Environment: "Staging", Team: "fleet" }, // the { key: value } form is accepted too
      }),
    );
    expect(stack.mutatingCalls()).toEqual(["TagResource"]);
    const after = await stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: "device-update-template" }));
    expect(after.createdAt?.getTime()).toBe(live.createdAt?.getTime());
    expect(await tagsOf(tpl.Arn)).toMatchObject({ Environment: "Staging", Team: "fleet" });

    await stack.destroy();
    expect((await stack.client.send(new ListJobTemplatesCommand({}))).jobTemplates).toEqual([]);
  });

  test("every property of AWS::IoT::JobTemplate reaches the API under its API name", async () => {
    // The version it installs exists and is published (a DRAFT or missing one is refused before any call).
    await stack.client.send(new CreatePackageCommand({ packageName: "agent" }));
    await stack.client.send(new CreatePackageVersionCommand({ packageName: "agent", versionName: "1.0.0" }));
    await stack.client.send(new UpdatePackageVersionCommand({ packageName: "agent", versionName: "1.0.0", action: "PUBLISH" }));
    const tpl = await stack.deploy(() =>
      JobTemplate("full", {
        JobTemplateId: "full",
        Description: "All the properties",
        Document: { operation: "ota", url: "${aws:iot:s3-presigned-url:https://s3.amazonaws.com/bucket/fw.bin}" },
        PresignedUrlConfig: { RoleArn: "arn:aws:iam::123456789012:role/presign", ExpiresInSec: 600 },
        AbortConfig: {
          CriteriaList: [{ Action: "CANCEL", FailureType: "FAILED", MinNumberOfExecutedThings: 5, ThresholdPercentage: 10 }],
        },
        JobExecutionsRetryConfig: { RetryCriteriaList: [{ FailureType: "TIMED_OUT", NumberOfRetries: 2 }] },
        JobExecutionsRolloutConfig: {
          ExponentialRolloutRate: { BaseRatePerMinute: 10, IncrementFactor: 2, RateIncreaseCriteria: { NumberOfSucceededThings: 50 } },
        },
        MaintenanceWindows: [{ StartTime: "cron(0 22 ? * SAT *)", DurationInMinutes: 120 }],
        TimeoutConfig: { InProgressTimeoutInMinutes: 30 },
        DestinationPackageVersions: [`arn:aws:iot:${stack.local.region}:${stack.local.accountId}:package/agent/version/1.0.0`],
      }),
    );
    const live = await stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: tpl.JobTemplateId }));
    expect(live.presignedUrlConfig).toEqual({ roleArn: "arn:aws:iam::123456789012:role/presign", expiresInSec: 600 });
    expect(live.abortConfig?.criteriaList?.[0]).toEqual({
      action: "CANCEL",
      failureType: "FAILED",
      minNumberOfExecutedThings: 5,
      thresholdPercentage: 10,
    });
    expect(live.jobExecutionsRetryConfig).toEqual({ criteriaList: [{ failureType: "TIMED_OUT", numberOfRetries: 2 }] });
    expect(live.jobExecutionsRolloutConfig?.exponentialRate).toEqual({
      baseRatePerMinute: 10,
      incrementFactor: 2,
      rateIncreaseCriteria: { numberOfSucceededThings: 50 },
    });
    expect(live.maintenanceWindows).toEqual([{ startTime: "cron(0 22 ? * SAT *)", durationInMinutes: 120 }]);
    expect(live.timeoutConfig).toEqual({ inProgressTimeoutInMinutes: 30 });
    expect(live.destinationPackageVersions).toHaveLength(1);
  });
});

describe("invalid CloudFormation properties are refused before any call, naming the valid property", () => {
  const base: JobTemplateProps = {
    JobTemplateId: "bad",
    Description: "Bad template",
    Document: JSON.stringify({ operation: "x" }),
  };
  const cases: Array<{ name: string; props: Record<string, unknown>; path: string; says: RegExp }> = [
    {
      name: "JobExecutionsRetryConfig.RetryAttempts",
      props: { ...base, JobExecutionsRetryConfig: { RetryAttempts: 3 } },
      path: "JobExecutionsRetryConfig.RetryAttempts",
      says: /unknown property; retries are a list of criteria; the valid property is RetryCriteriaList: \[\{ FailureType, NumberOfRetries \}\]/,
    },
    {
      name: 'AbortConfig.CriteriaList[].Action "ABORT" without ThresholdPercentage/MinNumberOfExecutedThings',
      props: { ...base, AbortConfig: { CriteriaList: [{ Action: "ABORT", FailureType: "FAILED" }] } },
      path: "AbortConfig.CriteriaList[0].Action",
      says: /"ABORT" is not one of CANCEL/,
    },
    {
      name: "MaintenanceWindows[].EndTime",
      props: { ...base, MaintenanceWindows: [{ StartTime: "cron(0 22 ? * SAT *)", EndTime: "cron(0 23 ? * SAT *)" }] },
      path: "MaintenanceWindows[0].EndTime",
      says: /a maintenance window has a start and a duration; the valid property is DurationInMinutes/,
    },
    {
      name: "JobExecutionsRolloutConfig.MinimumPerMinute",
      props: { ...base, JobExecutionsRolloutConfig: { MinimumPerMinute: 10 } },
      path: "JobExecutionsRolloutConfig.MinimumPerMinute",
      says: /there is no minimum rate; the valid properties are MaximumPerMinute and ExponentialRolloutRate/,
    },
    {
      name: "Document together with DocumentSource",
      props: { ...base, DocumentSource: "https://bucket.s3.amazonaws.com/job.json" },
      path: "DocumentSource",
      says: /cannot be combined with Document: give exactly one of Document, DocumentSource or JobArn/,
    },
    {
      name: "the Job spelling of the retry list on a template",
      props: { ...base, JobExecutionsRetryConfig: { CriteriaList: [{ FailureType: "FAILED", NumberOfRetries: 1 }] } },
      path: "JobExecutionsRetryConfig.CriteriaList",
      says: /the valid property is RetryCriteriaList: \[\{ FailureType, NumberOfRetries \}\] \(AWS::IoT::Job and AWS::IoT::JobTemplate name it differently\)/,
    },
    {
      name: "a camelCase (API) name",
      props: { ...base, timeoutConfig: { inProgressTimeoutInMinutes: 5 } },
      path: "timeoutConfig",
      says: /the valid property is TimeoutConfig/,
    },
    {
      name: "a value out of range",
      props: { ...base, TimeoutConfig: { InProgressTimeoutInMinutes: 0 } },
      path: "TimeoutConfig.InProgressTimeoutInMinutes",
      says: /0 must be/,
    },
    {
      name: "a reserved tag key",
      props: {
        ...base,
        Tags: [
          { Key: "ok", Value: "1" },
          { Key: "aws:cloudformation:stack-name", Value: "x" },
        ],
      },
      path: "Tags[1].Key",
      says: /reserved by AWS/,
    },
    {
      name: "a tag without a Value",
      props: { ...base, Tags: [{ Key: "team" }] },
      path: "Tags[0]",
      says: /must be \{ Key: string, Value: string \}/,
    },
    {
      name: "no document at all",
      props: { JobTemplateId: "bad", Description: "Bad template" },
      path: "Document",
      says: /is required: give exactly one of Document, DocumentSource or JobArn/,
    },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      const error = await stack.deploy(() => JobTemplate("bad", c.props as unknown as JobTemplateProps)).catch((e) => e);
      expect(error).toBeInstanceOf(ValidationError);
      const issue = (error as ValidationError).issues.find((i) => i.path === c.path);
      expect(issue, `issues: ${JSON.stringify((error as ValidationError).issues)}`).toBeDefined();
      expect(issue!.message).toMatch(c.says);
      expect(issue!.message.startsWith(`${c.path}: `)).toBe(true);
      // No API call, no state.
      expect(stack.local.stats().requests).toBe(0);
      expect(stack.stateFiles()).toEqual({});
    });
  }

  test("several problems are reported together", async () => {
    const error = (await stack
      .deploy(() =>
        JobTemplate("bad", {
          ...base,
          DocumentSource: "https://bucket.s3.amazonaws.com/job.json",
          JobExecutionsRolloutConfig: { MinimumPerMinute: 10 },
          AbortConfig: { CriteriaList: [{ Action: "ABORT", FailureType: "FAILED" }] },
        } as unknown as JobTemplateProps),
      )
      .catch((e) => e)) as ValidationError;
    expect(error.issues.map((i) => i.path).sort()).toEqual([
      "AbortConfig.CriteriaList[0].Action",
      "AbortConfig.CriteriaList[0].MinNumberOfExecutedThings",
      "AbortConfig.CriteriaList[0].ThresholdPercentage",
      "DocumentSource",
      "JobExecutionsRolloutConfig.MinimumPerMinute",
    ]);
    expect(error.message).toContain('Invalid props for JobTemplate "bad" (5 problems)');
  });
});

describe("Job with CloudFormation properties", () => {
  test("a job from a template, updated in place, then replaced when a create-only property changes", async () => {
    const program = (description: string, document: string) => async () => {
      const fleet = await ThingGroup("fleet", { thingGroupName: "fleet" });
      const tpl = await JobTemplate("tpl", { JobTemplateId: "tpl", Description: "t", Document: document });
      const job = await Job("rollout", {
        JobId: `rollout-${document.length}`,
        Targets: [fleet.thingGroupArn],
        JobTemplateArn: tpl.Arn,
        TargetSelection: "CONTINUOUS",
        Description: description,
        JobExecutionsRetryConfig: { CriteriaList: [{ FailureType: "FAILED", NumberOfRetries: 1 }] },
        JobExecutionsRolloutConfig: {
          ExponentialRate: { BaseRatePerMinute: 5, IncrementFactor: 1.5, RateIncreaseCriteria: { NumberOfNotifiedThings: 10 } },
        },
        SchedulingConfig: { MaintenanceWindows: [{ StartTime: "cron(0 1 * * ? *)", DurationInMinutes: 60 }] },
        Tags: [{ Key: "team", Value: "fleet" }],
      });
      return { tpl, job };
    };
    const { job } = await stack.deploy(program("first", '{"v":1}'));
    expect(job.JobId).toBe("rollout-7");
    expect(job.Arn).toBe(job.jobArn);
    const live = (await stack.client.send(new DescribeJobCommand({ jobId: job.JobId }))).job!;
    expect(live.jobExecutionsRetryConfig).toEqual({ criteriaList: [{ failureType: "FAILED", numberOfRetries: 1 }] });
    expect(live.jobExecutionsRolloutConfig?.exponentialRate?.baseRatePerMinute).toBe(5);
    expect(live.schedulingConfig?.maintenanceWindows).toEqual([{ startTime: "cron(0 1 * * ? *)", durationInMinutes: 60 }]);
    expect(live.jobTemplateArn).toBe(`arn:aws:iot:${stack.local.region}:${stack.local.accountId}:jobtemplate/tpl`);

    stack.local.resetStats();
    await stack.deploy(program("second", '{"v":1}'));
    expect(stack.mutatingCalls()).toEqual(["UpdateJob"]);
    expect((await stack.client.send(new DescribeJobCommand({ jobId: job.JobId }))).job!.description).toBe("second");

    // A new document replaces the template, and the job created from it (its id follows the document here).
    const { job: next } = await stack.deploy(program("second", '{"v":22}'));
    expect(next.JobId).toBe("rollout-8");
    const document = await stack.client.send(new GetJobDocumentCommand({ jobId: next.JobId }));
    expect(JSON.parse(document.document!)).toEqual({ v: 22 });
  });

  test("DocumentParameters are checked against a managed template before any call, with CloudFormation paths", async () => {
    const error = (await stack
      .deploy(async () => {
        const download = await ManagedJobTemplate({ templateName: "AWS-Download-File" });
        return Job("fetch", {
          Targets: [`arn:aws:iot:${stack.local.region}:${stack.local.accountId}:thinggroup/fleet`],
          JobTemplateArn: download,
          DocumentParameters: { downloadUrl: "https://example.com/cfg.json", fileName: "/etc/cfg.json" },
        });
      })
      .catch((e) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues.map((i) => i.path)).toContain("DocumentParameters.fileName");
    expect(error.message).toMatch(/DocumentParameters\.filePath: is required/);
    expect(stack.mutatingCalls()).toEqual([]);
  });

  test("Job properties of the other type are refused with the Job's name for them", async () => {
    const error = (await stack
      .deploy(() =>
        Job("j", {
          Targets: ["arn:aws:iot:us-east-1:123456789012:thinggroup/fleet"],
          Document: "{}",
          JobExecutionsRetryConfig: { RetryCriteriaList: [{ FailureType: "FAILED", NumberOfRetries: 1 }] },
          MaintenanceWindows: [],
        } as never),
      )
      .catch((e) => e)) as ValidationError;
    const messages = error.issues.map((i) => i.message).join("\n");
    expect(messages).toMatch(/JobExecutionsRetryConfig\.RetryCriteriaList: unknown property; the valid property is CriteriaList/);
    expect(messages).toMatch(/^MaintenanceWindows: unknown property; .*the valid property is SchedulingConfig\.MaintenanceWindows/m);
    expect(stack.local.stats().requests).toBe(0);
  });
});
