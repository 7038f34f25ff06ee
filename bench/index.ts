/**
 * Benchmark runner: `npm run bench [-- <name> ...]`.
 *
 * Runs the benchmark modules in sequence (all of them, or the ones named on
 * the command line) and prints each figure as `name: value` on its own line.
 * Stdout carries nothing else but `# <benchmark>` section headers, so the
 * output can be diffed or parsed; progress and diagnostics go to stderr.
 *
 * A benchmark module exports:
 *
 *   export async function run(report: (name: string, value: string | number) => void): Promise<void>
 *
 * and is registered in BENCHMARKS below.
 */
import type { BenchmarkModule, Report } from "./report.ts";

// The SDK warns on stderr that future versions need Node 22; that is noise in benchmark output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** Every benchmark, by name, loaded only when it runs. */
export const BENCHMARKS: Record<string, () => Promise<BenchmarkModule>> = {
  endpoint: () => import("./endpoint.ts"),
  "endpoint-memory": () => import("./endpoint-memory.ts"),
  preview: () => import("./preview.ts"),
  deploy: () => import("./deploy.ts"),
  jobs: () => import("./jobs.ts"),
  calls: () => import("./calls.ts"),
  simulation: () => import("./simulation.ts"),
  rehearsal: () => import("./rehearsal.ts"),
  check: () => import("./check.ts"),
  state: () => import("./state.ts"),
};

const NAME = /^[a-z0-9][a-z0-9_.-]*$/i;

function format(value: string | number): string {
  if (typeof value === "string") return value.replace(/\s*\n\s*/g, " ");
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.error(`Usage: npm run bench [-- <name> ...]\n\nBenchmarks: ${Object.keys(BENCHMARKS).join(", ")}`);
    return 0;
  }
  const unknown = argv.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(
      `Unknown benchmark${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}. Known: ${Object.keys(BENCHMARKS).join(", ")}.`,
    );
    return 1;
  }
  const selected = argv.length > 0 ? [...new Set(argv)] : Object.keys(BENCHMARKS);
  let failed = 0;
  for (const name of selected) {
    process.stdout.write(`# ${name}\n`);
    const report: Report = (figure, value) => {
      if (!NAME.test(figure)) throw new Error(`Figure name "${figure}" must be one word (letters, digits, _ . -).`);
      process.stdout.write(`${figure}: ${format(value)}\n`);
    };
    try {
      const module = await BENCHMARKS[name]();
      await module.run(report);
    } catch (error) {
      failed++;
      console.error(`Benchmark ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    }
  }
  return failed > 0 ? 1 : 0;
}

const invokedDirectly = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"));
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
