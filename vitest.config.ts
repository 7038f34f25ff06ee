import fs from "node:fs";
import path from "node:path";
import { defineConfig } from "vitest/config";

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
 */
const SLOW = [
  "test/reliability/crash-create.test.ts",
  "test/reliability/crash-update.test.ts",
  "test/reliability/interrupted-destroy.test.ts",
  "test/reliability/state-safety.test.ts",
  "test/reliability/faults.test.ts",
  "test/reliability/processes.test.ts",
  "test/reliability/whole-program.test.ts",
  "test/preview/preview.test.ts",
  "test/preview/gate.test.ts",
  "test/preview/finish.test.ts",
  "test/rehearsal/cli.test.ts",
  "test/rehearsal/isolation.test.ts",
  "test/cloudformation/import-stack.test.ts",
  "test/e2e/**/*.test.ts",
  "test/cli/**/*.test.ts",
  "test/runtime/lease.test.ts",
  "test/state/team.test.ts",
];

export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    // Every test starts its own local endpoint on a free port and its own state directory,
    // so files run in parallel processes. Most of the suite waits (on child processes, on
    // simulated deletions), so three files at a time keep a 2-core machine busy; Vitest's
    // default (cores - 1) would run them one by one there.
    pool: "forks",
    // Child processes run the sources compiled once, here (test/support/compiled.ts says why).
    globalSetup: ["test/support/build.ts"],
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
      { extends: true, test: { name: "fast", include: ["test/**/*.test.ts"], exclude: [...SLOW, "test/package/**"] } },
      // Vitest queues the projects' files by project name: "child-processes" first, so that its long
      // files start at once and the short ones of "fast" fill the gaps (see the comment above SLOW).
      { extends: true, test: { name: "child-processes", include: SLOW } },
    ],
  },
});
