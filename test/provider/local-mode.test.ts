import fs from "node:fs";
import path from "node:path";
import { DescribeJobTemplateCommand, IoTClient, ListJobTemplatesCommand } from "@aws-sdk/client-iot";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { JobTemplate } from "../../src/index.ts";
import { embeddedLocalIoT, localDataFile, stopEmbeddedEndpoints } from "../../src/provider/location.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(async () => {
  await stopEmbeddedEndpoints();
  await stack.close();
});

const props = { jobTemplateId: "local-template", description: "Local mode", document: { op: "noop" } };
/** Scope settings of local mode: no endpoint, the embedded local endpoint instead. */
const localMode = { iot: { endpoint: undefined, accessKeyId: undefined, secretAccessKey: undefined, local: true } };

async function embeddedClient() {
  const local = await embeddedLocalIoT(path.join(stack.dir, ".alchemy"));
  return new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
}

test("local mode deploys to the embedded endpoint, kept under .alchemy, seen by a later process", async () => {
  const tpl = await stack.deploy(() => JobTemplate("tpl", props), localMode);
  expect(tpl.location).toBe("local");
  // Nothing went to the test's own endpoint.
  expect(stack.local.stats().requests).toBe(0);
  const file = localDataFile(path.join(stack.dir, ".alchemy"));
  expect(fs.existsSync(file)).toBe(true);
  expect(JSON.parse(fs.readFileSync(file, "utf8")).templates.map((t: { jobTemplateId: string }) => t.jobTemplateId)).toEqual([
    "local-template",
  ]);

  // A new process: the embedded endpoint starts again from its data file.
  await stopEmbeddedEndpoints();
  const client = await embeddedClient();
  const live = await client.send(new DescribeJobTemplateCommand({ jobTemplateId: "local-template" }));
  expect(live.jobTemplateArn).toBe(tpl.jobTemplateArn);
  await stopEmbeddedEndpoints();

  // Destroy in yet another "process" deletes it there.
  await stack.destroy(localMode);
  await stopEmbeddedEndpoints();
  const after = await embeddedClient();
  expect((await after.send(new ListJobTemplatesCommand({}))).jobTemplates).toEqual([]);
});

test("a resource deployed locally is destroyed locally even when destroy runs without local mode", async () => {
  await stack.deploy(() => JobTemplate("tpl", props), localMode);
  await stopEmbeddedEndpoints();
  await stack.destroy(); // scope settings point at the test endpoint now
  const client = await embeddedClient();
  expect((await client.send(new ListJobTemplatesCommand({}))).jobTemplates).toEqual([]);
  expect(stack.local.stats().requests).toBe(0);
});

test("switching a deployed template from the local endpoint to another target replaces it there", async () => {
  await stack.deploy(() => JobTemplate("tpl", props), localMode);
  await stack.deploy(() => JobTemplate("tpl", props)); // now the test endpoint
  const remote = await stack.client.send(new ListJobTemplatesCommand({}));
  expect(remote.jobTemplates?.map((t) => t.jobTemplateId)).toEqual(["local-template"]);
  const client = await embeddedClient();
  expect((await client.send(new ListJobTemplatesCommand({}))).jobTemplates).toEqual([]);
});

test("a deploy prints which location it uses", async () => {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    await stack.deploy(() => JobTemplate("tpl", props), { ...localMode, quiet: false });
    await stack.deploy(() => JobTemplate("tpl2", { ...props, jobTemplateId: "t2" }), { quiet: false });
    const lines = log.mock.calls.map((c) => c.join(" "));
    expect(lines).toContainEqual(
      expect.stringMatching(/^IoT location: local IoT Jobs endpoint \(embedded, data in .*local-iot\/endpoint\.json\)$/),
    );
    expect(lines).toContainEqual(`IoT location: IoT endpoint ${stack.local.endpoint} (${stack.local.region})`);
  } finally {
    log.mockRestore();
  }
});
