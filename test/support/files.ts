/** Reading a directory tree, for tests that compare or search state and data files. */
import fs from "node:fs";
import path from "node:path";

/**
 * Every file under `dir` (nothing when `dir` does not exist), keyed by its
 * path relative to `base`, with `read(file)` as the value.
 */
export function readTree(dir: string, read: (file: string) => string, base = dir): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(base, p)] = read(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

export const utf8 = (file: string) => fs.readFileSync(file, "utf8");
