/**
 * `alchemy-iot-jobs unlock`, run as a command against locks held by live
 * processes (test/runtime/fixtures/holder.ts), on files and on a real S3
 * server (moto): it shows the holder, breaks the lock only with --force, and
 * the holder that still runs then finds its lease lost and stops.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { startS3 } from "../support/s3.ts";
import { cli, startHolder, stop, type Child } from "../runtime/fixtures/processes.ts";

const s3 = await startS3();
const BUCKET = "unlock-tests";
if (s3) await s3.createBucket(BUCKET);
afterAll(() => s3?.stop());

const children: Child[] = [];
afterEach(() => children.splice(0).forEach(stop));
const holder = (env: Record<string, string>) => {
  const c = startHolder(env);
  children.push(c);
  return c;
};

describe("unlock on files", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "unlock-"));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const target = (app: string, stage: string) => path.join(root, ".alchemy", ".locks", app, stage);

  test("shows the holder, breaks the lock only with --force, and the holder then stops; nothing held afterwards", async () => {
    const held = holder({ LOCK_BACKEND: "file", LOCK_TARGET: target("app", "dev") });
    await held.next("HELD");

    const shown = await cli(["unlock", "--stage", "dev", "--root", root]);
    expect(shown.code, shown.out).toBe(1);
    expect(shown.out).toContain(`The lock on stage "dev" of app "app" (${target("app", "dev")}) is held by:`);
    expect(shown.out).toContain(`  process: ${held.pid} on ${os.hostname()}`);
    expect(shown.out).toContain("  program: holder.js");
    expect(shown.out).toContain("  stage:   stage of app app");
    expect(shown.out).toMatch(/ {2}lease: {3}last renewed \d+ s ago by this machine's clock; lease 30 s/);
    expect(shown.out).toContain("add --force to break it");
    expect(fs.existsSync(`${target("app", "dev")}.lock`)).toBe(true);

    const broken = await cli(["unlock", "--stage", "dev", "--root", root, "--force"]);
    expect(broken.code, broken.out).toBe(0);
    expect(broken.out).toContain('Broke the lock on stage "dev" of app "app".');
    expect(fs.existsSync(`${target("app", "dev")}.lock`)).toBe(false);
    // The holder's next refresh finds its lock gone: it stops.
    expect(await held.next("LOST")).toContain(`its lock directory ${target("app", "dev")}.lock was removed`);
    expect((await held.exited).code).toBe(3);

    const none = await cli(["unlock", "--stage", "dev", "--root", root]);
    expect(none.code, none.out).toBe(0);
    expect(none.out).toContain('No lock is held on stage "dev"');
  });

  test("without --app, it needs the stage to be locked for one app only", async () => {
    for (const app of ["one", "two"]) fs.mkdirSync(`${target(app, "qa")}.lock`, { recursive: true });
    const ambiguous = await cli(["unlock", "--stage", "qa", "--root", root, "--force"]);
    expect(ambiguous.code, ambiguous.out).toBe(1);
    expect(ambiguous.out).toContain(
      `Stage "qa" is locked for more than one app under ${path.join(root, ".alchemy", ".locks")} (one, two): choose one with --app.`,
    );
    expect(fs.existsSync(`${target("one", "qa")}.lock`)).toBe(true);

    const chosen = await cli(["unlock", "--stage", "qa", "--app", "one", "--root", root, "--force"]);
    expect(chosen.code, chosen.out).toBe(0);
    expect(chosen.out).toContain("holder:  unknown");
    expect(fs.existsSync(`${target("one", "qa")}.lock`)).toBe(false);
    expect(fs.existsSync(`${target("two", "qa")}.lock`)).toBe(true);
  });

  test("--stage is required", async () => {
    const missing = await cli(["unlock", "--root", root]);
    expect(missing.code).toBe(1);
    expect(missing.out).toContain("--stage is required");
    expect(missing.out).toContain("Usage: alchemy-iot-jobs unlock");
  });
});

describe.skipIf(!s3)("unlock on S3", () => {
  const key = "alchemy/.locks/app/dev";
  const env = () => ({ ...s3!.env(), AWS_REGION: s3!.region, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" });

  test("shows the holder, breaks the lock only with --force, and the holder then stops; nothing held afterwards", async () => {
    // A short lease, renewed every 2 s: the holder soon finds its lock gone.
    const held = holder({ LOCK_BACKEND: "s3", S3_ENDPOINT: s3!.endpoint, S3_BUCKET: BUCKET, S3_KEY: key, LEASE_SECONDS: "6" });
    await held.next("HELD");

    const noApp = await cli(["unlock", "--stage", "dev", "--bucket", BUCKET], env());
    expect(noApp.code, noApp.out).toBe(1);
    expect(noApp.out).toContain("--app is required with --bucket");

    const shown = await cli(["unlock", "--stage", "dev", "--app", "app", "--bucket", BUCKET], env());
    expect(shown.code, shown.out).toBe(1);
    expect(shown.out).toContain(`The lock on stage "dev" of app "app" (s3://${BUCKET}/${key}) is held by:`);
    expect(shown.out).toContain(`  process: ${held.pid} on ${os.hostname()}`);
    expect(shown.out).toMatch(/ {2}lease: {3}last renewed \d+ s ago by the S3 server's clock; lease 6 s/);
    expect(shown.out).toContain("add --force to break it");

    const broken = await cli(["unlock", "--stage", "dev", "--app", "app", "--bucket", BUCKET, "--prefix", "alchemy/", "--force"], env());
    expect(broken.code, broken.out).toBe(0);
    expect(broken.out).toContain('Broke the lock on stage "dev" of app "app".');
    expect(await held.next("LOST")).toContain(`its lock object s3://${BUCKET}/${key} was removed`);
    expect((await held.exited).code).toBe(3);

    const none = await cli(["unlock", "--stage", "dev", "--app", "app", "--bucket", BUCKET], env());
    expect(none.code, none.out).toBe(0);
    expect(none.out).toContain(`No lock is held on stage "dev" of app "app" (s3://${BUCKET}/${key}).`);
  });
});
