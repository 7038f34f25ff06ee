/**
 * The S3 state store on a real S3 server (moto, test/support/s3.ts), driven
 * by the real Alchemy runtime against a local IoT endpoint: nested scopes
 * and a stage, the keys Alchemy's own S3 store uses (both ways), clear
 * errors, and the fence before every write.
 */
import "../../src/preview/globals.ts"; // before Alchemy loads: the preview test opens a session
import { DescribeThingGroupCommand, ResourceNotFoundException } from "@aws-sdk/client-iot";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import alchemy, { Scope, type State } from "alchemy";
import { S3StateStore as AlchemyS3StateStore } from "alchemy/aws";
import { S3StateStore } from "alchemy-iot-jobs/state";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ThingGroup } from "../../src/index.ts";
import { startSession } from "../../src/preview/session.ts";
import { addFence, LeaseLostError, removeFence, type Fence } from "../../src/runtime/fence.ts";
import { forgetS3Clients } from "../../src/runtime/state/s3-client.ts";
import { startS3 } from "../support/s3.ts";
import { createStack, PASSWORD, type TestStack } from "../support/stack.ts";

const s3 = await startS3();
/** Writes to the state (the stage's lease is written beside it, under `.locks/`: test/runtime/lease.test.ts tests it). */
const stateWrites = () => s3!.writes().filter((w) => !w.path.includes("/.locks/"));
const BUCKET = "iot-jobs-state";
const STAGE = "prod";

const ENV = ["AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] as const;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  if (!s3) return;
  for (const name of ENV) saved[name] = process.env[name];
  // Found as any program finds AWS: the SDK's chain and AWS_ENDPOINT_URL_S3.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
  });
  await s3.createBucket(BUCKET);
});

afterAll(async () => {
  forgetS3Clients();
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await s3?.stop();
});

const ours =
  (options: { bucketName?: string; prefix?: string } = {}) =>
  (scope: Scope) =>
    new S3StateStore(scope, { bucketName: BUCKET, ...options });
const alchemys = (scope: Scope) => new AlchemyS3StateStore(scope, { bucketName: BUCKET });

/** Every key of the bucket under `prefix`, relative to it, sorted. */
async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3!.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    out.push(...(page.Contents ?? []).map((o) => o.Key!.slice(prefix.length)));
    token = page.NextContinuationToken;
  } while (token);
  return out.sort();
}

async function body(key: string): Promise<string> {
  return (await s3!.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
}

async function groupExists(stack: TestStack, name: string): Promise<boolean> {
  try {
    await stack.client.send(new DescribeThingGroupCommand({ thingGroupName: name }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

/** A stage with a resource whose id has a slash, and a nested scope; `declare` says which are declared. */
const program =
  (declare: { g1?: boolean | string; g2?: boolean; sub?: boolean } = { g1: true, g2: true, sub: true }) =>
  async () => {
    if (declare.g1) await ThingGroup("g1", typeof declare.g1 === "string" ? { description: declare.g1 } : {});
    await ThingGroup("team/g3", {});
    if (declare.sub) {
      await alchemy.run("sub", async () => {
        if (declare.g2) await ThingGroup("g2", {});
      });
    }
  };

/** The keys the whole program leaves, relative to `alchemy/<app>/` (a slash in an id is a colon). */
const ALL_KEYS = [`${STAGE}/g1`, `${STAGE}/sub`, `${STAGE}/sub/g2`, `${STAGE}/team:g3`];

/** A stage scope of app `app`, whose stores are built by `stateStore`, without running anything. */
function stageScope(app: string, stateStore: (scope: Scope) => S3StateStore | AlchemyS3StateStore): Scope {
  const root = new Scope({
    scopeName: app,
    parent: null,
    phase: "up",
    stage: STAGE,
    password: PASSWORD,
    quiet: true,
    noTrack: true,
    stateStore,
  });
  return new Scope({ scopeName: STAGE, parent: root, stage: STAGE });
}

const sample = (id: string, description: string): State =>
  ({
    kind: "iot::ThingGroup",
    id,
    fqn: `x/${STAGE}/${id}`,
    seq: 1,
    status: "created",
    data: {},
    props: { description },
    output: { thingGroupName: id },
  }) as unknown as State;

describe.skipIf(!s3)("S3StateStore", () => {
  test("a stage with a nested scope: deploy, no-change redeploy, removed resources deleted (finalize's orphans), destroy", async () => {
    const stack = await createStack({ stage: STAGE });
    const at = `alchemy/${stack.app}/`;
    const name = (id: string) => `${stack.app}-${STAGE}-${id}`;
    try {
      await stack.deploy(program(), { stateStore: ours() });
      expect(await keys(at)).toEqual(ALL_KEYS);
      for (const g of ["g1", "team-g3", "sub-g2"]) expect(await groupExists(stack, name(g))).toBe(true);

      stack.local.resetStats();
      s3!.resetRequests();
      await stack.deploy(program(), { stateStore: ours() });
      expect(stack.local.stats().requests).toBe(0);
      expect(stateWrites()).toEqual([]);
      expect(await keys(at)).toEqual(ALL_KEYS);

      // g1 is no longer declared in the stage, g2 no longer in the nested scope.
      await stack.deploy(program({ sub: true }), { stateStore: ours() });
      expect(await keys(at)).toEqual([`${STAGE}/sub`, `${STAGE}/team:g3`]);
      expect(await groupExists(stack, name("g1"))).toBe(false);
      expect(await groupExists(stack, name("sub-g2"))).toBe(false);

      // The nested scope itself is gone.
      await stack.deploy(program({ g1: true }), { stateStore: ours() });
      expect(await keys(at)).toEqual([`${STAGE}/g1`, `${STAGE}/team:g3`]);
      expect(await groupExists(stack, name("g1"))).toBe(true);

      await stack.destroy({ stateStore: ours() });
      expect(await keys(at)).toEqual([]);
      for (const g of ["g1", "team-g3"]) expect(await groupExists(stack, name(g))).toBe(false);
    } finally {
      await stack.close();
    }
  });

  test("a preview on another machine reads the deployed state from S3, nested scopes included, and writes nothing", async () => {
    const stack = await createStack({ stage: STAGE });
    try {
      await stack.deploy(program(), { stateStore: ours() });
      s3!.resetRequests();
      stack.local.resetStats();
      // A fresh store (another process's): g1 changes, g2 leaves the nested scope.
      forgetS3Clients();
      const session = startSession({ refresh: false });
      let plan;
      try {
        await stack.deploy(program({ g1: "changed", sub: true }), { stateStore: ours() });
        plan = await session.plan();
      } finally {
        session.end();
      }
      const actions = Object.fromEntries(plan.resources.map((r) => [r.address, r.actions.join("+")]));
      expect(actions).toEqual({
        [`${stack.app}/${STAGE}/g1`]: "update",
        [`${stack.app}/${STAGE}/team/g3`]: "no-op",
        [`${stack.app}/${STAGE}/sub/g2`]: "delete",
      });
      expect(stateWrites()).toEqual([]);
      expect(stack.mutatingCalls()).toEqual([]);
      expect(await keys(`alchemy/${stack.app}/`)).toEqual(ALL_KEYS);
    } finally {
      await stack.close();
    }
  });

  test("Alchemy's own S3StateStore: its state is read as is, and it reads what this store writes", async () => {
    const stack = await createStack({ stage: STAGE });
    const at = `alchemy/${stack.app}/`;
    try {
      // Alchemy 0.94's store writes every resource's state, then its finalize crashes on the nested keys.
      const crash = await stack.deploy(program(), { stateStore: alchemys }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(String(crash)).toMatch(/Cannot read properties of undefined \(reading 'output'\)/);
      expect(await keys(at)).toEqual(ALL_KEYS);

      // This store sees the same state: nothing to do.
      stack.local.resetStats();
      s3!.resetRequests();
      await stack.deploy(program(), { stateStore: ours() });
      expect(stack.local.stats().requests).toBe(0);
      expect(stateWrites()).toEqual([]);

      // A change written by this store, at the same key...
      await stack.deploy(program({ g1: "v2", g2: true, sub: true }), { stateStore: ours() });
      expect(await keys(at)).toEqual(ALL_KEYS);
      expect(JSON.parse(await body(`${at}${STAGE}/g1`)).props).toMatchObject({ description: "v2" });
      // ... is what Alchemy's store reads: nothing to do (its finalize still crashes afterwards).
      stack.local.resetStats();
      await stack.deploy(program({ g1: "v2", g2: true, sub: true }), { stateStore: alchemys }).catch(() => undefined);
      expect(stack.local.stats().requests).toBe(0);
    } finally {
      await stack.close();
    }
  });

  test("the same object, byte for byte, as Alchemy's store writes for the same state, at the same key", async () => {
    const mine = stageScope("bytes", ours({ prefix: "mine/" })).state as S3StateStore;
    const theirs = stageScope("bytes", (scope) => new AlchemyS3StateStore(scope, { bucketName: BUCKET, prefix: "theirs/" })).state;
    await mine.set("team/x", sample("team/x", "same"));
    await theirs.set("team/x", sample("team/x", "same"));
    expect(await keys("mine/")).toEqual([`bytes/${STAGE}/team:x`]);
    expect(await keys("theirs/")).toEqual([`bytes/${STAGE}/team:x`]);
    expect(await body(`mine/bytes/${STAGE}/team:x`)).toBe(await body(`theirs/bytes/${STAGE}/team:x`));
    expect(mine.objectKey("team/x")).toBe(`mine/bytes/${STAGE}/team:x`);
    expect(await mine.list()).toEqual(["team/x"]);
  });

  test("list() holds a scope's own keys and its child scopes' entries; listScopes() the child scopes; the lock is never listed", async () => {
    const stage = stageScope("levels", ours());
    const sub = new Scope({ scopeName: "sub", parent: stage });
    const store = stage.state as S3StateStore;
    await store.set("a/b", sample("a/b", "x"));
    await store.set("sub", sample("sub", "scope entry"));
    await (sub.state as S3StateStore).set("deep", sample("deep", "y"));
    const lock = store.lockLocation("levels", STAGE)!;
    expect(lock).toMatchObject({ bucket: BUCKET, key: `alchemy/.locks/levels/${STAGE}` });
    expect(store.lockTarget("levels", STAGE)).toEqual(lock); // the former name, kept
    await lock.client.send(new PutObjectCommand({ Bucket: lock.bucket, Key: lock.key, Body: "{}" }));

    expect((await store.list()).sort()).toEqual(["a/b", "sub"]);
    expect(await store.listScopes()).toEqual(["sub"]);
    expect(await (sub.state as S3StateStore).list()).toEqual(["deep"]);
    expect(await (stage.parent!.state as S3StateStore).list()).toEqual([]);
    expect(await (stage.parent!.state as S3StateStore).listScopes()).toEqual([STAGE]);
    expect((await store.get("a/b"))?.props).toEqual({ description: "x" });
    expect(await store.get("missing")).toBeUndefined();
    await store.delete("missing");

    expect(store.lock).toEqual({ leaseSeconds: 60, waitSeconds: 900 });
    const unlocked = new S3StateStore(stage, { bucketName: BUCKET, lock: false });
    expect(unlocked.lock).toBe(false);
    expect(unlocked.lockLocation("levels", STAGE)).toBeUndefined();
    expect(new S3StateStore(stage, { bucketName: BUCKET, lock: { leaseSeconds: 30 } }).lock).toEqual({
      leaseSeconds: 30,
      waitSeconds: 900,
    });
    expect(() => new S3StateStore(stage, { bucketName: BUCKET, lock: { leaseSeconds: 0 } })).toThrow(
      /lock\.leaseSeconds must be a number of seconds, at least 2, got 0/,
    );
    // Stores of one region and endpoint share one client.
    expect(new S3StateStore(sub, { bucketName: BUCKET }).client).toBe(store.client);
  });

  test("a missing bucket: a clear error naming it, before anything is created", async () => {
    const stack = await createStack({ stage: STAGE });
    try {
      const error = await stack.deploy(program(), { stateStore: ours({ bucketName: "no-such-state-bucket" }) }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "S3StateError" });
      expect((error as Error).message).toMatch(
        /^S3 bucket "no-such-state-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+ \(region us-east-1\): create it/,
      );
      expect((error as Error).message).not.toMatch(/\$metadata|\n/);
      expect(stack.mutatingCalls()).toEqual([]);
    } finally {
      await stack.close();
    }
  });

  test("a state object that is not JSON: an error naming the bucket and key, nothing created or written", async () => {
    const stack = await createStack({ stage: STAGE });
    const key = `alchemy/${stack.app}/${STAGE}/g1`;
    try {
      await s3!.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '{ "kind": "iot::ThingGr' }));
      s3!.resetRequests();
      const error = await stack.deploy(async () => ThingGroup("g1", {}), { stateStore: ours() }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "S3StateError" });
      expect((error as Error).message).toContain(`Alchemy's state object s3://${BUCKET}/${key} is not valid JSON`);
      expect(stack.mutatingCalls()).toEqual([]);
      expect(stateWrites()).toEqual([]);
      expect(await body(key)).toBe('{ "kind": "iot::ThingGr');
    } finally {
      await stack.close();
    }
  });

  test("no credentials, no region: errors that say what to set and name the bucket", async () => {
    const stage = stageScope("config", ours());
    const noCredentials = new S3Client({
      endpoint: s3!.endpoint,
      region: s3!.region,
      forcePathStyle: true,
      credentials: async () => {
        throw Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
      },
    });
    await expect(new S3StateStore(stage, { bucketName: BUCKET, client: noCredentials }).list()).rejects.toThrow(
      /^No AWS credentials were found to list S3 bucket "iot-jobs-state"\. Set AWS_PROFILE/,
    );
    const region = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      const noRegion = new S3Client({ endpoint: s3!.endpoint, forcePathStyle: true });
      await expect(new S3StateStore(stage, { bucketName: BUCKET, client: noRegion }).list()).rejects.toThrow(
        /^No AWS region is set to list S3 bucket "iot-jobs-state": set `region` in the S3StateStore options, or AWS_REGION/,
      );
    } finally {
      process.env.AWS_REGION = region;
    }
  });

  test("every write checks the leases first: a lost lease writes nothing, the bucket is untouched", async () => {
    const stage = stageScope("fenced", ours());
    const store = stage.state as S3StateStore;
    await store.set("t1", sample("t1", "before"));
    const key = store.objectKey("t1");
    const before = await body(key);

    const refused: string[] = [];
    const lost: Fence = {
      check(what) {
        refused.push(what);
        throw new LeaseLostError(`The stage's lease was taken over by another deploy: ${what} is not written.`);
      },
    };
    addFence(lost);
    s3!.resetRequests();
    try {
      await expect(store.set("t1", sample("t1", "after"))).rejects.toBeInstanceOf(LeaseLostError);
      await expect(store.set("t2", sample("t2", "new"))).rejects.toBeInstanceOf(LeaseLostError);
      await expect(store.delete("t1")).rejects.toBeInstanceOf(LeaseLostError);
      expect(refused).toEqual([`the state of fenced/${STAGE}/t1`, `the state of fenced/${STAGE}/t2`, `the state of fenced/${STAGE}/t1`]);
    } finally {
      removeFence(lost);
    }

    // A lease lost between the first check and the request (while the state was serialized): not sent either.
    let checks = 0;
    const lostLater: Fence = {
      check(what) {
        if (++checks > 1) throw new LeaseLostError(`lost while writing ${what}`);
      },
    };
    addFence(lostLater);
    try {
      await expect(store.set("t1", sample("t1", "after"))).rejects.toThrow(/^lost while writing the state of fenced\/prod\/t1$/);
    } finally {
      removeFence(lostLater);
    }
    expect(stateWrites()).toEqual([]);
    expect(await body(key)).toBe(before);
    expect(await keys(`alchemy/fenced/`)).toEqual([`${STAGE}/t1`]);
  });

  test("a deploy whose lease is lost changes nothing: no state written, nothing created", async () => {
    const stack = await createStack({ stage: STAGE });
    const lost: Fence = {
      check(what) {
        throw new LeaseLostError(`lost: ${what}`);
      },
    };
    try {
      s3!.resetRequests();
      addFence(lost);
      const error = await stack.deploy(program(), { stateStore: ours() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LeaseLostError);
      expect(stateWrites()).toEqual([]);
      expect(stack.mutatingCalls()).toEqual([]);
      expect(await keys(`alchemy/${stack.app}/`)).toEqual([]);
    } finally {
      removeFence(lost);
      await stack.close();
    }
  });
});
