/**
 * Whole processes on the embedded local endpoint, as a user runs them
 * (a deploy program, the preview command; compiled, see
 * test/support/compiled.ts): two deploys of one stage at
 * once, a lock left by a killed process, a destroy over an unreadable state
 * file with Alchemy's default store, a deleted data file, a temporary file
 * left by an interrupted write, and a secret that is not valid JSON.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { compiledArgs } from "../support/compiled.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const program = path.join("test", "reliability", "fixtures", "local.run.ts");
let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-procs-"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

interface Run {
  code: number | null;
  out: string;
}

function start(args: string[], env: Record<string, string> = {}, onOutput?: (out: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, compiledArgs(args), {
      cwd: repo,
      env: {
        ...process.env,
        ALCHEMY_ROOT: root,
        ALCHEMY_IOT_LOCAL: "1",
        ALCHEMY_TELEMETRY_DISABLED: "1",
        ALCHEMY_CI_STATE_STORE_CHECK: "false",
        NO_COLOR: "1",
        FORCE_COLOR: "0",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const add = (d: Buffer) => {
      out += d;
      onOutput?.(out);
    };
    child.stdout.on("data", add);
    child.stderr.on("data", add);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

const deploy = (env: Record<string, string> = {}, args: string[] = [], onOutput?: (out: string) => void) =>
  start([program, "--stage", "s", ...args], env, onOutput);
const preview = (args: string[] = [], env: Record<string, string> = {}) =>
  start(["src/cli/index.ts", "preview", program, "--stage", "s", ...args], env);

const dataFile = () => path.join(root, ".alchemy", "local-iot", "endpoint.json");
const stageDir = () => path.join(root, ".alchemy", "procs", "s");
const stageLock = () => path.join(root, ".alchemy", ".locks", "procs", "s");
const data = () => JSON.parse(fs.readFileSync(dataFile(), "utf8"));
const states = () =>
  fs
    .readdirSync(stageDir())
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(fs.readFileSync(path.join(stageDir(), f), "utf8")));

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("two deploys of one stage at once: the second waits for the first, says so, and nothing is corrupted", async () => {
  // The first deploy holds the stage until the second says it waits for it, however slowly the machine starts processes.
  const release = path.join(root, "release");
  const first = deploy({ HOLD_UNTIL: release });
  await until(() => fs.existsSync(`${stageLock()}.lock`), "the first deploy to lock the stage");
  const second = await deploy({ VERSION: "2" }, [], (out) => {
    if (/Waiting for the state of stage/.test(out) && !fs.existsSync(release)) fs.writeFileSync(release, "");
  });
  const done = await first;
  expect(done.code, done.out).toBe(0);
  expect(second.code, second.out).toBe(0);
  expect(second.out).toMatch(
    /Waiting for the state of stage "s" of app "procs" \(.*\), locked by process \d+ \(.*local\.run\.js --stage s\), since .*; waited \d+ s/,
  );
  expect(second.out).toMatch(/Got the lock on the state of stage "s"/);
  // One endpoint instance, recorded by every resource; the second deploy's change is there.
  const instance = data().instanceId;
  expect(states().map((s) => s.output.localInstance)).toEqual([instance, instance, instance]);
  expect(data().templates.map((t: { description: string }) => t.description)).toEqual(["Version 2"]);
  // Later runs work: nothing to change, nothing left locked.
  const again = await deploy({ VERSION: "2" });
  expect(again.code, again.out).toBe(0);
  expect(again.out.match(/Skipped Resource \(no changes\)/g)).toHaveLength(3);
  expect(fs.existsSync(`${stageLock()}.lock`)).toBe(false);
  expect(fs.existsSync(`${dataFile()}.lock`)).toBe(false);
  // The data file holds documents as the API received them: only its owner may read it.
  expect(fs.statSync(dataFile()).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.dirname(dataFile())).mode & 0o777).toBe(0o700);
});

test("a lock left by a killed process is taken over once stale (5 s for a process of this machine); one kept fresh while the deploy waits those seconds is refused, even with ALCHEMY_IOT_LOCK_TIMEOUT=0", async () => {
  // A process of this machine that has ended.
  const dead = spawnSync("true").pid;
  fs.mkdirSync(`${stageLock()}.lock`, { recursive: true });
  fs.writeFileSync(
    `${stageLock()}.owner`,
    JSON.stringify({ pid: dead, host: os.hostname(), command: "tsx alchemy.run.ts", since: "2026-01-01T00:00:00.000Z" }),
  );
  // Refreshed just now: a holder that no longer runs cannot have done that, so it is not taken (the id may be reused).
  // A dead holder's takeover is waited for (a few seconds, even with a wait of 0); kept fresh all along, the lock is refused.
  const fresh = setInterval(() => fs.utimesSync(`${stageLock()}.lock`, new Date(), new Date()), 200);
  const refused = await deploy({ ALCHEMY_IOT_LOCK_TIMEOUT: "0" }).finally(() => clearInterval(fresh));
  expect(refused.code, refused.out).toBe(1);
  expect(refused.out).toContain('The state of stage "s" of app "procs"');
  expect(refused.out).toContain(`is locked by process ${dead} (tsx alchemy.run.ts), since 2026-01-01T00:00:00.000Z`);
  expect(fs.existsSync(stageDir())).toBe(false);

  // Not refreshed for 10 s by a process that no longer runs: taken over without waiting (a live one's would wait 30 s).
  const old = new Date(Date.now() - 10_000);
  fs.utimesSync(`${stageLock()}.lock`, old, old);
  const taken = await deploy({ ALCHEMY_IOT_LOCK_TIMEOUT: "0" });
  expect(taken.code, taken.out).toBe(0);
  expect(taken.out.match(/\[created\]/g)).toHaveLength(3);
});

test("a destroy over a state file that is not JSON, with Alchemy's default store, exits 1 and names the file; nothing is deleted", async () => {
  expect((await deploy()).code).toBe(0);
  const file = path.join(stageDir(), "tpl.json");
  const text = fs.readFileSync(file, "utf8");
  fs.writeFileSync(file, text.slice(0, text.length / 2));
  const destroy = await deploy({}, ["--destroy"]);
  expect(destroy.code, destroy.out).toBe(1);
  expect(destroy.out).toContain("✖ Destroy failed: Alchemy's state file");
  expect(destroy.out).toContain(`${path.join("procs", "s", "tpl.json")} is not valid JSON`);
  expect(destroy.out).toContain("nothing was deleted");
  expect(data().templates).toHaveLength(1);
});

test("a deleted data file is reported by a deploy that changes nothing and by a plain preview", async () => {
  expect((await deploy()).code).toBe(0);
  fs.rmSync(dataFile());
  const noop = await deploy();
  expect(noop.code, noop.out).toBe(1);
  expect(noop.out).toContain("is recorded in Alchemy's state as deployed to the local IoT endpoint, but the endpoint's data file");
  expect(noop.out).toContain("is gone (it was deleted)");
  const plan = await preview();
  expect(plan.code, plan.out).not.toBe(0);
  expect(plan.out).toContain("is gone (it was deleted)");
  expect(fs.existsSync(dataFile())).toBe(false);
});

test("a temporary file left by an interrupted write is removed by the next process that owns the data file", async () => {
  expect((await deploy()).code).toBe(0);
  const orphan = `${dataFile()}.99999.deadbeef.tmp`;
  fs.writeFileSync(orphan, "{half a write");
  const update = await deploy({ VERSION: "2" });
  expect(update.code, update.out).toBe(0);
  expect(fs.existsSync(orphan)).toBe(false);
  expect(fs.readdirSync(path.dirname(dataFile())).filter((f) => f.endsWith(".tmp"))).toEqual([]);
});

test("a secret document that is not JSON is refused without its value in any output; nothing is written", async () => {
  const secret = "SECRETZ-1 plain text";
  const run = await deploy({ SECRET_DOCUMENT: secret });
  expect(run.code, run.out).toBe(1);
  expect(run.out).toContain("document: (sensitive) is not valid JSON; job documents are JSON");
  expect(run.out.split("is not valid JSON").length - 1, "said once").toBe(1);
  expect(run.out).not.toContain("SECRETZ");
  expect(fs.existsSync(path.join(stageDir(), "secret.json"))).toBe(false);
  for (const format of ["json", "markdown", "text"]) {
    const plan = await preview(["--format", format], { SECRET_DOCUMENT: secret });
    expect(plan.code, plan.out).not.toBe(0);
    expect(plan.out).toContain("(sensitive) is not valid JSON");
    expect(plan.out.split("is not valid JSON").length - 1, `said once (${format})`).toBe(1);
    expect(plan.out).not.toContain("SECRETZ");
  }
});
