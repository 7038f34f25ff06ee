/**
 * A rehearsal never touches what is not its own (issue 18, cases 1 and 2),
 * through the real CLI and program in child processes: the environment names
 * real-looking endpoints (a local IoT endpoint standing in for AWS, and a
 * recording server for every other AWS service) and credentials for them,
 * and neither receives a request; nothing is written to the project.
 * The two-copies case (the program importing another installation of the
 * package than the command's) is tested by `npm run test:package`.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import type { Rehearsal } from "../../src/rehearsal/report.ts";
import { compiledArgs } from "../support/compiled.ts";
import { readTree } from "../support/files.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const node = process.execPath;
let root: string;
let standIn: LocalIoT;
let recorder: http.Server;
const recorded: string[] = [];

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-isolation-"));
  standIn = await startLocalIoT({ port: 0 });
  recorder = http.createServer((req, res) => {
    recorded.push(`${req.method} ${req.headers.host}${req.url}`);
    req.resume();
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => recorder.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  await standIn.stop();
  await new Promise((resolve) => recorder.close(resolve));
  fs.rmSync(root, { recursive: true, force: true });
});

function rehearse(fixture: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const other = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
  const env = {
    ...process.env,
    // Where a deploy would go: the stand-in IoT endpoint, and the recording server for every other AWS service.
    AWS_ENDPOINT_URL_IOT: standIn.endpoint,
    AWS_ENDPOINT_URL: other,
    AWS_ENDPOINT_URL_IAM: other,
    AWS_REGION: standIn.region,
    AWS_ACCESS_KEY_ID: standIn.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: standIn.credentials.secretAccessKey,
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
      compiledArgs([path.join(repo, "src/cli/index.ts"), "rehearse", path.join(repo, "test/rehearsal/fixtures", fixture), ...args]),
      { cwd: root, env, encoding: "utf8", timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

test("resources of other providers are not run: nothing reaches IAM or the project, the report lists them and the job's placeholder", async () => {
  standIn.resetStats();
  recorded.length = 0;
  const r = await rehearse("foreign.run.ts", ["--job", "firmware", "--stage", "rh", "--devices", "50", "--format", "json"]);
  expect(r.code, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout) as Rehearsal;
  expect(report).toMatchObject({ devices: 50, outcome: "COMPLETED", executions: { SUCCEEDED: 50 } });
  expect(report.notRehearsed).toEqual([
    { address: "rehearsal-foreign/rh/downloads", type: "iam::Role" },
    { address: "rehearsal-foreign/rh/notes", type: "fs::File" },
  ]);
  expect(report.notes.join("\n")).toContain("2 resources of other providers were not rehearsed");
  expect(report.notes.join("\n")).toMatch(
    /Job "firmware": presignedUrlConfig\.roleArn is a placeholder \("arn:aws:iam::000000000000:role\/rehearsal-placeholder-downloads"\) for the arn of iam::Role "downloads"/,
  );
  expect(recorded).toEqual([]);
  expect(standIn.stats().requests).toBe(0);
  expect(readTree(root, () => "")).toEqual({});
});

test("a program whose IoT calls the environment points elsewhere still reaches only the rehearsal's endpoint", async () => {
  standIn.resetStats();
  recorded.length = 0;
  const r = await rehearse("fleet.run.ts", ["--job", "firmware", "--devices", "20", "--format", "json"]);
  expect(r.code, r.stderr).toBe(0);
  expect((JSON.parse(r.stdout) as Rehearsal).executions.SUCCEEDED).toBe(20);
  expect(standIn.stats().requests).toBe(0);
  expect(recorded).toEqual([]);
});
