/**
 * The sources and the test programs, compiled to JavaScript once before the
 * suite (by ./build.ts, Vitest's global setup), for the tests' child processes.
 *
 * A child run through tsx spends about a second of CPU more than the same
 * code compiled: on Node 20, tsx's hooks run on a loader thread that every
 * module of the SDK, Alchemy and zod crosses. The suite starts hundreds of
 * such children, so they run the compiled copy with plain `node` (what the
 * published package runs), made with the package's own build settings
 * (tsconfig.build.json) less the type check, which `npm run typecheck` does.
 * The tsx path itself stays covered: the README's commands
 * (test/e2e/readme.test.ts) and the package test, which runs the installed
 * package through tsx and Alchemy's CLI on Node 22 and 24.
 */
import fs from "node:fs";
import path from "node:path";

export const repo = path.resolve(import.meta.dirname, "../..");

/**
 * Where the compiled copy lives: `src/` and each `test/<suite>/fixtures/`, laid
 * out as in the repository, under it (so that the dependencies resolve from
 * the repository's node_modules) but not inside node_modules (a program there
 * is not a user's program: src/runtime/program.ts). Ignored by git.
 */
export const BUILD_DIR = path.join(repo, ".test-build");

/**
 * The compiled copy of a repository TypeScript file (absolute, or relative to
 * the repository): `js("src/cli/index.ts")` is `<BUILD_DIR>/src/cli/index.js`.
 */
export function js(file: string, dir: string = BUILD_DIR): string {
  const relative = path.relative(repo, path.resolve(repo, file));
  if (relative.startsWith("..") || !/\.ts$/.test(relative)) throw new Error(`js(): ${file} is not a TypeScript file of the repository`);
  const compiled = path.join(dir, relative.replace(/\.ts$/, ".js"));
  if (!fs.existsSync(compiled)) {
    throw new Error(
      `js(): ${compiled} does not exist. The compiled copy is made by Vitest's global setup (test/support/build.ts); ` +
        `run the tests with the repository's vitest.config.ts (npm test), or is ${relative} outside src/ and test/*/fixtures/?`,
    );
  }
  return compiled;
}

/** Is `file` a TypeScript file that the compiled copy holds (one of `src/`, of a suite's `fixtures/` or of `bench/fixtures/`)? */
function isCompiled(file: string): boolean {
  const relative = path.relative(repo, path.resolve(repo, file));
  return /^(src|test\/[^/]+\/fixtures|bench\/fixtures)\/.*\.ts$/.test(relative) && fs.existsSync(path.join(repo, relative));
}

/**
 * A command line for `node`, with each argument that names a TypeScript file
 * of `src/` or of a suite's `fixtures/` replaced by its compiled copy:
 * `["src/cli/index.ts", "preview", "test/preview/fixtures/stack.run.ts", "--stage", "pv"]`
 * runs the compiled command line on the compiled program. Other arguments
 * (options, a path that does not exist) are passed as they are.
 */
export function compiledArgs(args: readonly string[], dir: string = BUILD_DIR): string[] {
  return args.map((arg) => (isCompiled(arg) ? js(arg, dir) : arg));
}
