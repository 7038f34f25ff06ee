/**
 * Cross-process locks on files: one process at a time deploys a stage, and
 * one process at a time owns the embedded endpoint's data file.
 *
 * The mechanism is the lease of src/runtime/lock (one mechanism, a file and
 * an S3 backend); this module keeps the file lock's first API for its
 * callers: `acquire(target, { what, report, timeoutMs })` takes the lock on
 * `<target>.lock` (owner in `<target>.owner`), waits while another process
 * holds it, saying so, and hands back something to release. A lock lost
 * (taken over by another process) is reported as a warning; it does not
 * fence this process's writes (acquireLease with the file backend does).
 */
import { acquireLease, DEFAULT_WAIT_SECONDS, lockWaitSeconds, LockTimeoutError } from "./lease.ts";
import { fileLock, STALE_MS } from "./file.ts";

export { LockTimeoutError, STALE_MS };
export { acquireLease, fileLock };

/** How long a process waits for a lock by default (ALCHEMY_IOT_LOCK_TIMEOUT, in seconds, changes it; 0 refuses at once). */
export const DEFAULT_TIMEOUT_MS = DEFAULT_WAIT_SECONDS * 1000;

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

/** The wait, from the environment: ALCHEMY_IOT_LOCK_TIMEOUT in seconds. */
export function lockTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  return lockWaitSeconds(env) * 1000;
}

/**
 * Takes the lock on `target` (a path; it need not exist), waiting while
 * another process holds it and saying so every few seconds.
 */
export async function acquire(target: string, options: LockOptions): Promise<HeldLock> {
  const report = options.report ?? ((m: string) => void process.stderr.write(`${m}\n`));
  const lease = await acquireLease(fileLock(target), {
    what: options.what,
    report,
    waitSeconds: (options.timeoutMs ?? lockTimeoutMs()) / 1000,
    fence: false,
    onLost: (message) => report(`Warning: ${message}`),
  });
  return { release: () => lease.release() };
}
