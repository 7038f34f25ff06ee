/** The docs' "what each change does" tables are the member tables the decisions read (tools/member-docs.ts). */
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";
import { PAGES, updated } from "../../tools/member-docs.ts";

const root = path.resolve(import.meta.dirname, "../..");

test.each(PAGES)("$file shows the member table of $kind (npm run docs:members)", ({ file, kind }) => {
  const text = fs.readFileSync(path.join(root, file), "utf8");
  expect(text, `${file} has no <!-- members: ${kind} --> block`).toContain(`<!-- members: ${kind} -->`);
  expect(text).toBe(updated(path.join(root, file)));
});
