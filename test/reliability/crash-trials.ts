/**
 * Crash trials (test/reliability/crash-create.test.ts and crash-update.test.ts):
 * a deploy running in a child process is killed with SIGKILL at a chosen
 * point (as its K-th mutating IoT request arrives; the request itself is
 * still served, so the client dies not knowing it took effect). Mutating
 * requests are counted, not reads, because how often a deploy polls depends on
 * timing; the calls that change something do not. After every kill, a
 * normal deploy succeeds and converges with no orphans and no duplicates, and
 * a destroy leaves nothing (the recovering deploy of an update runs the
 * whole-program check first, as every deploy does). Each trial has its own
 * endpoint and state.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { endpointEnv, runKillable, type KillableRun } from "../support/endpoint-env.ts";

const program = path.join("test", "reliability", "fixtures", "crash.run.ts");

const isMutating = (operation: string) => !/^(Describe|List|Get)/.test(operation);

export function deploy(
  local: LocalIoT,
  root: string,
  version: 1 | 2,
  options: { destroy?: boolean; killAt?: number; check?: boolean } = {},
): Promise<KillableRun> {
  const args = [program, "--stage", "s", ...(options.destroy ? ["--destroy"] : [])];
  let mutating = 0;
  // The whole-program check (a preview in a child process, reads only) runs before the first mutating
  // request, so a kill at one never lands in it: the killed deploy and the destroy skip it, which halves
  // the suite's processes. The deploys that recover from a kill during an update (the version 2
  // trials) run it, to show the check accepts what a crash left.
  const check: Record<string, string> =
    options.killAt === undefined && !options.destroy && options.check !== false ? {} : { ALCHEMY_IOT_CHECK: "0" };
  return runKillable(local, args, endpointEnv(local, root, { VERSION: String(version), ...check }), (operation, _count, child) => {
    if (isMutating(operation) && ++mutating === options.killAt) child.kill("SIGKILL");
  });
}

/** What must exist after a converged deploy of a version (jobs not being deleted). */
function expected(version: 1 | 2) {
  return {
    templates: version === 1 ? ["crash-a", "crash-b", "crash-c", "crash-d"] : ["crash-a", "crash-b2", "crash-c", "crash-e"],
    things: ["crash-device"],
    groups: ["crash-fleet"],
    jobs: 2,
  };
}

function checkConverged(local: LocalIoT, root: string, version: 1 | 2, label: string) {
  const t = local.world.tables;
  const want = expected(version);
  expect([...t.templates.keys()].sort(), label).toEqual(want.templates);
  expect([...t.things.keys()], label).toEqual(want.things);
  expect([...t.thingGroups.keys()], label).toEqual(want.groups);
  expect(t.thingGroups.get("crash-fleet")!.members, label).toEqual(["crash-device"]);
  const jobs = [...t.jobs.values()].filter((j) => j.status !== "DELETION_IN_PROGRESS");
  expect(jobs.length, label).toBe(want.jobs);
  // Each resource is as declared.
  expect(JSON.parse(t.templates.get("crash-a")!.document!).version, label).toBe(String(version));
  expect(t.tags.get(t.templates.get("crash-c")!.jobTemplateArn)?.v, label).toBe(String(version));
  expect(t.jobs.get("crash-y")?.description, label).toBe(version === 1 ? "Y1" : "Y2");
  const x = jobs.find((j) => j.jobId !== "crash-y")!;
  expect(x.targets, label).toEqual([
    version === 1 ? t.thingGroups.get("crash-fleet")!.thingGroupArn : t.things.get("crash-device")!.thingArn,
  ]);
  // Alchemy's state matches: every resource in state exists, with the same ids.
  const dir = path.join(root, ".alchemy", "crash", "s");
  const states = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")));
  expect(states.length, label).toBe(want.templates.length + want.jobs + 2);
  for (const s of states) {
    expect(s.status, `${label}: ${s.id}`).toMatch(/^(created|updated)$/);
    if (s.output.jobTemplateId) expect(t.templates.get(s.output.jobTemplateId)?.jobTemplateArn, label).toBe(s.output.jobTemplateArn);
    if (s.output.jobId) expect(t.jobs.get(s.output.jobId)?.jobArn, label).toBe(s.output.jobArn);
  }
  expect(
    fs.readdirSync(dir).filter((f) => f.endsWith(".tmp")),
    label,
  ).toEqual([]);
}

function checkEmpty(local: LocalIoT, label: string) {
  const t = local.world.tables;
  expect(t.templates.size + t.jobs.size + t.things.size + t.thingGroups.size, label).toBe(0);
}

/** Version 1 deployed, as files: the state directory and the endpoint's data (copied for each trial that starts from it). */
export interface Baseline {
  root: string;
  data: string;
}

/** One trial: a deploy of `version` killed at its `killAt`-th mutating request, then recovered and destroyed. Version 2 starts from `baseline`. */
export async function trial(version: 1 | 2, killAt: number, baseline?: Baseline): Promise<string> {
  const label = `deploy of version ${version} killed at mutating request ${killAt}`;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `iot-jobs-crash-${version}-${killAt}-`));
  const data = path.join(root, "endpoint.json");
  if (version === 2) {
    // Start from version 1, deployed once for all trials.
    if (!baseline) throw new Error("a trial of version 2 starts from a baseline (version 1 deployed)");
    fs.cpSync(baseline.root, root, { recursive: true });
    fs.copyFileSync(baseline.data, data);
  }
  const local = await startLocalIoT({ deletionDelayMs: 30, ...(version === 2 ? { persistPath: data } : {}) });
  try {
    const killed = await deploy(local, root, version, { killAt });
    expect(killed.signal, `${label}: it was killed`).toBe("SIGKILL");
    const recovered = await deploy(local, root, version, { check: version === 2 });
    expect(recovered.code, `${label}: the next deploy succeeds\n${recovered.out}`).toBe(0);
    checkConverged(local, root, version, label);
    const destroyed = await deploy(local, root, version, { destroy: true });
    expect(destroyed.code, `${label}: destroy\n${destroyed.out}`).toBe(0);
    checkEmpty(local, label);
    return label;
  } finally {
    await local.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** How many mutating requests a whole deploy of `version` makes on `local` (the deploy must succeed). */
export async function mutatingRequestsOf(local: LocalIoT, root: string, version: 1 | 2): Promise<number> {
  const r = await deploy(local, root, version);
  expect(r.code, r.out).toBe(0);
  return local.stats().mutatingRequests;
}

/** Runs a trial at each kill point from 1 to `killPoints`, two at a time (one per core); the trials' labels. */
export async function trials(version: 1 | 2, killPoints: number, baseline?: Baseline): Promise<string[]> {
  const done: string[] = [];
  const queue = Array.from({ length: killPoints }, (_, i) => i + 1);
  await Promise.all(
    [0, 1].map(async () => {
      for (let killAt = queue.shift(); killAt !== undefined; killAt = queue.shift()) done.push(await trial(version, killAt, baseline));
    }),
  );
  return done;
}
