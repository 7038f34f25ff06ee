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
    expect(error.message).toMatch(
      /The state of iot::JobTemplate "tpl" could not be read \(.*JSON.*\); with Alchemy's file store it is .*tpl\.json\. Nothing was changed\./,
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
    expect(error.message).toMatch(/state file .*tpl\.json is not valid JSON .* Nothing was changed\. Restore it/);
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
});
