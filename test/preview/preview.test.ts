/**
 * The preview end to end: the real CLI and the real program in child
 * processes, against a local endpoint reached like AWS (AWS_ENDPOINT_URL_IOT
 * and the same credentials a deploy uses).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DeleteJobTemplateCommand, IoTClient } from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import type { Plan } from "../../src/preview/plan.ts";
import { compiledArgs } from "../support/compiled.ts";
import { endpointEnv } from "../support/endpoint-env.ts";
import { readTree, utf8 } from "../support/files.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const fixture = path.join("test", "preview", "fixtures", "stack.run.ts");
const node = process.execPath;
let local: LocalIoT;
let root: string;

beforeAll(async () => {
  local = await startLocalIoT({ deletionDelayMs: 20 });
  root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-preview-"));
});
afterAll(async () => {
  await local.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => endpointEnv(local, root, extra);

/**
 * Runs a command without blocking this process: the endpoint the child talks
 * to lives here, so a synchronous spawn would deadlock.
 */
function run(command: string, args: string[], environment: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: repo, env: environment, encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Deploys a version. Its whole-program check (the same preview, run before the deploy's first change)
 * is the subject of test/reliability/whole-program.test.ts; here the previews are run by the CLI and
 * compared with what the deploy then does, so the deploys skip it (one process less each).
 */
async function deploy(version: number, extra: Record<string, string> = {}, args: string[] = []) {
  const r = await run(
    node,
    compiledArgs([fixture, "--stage", "pv", ...args]),
    env({ STACK_VERSION: String(version), ALCHEMY_IOT_CHECK: "0", ...extra }),
  );
  expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
  return `${r.stdout}${r.stderr}`;
}

function preview(version: number, args: string[] = [], extra: Record<string, string> = {}) {
  return run(
    node,
    compiledArgs(["src/cli/index.ts", "preview", fixture, "--stage", "pv", ...args]),
    env({ STACK_VERSION: String(version), ...extra }),
  );
}

async function previewJson(version: number, args: string[] = [], extra: Record<string, string> = {}): Promise<Plan> {
  const r = await preview(version, ["--format", "json", ...args], extra);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** Every file under the project root, with a hash of its content. */
const snapshotTree = (dir = root) => readTree(dir, (p) => createHash("sha256").update(fs.readFileSync(p)).digest("hex"));

const mutating = () =>
  local
    .stats()
    .calls.filter((c) => !/^(Describe|List|Get)/.test(c.operation) && c.status === 200)
    .map((c) => c.operation)
    .sort();

const predicted = (plan: Plan) => plan.resources.flatMap((e) => e.operations.map((o) => o.operation)).sort();
const actions = (plan: Plan) =>
  Object.fromEntries(plan.resources.filter((e) => e.actions[0] !== "no-op").map((e) => [e.name, e.actions.join("/")]));

describe("preview", () => {
  test("predicted equals performed, for a sequence of program versions; after each deploy nothing is left to do", async () => {
    // (Every kind of edit is covered in-process by accuracy.test.ts; this runs the real CLI and program.)
    const expectations: Record<number, Record<string, string>> = {
      1: { fleet: "create", device: "create", firmware: "create", rollout: "create", extra: "create", "AWS-Download-File:1.0": "" },
      3: { firmware: "delete/create" },
      4: { rollout: "create/delete" },
      5: { extra: "delete" },
      6: {},
    };
    for (const version of [1, 3, 4, 5, 6]) {
      const before = snapshotTree();
      local.resetStats();
      const plan = await previewJson(version);
      // A preview makes no mutating call and changes no file.
      expect(local.stats().mutatingRequests, `version ${version}`).toBe(0);
      expect(snapshotTree(), `version ${version}`).toEqual(before);
      const expected = Object.fromEntries(Object.entries(expectations[version]).filter(([, v]) => v));
      expect(actions(plan), `version ${version}`).toEqual(expected);

      local.resetStats();
      await deploy(version);
      expect(mutating(), `version ${version}: the deploy's calls`).toEqual(predicted(plan));
    }
    const after = await preview(6, ["--detailed-exitcode"]);
    expect(after.code, `${after.stdout}${after.stderr}`).toBe(0);
    expect(after.stdout).toContain("No changes.");
    const last = await preview(6, ["--detailed-exitcode", "--format", "json"]);
    expect(JSON.parse(last.stdout).summary).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0, noChange: 4 });
  }, 240_000);

  test("--detailed-exitcode: 2 with changes, 0 without, and 1 (with the reason) when the program fails", async () => {
    // Version 6 is deployed; version 3 brings the extra template back and moves the job back to the group.
    const changes = await preview(3, ["--detailed-exitcode"]);
    expect(changes.code).toBe(2);
    expect(changes.stdout).toMatch(/Plan: 1 to create, 0 to update, 1 to replace, 0 to delete\./);
    expect((await preview(6, ["--detailed-exitcode"])).code).toBe(0);
    expect((await preview(6)).code).toBe(0);
    const missing = await run(node, compiledArgs(["src/cli/index.ts", "preview", "does-not-exist.run.ts"]), env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("✖ Preview failed: no program at does-not-exist.run.ts");
    // Invalid props: exit 1, the problem listed in the plan (a deploy would refuse), with and without --detailed-exitcode.
    for (const args of [[], ["--detailed-exitcode"]]) {
      const failing = await preview(6, args, { SECRET_TOKEN: "x", PREVIEW_BAD_PARAMETER: "1" });
      expect(failing.code).toBe(1);
      expect(failing.stdout).toContain(
        '✖ 1 problem: a deploy of this program changes nothing and exits 1 until it is fixed.\n  - Job "secret-params": documentParameters.filePath: is required by AWS-Download-File 1.0',
      );
      expect(
        `${failing.stdout}${failing.stderr}`.match(/documentParameters\.filePath: is required by AWS-Download-File 1\.0/g),
      ).toHaveLength(1);
      expect(failing.stdout).not.toMatch(/^\s+at /m);
    }
    // A program that throws: exit 1 with the program's error as one block.
    const throwing = await preview(6, [], { PREVIEW_THROW: "1" });
    expect(throwing.code).toBe(1);
    expect(throwing.stderr).toMatch(/^✖ Preview failed: /);
  }, 120_000);

  test("--refresh reads each resource's members and tags, and reports drift in its own section", async () => {
    const client = new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
    await client.send(new DeleteJobTemplateCommand({ jobTemplateId: "pv-firmware" }));
    local.resetStats();
    const plain = await previewJson(6);
    expect(local.stats().requests).toBe(0);
    expect(plain.drift).toEqual([]);

    local.resetStats();
    const plan = await previewJson(6, ["--refresh"]);
    const stats = local.stats();
    expect(stats.mutatingRequests).toBe(0);
    // What drift can be in, for each deployed resource: the group and its tags, the thing and its groups,
    // the (deleted) template, the job with its document and tags.
    expect(
      local
        .stats()
        .calls.map((c) => c.operation)
        .sort(),
    ).toEqual(
      [
        "DescribeThingGroup",
        "ListTagsForResource",
        "DescribeThing",
        "ListThingGroupsForThing",
        "DescribeJobTemplate",
        "DescribeJob",
        "GetJobDocument",
        "ListTagsForResource",
      ].sort(),
    );
    expect(plan.refreshed).toBe(true);
    expect(plan.drift).toEqual([
      expect.objectContaining({ address: "preview-stack/pv/firmware", kind: "deleted", physicalId: "pv-firmware" }),
    ]);
    const text = await preview(6, ["--refresh", "--detailed-exitcode"]);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain("Drift (changed outside this program, read with --refresh):");
    expect(text.stdout).toContain("! iot::JobTemplate  preview-stack/pv/firmware (pv-firmware): deleted out of band");
    // A forced deploy repairs it, and the refreshed preview is clean again.
    await deploy(6, {}, ["--force"]);
    expect((await previewJson(6, ["--refresh"])).drift).toEqual([]);
  }, 120_000);

  test("secrets never appear in any format, in the state, or in the deploy's output", async () => {
    const token = "tok-3f9a1c-very-secret";
    const deployLog = await deploy(6, { SECRET_TOKEN: token });
    expect(deployLog).not.toContain(token);
    const files = Object.values(readTree(root, utf8));
    expect(files.length).toBeGreaterThan(0);
    for (const content of files) expect(content).not.toContain(token);
    // A change so the secret resources show diffs too.
    const newToken = `${token}-rotated`;
    for (const args of [
      ["--format", "text"],
      ["--format", "markdown"],
      ["--format", "json", "--refresh"],
      ["--format", "text", "--verbose", "--refresh"],
    ]) {
      const r = await preview(6, args, { SECRET_TOKEN: newToken });
      expect(r.code, r.stderr).toBe(0);
      expect(`${r.stdout}${r.stderr}`).not.toContain(token);
      expect(r.stdout).toContain("(sensitive)");
    }
    const plan = await previewJson(6, [], { SECRET_TOKEN: newToken });
    const doc = plan.resources.find((e) => e.name === "secret-doc")!;
    expect(doc.sensitivePaths).toEqual(["document"]);
    expect(doc.actions).toEqual(["delete", "create"]);
    const params = plan.resources.find((e) => e.name === "secret-params")!;
    expect(params.sensitivePaths).toEqual(["documentParameters.downloadUrl"]);
    expect((params.after as { documentParameters: Record<string, string> }).documentParameters.downloadUrl).toBe("(sensitive)");
  }, 120_000);
});

describe("preview with a custom state store", () => {
  test("the store is read through and never written", async () => {
    const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-store-"));
    try {
      const program = path.join("test", "preview", "fixtures", "custom-store.run.ts");
      const deployed = await run(node, compiledArgs([program, "--stage", "cs"]), env({ DOCUMENT_STORE_DIR: storeDir }));
      expect(deployed.code, deployed.stderr).toBe(0);
      const before = snapshotTree(storeDir);
      expect(Object.keys(before).length).toBeGreaterThan(0);
      local.resetStats();
      const r = await run(
        node,
        compiledArgs(["src/cli/index.ts", "preview", program, "--stage", "cs", "--format", "json"]),
        env({ DOCUMENT_STORE_DIR: storeDir, DESCRIPTION: "second" }),
      );
      expect(r.code, r.stderr).toBe(0);
      const plan: Plan = JSON.parse(r.stdout);
      expect(plan.resources.map((e) => [e.name, e.actions.join("/")])).toEqual([["tpl", "delete/create"]]);
      expect(snapshotTree(storeDir)).toEqual(before);
      expect(local.stats().mutatingRequests).toBe(0);
    } finally {
      fs.rmSync(storeDir, { recursive: true, force: true });
    }
  }, 60_000);
});
