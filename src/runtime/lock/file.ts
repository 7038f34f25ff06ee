/**
 * The lease on a local file system (./lease.ts has the mechanism).
 *
 * Built on proper-lockfile: the lock is a directory made with mkdir (atomic
 * on every local file system) whose modification time the holder refreshes
 * (every 2 s, or a third of a shorter lease). A lock whose holder died
 * (killed, crashed, machine rebooted) stops being refreshed and is taken
 * over once it is a lease old (30 s by default), or 5 seconds old when its
 * holder was a process of this machine that no longer runs; so no crash
 * leaves a lock behind for long. Expiry is judged by this machine's clock
 * (the directory's mtime against the contender's clock).
 *
 * Who holds a lock (process, host, command, since when) is written next to
 * it (`<target>.owner`), so that a process that waits can say what it waits for.
 *
 * A loss is proper-lockfile's "compromised" (the directory was removed or
 * refreshed by another process), or no refresh in time (./lease.ts).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import lockfile from "proper-lockfile";
import { parseHolder, seconds, type LeaseHolder } from "./holder.ts";
import { elapsedSince, fenceAfterMs, now, type Attempt, type Grant, type LeaseBackend, type LockInfo } from "./lease.ts";

/** A lock is taken over when its holder has not refreshed it for this long (the file backend's default lease). */
export const STALE_MS = 30_000;
/** How often a holder refreshes its lock (at most). */
const UPDATE_MS = 2_000;
/**
 * A lock whose holder is a process of this machine that no longer runs (killed,
 * crashed) is taken over sooner: once it has not been refreshed for this long,
 * which a live holder never lets happen (so a process id reused, or one of
 * another container with the same host name, cannot make a live lock look dead).
 */
const DEAD_STALE_MS = 5_000;
/** How often a waiting process tries again. */
const RETRY_MS = 250;

const ownerFile = (target: string) => `${target}.owner`;
const lockDir = (target: string) => `${target}.lock`;

/** Who holds the lock on `target`, as its owner file says. */
export function readOwner(target: string): LeaseHolder | undefined {
  try {
    return parseHolder(fs.readFileSync(ownerFile(target), "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * How long ago the lock was last renewed. Never negative: when it takes a
 * lock, proper-lockfile probes the file system's mtime precision by setting
 * the mtime to the next whole second, up to a second ahead of the clock (a
 * holder shown just after as renewed "-1 s ago").
 */
function lockAge(target: string): number | undefined {
  try {
    return Math.max(0, Date.now() - fs.statSync(lockDir(target)).mtimeMs);
  } catch {
    return undefined;
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

const deadHere = (holder: LeaseHolder | undefined) => !!holder && holder.host === os.hostname() && !running(holder.pid);

/** The lock on `target` (a path; it need not exist): `<target>.lock`, with `<target>.owner` beside it. */
export function fileLock(target: string): LeaseBackend {
  return {
    location: target,
    defaultLeaseSeconds: STALE_MS / 1000,
    pollMs: RETRY_MS,

    async attempt(me, leaseMs, lost): Promise<Attempt> {
      await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      const previous = readOwner(target);
      // Expiry is judged by the holder's lease, not ours (its fence closes by its own); one that records none had 30 s.
      const theirs = previous?.leaseSeconds ? previous.leaseSeconds * 1000 : Math.max(leaseMs, STALE_MS);
      // A holder of this machine that no longer runs: its lock is taken over sooner.
      const ended = deadHere(previous);
      const stale = ended ? Math.min(DEAD_STALE_MS, theirs) : theirs;
      const age = lockAge(target);
      const grant = fileGrant(target, me, leaseMs);
      try {
        grant.unlock = await lockfile.lock(target, {
          realpath: false,
          stale,
          update: Math.min(UPDATE_MS, leaseMs / 3),
          retries: 0,
          fs: grant.fs,
          // Only while this attempt's grant is live: an abandoned one's late compromise is not the lease's.
          onCompromised: (error) =>
            !grant.abandoned() &&
            lost(
              !fs.existsSync(lockDir(target))
                ? `its lock directory ${lockDir(target)} was removed (by \`alchemy-iot-jobs unlock --force\`?)`
                : `another process took it over (${error.message})`,
            ),
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
        // Were its holder to end without releasing it: 5 s for one of this machine (it is then known to have ended), else its lease.
        const afterMs = previous?.host === os.hostname() ? Math.min(DEAD_STALE_MS, theirs) : theirs;
        return { kind: "held", holder: previous, takeover: { afterMs, renewedMsAgo: lockAge(target) ?? 0, ended } };
      }
      // proper-lockfile judges staleness itself, when it tries: a lock a little younger than `stale` when its age was
      // read may be stale (and taken over) by then. Its holder's owner record still in place says so: a release removes it.
      const stillTheirs = !!previous && !sameToken(previous, me) && sameToken(readOwner(target), previous);
      const tookOver =
        age !== undefined && (age > stale || stillTheirs)
          ? {
              previous,
              detail:
                stale < theirs
                  ? `its process no longer runs, and it was last renewed ${seconds(Math.max(age, stale))} ago`
                  : `it was not renewed for ${seconds(Math.max(age, stale))} by this machine's clock (the lease is ${seconds(theirs)})`,
            }
          : undefined;
      if (tookOver) {
        // Two contenders that both found the lock stale can both remove it and make their own: proper-lockfile's
        // stat, rmdir and mkdir are not one step. The later one's rmdir removes the earlier one's fresh lock within
        // moments, so look again a moment later, and let this process go on only if the lock is still ours.
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        if (!grant.ours()) {
          grant.abandon!();
          return { kind: "retry" };
        }
      }
      // Written at once (not in the thread pool): no exit finds it half written, or writes it after the exit handler removed it.
      fs.writeFileSync(ownerFile(target), JSON.stringify(me), { mode: 0o600 });
      return { kind: "acquired", grant, ...(tookOver ? { tookOver } : {}) };
    },

    async inspect(): Promise<LockInfo | undefined> {
      const age = lockAge(target);
      if (age === undefined) return undefined;
      const holder = readOwner(target);
      const leaseMs = (holder?.leaseSeconds ?? STALE_MS / 1000) * 1000;
      const dead = deadHere(holder);
      const expired = age > (dead ? Math.min(DEAD_STALE_MS, leaseMs) : leaseMs);
      return {
        holder,
        version: holder?.token ?? `${holder?.pid}@${holder?.since}`,
        expired,
        detail:
          `last renewed ${seconds(age)} ago by this machine's clock; lease ${seconds(leaseMs)}` +
          (dead ? "; its process no longer runs" : "") +
          (expired ? " (expired: the next deploy takes it over)" : ""),
      };
    },

    async breakLock(seen) {
      const holder = readOwner(target);
      if ((holder?.token ?? `${holder?.pid}@${holder?.since}`) !== seen.version) return "changed";
      fs.rmSync(ownerFile(target), { force: true });
      fs.rmSync(lockDir(target), { recursive: true, force: true });
      return "broken";
    },
  };
}

type FileGrant = Grant & { fs: typeof fs; unlock?: () => Promise<void>; ours(): boolean; abandoned(): boolean };

/**
 * The held lock: proper-lockfile refreshes it through `fs`, whose utimes
 * notes each refresh that succeeded (sent in time) and the mtime it set, so
 * the fence knows how fresh the lease is, and a release (ours, or
 * proper-lockfile's own as the process exits) removes only our lock.
 */
function fileGrant(target: string, me: LeaseHolder, leaseMs: number): FileGrant {
  let mtime: number | undefined;
  /**
   * The mtime of the refresh in flight (sent in time), from when it is sent until its callback has run.
   * The change lands in libuv's thread pool, and its callback waits for the main thread: a process that
   * exits in between (process.exit, a signal, a failed deploy's exit under load) finds the directory
   * with an mtime newer than `mtime` by a refresh interval (2 s), which ours() took for another holder's:
   * it left its lock and owner record behind. The directory's mtime is then this one, or still the last.
   */
  let sending: number | undefined;
  let abandoned = false;
  const ours = () => {
    // Once lost, a lock is no longer removed at all: between the check and rmdir another process could take it (it is stale by then).
    if (abandoned) return false;
    const newest = Math.max(mtime ?? -Infinity, sending ?? -Infinity);
    try {
      // A contender takes the lock only once it is stale (2 s at least), so another holder's mtime is at least that much later.
      // Than a refresh in flight too: one sent in time (by the fence's clock) was sent at least max(1 s, a quarter of the
      // lease) before the lock could be stale by our last renewal; a late one counts only once it has landed, as before.
      return newest !== -Infinity && fs.statSync(lockDir(target)).mtimeMs < newest + 1_000;
    } catch {
      return false;
    }
  };
  const removeOwner = () => {
    if (sameToken(readOwner(target), me)) fs.rmSync(ownerFile(target), { force: true });
  };
  const grant: FileGrant = {
    renewedAt: now(),
    ours,
    abandoned: () => abandoned,
    fs: {
      ...fs,
      utimes(file: fs.PathLike, atime: fs.TimeLike, time: fs.TimeLike, callback: fs.NoParamCallback) {
        // A lost lease is not refreshed: proper-lockfile retries until the lock is stale, then gives it up.
        if (abandoned) return callback(Object.assign(new Error("the lease was lost"), { code: "EABANDONED" }));
        const sent = now();
        const late = elapsedSince(grant.renewedAt) > fenceAfterMs(leaseMs);
        const setting = time instanceof Date ? time.getTime() : Number(time) * 1000;
        if (!late) sending = setting;
        fs.utimes(file, atime, time, (error) => {
          if (sending === setting) sending = undefined;
          if (!error) {
            mtime = setting;
            // A refresh sent after the fence closed does not reopen it (the lease may have changed hands meanwhile).
            if (!late) grant.renewedAt = sent;
          }
          callback(error);
        });
      },
      // Synchronous, so that a release has removed the directory when release() returns (proper-lockfile's unlock
      // runs synchronously up to here): the process has stopped counting it as held (no exit handler removes it
      // any more), and no exit (a signal, an exit that does not wait for the release) can come before it is gone.
      rmdir(dir: fs.PathLike, callback: fs.NoParamCallback) {
        try {
          fs.rmdirSync(dir);
        } catch (error) {
          return callback(error as NodeJS.ErrnoException);
        }
        callback(null);
      },
      // proper-lockfile removes the locks it still knows of as the process exits: never one that is no longer ours.
      rmdirSync(dir: fs.PathLike) {
        if (ours()) fs.rmdirSync(dir);
      },
    } as typeof fs,
    currentHolder: async () => {
      // A new holder writes its owner file just after it takes the directory: give it a moment.
      for (let i = 0; i < 4; i++) {
        if (lockAge(target) === undefined) return undefined;
        const holder = readOwner(target);
        if (!sameToken(holder, me)) return holder;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      return readOwner(target);
    },
    async release() {
      const stillOurs = ours();
      if (stillOurs) removeOwner();
      if (stillOurs) await grant.unlock?.().catch(() => {});
    },
    abandon() {
      abandoned = true;
    },
    releaseSync() {
      if (!ours()) return;
      removeOwner();
      try {
        fs.rmdirSync(lockDir(target));
      } catch {
        // Already gone.
      }
    },
  };
  return grant;
}

const sameToken = (a: LeaseHolder | undefined, b: LeaseHolder) => !!a?.token && a.token === b.token;
