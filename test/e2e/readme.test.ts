/**
 * The README's quick start, run as a new user runs it: the npm scripts in
 * child processes, against the embedded local endpoint, with no AWS account.
 * ALCHEMY_ROOT keeps the run's `.alchemy` directory out of the repository.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { startLocalIoT } from "../../src/local/index.ts";
import { readTree } from "../support/files.ts";

const repo = path.resolve(import.meta.dirname, "../..");
let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-readme-"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function run(command: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(command, args, {
    cwd: repo,
    env: { ...process.env, ALCHEMY_ROOT: root, FORCE_COLOR: "0", NO_COLOR: "1", ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: result.status, out: `${result.stdout}${result.stderr}`, stdout: result.stdout };
}

const endpointFile = () => path.join(root, ".alchemy", "local-iot", "endpoint.json");
const counts = () => {
  const data = JSON.parse(fs.readFileSync(endpointFile(), "utf8"));
  return { templates: data.templates.length, jobs: data.jobs.length, things: data.things.length, thingGroups: data.thingGroups.length };
};

test("npm run deploy deploys the example to the embedded endpoint and prints the outputs; a second run changes nothing; npm run preview shows nothing to do; npm run destroy removes everything", () => {
  const first = run("npm", ["run", "deploy"]);
  expect(first.code, first.out).toBe(0);
  expect(first.out).toContain("IoT location: local IoT Jobs endpoint (embedded, data in");
  expect(first.out.match(/\[created\]/g)?.length).toBe(5);
  const outputs = JSON.parse(first.stdout.slice(first.stdout.indexOf("{\n"), first.stdout.lastIndexOf("}") + 1));
  expect(outputs.managedTemplate).toBe("arn:aws:iot:us-east-1::jobtemplate/AWS-Download-File:1.0");
  expect(outputs.job.status).toBe("IN_PROGRESS");
  expect(outputs.job.jobArn).toMatch(/^arn:aws:iot:us-east-1:123456789012:job\/iot-jobs-example-local-fetch-config-[0-9a-f]{8}$/);
  expect(counts()).toEqual({ templates: 2, jobs: 1, things: 1, thingGroups: 1 });

  const before = fs.readFileSync(endpointFile());
  const second = run("npm", ["run", "deploy"]);
  expect(second.code, second.out).toBe(0);
  expect(second.out.match(/Skipped Resource \(no changes\)/g)?.length).toBe(5);
  expect(second.out).not.toMatch(/\[(created|updated|deleted)\]/);
  // Nothing was written to the endpoint: no mutating call was made.
  expect(fs.readFileSync(endpointFile()).equals(before)).toBe(true);

  // A preview now shows no changes, and leaves every file under .alchemy exactly as it was.
  const tree = () => readTree(path.join(root, ".alchemy"), (p) => fs.readFileSync(p, "base64"), root);
  const beforePreview = tree();
  expect(Object.keys(beforePreview).length).toBeGreaterThan(0);
  const preview = run("npm", ["run", "preview", "--", "--detailed-exitcode"]);
  expect(preview.code, preview.out).toBe(0);
  expect(preview.stdout).toContain("No changes. The deployed resources match the program.");
  expect(preview.stdout).toContain("Plan: 0 to create, 0 to update, 0 to replace, 0 to delete.");
  expect(tree()).toEqual(beforePreview);

  const destroy = run("npm", ["run", "destroy"]);
  expect(destroy.code, destroy.out).toBe(0);
  expect(destroy.out.match(/\[deleted\]/g)?.length).toBe(5);
  expect(counts()).toEqual({ templates: 0, jobs: 0, things: 0, thingGroups: 0 });
  expect(fs.existsSync(path.join(root, ".alchemy", "iot-jobs-example", "local"))).toBe(false);
});

test("a destroy that cannot finish exits non-zero and keeps the resource in state", async () => {
  const env = { ALCHEMY_IOT_LOCAL: "1", ALCHEMY_CI_STATE_STORE_CHECK: "false", ALCHEMY_TELEMETRY_DISABLED: "1" };
  const fixture = path.join("test", "e2e", "fixtures", "busy.run.ts");
  const tsx = path.join(repo, "node_modules", ".bin", "tsx");
  const deploy = run(tsx, [fixture, "--stage", "e2e"], env);
  expect(deploy.code, deploy.out).toBe(0);

  // A device starts running the job.
  const local = await startLocalIoT({ persistPath: endpointFile() });
  await local.updateJobExecution({ thingName: "busy-device", jobId: "busy-job", status: "IN_PROGRESS" });
  await local.stop();

  const destroy = run(tsx, [fixture, "--stage", "e2e", "--destroy"], env);
  expect(destroy.code, destroy.out).toBe(1);
  expect(destroy.out).toContain("job busy-job is being run by 1 device right now");
  expect(fs.existsSync(path.join(root, ".alchemy", "busy", "e2e", "busy.json"))).toBe(true);
  expect(JSON.parse(fs.readFileSync(endpointFile(), "utf8")).jobs.map((j: { status: string }) => j.status)).toEqual(["IN_PROGRESS"]);
});
