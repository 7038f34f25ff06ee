/**
 * The success scenario of the routes test (test/model/routes.test.ts): one
 * run that drives every operation the local endpoint serves to success
 * through the real SDK, over things and thing groups, job templates, jobs, a
 * device's job executions, managed job templates, tags and the ends of life
 * of each, the Software Package Catalog (model-catalog.ts), with the
 * variants of their members the model's output covers.
 * The error cases that need the state the success calls leave just then sit
 * in place; the others are in test/support/model-errors.ts.
 */
import {
  AddThingToThingGroupCommand,
  AssociateTargetsWithJobCommand,
  CancelJobCommand,
  CancelJobExecutionCommand,
  CreateJobCommand,
  CreateJobTemplateCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteJobCommand,
  DeleteJobExecutionCommand,
  DeleteJobTemplateCommand,
  DeleteThingCommand,
  DeleteThingGroupCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  DescribeJobTemplateCommand,
  DescribeManagedJobTemplateCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  GetJobDocumentCommand,
  ListJobExecutionsForJobCommand,
  ListJobExecutionsForThingCommand,
  ListJobsCommand,
  ListJobTemplatesCommand,
  ListManagedJobTemplatesCommand,
  ListTagsForResourceCommand,
  ListThingGroupsForThingCommand,
  ListThingsInThingGroupCommand,
  RemoveThingFromThingGroupCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateJobCommand,
  UpdateThingCommand,
  UpdateThingGroupCommand,
  type JobExecutionStatus,
} from "@aws-sdk/client-iot";
import { catalogScenario, catalogSetup } from "./model-catalog.ts";
import { DOC, type CallRecorder } from "./model-calls.ts";
import { deliberateErrors, faultPass, tooManyDeletions } from "./model-errors.ts";

const HOUR = 3_600_000;

/**
 * Drives every served operation to success, each also to deliberate
 * failures, then every one to the throttling and 5xx faults, recording each
 * call's outcome in `calls`.
 */
export async function runScenario(calls: CallRecorder): Promise<void> {
  const { local, ok, fails, arn } = calls;
  /** A schedulingConfig time `ms` from the endpoint's "now", in the YYYY-MM-DDTHH:MM format. */
  const at = (ms: number) => new Date(Date.now() + local.world.clockOffsetMs + ms).toISOString().slice(0, 16);
  const managedArn = (name: string) => `arn:aws:iot:${local.region}::jobtemplate/${name}:1.0`;
  const s3Url = "https://s3.amazonaws.com/rt-bucket/job.json";
  local.putS3Object(s3Url, DOC);

  // Things and thing groups.
  await ok(
    "create a thing with attributes",
    new CreateThingCommand({ thingName: "rt-1", attributePayload: { attributes: { model: "x1" } } }),
  );
  await ok("create a thing", new CreateThingCommand({ thingName: "rt-2" }));
  await ok("create a thing", new CreateThingCommand({ thingName: "rt-3" }));
  await ok("create a thing to delete", new CreateThingCommand({ thingName: "rt-doomed" }));
  await ok("create an identical thing again", new CreateThingCommand({ thingName: "rt-2" }));
  await ok("describe a thing", new DescribeThingCommand({ thingName: "rt-1" }));
  await ok(
    "update a thing",
    new UpdateThingCommand({ thingName: "rt-1", expectedVersion: 1, attributePayload: { attributes: { fw: "2" }, merge: true } }),
  );
  await ok(
    "create a thing group with properties and tags",
    new CreateThingGroupCommand({
      thingGroupName: "rt-site",
      thingGroupProperties: { thingGroupDescription: "the site", attributePayload: { attributes: { city: "lyon" } } },
      tags: [{ Key: "owner", Value: "ops" }],
    }),
  );
  await ok(
    "create a child thing group",
    new CreateThingGroupCommand({
      thingGroupName: "rt-floor",
      parentGroupName: "rt-site",
      thingGroupProperties: { thingGroupDescription: "a floor" },
    }),
  );
  await ok("create a thing group to delete", new CreateThingGroupCommand({ thingGroupName: "rt-temp" }));
  await ok("describe a child thing group", new DescribeThingGroupCommand({ thingGroupName: "rt-floor" }));
  await ok("describe a root thing group", new DescribeThingGroupCommand({ thingGroupName: "rt-site" }));
  await ok(
    "update a thing group",
    new UpdateThingGroupCommand({
      thingGroupName: "rt-floor",
      expectedVersion: 1,
      thingGroupProperties: { thingGroupDescription: "first floor", attributePayload: { attributes: { level: "1" } } },
    }),
  );
  await ok("add a thing to a group by name", new AddThingToThingGroupCommand({ thingGroupName: "rt-floor", thingName: "rt-1" }));
  await ok(
    "add a thing to a group by ARN",
    new AddThingToThingGroupCommand({ thingGroupArn: arn("thinggroup/rt-floor"), thingArn: arn("thing/rt-2") }),
  );
  await ok("add a thing to a second group", new AddThingToThingGroupCommand({ thingGroupName: "rt-site", thingName: "rt-1" }));
  await ok("list a thing's groups", new ListThingGroupsForThingCommand({ thingName: "rt-1" }));
  await ok("list a thing's groups, one page", new ListThingGroupsForThingCommand({ thingName: "rt-1", maxResults: 1 }));
  await ok("list a group's things, recursively", new ListThingsInThingGroupCommand({ thingGroupName: "rt-site", recursive: true }));
  await ok("list a group's things, one page", new ListThingsInThingGroupCommand({ thingGroupName: "rt-floor", maxResults: 1 }));

  // The software package version the job template below installs (the rest of the catalog: catalogScenario).
  await catalogSetup(calls);

  // Job templates.
  await ok(
    "create a job template with every configuration",
    new CreateJobTemplateCommand({
      jobTemplateId: "rt-template",
      description: "every member",
      document: DOC,
      presignedUrlConfig: { roleArn: "arn:aws:iam::123456789012:role/rt-role", expiresInSec: 3600 },
      jobExecutionsRolloutConfig: {
        maximumPerMinute: 100,
        exponentialRate: { baseRatePerMinute: 10, incrementFactor: 2, rateIncreaseCriteria: { numberOfNotifiedThings: 5 } },
      },
      abortConfig: { criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 50, minNumberOfExecutedThings: 10 }] },
      timeoutConfig: { inProgressTimeoutInMinutes: 60 },
      jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 2 }] },
      maintenanceWindows: [{ startTime: "cron(0 2 ? * MON *)", durationInMinutes: 60 }],
      destinationPackageVersions: [`arn:aws:iot:${local.region}:${local.accountId}:package/rt/version/1.0.0`],
      tags: [{ Key: "team", Value: "fleet" }],
    }),
  );
  await ok(
    "create a job template from a document source",
    new CreateJobTemplateCommand({ jobTemplateId: "rt-plain", description: "plain", documentSource: s3Url }),
  );
  await ok("describe a job template", new DescribeJobTemplateCommand({ jobTemplateId: "rt-template" }));
  await ok("describe a document-source job template", new DescribeJobTemplateCommand({ jobTemplateId: "rt-plain" }));
  await ok("list job templates", new ListJobTemplatesCommand({}));
  await ok("list job templates, one page", new ListJobTemplatesCommand({ maxResults: 1 }));

  // Jobs.
  await ok(
    "create a continuous job from a template",
    new CreateJobCommand({
      jobId: "rt-job",
      targets: [arn("thing/rt-1"), arn("thinggroup/rt-floor")],
      targetSelection: "CONTINUOUS",
      jobTemplateArn: arn("jobtemplate/rt-template"),
      description: "from the template",
      tags: [{ Key: "env", Value: "test" }],
    }),
  );
  await ok(
    "create a snapshot job in a namespace",
    new CreateJobCommand({
      jobId: "rt-snap",
      targets: [arn("thing/rt-3")],
      document: DOC,
      namespaceId: "rt-ns",
      timeoutConfig: { inProgressTimeoutInMinutes: 30 },
    }),
  );
  await ok(
    "create a job from a managed template",
    new CreateJobCommand({
      jobId: "rt-managed",
      targets: [arn("thing/rt-2")],
      jobTemplateArn: managedArn("AWS-Download-File"),
      documentParameters: { downloadUrl: "https://example.com/file", filePath: "/tmp/file" },
    }),
  );
  await ok(
    "create a scheduled job",
    new CreateJobCommand({
      jobId: "rt-scheduled",
      targets: [arn("thing/rt-3")],
      document: DOC,
      schedulingConfig: { startTime: at(2 * HOUR), endTime: at(4 * HOUR), endBehavior: "STOP_ROLLOUT" },
    }),
  );
  await ok(
    "create a job from a document source",
    new CreateJobCommand({ jobId: "rt-source", targets: [arn("thing/rt-3")], documentSource: s3Url }),
  );
  await ok(
    "create a job to cancel",
    new CreateJobCommand({ jobId: "rt-cancel", targets: [arn("thing/rt-3")], document: DOC, description: "to cancel" }),
  );
  await ok(
    "update a job",
    new UpdateJobCommand({
      jobId: "rt-job",
      description: "updated",
      jobExecutionsRolloutConfig: { maximumPerMinute: 50 },
      timeoutConfig: { inProgressTimeoutInMinutes: 90 },
    }),
  );

  await ok(
    "add a thing group to a continuous job",
    new AssociateTargetsWithJobCommand({ jobId: "rt-job", targets: [arn("thinggroup/rt-site")], comment: "second wave" }),
  );

  // A device works: rt-snap completes; rt-1 starts rt-job; rt-3 starts rt-source.
  await local.updateJobExecution({ thingName: "rt-3", jobId: "rt-snap", status: "SUCCEEDED", statusDetails: { exit: "0" } });
  await local.updateJobExecution({ thingName: "rt-1", jobId: "rt-job", status: "IN_PROGRESS", statusDetails: { step: "download" } });
  await local.updateJobExecution({ thingName: "rt-3", jobId: "rt-source", status: "IN_PROGRESS" });

  for (const jobId of ["rt-job", "rt-snap", "rt-managed", "rt-scheduled", "rt-source"]) {
    await ok(`describe job ${jobId}`, new DescribeJobCommand({ jobId }));
  }
  await ok("list jobs", new ListJobsCommand({}));
  await ok("list jobs, one page", new ListJobsCommand({ maxResults: 1 }));
  await ok("list jobs of a thing group", new ListJobsCommand({ thingGroupName: "rt-floor" }));
  await ok("list completed jobs", new ListJobsCommand({ status: "COMPLETED", targetSelection: "SNAPSHOT" }));
  await ok("get a job document", new GetJobDocumentCommand({ jobId: "rt-job" }));
  await ok("get a managed job's document", new GetJobDocumentCommand({ jobId: "rt-managed" }));
  await ok(
    "get a managed job's document before substitution",
    new GetJobDocumentCommand({ jobId: "rt-managed", beforeSubstitution: true }),
  );
  await ok("get a document-source job's document", new GetJobDocumentCommand({ jobId: "rt-source" }));

  // Job executions.
  await ok("describe an IN_PROGRESS execution", new DescribeJobExecutionCommand({ thingName: "rt-1", jobId: "rt-job" }));
  await ok(
    "describe a SUCCEEDED execution by number",
    new DescribeJobExecutionCommand({ thingName: "rt-3", jobId: "rt-snap", executionNumber: 1 }),
  );
  await ok("describe a QUEUED execution", new DescribeJobExecutionCommand({ thingName: "rt-2", jobId: "rt-managed" }));
  await ok("list a job's executions", new ListJobExecutionsForJobCommand({ jobId: "rt-job" }));
  await ok("list a job's executions, one page", new ListJobExecutionsForJobCommand({ jobId: "rt-job", maxResults: 1 }));
  await ok("list a job's executions by status", new ListJobExecutionsForJobCommand({ jobId: "rt-job", status: "IN_PROGRESS" }));
  await ok("list a thing's executions", new ListJobExecutionsForThingCommand({ thingName: "rt-3" }));
  await ok("list a thing's executions, one page", new ListJobExecutionsForThingCommand({ thingName: "rt-3", maxResults: 1 }));
  await ok("list a thing's executions in a namespace", new ListJobExecutionsForThingCommand({ thingName: "rt-3", namespaceId: "rt-ns" }));
  await ok(
    "cancel a QUEUED execution",
    new CancelJobExecutionCommand({ thingName: "rt-2", jobId: "rt-job", statusDetails: { reason: "maintenance" } }),
  );
  await ok("describe a CANCELED execution", new DescribeJobExecutionCommand({ thingName: "rt-2", jobId: "rt-job" }));
  await fails("cancel an IN_PROGRESS execution without force", new CancelJobExecutionCommand({ thingName: "rt-1", jobId: "rt-job" }));
  await fails("cancel a SUCCEEDED execution", new CancelJobExecutionCommand({ thingName: "rt-3", jobId: "rt-snap" }));
  await fails(
    "cancel an execution expecting another version",
    new CancelJobExecutionCommand({ thingName: "rt-3", jobId: "rt-cancel", expectedVersion: 99 }),
  );
  await fails("cancel an execution of an unknown job", new CancelJobExecutionCommand({ thingName: "rt-1", jobId: "rt-nope" }));
  await ok(
    "cancel an IN_PROGRESS execution with force",
    new CancelJobExecutionCommand({ thingName: "rt-1", jobId: "rt-job", force: true }),
  );
  await ok("describe a force-canceled execution", new DescribeJobExecutionCommand({ thingName: "rt-1", jobId: "rt-job" }));
  await fails(
    "delete a QUEUED execution without force",
    new DeleteJobExecutionCommand({ thingName: "rt-3", jobId: "rt-cancel", executionNumber: 1 }),
  );
  await fails(
    "delete an unknown execution number",
    new DeleteJobExecutionCommand({ thingName: "rt-3", jobId: "rt-snap", executionNumber: 42 }),
  );
  await ok("delete a terminal execution", new DeleteJobExecutionCommand({ thingName: "rt-1", jobId: "rt-job", executionNumber: 1 }));
  await ok(
    "delete a QUEUED execution with force",
    new DeleteJobExecutionCommand({ thingName: "rt-2", jobId: "rt-managed", executionNumber: 1, force: true }),
  );
  await fails("describe an execution of an unknown thing", new DescribeJobExecutionCommand({ thingName: "rt-nobody", jobId: "rt-job" }));
  await fails("list the executions of an unknown job", new ListJobExecutionsForJobCommand({ jobId: "rt-nope" }));
  await fails(
    "list executions with a status that is not one",
    new ListJobExecutionsForJobCommand({ jobId: "rt-job", status: "SOMETIMES" as JobExecutionStatus }),
  );
  await fails("list the executions of an unknown thing", new ListJobExecutionsForThingCommand({ thingName: "rt-nobody" }));

  // Managed job templates.
  await ok("list managed job templates", new ListManagedJobTemplatesCommand({}));
  await ok("list managed job templates, one page", new ListManagedJobTemplatesCommand({ maxResults: 1 }));
  await ok("list a managed job template by name", new ListManagedJobTemplatesCommand({ templateName: "AWS-Reboot" }));
  await ok("describe a managed job template", new DescribeManagedJobTemplateCommand({ templateName: "AWS-Download-File" }));
  await ok(
    "describe a managed job template version",
    new DescribeManagedJobTemplateCommand({ templateName: "AWS-Run-Command", templateVersion: "1.0" }),
  );
  await fails("list an unknown managed job template", new ListManagedJobTemplatesCommand({ templateName: "AWS-Nothing" }));
  await fails("describe an unknown managed job template", new DescribeManagedJobTemplateCommand({ templateName: "AWS-Nothing" }));
  await fails(
    "describe an unknown managed job template version",
    new DescribeManagedJobTemplateCommand({ templateName: "AWS-Reboot", templateVersion: "9.9" }),
  );

  // Tags.
  await ok("tag a job", new TagResourceCommand({ resourceArn: arn("job/rt-job"), tags: [{ Key: "stage", Value: "beta" }] }));
  await ok("tag a thing", new TagResourceCommand({ resourceArn: arn("thing/rt-1"), tags: [{ Key: "room", Value: "" }] }));
  await ok("list a job's tags", new ListTagsForResourceCommand({ resourceArn: arn("job/rt-job") }));
  await ok("list a job template's tags", new ListTagsForResourceCommand({ resourceArn: arn("jobtemplate/rt-template") }));
  await ok("list a thing group's tags", new ListTagsForResourceCommand({ resourceArn: arn("thinggroup/rt-site") }));
  await ok("untag a job", new UntagResourceCommand({ resourceArn: arn("job/rt-job"), tagKeys: ["stage"] }));
  await fails("tag an unknown job", new TagResourceCommand({ resourceArn: arn("job/rt-nope"), tags: [{ Key: "a", Value: "b" }] }));
  await fails(
    "tag with a reserved key",
    new TagResourceCommand({ resourceArn: arn("job/rt-job"), tags: [{ Key: "aws:mine", Value: "b" }] }),
  );
  await fails("untag an unknown job", new UntagResourceCommand({ resourceArn: arn("job/rt-nope"), tagKeys: ["a"] }));
  await fails("list the tags of an unknown job", new ListTagsForResourceCommand({ resourceArn: arn("job/rt-nope") }));
  await fails("list the tags of a managed job template", new ListTagsForResourceCommand({ resourceArn: managedArn("AWS-Reboot") }));

  // The Software Package Catalog.
  await catalogScenario(calls);

  // Errors of jobs, job templates, things and thing groups.
  await deliberateErrors(calls);

  // Ends of life.
  await ok(
    "cancel a job with a reason",
    new CancelJobCommand({ jobId: "rt-cancel", reasonCode: "RT_NOT_NEEDED", comment: "no longer needed" }),
  );
  await ok("cancel a job again with force", new CancelJobCommand({ jobId: "rt-cancel", force: true }));
  await ok("describe a CANCELED job", new DescribeJobCommand({ jobId: "rt-cancel" }));
  // The deletion lasts a virtual minute (not the endpoint's 20 ms, which a loaded machine can spend between two
  // calls): the calls below see the job being deleted; tooManyDeletions advances the clock past it.
  local.setDeletionDelay(60_000);
  await ok("delete a CANCELED job", new DeleteJobCommand({ jobId: "rt-cancel" }));
  await ok("describe a job being deleted", new DescribeJobCommand({ jobId: "rt-cancel" }));
  await ok("list jobs being deleted", new ListJobsCommand({ status: "DELETION_IN_PROGRESS" }));
  await fails("delete a job being deleted", new DeleteJobCommand({ jobId: "rt-cancel" }));
  await fails("cancel a job being deleted", new CancelJobCommand({ jobId: "rt-cancel" }));
  await ok("delete a SCHEDULED job with force", new DeleteJobCommand({ jobId: "rt-scheduled", force: true }));
  await ok("delete a job template", new DeleteJobTemplateCommand({ jobTemplateId: "rt-plain" }));
  await ok("remove a thing from a group by name", new RemoveThingFromThingGroupCommand({ thingGroupName: "rt-floor", thingName: "rt-2" }));
  await ok(
    "remove a thing from a group by ARN",
    new RemoveThingFromThingGroupCommand({ thingGroupArn: arn("thinggroup/rt-floor"), thingArn: arn("thing/rt-1") }),
  );
  await ok("delete a thing", new DeleteThingCommand({ thingName: "rt-doomed", expectedVersion: 1 }));
  await ok("delete a thing group", new DeleteThingGroupCommand({ thingGroupName: "rt-temp", expectedVersion: 1 }));
  await ok("delete a thing group that does not exist", new DeleteThingGroupCommand({ thingGroupName: "rt-never" }));

  await tooManyDeletions(calls);
  await faultPass(calls);
}
