/** What every sub-command of the command line shares: its shape and its argument parsing. */
import { parseArgs, type ParseArgsConfig } from "node:util";

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses options with node:util's parseArgs (strict: an unknown option is an
 * error, which the command line reports in one line with the command's usage).
 */
export function parseOptions<T extends Options>(
  argv: string[],
  options: T,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>> {
  return parseArgs({ args: argv, options, allowPositionals, strict: true });
}
