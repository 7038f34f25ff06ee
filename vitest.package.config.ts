import { defineConfig } from "vitest/config";

/**
 * `npm run test:package`: the packed package, installed into a new project and
 * run with Alchemy's CLI on Node 22 and 24 (test/package). One file, run in order.
 */
export default defineConfig({
  test: {
    include: ["test/package/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
    env: {
      ALCHEMY_TELEMETRY_DISABLED: "1",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  },
});
