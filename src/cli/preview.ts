/** `alchemy-iot-jobs preview`: what a deploy would do, for terminals and pull requests. */
import fs from "node:fs";
import path from "node:path";
import { parseOptions, type Command } from "./args.ts";
import { hasChanges, hasProblems, summaryLine, type Plan } from "../preview/plan.ts";
import { render, type Format } from "../preview/render.ts";
import { PreviewError, runPreview } from "../preview/run.ts";

const usage = `Usage: alchemy-iot-jobs preview [entrypoint] [options] [-- program args]

Runs the program (default alchemy.run.ts) without changing anything and shows
what \`alchemy deploy\` would do: no mutating IoT call, no state written.

Options:
  --stage <name>          Alchemy stage to preview               [default: Alchemy's default]
  --format <format>       text, markdown or json                 [default: text]
  --out <file>            Write the rendered plan to a file (the summary still goes to stdout)
  --refresh               Read the live resources and report drift (one read per resource)
  --local                 Use the embedded local IoT endpoint (same as ALCHEMY_IOT_LOCAL=1)
  --tsx                   Run a TypeScript program through tsx (installed in the project) instead of
                          Node's own type stripping (the default on Node 22.18+; tsx is used on older Node)
  --detailed-exitcode     Exit 0 with no changes, 2 with changes (or drift), 1 on error or when the
                          whole-program checks find a problem (a deploy would refuse)
  --max-devices <n>       Exit 3 when a job change would send the job to more than n devices, or when
                          the devices cannot be counted (they are counted only with --refresh)
  --verbose               Also list unchanged resources, and print the program's output
  --no-color              No colours (they are only used when stdout is a terminal)`;

/** Exit code of a preview that the --max-devices gate stops (1 is an error, 2 "changes" with --detailed-exitcode). */
export const DEVICE_GATE_EXIT_CODE = 3;

/** Changes that send a job to devices: a creation, a replacement, groups added in place. */
const ROLLS_OUT = new Set(["create", "replace", "add-targets"]);

/**
 * The --max-devices gate: every job change that sends the job to more than
 * `max` devices, or to devices that could not be counted (a gate that cannot
 * count does not pass), one line each. Empty when the plan passes.
 */
export function deviceGate(plan: Plan, max: number): string[] {
  const out: string[] = [];
  for (const e of plan.resources) {
    const impact = e.deviceImpact;
    if (!impact || !ROLLS_OUT.has(impact.change)) continue;
    // A Rollout's job is named by the rollout (its physical id is the job's).
    const job =
      e.type === "iot::Rollout"
        ? `rollout "${e.name}"${e.physicalId ? ` (job ${e.physicalId})` : ""}`
        : `job "${e.name}"${e.physicalId && e.physicalId !== e.name ? ` (${e.physicalId})` : ""}`;
    const what =
      impact.change === "add-targets" ? "adding target groups" : impact.change === "replace" ? "the replacement" : "the creation";
    if (impact.devices === null) {
      out.push(
        impact.unknownReason === "unknown without --refresh"
          ? `${job}: the devices of ${what} are unknown; --refresh is needed to count devices`
          : `${job}: the devices of ${what} cannot be counted: ${impact.unknownReason ?? "unknown"}`,
      );
    } else if (impact.devices > max) {
      out.push(`${job}: ${what} would reach ${impact.devices} device${impact.devices === 1 ? "" : "s"}, more than ${max}`);
    }
  }
  return out;
}

/** --max-devices as a number: a whole number of devices, 0 or more. */
function parseMaxDevices(value: string | undefined): number | undefined | Error {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) {
    return new Error(`--max-devices must be a whole number of devices (0 or more), not "${value}".`);
  }
  return Number(value);
}

export const previewCommand: Command = {
  summary: "Preview what a deploy would change, as text, Markdown (pull requests) or JSON.",
  usage,
  async run(argv) {
    const dash = argv.indexOf("--");
    // "--max-devices -1" is read as the value -1 (and refused below, naming it), as "--max-devices=-1" is.
    const own: string[] = [];
    for (const a of dash === -1 ? argv : argv.slice(0, dash)) {
      if (own[own.length - 1] === "--max-devices" && /^-\d/.test(a)) own[own.length - 1] = `--max-devices=${a}`;
      else own.push(a);
    }
    const programArgs = dash === -1 ? [] : argv.slice(dash + 1);
    const { values, positionals } = parseOptions(
      own,
      {
        stage: { type: "string" },
        format: { type: "string", default: "text" },
        out: { type: "string" },
        refresh: { type: "boolean" },
        local: { type: "boolean" },
        tsx: { type: "boolean" },
        "detailed-exitcode": { type: "boolean" },
        "max-devices": { type: "string" },
        verbose: { type: "boolean" },
        "no-color": { type: "boolean" },
      },
      true,
    );
    const maxDevices = parseMaxDevices(values["max-devices"]);
    if (maxDevices instanceof Error) {
      console.error(maxDevices.message);
      return 1;
    }
    const format = values.format as Format;
    if (!["text", "markdown", "json"].includes(format)) {
      console.error(`--format must be text, markdown or json, not "${format}".`);
      return 1;
    }
    if (positionals.length > 1) {
      console.error(`Expected at most one entrypoint, got: ${positionals.join(" ")}`);
      return 1;
    }
    let result;
    try {
      result = await runPreview({
        entrypoint: positionals[0],
        stage: values.stage,
        refresh: values.refresh,
        local: values.local,
        tsx: values.tsx,
        verbose: values.verbose,
        args: programArgs,
      });
    } catch (error) {
      if (!(error instanceof PreviewError)) throw error;
      if (values.verbose && error.log.trim()) console.error(`Program output:\n${error.log.trimEnd()}\n`);
      console.error(error.message);
      return 1;
    }
    const { plan, log } = result;
    if (values.verbose && log.trim()) console.error(`Program output:\n${log.trimEnd()}\n`);
    const color = format === "text" && !values.out && !values["no-color"] && !process.env.NO_COLOR && process.stdout.isTTY === true;
    const text = render(plan, format, { color, verbose: values.verbose });
    if (values.out) {
      const out = path.resolve(values.out);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, text);
      console.log(`${summaryLine(plan.summary)} Wrote the ${format} plan to ${path.relative(process.cwd(), out)}.`);
    } else {
      process.stdout.write(text);
    }
    if (hasProblems(plan)) {
      // Every format lists them in the plan; when the plan went to a file, stderr lists them too. The exit code is the deploy's.
      const n = plan.problems.length;
      const list = values.out ? `:\n${plan.problems.map((p) => `  - ${p.message}`).join("\n")}` : " (listed in the plan).";
      if (format !== "text" || values.out)
        console.error(`✖ ${n} problem${n === 1 ? "" : "s"}: a deploy of this program changes nothing and exits 1${list}`);
      return 1;
    }
    if (maxDevices !== undefined) {
      const over = deviceGate(plan, maxDevices);
      if (over.length > 0) {
        console.error(
          `✖ --max-devices ${maxDevices}: ${over.length === 1 ? "a job change does not pass" : `${over.length} job changes do not pass`}:\n${over.map((l) => `  - ${l}`).join("\n")}`,
        );
        return DEVICE_GATE_EXIT_CODE;
      }
      console.error(
        `✔ --max-devices ${maxDevices}: no job change sends the job to more than ${maxDevices} device${maxDevices === 1 ? "" : "s"}.`,
      );
    }
    if (values["detailed-exitcode"]) return hasChanges(plan) ? 2 : 0;
    return 0;
  },
};
