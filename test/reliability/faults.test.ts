/**
 * Under faults (5% injected 500/503 errors, throttling, 100 ms latency, dropped
 * connections, half of them after the operation took effect), a deploy of 50
 * templates and 10 jobs converges: every declared resource exists as declared,
 * nothing else exists, and Alchemy's state matches. A destroy under the same
 * faults leaves nothing.
 */
import fs from "node:fs";
import path from "node:path";
import {
  DescribeJobTemplateCommand,
  GetJobDocumentCommand,
  ListTagsForResourceCommand,
  paginateListJobs,
  paginateListJobTemplates,
} from "@aws-sdk/client-iot";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Job, JobTemplate, Thing, ThingGroup } from "../../src/index.ts";
import type { FaultOptions } from "../../src/local/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

const FAULTS: FaultOptions = {
  errorRate: 0.05,
  dropRate: 0.03,
  latencyMs: 100,
  throttle: 25,
  seed: 42,
};
const TEMPLATES = 50;
const JOBS = 10;

let stack: TestStack;
beforeAll(async () => {
  stack = await createStack({ local: { deletionDelayMs: 200, faults: FAULTS } });
});
afterAll(() => stack.close());

const program = () => async () => {
  const fleet = await ThingGroup("fleet", { thingGroupName: "faults-fleet" });
  await Promise.all(["d1", "d2"].map((d) => Thing(d, { thingName: `faults-${d}`, thingGroups: [fleet] })));
  await Promise.all(
    Array.from({ length: TEMPLATES }, (_, i) =>
      JobTemplate(`tpl-${i}`, {
        jobTemplateId: `faults-tpl-${i}`,
        description: `Template ${i}`,
        document: { operation: "update", index: i },
        tags: { index: String(i) },
      }),
    ),
  );
  await Promise.all(
    Array.from({ length: JOBS }, (_, i) =>
      Job(`job-${i}`, {
        jobId: `faults-job-${i}`,
        targets: [fleet],
        document: { operation: "run", index: i },
        description: `Job ${i}`,
        targetSelection: "CONTINUOUS",
        deletion: { force: true },
        tags: { index: String(i) },
      }),
    ),
  );
};

async function liveTemplates(): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListJobTemplates({ client: stack.client }, {})) {
    ids.push(...(page.jobTemplates ?? []).map((t) => t.jobTemplateId!));
  }
  return ids.sort();
}

async function liveJobs() {
  const jobs: Array<{ jobId: string; status: string }> = [];
  for await (const page of paginateListJobs({ client: stack.client }, {})) {
    jobs.push(...(page.jobs ?? []).map((j) => ({ jobId: j.jobId!, status: j.status! })));
  }
  return jobs;
}

const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).sort();

test("a deploy under faults converges, with no orphans and no duplicates; a destroy under faults leaves nothing", async () => {
  await stack.deploy(program());
  const faulted = stack.local.stats();
  // The faults really happened.
  expect(faulted.injectedErrors).toBeGreaterThan(0);
  expect(faulted.droppedConnections).toBeGreaterThan(0);
  expect(faulted.throttled).toBeGreaterThan(0);

  // Check the result without faults.
  stack.local.setFaults({});
  expect(await liveTemplates()).toEqual(range(TEMPLATES, (i) => `faults-tpl-${i}`));
  for (const i of [0, 17, 49]) {
    const t = await stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: `faults-tpl-${i}` }));
    expect(t.description).toBe(`Template ${i}`);
    expect(JSON.parse(t.document!)).toEqual({ operation: "update", index: i });
    const tags = await stack.client.send(new ListTagsForResourceCommand({ resourceArn: t.jobTemplateArn }));
    expect(Object.fromEntries(tags.tags!.map((x) => [x.Key, x.Value]))).toMatchObject({
      index: String(i),
      alchemy_resource: `${stack.app}/test/tpl-${i}`,
    });
  }
  const jobs = await liveJobs();
  expect(jobs.map((j) => j.jobId).sort()).toEqual(range(JOBS, (i) => `faults-job-${i}`));
  expect(jobs.every((j) => j.status === "IN_PROGRESS")).toBe(true);
  for (const i of [0, 9]) {
    const doc = await stack.client.send(new GetJobDocumentCommand({ jobId: `faults-job-${i}` }));
    expect(JSON.parse(doc.document!)).toEqual({ operation: "run", index: i });
  }
  expect([...stack.local.world.tables.things.keys()].sort()).toEqual(["faults-d1", "faults-d2"]);
  expect([...stack.local.world.tables.thingGroups.keys()]).toEqual(["faults-fleet"]);
  expect(stack.local.world.tables.thingGroups.get("faults-fleet")!.members.sort()).toEqual(["faults-d1", "faults-d2"]);

  // Alchemy's state matches what exists.
  const stateFiles = fs.readdirSync(stack.stateDir()).filter((f) => f.endsWith(".json"));
  expect(stateFiles.length).toBe(TEMPLATES + JOBS + 3);
  for (const file of stateFiles) {
    const state = JSON.parse(fs.readFileSync(path.join(stack.stateDir(), file), "utf8"));
    expect(state.status, file).toBe("created");
    const o = state.output;
    if (o.jobTemplateId) expect(stack.local.world.tables.templates.get(o.jobTemplateId)?.jobTemplateArn).toBe(o.jobTemplateArn);
    if (o.jobId) expect(stack.local.world.tables.jobs.get(o.jobId)?.jobArn).toBe(o.jobArn);
  }

  // A redeploy under faults changes nothing.
  stack.local.setFaults(FAULTS);
  stack.local.resetStats();
  await stack.deploy(program());
  expect(stack.local.stats().requests).toBe(0);

  // Destroy under the same faults.
  stack.local.resetStats();
  await stack.destroy();
  expect(stack.local.stats().injectedErrors + stack.local.stats().droppedConnections).toBeGreaterThan(0);
  stack.local.setFaults({});
  expect(await liveTemplates()).toEqual([]);
  expect(await liveJobs()).toEqual([]);
  expect(stack.local.world.tables.things.size).toBe(0);
  expect(stack.local.world.tables.thingGroups.size).toBe(0);
  expect(fs.existsSync(stack.stateDir())).toBe(false);
}, 180_000);

test("a create or delete that took effect but whose response was lost is recovered: no duplicate, no orphan", async () => {
  const lost = await createStack({ local: { deletionDelayMs: 50 } });
  try {
    // The first and third call of every create and delete takes effect, then the connection drops;
    // the SDK retries, IoT answers 409 (or 404, or "already being deleted"), and the provider recovers.
    lost.local.setFaults({
      dropAfterCalls: Object.fromEntries(
        [
          "CreateJobTemplate",
          "CreateJob",
          "CreateThingGroup",
          "CreateThing",
          "DeleteJobTemplate",
          "DeleteJob",
          "CancelJob",
          "TagResource",
        ].map((op) => [op, [1, 3]]),
      ),
    });
    const small = async (tag: string) => {
      const fleet = await ThingGroup("fleet", { thingGroupName: "lost-fleet" });
      await Thing("d1", { thingName: "lost-d1", thingGroups: [fleet] });
      await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          JobTemplate(`tpl-${i}`, { jobTemplateId: `lost-tpl-${i}`, description: `T${i}`, document: { i }, tags: { t: tag } }),
        ),
      );
      await Promise.all(
        Array.from({ length: 3 }, (_, i) =>
          Job(`job-${i}`, {
            jobId: `lost-job-${i}`,
            targets: [fleet],
            document: { i },
            targetSelection: "CONTINUOUS",
            deletion: { force: true },
          }),
        ),
      );
    };
    await lost.deploy(() => small("a"));
    const s = lost.local.stats();
    expect(s.byOperation.CreateJobTemplate.errors.ConflictException).toBeGreaterThanOrEqual(1);
    expect(s.byOperation.CreateJob.errors.ResourceAlreadyExistsException).toBeGreaterThanOrEqual(1);
    expect([...lost.local.world.tables.templates.keys()].sort()).toEqual(["lost-tpl-0", "lost-tpl-1", "lost-tpl-2", "lost-tpl-3"]);
    expect([...lost.local.world.tables.jobs.keys()].sort()).toEqual(["lost-job-0", "lost-job-1", "lost-job-2"]);

    await lost.deploy(() => small("b")); // tag updates, some of them answered by a dropped connection
    for (const t of lost.local.world.tables.templates.values()) expect(lost.local.world.tables.tags.get(t.jobTemplateArn)?.t).toBe("b");

    await lost.destroy();
    expect(lost.local.world.tables.templates.size).toBe(0);
    expect(lost.local.world.tables.jobs.size).toBe(0);
    expect(lost.local.world.tables.things.size).toBe(0);
    expect(lost.local.world.tables.thingGroups.size).toBe(0);
    expect(fs.existsSync(lost.stateDir())).toBe(false);
  } finally {
    await lost.close();
  }
}, 60_000);
