/**
 * The change decision: old deployed configuration + desired configuration
 * (+ the live resource, when it was read) -> what to do, with the API
 * operations it takes and a human-readable reason for every replacement.
 *
 * Pure functions. The resource handlers act on them and the preview renders
 * them, so a preview never disagrees with the deploy that follows it.
 */
import { isDeepStrictEqual } from "node:util";
import { UPDATABLE_JOB_MEMBERS } from "./constraints.ts";

export type Action = "create" | "update" | "replace" | "delete" | "none" | "read";

export interface PlannedOperation {
  /** API operation, named as in the SDK (e.g. "CreateJobTemplate"). */
  operation: string;
  /** The physical id it acts on. */
  resource: string;
  /** When the call depends on what the live resource looks like at deploy time. */
  condition?: string;
}

export interface PropertyDiff {
  /** Prop path, e.g. `abortConfig.criteriaList[0].thresholdPercentage` or `document.steps[0].action`. */
  path: string;
  before?: unknown;
  after?: unknown;
  /** Whether this change alone forces a replacement. */
  forcesReplacement: boolean;
}

export interface Change {
  action: Action;
  /** For replacements: delete the old one first (same physical id) or create the new one first. */
  replaceMode?: "delete-first" | "create-first";
  /** Why the resource is replaced, one sentence per cause, naming the props. */
  reasons: string[];
  diffs: PropertyDiff[];
  operations: PlannedOperation[];
  /** Changes that affect devices (creating, replacing, deleting a job; force-cancelling). */
  warnings: string[];
  /** Notes that are not warnings (e.g. a change stored in state only). */
  notes: string[];
}

// ------------------------------------------------------------------ diffs

/** Structural diff of two JSON-like values, by prop path. */
export function diffValues(before: unknown, after: unknown, path = ""): Array<{ path: string; before?: unknown; after?: unknown }> {
  if (isDeepStrictEqual(before, after)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    !!v && typeof v === "object" && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => diffValues(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => diffValues(b, after[i], `${path}[${i}]`));
  }
  return [{ path, before, after }];
}

/** Parses a job document for structural comparison (documents that are not JSON compare as text). */
export function parseDocument(document: string | undefined): unknown {
  if (document === undefined) return undefined;
  try {
    return JSON.parse(document);
  } catch {
    return document;
  }
}

/** Compares two specs member by member; documents are compared and diffed as JSON. */
function specDiffs(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  forces: (member: string) => boolean,
): PropertyDiff[] {
  const members = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const out: PropertyDiff[] = [];
  for (const m of members) {
    const b = m === "document" ? parseDocument(before[m] as string | undefined) : before[m];
    const a = m === "document" ? parseDocument(after[m] as string | undefined) : after[m];
    for (const d of diffValues(b, a, m)) out.push({ ...d, forcesReplacement: forces(m) });
  }
  return out;
}

function tagDiffs(before: Record<string, string>, after: Record<string, string>): PropertyDiff[] {
  return diffValues(before, after, "tags").map((d) => ({ ...d, forcesReplacement: false }));
}

const changedMembers = (diffs: PropertyDiff[]) => [...new Set(diffs.map((d) => d.path.split(/[.[]/)[0]))];

function listNames(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

function tagOperations(before: Record<string, string>, after: Record<string, string>, resource: string): PlannedOperation[] {
  const ops: PlannedOperation[] = [];
  if (Object.entries(after).some(([k, v]) => before[k] !== v)) ops.push({ operation: "TagResource", resource });
  if (Object.keys(before).some((k) => !(k in after))) ops.push({ operation: "UntagResource", resource });
  return ops;
}

const none = (): Change => ({ action: "none", reasons: [], diffs: [], operations: [], warnings: [], notes: [] });

/** A creation: every desired member and tag is a diff from nothing. */
function creation(spec: Record<string, unknown>, tags: Record<string, string>, operations: PlannedOperation[]): Change {
  return { ...none(), action: "create", diffs: [...specDiffs({}, spec, () => false), ...tagDiffs({}, tags)], operations };
}

/** Has the resource moved to another target or region? */
const moved = (before: { target: string; region: string }, after: { target: string; region: string }) =>
  before.target !== after.target || before.region !== after.region;

/** A replacement's mode and calls, in order: the new one first, or the old one deleted first. */
function replacement(createFirst: boolean, create: PlannedOperation[], remove: PlannedOperation[]): Pick<Change, "action" | "replaceMode" | "operations"> {
  return {
    action: "replace",
    replaceMode: createFirst ? "create-first" : "delete-first",
    operations: createFirst ? [...create, ...remove] : [...remove, ...create],
  };
}

// ------------------------------------------------------------------ job templates

/** A job template as deployed or desired: its CreateJobTemplate input, tags, and where it lives. */
export interface TemplateState {
  target: string;
  region: string;
  spec: { jobTemplateId: string } & Record<string, unknown>;
  tags: Record<string, string>;
}

export function decideJobTemplate(before: TemplateState | undefined, after: TemplateState): Change {
  const id = after.spec.jobTemplateId;
  if (!before) return creation(after.spec, after.tags, [{ operation: "CreateJobTemplate", resource: id }]);
  const diffs = [
    ...specDiffs(before.spec, after.spec, () => true),
    ...tagDiffs(before.tags, after.tags),
  ];
  const movedAway = moved(before, after);
  const forcing = diffs.filter((d) => d.forcesReplacement);
  if (movedAway || forcing.length > 0) {
    const reasons: string[] = [];
    if (movedAway) {
      reasons.push(
        `the template moves from ${describeTarget(before)} to ${describeTarget(after)}; it is created there and deleted here`,
      );
    }
    if (before.spec.jobTemplateId !== after.spec.jobTemplateId) {
      reasons.push(`jobTemplateId changed (${before.spec.jobTemplateId} → ${id}); the new template is created before the old one is deleted`);
    }
    const others = changedMembers(forcing).filter((m) => m !== "jobTemplateId");
    if (others.length > 0) {
      reasons.push(`${listNames(others)} changed; IoT job templates cannot be updated, so the template is replaced`);
    }
    const createFirst = movedAway || before.spec.jobTemplateId !== id;
    return {
      ...none(),
      ...replacement(
        createFirst,
        [{ operation: "CreateJobTemplate", resource: id }],
        [{ operation: "DeleteJobTemplate", resource: before.spec.jobTemplateId }],
      ),
      reasons,
      diffs,
    };
  }
  if (diffs.length > 0) {
    return { ...none(), action: "update", diffs, operations: tagOperations(before.tags, after.tags, id) };
  }
  return none();
}

function describeTarget(s: { target: string; region: string }): string {
  return s.target === "aws" ? `AWS ${s.region}` : s.target === "local" ? "the local endpoint" : `${s.target} (${s.region})`;
}

// ------------------------------------------------------------------ jobs

export interface JobState {
  target: string;
  region: string;
  spec: { jobId: string } & Record<string, unknown>;
  tags: Record<string, string>;
  /** Settings stored for destroy (no API call). */
  deletion: { force: boolean; timeoutSeconds: number };
}

export interface JobDeletionPlan {
  force: boolean;
}

/** Operations that delete a job: cancel it if it still runs, delete it, wait until it is gone. */
export function jobDeleteOperations(jobId: string, deletion: JobDeletionPlan): PlannedOperation[] {
  return [
    {
      operation: "CancelJob",
      resource: jobId,
      condition: `if the job is still IN_PROGRESS or SCHEDULED${deletion.force ? " (force: in-progress executions are cancelled too)" : ""}`,
    },
    { operation: "DeleteJob", resource: jobId },
  ];
}

const UPDATABLE = new Set<string>(UPDATABLE_JOB_MEMBERS);

/**
 * Can UpdateJob express the change from `before` to `after` of one updatable
 * member? It replaces members whole, cannot remove abort criteria or a
 * description, and can only lower retries to 0.
 */
function updateJobProblem(member: string, before: unknown, after: unknown): string | undefined {
  if (after === undefined && before !== undefined) {
    if (member === "description") return "description removed; UpdateJob cannot clear a job's description";
    if (member === "abortConfig") return "abortConfig removed; UpdateJob cannot remove abort criteria";
    return undefined;
  }
  if (member === "jobExecutionsRetryConfig" && after !== undefined) {
    const was = ((before as any)?.criteriaList ?? []) as Array<{ failureType: string; numberOfRetries: number }>;
    const now = ((after as any)?.criteriaList ?? []) as Array<{ failureType: string; numberOfRetries: number }>;
    if (was.length === 0) return "jobExecutionsRetryConfig added; retries can only be configured when a job is created";
    for (const c of now) {
      const old = was.find((w) => w.failureType === c.failureType);
      if (!old) return `jobExecutionsRetryConfig failureType ${c.failureType} added; failure types are fixed when a job is created`;
      if (c.numberOfRetries !== 0 && c.numberOfRetries !== old.numberOfRetries) {
        return `jobExecutionsRetryConfig numberOfRetries for ${c.failureType} changed to ${c.numberOfRetries}; after creation retries can only be lowered to 0`;
      }
    }
  }
  return undefined;
}

/**
 * UpdateJob's input for a change of updatable members: the changed members,
 * with removals expressed the way UpdateJob accepts them (an empty config, or
 * retries lowered to 0).
 */
export function updateJobInput(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const m of UPDATABLE_JOB_MEMBERS) {
    if (isDeepStrictEqual(before[m], after[m])) continue;
    if (after[m] !== undefined) input[m] = after[m];
    else if (m === "jobExecutionsRetryConfig") {
      const was = (before[m] as any).criteriaList as Array<{ failureType: string }>;
      input[m] = { criteriaList: was.map((c) => ({ failureType: c.failureType, numberOfRetries: 0 })) };
    } else input[m] = {};
  }
  return input;
}

export function decideJob(before: JobState | undefined, after: JobState): Change {
  const id = after.spec.jobId;
  const createWarning = `creates job ${id}: every device it targets receives the job document and runs it`;
  if (!before) return { ...creation(after.spec, after.tags, [{ operation: "CreateJob", resource: id }]), warnings: [createWarning] };
  const diffs = [
    ...specDiffs(before.spec, after.spec, (m) => !UPDATABLE.has(m)),
    ...tagDiffs(before.tags, after.tags),
  ];
  const reasons: string[] = [];
  const movedAway = moved(before, after);
  if (movedAway) reasons.push(`the job moves from ${describeTarget(before)} to ${describeTarget(after)}`);
  const forcing = changedMembers(diffs.filter((d) => d.forcesReplacement)).filter((m) => m !== "jobId");
  if (forcing.length > 0) {
    reasons.push(`${listNames(forcing)} changed; IoT can only update a job's ${UPDATABLE_JOB_MEMBERS.join(", ")}`);
  }
  for (const m of UPDATABLE_JOB_MEMBERS) {
    const problem = isDeepStrictEqual(before.spec[m], after.spec[m])
      ? undefined
      : updateJobProblem(m, before.spec[m], after.spec[m]);
    if (problem) {
      reasons.push(problem);
      for (const d of diffs) if (d.path === m || d.path.startsWith(`${m}.`) || d.path.startsWith(`${m}[`)) d.forcesReplacement = true;
    }
  }
  const oldId = before.spec.jobId;
  if (reasons.length > 0 || oldId !== id) {
    const createFirst = movedAway || oldId !== id;
    if (oldId !== id && !movedAway) {
      reasons.push(
        forcing.length > 0 && oldId !== id
          ? `the default jobId follows the props that force replacement, so the new job gets a new id (${id}) and is created before ${oldId} is deleted`
          : `jobId changed (${oldId} → ${id}); the new job is created before the old one is deleted`,
      );
    } else if (!createFirst) {
      reasons.push(`the jobId ${id} stays the same, so the old job is deleted (and its deletion awaited) before the new one is created`);
    }
    return {
      ...none(),
      ...replacement(createFirst, [{ operation: "CreateJob", resource: id }], jobDeleteOperations(oldId, before.deletion)),
      reasons,
      diffs,
      warnings: [
        `replaces job ${oldId}${oldId !== id ? ` with ${id}` : ""}: the old job is cancelled${before.deletion.force ? " with force (executions in progress on devices are cancelled)" : ""} and deleted, and every target device receives the new job`,
      ],
    };
  }
  const specChanged = diffs.some((d) => !d.path.startsWith("tags"));
  const operations: PlannedOperation[] = [];
  if (specChanged) {
    operations.push({ operation: "UpdateJob", resource: id, condition: "skipped if the job has already finished (COMPLETED or CANCELED)" });
  }
  operations.push(...tagOperations(before.tags, after.tags, id));
  const deletionChanged = !isDeepStrictEqual(before.deletion, after.deletion);
  if (diffs.length === 0 && !deletionChanged) return none();
  const deletionDiffs: PropertyDiff[] = deletionChanged
    ? diffValues(before.deletion, after.deletion, "deletion").map((d) => ({ ...d, forcesReplacement: false }))
    : [];
  return {
    ...none(),
    action: "update",
    diffs: [...diffs, ...deletionDiffs],
    operations,
    notes: deletionChanged && diffs.length === 0 ? ["deletion settings are kept in state for destroy; no API call"] : [],
  };
}

/** What destroying a job does. */
export function decideJobDelete(before: JobState): Change {
  return {
    ...none(),
    action: "delete",
    operations: jobDeleteOperations(before.spec.jobId, before.deletion),
    warnings: [
      `deletes job ${before.spec.jobId}: it is cancelled${before.deletion.force ? " with force (executions in progress on devices are cancelled)" : ""} and deleted; devices stop receiving it`,
    ],
  };
}

export function decideJobTemplateDelete(before: TemplateState): Change {
  return { ...none(), action: "delete", operations: [{ operation: "DeleteJobTemplate", resource: before.spec.jobTemplateId }] };
}

// ------------------------------------------------------------------ things and thing groups

export interface ThingGroupState {
  target: string;
  region: string;
  spec: { thingGroupName: string; parentGroupName?: string; description?: string; attributes: Record<string, string> };
  tags: Record<string, string>;
}

export function decideThingGroup(before: ThingGroupState | undefined, after: ThingGroupState): Change {
  const name = after.spec.thingGroupName;
  if (!before) return creation(after.spec, after.tags, [{ operation: "CreateThingGroup", resource: name }]);
  const forcing = (m: string) => m === "thingGroupName" || m === "parentGroupName";
  const diffs = [...specDiffs(before.spec, after.spec, forcing), ...tagDiffs(before.tags, after.tags)];
  const movedAway = moved(before, after);
  const renamed = before.spec.thingGroupName !== name;
  if (movedAway || diffs.some((d) => d.forcesReplacement)) {
    const reasons = [
      ...(movedAway ? [`the thing group moves from ${describeTarget(before)} to ${describeTarget(after)}`] : []),
      ...(renamed ? [`thingGroupName changed (${before.spec.thingGroupName} → ${name})`] : []),
      ...(before.spec.parentGroupName !== after.spec.parentGroupName
        ? ["parentGroupName changed; a thing group's parent is fixed when it is created"]
        : []),
    ];
    return {
      ...none(),
      ...replacement(
        movedAway || renamed,
        [{ operation: "CreateThingGroup", resource: name }],
        [{ operation: "DeleteThingGroup", resource: before.spec.thingGroupName }],
      ),
      reasons,
      diffs,
    };
  }
  if (diffs.length === 0) return none();
  const operations: PlannedOperation[] = [];
  if (diffs.some((d) => !d.path.startsWith("tags"))) operations.push({ operation: "UpdateThingGroup", resource: name });
  operations.push(...tagOperations(before.tags, after.tags, name));
  return { ...none(), action: "update", diffs, operations };
}

export interface ThingState {
  target: string;
  region: string;
  spec: { thingName: string; attributes: Record<string, string> };
  /** Static groups the resource declares. */
  groups: string[];
}

export function decideThing(before: ThingState | undefined, after: ThingState): Change {
  const name = after.spec.thingName;
  const add = (groups: string[]) => groups.map((g) => ({ operation: "AddThingToThingGroup", resource: `${name} → ${g}` }));
  if (!before) {
    return creation({ ...after.spec, thingGroups: after.groups }, {}, [{ operation: "CreateThing", resource: name }, ...add(after.groups)]);
  }
  const beforeView = { ...before.spec, thingGroups: before.groups };
  const afterView = { ...after.spec, thingGroups: after.groups };
  const diffs = specDiffs(beforeView, afterView, (m) => m === "thingName");
  const movedAway = moved(before, after);
  if (movedAway || before.spec.thingName !== name) {
    return {
      ...none(),
      ...replacement(
        true,
        [{ operation: "CreateThing", resource: name }, ...add(after.groups)],
        [{ operation: "DeleteThing", resource: before.spec.thingName }],
      ),
      reasons: [
        movedAway
          ? `the thing moves from ${describeTarget(before)} to ${describeTarget(after)}`
          : `thingName changed (${before.spec.thingName} → ${name})`,
      ],
      diffs,
    };
  }
  if (diffs.length === 0) return none();
  const operations: PlannedOperation[] = [];
  if (!isDeepStrictEqual(before.spec.attributes, after.spec.attributes)) operations.push({ operation: "UpdateThing", resource: name });
  operations.push(...add(after.groups.filter((g) => !before.groups.includes(g))));
  for (const g of before.groups.filter((g) => !after.groups.includes(g))) {
    operations.push({ operation: "RemoveThingFromThingGroup", resource: `${name} → ${g}` });
  }
  return { ...none(), action: "update", diffs, operations };
}

/** What destroying a resource does, for the resources whose delete is a single call. */
export function decideSimpleDelete(operation: string, resource: string): Change {
  return { ...none(), action: "delete", operations: [{ operation, resource }] };
}
