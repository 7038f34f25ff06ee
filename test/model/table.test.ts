/**
 * The committed model table (src/model/iot.generated.ts) is exactly what
 * tools/model/generate.ts makes of the committed model file: refresh both
 * together (docs/local-endpoint.md, "Fidelity to the AWS model").
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";
import { SOURCE } from "../../src/api/model/iot.generated.ts";
import { generate, MODEL_FILE, TABLE_FILE } from "../../tools/model/generate.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const modelText = fs.readFileSync(path.join(repo, MODEL_FILE), "utf8");

test("the committed table is generated from the committed model", () => {
  expect(SOURCE.sha256).toBe(createHash("sha256").update(modelText).digest("hex"));
  expect(fs.readFileSync(path.join(repo, TABLE_FILE), "utf8"), "run `npm run model:generate`").toBe(generate(modelText));
});
