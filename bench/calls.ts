/**
 * IoT calls per lifecycle operation, next to the minimum the API allows.
 * Counted by the local endpoint, through the real Alchemy runtime.
 */
import { CreateThingCommand } from "@aws-sdk/client-iot";
import { Job, JobTemplate } from "../src/index.ts";
import { createStack } from "../test/support/stack.ts";
import type { Report } from "./report.ts";

export async function run(report: Report): Promise<void> {
  process.env.ALCHEMY_TELEMETRY_DISABLED ??= "1";
  // These deploys run inside the bench runner, which Node started as its main script: a deploy would
  // take the runner for its program and check it as one (src/preview/check.ts), running the runner
  // again as a preview. The runner is a host, as the test runner is, so its deploys skip the check: the
  // figures are a deploy's own calls (`npm run bench -- check` measures the check on real programs).
  const check = process.env.ALCHEMY_IOT_CHECK;
  process.env.ALCHEMY_IOT_CHECK = "0";
  const stack = await createStack({ local: { deletionDelayMs: 100 } });
  const count = (name: string, minimum: number, what: string) => {
    const stats = stack.local.stats();
    report(`calls.${name}.total`, stats.requests);
    report(`calls.${name}.mutating`, stats.mutatingRequests);
    report(`calls.${name}.minimum`, minimum);
    report(`calls.${name}.sequence`, stats.calls.map((c) => c.operation).join(","));
    console.error(`${name}: ${what}`);
    stack.local.resetStats();
  };
  const template = (tags: Record<string, string>, description = "v1") =>
    JobTemplate("tpl", { jobTemplateId: "calls-tpl", description, document: { op: "x" }, tags });
  try {
    stack.local.resetStats();
    await stack.deploy(() => template({ a: "1" }));
    count("template_create", 1, "CreateJobTemplate only (createdAt is the deploy's clock at the response)");

    await stack.deploy(() => template({ a: "2" }));
    count("template_tag_update", 1, "TagResource only");

    await stack.deploy(() => template({ a: "2" }, "v2"));
    count("template_replace", 2, "DeleteJobTemplate + CreateJobTemplate");

    await stack.deploy(() => template({ a: "2" }, "v2"));
    count("template_noop", 0, "nothing");

    // The job's target exists out of band, so only the job's own calls are counted.
    const { thingArn } = await stack.client.send(new CreateThingCommand({ thingName: "calls-device" }));
    const job =
      (description: string, force = false) =>
      async () => {
        await template({ a: "2" }, "v2"); // unchanged: no call
        return Job("job", {
          jobId: "calls-job",
          targets: [thingArn!],
          document: { op: "y" },
          description,
          targetSelection: "CONTINUOUS",
          deletion: { force },
        });
      };
    stack.local.resetStats();
    await stack.deploy(job("v1"));
    count("job_create", 1, "CreateJob only (its status follows from the request; createdAt is the deploy's clock)");
    await stack.deploy(job("v2"));
    count("job_update", 1, "UpdateJob only (sent without reading first; a finished job refuses it, and only then is it read)");

    // Destroy the job alone (the template stays declared).
    await stack.deploy(() => template({ a: "2" }, "v2"));
    count(
      "job_destroy",
      2,
      "CancelJob + DeleteJob change something; without deletion.force the job is read first (devices running it would stop the destroy), and the deletion is awaited with ListJobs(DELETION_IN_PROGRESS) looks shared by every deletion in flight",
    );
    await stack.deploy(job("v1", true));
    stack.local.resetStats();
    await stack.deploy(() => template({ a: "2" }, "v2"));
    count(
      "job_destroy_forced",
      2,
      "with deletion.force the job is still read before CancelJob (IoT refuses to cancel a finished job; its status decides whether CancelJob is sent), then CancelJob(force), DeleteJob and the shared looks",
    );

    // Adopting a template a CloudFormation stack created and then let go of (DeletionPolicy: Retain).
    await stack.local.createStack({
      stackName: "calls-legacy",
      template: {
        Resources: {
          Legacy: {
            Type: "AWS::IoT::JobTemplate",
            DeletionPolicy: "Retain",
            Properties: { JobTemplateId: "calls-legacy", Description: "legacy", Document: '{"op":"z"}' },
          },
        },
      },
    });
    await stack.local.updateStack({
      stackName: "calls-legacy",
      template: { Resources: { Other: { Type: "AWS::IoT::ThingGroup", Properties: { ThingGroupName: "calls-other" } } } },
    });
    stack.local.resetStats();
    await stack.deploy(async () => {
      await template({ a: "2" }, "v2");
      return JobTemplate("legacy", { jobTemplateId: "calls-legacy", description: "legacy", document: { op: "z" }, adopt: true });
    });
    count(
      "template_adopt",
      0,
      "no call that changes anything; the provider reads the template and its tags, and asks CloudFormation (DescribeStackResource) whether the stack that tagged it still manages it",
    );
  } finally {
    await stack.close();
    if (check === undefined) delete process.env.ALCHEMY_IOT_CHECK;
    else process.env.ALCHEMY_IOT_CHECK = check;
  }
}
