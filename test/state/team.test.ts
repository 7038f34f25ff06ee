/**
 * Team state on S3 as teams use it (issue 19, items 5 and 6): whole programs
 * in child processes, each in its own folder (as CI checkouts on other
 * machines), the state in a real S3 server (moto, behind a proxy that counts
 * requests), IoT on a local endpoint standing in for AWS.
 *
 * - the pull-request workflow: "main" deploys; a clean folder holding only
 *   the program previews an edit against the same state: the right diff, no
 *   write to the bucket, and no wait while a deploy holds the lock;
 * - two and three deploys of one stage at once are serialised, and the state
 *   matches the endpoint afterwards;
 * - a holder killed with SIGKILL: the next deploy takes its lease over;
 * - a holder paused past its lease while another deploy completes, then
 *   resumed: it writes nothing more and exits non-zero, naming the new holder.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { IoTClient, ListJobTemplatesCommand, ListTagsForResourceCommand } from "@aws-sdk/client-iot";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import type { Plan } from "../../src/preview/plan.ts";
import { endpointEnv } from "../support/endpoint-env.ts";
import { startS3 } from "../support/s3.ts";
import { BUILD_DIR, js } from "../support/compiled.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const fixture = path.join(repo, "test", "reliability", "fixtures", "program.run.ts");
/** Folders inside the compiled copy (test/support/compiled.ts), so that the programs import the package by name (its exports). */
const scratch = path.join(BUILD_DIR, "team-folders");
const BUCKET = "team-state";

const s3 = await startS3();
let local: LocalIoT;
let iot: IoTClient;
let n = 0;
let app: string;

beforeAll(async () => {
  if (!s3) return;
  await s3.createBucket(BUCKET);
  local = await startLocalIoT({ port: 0, deletionDelayMs: 20 });
  iot = new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
});
afterAll(async () => {
  iot?.destroy();
  await local?.stop();
  await s3?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  app = `team${++n}`;
});

/** A folder holding only the program, as a checkout on another machine. */
function folder(name: string): string {
  const dir = path.join(scratch, `${app}-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(js(fixture), path.join(dir, "alchemy.run.js"));
  return dir;
}

/** Sends a signal to a run's whole process group (the program, and a check it may be running). */
const signal = (run: Run, name: NodeJS.Signals) => process.kill(-run.child.pid!, name);

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  stdout: string;
  child: ChildProcess;
  done: Promise<Run>;
  /** Resolves once the output matches. */
  saw(pattern: RegExp): Promise<void>;
}

function start(dir: string, args: string[], declarations: unknown[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [path.join(dir, "alchemy.run.js"), ...args], {
    cwd: dir,
    env: endpointEnv(local, dir, { ...s3!.env(), STATE_BUCKET: BUCKET, PROGRAM: JSON.stringify(declarations), PROGRAM_APP: app, ...env }),
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: a signal reaches the whole-program check's child process too, if one runs.
    detached: true,
  });
  const run = { code: null, signal: null, out: "", stdout: "", child } as unknown as Run;
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const add = (d: Buffer, stdout: boolean) => {
    run.out += d;
    if (stdout) run.stdout += d;
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(run.out)) w.resolve();
      else waiters.push(w);
    }
  };
  child.stdout!.on("data", (d) => add(d, true));
  child.stderr!.on("data", (d) => add(d, false));
  run.done = new Promise((resolve) =>
    child.on("close", (code, signal) => {
      run.code = code;
      run.signal = signal;
      resolve(run);
    }),
  );
  run.saw = (pattern) =>
    pattern.test(run.out)
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          waiters.push({ pattern, resolve });
          void run.done.then(() => reject(new Error(`exited (${run.code}) before printing ${pattern}:\n${run.out}`)));
        });
  return run;
}

const deploy = (dir: string, declarations: unknown[], env: Record<string, string> = {}) =>
  start(dir, ["--stage", "shared"], declarations, env);
/** `alchemy-iot-jobs preview` of the folder's program, as a pull request's CI job runs it. */
function preview(dir: string, declarations: unknown[], args: string[]): Promise<Run> {
  const child = spawn(
    process.execPath,
    [js("src/cli/index.ts"), "preview", path.join(dir, "alchemy.run.js"), "--stage", "shared", ...args],
    {
      cwd: dir,
      env: endpointEnv(local, dir, { ...s3!.env(), STATE_BUCKET: BUCKET, PROGRAM: JSON.stringify(declarations), PROGRAM_APP: app }),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const run = { code: null, signal: null, out: "", stdout: "", child } as unknown as Run;
  child.stdout!.on("data", (d) => ((run.out += d), (run.stdout += d)));
  child.stderr!.on("data", (d) => (run.out += d));
  return new Promise((resolve) => child.on("close", (code) => resolve(Object.assign(run, { code }))));
}

/** The stage's state keys in the bucket (ids), and the job templates of the app on the endpoint (their alchemy_resource tags' ids). */
async function stateAndLive(): Promise<{ state: string[]; live: string[] }> {
  const listed = await s3!.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `alchemy/${app}/shared/` }));
  const state = (listed.Contents ?? []).map((o) => o.Key!.split("/").pop()!).sort();
  const live: string[] = [];
  for (const t of (await iot.send(new ListJobTemplatesCommand({}))).jobTemplates ?? []) {
    const tags = Object.fromEntries(
      ((await iot.send(new ListTagsForResourceCommand({ resourceArn: t.jobTemplateArn! }))).tags ?? []).map((x) => [x.Key, x.Value]),
    );
    if (tags.alchemy_app === app) live.push(tags.alchemy_resource!.split("/").pop()!);
  }
  return { state, live: live.sort() };
}

const template = (id: string, description = id) => ({
  kind: "JobTemplate",
  id,
  props: { jobTemplateId: `${app}-${id}`, description, document: { op: id } },
});
const isStateWrite = (path: string) => path.includes(`/alchemy/${app}/`);

describe.skipIf(!s3)("team state on S3", () => {
  test("the pull-request workflow: main deploys; a clean folder previews an edit against the same state, writing nothing, without waiting for a deploy that holds the lock", async () => {
    const main = folder("main");
    const v1 = [template("firmware", "v1"), template("reboot")];
    const first = await deploy(main, v1).done;
    expect(first.code, first.out).toBe(0);

    const pr = folder("pr");
    const v2 = [template("firmware", "v2"), template("reboot"), template("config")];
    s3!.resetRequests();
    const json = await preview(pr, v2, ["--format", "json", "--detailed-exitcode"]);
    expect(json.code, json.out).toBe(2);
    const plan = JSON.parse(json.stdout) as Plan;
    expect(plan.summary).toMatchObject({ create: 1, update: 0, replace: 1, delete: 0 });
    expect(plan.resources.find((e) => e.name === "firmware")!.diffs).toEqual([
      expect.objectContaining({ path: "description", before: "v1", after: "v2" }),
    ]);
    const md = await preview(pr, v2, ["--format", "markdown"]);
    expect(md.code, md.out).toBe(0);
    expect(md.stdout).toContain(`<!-- alchemy-iot-jobs-preview app=${app} stage=shared -->`);
    expect(md.stdout).toContain("**Plan: 1 to create, 0 to update, 1 to replace, 0 to delete.**");
    expect(s3!.writes()).toEqual([]);
    expect(fs.readdirSync(pr).sort()).toEqual(["alchemy.run.js"]);

    // A deploy holds the lock (paused after its first resource): the preview neither waits nor writes.
    const pause = path.join(main, "pause");
    fs.writeFileSync(pause, "");
    const holder = deploy(main, v2, { PAUSE_AFTER: "firmware", PAUSE_FILE: pause });
    await holder.saw(/paused after firmware/);
    s3!.resetRequests();
    const started = performance.now();
    const during = await preview(pr, v2, ["--format", "json"]);
    expect(during.code, during.out).toBe(0);
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(s3!.writes().filter((w) => isStateWrite(w.path))).toEqual([]);
    expect(s3!.writes().every((w) => w.path.includes("/.locks/"))).toBe(true);
    fs.rmSync(pause);
    expect((await holder.done).code, holder.out).toBe(0);
  });

  for (const count of [2, 3]) {
    test(`${count} deploys of one stage at once, from separate folders with different programs, run one at a time; the state matches the endpoint`, async () => {
      const programs = [[template("a"), template("b")], [template("a", "changed"), template("c")], [template("d")]].slice(0, count);
      const runs = programs.map((p, i) => deploy(folder(`deploy${i}`), p));
      const results = await Promise.all(runs.map((r) => r.done));
      for (const r of results) expect(r.code, r.out).toBe(0);
      expect(results.filter((r) => /Waiting for the state of stage "shared"/.test(r.out)).length).toBeGreaterThan(0);
      const { state, live } = await stateAndLive();
      expect(live).toEqual(state);
      expect(new Set(live).size).toBe(live.length);
    });
  }

  test("a holder killed with SIGKILL: the next deploy takes its lease over once it expires, and converges", async () => {
    const dir = folder("killed");
    const pause = path.join(dir, "pause");
    fs.writeFileSync(pause, "");
    const killed = deploy(dir, [template("a"), template("b")], { PAUSE_AFTER: "a", PAUSE_FILE: pause, LEASE_SECONDS: "3" });
    await killed.saw(/paused after a/);
    signal(killed, "SIGKILL");
    await killed.done;
    const started = performance.now();
    const next = await deploy(folder("next"), [template("a"), template("c")], { LEASE_SECONDS: "3" }).done;
    const seconds = (performance.now() - started) / 1000;
    expect(next.code, next.out).toBe(0);
    expect(next.out).toMatch(/[Tt]ook over/);
    console.log(`takeover of a killed holder's lease (3 s): the next deploy finished in ${seconds.toFixed(1)} s`);
    const { state, live } = await stateAndLive();
    expect(state).toEqual(["a", "c"]);
    expect(live).toEqual(state);
  });

  test("a holder paused past its lease while another deploy completes, then resumed: it writes nothing more and exits non-zero, naming the new holder", async () => {
    const dir = folder("paused");
    const pause = path.join(dir, "pause");
    fs.writeFileSync(pause, "");
    const paused = deploy(dir, [template("a"), template("b")], { PAUSE_AFTER: "a", PAUSE_FILE: pause, LEASE_SECONDS: "3" });
    await paused.saw(/paused after a/);
    signal(paused, "SIGSTOP");
    const other = await deploy(folder("other"), [template("x")], { LEASE_SECONDS: "3" }).done;
    expect(other.code, other.out).toBe(0);
    const after = await stateAndLive();
    expect(after.state).toEqual(["x"]);

    s3!.resetRequests();
    local.resetStats();
    fs.rmSync(pause);
    signal(paused, "SIGCONT");
    const resumed = await paused.done;
    expect(resumed.code).not.toBe(0);
    expect(resumed.out).toMatch(
      /✖ Deploy failed: Lost the lock on the state of stage "shared" of app "team\d+" \(s3:\/\/team-state\/alchemy\/\.locks\/team\d+\/shared\): it was not renewed for \d+ s/,
    );
    // It names the process that took the lease over (which has finished and released it since).
    expect(resumed.out).toMatch(/Process \d+ \([^)]*alchemy\.run\.js --stage shared\), since [^ ]+ took it over and has released it since/);
    expect(s3!.writes().filter((w) => isStateWrite(w.path))).toEqual([]);
    expect(local.stats().mutatingRequests).toBe(0);
    expect(await stateAndLive()).toEqual(after);
  });
});
