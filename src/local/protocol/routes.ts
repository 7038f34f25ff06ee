/**
 * The IoT API's route table: every served operation's method and URI template,
 * as the AWS model binds it to HTTP, with its handler; and route matching.
 */
import * as executions from "../operations/executions.ts";
import * as jobReads from "../operations/job-reads.ts";
import * as jobs from "../operations/jobs.ts";
import * as managed from "../operations/managed.ts";
import * as packages from "../operations/packages.ts";
import { BadRequest } from "./http.ts";
import * as tags from "../operations/tags.ts";
import * as templates from "../operations/templates.ts";
import * as things from "../operations/things.ts";
import { OPERATIONS as MODEL_OPERATIONS } from "../../api/model/iot.generated.ts";
import { SERVED_OPERATIONS, type ServedOperation } from "../../api/model/served.ts";
import type { Handler } from "../operations/handler.ts";

export interface Route {
  method: string;
  /** The URI template, e.g. "/jobs/{jobId}". */
  template: string;
  segments: string[];
  operation: ServedOperation;
  handler: Handler;
}

/** The handler of every served operation. */
const HANDLERS: Record<ServedOperation, Handler> = {
  CreateJobTemplate: templates.createJobTemplate,
  DescribeJobTemplate: templates.describeJobTemplate,
  ListJobTemplates: templates.listJobTemplates,
  DeleteJobTemplate: templates.deleteJobTemplate,
  CreateJob: jobs.createJob,
  UpdateJob: jobs.updateJob,
  DescribeJob: jobReads.describeJob,
  ListJobs: jobReads.listJobs,
  CancelJob: jobs.cancelJob,
  DeleteJob: jobs.deleteJob,
  AssociateTargetsWithJob: jobs.associateTargetsWithJob,
  GetJobDocument: jobReads.getJobDocument,
  ListManagedJobTemplates: managed.listManagedJobTemplates,
  DescribeManagedJobTemplate: managed.describeManagedJobTemplate,
  TagResource: tags.tagResource,
  UntagResource: tags.untagResource,
  ListTagsForResource: tags.listTagsForResource,
  DescribeJobExecution: executions.describeJobExecution,
  ListJobExecutionsForJob: executions.listJobExecutionsForJob,
  ListJobExecutionsForThing: executions.listJobExecutionsForThing,
  CancelJobExecution: executions.cancelJobExecution,
  DeleteJobExecution: executions.deleteJobExecution,
  CreateThing: things.createThing,
  DescribeThing: things.describeThing,
  UpdateThing: things.updateThing,
  DeleteThing: things.deleteThing,
  CreateThingGroup: things.createThingGroup,
  DescribeThingGroup: things.describeThingGroup,
  UpdateThingGroup: things.updateThingGroup,
  DeleteThingGroup: things.deleteThingGroup,
  AddThingToThingGroup: things.addThingToThingGroup,
  RemoveThingFromThingGroup: things.removeThingFromThingGroup,
  ListThingGroupsForThing: things.listThingGroupsForThing,
  ListThingsInThingGroup: things.listThingsInThingGroup,
  CreatePackage: packages.createPackage,
  GetPackage: packages.getPackage,
  UpdatePackage: packages.updatePackage,
  DeletePackage: packages.deletePackage,
  ListPackages: packages.listPackages,
  CreatePackageVersion: packages.createPackageVersion,
  GetPackageVersion: packages.getPackageVersion,
  UpdatePackageVersion: packages.updatePackageVersion,
  DeletePackageVersion: packages.deletePackageVersion,
  ListPackageVersions: packages.listPackageVersions,
  AssociateSbomWithPackageVersion: packages.associateSbomWithPackageVersion,
  DisassociateSbomFromPackageVersion: packages.disassociateSbomFromPackageVersion,
  ListSbomValidationResults: packages.listSbomValidationResults,
  GetPackageConfiguration: packages.getPackageConfiguration,
  UpdatePackageConfiguration: packages.updatePackageConfiguration,
};

/** Method and URI template of every served operation, from the AWS model (src/api/model/iot.generated.ts). */
export const ROUTES: readonly Route[] = SERVED_OPERATIONS.map((operation) => {
  const { method, uri } = MODEL_OPERATIONS[operation];
  return { method, template: uri, segments: uri.split("/").slice(1), operation, handler: HANDLERS[operation] };
});

/** The API operations this endpoint serves. */
export const OPERATIONS: readonly string[] = SERVED_OPERATIONS;

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
