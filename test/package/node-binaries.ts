/**
 * Node.js binaries of other major versions, for running the package as a
 * consumer would on Node 22 and 24. They come from the npm registry (the
 * `node-<platform>-<arch>` packages hold the official binaries) and are kept
 * in a cache directory, so later runs start at once.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Where the binaries are kept: ALCHEMY_IOT_NODE_CACHE, else ~/.cache/alchemy-iot-jobs/node. */
export const NODE_CACHE = process.env.ALCHEMY_IOT_NODE_CACHE ?? path.join(os.homedir(), ".cache", "alchemy-iot-jobs", "node");

/** The directory holding `node` of the given major version (installed on first use). */
export function nodeBinDir(major: number): string {
  const prefix = path.join(NODE_CACHE, String(major));
  const pkg = `node-${process.platform}-${process.arch}`;
  const bin = path.join(prefix, "node_modules", pkg, "bin");
  const version = () => execFileSync(path.join(bin, "node"), ["--version"], { encoding: "utf8" }).trim();
  if (fs.existsSync(path.join(bin, "node")) && version().startsWith(`v${major}.`)) return bin;
  fs.mkdirSync(prefix, { recursive: true });
  execFileSync("npm", ["install", "--prefix", prefix, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", `${pkg}@${major}`], {
    stdio: "pipe",
  });
  if (!version().startsWith(`v${major}.`)) throw new Error(`${pkg}@${major} installed Node ${version()}`);
  return bin;
}
