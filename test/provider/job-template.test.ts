import fs from "node:fs";
import path from "node:path";
import {
  CreateJobTemplateCommand,
  DeleteJobTemplateCommand,
  DescribeJobTemplateCommand,
  ListJobTemplatesCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-iot";
import alchemy from "alchemy";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { JobTemplate, type JobTemplateProps } from "../../src/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(() => stack.close());

const base: JobTemplateProps = {
  jobTemplateId: "firmware-update",
  description: "Roll out firmware 1.2.3",
  document: { operation: "updateFirmware", version: "1.2.3" },
  timeoutConfig: { inProgressTimeoutInMinutes: 60 },
  abortConfig: {
    criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 10, minNumberOfExecutedThings: 5 }],
  },
  tags: { team: "fleet", env: "prod" },
};

async function describeTemplate(jobTemplateId: string) {
  return stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId }));
}

async function tagsOf(arn: string) {
  const out = await stack.client.send(new ListTagsForResourceCommand({ resourceArn: arn }));
  return Object.fromEntries((out.tags ?? []).map((t) => [t.Key, t.Value]));
}

async function templateIds() {
  const out = await stack.client.send(new ListJobTemplatesCommand({}));
  return (out.jobTemplates ?? []).map((t) => t.jobTemplateId).sort();
}

describe("JobTemplate", () => {
  test("creates the template with its configuration, tags and ownership tags", async () => {
    const tpl = await stack.deploy(() => JobTemplate("firmware-update", base));
    expect(tpl.jobTemplateId).toBe("firmware-update");
    expect(tpl.jobTemplateArn).toBe(`arn:aws:iot:${stack.local.region}:${stack.local.accountId}:jobtemplate/firmware-update`);
    expect(tpl.createdAt).toBeInstanceOf(Date);

    const live = await describeTemplate("firmware-update");
    expect(live.description).toBe("Roll out firmware 1.2.3");
    expect(JSON.parse(live.document!)).toEqual({ operation: "updateFirmware", version: "1.2.3" });
    expect(live.timeoutConfig).toEqual({ inProgressTimeoutInMinutes: 60 });
    expect(live.abortConfig?.criteriaList?.[0]).toEqual(base.abortConfig!.criteriaList[0]);
    // CreateJobTemplate does not return createdAt: the output has the deploy's clock at the response, not IoT's (one call, not two).
    expect(Math.abs(live.createdAt!.getTime() - tpl.createdAt.getTime())).toBeLessThan(5_000);
    expect(await tagsOf(tpl.jobTemplateArn)).toEqual({
      team: "fleet",
      env: "prod",
      alchemy_app: stack.app,
      alchemy_stage: "test",
      alchemy_resource: `${stack.app}/test/firmware-update`,
    });
    expect(stack.mutatingCalls()).toEqual(["CreateJobTemplate"]);
  });

  test("a default jobTemplateId derives from app, stage and resource id", async () => {
    const { jobTemplateId: _omit, ...rest } = base;
    const tpl = await stack.deploy(() => JobTemplate("fw", rest));
    expect(tpl.jobTemplateId).toBe(`${stack.app}-test-fw`);
    const again = await stack.deploy(() => JobTemplate("fw", rest));
    expect(again.jobTemplateId).toBe(tpl.jobTemplateId);
  });

  test("redeploying unchanged props makes zero IoT calls", async () => {
    await stack.deploy(() => JobTemplate("firmware-update", base));
    stack.local.resetStats();
    await stack.deploy(() => JobTemplate("firmware-update", base));
    expect(stack.local.stats().requests).toBe(0);
  });

  test("a tag change is applied in place: same ARN and createdAt, only the tag calls", async () => {
    const first = await stack.deploy(() => JobTemplate("firmware-update", base));
    stack.local.resetStats();
    const second = await stack.deploy(() => JobTemplate("firmware-update", { ...base, tags: { team: "devices", owner: "ops" } }));
    expect(stack.mutatingCalls()).toEqual(["TagResource", "UntagResource"]);
    // One read first: the template the state names is this resource's (its ownership tags).
    expect(stack.local.stats().calls.map((c) => c.operation)).toEqual(["ListTagsForResource", "TagResource", "UntagResource"]);
    expect(second.jobTemplateArn).toBe(first.jobTemplateArn);
    expect(second.createdAt.getTime()).toBe(first.createdAt.getTime());
    expect(Math.abs((await describeTemplate("firmware-update")).createdAt!.getTime() - first.createdAt.getTime())).toBeLessThan(5_000);
    const tags = await tagsOf(first.jobTemplateArn);
    expect(tags).toMatchObject({ team: "devices", owner: "ops", alchemy_resource: `${stack.app}/test/firmware-update` });
    expect(tags).not.toHaveProperty("env");
  });

  test.each([
    ["description", { description: "Roll out firmware 1.2.4" }],
    ["document", { document: { operation: "updateFirmware", version: "1.2.4" } }],
    [
      "abortConfig",
      { abortConfig: { criteriaList: [{ failureType: "ALL", action: "CANCEL", thresholdPercentage: 20, minNumberOfExecutedThings: 5 }] } },
    ],
  ] as const)("a %s change replaces the template with the same id: deleted first, then created", async (_prop, change) => {
    const first = await stack.deploy(() => JobTemplate("firmware-update", base));
    stack.local.resetStats();
    await new Promise((r) => setTimeout(r, 5));
    const second = await stack.deploy(() => JobTemplate("firmware-update", { ...base, ...change } as JobTemplateProps));
    expect(stack.mutatingCalls()).toEqual(["DeleteJobTemplate", "CreateJobTemplate"]);
    expect(second.jobTemplateId).toBe("firmware-update");
    expect(second.createdAt.getTime()).toBeGreaterThan(first.createdAt.getTime());
    const live = await describeTemplate("firmware-update");
    if ("description" in change) expect(live.description).toBe(change.description);
    if ("document" in change) expect(JSON.parse(live.document!)).toEqual(change.document);
    expect(await templateIds()).toEqual(["firmware-update"]);
    expect(await tagsOf(second.jobTemplateArn)).toMatchObject({ team: "fleet", alchemy_app: stack.app });
  });

  test("a document that only changes key order or whitespace is not a change", async () => {
    await stack.deploy(() => JobTemplate("firmware-update", { ...base, document: '{"operation":"updateFirmware","version":"1.2.3"}' }));
    stack.local.resetStats();
    await stack.deploy(() =>
      JobTemplate("firmware-update", { ...base, document: '{ "version": "1.2.3",  "operation": "updateFirmware" }' }),
    );
    expect(stack.mutatingCalls()).toEqual([]);
  });

  test("an id change creates the new template first and deletes the old one at the end", async () => {
    await stack.deploy(() => JobTemplate("firmware-update", base));
    stack.local.resetStats();
    const next = await stack.deploy(() => JobTemplate("firmware-update", { ...base, jobTemplateId: "firmware-update-v2" }));
    expect(stack.mutatingCalls()).toEqual(["CreateJobTemplate", "DeleteJobTemplate"]);
    expect(next.jobTemplateId).toBe("firmware-update-v2");
    expect(await templateIds()).toEqual(["firmware-update-v2"]);
  });

  test("destroy deletes the template; deleting one that is already gone succeeds", async () => {
    await stack.deploy(async () => {
      await JobTemplate("a", { ...base, jobTemplateId: "a" });
      await JobTemplate("b", { ...base, jobTemplateId: "b" });
    });
    await stack.client.send(new DeleteJobTemplateCommand({ jobTemplateId: "b" }));
    await stack.destroy();
    expect(await templateIds()).toEqual([]);
    expect(fs.existsSync(path.join(stack.stateDir(), "a.json"))).toBe(false);
  });

  test("a template removed from the program is deleted by the next deploy", async () => {
    await stack.deploy(async () => {
      await JobTemplate("a", { ...base, jobTemplateId: "a" });
      await JobTemplate("b", { ...base, jobTemplateId: "b" });
    });
    await stack.deploy(() => JobTemplate("a", { ...base, jobTemplateId: "a" }));
    expect(await templateIds()).toEqual(["a"]);
  });

  test("a template deleted out of band is recreated by the next deploy that runs its handler", async () => {
    await stack.deploy(() => JobTemplate("firmware-update", base));
    await stack.client.send(new DeleteJobTemplateCommand({ jobTemplateId: "firmware-update" }));
    // Unchanged props: Alchemy trusts its state and makes no call (so nothing notices)...
    await stack.deploy(() => JobTemplate("firmware-update", base));
    await expect(describeTemplate("firmware-update")).rejects.toBeInstanceOf(ResourceNotFoundException);
    // ...a forced deploy (alchemy --force) re-reads it and recreates it.
    await stack.deploy(() => JobTemplate("firmware-update", base), { force: true });
    expect((await describeTemplate("firmware-update")).description).toBe(base.description);
    // So does a deploy that changes its tags.
    await stack.client.send(new DeleteJobTemplateCommand({ jobTemplateId: "firmware-update" }));
    await stack.deploy(() => JobTemplate("firmware-update", { ...base, tags: { team: "x" } }));
    expect(await tagsOf((await describeTemplate("firmware-update")).jobTemplateArn!)).toMatchObject({ team: "x" });
  });

  /** The base template, created out of band with these tags. */
  const createForeign = (tags: Record<string, string>) =>
    stack.client.send(
      new CreateJobTemplateCommand({
        jobTemplateId: "firmware-update",
        description: base.description,
        document: JSON.stringify(base.document),
        timeoutConfig: base.timeoutConfig,
        abortConfig: base.abortConfig,
        tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );

  test("a foreign template with the same id is refused with a clear error, and adopted with adopt: true", async () => {
    await createForeign({ owner: "someone-else" });
    await expect(stack.deploy(() => JobTemplate("firmware-update", base))).rejects.toThrow(
      /job template "firmware-update" already exists .* not created by this resource.*adopt: true/,
    );
    // A refused create leaves no trace in state.
    expect(fs.existsSync(path.join(stack.stateDir(), "firmware-update.json"))).toBe(false);
    const before = await describeTemplate("firmware-update");
    stack.local.resetStats();
    const adopted = await stack.deploy(() => JobTemplate("firmware-update", { ...base, adopt: true }));
    expect(adopted.createdAt.getTime()).toBe(before.createdAt!.getTime());
    // Read first, then only the tag difference is applied; no failing CreateJobTemplate, no ownership tags.
    expect(stack.mutatingCalls()).toEqual(["TagResource", "UntagResource"]);
    expect(await tagsOf(adopted.jobTemplateArn)).toEqual({ team: "fleet", env: "prod" });
    // From then on it is an ordinary resource: a no-op deploy makes no call.
    stack.local.resetStats();
    await stack.deploy(() => JobTemplate("firmware-update", { ...base, adopt: true }));
    expect(stack.local.stats().requests).toBe(0);
  });

  test("adopting a template that matches the props makes no mutating call at all", async () => {
    await createForeign(base.tags!);
    stack.local.resetStats();
    const adopted = await stack.deploy(() => JobTemplate("firmware-update", base), { adopt: true });
    expect(stack.mutatingCalls()).toEqual([]);
    expect(Object.keys(stack.local.stats().byOperation).sort()).toEqual(["DescribeJobTemplate", "ListTagsForResource"]);
    expect(adopted.jobTemplateArn).toBe((await describeTemplate("firmware-update")).jobTemplateArn);
    expect(adopted.cloudFormation).toBeUndefined();
    // Destroy deletes it like any template of the stack.
    await stack.destroy();
    expect(await templateIds()).toEqual([]);
  });

  test("adopting a foreign template whose configuration differs replaces it", async () => {
    await stack.client.send(new CreateJobTemplateCommand({ jobTemplateId: "firmware-update", description: "other", document: "{}" }));
    await stack.deploy(() => JobTemplate("firmware-update", base), { adopt: true });
    expect((await describeTemplate("firmware-update")).description).toBe(base.description);
    expect(await templateIds()).toEqual(["firmware-update"]);
  });

  test("crash recovery: state left in 'creating' with the template already created is taken over, no duplicate", async () => {
    const first = await stack.deploy(() => JobTemplate("firmware-update", base));
    // What a process killed after CreateJobTemplate leaves behind: the template exists,
    // the state file still says "creating" with no outputs.
    const file = path.join(stack.stateDir(), "firmware-update.json");
    const state = JSON.parse(fs.readFileSync(file, "utf8"));
    state.status = "creating";
    state.output = Object.fromEntries(Object.entries(state.output).filter(([k]) => k.startsWith("Symbol(")));
    state.props = {};
    fs.writeFileSync(file, JSON.stringify(state));
    stack.local.resetStats();

    const recovered = await stack.deploy(() => JobTemplate("firmware-update", base));
    expect(recovered.jobTemplateArn).toBe(first.jobTemplateArn);
    // Taken over: the output has IoT's own createdAt, read when the template was found.
    expect(recovered.createdAt.getTime()).toBe((await describeTemplate("firmware-update")).createdAt!.getTime());
    expect(stack.mutatingCalls()).toEqual(["CreateJobTemplate"]); // refused with ConflictException, then taken over
    expect(await templateIds()).toEqual(["firmware-update"]);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).status).toBe("created");
  });

  test("crash recovery with a changed configuration replaces the half-created template", async () => {
    await stack.deploy(() => JobTemplate("firmware-update", base));
    const file = path.join(stack.stateDir(), "firmware-update.json");
    const state = JSON.parse(fs.readFileSync(file, "utf8"));
    state.status = "creating";
    state.output = Object.fromEntries(Object.entries(state.output).filter(([k]) => k.startsWith("Symbol(")));
    fs.writeFileSync(file, JSON.stringify(state));
    await stack.deploy(() => JobTemplate("firmware-update", { ...base, description: "changed" }));
    expect((await describeTemplate("firmware-update")).description).toBe("changed");
    expect(await templateIds()).toEqual(["firmware-update"]);
  });

  test("a secret document is encrypted in the state file and still deployed in clear", async () => {
    const token = "s3cr3t-token-value-1234";
    await stack.deploy(() =>
      JobTemplate("rotate", {
        jobTemplateId: "rotate",
        description: "Rotate keys",
        document: alchemy.secret(JSON.stringify({ operation: "rotate", token })),
      }),
    );
    const files = stack.stateFiles();
    const state = files[path.relative(stack.dir, path.join(stack.stateDir(), "rotate.json"))];
    expect(state).toBeDefined();
    expect(state).toContain("@secret");
    for (const content of Object.values(files)) expect(content).not.toContain(token);
    expect(JSON.parse((await describeTemplate("rotate")).document!).token).toBe(token);
    // Unchanged secret: no calls on redeploy.
    stack.local.resetStats();
    await stack.deploy(() =>
      JobTemplate("rotate", {
        jobTemplateId: "rotate",
        description: "Rotate keys",
        document: alchemy.secret(JSON.stringify({ operation: "rotate", token })),
      }),
    );
    expect(stack.local.stats().requests).toBe(0);
  });

  test("credentials given as scope settings never reach the state files", async () => {
    await stack.deploy(() => JobTemplate("firmware-update", base));
    const { secretAccessKey, accessKeyId } = stack.local.credentials;
    for (const content of Object.values(stack.stateFiles())) {
      expect(content).not.toContain(secretAccessKey);
      expect(content).not.toContain(accessKeyId);
    }
  });
});
