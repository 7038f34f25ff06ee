/**
 * The package's command line: `alchemy-iot-jobs <command> [options]`.
 *
 *   local         serve the local IoT Jobs endpoint until stopped
 *   preview       show what a deploy would change (text, Markdown, JSON)
 *   import-stack  declarations for a CloudFormation stack's job templates and jobs
 *
 * Each command's options are listed by `alchemy-iot-jobs <command> --help`.
 */
import { parseArgs } from "node:util";

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  local: async () => (await import("./local/cli.ts")).localCommand,
  preview: async () => (await import("./preview/cli.ts")).previewCommand,
  "import-stack": async () => (await import("./cloudformation/cli.ts")).importStackCommand,
};

function help(): string {
  return [
    "Usage: alchemy-iot-jobs <command> [options]",
    "",
    "Commands:",
    "  preview       Show what a deploy would change (docs/preview.md)",
    "  local         Serve the local IoT Jobs endpoint (docs/local-endpoint.md)",
    "  import-stack  Declarations for a CloudFormation stack's IoT job templates and jobs",
    "                (docs/migrating-from-cloudformation.md)",
    "",
    "Run `alchemy-iot-jobs <command> --help` for a command's options.",
  ].join("\n");
}

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
  return command.run(rest);
}

/** Parses options with node:util, turning its errors into one-line messages. */
export function parseOptions<T extends NonNullable<Parameters<typeof parseArgs>[0]>["options"]>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  return parseArgs({ args: argv, options, allowPositionals, strict: true });
}

const invokedDirectly = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"));
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
