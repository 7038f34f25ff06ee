import { describe, expect, test } from "vitest";
import { render, renderMarkdown } from "../../src/preview/render.ts";
import { bigPlan, fixedPlan } from "./fixtures/plan.ts";
import { summarize, type Plan, type PlanEntry } from "../../src/preview/plan.ts";

describe("renderers over a fixed plan (golden files)", () => {
  test("text", async () => {
    await expect(render(fixedPlan, "text")).toMatchFileSnapshot("./golden/plan.txt");
  });
  test("text, verbose, with colours", async () => {
    await expect(render(fixedPlan, "text", { verbose: true, color: true })).toMatchFileSnapshot("./golden/plan.verbose.ansi.txt");
  });
  test("markdown", async () => {
    await expect(render(fixedPlan, "markdown")).toMatchFileSnapshot("./golden/plan.md");
  });
  test("json", async () => {
    await expect(render(fixedPlan, "json")).toMatchFileSnapshot("./golden/plan.json");
  });
});

describe("text", () => {
  test("the summary line, one line per resource with its symbol, and no colour unless asked", () => {
    const text = render(fixedPlan, "text");
    expect(text).toContain("Plan: 1 to create, 2 to update, 3 to replace, 1 to delete.");
    expect(text).toMatch(/^-\/\+ iot::JobTemplate {2}firmware \(fleet-prod-firmware\) {2}replace \(delete first\)$/m);
    expect(text).toMatch(/^\+\/- iot::Job {2}rollout /m);
    expect(text).toMatch(/^ {2}~ iot::JobTemplate {2}abort-policy /m);
    expect(text).toMatch(/^ {2}\+ iot::JobTemplate {2}ota /m);
    expect(text).toMatch(/^ {2}- iot::Job {2}old-job /m);
    expect(text).toMatch(/^ <= data::ManagedJobTemplate {2}AWS-Reboot:1.0 {2}read$/m);
    expect(text).toContain("abortConfig.criteriaList[0].thresholdPercentage: 10 → 20");
    expect(text).toContain("⚠ WARNING: replaces job fleet-prod-rollout-99999999");
    // Unchanged resources are counted, not listed, unless verbose.
    expect(text).not.toMatch(/iot::ThingGroup {2}group/);
    expect(render(fixedPlan, "text", { verbose: true })).toMatch(/iot::ThingGroup {2}group .* no change/);
    expect(text).not.toContain("\x1b[");
  });

  test("a created template's document is pretty-printed JSON, not an escaped string", () => {
    const text = render(fixedPlan, "text");
    expect(text).toContain('      + document:\n          {\n            "steps": [');
    expect(text).not.toContain('\\"steps\\"');
  });
});

describe("markdown", () => {
  test("summary first, a table, one collapsible block per changed resource, in address order", () => {
    const md = renderMarkdown(fixedPlan);
    const lines = md.split("\n");
    expect(lines[0]).toBe("<!-- alchemy-iot-jobs-preview app=fleet stage=prod -->");
    expect(lines[1]).toBe("### IoT preview: `fleet`, stage `prod`");
    expect(lines[3]).toBe(
      "**Plan: 1 to create, 2 to update, 3 to replace, 1 to delete.** 1 unchanged, 1 read, 1 not planned (other providers).",
    );
    expect(md).toContain("| | Resource | Type | Action | Why |");
    expect(md.match(/<details>/g)?.length).toBe(7); // every changed resource but the read
    const order = [...md.matchAll(/<summary>.*?<code>(.*?)<\/code>/g)].map((m) => m[1]);
    expect(order).toEqual([...order].sort());
    expect(renderMarkdown(fixedPlan)).toBe(md);
  });

  test("a plan of 2,000 resources stays within GitHub's 65,536-character limit, with a note on how to see it all", () => {
    const md = renderMarkdown(bigPlan(2000));
    expect(md.length).toBeLessThanOrEqual(65_536);
    expect(md.startsWith("<!-- alchemy-iot-jobs-preview app=fleet stage=prod -->\n### IoT preview")).toBe(true);
    expect(md).toContain("**Plan: 2000 to create, 0 to update, 0 to replace, 0 to delete.**");
    expect(md).toMatch(
      /The plan is too long for one comment: \d+ more resources are not shown\.\*\* To see the full plan, run `npx alchemy-iot-jobs preview --format text`/,
    );
    // A plan that fits has no note.
    expect(renderMarkdown(bigPlan(3))).not.toContain("too long");
  });

  test("details are dropped before table rows when only the details do not fit", () => {
    const md = renderMarkdown(bigPlan(120), { maxLength: 20_000 });
    expect(md.length).toBeLessThanOrEqual(20_000);
    expect(md.match(/^\| \+ \|/gm)?.length).toBe(120);
    expect(md).toMatch(/the details of \d+ resources are not shown/);
  });
});

describe("json", () => {
  test("problems come first, in every format; a move says where from", () => {
    const move: PlanEntry = {
      ...fixedPlan.resources[0],
      address: "fleet/prod/sub/group",
      name: "group",
      type: "iot::ThingGroup",
      physicalId: "fleet-group",
      actions: ["move"],
      movedFrom: "fleet/prod/group",
      operations: [{ operation: "TagResource", resource: "fleet-group" }],
      warnings: [],
      deviceImpact: undefined,
      diffs: [],
    };
    const plan: Plan = {
      ...fixedPlan,
      resources: [move],
      summary: summarize([move]),
      drift: [],
      problems: [
        {
          address: "fleet/prod/a",
          type: "iot::JobTemplate",
          name: "a",
          path: "jobTemplateId",
          message: 'JobTemplate "a": jobTemplateId "x" is also the jobTemplateId of fleet/prod/b',
        },
      ],
      moves: [
        {
          from: "fleet/prod/group",
          to: "fleet/prod/sub/group",
          type: "iot::ThingGroup",
          physicalId: "fleet-group",
          location: "aws|us-east-1",
        },
      ],
    };
    const text = render(plan, "text");
    expect(text).toContain(
      '✖ 1 problem: a deploy of this program changes nothing and exits 1 until it is fixed.\n  - JobTemplate "a": jobTemplateId "x"',
    );
    expect(text).toContain(" -> iot::ThingGroup  group (fleet-group)  move from fleet/prod/group");
    expect(text).toContain("Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 1 to move.");
    const md = render(plan, "markdown");
    expect(md).toContain("> [!CAUTION]\n> **1 problem: a deploy of this program changes nothing and exits 1 until it is fixed.**");
    expect(JSON.parse(render(plan, "json")).moves).toEqual(plan.moves);
  });

  test("a versioned schema with one entry per resource and a drift section", () => {
    const json = JSON.parse(render(fixedPlan, "json"));
    expect(json.formatVersion).toBe(3);
    expect(json).toMatchObject({ problems: [], moves: [] });
    expect(Object.keys(json.resources[0]).sort()).toEqual(
      expect.arrayContaining(["address", "type", "actions", "before", "after", "replaceReasons", "sensitivePaths"]),
    );
    expect(json.drift).toEqual([expect.objectContaining({ address: "fleet/prod/group", kind: "deleted" })]);
  });
});
