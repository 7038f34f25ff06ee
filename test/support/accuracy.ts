/**
 * Preview, then deploy, in this process: the preview session (the same one
 * the CLI's child process opens) plans the program against a TestStack, the
 * deploy runs it for real; what each did is compared.
 *
 * A test file using it must import "../../src/preview/globals.ts" before
 * anything that loads Alchemy (the session's hooks go where Alchemy keeps
 * its scope storage and providers).
 */
import { stripVTControlCharacters } from "node:util";
import { startSession } from "../../src/preview/session.ts";
import type { Plan, PlanEntry } from "../../src/preview/plan.ts";
import type { DeployOptions, TestStack } from "./stack.ts";

/** Plans `program` as `alchemy-iot-jobs preview` would (`refresh`: as with --refresh, which runs every handler). */
export async function preview(
  stack: TestStack,
  program: () => Promise<unknown>,
  options: { refresh?: boolean; stage?: string } = {},
): Promise<Plan> {
  const session = startSession({ refresh: options.refresh ?? false });
  try {
    await stack.deploy(program, { force: options.refresh, stage: options.stage });
    return await session.plan();
  } finally {
    session.end();
  }
}

export interface Performed {
  /** Successful mutating calls, per resource they acted on, in order. */
  calls: Record<string, string[]>;
  /** What Alchemy reported for each resource (created, updated, replaced, deleted), by resource id. */
  reported: Record<string, string>;
  /** The package's own summary after Alchemy's lines: what was done to each resource, by resource id (`replaced (DeleteJobTemplate, CreateJobTemplate)`). */
  summary: Record<string, string>;
  /** The summary's total line (`total: 0 created, ...`), if printed. */
  total?: string;
  /** Every console line, colours stripped. */
  lines: string[];
}

/**
 * Where console.log goes while a deploy is captured. Alchemy's logger keeps
 * the console.log it found when it was made (once per app), so the capturing
 * function is one, and its sink changes.
 */
let sink: string[] | undefined;
const original = console.log;
function capture(...args: unknown[]): void {
  if (sink) sink.push(stripVTControlCharacters(args.map(String).join(" ")));
  else original(...args);
}

/** Runs `run` with console.log's lines collected. */
export async function captured(run: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  sink = lines;
  console.log = capture;
  try {
    await run();
  } finally {
    console.log = log;
    sink = undefined;
  }
  return lines;
}

/** The summary's lines (`[iot] <name>  <what was done>`) by resource id, and its total line. */
export function summaryOf(lines: string[]): { summary: Record<string, string>; total?: string } {
  const summary: Record<string, string> = {};
  let total: string | undefined;
  for (const line of lines) {
    const t = /^\[iot\] (total: .*)$/.exec(line);
    if (t) total = t[1];
    const m = t ? null : /^\[iot\] (.*?) {2,}(\S.*)$/.exec(line);
    if (m) summary[m[1].split(" > ").pop()!] = m[2];
  }
  return { summary, total };
}

/** Deploys `program` for real, recording the endpoint's calls, Alchemy's report and the package's summary. */
export async function deploy(stack: TestStack, program: () => Promise<unknown>, options: DeployOptions = {}): Promise<Performed> {
  stack.local.resetStats();
  const lines = await captured(() => stack.deploy(program, { ...options, quiet: false }));
  const calls: Record<string, string[]> = {};
  for (const c of stack.local.stats().calls) {
    if (c.status !== 200 || /^(Describe|List|Get)/.test(c.operation)) continue;
    (calls[c.resource ?? ""] ??= []).push(c.operation);
  }
  const reported: Record<string, string> = {};
  for (const line of lines) {
    const m = /^\[(created|updated|replaced|deleted)\]\s+(\S+)/.exec(line);
    if (m) reported[m[2].split(" > ").pop()!] = m[1];
  }
  return { calls, reported, ...summaryOf(lines), lines };
}

/** The calls a plan predicts, per resource, in order; conditional ones marked with "?". */
export function predictedCalls(plan: Plan): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of plan.resources) {
    for (const o of e.operations)
      (out[o.resource] ??= []).push(`${o.operation}${o.condition && /^(skipped|if)/.test(o.condition) ? "?" : ""}`);
  }
  return out;
}

/** What Alchemy will report for each changed resource, as the plan says. */
export function predictedReports(plan: Plan): Record<string, string> {
  // Adopting happens in Alchemy's create phase: it says "created", whatever the adoption changes.
  const verb = (e: PlanEntry) =>
    e.adopt
      ? "created"
      : e.actions.length === 2
        ? "replaced"
        : ({ create: "created", update: "updated", delete: "deleted" } as Record<string, string>)[e.actions[0]];
  const out: Record<string, string> = {};
  for (const e of plan.resources) {
    const v = verb(e);
    if (v && !e.notPlanned) out[e.name] = v;
  }
  return out;
}

/**
 * Do the performed calls match the predicted ones, resource by resource? A
 * conditional call ("?") may be left out when its condition did not hold.
 */
export function sameCalls(predicted: Record<string, string[]>, performed: Record<string, string[]>): string | undefined {
  for (const resource of new Set([...Object.keys(predicted), ...Object.keys(performed)])) {
    const want = predicted[resource] ?? [];
    const got = [...(performed[resource] ?? [])];
    for (const p of want) {
      const name = p.replace(/\?$/, "");
      if (got[0] === name) got.shift();
      else if (!p.endsWith("?"))
        return `${resource}: predicted ${want.join(", ") || "nothing"}, performed ${(performed[resource] ?? []).join(", ") || "nothing"}`;
    }
    if (got.length > 0)
      return `${resource}: predicted ${want.join(", ") || "nothing"}, performed ${(performed[resource] ?? []).join(", ")}`;
  }
  return undefined;
}

/** What the summary should say of each resource the plan lists (its words, without the calls), by resource id. */
export function plannedWords(plan: Plan): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of plan.resources) {
    if (e.notPlanned || e.actions[0] === "read") continue;
    const word =
      e.actions.length === 2
        ? "replaced"
        : (
            {
              create: "created",
              update: e.operations.length > 0 ? "updated in place" : "updated in state only",
              delete: "deleted",
              "no-op": "unchanged",
            } as Record<string, string>
          )[e.actions[0]];
    out[e.name] = e.adopt ? (word === "unchanged" ? "adopted" : `adopted, ${word}`) : word;
  }
  return out;
}

/** A summary line's words (`replaced`) and calls (`["DeleteJobTemplate", "CreateJobTemplate"]`). */
export function readSummaryLine(line: string): { word: string; calls: string[] } {
  const m = /^(.*?) \((?:after )?([^)]*)\)/.exec(line);
  if (!m) return { word: line, calls: [] };
  return { word: m[1], calls: m[2] === "no call" ? [] : m[2].split(", ") };
}

/**
 * Does the summary say what the plan said, and list the calls the endpoint
 * saw? Every resource the plan lists has the plan's word (resources it does
 * not list: unchanged), its calls are the planned ones (a conditional one may
 * be left out), and all its calls together are the endpoint's successful
 * mutating calls. Undefined when it does; else what differs.
 */
export function summaryDisagrees(plan: Plan, done: Performed): string | undefined {
  const planned = plannedWords(plan);
  const predicted: Record<string, string[]> = {};
  for (const e of plan.resources) {
    if (e.notPlanned) continue;
    for (const o of e.operations)
      (predicted[e.name] ??= []).push(`${o.operation}${o.condition && /^(skipped|if)/.test(o.condition) ? "?" : ""}`);
  }
  const said: Record<string, string[]> = {};
  for (const name of new Set([...Object.keys(planned), ...Object.keys(done.summary)])) {
    if (planned[name] === "unchanged" && done.summary[name] === undefined) continue;
    const line = done.summary[name];
    if (line === undefined) return `${name}: the plan says ${planned[name]}, the summary says nothing`;
    const { word, calls } = readSummaryLine(line);
    if (word !== (planned[name] ?? "unchanged")) return `${name}: the plan says ${planned[name] ?? "unchanged"}, the summary "${line}"`;
    said[name] = calls;
  }
  const calls = sameCalls(predicted, said);
  if (calls) return `calls: ${calls}`;
  const all = (calls: Record<string, string[]>) => Object.values(calls).flat().sort().join(", ");
  if (all(said) !== all(done.calls)) return `the summary's calls (${all(said)}) are not the endpoint's (${all(done.calls)})`;
  return undefined;
}
