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
}

/** Deploys `program` for real, recording the endpoint's calls and Alchemy's report. */
export async function deploy(stack: TestStack, program: () => Promise<unknown>, options: DeployOptions = {}): Promise<Performed> {
  stack.local.resetStats();
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(stripVTControlCharacters(args.map(String).join(" ")));
  try {
    await stack.deploy(program, { ...options, quiet: false });
  } finally {
    console.log = log;
  }
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
  return { calls, reported };
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
