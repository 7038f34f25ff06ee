/**
 * Replacements that cannot succeed, and the state a failed one leaves:
 * checked before anything is deleted; a create that still fails after the
 * delete leaves the resource recorded as absent, so the next preview shows
 * the create and the next deploy makes it. The crash-recovery path decides
 * as the normal one does. Unreadable responses are reported as such.
 */
import "../../src/preview/globals.ts";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { DescribeJobTemplateCommand, ResourceNotFoundException } from "@aws-sdk/client-iot";
import { afterEach, beforeEach, expect, test } from "vitest";
import { Job, JobTemplate, Thing, UnreadableResponseError, ValidationError } from "../../src/index.ts";
import { createJobTemplate } from "../../src/local/operations/templates.ts";
import { deploy, predictedCalls, preview } from "../support/accuracy.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack({ local: { deletionDelayMs: 20 } });
});
afterEach(() => stack.close());

const document = { operation: "updateFirmware", version: "1.2.3" };
const firmware = (extra: Record<string, unknown> = {}) =>
  JobTemplate("prod-firmware", { jobTemplateId: "prod-firmware", description: "Firmware", document, ...extra });
const typo = () =>
  JobTemplate("prod-firmware", {
    jobTemplateId: "prod-firmware",
    description: "Firmware",
    jobArn: `arn:aws:iot:${stack.local.region}:${stack.local.accountId}:job/fw-canary-typo`,
  });

test("a replacement whose create would fail is refused before anything is deleted, by the preview and the deploy alike", async () => {
  await stack.deploy(() => firmware());
  stack.local.resetStats();
  // The preview lists the problem (and every other one of the program); the deploy refuses with the same words.
  const previewed = await preview(stack, typo);
  expect(previewed.problems.map((p) => p.message)).toEqual([
    'JobTemplate "prod-firmware": jobArn: "arn:aws:iot:us-east-1:123456789012:job/fw-canary-typo" names a job that does not exist in ' +
      `${stack.local.endpoint} (us-east-1); the template is replaced by deleting it first, so nothing was deleted`,
  ]);
  const deployed = await stack.deploy(typo).catch((e: unknown) => e);
  expect(deployed).toBeInstanceOf(ValidationError);
  expect((deployed as Error).message).toContain(previewed.problems[0].message.replace('JobTemplate "prod-firmware": ', ""));
  expect(stack.mutatingCalls()).toEqual([]);
  expect((await stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: "prod-firmware" }))).description).toBe("Firmware");
  // Back to the deployed program: nothing to do.
  const plan = await preview(stack, () => firmware());
  expect(plan.summary).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0 });
});

test("a create that fails after the delete leaves the resource recorded as absent: the next preview shows the create, the next deploy makes it", async () => {
  await stack.deploy(() => firmware());
  // Someone takes the id between the delete and the create.
  stack.local.onRequest((operation) => {
    if (operation === "CreateJobTemplate") {
      createJobTemplate(stack.local.world, {
        params: { jobTemplateId: "prod-firmware" },
        query: {},
        body: { description: "theirs", document: "{}" },
      });
      stack.local.onRequest(undefined);
    }
  });
  const error = await stack.deploy(() => firmware({ description: "Firmware 2" })).catch((e: unknown) => e);
  expect((error as Error).name).toBe("AlreadyExistsError");
  const state = JSON.parse(fs.readFileSync(path.join(stack.stateDir(), "prod-firmware.json"), "utf8"));
  expect(state.output.absent).toBe(true);
  // The other template goes away; even after reverting the program, the preview shows the create.
  await stack.local.world.tables.templates.delete("prod-firmware");
  const plan = await preview(stack, () => firmware());
  expect(predictedCalls(plan)).toEqual({ "prod-firmware": ["CreateJobTemplate"] });
  const done = await deploy(stack, () => firmware());
  expect(done.calls).toEqual({ "prod-firmware": ["CreateJobTemplate"] });
  expect((await stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: "prod-firmware" }))).description).toBe("Firmware");
});

test("crash recovery decides as the normal path: a job found without state, whose description was removed, is replaced (not sent an empty description)", async () => {
  const job = (description?: string) => async () => {
    const d = await Thing("d", { thingName: "d" });
    return Job("job", {
      jobId: "crash-job",
      targets: [d],
      document,
      targetSelection: "CONTINUOUS",
      ...(description ? { description } : {}),
      deletion: { force: true },
    });
  };
  await stack.deploy(job("with a description"));
  // What a process killed after CreateJob leaves: the job exists, its state says "creating" with no output.
  const file = path.join(stack.stateDir(), "job.json");
  const state = JSON.parse(fs.readFileSync(file, "utf8"));
  state.status = "creating";
  state.output = Object.fromEntries(Object.entries(state.output).filter(([k]) => k.startsWith("Symbol(")));
  fs.writeFileSync(file, JSON.stringify(state));
  const done = await deploy(stack, job());
  // CreateJob finds the id taken (409), the job is read, and the same decision as without the crash replaces it.
  expect(done.calls["crash-job"]).toEqual(["CancelJob", "DeleteJob", "CreateJob"]);
  expect(stack.local.stats().calls.filter((c) => c.operation === "UpdateJob")).toEqual([]);
});

test("a response that is not the API's is reported as such (operation, HTTP status, an excerpt), not as a state problem", async () => {
  // A proxy's login page (HTTP 200, so the SDK does not retry it).
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<html><body>Sign in to the proxy</body></html>");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const error = await stack.deploy(() => firmware(), { iot: { endpoint } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreadableResponseError);
    expect((error as Error).message).toMatch(
      /^CreateJobTemplate: the IoT endpoint answered HTTP 200 with a body that is not the API's \(it starts "<html><bod/,
    );
    expect((error as Error).message).not.toMatch(/state/i);
  } finally {
    server.close();
  }
});

test("an endpoint that lacks an operation (an HTML error page for the API's route, as moto gives) is named as not serving it", async () => {
  // moto answers HTTP 500 (which the SDK retries first); an unknown route, 404: the same message.
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { "content-type": "text/html" });
    res.end("<!doctype html><title>404 Not Found</title>");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const error = await stack.deploy(() => firmware(), { iot: { endpoint } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreadableResponseError);
    expect((error as Error).message).toContain("CreateJobTemplate: the IoT endpoint answered HTTP 404 with a body that is not the API's");
    expect((error as Error).message).toContain("The endpoint does not serve CreateJobTemplate, it seems");
  } finally {
    server.close();
  }
});

test("an in-place change a finished job cannot take is kept in state, and later refreshed previews report no drift", async () => {
  const job = (description: string) => async () => {
    const d = await Thing("d", { thingName: "d" });
    return Job("job", { jobId: "snap", targets: [d], document, description });
  };
  await stack.deploy(job("v1"));
  await stack.local.updateJobExecution({ thingName: "d", jobId: "snap", status: "SUCCEEDED" });
  stack.local.resetStats();
  await stack.deploy(job("v2"));
  // The job is read first: the UpdateJob IoT would refuse (the job has completed) is not sent at all.
  expect(stack.local.stats().calls.map((c) => c.operation)).not.toContain("UpdateJob");
  for (let i = 0; i < 2; i++) {
    const plan = await preview(stack, job("v2"), { refresh: true });
    expect(plan.drift).toEqual([]);
    expect(plan.summary).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0 });
  }
  await expect(stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: "none" }))).rejects.toBeInstanceOf(
    ResourceNotFoundException,
  );
});

test("destroying a completed job sends no CancelJob (IoT refuses it), forced or not: DeleteJob only", async () => {
  for (const force of [false, true]) {
    const job = async () => {
      const d = await Thing("d", { thingName: "d" });
      return Job("job", { jobId: `done-${force}`, targets: [d], document, deletion: { force } });
    };
    await stack.deploy(job);
    await stack.local.updateJobExecution({ thingName: "d", jobId: `done-${force}`, status: "SUCCEEDED" });
    stack.local.resetStats();
    await stack.deploy(async () => Thing("d", { thingName: "d" }));
    const calls = stack.local.stats().calls.map((c) => c.operation);
    expect(calls).not.toContain("CancelJob");
    expect(calls).toContain("DeleteJob");
  }
});
