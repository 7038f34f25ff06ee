/**
 * The plan a preview produces: what a deploy would do to each resource, and
 * (with --refresh) what changed out of band. This is also the JSON format
 * (`formatVersion` 2, documented in docs/preview.md).
 */
import type { DeviceImpact } from "../provider/engine/change.ts";
import type { PlannedOperation } from "../provider/engine/operations.ts";
import { UNKNOWN_TEXT, isUnknown } from "../provider/unknown.ts";

/**
 * 2: `targets` became `locations` (where IoT calls go), and updates that make no API call are listed.
 * 3: whole-program checks: `problems` (the deploy refuses), `moves` and the "move" action, an entry's `location`.
 */
export const FORMAT_VERSION = 3;

export type PlanAction = "create" | "update" | "delete" | "read" | "no-op" | "move";

export interface PlanDiff {
  path: string;
  before?: unknown;
  after?: unknown;
  forcesReplacement: boolean;
}

export interface PlanEntry {
  /** The resource's path in the app, e.g. `fleet/prod/firmware-update`. */
  address: string;
  /** Alchemy resource kind, e.g. `iot::JobTemplate`, or `data::ManagedJobTemplate` for lookups. */
  type: string;
  /** The resource id in the program. */
  name: string;
  /** Its physical id (jobTemplateId, jobId, ...), when known. */
  physicalId?: string;
  /** Where it lives: the location (`aws`, `local` or an endpoint URL) and the region, `local|us-east-1`. */
  location?: string;
  /** A resource that moved here from another address (`moves`): the address that recorded it. */
  movedFrom?: string;
  /**
   * Terraform-style actions: ["create"], ["update"], ["delete"], ["read"],
   * ["no-op"]; a replacement is ["delete", "create"] (delete first) or
   * ["create", "delete"] (create first).
   */
  actions: PlanAction[];
  /** Why the resource is replaced, one sentence per cause naming the props. */
  replaceReasons: string[];
  /** The resource's props before and after (secrets as "(sensitive)", unknowns as "(known after deploy)"). */
  before: unknown;
  after: unknown;
  diffs: PlanDiff[];
  /** Prop paths holding secret values. */
  sensitivePaths: string[];
  /** The API calls the deploy will make. */
  operations: PlannedOperation[];
  /** Changes that affect devices. */
  warnings: string[];
  notes: string[];
  /** True for resources of other providers, whose changes this preview cannot plan. */
  notPlanned?: boolean;
  /**
   * True when the deploy takes over a resource that exists already
   * (`adopt`); with actions ["no-op"] it matches the program and nothing changes.
   */
  adopt?: boolean;
  /**
   * Jobs created, replaced, updated or deleted: what the change does to
   * devices. `devices` (how many it reaches, de-duplicated) and `inProgress`
   * (executions a replacement or deletion cancels) are read only with
   * --refresh (else null, except an in-place update: 0 devices);
   * `minutesToNotifyAll` (the rollout's duration at its rate and maintenance
   * windows) and `maxFailuresBeforeAbort` (null without abort criteria, with
   * a warning on creates and replacements) follow from them. See
   * docs/preview.md, "Device impact".
   */
  deviceImpact?: DeviceImpact;
}

export type { DeviceImpact };

export interface DriftEntry {
  address: string;
  type: string;
  physicalId?: string;
  kind: "deleted" | "changed";
  diffs: PlanDiff[];
  note: string;
}

/** A problem the whole program has: the deploy refuses before its first change. */
export interface PlanProblem {
  address: string;
  type: string;
  name: string;
  /** The prop at fault, when one is. */
  path?: string;
  message: string;
}

/** A resource whose address changed: the state follows it; nothing is created or deleted (a tagged resource's ownership tags are rewritten). */
export interface PlanMove {
  from: string;
  to: string;
  type: string;
  physicalId: string;
  location: string;
  /** Ids IoT gave it (a thing's thingId): the deploy checks the resource it finds has them. */
  ids?: Record<string, string>;
}

export interface Plan {
  formatVersion: typeof FORMAT_VERSION;
  app: string;
  stage: string;
  /** Where the IoT calls would go. */
  locations: string[];
  refreshed: boolean;
  summary: PlanSummary;
  /** Every resource, sorted by address (no-op entries included). */
  resources: PlanEntry[];
  drift: DriftEntry[];
  /** What makes the deploy refuse before its first change (invalid props, two resources with one name, references that do not exist, state that names what it does not own). */
  problems: PlanProblem[];
  /** Resources whose address changed (their state follows). */
  moves: PlanMove[];
  /**
   * What the reader should know about how the plan was made: a program that
   * left timers or sockets open after its finalize() (the preview did not
   * wait for them). Absent when there is nothing to say.
   */
  notes?: string[];
}

export interface PlanSummary {
  create: number;
  update: number;
  move: number;
  replace: number;
  delete: number;
  read: number;
  noChange: number;
  notPlanned: number;
}

export const isReplace = (e: PlanEntry) => e.actions.length === 2;
export const isChange = (e: PlanEntry) => !e.actions.includes("no-op") && !e.actions.includes("read");

export function summarize(resources: PlanEntry[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, move: 0, replace: 0, delete: 0, read: 0, noChange: 0, notPlanned: 0 };
  for (const e of resources) {
    if (e.notPlanned) s.notPlanned++;
    if (isReplace(e)) s.replace++;
    else if (e.actions[0] === "create") s.create++;
    else if (e.actions[0] === "update") s.update++;
    else if (e.actions[0] === "move") s.move++;
    else if (e.actions[0] === "delete") s.delete++;
    else if (e.actions[0] === "read") s.read++;
    else s.noChange++;
  }
  return s;
}

/** Does the plan change anything (or did --refresh find drift)? */
export function hasChanges(plan: Plan): boolean {
  return plan.resources.some(isChange) || plan.drift.length > 0;
}

/** Would a deploy of the program refuse (whole-program problems)? */
export const hasProblems = (plan: Plan) => plan.problems.length > 0;

export function summaryLine(s: PlanSummary): string {
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete${s.move ? `, ${s.move} to move` : ""}.`;
}

export const SENSITIVE = "(sensitive)";

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Is `path` one of `sensitive`, or inside one? */
export function underSensitive(path: string, sensitive: readonly string[]): boolean {
  return sensitive.some((s) => path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`) || s === "");
}

/**
 * A value as a plan shows it: secrets at the given paths become
 * "(sensitive)", unknown markers "(known after deploy)", Dates ISO strings;
 * functions and symbols are dropped.
 */
export function present(value: unknown, sensitive: readonly string[] = [], path = ""): unknown {
  if (path && underSensitive(path, sensitive)) return SENSITIVE;
  if (isUnknown(value)) return UNKNOWN_TEXT;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v, i) => present(v, sensitive, `${path}[${i}]`));
  if (value && typeof value === "object") {
    if ((value as { type?: string }).type === "secret" && "unencrypted" in (value as object)) return SENSITIVE;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === "function" || typeof v === "symbol") continue;
      out[k] = present(v, sensitive, path ? `${path}.${k}` : k);
    }
    return out;
  }
  if (typeof value === "function" || typeof value === "symbol") return undefined;
  return value;
}

/** Masks diff values under sensitive paths. */
export function presentDiff(d: PlanDiff, sensitive: readonly string[]): PlanDiff {
  const mask = underSensitive(d.path, sensitive);
  const out: PlanDiff = { path: d.path, forcesReplacement: d.forcesReplacement };
  if (d.before !== undefined) out.before = mask ? SENSITIVE : present(d.before);
  if (d.after !== undefined) out.after = mask ? SENSITIVE : present(d.after);
  return out;
}

export { isPlainObject };
