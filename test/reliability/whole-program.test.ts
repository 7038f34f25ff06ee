/**
 * Whole programs as users run them (issue 18, cases 4 and 6): the deploy
 * program and `alchemy-iot-jobs preview` in child processes (compiled, see
 * test/support/compiled.ts), against
 * a local endpoint standing in for AWS. A deploy checks the whole program
 * before its first change: every invalid value, two resources with one
 * physical id, references that do not exist, all listed, nothing changed. A
 * resource whose address changes moves: the state follows it, nothing is
 * created or deleted.
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DescribeThingGroupCommand, ListTagsForResourceCommand } from "@aws-sdk/client-iot";
import { IoTClient } from "@aws-sdk/client-iot";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import type { Plan } from "../../src/preview/plan.ts";
import { endpointEnv } from "../support/endpoint-env.ts";
import { readTree } from "../support/files.ts";
import { compiledArgs } from "../support/compiled.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const program = path.join("test", "reliability", "fixtures", "program.run.ts");
let local: LocalIoT;
let client: IoTClient;
let root: string;
let n = 0;
let app: string;

beforeAll(async () => {
  local = await startLocalIoT({ port: 0, deletionDelayMs: 20 });
  client = new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
});
afterAll(async () => {
  client.destroy();
  await local.stop();
});
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-whole-"));
  app = `whole${++n}`;
  return () => fs.rmSync(root, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  stdout: string;
}

function run(args: string[], declarations: unknown[]): Promise<Run> {
  return new Promise((resolve) => {
    const env = endpointEnv(local, root, { PROGRAM: JSON.stringify(declarations), PROGRAM_APP: app });
    execFile(process.execPath, compiledArgs(args), { cwd: repo, env, encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out: `${stdout}${stderr}`, stdout });
    });
  });
}

const deploy = (declarations: unknown[]) => run([program, "--stage", "s"], declarations);
const destroy = (declarations: unknown[]) => run([program, "--stage", "s", "--destroy"], declarations);
const preview = async (declarations: unknown[], args: string[] = []) => {
  const r = await run(["src/cli/index.ts", "preview", program, "--stage", "s", "--format", "json", ...args], declarations);
  return { ...r, plan: JSON.parse(r.stdout) as Plan };
};
const mutating = () =>
  local
    .stats()
    .calls.filter((c) => !/^(Describe|List|Get)/.test(c.operation))
    .map((c) => c.operation);
const tpl = (op: string) => ({ description: `template ${op}`, document: { op } });
const tags = async (resourceArn: string) =>
  Object.fromEntries(((await client.send(new ListTagsForResourceCommand({ resourceArn }))).tags ?? []).map((t) => [t.Key, t.Value]));

describe("a resource whose address changes moves: the state follows, the live resource stays", () => {
  for (const [name, id, scope] of [
    ["into a nested scope", "group", "sub"],
    ["to a new resource id", "fleet", undefined],
  ] as const) {
    test(name, async () => {
      const to = { kind: "ThingGroup", id, ...(scope ? { scope } : {}), props: { thingGroupName: `${app}-moving`, description: "fleet" } };
      const from = { kind: "ThingGroup", id: "group", props: { thingGroupName: `${app}-moving`, description: "fleet" } };
      expect((await deploy([from])).code).toBe(0);
      const before = await client.send(new DescribeThingGroupCommand({ thingGroupName: `${app}-moving` }));
      const address = `${app}/s/${scope ? `${scope}/` : ""}${id}`;

      const planned = await preview([to]);
      expect(planned.code, planned.out).toBe(0);
      expect(planned.plan.summary).toMatchObject({ create: 0, delete: 0, move: 1 });
      expect(planned.plan.moves).toEqual([
        {
          from: `${app}/s/group`,
          to: address,
          type: "iot::ThingGroup",
          physicalId: `${app}-moving`,
          location: expect.stringContaining("|"),
          ids: { thingGroupId: before.thingGroupId },
        },
      ]);
      const entry = planned.plan.resources.find((e) => e.address === address)!;
      expect(entry).toMatchObject({ actions: ["move"], movedFrom: `${app}/s/group` });
      expect(entry.operations.map((o) => o.operation)).toEqual(["TagResource"]);

      local.resetStats();
      const moved = await deploy([to]);
      expect(moved.code, moved.out).toBe(0);
      expect(mutating()).toEqual(["TagResource"]);
      const after = await client.send(new DescribeThingGroupCommand({ thingGroupName: `${app}-moving` }));
      expect(after.thingGroupId).toBe(before.thingGroupId);
      expect(await tags(after.thingGroupArn!)).toMatchObject({ alchemy_resource: address });

      const again = await preview([to]);
      expect(again.plan.summary).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0, move: 0 });
      local.resetStats();
      expect((await destroy([to])).code).toBe(0);
      expect(mutating()).toEqual(["DeleteThingGroup"]);
    });
  }
});

describe("the whole program is checked before the first change", () => {
  const valid = { kind: "ThingGroup", id: "first", props: { description: "declared before the problems" } };

  test("two resources that resolve to one physical id: listed by the preview, refused by the deploy, nothing created", async () => {
    const declarations = [
      valid,
      { kind: "JobTemplate", id: "fw.1", props: tpl("a") },
      { kind: "JobTemplate", id: "fw-1", props: tpl("b") },
      { kind: "JobTemplate", id: "a", props: { jobTemplateId: `${app}-shared-template`, ...tpl("a") } },
      { kind: "JobTemplate", id: "b", props: { jobTemplateId: `${app}-shared-template`, ...tpl("b") } },
      {
        kind: "Job",
        id: "job",
        scope: "one",
        props: { jobId: `${app}-shared-job`, targets: [], document: { op: "x" } },
        targets: ["first"],
      },
      {
        kind: "Job",
        id: "job",
        scope: "two",
        props: { jobId: `${app}-shared-job`, targets: [], document: { op: "x" } },
        targets: ["first"],
      },
    ];
    const planned = await preview(declarations);
    expect(planned.code).toBe(1);
    const paths = planned.plan.problems.map((p) => `${p.address} ${p.path}`);
    expect(paths).toEqual([
      `${app}/s/a jobTemplateId`,
      `${app}/s/b jobTemplateId`,
      `${app}/s/fw-1 jobTemplateId`,
      `${app}/s/fw.1 jobTemplateId`,
      `${app}/s/one/job jobId`,
      `${app}/s/two/job jobId`,
    ]);
    expect(planned.plan.problems[0].message).toContain(`jobTemplateId "${app}-shared-template" is also the jobTemplateId of ${app}/s/b`);

    local.resetStats();
    const deployed = await deploy(declarations);
    expect(deployed.code).toBe(1);
    expect(deployed.out).toContain("✖ Deploy failed: the program has 6 problems; nothing was changed");
    for (const p of planned.plan.problems) expect(deployed.out).toContain(p.message);
    expect(mutating()).toEqual([]);
    expect(readTree(path.join(root, ".alchemy"), () => "")).toEqual({});
  });

  test("every invalid value and every missing reference is listed before anything changes", async () => {
    const missingTemplate = `arn:aws:iot:${local.region}:${local.accountId}:jobtemplate/never-declared`;
    const missingGroup = `arn:aws:iot:${local.region}:${local.accountId}:thinggroup/never-declared`;
    const declarations = [
      valid,
      {
        kind: "JobTemplate",
        id: "bad-abort",
        props: {
          ...tpl("a"),
          abortConfig: {
            criteriaList: [{ failureType: "FAILED", action: "ABORT", thresholdPercentage: 10, minNumberOfExecutedThings: 1 }],
          },
        },
      },
      { kind: "ThingGroup", id: "bad-name", props: { thingGroupName: "no spaces allowed" } },
      { kind: "Job", id: "orphan", props: { targets: [missingGroup], jobTemplate: missingTemplate } },
    ];
    const plain = await preview(declarations);
    expect(plain.plan.problems.map((p) => `${p.address} ${p.path}`)).toEqual([
      `${app}/s/bad-abort abortConfig.criteriaList[0].action`,
      `${app}/s/bad-name thingGroupName`,
    ]);
    const orphan = plain.plan.resources.find((e) => e.name === "orphan")!;
    expect(orphan.notes.join("\n")).toContain("a preview does with --refresh");

    const refreshed = await preview(declarations, ["--refresh"]);
    expect(refreshed.code).toBe(1);
    expect(refreshed.plan.problems.map((p) => `${p.address} ${p.path}`)).toEqual([
      `${app}/s/bad-abort abortConfig.criteriaList[0].action`,
      `${app}/s/bad-name thingGroupName`,
      `${app}/s/orphan jobTemplate`,
      `${app}/s/orphan targets[0]`,
    ]);
    expect(refreshed.plan.problems[2].message).toBe(
      `Job "orphan": jobTemplate: job template "never-declared" does not exist in AWS IoT API at ${local.endpoint} (from AWS_ENDPOINT_URL_IOT), region ${local.region}, and the program does not declare it`,
    );

    local.resetStats();
    const deployed = await deploy(declarations);
    expect(deployed.code).toBe(1);
    expect(deployed.out).toContain("✖ Deploy failed: the program has 4 problems; nothing was changed");
    for (const p of refreshed.plan.problems) expect(deployed.out).toContain(p.message);
    expect(mutating()).toEqual([]);
    expect(readTree(path.join(root, ".alchemy"), () => "")).toEqual({});
  });

  test("a job installing a version declared DRAFT, and a placeholder it does not install: listed, nothing created", async () => {
    const declarations = [
      { kind: "SoftwarePackage", id: "fw", props: { packageName: `${app}-fw` } },
      {
        kind: "SoftwarePackageVersion",
        id: "1.2.0-rc1",
        package: "fw",
        props: { status: "DRAFT", attributes: { url: "https://x/1.bin" } },
      },
      { kind: "ThingGroup", id: "fleet", props: {} },
      {
        kind: "Job",
        id: "ota",
        targets: ["fleet"],
        versions: ["1.2.0-rc1"],
        props: { document: { url: `\${aws:iot:package:${app}-fw:version:1.2.0-rc1:attributes:sha256}` } },
      },
    ];
    local.resetStats();
    const deployed = await deploy(declarations);
    expect(deployed.code).toBe(1);
    expect(deployed.out).toContain("✖ Deploy failed: the program has 2 problems; nothing was changed");
    expect(deployed.out).toContain(`version 1.2.0-rc1 of package ${app}-fw is declared DRAFT`);
    expect(deployed.out).toContain(
      `names attribute "sha256", which version 1.2.0-rc1 of package ${app}-fw does not have (its attributes: url)`,
    );
    expect(mutating()).toEqual([]);
    expect(readTree(path.join(root, ".alchemy"), () => "")).toEqual({});
  });
});

describe("the check starts as the package loads, and reads nothing before the deploy holds its stage's lease", () => {
  /** A deploy in a child process, whose output can be waited for while it runs. */
  function started(declarations: unknown[], extra: Record<string, string> = {}) {
    const env = endpointEnv(local, root, { PROGRAM: JSON.stringify(declarations), PROGRAM_APP: app, ...extra });
    const child = spawn(process.execPath, compiledArgs([program, "--stage", "s"]), { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const seen: Array<{ pattern: RegExp; resolve: () => void }> = [];
    const look = () => seen.filter((s) => s.pattern.test(out)).forEach((s) => s.resolve());
    child.stdout.on("data", (d) => ((out += d), look()));
    child.stderr.on("data", (d) => ((out += d), look()));
    const done = new Promise<{ code: number | null; out: string }>((resolve) => child.on("close", (code) => resolve({ code, out })));
    const until = (pattern: RegExp) =>
      Promise.race([
        new Promise<void>((resolve) => (seen.push({ pattern, resolve }), look())),
        done.then(({ out }) => Promise.reject(new Error(`ended before ${pattern}:\n${out}`))),
      ]);
    return { until, done, pid: child.pid!, kill: () => child.kill("SIGKILL") };
  }

  /** The processes whose parent is `pid` (Linux's /proc). */
  function childrenOf(pid: number): number[] {
    return fs
      .readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          // "pid (comm) state ppid ...": the command may hold spaces, so read after its closing parenthesis.
          const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
          return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
        } catch {
          return false; // ended meanwhile
        }
      })
      .map(Number);
  }

  /**
   * Deploys t1 and t2 while another deploy of t1 holds the stage's lease (paused after t1): `during` runs while the
   * second waits (with the endpoint's call count when it started), then the holder goes on. Both succeed, and the
   * second's check and deploy read the state the holder left (t1 is recorded, not created again).
   */
  async function waitingForTheLease(
    env: Record<string, string>,
    during: (second: ReturnType<typeof started>, callsBefore: number) => Promise<void>,
  ): Promise<void> {
    const pause = path.join(root, "pause");
    fs.writeFileSync(pause, "");
    const first = [{ kind: "Thing", id: "t1", props: { thingName: `${app}-t1` } }];
    const holder = started(first, { PAUSE_AFTER: "t1", PAUSE_FILE: pause });
    let second: ReturnType<typeof started> | undefined;
    try {
      await holder.until(/paused after t1/);
      const before = local.stats().calls.length;
      second = started([...first, { kind: "Thing", id: "t2", props: { thingName: `${app}-t2` } }], env);
      await second.until(/Waiting for/);
      await during(second, before);
      fs.rmSync(pause);
      expect((await holder.done).code).toBe(0);
      const { code, out } = await second.done;
      expect(code, out).toBe(0);
      expect(out).toMatch(/Checked the whole program before the first change: 2 resources/);
      expect(out).not.toMatch(/t1[^\n]*(Creat|creat)/);
      expect(local.world.tables.things.has(`${app}-t2`)).toBe(true);
    } finally {
      holder.kill();
      second?.kill();
    }
  }

  test("a deploy waiting for the lease: its check reads nothing until then, and sees what the holder deployed", async () => {
    await waitingForTheLease({}, async (_, before) => {
      // Time for the second deploy's check to load and run (it reads the new thing), were it not waiting for the lease.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(local.stats().calls.slice(before)).toEqual([]);
    });
  });

  test.skipIf(!fs.existsSync("/proc/self/stat"))(
    "a check not wanted in time ends by itself; a deploy that waited longer for its lease checks in a new process",
    async () => {
      await waitingForTheLease({ ALCHEMY_IOT_EARLY_CHECK_WAIT_MS: "300" }, async (second) => {
        // The early check's process waits 300 ms for the go, which the deploy cannot send before it holds the lease.
        const deadline = Date.now() + 10_000;
        while (childrenOf(second.pid).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(childrenOf(second.pid)).toEqual([]);
      });
    },
  );
});
