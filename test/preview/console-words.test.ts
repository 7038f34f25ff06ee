/**
 * Alchemy's console lines and the plan (issue 24), through the real runtime
 * and the local endpoint. Where the provider can make Alchemy's words agree
 * with the plan it does (reordered keys are no change, to Alchemy too); where
 * only Alchemy picks its words, the package's summary after them says what
 * was done, as the plan said it and as the endpoint's calls show it.
 */
import "../../src/preview/globals.ts";
import fs from "node:fs";
import path from "node:path";
import { DeleteJobTemplateCommand, DescribeJobTemplateCommand } from "@aws-sdk/client-iot";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Job, JobTemplate, Thing, ThingGroup } from "../../src/index.ts";
import { createJobTemplate } from "../../src/local/operations/templates.ts";
import type { Plan } from "../../src/preview/plan.ts";
import { captured, deploy, preview, summaryDisagrees, summaryOf } from "../support/accuracy.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack({ local: { deletionDelayMs: 20 } });
});
afterEach(() => stack.close());

const template = (extra: Record<string, unknown> = {}) =>
  JobTemplate("tpl", { jobTemplateId: "tpl", description: "Firmware", document: { operation: "update", version: "1" }, ...extra });

/** The plan's changes: resources whose action is not "no-op" (or that are adopted). */
const changes = (plan: Plan) =>
  plan.resources.filter((e) => e.actions[0] !== "no-op" || e.adopt).map((e) => `${e.name} ${e.actions.join("/")}`);

describe("reordered keys are no change, to Alchemy too", () => {
  const fleetJob =
    (document: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    async () => {
      const fleet = await ThingGroup("fleet", { thingGroupName: "fleet", attributes: { a: "1", b: "2" } });
      await Job("job", { jobId: "j", targets: [fleet], document, targetSelection: "CONTINUOUS", deletion: { force: true }, ...extra });
    };
  const v1 = {
    document: { operation: "update", version: "1", steps: [{ name: "a", args: { x: 1, y: 2 } }] },
    tags: { team: "fleet", cost: "1" },
  };
  const v2 = {
    tags: { cost: "1", team: "fleet" },
    document: { steps: [{ args: { y: 2, x: 1 }, name: "a" }], version: "1", operation: "update" },
  };

  test("an object document, tags and the props themselves reordered: the plan says no change, Alchemy skips, no call", async () => {
    await stack.deploy(async () => {
      await template(v1);
      await fleetJob(v1.document)();
    });
    const program = async () => {
      await JobTemplate("tpl", { ...v2, description: "Firmware", jobTemplateId: "tpl" });
      const fleet = await ThingGroup("fleet", { attributes: { b: "2", a: "1" }, thingGroupName: "fleet" });
      await Job("job", { deletion: { force: true }, targetSelection: "CONTINUOUS", document: v2.document, targets: [fleet], jobId: "j" });
    };
    const plan = await preview(stack, program);
    expect(changes(plan)).toEqual([]);
    const done = await deploy(stack, program);
    expect(done.calls).toEqual({});
    expect(done.reported).toEqual({});
    expect(done.lines.filter((l) => /Updat/.test(l))).toEqual([]);
    expect(done.lines.filter((l) => l.startsWith("[skipped]")).length).toBe(3);
    expect(done.summary).toEqual({ tpl: "unchanged (no call)", fleet: "unchanged (no call)", job: "unchanged (no call)" });
    expect(summaryDisagrees(plan, done)).toBeUndefined();
  });

  test("a real change beside reordered keys sends only the change; state keeps the recorded key order", async () => {
    await stack.deploy(fleetJob(v1.document, { description: "a" }));
    const program = fleetJob(v2.document, { description: "b" });
    const plan = await preview(stack, program);
    expect(changes(plan)).toEqual(["job update"]);
    const done = await deploy(stack, program);
    expect(done.calls).toEqual({ j: ["UpdateJob"] });
    expect(done.reported).toEqual({ job: "updated" });
    expect(done.summary.job).toBe("updated in place (UpdateJob)");
    expect(summaryDisagrees(plan, done)).toBeUndefined();
    const state = JSON.parse(fs.readFileSync(path.join(stack.stateDir(), "job.json"), "utf8"));
    expect(JSON.stringify(state.props.document)).toBe(JSON.stringify(v1.document));
    expect(state.props.description).toBe("b");
  });
});

describe("where Alchemy's words are not what was done, the summary says it", () => {
  test("an adoption: Alchemy says Created, the summary adopted (and what the adoption changed)", async () => {
    await stack.deploy(
      async () => {
        await template();
        await JobTemplate("tagged", { jobTemplateId: "tagged", description: "T", document: { a: 1 }, tags: { a: "1" } });
      },
      { stage: "other" },
    );
    const program = async () => {
      await template({ adopt: true });
      await JobTemplate("tagged", { jobTemplateId: "tagged", description: "T", document: { a: 1 }, tags: { a: "2" }, adopt: true });
    };
    const plan = await preview(stack, program);
    const done = await deploy(stack, program);
    expect(done.reported).toEqual({ tpl: "created", tagged: "created" });
    expect(done.summary).toEqual({ tpl: "adopted (no call)", tagged: "adopted, updated in place (TagResource)" });
    expect(done.calls).toEqual({ tagged: ["TagResource"] });
    expect(summaryDisagrees(plan, done)).toBeUndefined();
    expect(done.total).toBe("total: 0 created, 0 updated, 0 replaced, 2 adopted, 0 deleted, 0 unchanged; 1 call");
  });

  test("a resource deleted out of band and made again (--force): Alchemy says Updated, the summary created", async () => {
    await stack.deploy(() => template());
    await stack.client.send(new DeleteJobTemplateCommand({ jobTemplateId: "tpl" }));
    const plan = await preview(stack, () => template(), { refresh: true });
    expect(changes(plan)).toEqual(["tpl create"]);
    const done = await deploy(stack, () => template(), { force: true });
    expect(done.reported).toEqual({ tpl: "updated" });
    expect(done.summary).toEqual({ tpl: "created (CreateJobTemplate)" });
    expect(done.calls).toEqual({ tpl: ["CreateJobTemplate"] });
    expect(summaryDisagrees(plan, done)).toBeUndefined();
  });

  test("a resource whose create failed, dropped from the program: Alchemy says Deleted, the plan nothing, the summary not deleted", async () => {
    await stack.deploy(() => template());
    // A replacement (delete first) whose create fails: someone takes the id between the delete and the create.
    stack.local.onRequest((operation) => {
      if (operation !== "CreateJobTemplate") return;
      stack.local.onRequest(undefined);
      createJobTemplate(stack.local.world, {
        params: { jobTemplateId: "tpl" },
        query: {},
        body: { description: "theirs", document: "{}" },
      });
    });
    const failed = await stack.deploy(() => template({ description: "Firmware 2" })).catch((e: unknown) => e);
    expect((failed as Error).name).toBe("AlreadyExistsError");

    const plan = await preview(stack, async () => {});
    expect(plan.resources.map((e) => e.name)).toEqual([]);
    const done = await deploy(stack, async () => {});
    expect(done.reported).toEqual({ tpl: "deleted" });
    expect(done.calls).toEqual({});
    expect(done.summary).toEqual({
      tpl: "not deleted (no call): nothing of it exists (its create did not succeed); only its state record is removed",
    });
    expect(done.total).toBe("total: 0 created, 0 updated, 0 replaced, 0 adopted, 0 deleted, 0 unchanged, 1 forgotten; 0 calls");
    // Theirs is still there.
    expect((await stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: "tpl" }))).description).toBe("theirs");
  });

  test("--force: Alchemy says Updated for every resource, the summary unchanged", async () => {
    const program = async () => {
      const fleet = await ThingGroup("fleet", { thingGroupName: "fleet" });
      await Thing("d1", { thingName: "d1", thingGroups: [fleet] });
      await Job("job", { jobId: "j", targets: [fleet], document: { op: "x" }, targetSelection: "CONTINUOUS", deletion: { force: true } });
    };
    await stack.deploy(program);
    const plan = await preview(stack, program, { refresh: true });
    expect(changes(plan)).toEqual([]);
    const done = await deploy(stack, program, { force: true });
    expect(done.reported).toEqual({ fleet: "updated", d1: "updated", job: "updated" });
    expect(done.calls).toEqual({});
    expect(done.summary).toEqual({ fleet: "unchanged (no call)", d1: "unchanged (no call)", job: "unchanged (no call)" });
    expect(done.total).toBe("total: 0 created, 0 updated, 0 replaced, 0 adopted, 0 deleted, 3 unchanged; 0 calls");
    expect(summaryDisagrees(plan, done)).toBeUndefined();
  });
});

describe("the summary's format", () => {
  test("one line per resource after Alchemy's lines, then the total; quiet prints nothing", async () => {
    await stack.deploy(async () => {
      await template();
      await JobTemplate("firmware-template", { jobTemplateId: "fw", description: "Firmware", document: { v: 1 } });
    });
    const program = async () => {
      await template();
      await JobTemplate("firmware-template", { jobTemplateId: "fw", description: "Firmware 2", document: { v: 1 } });
    };
    const done = await deploy(stack, program);
    const own = done.lines.filter((l) => l.startsWith("[iot] "));
    expect(own).toEqual([
      "[iot] firmware-template  replaced (DeleteJobTemplate, CreateJobTemplate)",
      "[iot] tpl                unchanged (no call)",
      "[iot] total: 0 created, 0 updated, 1 replaced, 0 adopted, 0 deleted, 1 unchanged; 2 calls",
    ]);
    // After every line of Alchemy's.
    expect(done.lines.slice(done.lines.indexOf(own[0]))).toEqual(own);

    const quiet = await captured(() => stack.deploy(() => template({ description: "quiet" }), { quiet: true }));
    expect(quiet).toEqual([]);
  });

  test("a destroy: what was deleted, with the calls a guard sent (a job's DeleteJob)", async () => {
    await stack.deploy(async () => {
      await template();
      const fleet = await ThingGroup("fleet", { thingGroupName: "fleet" });
      await Job("job", { jobId: "j", targets: [fleet], document: { op: "x" }, targetSelection: "CONTINUOUS", deletion: { force: true } });
    });
    stack.local.resetStats();
    const lines = await captured(() => stack.destroy({ quiet: false }));
    expect(summaryOf(lines).summary).toEqual({
      tpl: "deleted (DeleteJobTemplate)",
      fleet: "deleted (DeleteThingGroup)",
      job: "deleted (CancelJob, DeleteJob)",
    });
    expect(summaryOf(lines).total).toBe("total: 0 created, 0 updated, 0 replaced, 0 adopted, 3 deleted, 0 unchanged; 4 calls");
    expect(stack.mutatingCalls().sort()).toEqual(["CancelJob", "DeleteJob", "DeleteJobTemplate", "DeleteThingGroup"]);
  });
});
