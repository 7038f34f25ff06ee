/**
 * The stage lease, on both backends, with real processes: a real S3 server
 * (moto, test/support/s3.ts) and real files. Holders are child processes
 * (fixtures/holder.ts) that are released, killed (SIGKILL), paused (SIGSTOP)
 * and terminated (SIGTERM); contenders are other children or this process.
 *
 * Nothing here asserts on timing alone: a test waits for what a process says,
 * and a paused holder is paused at a point where it waits for its next command.
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { S3Client } from "@aws-sdk/client-s3";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { fileLock } from "../../src/runtime/lock/file.ts";
import { acquireLease, type Lease, type LeaseBackend, type LeaseOptions } from "../../src/runtime/lock/lease.ts";
import { LeaseLostError } from "../../src/runtime/fence.ts";
import { s3Lock } from "../../src/runtime/lock/s3.ts";
import { startS3 } from "../support/s3.ts";
import { startHolder, stop, type Child } from "./fixtures/processes.ts";

const s3 = await startS3();
const BUCKET = "lease-tests";
if (s3) await s3.createBucket(BUCKET);
afterAll(() => s3?.stop());

const children: Child[] = [];
const leases: Lease[] = [];
afterEach(async () => {
  children.splice(0).forEach(stop);
  await Promise.all(leases.splice(0).map((l) => l.release()));
});

const holder = (env: Record<string, string>) => {
  const c = startHolder(env);
  children.push(c);
  return c;
};

/** Takes a lease in this process (not a fence of this process: the test writes nothing it guards). */
async function take(
  backend: LeaseBackend,
  leaseSeconds: number,
  waitSeconds = 60,
  more: Partial<LeaseOptions> = {},
): Promise<{ lease: Lease; reports: string[] }> {
  const reports: string[] = [];
  const lease = await acquireLease(backend, {
    what: `the test lock (${backend.location})`,
    leaseSeconds,
    waitSeconds,
    fence: false,
    report: (m) => reports.push(m),
    ...more,
  });
  leases.push(lease);
  return { lease, reports };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe.skipIf(!s3)("the lease on S3", () => {
  const key = (name: string) => `alchemy/.locks/app/${name}`;
  const env = (name: string, more: Record<string, string> = {}) => ({
    LOCK_BACKEND: "s3",
    S3_ENDPOINT: s3!.endpoint,
    S3_BUCKET: BUCKET,
    S3_KEY: key(name),
    MARKERS: `markers/${name}/`,
    ...more,
  });
  const backend = (name: string, client: S3Client = s3!.client) => s3Lock({ client, bucket: BUCKET, key: key(name) });
  const lockObject = async (name: string) => {
    try {
      const out = await s3!.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(name) }));
      return JSON.parse(await out.Body!.transformToString());
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey") return undefined;
      throw error;
    }
  };
  const markers = async (name: string) =>
    ((await s3!.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `markers/${name}/` }))).Contents ?? []).map((o) =>
      o.Key!.split("/").pop(),
    );

  test("a second process waits, naming the holder, and gets the lock once the first releases it", async () => {
    const first = holder(env("contend", { LEASE_SECONDS: "30" }));
    await first.next("HELD");
    expect(await lockObject("contend")).toMatchObject({
      pid: first.pid,
      host: os.hostname(),
      command: "holder.js",
      app: "app",
      stage: "stage",
      leaseSeconds: 30,
    });
    const second = holder(env("contend", { LEASE_SECONDS: "30", WAIT_SECONDS: "60" }));
    const waiting = await second.next("REPORT", (t) => t.startsWith("Waiting for"));
    expect(waiting).toMatch(
      new RegExp(
        `^Waiting for the test lock \\(s3://${BUCKET}/${escape(key("contend"))}\\), locked by process ${first.pid} \\(holder\\.js\\), since \\S+; waited \\d+ s \\(gives up after 60 s\\)\\.$`,
      ),
    );
    first.send("release");
    await first.next("RELEASED");
    await second.next("HELD");
    expect(await second.next("REPORT", (t) => t.startsWith("Got the lock"))).toMatch(
      /^Got the lock on the test lock \(.*\) after \d+ s\.$/,
    );
    expect(second.events().some((e) => e.includes("Took over"))).toBe(false);
    expect((await lockObject("contend")).pid).toBe(second.pid);
    second.send("release");
    expect((await second.exited).code).toBe(0);
    expect(await lockObject("contend")).toBeUndefined();
  });

  test("a holder renews its lease with conditional writes, so a contender that waits longer than the lease still finds it live", async () => {
    const renewing = holder(env("renew", { LEASE_SECONDS: "6" }));
    await renewing.next("HELD");
    s3!.resetRequests();
    const { lease } = await take(backend("renew-other"), 6); // Unrelated: only so that this process also renews one.
    const contender = holder(env("renew", { WAIT_SECONDS: "9" }));
    expect(await contender.next("TIMEOUT")).toContain(`is locked by process ${renewing.pid} (holder.js)`);
    // Two renewals accepted at least in the 9 s and more that the contender waited (its own create-only writes were refused: 412).
    const writes = s3!.requests.filter((r) => r.method === "PUT" && r.path.startsWith(`/${BUCKET}/${key("renew")}?`));
    expect(writes.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(2);
    // (A renewal still in flight when the contender gave up has no answer yet: it is neither.)
    expect(writes.filter((r) => r.status !== undefined && r.status !== 200 && r.status !== 412)).toEqual([]);
    // A renewal refused would have lost the lease.
    expect(renewing.events().filter((e) => e.startsWith("LOST"))).toEqual([]);
    // Each renewal writes a new body (a new ETag), so a takeover conditional on an ETag judged expired fails if the holder renewed since.
    expect((await lockObject("renew")).renewals).toBeGreaterThanOrEqual(2);
    expect(lease.lostReason()).toBeUndefined();
  });

  test("the lease of a holder killed with SIGKILL is taken over once it expires by the server's clock, and the taker says so", async () => {
    const killed = holder(env("killed", { LEASE_SECONDS: "3" }));
    await killed.next("HELD");
    killed.child.kill("SIGKILL");
    await killed.exited;
    const started = performance.now();
    const { reports } = await take(backend("killed"), 3);
    const tookMs = performance.now() - started;
    console.log(`S3: a holder killed with SIGKILL (lease 3 s) was taken over ${(tookMs / 1000).toFixed(1)} s after it died`);
    const takeover = reports.find((r) => r.startsWith("Took over"));
    expect(takeover).toMatch(
      new RegExp(
        `^Took over the lock on the test lock \\(.*\\) from process ${killed.pid} \\(holder\\.js\\), since \\S+: its lease \\(3 s\\) expired at \\S+ by the S3 server's clock, \\d+ s ago \\(last renewed at \\S+\\)\\.$`,
      ),
    );
    expect((await lockObject("killed")).pid).toBe(process.pid);
  });

  test("a holder paused past its lease (SIGSTOP) is taken over; resumed, it refuses to write, names the new holder and stops", async () => {
    const paused = holder(env("paused", { LEASE_SECONDS: "4" }));
    await paused.next("HELD");
    paused.send("write 1");
    await paused.next("WROTE", (n) => n === "1");
    // It waits for its next command: pause it there.
    paused.child.kill("SIGSTOP");
    const { lease, reports } = await take(backend("paused"), 30);
    expect(reports.find((r) => r.startsWith("Took over"))).toContain(`from process ${paused.pid} (holder.js)`);
    expect(await markers("paused")).toEqual(["1"]);
    paused.send("write 2");
    s3!.resetRequests();
    paused.child.kill("SIGCONT");
    const { code } = await paused.exited;
    expect(code, paused.output()).toBe(3);
    // Its first refusal comes from its own clock, before it has heard from S3; onLost then names the new holder, and so does the fence.
    const refusals = paused.events().filter((e) => e.startsWith("REFUSED"));
    expect(refusals[0]).toMatch(
      /^REFUSED Lost the lock on the test lock .*: it was not renewed for \d+ s \(the lease is 4 s; .*\)\..* Refused: write marker 2\.$/,
    );
    const lost = await paused.next("LOST");
    expect(lost).toMatch(new RegExp(`Process ${process.pid} \\(.*\\), since \\S+ holds it now; this process makes no further change`));
    expect(refusals.at(-1)).toContain(`Process ${process.pid} (`);
    expect(paused.events().filter((e) => e.startsWith("WROTE"))).toEqual(["WROTE 1"]);
    // Nothing more was written by it: no marker, and the lock is still the new holder's.
    expect(await markers("paused")).toEqual(["1"]);
    expect(s3!.writes().filter((r) => r.path.includes("/markers/"))).toEqual([]);
    expect((await lockObject("paused")).token).toBe(lease.holder.token);
  });

  test("a holder cut off from S3 keeps trying until its lease would have expired, then loses it for good", async () => {
    const link = await relay(s3!.endpoint, 0);
    const client = new S3Client({
      endpoint: link.endpoint,
      region: s3!.region,
      credentials: s3!.credentials,
      forcePathStyle: true,
      maxAttempts: 1,
    });
    let onLost: (message: string) => void = () => {};
    const lost = new Promise<string>((resolve) => (onLost = resolve));
    const { lease } = await take(backend("cut", client), 3, 0, { onLost });
    await link.stop();
    const message = await lost;
    expect(message).toMatch(
      /^Lost the lock on the test lock \(.*\): it was not renewed for \d+ s \(the lease is 3 s; this process was paused or starved, or could not renew it: .+\)\./,
    );
    // Nobody took it meanwhile (this process could not tell): the message says so, and the fence stays closed.
    expect(message).toContain("Another process may hold it now; this process makes no further change.");
    expect(() => lease.fence.check("a state write")).toThrow(LeaseLostError);
    expect(() => lease.fence.check("a state write")).toThrow(/Refused: a state write\.$/);
  });

  test("a renewal whose answer was lost (applied, but the connection cut) does not lose the lease: the next finds its own token under the new ETag", async () => {
    const link = await relay(s3!.endpoint, 0, 1);
    try {
      const client = new S3Client({ endpoint: link.endpoint, region: s3!.region, credentials: s3!.credentials, forcePathStyle: true });
      const { lease } = await take(backend("lost-answer", client), 6, 0);
      const renewed = async (count: number) => {
        for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
          if (((await lockObject("lost-answer"))?.renewals ?? 0) >= count) return;
        }
        throw new Error(`not renewed ${count} times`);
      };
      // The first renewal is applied but its answer lost; renewals go on after it.
      await renewed(3);
      expect(link.dropped()).toBe(1);
      // The SDK sent it again, conditional on the ETag before it, and was refused: the lease read its own token and went on.
      expect(
        s3!.requests.filter((r) => r.method === "PUT" && r.path.startsWith(`/${BUCKET}/${key("lost-answer")}?`) && r.status === 412),
      ).toHaveLength(1);
      expect(lease.lostReason()).toBeUndefined();
      expect(() => lease.fence.check("a state write")).not.toThrow();
      expect((await lockObject("lost-answer")).token).toBe(lease.holder.token);
    } finally {
      await link.stop();
    }
  });

  test("expiry is judged by the server's Date header, not the local clock", async () => {
    // A live lease, renewed by this process.
    await take(backend("clock"), 30);
    // A contender whose own clock runs an hour ahead still sees it live (by the server's clock), and gives up waiting.
    const ahead = holder(env("clock", { CLOCK_OFFSET_MS: String(3_600_000), WAIT_SECONDS: "2" }));
    expect(await ahead.next("TIMEOUT")).toMatch(
      new RegExp(`is locked by process ${process.pid} \\(.*\\), since \\S+; gave up after \\d+ s\\.`),
    );
    expect((await ahead.exited).code).toBe(2);
    // The same lease, read through a proxy whose Date header runs an hour ahead: expired, taken over at once.
    const skewed = await relay(s3!.endpoint, 3_600_000);
    try {
      const client = new S3Client({ endpoint: skewed.endpoint, region: s3!.region, credentials: s3!.credentials, forcePathStyle: true });
      const { reports } = await take(backend("clock", client), 30, 0);
      const takeover = reports.find((r) => r.startsWith("Took over"));
      // Renewed a few seconds ago; by the skewed Date header, an hour ago.
      expect(takeover).toMatch(/its lease \(30 s\) expired at \S+ by the S3 server's clock, \d+ s ago/);
      expect(Number(/clock, (\d+) s ago/.exec(takeover!)![1])).toBeGreaterThan(3_500);
    } finally {
      await skewed.stop();
    }
  });

  test("a holder ended by SIGTERM, or by process.exit without releasing, removes its lock object", async () => {
    const terminated = holder(env("term", { LEASE_SECONDS: "30" }));
    await terminated.next("HELD");
    expect(await lockObject("term")).toBeDefined();
    terminated.child.kill("SIGTERM");
    expect((await terminated.exited).signal).toBe("SIGTERM");
    expect(await lockObject("term")).toBeUndefined();

    const exiting = holder(env("term", { LEASE_SECONDS: "30" }));
    await exiting.next("HELD");
    exiting.send("exit");
    expect((await exiting.exited).code).toBe(0);
    expect(await lockObject("term")).toBeUndefined();
    // Taken at once by the next process: nothing to wait for, nothing to take over.
    const { reports } = await take(backend("term"), 30, 0);
    expect(reports).toEqual([]);
  });

  test("release never removes another holder's lock", async () => {
    const { lease } = await take(backend("other"), 30);
    // Someone breaks it and another process takes it.
    await s3!.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key("other") }));
    const { lease: next } = await take(backend("other"), 30, 0);
    await lease.release();
    expect((await lockObject("other")).token).toBe(next.holder.token);
  });
});

describe("the lease on files", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lease-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const target = (name: string) => path.join(dir, ".locks", "app", name);
  const env = (name: string, more: Record<string, string> = {}) => {
    fs.mkdirSync(path.join(dir, "markers", name), { recursive: true });
    return { LOCK_BACKEND: "file", LOCK_TARGET: target(name), MARKERS: path.join(dir, "markers", name), ...more };
  };
  const owner = (name: string) =>
    fs.existsSync(`${target(name)}.owner`) ? JSON.parse(fs.readFileSync(`${target(name)}.owner`, "utf8")) : undefined;

  test("a second process waits, naming the holder, and gets the lock once the first releases it", async () => {
    const first = holder(env("contend"));
    await first.next("HELD");
    const second = holder(env("contend", { WAIT_SECONDS: "60" }));
    const waiting = await second.next("REPORT", (t) => t.startsWith("Waiting for"));
    expect(waiting).toMatch(
      new RegExp(
        `^Waiting for the test lock \\(${escape(target("contend"))}\\), locked by process ${first.pid} \\(holder\\.js\\), since \\S+; waited \\d+ s \\(gives up after 60 s\\)\\.$`,
      ),
    );
    first.send("release");
    await second.next("HELD");
    expect(await second.next("REPORT", (t) => t.startsWith("Got the lock"))).toMatch(/after \d+ s\.$/);
    expect(owner("contend").pid).toBe(second.pid);
    second.send("release");
    expect((await second.exited).code).toBe(0);
    expect(fs.existsSync(`${target("contend")}.lock`)).toBe(false);
  });

  test("the lock of a holder killed with SIGKILL is taken over (sooner, as its process no longer runs), and the taker says so", async () => {
    const killed = holder(env("killed"));
    await killed.next("HELD");
    killed.child.kill("SIGKILL");
    await killed.exited;
    const started = performance.now();
    const { reports } = await take(fileLock(target("killed")), 30);
    console.log(
      `Files: a holder killed with SIGKILL (lease 30 s) was taken over ${((performance.now() - started) / 1000).toFixed(1)} s after it died`,
    );
    expect(reports.find((r) => r.startsWith("Took over"))).toMatch(
      new RegExp(
        `^Took over the lock on the test lock \\(.*\\) from process ${killed.pid} \\(holder\\.js\\), since \\S+: its process no longer runs, and it was last renewed \\d+ s ago\\.$`,
      ),
    );
  });

  test("a holder paused past its lease (SIGSTOP) is taken over; resumed, it refuses to write, names the new holder and stops", async () => {
    const paused = holder(env("paused", { LEASE_SECONDS: "3" }));
    await paused.next("HELD");
    paused.send("write 1");
    await paused.next("WROTE", (n) => n === "1");
    paused.child.kill("SIGSTOP");
    const { lease, reports } = await take(fileLock(target("paused")), 3);
    expect(reports.find((r) => r.startsWith("Took over"))).toMatch(
      new RegExp(
        `from process ${paused.pid} \\(holder\\.js\\), since \\S+: it was not renewed for \\d+ s by this machine's clock \\(the lease is 3 s\\)\\.$`,
      ),
    );
    paused.send("write 2");
    paused.child.kill("SIGCONT");
    const { code } = await paused.exited;
    expect(code, paused.output()).toBe(3);
    expect(await paused.next("LOST")).toMatch(new RegExp(`Process ${process.pid} \\(.*\\), since \\S+ holds it now`));
    expect(
      paused
        .events()
        .filter((e) => e.startsWith("REFUSED"))
        .at(-1),
    ).toContain(`Process ${process.pid} (`);
    expect(paused.events().filter((e) => e.startsWith("WROTE"))).toEqual(["WROTE 1"]);
    expect(fs.readdirSync(path.join(dir, "markers", "paused"))).toEqual(["1"]);
    // Its exit left the new holder's lock in place.
    expect(fs.existsSync(`${target("paused")}.lock`)).toBe(true);
    expect(owner("paused").token).toBe(lease.holder.token);
  });

  test("a process that takes a lock it already holds is told so at once, instead of waiting for itself", async () => {
    await take(fileLock(target("twice")), 30);
    await expect(take(fileLock(target("twice")), 30)).rejects.toThrow(/^The test lock \(.*\) is locked by this process already/);
  });

  test("a holder ended by SIGTERM removes its lock", async () => {
    const terminated = holder(env("term"));
    await terminated.next("HELD");
    terminated.child.kill("SIGTERM");
    expect((await terminated.exited).signal).toBe("SIGTERM");
    expect(fs.existsSync(`${target("term")}.lock`)).toBe(false);
    expect(fs.existsSync(`${target("term")}.owner`)).toBe(false);
  });
});

/**
 * A relay in front of `upstream`: its responses' Date header runs `shiftMs`
 * ahead (a server whose clock runs ahead), and with `dropRenewals`, that many
 * conditional writes (If-Match) reach the server but their answers are lost
 * (the connection is cut once the server has answered).
 */
async function relay(
  upstream: string,
  shiftMs: number,
  dropRenewals = 0,
): Promise<{ endpoint: string; dropped(): number; stop(): Promise<void> }> {
  const target = new URL(upstream);
  let dropped = 0;
  const server = http.createServer((req, res) => {
    const drop = req.method === "PUT" && !!req.headers["if-match"] && dropped < dropRenewals;
    const forward = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        if (drop) {
          dropped++;
          answer.resume();
          req.socket.destroy();
          return;
        }
        const headers = { ...answer.headers };
        if (headers.date) headers.date = new Date(Date.parse(headers.date) + shiftMs).toUTCString();
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      },
    );
    forward.on("error", (error) => res.writeHead(502).end(String(error)));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    dropped: () => dropped,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
