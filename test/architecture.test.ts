/**
 * The layout of docs/architecture.md, held against the code's imports (static
 * and dynamic, read by TypeScript's own pre-processor): src/ has no import
 * cycle; the shared base imports neither side; the provider never reaches the
 * emulator; the emulator reaches neither alchemy nor a file of the provider,
 * and inside it the account (checks, state) never reaches the protocol side.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const SRC = path.join(ROOT, "src");

interface Imports {
  /** Files of src/ this file imports (relative to the repository). */
  files: string[];
  /** Packages it imports ("alchemy", "@aws-sdk/client-iot", "node:fs"...). */
  packages: string[];
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

function importsOf(file: string): Imports {
  const info = ts.preProcessFile(fs.readFileSync(path.join(ROOT, file), "utf8"), true, true);
  const files: string[] = [];
  const packages: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith(".")) {
      packages.push(fileName.startsWith("@") ? fileName.split("/").slice(0, 2).join("/") : fileName.split("/")[0]);
    } else if (fileName.endsWith(".ts")) {
      files.push(path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), fileName)));
    }
  }
  return { files, packages };
}

const graph = new Map(sourceFiles(SRC).map((f) => [f, importsOf(f)]));

/** Every file of src/ that `entries` reach through imports, the entries included. */
function reachable(...entries: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...entries];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...(graph.get(file)?.files ?? []));
  }
  return seen;
}

const under = (folder: string) => (file: string) => file.startsWith(`src/${folder}/`);

describe("the import graph of src/", () => {
  it("reads every import of a real file (the graph is not empty, and every import names a file)", () => {
    expect(graph.size).toBeGreaterThan(100);
    const missing = [...graph].flatMap(([file, { files }]) => files.filter((f) => !graph.has(f)).map((f) => `${file} -> ${f}`));
    expect(missing).toEqual([]);
  });

  it("has no cycle", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(" -> "));
        return;
      }
      state.set(file, "open");
      for (const next of graph.get(file)!.files) visit(next, [...trail, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it("keeps the shared base (src/api) below both sides: it imports only itself", () => {
    const outside = [...graph]
      .filter(([file]) => under("api")(file))
      .flatMap(([file, { files, packages }]) => [
        ...files.filter((f) => !under("api")(f)).map((f) => `${file} -> ${f}`),
        ...packages.filter((p) => p === "alchemy").map((p) => `${file} -> ${p}`),
      ]);
    expect(outside).toEqual([]);
  });

  it("never reaches the emulator (src/local) from a resource definition", () => {
    const fromResources = reachable("src/index.ts", "src/cloudformation/index.ts", ...sourceFiles(path.join(SRC, "provider")));
    // The entry points inject the embedded endpoint with a dynamic import of src/local/server.ts (src/wiring.ts):
    // that one edge is the injection, so it is followed from wiring.ts only, never from the provider.
    const fromProvider = reachable(...sourceFiles(path.join(SRC, "provider")));
    expect([...fromProvider].filter(under("local"))).toEqual([]);
    expect(graph.get("src/wiring.ts")!.files).toContain("src/local/server.ts");
    expect([...fromResources].filter((f) => under("local")(f) && !reachable("src/wiring.ts").has(f))).toEqual([]);
  });

  it("keeps the emulator on its own floor: from its entry, no file imports alchemy or a provider file", () => {
    const fromEmulator = reachable("src/local/index.ts", "src/local/server.ts");
    // Below it: the shared base and the process layer (its data file's lock); nothing of the provider's side.
    const upward = [...fromEmulator].filter((f) => !["local", "api", "runtime"].some((d) => under(d)(f)));
    expect(upward).toEqual([]);
    const alchemy = [...fromEmulator].filter((f) => graph.get(f)!.packages.includes("alchemy"));
    expect(alchemy).toEqual([]);
  });

  it("keeps the emulator's account below its protocol: the account and its state never see a request", () => {
    // operations/ decodes requests and shapes answers; account/ and state/ check and change the tables with typed values.
    const below = [...graph].filter(([file]) => ["local/account", "local/state"].some((d) => under(d)(file)));
    const upward = below.flatMap(([file, { files }]) =>
      files.filter((f) => ["local/operations", "local/protocol"].some((d) => under(d)(f))).map((f) => `${file} -> ${f}`),
    );
    expect(below.length).toBeGreaterThan(5);
    expect(upward).toEqual([]);
    const operations = [...graph].filter(([file]) => under("local/operations")(file));
    expect(operations.flatMap(([file, { files }]) => files.filter(under("local/protocol")).map((f) => `${file} -> ${f}`))).toEqual([]);
  });

  it("keeps the provider below the preview, the rehearsal and the command line", () => {
    const fromProvider = reachable(...sourceFiles(path.join(SRC, "provider")));
    expect([...fromProvider].filter((f) => ["preview", "rehearsal", "cli", "cloudformation"].some((d) => under(d)(f)))).toEqual([]);
  });

  it("keeps the process layer (src/runtime) below everything it serves", () => {
    const fromRuntime = reachable(...sourceFiles(path.join(SRC, "runtime")));
    expect([...fromRuntime].filter((f) => !under("runtime")(f) && !under("api")(f))).toEqual([]);
  });
});
