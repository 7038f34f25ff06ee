/**
 * Vitest's global setup: compiles `src/`, every `test/<suite>/fixtures/` and `bench/fixtures/`
 * into BUILD_DIR (see ./compiled.ts) before any test file runs, with the
 * package's build settings (tsconfig.build.json) less the type check and the
 * declarations. The package name resolves there to the compiled copy, as it
 * does in an installed package.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { BUILD_DIR, repo } from "./compiled.ts";

export default function setup(): void {
  compileTo(BUILD_DIR);
}

/** Compiles the copy into `dir` (the benchmarks keep theirs apart from the tests': bench/run-program.ts), once per process. */
export function compileTo(dir: string): void {
  const BUILD_DIR = dir;
  // Written once the copy is made, with this process's id: Vitest runs the global setup for the root and
  // again for each project, one after the other in its main process (with a fresh process.env each time).
  const BUILT = path.join(BUILD_DIR, ".built-by");
  if (fs.existsSync(BUILT) && fs.readFileSync(BUILT, "utf8") === String(process.pid)) return;
  const started = Date.now();
  fs.rmSync(BUILD_DIR, { recursive: true, force: true });
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as {
    name: string;
    exports: Record<string, string | Record<string, string>>;
  };
  // The package's exports, pointed at the compiled sources (lib/x.js is src/x.js here).
  const exports = Object.fromEntries(
    Object.entries(pkg.exports).map(([subpath, target]) => [
      subpath,
      typeof target === "string" ? target : `./${path.posix.join("src", path.posix.relative("./lib", target.default))}`,
    ]),
  );
  fs.writeFileSync(path.join(BUILD_DIR, "package.json"), JSON.stringify({ name: pkg.name, type: "module", exports }, null, 2));
  const config = {
    extends: path.join(repo, "tsconfig.build.json"),
    compilerOptions: {
      noCheck: true,
      noEmitOnError: false,
      declaration: false,
      sourceMap: true,
      inlineSources: false,
      rootDir: repo,
      outDir: BUILD_DIR,
    },
    include: [
      path.join(repo, "src"),
      path.join(repo, "test", "*", "fixtures", "**", "*.ts"),
      path.join(repo, "bench", "fixtures", "**", "*.ts"),
    ],
  };
  const tsconfig = path.join(BUILD_DIR, "tsconfig.json");
  fs.writeFileSync(tsconfig, JSON.stringify(config, null, 2));
  execFileSync(process.execPath, [path.join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", tsconfig], { stdio: "inherit" });
  fs.writeFileSync(BUILT, String(process.pid));
  console.log(
    `test/support/build.ts: compiled the sources and test programs for child processes in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
