/**
 * The lease a deploy or a destroy holds on its stage's state, from before
 * the stage's first resource is applied (or its destroy starts) to the end:
 * one mechanism (./lease.ts), with the backend the state store calls for:
 *
 * - a file store (Alchemy's default, AtomicFileSystemStateStore): a lock next
 *   to the state files, `<state root>/.locks/<app>/<stage>` (./file.ts);
 * - the S3 state store (alchemy-iot-jobs/state): the object
 *   `<prefix>.locks/<app>/<stage>` (./s3.ts), with the store's `lock`
 *   options (`false` turns it off);
 * - any other store: no lock (a team serialises its deploys itself).
 *
 * A preview and a rehearsal take no lock. A holder that loses its lease
 * (paused past its expiry, cut off while another process took it over)
 * stops at once: it prints why, naming the new holder, and exits 1; its
 * fence has refused every write since (../fence.ts).
 */
import path from "node:path";
import type { Scope } from "alchemy";
import { formatFailure } from "../failure.ts";
import { LeaseLostError, removeFence } from "../fence.ts";
import { programOfProcess } from "../program.ts";
import { currentMode } from "../registry.ts";
import { fileLock } from "./file.ts";
import { acquireLease, type Lease, type LeaseBackend } from "./lease.ts";
import { s3Lock, type S3LockLocation } from "./s3.ts";

/** What a store that keeps its stage's lock elsewhere than in files offers (S3StateStore). */
interface LockingStore {
  init?(): Promise<void>;
  /** Where the stage's lock lives (`lockTarget` in a store made by a copy of this package before 0.3). */
  lockLocation?(app: string, stage: string): S3LockLocation | undefined;
  lockTarget?(app: string, stage: string): S3LockLocation | undefined;
  readonly lock: false | { leaseSeconds: number; waitSeconds: number };
}

const isLockingStore = (store: unknown): store is LockingStore =>
  typeof (store as LockingStore | undefined)?.lockLocation === "function" ||
  typeof (store as LockingStore | undefined)?.lockTarget === "function";

const lockLocationOf = (store: LockingStore, app: string, stage: string) =>
  store.lockLocation ? store.lockLocation(app, stage) : store.lockTarget?.(app, stage);

/**
 * Where a file store's stage lock lives: `<state root>/.locks/<app>/<stage>`,
 * next to (not inside) the state files, so no store lists it.
 */
export function stageLockPath(stage: Scope): string | undefined {
  const dir = (stage.state as { dir?: unknown }).dir;
  if (typeof dir !== "string") return undefined;
  const chain = path.join(...stage.chain);
  const root = dir.endsWith(chain) ? dir.slice(0, dir.length - chain.length) : stage.dotAlchemy;
  return path.join(root, ".locks", chain);
}

/** The lock a stage's deploy or destroy takes, and where it lives. */
interface StageLock {
  backend: LeaseBackend;
  leaseSeconds?: number;
  waitSeconds?: number;
  /** Where, as said to the user (a file's path relative to the working directory). */
  where: string;
  /** Which lock it is, in this process: the lock file's absolute path, or the S3 object's location. */
  key: string;
}

/** The lock a stage's deploy or destroy takes, or undefined (a preview, a rehearsal, a store without one). */
function stageLockOf(stage: Scope): StageLock | undefined {
  if (currentMode() || stage.phase === "read") return undefined;
  const store = stage.state;
  if (isLockingStore(store)) {
    const location = lockLocationOf(store, stage.appName, stage.stage);
    if (!location || !store.lock) return undefined;
    const backend = s3Lock(location);
    return {
      backend,
      leaseSeconds: store.lock.leaseSeconds,
      waitSeconds: store.lock.waitSeconds,
      where: backend.location,
      key: backend.location,
    };
  }
  const file = stageLockPath(stage);
  return file ? { backend: fileLock(file), where: path.relative(process.cwd(), file) || file, key: path.resolve(file) } : undefined;
}

/**
 * The leases this process holds, by lock (StageLock.key). Not by app and stage: a host that runs
 * programs in its own process (a test runner) may deploy one app and stage to several state roots,
 * and each has its own lock.
 */
const held = new Map<string, Promise<Lease>>();

/** Takes the stage's lease (once per lock and process; later calls wait for the same one). */
export async function lockStage(stage: Scope): Promise<void> {
  const lock = stageLockOf(stage);
  if (!lock) return;
  const key = lock.key;
  let pending = held.get(key);
  if (!pending) {
    // A store that keeps the lock beside the state checks it can reach the state first (a missing bucket is said as such).
    if (isLockingStore(stage.state)) await stage.state.init?.();
    const action = stage.phase === "destroy" ? "Destroy" : "Deploy";
    pending = acquireLease(lock.backend, {
      what: `the state of stage "${stage.stage}" of app "${stage.appName}" (${lock.where})`,
      leaseSeconds: lock.leaseSeconds,
      waitSeconds: lock.waitSeconds,
      app: stage.appName,
      stage: stage.stage,
      onLost(message) {
        // Nothing more is written (the fence refuses it): a program stops now, saying why and who holds the stage.
        process.stderr.write(
          `${formatFailure(new LeaseLostError(message), { action, verbose: false }).replace(/\n {2}\(DEBUG=1 shows the stack trace\.\)/, "")}\n`,
        );
        process.exitCode = 1;
        if (programOfProcess()) process.exit(1);
        // A host that runs programs in its own process (a test runner) is told and keeps running: the lost lease is
        // forgotten once reported, so that its later runs (of this stage or another) take their locks afresh.
        void pending?.then((lease) => {
          if (held.get(key) === pending) held.delete(key);
          removeFence(lease.fence);
        });
      },
    });
    held.set(key, pending);
    pending.catch(() => held.delete(key));
  }
  await pending;
}

/** Releases the stage's lease, if this process holds it. */
export async function unlockStage(stage: Scope): Promise<void> {
  const key = stageLockOf(stage)?.key;
  const pending = key === undefined ? undefined : held.get(key);
  if (key === undefined || !pending) return;
  held.delete(key);
  await (await pending.catch(() => undefined))?.release();
}
