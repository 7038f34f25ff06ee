/**
 * The local endpoint's data file: its format marker, its version and the
 * shape of every table it holds, checked as a whole before anything of it is
 * loaded. A file that is not in a shape this version reads is refused (the
 * endpoint does not start) and kept as it is: loading it would lose what the
 * endpoint cannot read at its next write, which rewrites the whole file.
 *
 * What is checked, with zod: every member of every record of every table
 * (templates, jobs, executions, things, thing groups, tags, stacks), its type
 * and, where the endpoint relies on it, its values (statuses, whole numbers,
 * rates); every required member present; every table present (every version
 * of the file has written them all); no two records with the same id (the
 * tables are keyed by it: one would be dropped). Members added since the
 * first version of the file (instanceId, a job's sourceDocument and rollout,
 * an execution's timeoutAtMs and deviceDueAtMs, a thing's simulated device;
 * the Software Package Catalog's tables and the device shadows) are
 * optional, so files written by earlier versions load.
 *
 * Unknown members: at the top level they are refused (a table this version
 * does not know would be dropped by the next write). Inside a record they
 * are tolerated and kept: the endpoint never reads them, and the next write
 * writes them back, so nothing is lost.
 */
import { z } from "zod";
import { ENUMS } from "../../api/constraints.ts";
import { describeIssue } from "./data-file-issues.ts";
import type {
  ExecutionRecord,
  JobRecord,
  JsonObject,
  PackageConfigurationRecord,
  PackageRecord,
  PackageVersionRecord,
  RolloutRecord,
  S3LocationRecord,
  SbomValidationRecord,
  ShadowRecord,
  StackRecord,
  StackResourceRecord,
  TemplateRecord,
  ThingGroupRecord,
  ThingRecord,
} from "./records.ts";

/** The data file's format marker (its `format` member). */
export const FILE_FORMAT = "alchemy-iot-jobs/local-endpoint";
/** The version of the data file this endpoint reads and writes. */
export const FILE_VERSION = 1;

/** The data file as written: the tables as lists (tags by resource ARN). */
export interface PersistedFile {
  format: typeof FILE_FORMAT;
  version: typeof FILE_VERSION;
  /** Identifies this endpoint's data: chosen when the data is first created, kept across restarts. */
  instanceId?: string;
  accountId: string;
  region: string;
  templates: TemplateRecord[];
  jobs: JobRecord[];
  executions: ExecutionRecord[];
  things: ThingRecord[];
  thingGroups: ThingGroupRecord[];
  tags: Record<string, Record<string, string>>;
  stacks: StackRecord[];
  /** Added with the Software Package Catalog (absent in older files). */
  packages?: PackageRecord[];
  packageVersions?: PackageVersionRecord[];
  packageConfiguration?: PackageConfigurationRecord;
  /** Added with the device shadows (absent in older files). */
  shadows?: ShadowRecord[];
}

// ------------------------------------------------------------------ schemas

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
/**
 * One schema per member of T, none left out, optional exactly where T's
 * member is: a member added to a record type without a rule here does not
 * compile, so no member escapes the check.
 */
type Shape<T> = {
  [K in keyof T]-?: K extends OptionalKeys<T> ? z.ZodOptional<z.ZodType<Exclude<T[K], undefined>>> : z.ZodType<T[K]>;
};

/** A record of type T; members T does not have are kept as they are (see the module comment). */
function record<T>(shape: Shape<T>): z.ZodType<T> {
  return z.looseObject(shape as z.ZodRawShape) as unknown as z.ZodType<T>;
}

const str = z.string();
const strings = z.array(z.string());
const stringMap = z.record(z.string(), z.string());
/** Epoch seconds or milliseconds. */
const time = z.number();
/** A count, an index, a sequence or version number. */
const whole = z.number().int().nonnegative();
const flag = z.boolean();
/** A JSON object the endpoint keeps as the API received it (already checked then). */
const object = z.custom<JsonObject>((v) => typeof v === "object" && v !== null && !Array.isArray(v), {
  message: "expected an object",
});
const jobStatus = z.enum(ENUMS.jobStatus);
const stackStatus = z.enum(["CREATE_COMPLETE", "UPDATE_COMPLETE"]);
const rate = z.number().min(0).max(1);

const template = record<TemplateRecord>({
  seq: whole,
  jobTemplateId: str,
  jobTemplateArn: str,
  description: str,
  document: str.optional(),
  documentSource: str.optional(),
  presignedUrlConfig: object.optional(),
  jobExecutionsRolloutConfig: object.optional(),
  abortConfig: object.optional(),
  timeoutConfig: object.optional(),
  jobExecutionsRetryConfig: object.optional(),
  maintenanceWindows: z.array(object).optional(),
  destinationPackageVersions: strings.optional(),
  createdAt: time,
});

const rollout = record<RolloutRecord>({
  held: flag.optional(),
  startedAtMs: time.optional(),
  pending: strings.optional(),
  next: whole.optional(),
  nextAtMs: time.optional(),
  minuteAtMs: time.optional(),
  minuteNotified: whole.optional(),
  progress: record<NonNullable<RolloutRecord["progress"]>>({
    increases: whole,
    notifiedSinceIncrease: whole,
    succeededSinceIncrease: whole,
  }).optional(),
  succeeded: whole.optional(),
  windowEndsAtMs: time.optional(),
  ended: flag.optional(),
  stopped: flag.optional(),
});

const job = record<JobRecord>({
  seq: whole,
  jobId: str,
  jobArn: str,
  targets: strings,
  targetSelection: z.enum(ENUMS.targetSelection),
  status: jobStatus,
  forceCanceled: flag.optional(),
  reasonCode: str.optional(),
  comment: str.optional(),
  description: str.optional(),
  document: str.optional(),
  documentSource: str.optional(),
  sourceDocument: str.optional(),
  presignedUrlConfig: object.optional(),
  jobExecutionsRolloutConfig: object.optional(),
  abortConfig: object.optional(),
  timeoutConfig: object.optional(),
  jobExecutionsRetryConfig: object.optional(),
  namespaceId: str.optional(),
  jobTemplateArn: str.optional(),
  documentParameters: stringMap.optional(),
  schedulingConfig: object.optional(),
  destinationPackageVersions: strings.optional(),
  createdAt: time,
  lastUpdatedAt: time,
  completedAt: time.optional(),
  deleteAt: time.optional(),
  statusBeforeDeletion: jobStatus.optional(),
  rollout: rollout.optional(),
});

const execution = record<ExecutionRecord>({
  jobId: str,
  thingName: str,
  thingArn: str,
  executionNumber: whole,
  status: z.enum(ENUMS.jobExecutionStatus),
  forceCanceled: flag.optional(),
  statusDetails: stringMap.optional(),
  queuedAt: time,
  startedAt: time.optional(),
  lastUpdatedAt: time,
  versionNumber: whole,
  retryAttempt: whole,
  timeoutAtMs: time.optional(),
  deviceDueAtMs: time.optional(),
});

type Simulated = NonNullable<ThingRecord["simulated"]>;
const thing = record<ThingRecord>({
  seq: whole,
  thingName: str,
  thingArn: str,
  thingId: str,
  thingTypeName: str.optional(),
  attributes: stringMap,
  version: whole,
  createdAt: time,
  simulated: record<Simulated>({
    behaviour: record<Simulated["behaviour"]>({
      // There is no successRate: success is what the other outcomes leave.
      successRate: z.never().optional(),
      failRate: rate,
      rejectRate: rate,
      hangRate: rate,
      offlineRate: rate,
      runMinutes: whole,
    }),
    seed: whole.max(0xffffffff),
  }).optional(),
});

const thingGroup = record<ThingGroupRecord>({
  seq: whole,
  thingGroupName: str,
  thingGroupArn: str,
  thingGroupId: str,
  description: str.optional(),
  attributes: stringMap,
  parentGroupName: str.optional(),
  version: whole,
  createdAt: time,
  members: strings,
});

type Output = StackRecord["outputs"][number];
const stack = record<StackRecord>({
  stackName: str,
  stackId: str,
  status: stackStatus,
  createdAt: time,
  lastUpdatedAt: time.optional(),
  description: str.optional(),
  templateBody: str,
  tags: z.array(record<StackRecord["tags"][number]>({ Key: str, Value: str })),
  outputs: z.array(record<Output>({ OutputKey: str, OutputValue: str, Description: str.optional(), ExportName: str.optional() })),
  resources: z.array(
    record<StackResourceRecord>({
      logicalResourceId: str,
      physicalResourceId: str,
      resourceType: str,
      status: stackStatus,
      lastUpdatedAt: time,
      attributes: stringMap,
      metadata: str.optional(),
      deletionPolicy: str.optional(),
    }),
  ),
});

const s3Location = record<S3LocationRecord>({ bucket: str.optional(), key: str.optional(), version: str.optional() });

const softwarePackage = record<PackageRecord>({
  seq: whole,
  packageName: str,
  packageArn: str,
  description: str.optional(),
  defaultVersionName: str.optional(),
  createdAt: time,
  lastModifiedAt: time,
  clientToken: str.optional(),
});

const packageVersion = record<PackageVersionRecord>({
  seq: whole,
  packageName: str,
  versionName: str,
  packageVersionArn: str,
  status: z.enum(["DRAFT", "PUBLISHED", "DEPRECATED"]),
  description: str.optional(),
  attributes: stringMap,
  artifact: s3Location.optional(),
  recipe: str.optional(),
  sbom: s3Location.optional(),
  sbomValidation: record<SbomValidationRecord>({
    result: z.enum(["SUCCEEDED", "FAILED"]),
    errorCode: z.enum(["INCOMPATIBLE_FORMAT", "FILE_SIZE_LIMIT_EXCEEDED"]).optional(),
    errorMessage: str.optional(),
  }).optional(),
  createdAt: time,
  lastModifiedAt: time,
  clientToken: str.optional(),
});

type ByJobs = PackageConfigurationRecord["versionUpdateByJobsConfig"];
const packageConfiguration = record<PackageConfigurationRecord>({
  versionUpdateByJobsConfig: record<ByJobs>({ enabled: flag, roleArn: str.optional() }),
});

type ShadowSections = ShadowRecord["state"];
const sections = record<ShadowSections>({ desired: object.optional(), reported: object.optional() });
const shadow = record<ShadowRecord>({
  thingName: str,
  shadowName: str,
  state: sections,
  metadata: sections,
  version: whole,
  updatedAt: time,
});

/** The whole file; a top-level member this version does not know is refused. */
const dataFile = z.strictObject({
  format: z.literal(FILE_FORMAT),
  version: z.literal(FILE_VERSION),
  instanceId: str.optional(),
  accountId: str,
  region: str,
  templates: z.array(template),
  jobs: z.array(job),
  executions: z.array(execution),
  things: z.array(thing),
  thingGroups: z.array(thingGroup),
  tags: z.record(z.string(), stringMap),
  stacks: z.array(stack),
  packages: z.array(softwarePackage).optional(),
  packageVersions: z.array(packageVersion).optional(),
  packageConfiguration: packageConfiguration.optional(),
  shadows: z.array(shadow).optional(),
}) satisfies z.ZodType<PersistedFile>;

// ------------------------------------------------------------------ checking

/** The outcome of checking a parsed data file: the file, or its problems (each `path: rule`). */
export type DataFileCheck = { ok: true; file: PersistedFile } | { ok: false; problems: string[] };

/**
 * Checks the shape of a parsed data file (whose format and version were
 * already checked). Problems name the JSON path and the rule, and describe a
 * wrong value by its type only: the file holds job documents and document
 * parameters, secrets included, and no value of it is ever repeated.
 */
export function checkDataFile(data: unknown): DataFileCheck {
  const result = dataFile.safeParse(data);
  if (!result.success) {
    return { ok: false, problems: result.error.issues.flatMap((issue) => describeIssue(issue, data)) };
  }
  const problems = duplicateIds(result.data);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, file: result.data };
}

/** Records the endpoint keys by the same id: loading them would keep only the last one. */
function duplicateIds(file: PersistedFile): string[] {
  const problems: string[] = [];
  const unique = <R>(table: string, records: R[], key: (r: R) => string, member: string, say: (j: number) => string) => {
    const seen = new Map<string, number>();
    records.forEach((r, i) => {
      const id = key(r);
      const first = seen.get(id);
      if (first === undefined) seen.set(id, i);
      else problems.push(`${table}[${i}]${member}: ${say(first)}`);
    });
  };
  const byId = <R>(table: string, records: R[], member: keyof R & string) =>
    unique(
      table,
      records,
      (r) => String(r[member]),
      `.${member}`,
      (j) => `${JSON.stringify(String(records[j][member]))} is already the id of ${table}[${j}]`,
    );
  byId("templates", file.templates, "jobTemplateId");
  byId("jobs", file.jobs, "jobId");
  byId("things", file.things, "thingName");
  byId("thingGroups", file.thingGroups, "thingGroupName");
  byId("stacks", file.stacks, "stackName");
  byId("packages", file.packages ?? [], "packageName");
  const pair = (table: string, records: Array<Record<string, unknown>>, a: string, b: string, what: (r: any) => string) =>
    unique(
      table,
      records,
      (r) => JSON.stringify([r[a], r[b]]),
      "",
      (j) => `${what(records[j])} is already ${table}[${j}]`,
    );
  pair(
    "packageVersions",
    (file.packageVersions ?? []) as never,
    "packageName",
    "versionName",
    (v) => `version ${v.versionName} of package ${v.packageName}`,
  );
  pair("shadows", (file.shadows ?? []) as never, "thingName", "shadowName", (s) => `shadow '${s.shadowName}' of thing ${s.thingName}`);
  unique(
    "executions",
    file.executions,
    (e) => JSON.stringify([e.jobId, e.thingName, e.executionNumber]),
    "",
    (j) => {
      const e = file.executions[j];
      return `execution ${e.executionNumber} of job ${e.jobId} on thing ${e.thingName} is already executions[${j}]`;
    },
  );
  return problems;
}
