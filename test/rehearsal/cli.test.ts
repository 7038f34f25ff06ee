/**
 * `alchemy-iot-jobs rehearse` end to end: the real CLI and program in child
 * processes. The program is deployed only to the rehearsal's own in-memory
 * endpoint: the environment points at an endpoint that would refuse every
 * call, and nothing is written to the project.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Rehearsal } from "../../src/rehearsal/report.ts";
import { compiledArgs } from "../support/compiled.ts";
import { readTree } from "../support/files.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const fixture = path.join(repo, "test", "rehearsal", "fixtures", "fleet.run.ts");
const rolloutFixture = path.join(repo, "test", "rehearsal", "fixtures", "rollout.run.ts");
const node = process.execPath;
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-rehearse-"));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function rehearse(
  args: string[],
  job: Record<string, unknown> = {},
  extra: Record<string, string> = {},
  program = fixture,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    ...extra,
    FIXTURE_JOB: JSON.stringify(job),
    // Where a deploy would go: nothing listens there, so a rehearsal that used it would fail.
    AWS_ENDPOINT_URL_IOT: "http://127.0.0.1:9",
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIDNOTUSED",
    AWS_SECRET_ACCESS_KEY: "not-used",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    ALCHEMY_TELEMETRY_DISABLED: "1",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    NO_COLOR: "1",
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --conditions=@alchemy-iot-jobs/source`.trim(),
  };
  return new Promise((resolve) => {
    execFile(
      node,
      compiledArgs([path.join(repo, "src/cli/index.ts"), "rehearse", program, ...args]),
      { cwd: root, env, encoding: "utf8", timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

test("JSON: 1,000 devices at 100 a minute complete in 10 minutes, never more than 100 notified in a minute; nothing written to the project", async () => {
  const r = await rehearse(["--job", "firmware", "--devices", "1000", "--format", "json"], {
    jobExecutionsRolloutConfig: { maximumPerMinute: 100 },
  });
  expect(r.code, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout) as Rehearsal;
  expect(report).toMatchObject({ formatVersion: 1, job: "firmware", devices: 1000, outcome: "COMPLETED", attempts: 1000 });
  expect(report.minutes).toBeGreaterThanOrEqual(10);
  expect(report.minutes).toBeLessThanOrEqual(11);
  expect(report.executions.SUCCEEDED).toBe(1000);
  expect(Math.max(...report.timeline.map((m) => m.notified))).toBeLessThanOrEqual(100);
  expect(report.timeline.reduce((a, m) => a + m.notified, 0)).toBe(1000);
  expect(report.timeline.map((m) => m.minute)).toEqual([...Array(report.minutes + 1).keys()]);
  expect(report.jobId).toMatch(/^rehearsal-fleet-/);
  expect(readTree(root, () => "")).toEqual({});
});

test("Markdown with a Mermaid chart, an SVG chart file, and the text story", async () => {
  const job = { jobExecutionsRolloutConfig: { maximumPerMinute: 50 } };
  const md = await rehearse(["--job", "firmware", "--devices", "200", "--format", "markdown", "--chart", "chart.svg"], job);
  expect(md.code, md.stderr).toBe(0);
  expect(md.stdout).toContain("```mermaid\nxychart-beta");
  expect(md.stdout).toContain("**200 simulated devices; rollout 50/min; completed at minute");
  const svg = fs.readFileSync(path.join(root, "chart.svg"), "utf8");
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  // Ticks at round values on both axes: 0, 10, ... 50 executions; minutes 0, 1, 2, ...
  for (const v of [0, 10, 20, 30, 40, 50]) expect(svg).toContain(`text-anchor="end">${v}</text>`);
  expect(svg).toMatch(/text-anchor="middle">1<\/text>/);
  fs.rmSync(path.join(root, "chart.svg"));
  const text = await rehearse(["--job", "firmware", "--devices", "200"], job);
  expect(text.stdout).toMatch(
    /^Rehearsal of job firmware \(rehearsal-fleet-[^)]+\): 200 devices; rollout 50\/min; completed at minute 4: 200 succeeded\.$/m,
  );
});

test("errors: an unknown job, too few devices, a bad rate; each exits 1 with the reason", async () => {
  const unknown = await rehearse(["--job", "nope"]);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain(`the program declares no Job "nope"`);
  expect(unknown.stderr).toContain("firmware");
  const few = await rehearse(["--job", "firmware", "--devices", "0"]);
  expect(few.code).toBe(1);
  expect(few.stderr).toContain(`--devices must be a whole number from 1 to 1000000, not "0".`);
  const rates = await rehearse(["--job", "firmware", "--fail-rate", "0.7", "--hang-rate", "0.5"]);
  expect(rates.code).toBe(1);
  expect(rates.stderr).toContain("add up to 1.2");
});

test("usage errors name the option and the value: a negative number, a directory for --out, a --start that does not exist", async () => {
  const negative = await rehearse(["--job", "firmware", "--devices", "-5"]);
  expect(negative.code).toBe(1);
  expect(negative.stderr).toContain(`--devices must be a whole number from 1 to 1000000, not "-5".`);
  fs.mkdirSync(path.join(root, "reports"), { recursive: true });
  const directory = await rehearse(["--job", "firmware", "--format", "markdown", "--out", "reports"]);
  expect(directory.code).toBe(1);
  expect(directory.stderr).toContain(`--out names a directory (reports): give a file in it, e.g. ${path.join("reports", "rehearsal.md")}.`);
  fs.rmSync(path.join(root, "reports"), { recursive: true });
  const start = await rehearse(["--job", "firmware", "--start", "2027-02-30T22:00"]);
  expect(start.code).toBe(1);
  expect(start.stderr).toContain(`--start must be a date and time that exists`);
});

test("--start sets the virtual clock: printed in the report, and the same seed and start give the same report", async () => {
  const args = [
    "--job",
    "firmware",
    "--devices",
    "60",
    "--fail-rate",
    "0.3",
    "--seed",
    "7",
    "--start",
    "2027-03-01T22:00",
    "--format",
    "json",
  ];
  const [a, b] = await Promise.all([rehearse(args), rehearse(args)]);
  expect(a.code, a.stderr).toBe(0);
  const report = JSON.parse(a.stdout) as Rehearsal;
  expect(report.start).toBe("2027-03-01T22:00:00.000Z");
  expect(report.executions.FAILED).toBeGreaterThan(0);
  expect(b.stdout).toBe(a.stdout);
  const text = await rehearse(args.slice(0, -2));
  expect(text.stdout).toContain("Virtual clock: minute 0 is 2027-03-01 22:00 UTC.");
});

test("a target group the program names by ARN but does not declare (another account and region) is made on the rehearsal's endpoint and filled", async () => {
  const arn = "arn:aws:iot:ap-south-1:111122223333:thinggroup/prod-fleet";
  const r = await rehearse(["--job", "firmware", "--devices", "40", "--format", "json"], {}, { FIXTURE_TARGET: arn });
  expect(r.code, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout) as Rehearsal;
  expect(report).toMatchObject({ devices: 40, outcome: "COMPLETED", executions: { SUCCEEDED: 40 } });
  expect(report.notes).toContain(
    `thing group prod-fleet (${arn}) is not declared by the program: the rehearsal made it on its own endpoint`,
  );
});

test("a package version the program names by ARN but does not declare is made on the rehearsal's endpoint, and the report counts the devices on it", async () => {
  const arn = "arn:aws:iot:ap-south-1:111122223333:package/th200-firmware/version/2.0.0";
  const r = await rehearse(["--job", "firmware", "--devices", "30", "--fail-rate", "0.2", "--format", "json"], {
    destinationPackageVersions: [arn],
  });
  expect(r.code, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout) as Rehearsal;
  expect(report.notes).toContain(
    `package version th200-firmware 2.0.0 (${arn}) is not declared by the program: the rehearsal made it on its own endpoint, PUBLISHED (a deploy checks its real status)`,
  );
  expect(report.packageVersions).toEqual({
    "th200-firmware": { "2.0.0": report.executions.SUCCEEDED, "(none)": 30 - report.executions.SUCCEEDED },
  });
});

test("a Rollout: the deploy re-runs every 15 virtual minutes on one state and endpoint; without failures every wave passes, with 8 % failing it stops in the canary", async () => {
  const ok = await rehearse(["--job", "firmware", "--devices", "200", "--format", "json", "--chart", "waves.svg"], {}, {}, rolloutFixture);
  expect(ok.code, ok.stderr).toBe(0);
  const done = JSON.parse(ok.stdout) as Rehearsal;
  expect(done).toMatchObject({ formatVersion: 1, job: "firmware", devices: 200, outcome: "COMPLETED", deployEveryMinutes: 15 });
  expect(done.wave).toBeUndefined();
  expect(done.executions.SUCCEEDED).toBe(200);
  expect(done.waves!.map((w) => [w.name, w.gate])).toEqual([
    ["canary", "passed"],
    ["early", "passed"],
    ["everyone", "passed"],
  ]);
  expect(done.waves!.reduce((a, w) => a + w.devices, 0)).toBe(200);
  // Each wave starts at a deploy (every 15 minutes) after the previous one's bake (60 minutes).
  expect(done.waves!.map((w) => w.startMinute)).toEqual([0, 60, 120]);
  expect(done.waves![0].devices).toBe(10);
  // The chart marks each wave's start with its name.
  const svg = fs.readFileSync(path.join(root, "waves.svg"), "utf8");
  for (const name of ["canary", "early", "everyone"]) expect(svg).toContain(`fill="#756bb1">${name}</text>`);
  fs.rmSync(path.join(root, "waves.svg"));

  const failing = await rehearse(["--job", "firmware", "--devices", "200", "--fail-rate", "0.08"], {}, {}, rolloutFixture);
  expect(failing.code, failing.stderr).toBe(0);
  expect(failing.stdout).toMatch(
    /^Rehearsal of rollout firmware \([^)]+\): 200 devices; .*canceled at minute 15: wave canary failed its gate/m,
  );
  expect(failing.stdout).toMatch(/^ {2}1\. canary: minute 0; 10 devices, \d+ succeeded, [1-9]\d* failed; gate failed$/m);
  expect(failing.stdout).toContain("  2. early: not started; 0 devices, 0 succeeded, 0 failed; gate pending");
  const json = await rehearse(["--job", "firmware", "--devices", "200", "--fail-rate", "0.08", "--format", "json"], {}, {}, rolloutFixture);
  const canceled = JSON.parse(json.stdout) as Rehearsal;
  expect(canceled).toMatchObject({ outcome: "CANCELED", wave: "canary", minutes: 15 });
  expect(canceled.waves!.map((w) => w.gate)).toEqual(["failed", "pending", "pending"]);
  expect(canceled.executions.NOT_NOTIFIED).toBe(190);
  // onGateFailure "hold": the same gate stops the rollout without cancelling the job; the outcome is HELD.
  const holding = await rehearse(
    ["--job", "firmware", "--devices", "200", "--fail-rate", "0.08", "--format", "json"],
    {},
    { FIXTURE_ON_GATE_FAILURE: "hold" },
    rolloutFixture,
  );
  expect(holding.code, holding.stderr).toBe(0);
  const held = JSON.parse(holding.stdout) as Rehearsal;
  expect(held).toMatchObject({ outcome: "HELD", wave: "canary", minutes: 15 });
  expect(held.reasonCode).toBeUndefined();
  expect(held.waves!.map((w) => w.gate)).toEqual(["failed", "pending", "pending"]);
  expect(held.executions.CANCELED ?? 0).toBe(0);
  expect(held.executions.NOT_NOTIFIED).toBe(190);
  const bad = await rehearse(["--job", "firmware", "--deploy-every", "0"], {}, {}, rolloutFixture);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain(`--deploy-every must be a whole number from 1 to 527040, not "0".`);
});
