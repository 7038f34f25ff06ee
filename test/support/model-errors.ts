/**
 * The deliberate error cases of the routes test's scenario
 * (test/support/model-scenario.ts) that stand on their own: requests each
 * operation must refuse, the limit on concurrent job deletions, and the fault
 * pass (every operation throttled, then answered an injected 5xx). Each error
 * answered must be one the model lists for the operation (checked by
 * test/model/routes.test.ts). The error cases that need a state the success
 * calls leave just then sit in place in the scenario.
 */
import {
  AddThingToThingGroupCommand,
  AssociateTargetsWithJobCommand,
  CancelJobCommand,
  CreateJobCommand,
  CreateJobTemplateCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteJobCommand,
  DeleteJobTemplateCommand,
  DeleteThingCommand,
  DeleteThingGroupCommand,
  DescribeJobCommand,
  DescribeJobTemplateCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  GetJobDocumentCommand,
  ListJobsCommand,
  ListJobTemplatesCommand,
  ListThingGroupsForThingCommand,
  ListThingsInThingGroupCommand,
  RemoveThingFromThingGroupCommand,
  UpdateJobCommand,
  UpdateThingCommand,
  UpdateThingGroupCommand,
  type TargetSelection,
} from "@aws-sdk/client-iot";
import { SERVED_OPERATIONS } from "../../src/api/model/served.ts";
import { DOC, type AnyCommand, type CallRecorder } from "./model-calls.ts";

/** Requests each operation must refuse: unknown resources, conflicts, states that forbid the call, values the service refuses. */
export async function deliberateErrors(calls: CallRecorder): Promise<void> {
  const { fails, arn } = calls;

  // Errors of jobs.
  await fails("create a job with an existing id", new CreateJobCommand({ jobId: "rt-job", targets: [arn("thing/rt-1")], document: DOC }));
  await fails(
    "create a job for an unknown thing",
    new CreateJobCommand({ jobId: "rt-x1", targets: [arn("thing/rt-nobody")], document: DOC }),
  );
  await fails(
    "create a job from an unknown template",
    new CreateJobCommand({ jobId: "rt-x2", targets: [arn("thing/rt-1")], jobTemplateArn: arn("jobtemplate/rt-nope") }),
  );
  await fails("create a job without a document", new CreateJobCommand({ jobId: "rt-x3", targets: [arn("thing/rt-1")] }));
  await fails(
    "create a job with a targetSelection that is not one",
    new CreateJobCommand({ jobId: "rt-x4", targets: [arn("thing/rt-1")], document: DOC, targetSelection: "SOMETIMES" as TargetSelection }),
  );
  await fails(
    "add a group to an unknown job",
    new AssociateTargetsWithJobCommand({ jobId: "rt-nope", targets: [arn("thinggroup/rt-site")] }),
  );
  await fails(
    "add a group to a SNAPSHOT job",
    new AssociateTargetsWithJobCommand({ jobId: "rt-snap", targets: [arn("thinggroup/rt-site")] }),
  );
  await fails(
    "add an unknown group to a job",
    new AssociateTargetsWithJobCommand({ jobId: "rt-job", targets: [arn("thinggroup/rt-nogroup")] }),
  );
  await fails("update an unknown job", new UpdateJobCommand({ jobId: "rt-nope", description: "x" }));
  await fails("update a job with nothing", new UpdateJobCommand({ jobId: "rt-job" }));
  await fails("update a COMPLETED job", new UpdateJobCommand({ jobId: "rt-snap", description: "x" }));
  await fails("describe an unknown job", new DescribeJobCommand({ jobId: "rt-nope" }));
  await fails("describe a job id that is not one", new DescribeJobCommand({ jobId: "bad id!" }));
  await fails("list the jobs of an unknown thing group", new ListJobsCommand({ thingGroupName: "rt-nogroup" }));
  await fails("list jobs with a token that is not one", new ListJobsCommand({ nextToken: "not-a-token" }));
  await fails("list jobs with maxResults 0", new ListJobsCommand({ maxResults: 0 }));
  await fails("cancel an unknown job", new CancelJobCommand({ jobId: "rt-nope" }));
  await fails("cancel a COMPLETED job", new CancelJobCommand({ jobId: "rt-snap" }));
  await fails("delete an IN_PROGRESS job without force", new DeleteJobCommand({ jobId: "rt-job" }));
  await fails("delete an unknown job", new DeleteJobCommand({ jobId: "rt-nope" }));
  await fails("get the document of an unknown job", new GetJobDocumentCommand({ jobId: "rt-nope" }));

  // Errors of job templates.
  await fails(
    "create a job template with an existing id",
    new CreateJobTemplateCommand({ jobTemplateId: "rt-template", description: "again", document: DOC }),
  );
  await fails(
    "create a job template from an unknown job",
    new CreateJobTemplateCommand({ jobTemplateId: "rt-t1", description: "copy", jobArn: arn("job/rt-nope") }),
  );
  await fails("create a job template without a document", new CreateJobTemplateCommand({ jobTemplateId: "rt-t2", description: "empty" }));
  await fails(
    "create a job template with an id that is not one",
    new CreateJobTemplateCommand({ jobTemplateId: "bad id!", description: "x", document: DOC }),
  );
  await fails("describe an unknown job template", new DescribeJobTemplateCommand({ jobTemplateId: "rt-nope" }));
  await fails("list job templates with a token that is not one", new ListJobTemplatesCommand({ nextToken: "not-a-token" }));
  await fails("delete an unknown job template", new DeleteJobTemplateCommand({ jobTemplateId: "rt-nope" }));

  // Errors of things and thing groups.
  await fails(
    "create a thing that exists with other attributes",
    new CreateThingCommand({ thingName: "rt-1", attributePayload: { attributes: { model: "other" } } }),
  );
  await fails("create a thing with a name that is not one", new CreateThingCommand({ thingName: "bad name!" }));
  await fails("describe an unknown thing", new DescribeThingCommand({ thingName: "rt-nobody" }));
  await fails("update an unknown thing", new UpdateThingCommand({ thingName: "rt-nobody", attributePayload: { attributes: { a: "b" } } }));
  await fails("update a thing expecting another version", new UpdateThingCommand({ thingName: "rt-1", expectedVersion: 99 }));
  await fails("delete an unknown thing", new DeleteThingCommand({ thingName: "rt-nobody" }));
  await fails("delete a thing expecting another version", new DeleteThingCommand({ thingName: "rt-1", expectedVersion: 99 }));
  await fails(
    "create a thing group under an unknown parent",
    new CreateThingGroupCommand({ thingGroupName: "rt-orphan", parentGroupName: "rt-nogroup" }),
  );
  await fails(
    "create a thing group that exists with other properties",
    new CreateThingGroupCommand({ thingGroupName: "rt-site", thingGroupProperties: { thingGroupDescription: "other" } }),
  );
  await fails("create a thing group with a name that is not one", new CreateThingGroupCommand({ thingGroupName: "bad name!" }));
  await fails("describe an unknown thing group", new DescribeThingGroupCommand({ thingGroupName: "rt-nogroup" }));
  await fails("update an unknown thing group", new UpdateThingGroupCommand({ thingGroupName: "rt-nogroup", thingGroupProperties: {} }));
  await fails(
    "update a thing group expecting another version",
    new UpdateThingGroupCommand({ thingGroupName: "rt-floor", expectedVersion: 99, thingGroupProperties: {} }),
  );
  await fails(
    "delete a thing group expecting another version",
    new DeleteThingGroupCommand({ thingGroupName: "rt-floor", expectedVersion: 99 }),
  );
  await fails("delete a thing group that has child groups", new DeleteThingGroupCommand({ thingGroupName: "rt-site" }));
  await fails("add an unknown thing to a group", new AddThingToThingGroupCommand({ thingGroupName: "rt-floor", thingName: "rt-nobody" }));
  await fails("add a thing to an unknown group", new AddThingToThingGroupCommand({ thingGroupName: "rt-nogroup", thingName: "rt-1" }));
  await fails("add without naming a thing or a group", new AddThingToThingGroupCommand({}));
  await fails(
    "remove a thing from an unknown group",
    new RemoveThingFromThingGroupCommand({ thingGroupName: "rt-nogroup", thingName: "rt-1" }),
  );
  await fails(
    "remove an unknown thing from a group",
    new RemoveThingFromThingGroupCommand({ thingGroupName: "rt-floor", thingName: "rt-nobody" }),
  );
  await fails("list the groups of an unknown thing", new ListThingGroupsForThingCommand({ thingName: "rt-nobody" }));
  await fails("list the things of an unknown group", new ListThingsInThingGroupCommand({ thingGroupName: "rt-nogroup" }));
  await fails("list a group's things with maxResults 0", new ListThingsInThingGroupCommand({ thingGroupName: "rt-floor", maxResults: 0 }));
}

/** More concurrent deletions than AWS allows (10): the 11th DeleteJob is refused. */
export async function tooManyDeletions(calls: CallRecorder): Promise<void> {
  const { local, ok, fails, arn } = calls;
  local.advanceTime(60_000); // pending deletions finish
  local.setDeletionDelay(60_000);
  for (let i = 1; i <= 11; i++) {
    await ok("create a job to delete", new CreateJobCommand({ jobId: `rt-bulk-${i}`, targets: [arn("thing/rt-3")], document: DOC }));
  }
  for (let i = 1; i <= 10; i++) await ok("delete a job with force", new DeleteJobCommand({ jobId: `rt-bulk-${i}`, force: true }));
  await fails("delete an 11th job while 10 are being deleted", new DeleteJobCommand({ jobId: "rt-bulk-11", force: true }));
  local.advanceTime(60_000);
  local.setDeletionDelay(20);
}

/** The faults: every operation throttled, then answered with its 5xx (its first successful command, sent again). */
export async function faultPass(calls: CallRecorder): Promise<void> {
  const { local, firstSuccess, send } = calls;
  for (const [faults, what] of [
    [{ throttle: 1, burst: 0 }, "throttled"],
    [{ errorRate: 1 }, "answered an injected 5xx"],
  ] as const) {
    local.setFaults(faults);
    for (const operation of SERVED_OPERATIONS) {
      const command = firstSuccess.get(operation);
      if (!command) continue;
      const again = new (command.constructor as new (input: object) => AnyCommand)(command.input);
      await send(`${operation} ${what}`, again, "error", true);
    }
  }
  local.setFaults({});
}
