// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".alchemy/", "lib/", "dist/", "coverage/", ".test-build/", ".bench-build/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        performance: "readonly",
        structuredClone: "readonly",
      },
    },
    rules: {
      // The AWS SDK and Alchemy hand back loosely typed errors and outputs.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    // The IoT SDK's values come through src/provider/iot-sdk.ts (loaded with require: about 90 ms less per process); types may come from the SDK.
    files: ["src/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "@aws-sdk/client-iot",
              allowTypeImports: true,
              message: "Import the SDK's values from src/provider/iot-sdk.ts (see why there); `import type` from the SDK is fine.",
            },
          ],
        },
      ],
    },
  },
);
