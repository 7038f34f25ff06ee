/**
 * `preview` and `rehearse` finish when the program has finished (its root
 * scope's finalize() returned), whatever timers or sockets it left open, and
 * say so (src/preview/finished.ts). The real CLIs and programs in child
 * processes; each run has its own deadline, well below the test's, so a run
 * that hangs fails instead of stalling the suite (and its whole process group
 * is killed, the program included).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import type { Plan } from "../../src/preview/plan.ts";
import type { Rehearsal } from "../../src/rehearsal/report.ts";
import { compiledArgs } from "../support/compiled.ts";
import { endpointEnv } from "../support/endpoint-env.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const node = process.execPath;
const previewFixture = path.join(repo, "test", "preview", "fixtures", "open-handles.run.ts");
const rehearsalFixture = path.join(repo, "test", "rehearsal", "fixtures", "open-handles.run.ts");
/** A run that takes longer than this hangs: it is killed and the test fails. */
const DEADLINE_MS = 60_000;
const TEST_TIMEOUT_MS = 120_000;

let local: LocalIoT;
let root: string;

beforeAll(async () => {
  local = await startLocalIoT();
  root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-finish-"));
});
afterAll(async () => {
  await local.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The run passed its deadline and was killed. */
  hung: boolean;
}

/**
 * Runs the CLI in its own process group without blocking this process (the
 * endpoint lives here); past the deadline the whole group (CLI and program)
 * is killed.
 */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, compiledArgs([path.join(repo, "src/cli/index.ts"), ...args]), {
      cwd: repo,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    let hung = false;
    const deadline = setTimeout(() => {
      hung = true;
      process.kill(-child.pid!, "SIGKILL");
    }, DEADLINE_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr, hung });
    });
  });
}

const preview = (leaveOpen: string, args: string[] = []) =>
  cli(["preview", previewFixture, "--stage", "fin", ...args], endpointEnv(local, root, { LEAVE_OPEN: leaveOpen }));

const rehearse = (leaveOpen: string, args: string[] = []) =>
  cli(["rehearse", rehearsalFixture, "--job", "firmware", "--devices", "20", ...args], {
    ...process.env,
    LEAVE_OPEN: leaveOpen,
    // Where a deploy would go: nothing listens there (the rehearsal uses its own endpoint).
    AWS_ENDPOINT_URL_IOT: "http://127.0.0.1:9",
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIDNOTUSED",
    AWS_SECRET_ACCESS_KEY: "not-used",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    ALCHEMY_ROOT: root,
    ALCHEMY_TELEMETRY_DISABLED: "1",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    NO_COLOR: "1",
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --conditions=@alchemy-iot-jobs/source`.trim(),
  });

const finished = (r: Run) => `${r.hung ? `hung (killed after ${DEADLINE_MS} ms)` : `exit ${r.code}`}\n${r.stdout}${r.stderr}`;

async function planOf(leaveOpen: string, args: string[] = []): Promise<{ plan: Plan; run: Run }> {
  const r = await preview(leaveOpen, ["--format", "json", ...args]);
  expect(r.hung, finished(r)).toBe(false);
  expect(r.code, finished(r)).toBe(0);
  return { plan: JSON.parse(r.stdout) as Plan, run: r };
}

/** The plan of the fixture's one app: both resources created. */
async function onlyPlanOf(leaveOpen: string): Promise<Plan> {
  const { plan } = await planOf(leaveOpen);
  expect(plan.resources.map((e) => [e.address, e.actions.join("/")])).toEqual([
    ["open-handles/fin/firmware", "create"],
    ["open-handles/fin/fleet", "create"],
  ]);
  return plan;
}

const note = (what: string, action: "preview" | "rehearsal", them = false) =>
  `the program left ${what} open after finalize(); the ${action} did not wait for ${them ? "them" : "it"}`;

describe("preview, when the program leaves handles open after finalize()", () => {
  test(
    "an interval: the plan, exit 0, and the note in JSON, text and Markdown; the program's own work after finalize() ran",
    async () => {
      expect((await onlyPlanOf("interval")).notes).toEqual([note("1 timer", "preview")]);
      const text = await preview("interval", ["--verbose"]);
      expect(text.hung, finished(text)).toBe(false);
      expect(text.code, finished(text)).toBe(0);
      expect(text.stdout).toContain("Plan: 2 to create, 0 to update, 0 to replace, 0 to delete.");
      expect(text.stdout).toContain(`Note: ${note("1 timer", "preview")}.`);
      // The program's output (--verbose) shows it ran on after its finalize().
      expect(text.stderr).toContain("after finalize");
      const markdown = await preview("interval", ["--format", "markdown"]);
      expect(markdown.code, finished(markdown)).toBe(0);
      expect(markdown.stdout).toContain(`> **Note:** ${note("1 timer", "preview")}.`);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a listening socket opened before finalize(); a timer and a socket opened after it",
    async () => {
      expect((await onlyPlanOf("server-before")).notes).toEqual([note("1 listening socket", "preview")]);
      expect((await onlyPlanOf("interval,server-after")).notes).toEqual([note("1 timer and 1 listening socket", "preview", true)]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a second app started after the first one's finalize() is waited for until its own finalize() returned",
    async () => {
      const { plan, run } = await planOf("interval,second-app", ["--verbose"]);
      expect(plan.resources.map((e) => [e.address, e.actions.join("/")])).toEqual([
        ["open-handles-second/fin/later", "create"],
        ["open-handles/fin/firmware", "create"],
        ["open-handles/fin/fleet", "create"],
      ]);
      expect(plan.notes).toEqual([note("1 timer", "preview")]);
      expect(run.stderr).toContain("second app finalized");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "nothing left open, or a server closed right after finalize(): no note",
    async () => {
      for (const leaveOpen of ["", "server-closed"]) expect((await onlyPlanOf(leaveOpen)).notes, leaveOpen).toBeUndefined();
      const text = await preview("");
      expect(text.code, finished(text)).toBe(0);
      expect(text.stdout).not.toContain("Note:");
    },
    TEST_TIMEOUT_MS,
  );
});

describe("rehearse, when the program leaves handles open after finalize()", () => {
  test(
    "an interval: the report, exit 0, and the note in JSON and text",
    async () => {
      const r = await rehearse("interval", ["--format", "json"]);
      expect(r.hung, finished(r)).toBe(false);
      expect(r.code, finished(r)).toBe(0);
      const report = JSON.parse(r.stdout) as Rehearsal;
      expect(report).toMatchObject({ job: "firmware", devices: 20, outcome: "COMPLETED", executions: { SUCCEEDED: 20 } });
      expect(report.notes).toEqual([note("1 timer", "rehearsal")]);
      const text = await rehearse("interval");
      expect(text.hung, finished(text)).toBe(false);
      expect(text.code, finished(text)).toBe(0);
      expect(text.stdout).toMatch(
        /^Rehearsal of job firmware \(rehearsal-open-handles-[^)]+\): 20 devices; rollout 100\/min; completed at minute \d+: 20 succeeded\.$/m,
      );
      expect(text.stdout).toContain(`Note: ${note("1 timer", "rehearsal")}.`);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a listening socket opened before finalize(); nothing left open: no note",
    async () => {
      const socket = await rehearse("server-before", ["--format", "json"]);
      expect(socket.hung, finished(socket)).toBe(false);
      expect(socket.code, finished(socket)).toBe(0);
      expect((JSON.parse(socket.stdout) as Rehearsal).notes).toEqual([note("1 listening socket", "rehearsal")]);
      const clean = await rehearse("", ["--format", "json"]);
      expect(clean.code, finished(clean)).toBe(0);
      expect((JSON.parse(clean.stdout) as Rehearsal).notes).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
