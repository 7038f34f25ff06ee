/** The IoT API's route table (method and URI template of every operation, with its handler) and route matching. */
import * as executions from "./executions.ts";
import * as jobs from "./jobs.ts";
import * as managed from "./managed.ts";
import { BadRequest } from "./protocol/http.ts";
import * as tags from "./tags.ts";
import * as templates from "./templates.ts";
import * as things from "./things.ts";
import type { Operation } from "./world.ts";

interface Route {
  method: string;
  segments: string[];
  operation: string;
  handler: Operation;
}

const route = (method: string, template: string, operation: string, handler: Operation): Route => ({
  method,
  segments: template.split("/").slice(1),
  operation,
  handler,
});

/** Method + URI template of every operation, as in the SDK's service model. */
const ROUTES: Route[] = [
  route("PUT", "/job-templates/{jobTemplateId}", "CreateJobTemplate", templates.createJobTemplate),
  route("GET", "/job-templates/{jobTemplateId}", "DescribeJobTemplate", templates.describeJobTemplate),
  route("GET", "/job-templates", "ListJobTemplates", templates.listJobTemplates),
  route("DELETE", "/job-templates/{jobTemplateId}", "DeleteJobTemplate", templates.deleteJobTemplate),
  route("PUT", "/jobs/{jobId}", "CreateJob", jobs.createJob),
  route("PATCH", "/jobs/{jobId}", "UpdateJob", jobs.updateJob),
  route("GET", "/jobs/{jobId}", "DescribeJob", jobs.describeJob),
  route("GET", "/jobs", "ListJobs", jobs.listJobs),
  route("PUT", "/jobs/{jobId}/cancel", "CancelJob", jobs.cancelJob),
  route("DELETE", "/jobs/{jobId}", "DeleteJob", jobs.deleteJob),
  route("GET", "/jobs/{jobId}/job-document", "GetJobDocument", jobs.getJobDocument),
  route("GET", "/managed-job-templates", "ListManagedJobTemplates", managed.listManagedJobTemplates),
  route("GET", "/managed-job-templates/{templateName}", "DescribeManagedJobTemplate", managed.describeManagedJobTemplate),
  route("POST", "/tags", "TagResource", tags.tagResource),
  route("POST", "/untag", "UntagResource", tags.untagResource),
  route("GET", "/tags", "ListTagsForResource", tags.listTagsForResource),
  route("GET", "/things/{thingName}/jobs/{jobId}", "DescribeJobExecution", executions.describeJobExecution),
  route("GET", "/jobs/{jobId}/things", "ListJobExecutionsForJob", executions.listJobExecutionsForJob),
  route("GET", "/things/{thingName}/jobs", "ListJobExecutionsForThing", executions.listJobExecutionsForThing),
  route("PUT", "/things/{thingName}/jobs/{jobId}/cancel", "CancelJobExecution", executions.cancelJobExecution),
  route(
    "DELETE",
    "/things/{thingName}/jobs/{jobId}/executionNumber/{executionNumber}",
    "DeleteJobExecution",
    executions.deleteJobExecution,
  ),
  route("POST", "/things/{thingName}", "CreateThing", things.createThing),
  route("GET", "/things/{thingName}", "DescribeThing", things.describeThing),
  route("PATCH", "/things/{thingName}", "UpdateThing", things.updateThing),
  route("DELETE", "/things/{thingName}", "DeleteThing", things.deleteThing),
  route("POST", "/thing-groups/{thingGroupName}", "CreateThingGroup", things.createThingGroup),
  route("GET", "/thing-groups/{thingGroupName}", "DescribeThingGroup", things.describeThingGroup),
  route("PATCH", "/thing-groups/{thingGroupName}", "UpdateThingGroup", things.updateThingGroup),
  route("DELETE", "/thing-groups/{thingGroupName}", "DeleteThingGroup", things.deleteThingGroup),
  route("PUT", "/thing-groups/addThingToThingGroup", "AddThingToThingGroup", things.addThingToThingGroup),
  route("PUT", "/thing-groups/removeThingFromThingGroup", "RemoveThingFromThingGroup", things.removeThingFromThingGroup),
  route("GET", "/things/{thingName}/thing-groups", "ListThingGroupsForThing", things.listThingGroupsForThing),
  route("GET", "/thing-groups/{thingGroupName}/things", "ListThingsInThingGroup", things.listThingsInThingGroup),
];

/** The API operations this endpoint serves. */
export const OPERATIONS: readonly string[] = ROUTES.map((r) => r.operation);

export function isReadOnly(operation: string): boolean {
  return /^(Describe|List|Get)/.test(operation);
}

export function matchRoute(method: string, rawPath: string): { route: Route; params: Record<string, string> } | undefined {
  const segments = rawPath.split("/").slice(1);
  let best: { route: Route; params: Record<string, string>; literals: number } | undefined;
  for (const r of ROUTES) {
    if (r.method !== method || r.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    for (let i = 0; i < segments.length && ok; i++) {
      const t = r.segments[i];
      if (t.startsWith("{")) {
        try {
          params[t.slice(1, -1)] = decodeURIComponent(segments[i]);
        } catch {
          throw new BadRequest("InvalidRequestException", `Malformed percent-encoding in path segment '${segments[i]}'.`);
        }
      } else if (t === segments[i]) literals++;
      else ok = false;
    }
    if (ok && (!best || literals > best.literals)) best = { route: r, params, literals };
  }
  return best;
}
