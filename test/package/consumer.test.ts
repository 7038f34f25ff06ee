/**
 * The package as its users get it: packed (`npm pack`, which builds it
 * through prepack), installed from the tarball with Alchemy into a new
 * project, type-checked with common strict settings, and run with Alchemy's
 * own CLI on Node 22 and 24 (and with tsx on this machine's Node), every
 * result checked out of band through the SDK against the endpoint's data.
 *
 * Run by `npm run test:package` (and .ci/run), not by `npm test`: it installs
 * from the npm registry and takes a few minutes.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { IoTClient, ListJobTemplatesCommand, ListJobsCommand, DescribeThingCommand, DescribeThingGroupCommand } from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT } from "../../src/local/index.ts";
import { nodeBinDir } from "./node-binaries.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8"));
const work = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-package-"));
const project = path.join(work, "consumer");
const dataFile = path.join(project, ".alchemy", "local-iot", "endpoint.json");
let packed: { filename: string; size: number; unpackedSize: number; entryCount: number; files: Array<{ path: string }> };

interface Run {
  code: number | null;
  out: string;
  stdout: string;
}

/** Runs a command in the consumer project with `node` from `bin` first on PATH, as a user's shell would. */
function run(bin: string | undefined, command: string, args: string[], env: Record<string, string> = {}, cwd = project): Promise<Run> {
  const base = { ...process.env };
  delete base.NODE_OPTIONS; // the repository's own source condition must not reach the consumer
  delete base.CI; // Alchemy's CLI refuses its default file store under CI; the project is a developer's
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: {
        ...base,
        PATH: bin ? `${bin}${path.delimiter}${process.env.PATH}` : process.env.PATH,
        ALCHEMY_TELEMETRY_DISABLED: "1",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let out = "";
    let stdout = "";
    child.stdout.on("data", (d) => {
      out += d;
      stdout += d;
    });
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 240_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      // Alchemy's CLI colours its output whatever NO_COLOR says (it sets FORCE_COLOR for the program).
      resolve({ code, out: stripVTControlCharacters(out), stdout: stripVTControlCharacters(stdout) });
    });
  });
}

/** Starts a long-running command and resolves once its output matches `ready`; `stop()` ends its whole process group. */
function start(bin: string, args: string[], ready: RegExp, env: Record<string, string> = {}) {
  const base = { ...process.env };
  delete base.NODE_OPTIONS;
  delete base.CI;
  const child = spawn("npx", args, {
    cwd: project,
    env: { ...base, PATH: `${bin}${path.delimiter}${process.env.PATH}`, ALCHEMY_TELEMETRY_DISABLED: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const matched = new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after 120 s:\n${out}`)), 120_000);
    const check = () => {
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on("data", (d) => ((out += stripVTControlCharacters(String(d))), check()));
    child.stderr.on("data", (d) => ((out += stripVTControlCharacters(String(d))), check()));
    exited.then((code) => reject(new Error(`exited with ${code} before it was ready:\n${out}`)));
  });
  return {
    matched,
    output: () => out,
    async stop() {
      try {
        process.kill(-child.pid!, "SIGINT");
      } catch {
        // already gone
      }
      const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

interface Inventory {
  templates: string[];
  jobs: string[];
  things: string[];
  groups: string[];
}

/**
 * What the embedded endpoint's data file holds for a stage, read through the
 * SDK from the installed package's own `alchemy-iot-jobs local` serving that file.
 */
async function inventory(bin: string, stage: string): Promise<Inventory> {
  const server = start(bin, ["alchemy-iot-jobs", "local", "--port", "0", "--quiet", "--persist", dataFile], /listening on (http:\/\/\S+)/);
  try {
    const [, endpoint] = await server.matched;
    const keys = /AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)/.exec(server.output())!;
    const iot = new IoTClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: keys[1], secretAccessKey: keys[2] } });
    const mine = (names: Array<string | undefined>) => names.filter((n): n is string => !!n && n.includes(`-${stage}-`)).sort();
    // The endpoint serves no ListThings or ListThingGroups: the example's thing and group are looked up by name.
    const byName = (call: Promise<unknown>, name: string) =>
      call.then(
        () => [name],
        (e: Error) => (e.name === "ResourceNotFoundException" ? [] : Promise.reject(e)),
      );
    const thing = `iot-jobs-example-${stage}-device-1`;
    const group = `iot-jobs-example-${stage}-fleet`;
    const [templates, jobs, things, groups] = await Promise.all([
      iot.send(new ListJobTemplatesCommand({})).then((r) => mine((r.jobTemplates ?? []).map((t) => t.jobTemplateId))),
      iot.send(new ListJobsCommand({})).then((r) => mine((r.jobs ?? []).map((j) => `${j.jobId} ${j.status}`))),
      byName(iot.send(new DescribeThingCommand({ thingName: thing })), thing),
      byName(iot.send(new DescribeThingGroupCommand({ thingGroupName: group })), group),
    ]);
    iot.destroy();
    return { templates, jobs, things, groups };
  } finally {
    await server.stop();
  }
}

const deployedExample = (stage: string): Inventory => ({
  templates: [`iot-jobs-example-${stage}-fetch-config-template`, `iot-jobs-example-${stage}-firmware-update`],
  jobs: [expect.stringMatching(new RegExp(`^iot-jobs-example-${stage}-fetch-config-[0-9a-f]{8} IN_PROGRESS$`)) as unknown as string],
  things: [`iot-jobs-example-${stage}-device-1`],
  groups: [`iot-jobs-example-${stage}-fleet`],
});
const nothing: Inventory = { templates: [], jobs: [], things: [], groups: [] };

const LOCAL = { ALCHEMY_IOT_LOCAL: "1" };
const ok = (r: Run) => expect(r.code, r.out).toBe(0);
const created = (r: Run) => r.out.match(/\[created\]/g)?.length ?? 0;

/** A consumer program with a prop TypeScript and the provider both refuse (for the failure and type-check tests). */
const WRONG_PROP = `import alchemy from "alchemy";
import { JobTemplate } from "alchemy-iot-jobs";

const app = await alchemy("broken");
await JobTemplate("firmware", {
  description: "Roll out firmware",
  document: { operation: "update" },
  abortConfig: {
    criteriaList: [{ failureType: "FAILED", action: "ABORT", thresholdPercentage: 10, minNumberOfExecutedThings: 5 }],
  },
});
await app.finalize();
`;

/** A stack whose job devices are running and may not be force-cancelled: its destroy must fail. */
const BUSY = (stage: string) => `import alchemy from "alchemy";
import { Job, Thing } from "alchemy-iot-jobs";

const app = await alchemy("busy");
const device = await Thing("device", { thingName: "busy-${stage}" });
await Job("job", { jobId: "busy-${stage}", targets: [device], document: { operation: "work" }, targetSelection: "CONTINUOUS" });
await app.finalize();
`;

beforeAll(async () => {
  const started = performance.now();
  const pack = await run(undefined, "npm", ["pack", "--json", "--pack-destination", work], {}, repo);
  ok(pack);
  packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("[")))[0];
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2));
  // What `tsc --init` and Node's TypeScript guide suggest for a Node project; nothing special for this package.
  fs.writeFileSync(
    path.join(project, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          skipLibCheck: true,
          noEmit: true,
          types: ["node"],
        },
        include: ["*.ts"],
      },
      null,
      2,
    ),
  );
  fs.copyFileSync(path.join(repo, "alchemy.run.ts"), path.join(project, "alchemy.run.ts"));
  const install = await run(undefined, "npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "--prefer-offline",
    path.join(work, packed.filename),
    `alchemy@${pkg.peerDependencies.alchemy}`,
    // For the type check, and for Node 20, where only tsx runs a TypeScript program.
    "@types/node@22",
    `tsx@${pkg.devDependencies.tsx}`,
  ]);
  ok(install);
  console.log(
    `package: ${packed.filename}, ${(packed.size / 1024).toFixed(1)} kB packed, ${(packed.unpackedSize / 1024).toFixed(1)} kB unpacked, ` +
      `${packed.entryCount} files; packed and installed in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}, 600_000);

afterAll(() => {
  if (!process.env.KEEP_CONSUMER) fs.rmSync(work, { recursive: true, force: true });
});

test("the tarball holds the compiled package, its docs and nothing else", () => {
  const files = packed.files.map((f) => f.path).sort();
  const unexpected = files.filter((f) => !/^(lib|bin|docs)\//.test(f) && !["package.json", "README.md", "LICENSE"].includes(f));
  expect(unexpected).toEqual([]);
  expect(files.filter((f) => /(^|\/)(test|tests|bench|fixtures)\/|\.test\.|\.ts$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
  expect(files).toContain("LICENSE");
  // Every export resolves to compiled files that exist, with types.
  for (const [subpath, target] of Object.entries(pkg.exports as Record<string, Record<string, string> | string>)) {
    if (typeof target === "string") continue;
    for (const condition of ["types", "default"]) {
      expect(files, `${subpath} ${condition}`).toContain(target[condition].replace(/^\.\//, ""));
    }
  }
  const bin = Object.values(pkg.bin as Record<string, string>)[0].replace(/^\.\//, "");
  expect(files).toContain(bin);
  expect(fs.readFileSync(path.join(project, "node_modules", "alchemy-iot-jobs", bin), "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
});

test("a consumer's strict NodeNext type check passes, and a wrong prop is a type error", async () => {
  const tsc = path.join(repo, "node_modules", "typescript", "bin", "tsc");
  ok(await run(undefined, process.execPath, [tsc, "-p", "tsconfig.json"]));
  fs.writeFileSync(path.join(project, "wrong-prop.ts"), WRONG_PROP);
  try {
    const r = await run(undefined, process.execPath, [tsc, "-p", "tsconfig.json"]);
    expect(r.code).not.toBe(0);
    const errors = r.out.split("\n").filter((l) => /error TS\d+/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^wrong-prop\.ts\(9,\d+\): error TS2322: Type '"ABORT"' is not assignable to type '"CANCEL"'/);
  } finally {
    fs.rmSync(path.join(project, "wrong-prop.ts"));
  }
}, 120_000);

for (const major of [22, 24]) {
  describe(`Node ${major}, with Alchemy's CLI`, () => {
    let bin: string;
    const stage = `node${major}`;
    beforeAll(() => {
      bin = nodeBinDir(major);
    }, 300_000);

    test("alchemy deploy, a second deploy that changes nothing, preview (exit 0), alchemy destroy", async () => {
      expect((await run(bin, "node", ["--version"])).stdout).toMatch(new RegExp(`^v${major}\\.`));
      const first = await run(bin, "npx", ["alchemy", "deploy", "--stage", stage], LOCAL);
      ok(first);
      expect(first.out).toContain("IoT location: local IoT Jobs endpoint (embedded, data in .alchemy/local-iot/endpoint.json)");
      expect(created(first)).toBe(5);
      expect(await inventory(bin, stage)).toEqual(deployedExample(stage));

      const data = fs.readFileSync(dataFile);
      const second = await run(bin, "npx", ["alchemy", "deploy", "--stage", stage], LOCAL);
      ok(second);
      expect(second.out.match(/Skipped Resource \(no changes\)/g)?.length).toBe(5);
      expect(second.out).not.toMatch(/\[(created|updated|deleted)\]/);
      expect(fs.readFileSync(dataFile).equals(data)).toBe(true);

      const preview = await run(bin, "npx", ["alchemy-iot-jobs", "preview", "--stage", stage, "--local", "--detailed-exitcode"]);
      ok(preview);
      expect(preview.stdout).toContain("No changes. The deployed resources match the program.");

      // A rehearsal runs the installed package's compiled runtime, in memory: the deployed stage and its data are untouched.
      // The example's job is continuous: it stays open until the horizon (a day here), every device having run it.
      const args = [
        "alchemy-iot-jobs",
        "rehearse",
        "--job",
        "fetch-config",
        "--stage",
        stage,
        "--devices",
        "300",
        "--horizon-minutes",
        "1440",
        "--format",
        "json",
      ];
      const rehearsal = await run(bin, "npx", args);
      ok(rehearsal);
      expect(JSON.parse(rehearsal.stdout)).toMatchObject({
        formatVersion: 1,
        job: "fetch-config",
        devices: 300,
        outcome: "IN_PROGRESS",
        minutes: 1440,
        executions: { SUCCEEDED: 300 },
      });
      expect(fs.readFileSync(dataFile).equals(data)).toBe(true);

      const destroy = await run(bin, "npx", ["alchemy", "destroy", "--stage", stage], LOCAL);
      ok(destroy);
      expect(destroy.out.match(/\[deleted\]/g)?.length).toBe(5);
      expect(await inventory(bin, stage)).toEqual(nothing);
    }, 300_000);

    test("two copies of the package in one process: a rehearsal and a preview reach only their own endpoint, and a copy that cannot take part refuses", async () => {
      // The program imports a second copy of the package (the sources, beside the project's compiled install);
      // the command is the installed package's. The environment points IoT at a stand-in endpoint that counts requests.
      const standIn = await startLocalIoT({ port: 0 });
      const vendor = path.join(project, `vendor-${major}`);
      fs.cpSync(path.join(repo, "src"), vendor, { recursive: true });
      const program = path.join(project, `two-copies-${major}.run.ts`);
      fs.writeFileSync(
        program,
        [
          `import alchemy from "alchemy";`,
          `import { Job, ThingGroup } from "./vendor-${major}/index.ts";`,
          `const app = await alchemy("two-copies");`,
          `const fleet = await ThingGroup("fleet", {});`,
          `await Job("firmware", { targets: [fleet], document: { operation: "update" } });`,
          `await app.finalize();`,
        ].join("\n"),
      );
      const env = {
        AWS_ENDPOINT_URL_IOT: standIn.endpoint,
        AWS_REGION: standIn.region,
        AWS_ACCESS_KEY_ID: standIn.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: standIn.credentials.secretAccessKey,
      };
      try {
        const rehearsal = await run(
          bin,
          "npx",
          ["alchemy-iot-jobs", "rehearse", program, "--job", "firmware", "--stage", stage, "--devices", "25", "--format", "json"],
          env,
        );
        ok(rehearsal);
        expect(JSON.parse(rehearsal.stdout)).toMatchObject({
          job: "firmware",
          devices: 25,
          outcome: "COMPLETED",
          executions: { SUCCEEDED: 25 },
        });
        const preview = await run(bin, "npx", ["alchemy-iot-jobs", "preview", program, "--stage", stage, "--format", "json"], env);
        ok(preview);
        expect((JSON.parse(preview.stdout) as { summary: { create: number } }).summary.create).toBe(2);
        expect(standIn.stats().requests).toBe(0);

        // A copy whose registry this command cannot read (another version of its shape) takes no part: it refuses every call.
        const registry = path.join(vendor, "runtime", "registry.ts");
        fs.writeFileSync(
          registry,
          fs.readFileSync(registry, "utf8").replace("export const REGISTRY_VERSION = 1;", "export const REGISTRY_VERSION = 2;"),
        );
        const refused = await run(
          bin,
          "npx",
          ["alchemy-iot-jobs", "rehearse", program, "--job", "firmware", "--stage", stage, "--devices", "25"],
          env,
        );
        expect(refused.code, refused.out).toBe(1);
        expect(refused.out).toContain("nothing was sent");
        expect(standIn.stats().requests).toBe(0);
      } finally {
        await standIn.stop();
        fs.rmSync(vendor, { recursive: true, force: true });
        fs.rmSync(program, { force: true });
      }
    }, 300_000);

    test("alchemy dev deploys to the embedded local endpoint; alchemy destroy removes it", async () => {
      const devStage = `${stage}dev`;
      const dev = start(bin, ["alchemy", "dev", "--stage", devStage], /Waiting for file changes/);
      try {
        await dev.matched;
      } finally {
        await dev.stop();
      }
      expect(dev.output()).toContain("IoT location: local IoT Jobs endpoint");
      expect(await inventory(bin, devStage)).toEqual(deployedExample(devStage));
      ok(await run(bin, "npx", ["alchemy", "destroy", "--stage", devStage]));
      expect(await inventory(bin, devStage)).toEqual(nothing);
    }, 300_000);

    test("a failed deploy and a failed preview print one block and exit non-zero", async () => {
      fs.writeFileSync(path.join(project, "broken.run.ts"), WRONG_PROP);
      try {
        const deploy = await run(bin, "npx", ["alchemy", "deploy", "broken.run.ts", "--stage", stage], LOCAL);
        const preview = await run(bin, "npx", ["alchemy-iot-jobs", "preview", "broken.run.ts", "--stage", stage, "--local"]);
        // The deploy stops on it; the preview lists it among the program's problems (a deploy would refuse).
        expect(deploy.out).toMatch(
          /✖ Deploy failed: Invalid props for JobTemplate "firmware" \(1 problem\):\n {2}- abortConfig\.criteriaList\[0\]\.action: "ABORT" is not one of CANCEL\n/,
        );
        expect(preview.out).toContain(
          '✖ 1 problem: a deploy of this program changes nothing and exits 1 until it is fixed.\n  - JobTemplate "firmware": abortConfig.criteriaList[0].action: "ABORT" is not one of CANCEL\n',
        );
        for (const r of [deploy, preview]) {
          expect(r.code, r.out).toBe(1);
          // Once, with no stack trace, no source excerpt and no dump of the error's members.
          expect(r.out.match(/is not one of CANCEL/g)).toHaveLength(1);
          expect(r.out).not.toMatch(/^\s+at /m);
          expect(r.out).not.toContain("issues:");
        }
      } finally {
        fs.rmSync(path.join(project, "broken.run.ts"));
      }
    }, 300_000);

    test("a destroy that cannot finish exits non-zero, says why, and keeps the job in state", async () => {
      fs.writeFileSync(path.join(project, "busy.run.ts"), BUSY(stage));
      try {
        ok(await run(bin, "npx", ["alchemy", "deploy", "busy.run.ts", "--stage", stage], LOCAL));
        // A device starts running the job.
        const local = await startLocalIoT({ persistPath: dataFile });
        await local.updateJobExecution({ thingName: `busy-${stage}`, jobId: `busy-${stage}`, status: "IN_PROGRESS" });
        await local.stop();
        const destroy = await run(bin, "npx", ["alchemy", "destroy", "busy.run.ts", "--stage", stage], LOCAL);
        expect(destroy.code, destroy.out).toBe(1);
        expect(destroy.out).toContain(`job busy-${stage} is being run by 1 device right now`);
        expect(destroy.out).not.toMatch(/^\s+at /m);
        expect(fs.existsSync(path.join(project, ".alchemy", "busy", stage, "job.json"))).toBe(true);
        // With force allowed, the same destroy finishes.
        ok(
          await run(bin, "npx", ["alchemy", "destroy", "busy.run.ts", "--stage", stage], { ...LOCAL, ALCHEMY_IOT_FORCE_JOB_DELETION: "1" }),
        );
      } finally {
        fs.rmSync(path.join(project, "busy.run.ts"));
      }
    }, 300_000);

    test("deploying to AWS with no AWS configuration names AWS_REGION, AWS_PROFILE and the local mode", async () => {
      const r = await run(bin, "npx", ["alchemy", "deploy", "--stage", `${stage}aws`], {
        AWS_REGION: "",
        AWS_DEFAULT_REGION: "",
        AWS_PROFILE: "",
      });
      expect(r.code, r.out).toBe(1);
      expect(r.out).toContain("✖ Deploy failed: No AWS region is set. Set AWS_REGION");
      expect(r.out).toContain("ALCHEMY_IOT_LOCAL=1");
      expect(r.out).not.toMatch(/^\s+at /m);
    }, 120_000);

    test("import-stack from the installed package writes declarations that type-check", async () => {
      const local = await startLocalIoT({ port: 0 });
      try {
        await local.createStack({
          stackName: "legacy",
          template: [
            "Resources:",
            "  Reboot:",
            "    Type: AWS::IoT::JobTemplate",
            "    DeletionPolicy: Retain",
            "    Properties:",
            "      JobTemplateId: legacy-reboot",
            "      Description: Reboot",
            `      Document: '{"operation":"reboot"}'`,
          ].join("\n"),
        });
        const out = path.join(project, "legacy.ts");
        const r = await run(
          bin,
          "npx",
          ["alchemy-iot-jobs", "import-stack", "legacy", "--out", out, "--force", "--endpoint", local.endpoint, "--region", local.region],
          {
            AWS_ACCESS_KEY_ID: local.credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: local.credentials.secretAccessKey,
          },
        );
        ok(r);
        expect(fs.readFileSync(out, "utf8")).toContain('from "alchemy-iot-jobs"');
        const tsc = path.join(repo, "node_modules", "typescript", "bin", "tsc");
        ok(await run(undefined, process.execPath, [tsc, "-p", "tsconfig.json"]));
        fs.rmSync(out);
      } finally {
        await local.stop();
      }
    }, 120_000);
  });
}

describe("this machine's Node, with tsx (the way to run without Alchemy's CLI)", () => {
  const stage = "tsx";
  test("tsx alchemy.run.ts deploys, the preview runs the program through tsx where Node cannot strip types, --destroy removes it", async () => {
    const node = `v${process.versions.node}`;
    const deploy = await run(undefined, "npx", ["tsx", "alchemy.run.ts", "--stage", stage], LOCAL);
    ok(deploy);
    expect(created(deploy)).toBe(5);
    expect(await inventory(path.dirname(process.execPath), stage)).toEqual(deployedExample(stage));
    const preview = await run(undefined, "npx", ["alchemy-iot-jobs", "preview", "--stage", stage, "--local", "--detailed-exitcode"]);
    ok(preview);
    expect(preview.stdout, node).toContain("No changes. The deployed resources match the program.");
    ok(await run(undefined, "npx", ["tsx", "alchemy.run.ts", "--stage", stage, "--destroy"], LOCAL));
    expect(await inventory(path.dirname(process.execPath), stage)).toEqual(nothing);
  }, 300_000);
});
