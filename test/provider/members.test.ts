/** The docs' "what each change does" tables are the member tables the decisions read (tools/member-docs.ts). */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { JOB, JOB_TEMPLATE } from "../../src/api/cloudformation/properties.ts";
import { SHAPES } from "../../src/api/model/iot.generated.ts";
import { membersWhere } from "../../src/provider/engine/members.ts";
import { ROWS as TEMPLATE_ROWS } from "../../src/provider/kinds/job-template/contract.ts";
import { ROWS as JOB_ROWS } from "../../src/provider/kinds/job/spec.ts";
import { PAGES, updated } from "../../tools/member-docs.ts";

const root = path.resolve(import.meta.dirname, "../..");

test.each(PAGES)("$file shows the member table of $kind (npm run docs:members)", ({ file, kind }) => {
  const text = fs.readFileSync(path.join(root, file), "utf8");
  expect(text, `${file} has no <!-- members: ${kind} --> block`).toContain(`<!-- members: ${kind} -->`);
  expect(text).toBe(updated(path.join(root, file)));
});

/** The member rows against the official model: the spec members are the create call's, and UpdateJob's are the rows it applies. */
describe("the member rows and the service model", () => {
  const membersOf = (shape: string) => {
    const s = SHAPES[shape];
    if (s.type !== "structure") throw new Error(`${shape} is not a structure`);
    return Object.keys(s.members);
  };
  const sorted = (xs: readonly string[]) => [...xs].sort();

  test("a Job's spec members are CreateJob's (the id and tags aside)", () => {
    expect(sorted(membersWhere(JOB_ROWS, (r) => r.spec === true))).toEqual(
      sorted(membersOf("CreateJobRequest").filter((m) => m !== "jobId" && m !== "tags")),
    );
  });

  test("a JobTemplate's spec members are CreateJobTemplate's (the id and tags aside)", () => {
    expect(sorted(membersWhere(TEMPLATE_ROWS, (r) => r.spec === true))).toEqual(
      sorted(membersOf("CreateJobTemplateRequest").filter((m) => m !== "jobTemplateId" && m !== "tags")),
    );
  });

  test("the rows UpdateJob applies are UpdateJob's members (the id and namespace aside)", () => {
    expect(sorted(membersWhere(JOB_ROWS, (r) => r.via === "UpdateJob"))).toEqual(
      sorted(membersOf("UpdateJobRequest").filter((m) => m !== "jobId" && m !== "namespaceId")),
    );
  });

  test("every row CloudFormation has a property for is in the CloudFormation shape, spelled as the member capitalised", () => {
    for (const [rows, shape] of [
      [JOB_ROWS, JOB],
      [TEMPLATE_ROWS, JOB_TEMPLATE],
    ] as const) {
      const names = membersWhere(rows, (r) => r.prop !== false && r.cloudFormation !== false);
      expect(sorted(Object.keys(shape))).toEqual(sorted(names.map((m) => m.charAt(0).toUpperCase() + m.slice(1))));
    }
  });
});
