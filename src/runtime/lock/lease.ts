/**
 * One lease mechanism, two backends (./file.ts: a directory next to the
 * state files; ./s3.ts: an object next to the state on S3). A deploy or a
 * destroy holds a lease on its stage from before its first call to its end:
 *
 * - **Acquire**: the backend's create-only write. While another process
 *   holds a live lease, wait, saying every 5 s what is locked, by whom and
 *   for how long it has waited; give up after `waitSeconds` (0 refuses at
 *   once) with a LockTimeoutError naming the holder. A lease its holder has
 *   not renewed in time is taken over (the backend judges expiry by the
 *   store's clock), and the process says so, naming the previous holder.
 *   A holder known to have ended (the file backend: a process of this
 *   machine that no longer runs, taken over 5 s after its last renewal) holds
 *   nothing: its takeover is waited for, a few seconds, even with a wait of 0.
 *   Messages say when a lock is taken over as the backend judges it.
 * - **Renew**: the file backend's proper-lockfile refreshes its directory;
 *   the S3 backend is renewed here, every third of the lease, with a write
 *   conditional on the lock still being ours.
 * - **Lose**: a renewal refused because another process holds the lock now,
 *   a lock removed by `alchemy-iot-jobs unlock --force`, or no renewal in
 *   time (a pause, a partition). The lease's fence (../fence.ts) then refuses
 *   every write, and `onLost` is called once with a message naming the new
 *   holder. "In time" is measured here, on this process's own clocks, with a
 *   margin: the fence closes `leaseSeconds - margin` after the last renewal
 *   that succeeded was *sent*, so a process resumed after a pause refuses
 *   its next write before it has even learned that it was taken over. A
 *   lost lease stays lost: its fence stays closed for the rest of the
 *   process, and it is no longer renewed.
 * - **Release**: at the end, and when the process exits (signals included,
 *   through signal-exit), the lock is removed, only while it is still ours
 *   (S3: a delete conditional on our ETag, which a lost lease may still try;
 *   files: a lost lease leaves its lock to expire).
 */
import { onExit } from "signal-exit";
import { addFence, LeaseLostError, removeFence, type Fence } from "../fence.ts";
import { capitalize, describeHolder, sameHolder, seconds, thisHolder, type LeaseHolder } from "./holder.ts";

/** How long a process waits for a lock by default (ALCHEMY_IOT_LOCK_TIMEOUT, in seconds, changes it; 0 refuses at once). */
export const DEFAULT_WAIT_SECONDS = 15 * 60;
/** How often a waiting process says it still waits. */
const REPORT_EVERY_MS = 5_000;
/** How long past its takeover time a lock whose holder has ended is waited for (the takeover itself checks again after a moment). */
const ENDED_GRACE_MS = 2_000;
/** How long a lost lease looks for its new holder before it reports the loss without naming it. */
const LOOKUP_MS = 5_000;

export class LockTimeoutError extends Error {
  override name = "LockTimeoutError";
}

/** A moment on both of this process's clocks. */
export interface Stamp {
  /** performance.now(): monotonic, and it keeps counting while the process is stopped (SIGSTOP). */
  mono: number;
  /** Date.now(): the one that counts while the machine sleeps (the monotonic clock stops then on Linux and macOS). */
  wall: number;
}

export const now = (): Stamp => ({ mono: performance.now(), wall: Date.now() });

/** Time since `stamp`, by whichever clock says more: a pause, a sleep or a clock set back never makes it look shorter. */
export const elapsedSince = (stamp: Stamp): number => Math.max(performance.now() - stamp.mono, Date.now() - stamp.wall);

/**
 * How long after its last renewal (as sent) a holder stops writing: the
 * lease minus a margin (a quarter of it, at least 1 s) that covers a write
 * in flight when the fence was checked and a difference in clock rates.
 */
export const fenceAfterMs = (leaseMs: number): number => leaseMs - Math.max(1_000, leaseMs / 4);

/** What a backend found when it tried to take the lock. */
export type Attempt =
  | { kind: "acquired"; grant: Grant; tookOver?: { previous: LeaseHolder | undefined; detail: string } }
  | { kind: "held"; holder: LeaseHolder | undefined; takeover?: Takeover }
  /** The lock changed hands while it looked: look again at once. */
  | { kind: "retry" };

/** When a held lock is taken over, as the backend judges it (the file backend knows whether a holder of this machine runs). */
export interface Takeover {
  /** How long after its last renewal the lock is taken over once its holder has ended without releasing it. */
  afterMs: number;
  /** How long ago it was last renewed. */
  renewedMsAgo: number;
  /** The holder's process is known to have ended (a process of this machine that no longer runs). */
  ended: boolean;
}

export type Renewal = { kind: "renewed" } | { kind: "retry" } | { kind: "lost"; reason: string; holder?: LeaseHolder };

/** A lock this process took: what the core needs of the backend while it holds it. */
export interface Grant {
  /** When the last renewal that succeeded (or the acquiring write) was sent; the backend moves it. */
  renewedAt: Stamp;
  /** One renewal (backends the core renews); throws on a network error (the core tries again until the deadline). */
  renew?(signal: AbortSignal): Promise<Renewal>;
  /** Who holds the lock now, if anyone can be read. */
  currentHolder(): Promise<LeaseHolder | undefined>;
  /** Who took this lease over, if the backend records takeovers (the taker may have released the lock since). */
  takenOverBy?(): Promise<LeaseHolder | undefined>;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
  /** The same, synchronously, as the process exits (bounded). */
  releaseSync(): void;
  /**
   * The lease is lost: stop renewing it, and from now on remove the lock
   * only if that cannot remove another holder's (a file lock is left to expire).
   */
  abandon?(): void;
}

/** A lock as `alchemy-iot-jobs unlock` shows it. */
export interface LockInfo {
  holder: LeaseHolder | undefined;
  /** Tells this holding from a later one: breaking refuses when it changed. */
  version: string;
  /** Whether a contender would take it over now, and what it judges by. */
  expired: boolean;
  detail: string;
}

export interface LeaseBackend {
  /** Where the lock lives: a path, or s3://bucket/key. */
  readonly location: string;
  readonly defaultLeaseSeconds: number;
  /** How often a waiting process tries again. */
  readonly pollMs: number;
  /** One try: take the lock, take over an expired one, or say who holds it. `lost` reports a loss the backend finds on its own. */
  attempt(me: LeaseHolder, leaseMs: number, lost: (reason: string, holder?: LeaseHolder) => void): Promise<Attempt>;
  inspect(): Promise<LockInfo | undefined>;
  /** Removes the lock if it is still the one `seen` showed. */
  breakLock(seen: LockInfo): Promise<"broken" | "changed">;
}

export interface LeaseOptions {
  /** What the lock protects, for messages: `the state of stage "dev" of app "x" (s3://b/alchemy/.locks/x/dev)`. */
  what: string;
  /** How long a lease lasts without renewal (default: the backend's: 30 s on files, 60 s on S3). At least 2. */
  leaseSeconds?: number;
  /** How long to wait for another holder (default: ALCHEMY_IOT_LOCK_TIMEOUT or 900; 0 refuses at once). */
  waitSeconds?: number;
  /** Progress and takeovers (default: stderr). */
  report?: (message: string) => void;
  /** Called once when the lease is lost, with a message naming the new holder (default: `report`). */
  onLost?: (message: string) => void;
  /** Recorded in the lock, for `unlock` and the messages of other processes. */
  app?: string;
  stage?: string;
  /** Make every state write and mutating call of the process check this lease (default true). */
  fence?: boolean;
}

export interface Lease {
  /** This process, as the lock records it. */
  readonly holder: LeaseHolder;
  readonly location: string;
  readonly leaseSeconds: number;
  /** What writes check; registered with the process's fences unless `fence: false`. */
  readonly fence: Fence;
  /** Why the lease is lost (or may be), once it is. */
  lostReason(): string | undefined;
  /** Ends the lease and removes the lock if it is still ours. A lost lease keeps its fence closed. */
  release(): Promise<void>;
}

/** The wait, from the environment: ALCHEMY_IOT_LOCK_TIMEOUT in seconds. */
export function lockWaitSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ALCHEMY_IOT_LOCK_TIMEOUT;
  if (raw === undefined || raw === "") return DEFAULT_WAIT_SECONDS;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`ALCHEMY_IOT_LOCK_TIMEOUT: ${JSON.stringify(raw)} must be a number of seconds (0 or more)`);
  }
  return value;
}

/** The tokens of the leases this process holds: waiting for one of them would wait for itself. */
const ownTokens = new Set<string>();

/** Grants this process holds: released as it exits, signals included (each copy of the package keeps its own). */
const live = new Set<Grant>();
let exitHooked = false;
function releaseOnExit(grant: Grant): void {
  live.add(grant);
  if (exitHooked) return;
  exitHooked = true;
  onExit(() => {
    for (const g of live) {
      try {
        g.releaseSync();
      } catch {
        // Best effort: a lock left behind expires after its lease.
      }
    }
    live.clear();
  });
}

/** Takes the lock of `backend`, waiting while another process holds it; see the module's comment. */
export async function acquireLease(backend: LeaseBackend, options: LeaseOptions): Promise<Lease> {
  const report = options.report ?? ((m: string) => void process.stderr.write(`${m}\n`));
  const leaseSeconds = options.leaseSeconds ?? backend.defaultLeaseSeconds;
  if (!Number.isFinite(leaseSeconds) || leaseSeconds < 2) {
    throw new Error(`lock.leaseSeconds: ${leaseSeconds} must be a number of seconds, at least 2 (the store's clock counts whole seconds)`);
  }
  const waitSeconds = options.waitSeconds ?? lockWaitSeconds();
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0)
    throw new Error(`lock.waitSeconds: ${waitSeconds} must be a number of seconds (0 or more)`);
  const leaseMs = leaseSeconds * 1000;
  const waitMs = waitSeconds * 1000;
  const me = thisHolder({ app: options.app, stage: options.stage, leaseSeconds });
  // A loss the backend reports on its own is routed to the lease once it exists.
  let onBackendLoss: (reason: string, holder?: LeaseHolder) => void = () => {};
  const started = performance.now();
  let reported = 0;
  // A holder known to have ended is no holder: its lock is taken over within seconds, even with a wait of 0.
  let deadlineMs = waitMs;
  let waitsForEnded = false;
  for (;;) {
    const attempt = await backend.attempt(me, leaseMs, (reason, holder) => onBackendLoss(reason, holder));
    if (attempt.kind === "acquired") {
      if (attempt.tookOver)
        report(`Took over the lock on ${options.what} from ${describeHolder(attempt.tookOver.previous)}: ${attempt.tookOver.detail}.`);
      if (reported > 0) report(`Got the lock on ${options.what} after ${seconds(performance.now() - started)}.`);
      const lease = hold(backend, attempt.grant, me, leaseMs, options, report);
      onBackendLoss = lease.lose;
      return lease.lease;
    }
    if (attempt.kind === "retry") continue;
    if (attempt.holder?.token && ownTokens.has(attempt.holder.token)) {
      throw new Error(
        `${capitalize(options.what)} is locked by this process already (${backend.location}): a lock is taken once per process and released before it is taken again.`,
      );
    }
    const waited = performance.now() - started;
    const owner = describeHolder(attempt.holder);
    const takeover = attempt.takeover;
    const takeoverAfter = seconds(takeover?.afterMs ?? (attempt.holder?.leaseSeconds ?? leaseSeconds) * 1000);
    const inMs = takeover ? Math.max(0, takeover.afterMs - takeover.renewedMsAgo) : 0;
    if (takeover?.ended && !waitsForEnded) {
      // Once: a lock that stays fresh (its process id reused by another) is then waited for as any other.
      waitsForEnded = true;
      deadlineMs = Math.max(deadlineMs, waited + inMs + ENDED_GRACE_MS);
    }
    if (waited >= deadlineMs) {
      throw new LockTimeoutError(
        takeover?.ended
          ? `${capitalize(options.what)} is locked by ${owner}, which no longer runs on this machine, yet the lock was renewed ` +
              `${seconds(takeover.renewedMsAgo)} ago (another process may have the same id, or run in another container with this host name). ` +
              `It is taken over once it has not been renewed for ${takeoverAfter}; ALCHEMY_IOT_LOCK_TIMEOUT (seconds) sets how long to wait.`
          : `${capitalize(options.what)} is locked by ${owner}${waitMs > 0 ? `; gave up after ${seconds(waited)}` : ""}. ` +
              `Wait for that process to finish and run again. If it ends without releasing the lock, the lock is taken over ${takeoverAfter} after its last renewal; ` +
              `ALCHEMY_IOT_LOCK_TIMEOUT (seconds) sets how long to wait.`,
      );
    }
    if (waited >= reported * REPORT_EVERY_MS) {
      report(
        takeover?.ended
          ? `Waiting for ${options.what}: ${owner} held it and no longer runs; its lock is taken over ${takeoverAfter} after its last renewal, in ${Math.ceil(inMs / 1000)} s.`
          : `Waiting for ${options.what}, locked by ${owner}; waited ${seconds(waited)} (gives up after ${seconds(waitMs)}).`,
      );
      reported++;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(backend.pollMs, deadlineMs - waited)));
  }
}

/** The held lease: heartbeat, fence, loss and release. */
function hold(
  backend: LeaseBackend,
  grant: Grant,
  me: LeaseHolder,
  leaseMs: number,
  options: LeaseOptions,
  report: (message: string) => void,
): { lease: Lease; lose: (reason: string, holder?: LeaseHolder) => void } {
  const limitMs = fenceAfterMs(leaseMs);
  let state: "held" | "lost" | "released" = "held";
  let lostMessage = "";
  let lostReason: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastError: unknown;

  const message = (reason: string, holder: LeaseHolder | undefined, known: boolean, taker?: LeaseHolder) =>
    `Lost the lock on ${options.what}: ${reason}. ` +
    (holder
      ? `${capitalize(describeHolder(holder))} holds it now; this process makes no further change: what the lock protects is that process's now.`
      : taker
        ? `${capitalize(describeHolder(taker))} took it over and has released it since; this process makes no further change: what the lock protects is as that process left it.`
        : `${known ? "No other process holds it yet, but one may take it at any moment" : "Another process may hold it now"}; this process makes no further change.`);

  const overdue = () =>
    `it was not renewed for ${seconds(elapsedSince(grant.renewedAt))} (the lease is ${seconds(leaseMs)}; ` +
    `this process was paused or starved, or could not renew it${lastError ? `: ${(lastError as Error).message}` : ""})`;

  function lose(reason: string, holder?: LeaseHolder): void {
    if (state !== "held") return;
    state = "lost";
    lostReason = reason;
    if (timer) clearTimeout(timer);
    // No more renewals. The grant stays in `live`: its release removes the lock only where that is safe (./s3.ts: conditional on our ETag).
    grant.abandon?.();
    lostMessage = message(reason, holder, false);
    void (async () => {
      let current = holder;
      let known = !!holder;
      if (!current) {
        try {
          current = await Promise.race([
            grant.currentHolder(),
            new Promise<undefined>((_, reject) => setTimeout(() => reject(new Error("timeout")), LOOKUP_MS).unref()),
          ]);
          known = true;
        } catch {
          current = undefined;
        }
      }
      if (sameHolder(current, me)) current = undefined;
      let taker: LeaseHolder | undefined;
      if (!current && grant.takenOverBy) taker = await grant.takenOverBy().catch(() => undefined);
      lostMessage = message(reason, current, known, taker);
      (options.onLost ?? report)(lostMessage);
    })();
  }

  const fence: Fence = {
    check(what: string) {
      if (state === "held" && elapsedSince(grant.renewedAt) > limitMs) lose(overdue());
      if (state === "lost") throw new LeaseLostError(`${lostMessage} Refused: ${what}.`);
    },
  };

  if (grant.renew) {
    const renew = grant.renew.bind(grant);
    const everyMs = leaseMs / 3;
    const schedule = (ms: number) => {
      timer = setTimeout(() => void beat(), ms);
      timer.unref();
    };
    const beat = async () => {
      timer = undefined;
      if (state !== "held") return;
      const left = limitMs - elapsedSince(grant.renewedAt);
      if (left <= 0) return lose(overdue());
      try {
        const renewal = await renew(AbortSignal.timeout(Math.ceil(left)));
        if (state !== "held") return;
        if (renewal.kind === "lost") return lose(renewal.reason, renewal.holder);
        lastError = undefined;
        schedule(renewal.kind === "renewed" ? everyMs : 0);
      } catch (error) {
        // The SDK has retried already; keep trying until the deadline, which the next beat checks.
        lastError = error;
        if (state === "held") schedule(Math.min(1_000, everyMs));
      }
    };
    schedule(everyMs);
  }

  releaseOnExit(grant);
  ownTokens.add(me.token!);
  if (options.fence !== false) addFence(fence);

  const lease: Lease = {
    holder: me,
    location: backend.location,
    leaseSeconds: leaseMs / 1000,
    fence,
    lostReason: () => lostReason,
    async release() {
      if (state === "held" && elapsedSince(grant.renewedAt) > limitMs) lose(overdue());
      if (state === "released" || !live.has(grant)) return;
      live.delete(grant);
      ownTokens.delete(me.token!);
      if (state === "held") {
        // A lost lease keeps its fence closed for the rest of the process.
        state = "released";
        if (timer) clearTimeout(timer);
        if (options.fence !== false) removeFence(fence);
      }
      await grant
        .release()
        .catch((error: Error) =>
          report(
            `Could not release the lock on ${options.what} (${error.message}); another process takes it over ${seconds(leaseMs)} after its last renewal.`,
          ),
        );
    },
  };
  return { lease, lose };
}
