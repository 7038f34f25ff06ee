/**
 * What a file lock says of when it is taken over, and a holder known to have
 * ended (issue 24). A lock whose holder is a process of this machine that no
 * longer runs is taken over 5 s after its last renewal (src/runtime/lock/file.ts):
 * the messages say so (not the 30 s lease of a holder of another machine),
 * and a contender waits those few seconds instead of refusing, even with a
 * wait of 0 (the standalone endpoint's, ALCHEMY_IOT_LOCK_TIMEOUT=0). Real
 * processes, real lock directories.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { acquireLease, fileLock, LockTimeoutError } from "../../src/runtime/lock/index.ts";

let dir: string;
let target: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lock-takeover-"));
  target = path.join(dir, ".locks", "fleet", "dev");
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

const WHAT = 'the state of stage "dev" of app "fleet"';

/** A lock held by `pid` on `host`, last renewed `ago` ms ago, as a holder leaves it. */
function holdAs(pid: number, host: string, ago = 0): void {
  fs.mkdirSync(`${target}.lock`, { recursive: true });
  fs.writeFileSync(
    `${target}.owner`,
    JSON.stringify({ pid, host, command: "alchemy.run.ts --stage dev", since: "2026-01-01T00:00:00.000Z", leaseSeconds: 30 }),
  );
  const at = new Date(Date.now() - ago);
  fs.utimesSync(`${target}.lock`, at, at);
}

/** A process of this machine that has ended. */
const endedPid = () => spawnSync("true").pid!;

function living(): number {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  children.push(child);
  return child.pid!;
}

async function refusal(waitSeconds = 0): Promise<{ error: Error; reports: string[] }> {
  const reports: string[] = [];
  const error = await acquireLease(fileLock(target), { what: WHAT, waitSeconds, report: (m) => reports.push(m), fence: false }).then(
    async (lease) => {
      await lease.release();
      throw new Error("the lock was taken");
    },
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(LockTimeoutError);
  return { error, reports };
}

test("a live holder of this machine: refused at once with a wait of 0, and told that its lock is taken over 5 s after its last renewal should it end", async () => {
  const pid = living();
  holdAs(pid, os.hostname());
  const { error } = await refusal();
  expect(error.message).toBe(
    `The state of stage "dev" of app "fleet" is locked by process ${pid} (alchemy.run.ts --stage dev), since 2026-01-01T00:00:00.000Z. ` +
      "Wait for that process to finish and run again. If it ends without releasing the lock, the lock is taken over 5 s after its last renewal; " +
      "ALCHEMY_IOT_LOCK_TIMEOUT (seconds) sets how long to wait.",
  );
});

test("a holder of another machine: its lease (30 s) is what counts, as this machine cannot tell whether it runs", async () => {
  holdAs(4242, "ci-7.example");
  const { error } = await refusal();
  expect(error.message).toContain("is locked by process 4242 on ci-7.example (alchemy.run.ts --stage dev)");
  expect(error.message).toContain("If it ends without releasing the lock, the lock is taken over 30 s after its last renewal;");
});

test("a holder of this machine that no longer runs: with a wait of 0, its lock is waited for and taken over 5 s after its last renewal, saying so", async () => {
  const pid = endedPid();
  holdAs(pid, os.hostname(), 2_000);
  const reports: string[] = [];
  const started = performance.now();
  const lease = await acquireLease(fileLock(target), { what: WHAT, waitSeconds: 0, report: (m) => reports.push(m), fence: false });
  const tookMs = performance.now() - started;
  await lease.release();
  expect(tookMs).toBeGreaterThan(2_000);
  expect(tookMs).toBeLessThan(6_000);
  expect(reports[0]).toMatch(
    new RegExp(
      `^Waiting for ${WHAT}: process ${pid} \\(alchemy\\.run\\.ts --stage dev\\), since 2026-01-01T00:00:00\\.000Z held it and no longer runs; ` +
        "its lock is taken over 5 s after its last renewal, in [1-3] s\\.$",
    ),
  );
  expect(reports).toContainEqual(
    expect.stringMatching(
      new RegExp(
        `^Took over the lock on ${WHAT} from process ${pid} .*: its process no longer runs, and it was last renewed [5-9] s ago\\.$`,
      ),
    ),
  );
  expect(fs.existsSync(`${target}.lock`)).toBe(false);
});

test("a holder that no longer runs but whose lock is still renewed (its id reused): waited for once, then refused saying what was seen", async () => {
  const pid = endedPid();
  holdAs(pid, os.hostname());
  const fresh = setInterval(() => fs.utimesSync(`${target}.lock`, new Date(), new Date()), 200);
  try {
    const started = performance.now();
    const { error } = await refusal();
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(error.message).toMatch(
      new RegExp(
        `^The state of stage "dev" of app "fleet" is locked by process ${pid} \\(alchemy\\.run\\.ts --stage dev\\), since \\S+, which no longer runs on this machine, ` +
          `yet the lock was renewed 0 s ago \\(another process may have the same id, or run in another container with this host name\\)\\. ` +
          `It is taken over once it has not been renewed for 5 s;`,
      ),
    );
  } finally {
    clearInterval(fresh);
  }
});
