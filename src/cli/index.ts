/**
 * The package's command line: `alchemy-iot-jobs <command> [options]`.
 *
 *   local         serve the local IoT Jobs endpoint until stopped
 *   preview       show what a deploy would change (text, Markdown, JSON)
 *   import-stack  declarations for a CloudFormation stack's job templates and jobs
 *   rehearse      run a job against a simulated fleet in virtual time
 *   unlock        show who holds a stage's lock, and break it with --force
 *
 * Each command's options are listed by `alchemy-iot-jobs <command> --help`.
 * Arguments are parsed with node:util's parseArgs (src/cli/args.ts): no
 * dependency, strict about unknown options, and enough for flat sub-commands.
 */
import { formatFailure } from "../runtime/failure.ts";
import type { Command } from "./args.ts";

const COMMANDS: Record<string, () => Promise<Command>> = {
  local: async () => (await import("./local.ts")).localCommand,
  preview: async () => (await import("./preview.ts")).previewCommand,
  "import-stack": async () => (await import("./import-stack.ts")).importStackCommand,
  rehearse: async () => (await import("./rehearse.ts")).rehearseCommand,
  unlock: async () => (await import("./unlock.ts")).unlockCommand,
};

function help(): string {
  return [
    "Usage: alchemy-iot-jobs <command> [options]",
    "",
    "Commands:",
    "  preview       Show what a deploy would change (docs/preview.md)",
    "  rehearse      Run a job against a simulated fleet in virtual time (docs/rehearsal.md)",
    "  local         Serve the local IoT Jobs endpoint (docs/local-endpoint.md)",
    "  import-stack  Declarations for a CloudFormation stack's IoT job templates and jobs",
    "                (docs/migrating-from-cloudformation.md)",
    "  unlock        Show who holds a stage's lock, and break it with --force",
    "",
    "Run `alchemy-iot-jobs <command> --help` for a command's options.",
  ].join("\n");
}

/** Runs a command; resolves to its exit code. A failure is printed as one block and exits 1. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name ? 0 : 1;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`Unknown command "${name}".\n\n${help()}`);
    return 1;
  }
  const command = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`${command.summary}\n\n${command.usage}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    const usage = (error as { code?: string } | null)?.code?.startsWith("ERR_PARSE_ARGS_") ? `\n\n${command.usage}` : "";
    console.error(`${formatFailure(error, { action: `alchemy-iot-jobs ${name}`, verbose: rest.includes("--verbose") })}${usage}`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"));
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}
