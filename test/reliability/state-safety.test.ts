/**
 * State safety: a state file that cannot be read, or local endpoint data that
 * is gone, stops the deploy with a clear error. Nothing is created again.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CreateJobTemplateCommand, IoTClient, ListJobTemplatesCommand } from "@aws-sdk/client-iot";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { Scope } from "alchemy";
import { AtomicFileSystemStateStore, JobTemplate, StateFileError } from "../../src/index.ts";
import { embeddedLocalIoT, localDataFile, stopEmbeddedEndpoints } from "../../src/provider/location.ts";
import { createStack, type TestStack } from "../support/stack.ts";
import { compiledArgs } from "../support/compiled.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(async () => {
  await stopEmbeddedEndpoints();
  await stack.close();
});

const template = (description = "v1") => JobTemplate("tpl", { jobTemplateId: "safe-tpl", description, document: { op: "x" } });

function corrupt(file: string) {
  const text = fs.readFileSync(file, "utf8");
  fs.writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
}

describe("a corrupt state file", () => {
  test("with Alchemy's file store: a clear error naming the resource and the file, and no call", async () => {
    await stack.deploy(() => template());
    const file = path.join(stack.stateDir(), "tpl.json");
    corrupt(file);
    const bytes = fs.readFileSync(file);
    stack.local.resetStats();
    const error = await stack.deploy(() => template("v2")).catch((e) => e);
    // Read before the first change (src/runtime/state/check.ts): the file, what is wrong with it, its resource.
    expect(error).toBeInstanceOf(StateFileError);
    expect(error.message).toMatch(
      /^Alchemy's state file \S*tpl\.json is not valid JSON \(.*\); it is the state of app\d+\/test\/tpl\. So the stage cannot be deployed: nothing was changed/,
    );
    expect(stack.local.stats().requests).toBe(0);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  test("with AtomicFileSystemStateStore: StateFileError names the file; writes never leave a half-written file", async () => {
    const store = { stateStore: (scope: Scope) => new AtomicFileSystemStateStore(scope) };
    await stack.deploy(() => template(), store);
    const file = path.join(stack.stateDir(), "tpl.json");
    // Its files are Alchemy's format: Alchemy's own store reads them.
    expect(JSON.parse(fs.readFileSync(file, "utf8")).status).toBe("created");
    expect(fs.readdirSync(stack.stateDir()).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    corrupt(file);
    stack.local.resetStats();
    const error = await stack.deploy(() => template("v2"), store).catch((e) => e);
    expect(error).toBeInstanceOf(StateFileError);
    expect(error.message).toMatch(/state file .*tpl\.json is not valid JSON .* nothing was changed .* Restore it/);
    expect(stack.local.stats().requests).toBe(0);
  });

  test("a destroy that stops on a corrupt state file exits non-zero (Alchemy's destroy phase would exit 0)", async () => {
    const repo = path.resolve(import.meta.dirname, "../..");
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-corrupt-"));
    const program = path.join("test", "reliability", "fixtures", "atomic-store.run.ts");
    const env = {
      ...process.env,
      ALCHEMY_ROOT: root,
      ALCHEMY_IOT_LOCAL: "1",
      ALCHEMY_TELEMETRY_DISABLED: "1",
      ALCHEMY_CI_STATE_STORE_CHECK: "false",
    };
    const run = (args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          process.execPath,
          compiledArgs([program, "--stage", "s", ...args]),
          { cwd: repo, env, encoding: "utf8" },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }),
        ),
      );
    try {
      const deployed = await run([]);
      expect(deployed.code, deployed.out).toBe(0);
      const file = path.join(root, ".alchemy", "atomic", "s", "tpl.json");
      corrupt(file);
      const destroyed = await run(["--destroy"]);
      expect(destroyed.code, destroyed.out).toBe(1);
      expect(destroyed.out).toContain("is not valid JSON");
      expect(fs.existsSync(file)).toBe(true);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("a destroy (--destroy) over state it cannot read, with Alchemy's default store", () => {
  // Before: a directory in place of a state file made the destroy exit 0 and leave the resource; a file holding null
  // ("Cannot read properties of null") and an output that is null ("Cannot set properties of null") said nothing of the file.
  test("a directory in place of a state file, a file that holds null, an output that is null: exit 1, the file and the resource named, nothing deleted", async () => {
    const repo = path.resolve(import.meta.dirname, "../..");
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-unreadable-"));
    const program = path.join("test", "reliability", "fixtures", "local.run.ts");
    const env = {
      ...process.env,
      ALCHEMY_ROOT: root,
      ALCHEMY_IOT_LOCAL: "1",
      ALCHEMY_TELEMETRY_DISABLED: "1",
      ALCHEMY_CI_STATE_STORE_CHECK: "false",
    };
    const run = (args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          process.execPath,
          compiledArgs([program, "--stage", "s", ...args]),
          { cwd: repo, env, encoding: "utf8" },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }),
        ),
      );
    const templates = () => JSON.parse(fs.readFileSync(localDataFile(path.join(root, ".alchemy")), "utf8")).templates;
    try {
      const deployed = await run([]);
      expect(deployed.code, deployed.out).toBe(0);
      const file = path.join(root, ".alchemy", "procs", "s", "tpl.json");
      const kept = fs.readFileSync(file);
      const spoils: Array<[string, () => void]> = [
        ["is a directory, not a file", () => fs.mkdirSync(file)],
        ["holds null, not a resource's state (a JSON object)", () => fs.writeFileSync(file, "null")],
        [
          `records null as the resource's "output"`,
          () => fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(kept.toString("utf8")), output: null })),
        ],
      ];
      for (const [says, spoil] of spoils) {
        fs.rmSync(file, { recursive: true, force: true });
        spoil();
        const destroyed = await run(["--destroy"]);
        expect(destroyed.code, destroyed.out).toBe(1);
        expect(destroyed.out).toContain(`✖ Destroy failed: Alchemy's state file ${path.relative(repo, file)} ${says}`);
        expect(destroyed.out).toContain("it is the state of procs/s/tpl. So the stage cannot be destroyed: nothing was deleted");
        expect(destroyed.out).not.toMatch(/Cannot (read|set) properties of null/);
        expect(templates()).toHaveLength(1);
      }
      // Restored, it is destroyed.
      fs.rmSync(file, { recursive: true, force: true });
      fs.writeFileSync(file, kept);
      const destroyed = await run(["--destroy"]);
      expect(destroyed.code, destroyed.out).toBe(0);
      expect(templates()).toEqual([]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});

/** Waits until a state file Alchemy's file store rewrites in place reads as JSON again (at most 5 s). */
async function stateSettled(file: string): Promise<void> {
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
    try {
      JSON.parse(fs.readFileSync(file, "utf8"));
      await new Promise((resolve) => setTimeout(resolve, 100));
      JSON.parse(fs.readFileSync(file, "utf8"));
      return;
    } catch {
      // Being written.
    }
  }
}

describe("local endpoint data that is gone", () => {
  const localMode = { iot: { endpoint: undefined, accessKeyId: undefined, secretAccessKey: undefined, local: true } };

  test("every deploy of a resource recorded on the lost endpoint stops, one that changes nothing included, and creates nothing", async () => {
    await stack.deploy(() => template(), localMode);
    await stopEmbeddedEndpoints();
    const file = localDataFile(path.join(stack.dir, ".alchemy"));
    fs.rmSync(file);

    // Unchanged props (no handler runs), a change, a forced deploy: a clear error instead of "no changes" or quietly creating everything again.
    for (const [description, options] of [
      ["v1", {}],
      ["v2", {}],
      ["v1", { force: true }],
    ] as const) {
      const error = await stack.deploy(() => template(description), { ...localMode, ...options }).catch((e) => e);
      expect(error.message).toMatch(
        /JobTemplate "tpl" is recorded in Alchemy's state as deployed to the local IoT endpoint, but the endpoint's data file .*endpoint\.json is gone \(it was deleted\).* Nothing was changed\./,
      );
    }
    const local = await embeddedLocalIoT(path.join(stack.dir, ".alchemy"));
    const client = new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
    expect((await client.send(new ListJobTemplatesCommand({}))).jobTemplates).toEqual([]);

    // Another endpoint's data in its place (it has written a template): "replaced".
    await client.send(new CreateJobTemplateCommand({ jobTemplateId: "other", description: "other", document: "{}" }));
    await stopEmbeddedEndpoints();
    const error = await stack.deploy(() => template(), localMode).catch((e) => e);
    expect(error.message).toMatch(/endpoint\.json is not the one it was deployed to \(it was replaced\)/);
  });

  test('a data file that cannot be read is said to be what it is, not "replaced", and is kept byte for byte', async () => {
    await stack.deploy(() => template(), localMode);
    await stopEmbeddedEndpoints();
    const file = localDataFile(path.join(stack.dir, ".alchemy"));
    const cases: Array<[string | Buffer, string]> = [
      ["", "is empty (0 bytes)"],
      [
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe]),
        "is not text: its 10 bytes are not UTF-8 (binary data, or a damaged file)",
      ],
      ["[]", "holds a JSON array, not a JSON object"],
      ["null", "holds null, not a JSON object"],
      ["secret-token-123", "is not valid JSON (an unexpected character)"],
    ];
    for (const [bytes, says] of cases) {
      fs.writeFileSync(file, bytes);
      // A deploy that changes nothing (no handler runs), and one that changes the template (the endpoint starts).
      for (const description of ["v1", "v2"]) {
        const error = await stack.deploy(() => template(description), localMode).catch((e) => e);
        expect(error.message, description).toContain(`endpoint.json ${says}`);
        expect(error.message).not.toContain("replaced");
        expect(error.message).not.toContain("secret-token");
        expect(fs.readFileSync(file).equals(Buffer.from(bytes))).toBe(true); // The refused run's promise rejects at its first failure, while Alchemy may still put the template's state back.
        await stateSettled(path.join(stack.stateDir(), "tpl.json"));
      }
    }
  });
});
