/**
 * How a preview starts the user's program: the way Node or the user's own
 * runner would run it, with the preview runtime preloaded.
 *
 * - A JavaScript program runs as it is.
 * - A TypeScript program runs under Node's own type stripping where Node has
 *   it on by default (22.18 and later, 23.6 and later: `process.features.typescript`),
 *   which is also how Alchemy's CLI runs it there.
 * - Otherwise (Node 20), or with `tsx: true`, it runs through tsx: the user's
 *   own (resolved from the program's directory), else the copy next to this
 *   package (tsx is an optional peer dependency). Without either, the error
 *   says what to install.
 * - Inside this repository (the sources run as .ts), tsx always loads them,
 *   and the package name resolves to the sources (the "@alchemy-iot-jobs/source"
 *   export condition).
 */
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const SOURCE_CONDITION = "@alchemy-iot-jobs/source";

/** Is this module running from the TypeScript sources (the repository) rather than the compiled package? */
export const fromSources = import.meta.url.endsWith(".ts");

/** A runtime module's path next to this one, compiled or not (`../rehearsal/preload` for a rehearsal). */
export const runtimePath = (name: string) => fileURLToPath(new URL(`${name}${fromSources ? ".ts" : ".js"}`, import.meta.url));

/** The preview runtime's entry, compiled or not. */
export const preloadPath = runtimePath("./preload");

/** Can this Node run TypeScript without a loader? */
export function nodeStripsTypes(): boolean {
  const features = process.features as { typescript?: string | false };
  return typeof features.typescript === "string";
}

const TS_EXTENSIONS = [".ts", ".mts", ".cts"];

/** Where tsx's loader is, from the program's directory first, then from this package; undefined if neither has it. */
function findTsx(programDir: string): string | undefined {
  for (const from of [path.join(programDir, "noop.js"), fileURLToPath(import.meta.url)]) {
    try {
      return pathToFileURL(createRequire(from).resolve("tsx")).href;
    } catch {
      // not installed there
    }
  }
  return undefined;
}

/** Node arguments that load the program's runner and a runtime (the preview's by default), before the program's path. */
export function runnerArgs(entrypoint: string, options: { tsx?: boolean; preload?: string } = {}): string[] {
  const preload = ["--import", pathToFileURL(options.preload ?? preloadPath).href];
  const typescript = TS_EXTENSIONS.includes(path.extname(entrypoint));
  const useTsx = fromSources || options.tsx === true || (typescript && !nodeStripsTypes());
  if (!useTsx) return preload;
  const tsx = findTsx(path.dirname(entrypoint));
  if (!tsx) {
    throw new Error(
      options.tsx
        ? `--tsx was given, but tsx is not installed. Install it in the project (npm install --save-dev tsx), or leave out --tsx.`
        : `Node ${process.versions.node} cannot run the TypeScript program ${path.basename(entrypoint)} by itself ` +
            `(Node 22.18 or later can). Use Node 22.18+ or 24, or install tsx in the project (npm install --save-dev tsx).`,
    );
  }
  return ["--import", tsx, ...(fromSources ? [`--conditions=${SOURCE_CONDITION}`] : []), ...preload];
}
