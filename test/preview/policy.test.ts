/**
 * The read-only policy that docs/pull-request-previews.md gives the preview's
 * role allows every call a preview makes: previews (plain and --refresh) of a
 * stack with every kind of resource, one of them adopted from a CloudFormation
 * stack, each with a change to plan, send only calls the policy lists.
 */
import "../../src/preview/globals.ts";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Job, JobTemplate, ManagedJobTemplate, Thing, ThingGroup } from "../../src/index.ts";
import { preview } from "../support/accuracy.ts";
import { createStack, type TestStack } from "../support/stack.ts";

const doc = fs.readFileSync(path.resolve(import.meta.dirname, "../../docs/pull-request-previews.md"), "utf8");
const CLOUDFORMATION = new Set(["DescribeStackResource", "DescribeStacks", "ListStackResources", "GetTemplate"]);

/** The actions of the documented policy's statements. */
function documentedActions(): Set<string> {
  const block = /```json\n([\s\S]*?)```/.exec(doc.slice(doc.indexOf('"ReadIoTJobs"') - 200))?.[1];
  const policy = JSON.parse(block!) as { Statement: Array<{ Action: string[] }> };
  return new Set(policy.Statement.flatMap((s) => s.Action));
}

let stack: TestStack;
beforeAll(async () => {
  stack = await createStack();
});
afterAll(() => stack.close());

const program = (version: number) => async () => {
  const fleet = await ThingGroup("fleet", { description: `Fleet ${version}` });
  await Thing("device", { thingName: "policy-device", thingGroups: [fleet], attributes: { v: String(version) } });
  const firmware = await JobTemplate("firmware", {
    jobTemplateId: "firmware",
    description: "Firmware rollout",
    document: { operation: "updateFirmware", version: "1.0" },
    tags: { team: "fleet", v: String(version) },
    adopt: true,
  });
  await Job("rollout", { targets: [fleet], jobTemplate: firmware, description: `Rollout ${version}`, deletion: { force: true } });
  const download = await ManagedJobTemplate({ templateName: "AWS-Download-File" });
  await Job("fetch", {
    targets: [fleet],
    jobTemplate: download,
    documentParameters: { downloadUrl: "https://example.com/cfg", filePath: "/etc/cfg" },
    description: `Fetch ${version}`,
    deletion: { force: true },
  });
};

test("every call of a preview is allowed by the documented read-only policy", async () => {
  // A template CloudFormation created and then let go of (DeletionPolicy: Retain): it keeps the stack's tags.
  const template = (resources: string) => `Resources:\n${resources}`;
  await stack.local.createStack({
    stackName: "legacy",
    template: template(
      '  FirmwareTemplate:\n    Type: AWS::IoT::JobTemplate\n    DeletionPolicy: Retain\n    Properties:\n      JobTemplateId: firmware\n      Description: Firmware rollout\n      Document: \'{"operation":"updateFirmware","version":"1.0"}\'\n      Tags:\n        - Key: team\n          Value: fleet\n',
    ),
  });
  await stack.local.updateStack({
    stackName: "legacy",
    template: template("  Placeholder:\n    Type: AWS::IoT::ThingGroup\n    Properties:\n      ThingGroupName: placeholder\n"),
  });
  await stack.deploy(program(1));

  stack.local.resetStats();
  const plain = await preview(stack, program(2));
  const refreshed = await preview(stack, program(2), { refresh: true });
  expect(plain.summary.update + refreshed.summary.update).toBeGreaterThan(0);

  const allowed = documentedActions();
  const made = new Set(
    stack.local.stats().calls.map((c) => `${CLOUDFORMATION.has(c.operation) ? "cloudformation" : "iot"}:${c.operation}`),
  );
  expect(made).toContain("cloudformation:DescribeStackResource");
  expect([...made].filter((action) => !allowed.has(action))).toEqual([]);
});
