/** `alchemy-iot-jobs preview`: what a deploy would do, for terminals and pull requests. */
import fs from "node:fs";
import path from "node:path";
import { parseOptions, type Command } from "./args.ts";
import { hasChanges, summaryLine } from "../preview/plan.ts";
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
  --detailed-exitcode     Exit 0 with no changes, 2 with changes (or drift), 1 on error
  --verbose               Also list unchanged resources, and print the program's output
  --no-color              No colours (they are only used when stdout is a terminal)`;

export const previewCommand: Command = {
  summary: "Preview what a deploy would change, as text, Markdown (pull requests) or JSON.",
  usage,
  async run(argv) {
    const dash = argv.indexOf("--");
    const own = dash === -1 ? argv : argv.slice(0, dash);
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
        verbose: { type: "boolean" },
        "no-color": { type: "boolean" },
      },
      true,
    );
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
    if (values["detailed-exitcode"]) return hasChanges(plan) ? 2 : 0;
    return 0;
  },
};
