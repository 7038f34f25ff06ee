/**
 * What a deploy does to one resource: the action, the typed operations it
 * sends in order, the property diffs and the reason for every replacement.
 * The decision that produces it is pure (each resource kind's `decide`), and
 * the same Change is rendered by the preview and carried out by the deploy.
 */
import { isDeepStrictEqual } from "node:util";
import type { Operation } from "./operations.ts";

export type Action = "create" | "update" | "replace" | "delete" | "none";

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
  /**
   * The calls, in order. In a replacement, each is marked with the half it
   * belongs to (`part`): the new resource's creation or the old one's deletion.
   */
  operations: Operation[];
  /** Changes that affect devices (creating, replacing, deleting a job; force-cancelling). */
  warnings: string[];
  /** Notes that are not warnings (e.g. a change stored in state only, an adoption). */
  notes: string[];
  /** True when the resource exists already and is taken over (adopt, or left by an interrupted deploy). */
  adopted?: boolean;
  /**
   * Members that changed but are not sent this time (e.g. UpdateJob members
   * of a finished job): kept in state only, with their live values recorded
   * so that a later --refresh does not report them as drift.
   */
  kept?: string[];
  /**
   * What the change does to devices (jobs only; src/provider/kinds/job/impact.ts).
   * The decision says whom the change reaches; a preview measures it (the
   * counts are read only with --refresh); a deploy never does.
   */
  impact?: ImpactProbe;
}

/** A job change's device impact, as a preview measures it (the plan's `deviceImpact`, docs/preview.md). */
export interface DeviceImpact {
  /**
   * What the change does on devices: `create` (the job runs on every device of
   * its targets), `replace` (the old job is cancelled and deleted; the new one
   * runs on every device of its targets, again), `add-targets` (thing groups
   * added in place: only their devices that the job had not reached receive
   * it), `update` (in place: no device runs the job again), `delete` (the job
   * is cancelled and deleted).
   */
  change: "create" | "replace" | "add-targets" | "update" | "delete";
  /**
   * Devices the change reaches, de-duplicated: things targeted plus the
   * current members of targeted groups (create, replace: the new targets;
   * add-targets: members of the added groups that are not devices of the old
   * targets; update: 0; delete: the old job's devices). null when it cannot be
   * counted (see `unknownReason`): always without --refresh, except for `update`.
   */
  devices: number | null;
  /** Why `devices` is null: "unknown without --refresh", or what could not be counted. */
  unknownReason?: string;
  /**
   * Executions IN_PROGRESS that a replacement or deletion cancels (DescribeJob's
   * numberOfInProgressThings), null without --refresh; 0 for other changes.
   */
  inProgress: number | null;
  /** For replacements and deletions: whether executions in progress are force-cancelled (`deletion.force`); without it a deploy that finds any stops. */
  forceCancel?: boolean;
  /**
   * Minutes from the rollout's start until every one of `devices` has been
   * notified, at the rollout rate and within the maintenance windows; null
   * when `devices` is null, when the windows never open within 366 days, when
   * the rollout configuration is not known, and for updates and deletions
   * (nothing is rolled out).
   */
  minutesToNotifyAll: number | null;
  /**
   * The most of `devices` that can fail before the abort criteria stop the
   * job (worst order of results); null without abort criteria that count
   * failures (then the entry warns that nothing stops a failing rollout),
   * when `devices` is null, and for updates and deletions.
   */
  maxFailuresBeforeAbort: number | null;
  /**
   * The software package versions the job installs on the devices it
   * reaches ("<package> <version>", from its destinationPackageVersions):
   * for create, replace and add-targets; absent when it installs none.
   */
  installs?: string[];
  /** What the figures leave out or where they come from (e.g. a rollout configuration taken from the job template). */
  notes: string[];
}

/** A device impact to measure, and the warnings that go with it. */
export interface ImpactProbe {
  change: DeviceImpact["change"];
  measure(): Promise<{ impact: DeviceImpact; warnings: string[] }>;
}

export const noChange = (): Change => ({ action: "none", reasons: [], diffs: [], operations: [], warnings: [], notes: [] });

// ------------------------------------------------------------------ diffs

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** Structural diff of two JSON-like values, by prop path. */
export function diffValues(before: unknown, after: unknown, path = ""): Array<{ path: string; before?: unknown; after?: unknown }> {
  if (isDeepStrictEqual(before, after)) return [];
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

/** The top-level member a diff path belongs to. */
export const memberOf = (path: string) => path.split(/[.[]/)[0];

export function listNames(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** Tag diffs (never forcing a replacement). */
export function tagDiffs(before: Record<string, string>, after: Record<string, string>): PropertyDiff[] {
  return diffValues(before, after, "tags").map((d) => ({ ...d, forcesReplacement: false }));
}

/** Every member and tag of a new resource, as diffs from nothing. */
export function creationDiffs(spec: Record<string, unknown>, tags: Record<string, string>): PropertyDiff[] {
  const out: PropertyDiff[] = [];
  for (const [m, v] of Object.entries(spec)) {
    const value = m === "document" ? parseDocument(v as string) : v;
    for (const d of diffValues(undefined, value, m)) out.push({ ...d, forcesReplacement: false });
  }
  return [...out, ...tagDiffs({}, tags)];
}
