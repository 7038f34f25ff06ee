/**
 * Cross-process locks on files: one process at a time deploys a stage, and
 * one process at a time owns the embedded endpoint's data file.
 *
 * Built on proper-lockfile: the lock is a directory made with mkdir (atomic
 * on every local file system) whose modification time the holder refreshes
 * every 2 seconds. A lock whose holder died (killed, crashed, machine
 * rebooted) stops being refreshed and is taken over once it is `STALE_MS`
 * old, or 5 seconds old when its holder was a process of this machine that
 * no longer runs; so no crash leaves a lock behind for long. A process that
 * exits, signals included, removes its locks.
 *
 * Who holds a lock (process id, host, command, since when) is written next to
 * it, so that a process that waits can say what it waits for.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import lockfile from "proper-lockfile";
import { onExit } from "signal-exit";

/** A lock is taken over when its holder has not refreshed it for this long. */
export const STALE_MS = 30_000;
/** How often a holder refreshes its lock. */
const UPDATE_MS = 2_000;
/**
 * A lock whose holder is a process of this machine that no longer runs (killed,
 * crashed) is taken over sooner: once it has not been refreshed for this long,
 * which a live holder never lets happen (so a process id reused, or one of
 * another container with the same host name, cannot make a live lock look dead).
 */
const DEAD_STALE_MS = 5_000;
/** How often a waiting process tries again, and says it still waits. */
const RETRY_MS = 250;
const REPORT_EVERY_MS = 5_000;
/** How long a process waits for a lock by default (ALCHEMY_IOT_LOCK_TIMEOUT, in seconds, changes it; 0 refuses at once). */
export const DEFAULT_TIMEOUT_MS = 15 * 60_000;

export interface LockOwner {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export class LockTimeoutError extends Error {
  override name = "LockTimeoutError";
}

export interface HeldLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** What the lock protects, for messages: `the state of stage "dev"`. */
  what: string;
  /** Says that the process waits (default: stderr). */
  report?: (message: string) => void;
  /** Milliseconds to wait before giving up (default: ALCHEMY_IOT_LOCK_TIMEOUT or 15 minutes). */
  timeoutMs?: number;
}

const ownerFile = (target: string) => `${target}.owner`;
const lockDir = (target: string) => `${target}.lock`;

/**
 * Locks this process holds. They are removed when it exits, signals
 * included. (proper-lockfile means to do it too, with its own copy of
 * signal-exit, but a second copy loaded later, as Alchemy's is, keeps it from running.)
 */
const held = new Set<string>();
onExit(() => {
  for (const target of held) {
    fs.rmSync(ownerFile(target), { force: true });
    try {
      fs.rmdirSync(lockDir(target));
    } catch {
      // Taken over meanwhile, or already gone.
    }
  }
});

/** The wait, from the environment: ALCHEMY_IOT_LOCK_TIMEOUT in seconds. */
export function lockTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ALCHEMY_IOT_LOCK_TIMEOUT;
  if (raw === undefined || raw === "") return DEFAULT_TIMEOUT_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(`ALCHEMY_IOT_LOCK_TIMEOUT: ${JSON.stringify(raw)} must be a number of seconds (0 or more)`);
  }
  return seconds * 1000;
}

function readOwner(target: string): LockOwner | undefined {
  try {
    return JSON.parse(fs.readFileSync(ownerFile(target), "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

function describeOwner(owner: LockOwner | undefined): string {
  if (!owner) return "another process";
  const host = owner.host === os.hostname() ? "" : ` on ${owner.host}`;
  return `process ${owner.pid}${host} (${owner.command}), since ${owner.since}`;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * Takes the lock on `target` (a path; it need not exist), waiting while
 * another process holds it and saying so every few seconds.
 */
export async function acquire(target: string, options: LockOptions): Promise<HeldLock> {
  const report = options.report ?? ((m: string) => process.stderr.write(`${m}\n`));
  const timeoutMs = options.timeoutMs ?? lockTimeoutMs();
  await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  const started = Date.now();
  let reported = 0;
  let stale = STALE_MS;
  for (;;) {
    try {
      const unlock = await lockfile.lock(target, {
        realpath: false,
        stale,
        update: UPDATE_MS,
        retries: 0,
        // Another process found the lock stale and took it (this process was stopped or starved for 30 s):
        // say so instead of throwing from a timer; the other process now owns what the lock protects.
        onCompromised: (error) => report(`Warning: the lock on ${options.what} was lost (${error.message}); another process may now be changing it.`),
      });
      held.add(target);
      const owner: LockOwner = { pid: process.pid, host: os.hostname(), command: commandLine(), since: new Date().toISOString() };
      await fs.promises.writeFile(ownerFile(target), JSON.stringify(owner), { mode: 0o600 });
      if (reported > 0) report(`Got the lock on ${options.what} after ${seconds(Date.now() - started)}.`);
      return {
        async release() {
          held.delete(target);
          await fs.promises.rm(ownerFile(target), { force: true });
          await unlock().catch(() => {});
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
    }
    const waited = Date.now() - started;
    const holder = readOwner(target);
    const deadHolder = !!holder && holder.host === os.hostname() && !running(holder.pid);
    if (deadHolder && stale !== DEAD_STALE_MS) {
      // Try again at once, taking the lock over if it is old enough for a holder that no longer runs.
      stale = DEAD_STALE_MS;
      continue;
    }
    if (!deadHolder) stale = STALE_MS;
    const owner = describeOwner(holder);
    if (waited >= timeoutMs) {
      throw new LockTimeoutError(
        `${capitalize(options.what)} is locked by ${owner}${waited > 0 ? `; gave up after ${seconds(waited)}` : ""}. ` +
          `Wait for that process to finish and run again. A lock whose process has ended is taken over ${seconds(STALE_MS)} after it stopped; ` +
          `ALCHEMY_IOT_LOCK_TIMEOUT (seconds) sets how long to wait.`,
      );
    }
    if (waited >= reported * REPORT_EVERY_MS) {
      report(`Waiting for ${options.what}, locked by ${owner}; waited ${seconds(waited)} (gives up after ${seconds(timeoutMs)}).`);
      reported++;
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/** Does a process of this machine run (a process of another user counts)? */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function commandLine(): string {
  const args = process.argv.slice(1).map((a) => path.basename(a));
  return args.join(" ").slice(0, 200) || "node";
}
