/**
 * The decision rules as data: for each resource kind, one row per member
 * (an API member, or a prop the provider keeps) saying what a change to it
 * does — applied in place by which call, kept in state only, or a
 * replacement, and why. Decisions, the docs' "what each change does" tables
 * (checked against these rows by a test) and the preview's reasons all read
 * the same rows.
 */
import { isDeepStrictEqual } from "node:util";
import { diffValues, memberOf, parseDocument, type PropertyDiff } from "./change.ts";

export interface MemberRule {
  /** The prop, as users write it (and the API member it maps to). */
  member: string;
  /**
   * What changing it does:
   * - `replace`: the resource is replaced (`why` says why);
   * - `in place`: the call in `via` applies it;
   * - `state only`: kept in Alchemy's state, no API call (e.g. destroy settings).
   */
  change: "replace" | "in place" | "state only";
  /** For in-place changes: the API call(s) that apply it. */
  via?: string;
  /** For replacements: why the API cannot change it in place ("<member> changed; <why>"). */
  why?: string;
  /** `why` is the whole reason (for members users do not write themselves). */
  whole?: boolean;
  /**
   * An in-place member whose change the call cannot express (e.g. UpdateJob
   * cannot remove abort criteria): returns why the resource must be
   * replaced instead, or undefined when the call can apply it.
   */
  limit?: (before: unknown, after: unknown, context: LimitContext) => string | undefined;
  /** Where the rule comes from (API reference, developer guide, a test against the service's behaviour). */
  source?: string;
}

/** What a limit may look at besides the member: the whole specs, and the resource's last known status. */
export interface LimitContext {
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  status?: unknown;
}

export type MemberTable = readonly MemberRule[];

/** The outcome of comparing two specs with a member table. */
export interface Comparison {
  diffs: PropertyDiff[];
  /** Members that changed and force a replacement, with the reason for each. */
  replaced: Array<{ member: string; reason: string }>;
  /** Members that changed and are applied in place, grouped by the call that applies them. */
  inPlace: Map<string, string[]>;
  /** Members that changed and are kept in state only. */
  stateOnly: string[];
}

const valueOf = (member: string, v: unknown) => (member === "document" ? parseDocument(v as string | undefined) : v);

/**
 * Compares `before` and `after` member by member, as the table says. Members
 * missing from the table are an error in the table (every compared member has
 * a rule), so that a new prop cannot slip through undecided.
 */
export function compare(table: MemberTable, before: Record<string, unknown>, after: Record<string, unknown>, status?: unknown): Comparison {
  const rules = new Map(table.map((r) => [r.member, r]));
  const out: Comparison = { diffs: [], replaced: [], inPlace: new Map(), stateOnly: [] };
  const members = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  for (const member of members) {
    const b = valueOf(member, before[member]);
    const a = valueOf(member, after[member]);
    if (isDeepStrictEqual(b, a)) continue;
    const rule = rules.get(member);
    if (!rule) throw new Error(`No member rule for "${member}": add it to the member table.`);
    const limited = rule.change === "in place" ? rule.limit?.(before[member], after[member], { before, after, status }) : undefined;
    const forces = rule.change === "replace" || limited !== undefined;
    for (const d of diffValues(b, a, member)) out.diffs.push({ ...d, forcesReplacement: forces });
    const why = rule.why ?? "it cannot be changed in place";
    if (forces) out.replaced.push({ member, reason: limited ?? (rule.whole ? why : `${member} changed; ${why}`) });
    else if (rule.change === "state only") out.stateOnly.push(member);
    else {
      const via = rule.via ?? "update";
      out.inPlace.set(via, [...(out.inPlace.get(via) ?? []), member]);
    }
  }
  return out;
}

/** The members of a diff list, in order of first appearance. */
export const changedMembers = (diffs: PropertyDiff[]) => [...new Set(diffs.map((d) => memberOf(d.path)))];
