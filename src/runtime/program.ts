/**
 * The program this process runs, when it runs one as its main module
 * (`alchemy deploy`, `tsx alchemy.run.ts`, `node alchemy.run.ts`), as
 * opposed to a test runner's worker or another host that runs programs in
 * process: what a deploy checks first (src/preview/check.ts), and a process
 * that may end itself when its stage's lease is lost (./lock/stage.ts).
 */
import fs from "node:fs";
import path from "node:path";

export function programOfProcess(argv: readonly string[] = process.argv): string | undefined {
  const main = argv[1];
  if (!main || !/\.(ts|mts|cts|js|mjs|cjs)$/.test(main)) return undefined;
  const file = path.resolve(main);
  if (file.split(path.sep).includes("node_modules") || !fs.existsSync(file)) return undefined;
  return file;
}
