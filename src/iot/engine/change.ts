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
