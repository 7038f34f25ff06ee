import fs from "node:fs";
import path from "node:path";
import {
  CancelJobCommand,
  DeleteJobCommand,
  DescribeJobCommand,
  GetJobDocumentCommand,
  ListJobExecutionsForJobCommand,
  ListJobsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  type JobSummary,
} from "@aws-sdk/client-iot";
import alchemy from "alchemy";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  Job,
  JobDeletionTimeoutError,
  JobInUseError,
  JobTemplate,
  ManagedJobTemplate,
  Thing,
  ThingGroup,
  ValidationError,
  type JobProps,
} from "../../src/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack({ local: { deletionDelayMs: 100 } });
});
afterEach(() => stack.close());

/** A thing group "fleet" with two things, and a job on it. */
async function fleetWithJob(props: Omit<JobProps, "targets"> & { targets?: JobProps["targets"] }, id = "job") {
  const fleet = await ThingGroup("fleet", { thingGroupName: "fleet" });
  const d1 = await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
  await Thing("d2", { thingName: "d2", thingGroups: [fleet] });
  const job = await Job(id, { targets: [fleet], ...props } as JobProps);
  return { fleet, d1, job };
}

const doc = { operation: "updateFirmware", version: "1.2.3" };

async function jobs(): Promise<JobSummary[]> {
  return (await stack.client.send(new ListJobsCommand({}))).jobs ?? [];
}

async function describeJob(jobId: string) {
  return (await stack.client.send(new DescribeJobCommand({ jobId }))).job!;
}

describe("Job", () => {
  test("from a document: created IN_PROGRESS with executions for the group's things, tags and ownership tags", async () => {
    const { job, fleet } = await stack.deploy(() =>
      fleetWithJob({ document: doc, description: "Firmware 1.2.3", tags: { team: "fleet" } }),
    );
    expect(job.jobId).toMatch(new RegExp(`^${stack.app}-test-job-[0-9a-f]{8}$`));
    expect(job.status).toBe("IN_PROGRESS");
    expect(job.createdAt).toBeInstanceOf(Date);
    const live = await describeJob(job.jobId);
    expect(live.targets).toEqual([fleet.thingGroupArn]);
    expect(live.description).toBe("Firmware 1.2.3");
    expect(live.jobProcessDetails?.numberOfQueuedThings).toBe(2);
    const document = await stack.client.send(new GetJobDocumentCommand({ jobId: job.jobId }));
    expect(JSON.parse(document.document!)).toEqual(doc);
    const tags = await stack.client.send(new ListTagsForResourceCommand({ resourceArn: job.jobArn }));
    expect(Object.fromEntries(tags.tags!.map((t) => [t.Key, t.Value]))).toEqual({
      team: "fleet",
      alchemy_app: stack.app,
      alchemy_stage: "test",
      alchemy_resource: `${stack.app}/test/job`,
    });
  });

  test("the default jobId is stable across no-op deploys (zero calls for the job)", async () => {
    const first = await stack.deploy(() => fleetWithJob({ document: doc }));
    stack.local.resetStats();
    const second = await stack.deploy(() => fleetWithJob({ document: doc }));
    expect(second.job.jobId).toBe(first.job.jobId);
    expect(stack.local.stats().requests).toBe(0);
  });

  test("from a custom JobTemplate", async () => {
    const { job, tpl } = await stack.deploy(async () => {
      const tpl = await JobTemplate("tpl", {
        jobTemplateId: "tpl",
        description: "t",
        document: doc,
        timeoutConfig: { inProgressTimeoutInMinutes: 30 },
      });
      const { job } = await fleetWithJob({ jobTemplate: tpl });
      return { job, tpl };
    });
    expect(job.jobTemplateArn).toBe(tpl.jobTemplateArn);
    const live = await describeJob(job.jobId);
    expect(live.jobTemplateArn).toBe(tpl.jobTemplateArn);
    expect(live.timeoutConfig?.inProgressTimeoutInMinutes).toBe(30);
    const document = await stack.client.send(new GetJobDocumentCommand({ jobId: job.jobId }));
    expect(JSON.parse(document.document!)).toEqual(doc);
  });

  test("from an AWS managed template with valid documentParameters (substituted by IoT)", async () => {
    const { job, download } = await stack.deploy(async () => {
      const download = await ManagedJobTemplate({ templateName: "AWS-Download-File", templateVersion: "1.0" });
      const { job } = await fleetWithJob({
        jobTemplate: download,
        documentParameters: { downloadUrl: "https://example.com/cfg.json", filePath: "/etc/app/cfg.json" },
        targetSelection: "CONTINUOUS",
      });
      return { job, download };
    });
    expect(download.templateArn).toBe(`arn:aws:iot:${stack.local.region}::jobtemplate/AWS-Download-File:1.0`);
    expect(job.jobTemplateArn).toBe(download.templateArn);
    const live = await describeJob(job.jobId);
    expect(live.documentParameters).toEqual({ downloadUrl: "https://example.com/cfg.json", filePath: "/etc/app/cfg.json" });
    const document = JSON.parse((await stack.client.send(new GetJobDocumentCommand({ jobId: job.jobId }))).document!);
    expect(document.steps[0].action.input.args).toEqual(["https://example.com/cfg.json", "/etc/app/cfg.json"]);
  });

  test("a managed template given only by ARN is read to check documentParameters before CreateJob", async () => {
    const arn = `arn:aws:iot:${stack.local.region}::jobtemplate/AWS-Download-File:1.0`;
    const error = await stack
      .deploy(() => fleetWithJob({ jobTemplateArn: arn, documentParameters: { downloadUrl: "https://x/y" } }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain("documentParameters.filePath: is required by AWS-Download-File 1.0");
    expect(stack.mutatingCalls().filter((c) => c === "CreateJob")).toEqual([]);
  });

  describe("documentParameters are checked against the managed template before any call", () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      [
        "a missing required parameter",
        { downloadUrl: "https://x/y" },
        'documentParameters.filePath: is required by AWS-Download-File 1.0 (Path on the device where downloaded file is written; e.g. "/path/to/file")',
      ],
      [
        "an unknown parameter",
        { downloadUrl: "https://x/y", filePath: "/f", downlaodUrl: "z" },
        "documentParameters.downlaodUrl: is not a parameter of AWS-Download-File 1.0; did you mean downloadUrl?",
      ],
      [
        "a value that does not match the regex",
        { downloadUrl: "https://x/y", filePath: "/f", runAsUser: "u".repeat(257) },
        'documentParameters.runAsUser: "uuuu',
      ],
      ["an empty value", { downloadUrl: "", filePath: "/f" }, "documentParameters.downloadUrl"],
    ];
    test.each(cases)("%s", async (_what, documentParameters, fragment) => {
      const error = await stack
        .deploy(async () => {
          const download = await ManagedJobTemplate({ templateName: "AWS-Download-File" });
          stack.local.resetStats();
          return Job("job", { targets: ["arn:aws:iot:us-east-1:123456789012:thing/d1"], jobTemplate: download, documentParameters });
        })
        .catch((e) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.message).toContain(fragment);
      expect(stack.local.stats().requests).toBe(0);
      expect(fs.existsSync(path.join(stack.stateDir(), "job.json"))).toBe(false);
    });

    test("parameters with a custom template", async () => {
      const error = await stack
        .deploy(async () => {
          stack.local.resetStats();
          return Job("job", {
            targets: ["arn:aws:iot:us-east-1:123456789012:thing/d1"],
            jobTemplateArn: "arn:aws:iot:us-east-1:123456789012:jobtemplate/my-template",
            documentParameters: { a: "b" },
          });
        })
        .catch((e) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.message).toContain("documentParameters: ");
      expect(error.message).toContain("are only supported with AWS managed templates");
      expect(stack.local.stats().requests).toBe(0);
    });

    test("parameters with a document", async () => {
      const error = await stack
        .deploy(() =>
          Job("job", { targets: ["arn:aws:iot:us-east-1:123456789012:thing/d1"], document: doc, documentParameters: { a: "b" } }),
        )
        .catch((e) => e);
      expect(error.message).toContain("documentParameters: ");
      expect(error.message).toContain("need jobTemplate to be an AWS managed template");
    });

    test("a secret parameter that breaks its pattern is reported without its value", async () => {
      const error = await stack
        .deploy(async () => {
          const download = await ManagedJobTemplate({ templateName: "AWS-Download-File" });
          return Job("job", {
            targets: ["arn:aws:iot:us-east-1:123456789012:thing/d1"],
            jobTemplate: download,
            documentParameters: { downloadUrl: "https://x", filePath: "/f", runAsUser: alchemy.secret(`secret-${"x".repeat(300)}`) },
          });
        })
        .catch((e) => e);
      expect(error.message).toContain("documentParameters.runAsUser: (sensitive) does not match");
      expect(error.message).not.toContain("secret-x");
    });
  });

  test("an UpdateJob member changes in place: same ARN, exactly one UpdateJob", async () => {
    const first = await stack.deploy(() => fleetWithJob({ document: doc, description: "v1" }));
    stack.local.resetStats();
    const second = await stack.deploy(() =>
      fleetWithJob({
        document: doc,
        description: "v2",
        abortConfig: {
          criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 50, minNumberOfExecutedThings: 10 }],
        },
      }),
    );
    expect(stack.mutatingCalls()).toEqual(["UpdateJob"]);
    expect(second.job.jobArn).toBe(first.job.jobArn);
    expect(second.job.createdAt.getTime()).toBe(first.job.createdAt.getTime());
    const live = await describeJob(first.job.jobId);
    expect(live.description).toBe("v2");
    expect(live.abortConfig?.criteriaList?.[0]?.thresholdPercentage).toBe(50);
  });

  test("tags change in place with the tag calls only", async () => {
    const first = await stack.deploy(() => fleetWithJob({ document: doc, tags: { a: "1", b: "2" } }));
    stack.local.resetStats();
    await stack.deploy(() => fleetWithJob({ document: doc, tags: { a: "9" } }));
    expect(stack.mutatingCalls()).toEqual(["TagResource", "UntagResource"]);
    const tags = await stack.client.send(new ListTagsForResourceCommand({ resourceArn: first.job.jobArn }));
    expect(Object.fromEntries(tags.tags!.map((t) => [t.Key, t.Value]))).toMatchObject({ a: "9" });
    expect(tags.tags!.some((t) => t.Key === "b")).toBe(false);
  });

  test("a target change with the default id replaces the job: new one created first, old one gone at the end", async () => {
    const first = await stack.deploy(() => fleetWithJob({ document: doc, targetSelection: "CONTINUOUS" }));
    stack.local.resetStats();
    const second = await stack.deploy(async () => {
      const fleet = await ThingGroup("fleet", { thingGroupName: "fleet" });
      const d1 = await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
      await Thing("d2", { thingName: "d2", thingGroups: [fleet] });
      return Job("job", { targets: [d1], document: doc, targetSelection: "CONTINUOUS" });
    });
    expect(second.jobId).not.toBe(first.job.jobId);
    expect(stack.mutatingCalls()).toEqual(["CreateJob", "CancelJob", "DeleteJob"]);
    expect((await jobs()).map((j) => j.jobId)).toEqual([second.jobId]);
    expect((await describeJob(second.jobId)).targets).toEqual([`arn:aws:iot:${stack.local.region}:${stack.local.accountId}:thing/d1`]);
  });

  test("a target change with an explicit id waits for the old job's deletion, then creates it again", async () => {
    await stack.deploy(() => fleetWithJob({ jobId: "fixed-id", document: doc }));
    stack.local.resetStats();
    const second = await stack.deploy(async () => {
      const fleet = await ThingGroup("fleet", { thingGroupName: "fleet" });
      const d1 = await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
      await Thing("d2", { thingName: "d2", thingGroups: [fleet] });
      return Job("job", { jobId: "fixed-id", targets: [d1], document: doc });
    });
    expect(second.jobId).toBe("fixed-id");
    const calls = stack.mutatingCalls();
    expect(calls).toEqual(["CancelJob", "DeleteJob", "CreateJob"]);
    // It waited: it looked at the jobs being deleted until this one had left, before CreateJob.
    const all = stack.local.stats().calls.map((c) => `${c.operation}:${c.error ?? c.status}`);
    const looks = all.map((c, i) => (c === "ListJobs:200" ? i : -1)).filter((i) => i >= 0);
    expect(looks.length).toBeGreaterThan(0);
    expect(looks[0]).toBeGreaterThan(all.indexOf("DeleteJob:200"));
    expect(looks[looks.length - 1]).toBeLessThan(all.indexOf("CreateJob:200"));
    expect((await jobs()).map((j) => j.jobId)).toEqual(["fixed-id"]);
  });

  test("destroy of a job that devices are running fails without deletion.force, and succeeds with it", async () => {
    const { job } = await stack.deploy(() => fleetWithJob({ jobId: "busy", document: doc, targetSelection: "CONTINUOUS" }));
    await stack.local.updateJobExecution({ thingName: "d1", jobId: "busy", status: "IN_PROGRESS" });
    stack.local.resetStats();
    const error = await stack.destroy().catch((e) => e);
    expect(error).toBeInstanceOf(JobInUseError);
    expect(error.message).toMatch(/job busy is being run by 1 device right now .*deletion: \{ force: true \}/);
    expect(stack.mutatingCalls()).toEqual([]);
    expect((await describeJob("busy")).status).toBe("IN_PROGRESS");
    expect(fs.existsSync(path.join(stack.stateDir(), "job.json"))).toBe(true);

    // Store the setting with a deploy (no API call), then destroy.
    stack.local.resetStats();
    await stack.deploy(() => fleetWithJob({ jobId: "busy", document: doc, targetSelection: "CONTINUOUS", deletion: { force: true } }));
    expect(stack.mutatingCalls()).toEqual([]);
    await stack.destroy();
    await expect(describeJob(job.jobId)).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect((await jobs()).length).toBe(0);
  });

  test("destroy of an IN_PROGRESS job whose executions are only queued cancels it without force", async () => {
    await stack.deploy(() => fleetWithJob({ jobId: "queued", document: doc }));
    stack.local.resetStats();
    await stack.destroy();
    expect(stack.mutatingCalls().filter((c) => /Job$/.test(c))).toEqual(["CancelJob", "DeleteJob"]);
    expect(stack.local.stats().calls.filter((c) => c.operation === "CancelJob")).toHaveLength(1);
    expect((await jobs()).length).toBe(0);
  });

  test("a job that is already gone counts as deleted", async () => {
    await stack.deploy(() => fleetWithJob({ jobId: "gone", document: doc }));
    await stack.client.send(new CancelJobCommand({ jobId: "gone" }));
    await stack.client.send(new DeleteJobCommand({ jobId: "gone" }));
    await stack.destroy();
    expect(fs.existsSync(stack.stateDir())).toBe(false); // every resource left the state, and the stage with them
  });

  test("destroying 15 jobs at once never has more than 10 deletions in progress, and succeeds", async () => {
    stack.local.setDeletionDelay(300);
    const program = async () => {
      const thing = await Thing("d1", { thingName: "d1" });
      await Promise.all(Array.from({ length: 15 }, (_, i) => Job(`job-${i}`, { targets: [thing], document: { n: i } })));
    };
    await stack.deploy(program);
    expect((await jobs()).length).toBe(15);
    stack.local.resetStats();
    await stack.destroy({ destroyStrategy: "parallel" });
    const stats = stack.local.stats();
    expect(stats.peakDeletionsInProgress).toBeLessThanOrEqual(10);
    expect(stats.peakDeletionsInProgress).toBeGreaterThan(1);
    // The provider queued its deletions: IoT never had to refuse one with LimitExceededException.
    expect(stats.byOperation.DeleteJob).toEqual({ count: 15, ok: 15, errors: {} });
    expect((await jobs()).length).toBe(0);
  });

  test("a deletion that outlasts timeoutSeconds fails, keeps the job in state, and a later destroy finishes it", async () => {
    await stack.deploy(() => fleetWithJob({ jobId: "slow", document: doc, deletion: { timeoutSeconds: 1 } }));
    stack.local.setDeletionDelay(2_500);
    const error = await stack.destroy().catch((e) => e);
    expect(error).toBeInstanceOf(JobDeletionTimeoutError);
    expect(error.message).toMatch(/job slow was still DELETION_IN_PROGRESS after 1s/);
    expect(fs.existsSync(path.join(stack.stateDir(), "job.json"))).toBe(true);
    expect((await describeJob("slow")).status).toBe("DELETION_IN_PROGRESS");
    await new Promise((r) => setTimeout(r, 1_600));
    await stack.destroy();
    await expect(describeJob("slow")).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(fs.existsSync(path.join(stack.stateDir(), "job.json"))).toBe(false);
  });

  test("a SNAPSHOT job completed by the devices: later updates are recorded but not sent, destroy deletes it", async () => {
    await stack.deploy(() => fleetWithJob({ jobId: "snap", document: doc, description: "v1" }));
    await stack.local.updateJobExecution({ thingName: "d1", jobId: "snap", status: "IN_PROGRESS" });
    await stack.local.updateJobExecution({ thingName: "d1", jobId: "snap", status: "SUCCEEDED" });
    await stack.local.updateJobExecution({ thingName: "d2", jobId: "snap", status: "SUCCEEDED" });
    expect((await describeJob("snap")).status).toBe("COMPLETED");
    const executions = await stack.client.send(new ListJobExecutionsForJobCommand({ jobId: "snap" }));
    expect(executions.executionSummaries?.map((e) => e.jobExecutionSummary?.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);

    stack.local.resetStats();
    const updated = await stack.deploy(() => fleetWithJob({ jobId: "snap", document: doc, description: "v2" }));
    expect(updated.job.status).toBe("COMPLETED");
    // The state said IN_PROGRESS: the ownership read, then the job is read before UpdateJob, which IoT would refuse
    // for a finished job, so it is not sent; nothing changes, and the status read is recorded.
    expect(stack.local.stats().calls.map((c) => `${c.operation} ${c.status}`)).toEqual(["ListTagsForResource 200", "DescribeJob 200"]);
    expect((await describeJob("snap")).description).toBe("v1");
    // The next deploy knows the job has finished: no call at all.
    stack.local.resetStats();
    await stack.deploy(() => fleetWithJob({ jobId: "snap", document: doc, description: "v3" }));
    expect(stack.local.stats().requests).toBe(0);

    stack.local.resetStats();
    await stack.destroy();
    expect(stack.mutatingCalls().filter((c) => /Job$/.test(c))).toEqual(["DeleteJob"]);
  });

  test("a job deleted out of band is created again by a forced deploy", async () => {
    await stack.deploy(() => fleetWithJob({ jobId: "drift", document: doc }));
    await stack.client.send(new DeleteJobCommand({ jobId: "drift", force: true }));
    await new Promise((r) => setTimeout(r, 150));
    await stack.deploy(() => fleetWithJob({ jobId: "drift", document: doc }), { force: true });
    expect((await describeJob("drift")).status).toBe("IN_PROGRESS");
  });

  test("crash recovery: a job created before the state was written is taken over, no duplicate", async () => {
    const first = await stack.deploy(() => fleetWithJob({ document: doc }));
    const file = path.join(stack.stateDir(), "job.json");
    const state = JSON.parse(fs.readFileSync(file, "utf8"));
    state.status = "creating";
    state.output = Object.fromEntries(Object.entries(state.output).filter(([k]) => k.startsWith("Symbol(")));
    fs.writeFileSync(file, JSON.stringify(state));
    stack.local.resetStats();
    const again = await stack.deploy(() => fleetWithJob({ document: doc }));
    expect(again.job.jobArn).toBe(first.job.jobArn);
    expect(stack.mutatingCalls()).toEqual(["CreateJob"]); // refused as existing, then taken over
    expect((await jobs()).map((j) => j.jobId)).toEqual([first.job.jobId]);
  });

  test("a foreign job with the same id is refused unless adopted", async () => {
    await stack.deploy(() => fleetWithJob({ jobId: "theirs", document: doc }, "original"));
    const error = await stack.deploy(() => fleetWithJob({ jobId: "theirs", document: doc }, "copycat")).catch((e) => e);
    expect(error.message).toMatch(/job "theirs" already exists .* not created by this resource.*adopt: true/);
  });

  test("adopting a job: no call when it matches, UpdateJob and tags when only those differ, replacement otherwise", async () => {
    const { CreateJobCommand } = await import("@aws-sdk/client-iot");
    const fleet = await stack.deploy(() => ThingGroup("fleet", { thingGroupName: "fleet" }));
    const outOfBand = (jobId: string, extra: Record<string, unknown>) =>
      stack.client.send(
        new CreateJobCommand({
          jobId,
          targets: [fleet.thingGroupArn],
          document: JSON.stringify(doc),
          targetSelection: "CONTINUOUS",
          description: "made elsewhere",
          tags: [{ Key: "team", Value: "fleet" }],
          ...extra,
        }),
      );
    const declared = (jobId: string, extra: Partial<JobProps> = {}) =>
      Job(jobId, {
        jobId,
        targets: [fleet.thingGroupArn],
        document: doc,
        targetSelection: "CONTINUOUS",
        description: "made elsewhere",
        tags: { team: "fleet" },
        adopt: true,
        ...extra,
      });
    const program =
      (...jobs: Array<[string, Partial<JobProps>?]>) =>
      async () => {
        await ThingGroup("fleet", { thingGroupName: "fleet" });
        return Promise.all(jobs.map(([id, extra]) => declared(id, extra)));
      };

    await outOfBand("same", {});
    const createdAt = (await describeJob("same")).createdAt;
    stack.local.resetStats();
    const [same] = await stack.deploy(program(["same"]));
    expect(stack.mutatingCalls()).toEqual([]);
    expect(same.createdAt.getTime()).toBe(createdAt!.getTime());

    await outOfBand("updatable", { description: "old words", tags: [{ Key: "team", Value: "other" }] });
    stack.local.resetStats();
    await stack.deploy(program(["same"], ["updatable"]));
    expect(stack.mutatingCalls()).toEqual(["UpdateJob", "TagResource"]);
    expect((await describeJob("updatable")).description).toBe("made elsewhere");

    await outOfBand("different", { document: JSON.stringify({ operation: "somethingElse" }) });
    stack.local.resetStats();
    await stack.deploy(program(["same"], ["updatable"], ["different"]));
    expect(stack.mutatingCalls()).toEqual(["CancelJob", "DeleteJob", "CreateJob"]);
    const document = await stack.client.send(new GetJobDocumentCommand({ jobId: "different" }));
    expect(JSON.parse(document.document!)).toEqual(doc);
    // The replacement is this stack's own job: it carries the ownership tags.
    const tags = await stack.client.send(new ListTagsForResourceCommand({ resourceArn: (await describeJob("different")).jobArn }));
    expect(tags.tags?.find((t) => t.Key === "alchemy_resource")?.Value).toBe(`${stack.app}/test/different`);
  });
});

describe("ManagedJobTemplate", () => {
  test("every managed template can be looked up, and the list follows every page", async () => {
    const { all, looked } = await stack.deploy(async () => {
      const { listManagedJobTemplates } = await import("../../src/index.ts");
      const all = await listManagedJobTemplates();
      const looked = await Promise.all(all.map((t) => ManagedJobTemplate({ templateName: t.templateName })));
      return { all, looked };
    });
    expect(all.map((t) => t.templateName).sort()).toEqual([
      "AWS-Download-File",
      "AWS-Install-Application",
      "AWS-Reboot",
      "AWS-Remove-Application",
      "AWS-Restart-Application",
      "AWS-Run-Command",
      "AWS-Start-Application",
      "AWS-Stop-Application",
    ]);
    for (const t of looked) {
      expect(t.templateArn).toBe(`arn:aws:iot:${stack.local.region}::jobtemplate/${t.templateName}:${t.templateVersion}`);
      expect(t.document).toContain("${aws:iot:parameter:runAsUser}");
      expect(t.documentParameters.find((p) => p.key === "runAsUser")?.optional).toBe(true);
      expect(t.environments).toEqual(["LINUX"]);
    }
    // A lookup creates nothing and leaves nothing in state.
    expect(stack.mutatingCalls()).toEqual([]);
    expect(stack.stateFiles()).toEqual({});
  });

  test("an unknown name lists the available names", async () => {
    const error = await stack.deploy(() => ManagedJobTemplate({ templateName: "AWS-Rebooot" })).catch((e) => e);
    expect(error.message).toContain('there is no AWS managed job template named "AWS-Rebooot". Did you mean AWS-Reboot?');
    expect(error.message).toContain("Available: AWS-Download-File, AWS-Install-Application, AWS-Reboot");
  });

  test("an unknown version lists the template's versions", async () => {
    const error = await stack.deploy(() => ManagedJobTemplate({ templateName: "AWS-Reboot", templateVersion: "9.9" })).catch((e) => e);
    expect(error.message).toBe("ManagedJobTemplate: AWS-Reboot has no version 9.9. Available versions: 1.0.");
  });

  test("bad lookup props are rejected before any call", async () => {
    stack.local.resetStats();
    const error = await stack.deploy(() => ManagedJobTemplate({ templateName: "AWS-Reboot", templateVersion: "latest" })).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('templateVersion: "latest" must match a version like "1.0"');
    expect(stack.local.stats().requests).toBe(0);
  });
});
