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
  return parseArgs({ args: withNegativeValues(argv, options), allowPositionals, options, strict: true });
}

/**
 * `--seed -5`: parseArgs takes a value that starts with a dash for an option
 * and calls it ambiguous. A negative number after an option that takes a
 * value is its value (`--seed=-5`), so that the command's own check says what
 * is wrong with it.
 */
function withNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([\w-]+)$/.exec(argv[i])?.[1];
    const next = argv[i + 1];
    if (name && options[name]?.type === "string" && next !== undefined && /^-\d|^-\.\d|^-Infinity$/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}
