/**
 * The docs' "what each change does" tables, generated from the member tables
 * (the same rows the decisions read), between markers in each resource's page:
 *
 *   <!-- members: iot::Job -->
 *   ...generated...
 *   <!-- /members -->
 *
 * `npm run docs:members` rewrites them; test/provider/members.test.ts fails when a
 * page and its table disagree.
 */
import fs from "node:fs";
import path from "node:path";
import type { MemberTable } from "../src/provider/engine/members.ts";
import { KINDS } from "../src/provider/kinds/registry.ts";

/** One table per kind, on the kind's page (the registry says which). */
export const PAGES: Array<{ file: string; kind: string; table: MemberTable }> = KINDS.map(({ kind, docs }) => ({
  file: docs,
  kind: kind.type,
  table: kind.members,
}));

/** The Markdown table of a member table. */
export function renderMembers(table: MemberTable): string {
  const rows = table
    .filter((r) => !r.hidden)
    .map((r) => {
      const change =
        r.change === "replace" ? "replaces it" : r.change === "state only" ? "kept in state, no API call" : `in place: \`${r.via}\``;
      const detail = r.change === "replace" ? (r.why ?? "") : r.limit ? "some changes replace it instead (see below)" : "";
      return `| \`${r.member}\` | ${change} | ${detail} | ${r.source ?? ""} |`;
    });
  return ["| Prop | A change | Why / note | Source |", "|---|---|---|---|", ...rows].join("\n");
}

const BLOCK = /<!-- members: (\S+) -->\n[\s\S]*?<!-- \/members -->/g;

/** A page with its generated tables brought up to date. */
export function updated(file: string): string {
  const text = fs.readFileSync(file, "utf8");
  return text.replace(BLOCK, (_, kind: string) => {
    const page = PAGES.find((p) => p.kind === kind);
    if (!page) throw new Error(`${file}: no member table for ${kind}`);
    return `<!-- members: ${kind} -->\n${renderMembers(page.table)}\n<!-- /members -->`;
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"))) {
  const root = path.resolve(import.meta.dirname, "..");
  for (const file of new Set(PAGES.map((p) => path.join(root, p.file)))) {
    fs.writeFileSync(file, updated(file));
    console.log(`updated ${path.relative(root, file)}`);
  }
}
