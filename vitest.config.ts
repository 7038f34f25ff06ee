import fs from "node:fs";
import path from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** The export condition under which the package name resolves to its TypeScript sources (package.json "exports"). */
const SOURCE_CONDITION = "@alchemy-iot-jobs/source";

/** Tests import the package by name ("alchemy-iot-jobs/cloudformation"): each export, resolved to its source file. */
const pkg = JSON.parse(fs.readFileSync(new URL("./package.json", import.meta.url), "utf8"));
const sourceAliases = Object.entries(pkg.exports as Record<string, string | Record<string, string>>).flatMap(([subpath, target]) =>
  typeof target === "object" && target[SOURCE_CONDITION]
    ? [
        {
          find: new RegExp(`^${path.posix.join(pkg.name, subpath)}$`),
          replacement: path.resolve(import.meta.dirname, target[SOURCE_CONDITION]),
        },
      ]
    : [],
);

/**
 * Suites that run programs or the command line in child processes (seconds
 * each): `npm test` runs them too; `npm run test:fast` (the inner loop) leaves them out.
 * Longest first (seconds on the 2-core machine, in a full run): they start in this order.
 */
const SLOW = [
  "test/reliability/crash-update.test.ts", // 78
  "test/preview/preview.test.ts", // 54
  "test/cloudformation/import-stack.test.ts", // 52
  "test/reliability/crash-create.test.ts", // 51
  "test/reliability/crash-rollout.test.ts",
  "test/runtime/lease.test.ts", // 50
  "test/state/team.test.ts", // 41
  "test/reliability/processes.test.ts", // 33
  "test/reliability/faults.test.ts", // 30
  "test/reliability/whole-program.test.ts", // 25
  "test/e2e/**/*.test.ts", // 24
  "test/preview/finish.test.ts", // 20
  "test/reliability/interrupted-destroy.test.ts", // 14
  "test/rehearsal/cli.test.ts", // 10
  "test/preview/gate.test.ts", // 9
  "test/reliability/secret-props-cli.test.ts", // 7
  "test/cli/**/*.test.ts",
  "test/rehearsal/isolation.test.ts",
  "test/reliability/state-safety.test.ts",
  "test/runtime/lock-release.test.ts",
  "test/runtime/admission.test.ts",
];

/** Fast suites that load the preview's runtime into their own process (src/preview/runtime.ts); longest first. */
const OWN_PROCESS = [
  "test/reliability/secret-props.test.ts", // 20
  "test/preview/accuracy.test.ts", // 13
  "test/preview/impact.test.ts", // 9
  "test/runtime/s3-store.test.ts", // 8
  "test/provider/replacement.test.ts",
  "test/provider/job-targets.test.ts",
  "test/preview/policy.test.ts",
  "test/provider/thing-ownership.test.ts",
  "test/provider/software-package-preview.test.ts",
  "test/provider/job-packages.test.ts",
  "test/preview/legacy-state.test.ts",
  "test/provider/rollout-resource.test.ts",
  "test/preview/console-words.test.ts",
];

/** The order in which LongestFirst starts files: SLOW's, then OWN_PROCESS's. */
const RANKED = [...SLOW, ...OWN_PROCESS];

/** A test file's rank in RANKED (the first entry that names it, or whose folder holds it); after them, the rest. */
function rankOf(moduleId: string): number {
  const file = path
    .relative(import.meta.dirname, moduleId)
    .split(path.sep)
    .join("/");
  const rank = RANKED.findIndex(
    (entry) => entry === file || (entry.includes("**") && file.startsWith(entry.slice(0, entry.indexOf("**")))),
  );
  return rank < 0 ? RANKED.length : rank;
}

/**
 * Starts the child-process suites first, then the fast ones with a process of their own, longest first,
 * whatever Vitest's cache holds (a clean clone has none, and Vitest would start the largest files first):
 * the long ones start at once and the short files fill the gaps. The rest keep Vitest's order.
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return sorted
      .map((spec, i) => ({ spec, i, rank: rankOf(spec.moduleId) }))
      .sort((a, b) => a.rank - b.rank || a.i - b.i)
      .map((x) => x.spec);
  }
}

export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    // Every test starts its own local endpoint on a free port and its own state directory,
    // so files run in parallel processes. Most of the suite waits (on child processes, on
    // simulated deletions), so three files at a time keep a 2-core machine busy; Vitest's
    // default (cores - 1) would run them one by one there.
    pool: "forks",
    sequence: { sequencer: LongestFirst },
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: {
      // Set before any test file imports alchemy (it reads these at load time).
      ALCHEMY_TELEMETRY_DISABLED: "1",
      ALCHEMY_CI_STATE_STORE_CHECK: "false",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      // Programs the tests run in child processes import the package by name, too.
      NODE_OPTIONS: `--conditions=${SOURCE_CONDITION}`,
      // Never reach for real AWS credentials or config from a test.
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
      AWS_PROFILE: "",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    },
    projects: [
      // The installed-package test runs on its own: `npm run test:package` (vitest.package.config.ts).
      // Fast files share their worker's process and modules (isolate: false): each starts its own endpoint
      // and state, and ends what it holds (test/support/stack.ts's close() releases its stage locks), so
      // Alchemy, the SDK and the sources load once per worker instead of once per file. Files that run the
      // preview's runtime in-process (it must load before Alchemy, and replaces Alchemy's globals) get
      // a process of their own.
      {
        extends: true,
        test: { name: "fast", isolate: false, include: ["test/**/*.test.ts"], exclude: [...SLOW, ...OWN_PROCESS, "test/package/**"] },
      },
      { extends: true, test: { name: "fast:own-process", include: OWN_PROCESS } },
      // Their child processes run the sources compiled once per run (test/support/compiled.ts says why);
      // the fast projects start none, so `npm run test:fast` does not compile.
      { extends: true, test: { name: "child-processes", isolate: false, include: SLOW, globalSetup: ["test/support/build.ts"] } },
    ],
  },
});
