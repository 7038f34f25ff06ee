/** `alchemy-iot-jobs rehearse`: run a job against a simulated fleet in virtual time, before it reaches devices. */
import fs from "node:fs";
import path from "node:path";
import { parseOptions, type Command } from "./args.ts";
import { parseScheduleTime } from "../api/schedule-time.ts";
import { PreviewError, runProgram } from "../preview/run.ts";
import { runtimePath } from "../preview/runner.ts";
import { renderRehearsal, renderSvg, type RehearsalFormat } from "../rehearsal/render.ts";
import type { Rehearsal } from "../rehearsal/report.ts";
import { rehearsalEnvironment } from "../rehearsal/environment.ts";
import { DEFAULT_DEPLOY_EVERY_MINUTES, DEFAULT_DEVICES, DEFAULT_HORIZON_MINUTES } from "../rehearsal/rehearse.ts";
import type { RehearsalRequest } from "../rehearsal/runtime.ts";

const usage = `Usage: alchemy-iot-jobs rehearse [entrypoint] --job <resource id> [options] [-- program args]

Deploys the program (default alchemy.run.ts) to a fresh in-memory local IoT
endpoint (never to AWS or any endpoint the program or environment names, and
without reading or writing Alchemy's state), gives the job's targets simulated
devices, and runs the job in virtual time until it completes, is canceled, or
the horizon passes. See docs/rehearsal.md.

Options:
  --job <id>               The Job's or Rollout's resource id (or its path, e.g. fleet/prod/firmware)   [required]
  --deploy-every <m>       A Rollout: re-run the program's deploy every m virtual minutes [default: ${DEFAULT_DEPLOY_EVERY_MINUTES}]
  --stage <name>           Alchemy stage (default jobIds contain it)
  --devices <n>            Simulated devices behind the job's targets, in all     [default: ${DEFAULT_DEVICES}]
  --fail-rate <p>          Chance (0-1) that a run ends FAILED                     [default: 0]
  --reject-rate <p>        Chance that a device REJECTS the job                    [default: 0]
  --hang-rate <p>          Chance that a run never finishes (only a timeout ends it) [default: 0]
  --offline-rate <p>       Chance that a device is offline (never picks a job up)  [default: 0]
  --run-minutes <m>        Minutes a run takes                                     [default: 1]
  --seed <n>               Seed of the devices' random draws                       [default: 1]
  --horizon-minutes <m>    Stop after this many virtual minutes                    [default: ${DEFAULT_HORIZON_MINUTES} (7 days)]
  --start <time>           When the virtual clock starts (ISO 8601, e.g. 2027-03-01T22:00Z; no zone: UTC)
                           [default: now, to the minute]
  --format <format>        text, markdown or json                                  [default: text]
  --out <file>             Write the report to a file (a one-line summary still goes to stdout;
                           missing directories are made)
  --chart <file.svg>       Also write the timeline chart as an SVG file (missing directories are made)
  --tsx                    Run a TypeScript program through tsx instead of Node's type stripping
  --verbose                Print the program's output`;

/** A number option: parsed, checked against its rule, or a usage error naming the option and the value. */
function numberOption(name: string, value: string | undefined, rule: { min: number; max?: number; integer?: boolean }): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  const ok =
    value.trim() !== "" &&
    Number.isFinite(x) &&
    x >= rule.min &&
    (rule.max === undefined || x <= rule.max) &&
    (!rule.integer || Number.isInteger(x));
  if (!ok) {
    const kind = rule.integer ? "a whole number" : "a number";
    const range = rule.max === undefined ? `at least ${rule.min}` : `from ${rule.min} to ${rule.max}`;
    throw new UsageError(`--${name} must be ${kind} ${range}, not "${value}".`);
  }
  return x;
}

class UsageError extends Error {}

/** `--start`: an ISO 8601 time that exists (no zone: UTC, as IoT reads schedule times), to the minute. */
function startOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseScheduleTime(value);
  if (ms === undefined) {
    throw new UsageError(
      `--start must be a date and time that exists, like 2027-03-01T22:00 or 2027-03-01T22:00:00Z (no zone: UTC), not "${value}".`,
    );
  }
  return Math.floor(ms / 60_000) * 60_000;
}

export const rehearseCommand: Command = {
  summary: "Rehearse a job's rollout against a simulated fleet in virtual time, before it reaches devices.",
  usage,
  async run(argv) {
    const dash = argv.indexOf("--");
    const own = dash === -1 ? argv : argv.slice(0, dash);
    const { values, positionals } = parseOptions(
      own,
      {
        job: { type: "string" },
        stage: { type: "string" },
        devices: { type: "string" },
        "fail-rate": { type: "string" },
        "reject-rate": { type: "string" },
        "hang-rate": { type: "string" },
        "offline-rate": { type: "string" },
        "run-minutes": { type: "string" },
        seed: { type: "string" },
        "horizon-minutes": { type: "string" },
        "deploy-every": { type: "string" },
        start: { type: "string" },
        format: { type: "string", default: "text" },
        out: { type: "string" },
        chart: { type: "string" },
        tsx: { type: "boolean" },
        verbose: { type: "boolean" },
      },
      true,
    );
    let request: RehearsalRequest;
    const format = values.format as RehearsalFormat;
    try {
      if (!values.job) throw new UsageError("--job is required: the resource id of the Job to rehearse.");
      if (!["text", "markdown", "json"].includes(format)) throw new UsageError(`--format must be text, markdown or json, not "${format}".`);
      if (positionals.length > 1) throw new UsageError(`Expected at most one entrypoint, got: ${positionals.join(" ")}`);
      for (const name of ["out", "chart"] as const) {
        const file = values[name];
        if (file !== undefined && fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
          throw new UsageError(
            `--${name} names a directory (${file}): give a file in it, e.g. ${path.join(file, name === "chart" ? "rehearsal.svg" : `rehearsal.${format === "markdown" ? "md" : format === "json" ? "json" : "txt"}`)}.`,
          );
        }
      }
      const rate = (name: string) => numberOption(name, values[name as "fail-rate"], { min: 0, max: 1 });
      const behaviour = {
        failRate: rate("fail-rate"),
        rejectRate: rate("reject-rate"),
        hangRate: rate("hang-rate"),
        offlineRate: rate("offline-rate"),
        runMinutes: numberOption("run-minutes", values["run-minutes"], { min: 0, integer: true }),
      };
      const sum = (behaviour.failRate ?? 0) + (behaviour.rejectRate ?? 0) + (behaviour.hangRate ?? 0);
      if (sum > 1 + 1e-9)
        throw new UsageError(
          `--fail-rate, --reject-rate and --hang-rate add up to ${sum}; together they can be at most 1 (the rest of the runs succeed).`,
        );
      request = {
        job: values.job,
        devices: numberOption("devices", values.devices, { min: 1, max: 1_000_000, integer: true }),
        seed: numberOption("seed", values.seed, { min: 0, max: 2 ** 32 - 1, integer: true }),
        horizonMinutes: numberOption("horizon-minutes", values["horizon-minutes"], { min: 1, max: 366 * 24 * 60, integer: true }),
        startMs: startOption(values.start),
        deployEvery: numberOption("deploy-every", values["deploy-every"], { min: 1, max: 366 * 24 * 60, integer: true }),
        behaviour: Object.fromEntries(Object.entries(behaviour).filter(([, v]) => v !== undefined)),
      };
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      console.error(`${error.message}\n\n${usage}`);
      return 1;
    }
    let rehearsal: Rehearsal;
    try {
      const result = await runProgram<Rehearsal>({
        entrypoint: positionals[0],
        stage: values.stage,
        tsx: values.tsx,
        verbose: values.verbose,
        args: dash === -1 ? [] : argv.slice(dash + 1),
        action: "Rehearsal",
        preload: runtimePath("../rehearsal/preload"),
        alchemyArgs: ["--quiet"],
        env: {
          // Nothing in the program's process can reach AWS or an endpoint the environment names (src/rehearsal/environment.ts).
          ...rehearsalEnvironment(process.env),
          // The rehearsal neither reads nor writes Alchemy's state: the CI check on the store does not apply.
          ALCHEMY_CI_STATE_STORE_CHECK: "false",
          ALCHEMY_IOT_REHEARSAL: JSON.stringify(request),
        },
        resultType: "rehearsal",
      });
      rehearsal = result.message;
      if (values.verbose && result.log.trim()) console.error(`Program output:\n${result.log.trimEnd()}\n`);
    } catch (error) {
      if (!(error instanceof PreviewError)) throw error;
      if (values.verbose && error.log.trim()) console.error(`Program output:\n${error.log.trimEnd()}\n`);
      console.error(error.message);
      return 1;
    }
    const text = renderRehearsal(rehearsal, format);
    const write = (file: string, content: string) => {
      const out = path.resolve(file);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, content);
      return path.relative(process.cwd(), out);
    };
    if (values.chart) console.error(`Wrote the timeline chart to ${write(values.chart, renderSvg(rehearsal))}.`);
    if (values.out) {
      const where = write(values.out, text);
      console.log(
        `Job ${rehearsal.job}: ${rehearsal.outcome} at minute ${rehearsal.minutes} on ${rehearsal.devices} devices. Wrote the ${format} report to ${where}.`,
      );
    } else process.stdout.write(text);
    return 0;
  },
};
