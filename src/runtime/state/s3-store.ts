/**
 * Alchemy's state on S3, for a team: the stage that `main` deployed is read
 * by the pull request's preview on another machine.
 *
 * A drop-in for Alchemy 0.94's own `S3StateStore` (`alchemy/aws`): the same
 * options, the same object keys and the same JSON, so a team already on it
 * switches by changing one import. It fixes what makes Alchemy's unusable
 * with a stage: Alchemy's store lists every key under its scope, nested
 * scopes' included (`prod/t0` for the app's scope), while its `get()` turns
 * slashes into colons, so `finalize()` takes each nested resource for an
 * orphan without state and crashes (`Cannot read properties of undefined
 * (reading 'output')`). This store lists one level (`Delimiter: "/"`): a
 * scope's own resources and the entries of its child scopes, never what those
 * child scopes hold.
 *
 * Every write checks the leases the process holds first (src/runtime/fence.ts),
 * before each attempt: a deploy that has lost its stage's lease writes nothing more.
 */
import type { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { serialize, type Scope, type State, type StateStore } from "alchemy";
import { assertMayWrite } from "../fence.ts";
import { s3Sdk } from "../s3-sdk.ts";
import { readState, type UnreadableState } from "./check.ts";
import { readStates, reviveState } from "./revive.ts";
import { explain, S3StateError, sharedClient, type Where } from "./s3-client.ts";
import type { S3LockLocation } from "../lock/s3.ts";

/** The stage lease's settings (see docs/reliability.md). */
export interface S3StateLockOptions {
  /**
   * How long a lease lasts without being renewed, in seconds.
   *
   * @default 60
   */
  leaseSeconds?: number;
  /**
   * How long a deploy waits for another one's lease before giving up, in seconds.
   *
   * @default 900
   */
  waitSeconds?: number;
}

/** Options for {@link S3StateStore}: those of Alchemy's `S3StateStore`, and `lock`. */
export interface S3StateStoreOptions {
  /**
   * The S3 bucket that holds the state. It must exist; versioning is recommended.
   *
   * @example "my-team-state"
   */
  bucketName: string;
  /**
   * What every object key starts with, so that several apps or teams can share
   * a bucket. Keys are `<prefix><app>/<stage>/<scope>.../<resource id>`, as
   * Alchemy's store has them (a slash in an id is stored as a colon).
   *
   * @default "alchemy/"
   */
  prefix?: string;
  /**
   * The bucket's region.
   *
   * @default the SDK's: AWS_REGION, or the profile's region
   */
  region?: string;
  /**
   * The stage's lease: one deploy or destroy at a time per stage, across
   * machines. `false` turns it off (a team that serialises its deploys itself).
   *
   * @default { leaseSeconds: 60, waitSeconds: 900 }
   */
  lock?: S3StateLockOptions | false;
  /**
   * The S3 client to use instead of the shared one (one per region and endpoint
   * in a process, built from the SDK's credential chain and AWS_ENDPOINT_URL_S3).
   */
  client?: S3Client;
}

export type { S3LockLocation };
/** @deprecated The same as S3LockLocation (where a stage's lock object lives), by its former name. */
export type S3LockTarget = S3LockLocation;

const DEFAULT_LOCK = { leaseSeconds: 60, waitSeconds: 900 } as const;

/** Bucket checks, once per process, client and bucket (shared by every scope's store). */
const checks = new WeakMap<S3Client, Map<string, Promise<void>>>();

/**
 * Alchemy state in an S3 bucket, at the keys Alchemy's own S3 store uses.
 *
 * @example
 * import alchemy from "alchemy";
 * import { S3StateStore } from "alchemy-iot-jobs/state";
 *
 * const app = await alchemy("fleet", {
 *   stateStore: (scope) => new S3StateStore(scope, { bucketName: "my-team-state" }),
 * });
 */
export class S3StateStore implements StateStore {
  readonly scope: Scope;
  readonly bucketName: string;
  /** The prefix of every key (the option, resolved). */
  readonly prefix: string;
  /** The prefix of this scope's keys: `<prefix><app>/<stage>/.../`. */
  readonly scopePrefix: string;
  readonly region: string | undefined;
  /** The stage lease's settings, resolved; false when turned off. */
  readonly lock: Required<S3StateLockOptions> | false;
  readonly client: S3Client;

  constructor(scope: Scope, options: S3StateStoreOptions) {
    const bucketName = options?.bucketName;
    if (typeof bucketName !== "string" || bucketName === "" || bucketName.includes("/")) {
      throw new TypeError(
        `S3StateStore: bucketName must be the name of an existing S3 bucket (no slash), got ${JSON.stringify(bucketName)}` +
          (bucketName === undefined ? ` (Alchemy's own store falls back to "alchemy-state": name it, if that is yours).` : "."),
      );
    }
    if (options.prefix !== undefined && typeof options.prefix !== "string") {
      throw new TypeError(`S3StateStore: prefix must be a string, got ${JSON.stringify(options.prefix)}.`);
    }
    this.scope = scope;
    this.bucketName = bucketName;
    this.prefix = options.prefix ? options.prefix : "alchemy/";
    this.scopePrefix = `${this.prefix}${scope.chain.join("/")}/`;
    this.region = options.region;
    this.lock = resolveLock(options.lock);
    this.client = options.client ?? sharedClient(options.region);
  }

  /** The object key of a resource's state: slashes in its id become colons. */
  objectKey(id: string): string {
    if (id.includes(":")) throw new S3StateError(`A state key cannot include colons (they stand for slashes in S3 keys): "${id}".`);
    return `${this.scopePrefix}${id.replaceAll("/", ":")}`;
  }

  /**
   * Where the lock of stage `stage` of app `app` lives: `<prefix>.locks/<app>/<stage>`,
   * beside the apps' keys, so that no store lists it as a resource.
   * Undefined when the lock is turned off.
   */
  lockLocation(app: string, stage: string): S3LockLocation | undefined {
    if (this.lock === false) return undefined;
    return { client: this.client, bucket: this.bucketName, key: `${this.prefix}.locks/${app}/${stage}` };
  }

  /** @deprecated The same as lockLocation, by its former name. */
  lockTarget(app: string, stage: string): S3LockLocation | undefined {
    return this.lockLocation(app, stage);
  }

  /** Checks, once per process and bucket, that the bucket can be reached and listed. */
  init(): Promise<void> {
    let byBucket = checks.get(this.client);
    if (!byBucket) checks.set(this.client, (byBucket = new Map()));
    let pending = byBucket.get(this.bucketName);
    if (!pending) {
      pending = (async () => {
        try {
          await this.client.send(bucketCheck(this.bucketName, this.scopePrefix));
        } catch (error) {
          throw explain(error, "list", this.where());
        }
      })();
      byBucket.set(this.bucketName, pending);
      const forget = byBucket;
      pending.catch(() => forget.delete(this.bucketName));
    }
    return pending;
  }

  /** Nothing to remove: a scope's "directory" is its keys. */
  async deinit(): Promise<void> {}

  /** This scope's resources and child scope entries, never what child scopes hold. */
  async list(): Promise<string[]> {
    const { keys } = await this.listLevel();
    return keys;
  }

  async count(): Promise<number> {
    return (await this.list()).length;
  }

  /** The names of the child scopes that hold state. */
  async listScopes(): Promise<string[]> {
    const { scopes } = await this.listLevel();
    return scopes;
  }

  async get(key: string): Promise<State | undefined> {
    await this.init();
    const objectKey = this.objectKey(key);
    const bytes = await this.readObject(objectKey);
    if (bytes === undefined) return undefined;
    const read = readState(bytes);
    if (!read.ok) {
      throw new S3StateError(
        `Alchemy's state object s3://${this.bucketName}/${objectKey} ${read.problem}; it is the state of ${this.scope.fqn(key)}. Nothing was changed. ` +
          `Restore it (from the bucket's versions, or a backup), or delete it and deploy with --adopt so that the resource is taken over instead of created again.`,
      );
    }
    return reviveState(this.scope, read.value, `s3://${this.bucketName}/${objectKey}`);
  }

  /**
   * The states of this scope and of every scope under it (and this scope's own
   * entry) that cannot be read: what a deploy and a destroy check before they
   * act (src/runtime/state/check.ts). One list and one read per state.
   */
  async unreadableStates(): Promise<UnreadableState[]> {
    await this.init();
    const keys = [this.scopePrefix.slice(0, -1)];
    try {
      const pages = s3Sdk().paginateListObjectsV2({ client: this.client }, { Bucket: this.bucketName, Prefix: this.scopePrefix });
      for await (const page of pages)
        for (const object of page.Contents ?? []) if (object.Key && !object.Key.endsWith("/")) keys.push(object.Key);
    } catch (error) {
      throw explain(error, "list", this.where());
    }
    const found: UnreadableState[] = [];
    const prefix = this.prefix;
    const check = async (objectKey: string) => {
      const bytes = await this.readObject(objectKey);
      const read = bytes === undefined ? undefined : readState(bytes);
      if (read && !read.ok) {
        const resource = objectKey
          .slice(prefix.length)
          .split("/")
          .map((part) => part.replaceAll(":", "/"))
          .join("/");
        found.push({ where: `s3://${this.bucketName}/${objectKey}`, noun: "state object", resource, problem: read.problem });
      }
    };
    // A few reads at a time, as the SDK's client would queue them anyway.
    for (let i = 0; i < keys.length; i += 16) await Promise.all(keys.slice(i, i + 16).map(check));
    return found.sort((a, b) => a.where.localeCompare(b.where));
  }

  /** An object's bytes, or undefined when there is none. */
  private async readObject(objectKey: string): Promise<Uint8Array | undefined> {
    try {
      const response = await this.client.send(new (s3Sdk().GetObjectCommand)({ Bucket: this.bucketName, Key: objectKey }));
      return response.Body ? await response.Body.transformToByteArray() : undefined;
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey") return undefined;
      throw explain(error, "read", this.where(objectKey));
    }
  }

  async getBatch(ids: string[]): Promise<Record<string, State>> {
    return readStates(ids, (id) => this.get(id));
  }

  async all(): Promise<Record<string, State>> {
    return this.getBatch(await this.list());
  }

  async set(key: string, value: State): Promise<void> {
    await this.init();
    const objectKey = this.objectKey(key);
    const body = JSON.stringify(await serialize(this.scope, value), null, 2);
    const what = `the state of ${this.scope.fqn(key)}`;
    assertMayWrite(what);
    const command = fenced(
      new (s3Sdk().PutObjectCommand)({ Bucket: this.bucketName, Key: objectKey, Body: body, ContentType: "application/json" }),
      what,
    );
    try {
      await this.client.send(command);
    } catch (error) {
      throw explain(error, "write", this.where(objectKey));
    }
  }

  /** Deletes a key's state; a key already gone is success. */
  async delete(key: string): Promise<void> {
    await this.init();
    const objectKey = this.objectKey(key);
    const what = `the state of ${this.scope.fqn(key)}`;
    assertMayWrite(what);
    try {
      await this.client.send(fenced(new (s3Sdk().DeleteObjectCommand)({ Bucket: this.bucketName, Key: objectKey }), what));
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey") return;
      throw explain(error, "delete", this.where(objectKey));
    }
  }

  /** One level under this scope's prefix: its keys (ids, colons back to slashes) and its child scopes. */
  private async listLevel(): Promise<{ keys: string[]; scopes: string[] }> {
    await this.init();
    const keys: string[] = [];
    const scopes: string[] = [];
    const start = this.scopePrefix.length;
    try {
      const pages = s3Sdk().paginateListObjectsV2(
        { client: this.client },
        { Bucket: this.bucketName, Prefix: this.scopePrefix, Delimiter: "/" },
      );
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          const id = object.Key?.slice(start);
          // An empty name is a "folder" marker (the S3 console makes them), not state.
          if (id) keys.push(id.replaceAll(":", "/"));
        }
        for (const common of page.CommonPrefixes ?? []) {
          const name = common.Prefix?.slice(start, -1);
          if (name) scopes.push(name);
        }
      }
    } catch (error) {
      throw explain(error, "list", this.where());
    }
    return { keys, scopes };
  }

  private where(key?: string): Where {
    return {
      bucket: this.bucketName,
      key,
      prefix: this.prefix,
      region: this.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    };
  }
}

/** The request that checks a bucket: one key of the scope's, the least that s3:ListBucket allows. */
function bucketCheck(bucket: string, prefix: string): ListObjectsV2Command {
  return new (s3Sdk().ListObjectsV2Command)({ Bucket: bucket, Prefix: prefix, Delimiter: "/", MaxKeys: 1 });
}

function resolveLock(lock: S3StateStoreOptions["lock"]): Required<S3StateLockOptions> | false {
  if (lock === false) return false;
  if (lock !== undefined && (typeof lock !== "object" || lock === null)) {
    throw new TypeError(`S3StateStore: lock must be false or { leaseSeconds?, waitSeconds? }, got ${JSON.stringify(lock)}.`);
  }
  const resolved = {
    leaseSeconds: lock?.leaseSeconds ?? DEFAULT_LOCK.leaseSeconds,
    waitSeconds: lock?.waitSeconds ?? DEFAULT_LOCK.waitSeconds,
  };
  for (const [name, value, min] of [
    // At least 2: S3's clock headers count whole seconds (src/runtime/lock/s3.ts).
    ["leaseSeconds", resolved.leaseSeconds, 2],
    ["waitSeconds", resolved.waitSeconds, 0],
  ] as const) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
      throw new TypeError(`S3StateStore: lock.${name} must be a number of seconds, at least ${min}, got ${JSON.stringify(value)}.`);
    }
  }
  return resolved;
}

interface MiddlewareStack {
  add(middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>, options: object): void;
}

/**
 * Checks the leases before each attempt of a write, the SDK's retries
 * included: a retry after the lease was lost is not sent.
 */
function fenced<C extends PutObjectCommand | DeleteObjectCommand>(command: C, what: string): C {
  (command.middlewareStack as unknown as MiddlewareStack).add(
    (next) => async (args) => {
      assertMayWrite(what);
      return next(args);
    },
    { step: "finalizeRequest", name: "alchemyIotFence", priority: "low" },
  );
  return command;
}
