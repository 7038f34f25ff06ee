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

const readOnly = new Map<string, boolean>();

export function isReadOnly(operation: string): boolean {
  let answer = readOnly.get(operation);
  if (answer === undefined) {
    answer = /^(Describe|List|Get)/.test(operation);
    if (readOnly.size < 1024) readOnly.set(operation, answer);
  }
  return answer;
}

/** A route with each segment's label name (undefined for a literal segment), computed once. */
interface Shaped {
  route: Route;
  labels: Array<string | undefined>;
}

/** The routes by method and number of path segments, in ROUTES' order. */
const BY_SHAPE = new Map<string, Shaped[]>();
for (const r of ROUTES) {
  const key = `${r.method} ${r.segments.length}`;
  const shaped = { route: r, labels: r.segments.map((t) => (t.charCodeAt(0) === 123 /* { */ ? t.slice(1, -1) : undefined)) };
  const list = BY_SHAPE.get(key);
  if (list) list.push(shaped);
  else BY_SHAPE.set(key, [shaped]);
}

/**
 * The route of a request: among the routes of its method and number of
 * segments, the one whose literal segments all match, the most of them;
 * with its labels decoded. Throws a 400 on a label that is not valid
 * percent-encoding.
 */
export function matchRoute(method: string, rawPath: string): { route: Route; params: Record<string, string> } | undefined {
  const segments = rawPath.split("/").slice(1);
  const candidates = BY_SHAPE.get(`${method} ${segments.length}`);
  if (!candidates) return undefined;
  // Without a "%", no label needs decoding (nor can fail to decode).
  const encoded = rawPath.includes("%");
  let best: { route: Route; params: Record<string, string>; literals: number } | undefined;
  for (const { route: r, labels } of candidates) {
    const params: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    for (let i = 0; i < segments.length && ok; i++) {
      const label = labels[i];
      if (label !== undefined) params[label] = encoded ? decodeLabel(segments[i]) : segments[i];
      else if (r.segments[i] === segments[i]) literals++;
      else ok = false;
    }
    if (ok && (!best || literals > best.literals)) best = { route: r, params, literals };
  }
  return best && { route: best.route, params: best.params };
}

function decodeLabel(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest("InvalidRequestException", `Malformed percent-encoding in path segment '${segment}'.`);
  }
}
