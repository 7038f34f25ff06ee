import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Every test starts its own local endpoint on a free port and its own state directory,
    // so files run in parallel processes.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: {
      // Set before any test file imports alchemy (it reads these at load time).
      ALCHEMY_TELEMETRY_DISABLED: "1",
      ALCHEMY_CI_STATE_STORE_CHECK: "false",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      // Never reach for real AWS credentials or config from a test.
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
      AWS_PROFILE: "",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    },
  },
});
