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
  /** Not a prop users write (the docs' tables leave it out). */
  hidden?: boolean;
}

/** What a limit may look at besides the member: the whole specs, and the resource's last known status. */
export interface LimitContext {
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  status?: unknown;
}

export type MemberTable = readonly MemberRule[];

/**
 * One member's row in a kind's member rows, which are keyed by the member's
 * name: the one place a member is named. Besides what a change does (the
 * rule), a row says what else the member is, as data next to it (as
 * Terraform's schema says "forces replacement" next to an attribute).
 */
export interface MemberRow extends Omit<MemberRule, "member" | "hidden"> {
  /** Part of the spec: what the create call takes (the id and tags aside) and what is compared with the live resource. */
  spec?: true;
  /** Not a prop: a member the provider works out itself (its row explains changes to it, and the docs leave it out). */
  prop?: false;
  /** Another prop that gives this member (a Job's `jobTemplate` gives its `jobTemplateArn`). */
  alias?: string;
  /** CloudFormation's resource has no property for it. */
  cloudFormation?: false;
  /**
   * A template made from the job (CreateJobTemplate's jobArn) copies it:
   * `true` as it is, or the name of the one member of it that is copied
   * (the template's member of that name).
   */
  copied?: true | string;
}

/** A kind's member rows: one per member, keyed by its name, in the order its spec is built. */
export type MemberRows = { readonly [member: string]: MemberRow };

/** The members of `R` whose row has `Column` set to `Value`. */
type Where<R, Column extends string, Value> = { [K in keyof R]: R[K] extends { readonly [C in Column]: Value } ? K : never }[keyof R] &
  string;

/** The members of the spec (rows with `spec: true`). */
export type SpecMembers<R> = Where<R, "spec", true>;
/** The members users write as props: the rows that are props, and the props that are aliases of one. */
export type PropMembers<R> =
  | Exclude<keyof R & string, Where<R, "prop", false>>
  | { [K in keyof R]: R[K] extends { readonly alias: infer A extends string } ? A : never }[keyof R];
/** The members CloudFormation's resource has a property for (props without `cloudFormation: false`). */
export type CloudFormationMembers<R> = Exclude<keyof R & string, Where<R, "prop", false> | Where<R, "cloudFormation", false>>;
/** The members a call applies in place (rows with that `via`). */
export type MembersVia<R, Via extends string> = Where<R, "via", Via>;

/** The members whose row passes `test`, in the rows' order. */
export function membersWhere<R extends MemberRows, M extends keyof R & string = keyof R & string>(
  rows: R,
  test: (row: MemberRow, member: string) => boolean,
): M[] {
  return Object.entries(rows)
    .filter(([member, row]) => test(row, member))
    .map(([member]) => member as M);
}

/** The props that are aliases of a member (alias -> the member). */
export function aliasesOf(rows: MemberRows): Record<string, string> {
  return Object.fromEntries(Object.entries(rows).flatMap(([member, row]) => (row.alias === undefined ? [] : [[row.alias, member]])));
}

/**
 * The rows as the table the decisions, the preview and the docs read: in the
 * rows' order, or stably sorted by `rank` (the order the docs show).
 */
export function memberTable(rows: MemberRows, rank: (rule: MemberRule) => number = () => 0): MemberTable {
  const table = Object.entries(rows).map(([member, row]): MemberRule => {
    const rule: MemberRule = { member, change: row.change };
    if (row.via !== undefined) rule.via = row.via;
    if (row.why !== undefined) rule.why = row.why;
    if (row.whole !== undefined) rule.whole = row.whole;
    if (row.limit !== undefined) rule.limit = row.limit;
    if (row.source !== undefined) rule.source = row.source;
    if (row.prop === false) rule.hidden = true;
    return rule;
  });
  return table
    .map((rule, i) => ({ rule, i, rank: rank(rule) }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((r) => r.rule);
}

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
