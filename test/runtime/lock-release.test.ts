/**
 * A process that ends while it holds a file lock removes its lock directory
 * and its owner record, even when it ends at the moment that matters: a
 * refresh of the lock (proper-lockfile's utimes) has landed, and its callback
 * has not run yet. A deploy refused by its whole-program check exits 1 at a
 * moment its program chooses; under load, the refresh's callback waits for
 * the main thread, and the deploy's exit came first: its exit handler took
 * the directory's new mtime for another holder's and left both behind (a
 * clean-clone CI run, test/reliability/whole-program.test.ts).
 *
 * The holder is a child process (the compiled sources, test/support/compiled.ts)
 * that takes the lock through acquireLease and fileLock. Its `fs.utimes`,
 * which the lock's own refreshes go through, lets the change happen and then
 * ends the process instead of running the callback: the interleaving, forced,
 * with no timing. Likewise a process that ends as soon as it has called
 * release() (a signal, an exit that does not wait for it).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { js, repo } from "../support/compiled.ts";

/**
 * The holder: takes the lock on TARGET (a lease of 6 s: refreshed every 2 s), says HELD, and then
 * - END_AT=refresh: ends just after the lock's second refresh has changed the directory's mtime, before the
 *   refresh's callback runs (the second: the first one's mtime can be less than a second after the mtime
 *   precision probe's, which is set up to a second ahead; the second's is 2 s after the first's);
 * - END_AT=release: calls release() and ends at once, without waiting for it; its fs.rmdir, should the
 *   release remove the directory through it (in the thread pool: it may not have run when the process ends),
 *   ends the process before the directory is removed;
 * ending with process.exit(1) (HOW=exit) or with SIGTERM (HOW=signal), where the callback is never run.
 */
const HOLDER = `
import fs from "node:fs";
const { acquireLease, fileLock } = await import(process.env.LOCK_MODULE);
const { TARGET, END_AT, HOW } = process.env;
const end = () => (HOW === "signal" ? process.kill(process.pid, "SIGTERM") : process.exit(1));
let held = false;
let refreshes = 0;
const utimes = fs.utimes;
fs.utimes = (file, atime, mtime, callback) =>
  utimes(file, atime, mtime, (error) => {
    // Before HELD: the mtime precision probe as the lock is taken. After: a refresh, landed.
    if (held && END_AT === "refresh" && ++refreshes === 2) return end();
    callback(error);
  });
const rmdir = fs.rmdir;
fs.rmdir = (dir, ...rest) => {
  if (END_AT === "release" && String(dir) === TARGET + ".lock") return end();
  return rmdir(dir, ...rest);
};
const lease = await acquireLease(fileLock(TARGET), { what: "the test lock", leaseSeconds: 6, waitSeconds: 0, fence: false, report: () => {} });
held = true;
console.log("HELD " + fs.existsSync(TARGET + ".lock") + " " + fs.existsSync(TARGET + ".owner"));
if (END_AT === "release") {
  void lease.release();
  end();
}
setTimeout(() => console.log("NOT ENDED"), 20_000);
`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lock-release-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function holder(name: string, endAt: "refresh" | "release", how: "exit" | "signal") {
  const target = path.join(dir, ".locks", "app", name);
  return new Promise<{ target: string; code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", HOLDER], {
      cwd: repo,
      env: {
        ...process.env,
        LOCK_MODULE: pathToFileURL(js("src/runtime/lock/index.ts")).href,
        TARGET: target,
        END_AT: endAt,
        HOW: how,
      },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.once("close", (code, signal) => resolve({ target, code, signal, out }));
  });
}

describe("a process that ends while it holds a file lock removes its lock directory and owner record", () => {
  for (const [how, ended] of [
    ["exit", { code: 1, signal: null }],
    ["signal", { code: null, signal: "SIGTERM" }],
  ] as const) {
    test(`ended (${how === "exit" ? "process.exit(1)" : "SIGTERM"}) after a refresh of its lock landed, before the refresh's callback ran`, async () => {
      const { target, code, signal, out } = await holder(`refresh-${how}`, "refresh", how);
      expect({ code, signal }, out).toEqual(ended);
      // It held the lock, with its owner record, before it ended.
      expect(out).toContain("HELD true true");
      expect(fs.existsSync(`${target}.lock`), out).toBe(false);
      expect(fs.existsSync(`${target}.owner`), out).toBe(false);
    });

    test(`ended (${how === "exit" ? "process.exit(1)" : "SIGTERM"}) as soon as it had called release()`, async () => {
      const { target, code, signal, out } = await holder(`release-${how}`, "release", how);
      expect({ code, signal }, out).toEqual(ended);
      expect(out).toContain("HELD true true");
      expect(fs.existsSync(`${target}.lock`), out).toBe(false);
      expect(fs.existsSync(`${target}.owner`), out).toBe(false);
    });
  }
});
