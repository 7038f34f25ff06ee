/**
 * Where a secret (`alchemy.secret(...)`) may go. It is accepted only where
 * the API carries the value to where it is needed: a job document (whole or
 * nested), a managed template's documentParameters values, and the client
 * credentials (accessKeyId, secretAccessKey, sessionToken). There the real
 * value is sent (never the wrapper) and it is never printed, masked in plans
 * and encrypted in state. Anywhere else (thing and group attributes,
 * descriptions, names and ids, tags, ARNs, targets, ...) it is refused by
 * validation, before any call and before any state is written, with an
 * error that names the resource, the prop path and the rule, never the value
 * (the deploy, preview and rehearsal commands: ./secret-props-cli.test.ts).
 */
import "../../src/preview/globals.ts";
import http from "node:http";
import { DescribeJobCommand, DescribeJobTemplateCommand, DescribeThingCommand } from "@aws-sdk/client-iot";
import alchemy, { type Secret } from "alchemy";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import * as cfn from "../../src/cloudformation/index.ts";
import { Job, JobTemplate, ManagedJobTemplate, Thing, ThingGroup, ValidationError } from "../../src/index.ts";
import type { Desired } from "../../src/provider/engine/contract.ts";
import { jobKind } from "../../src/provider/kinds/job/contract.ts";
import { jobTemplateKind } from "../../src/provider/kinds/job-template/contract.ts";
import { thingKind } from "../../src/provider/kinds/thing/contract.ts";
import { thingGroupKind } from "../../src/provider/kinds/thing-group/contract.ts";
import { preview } from "../support/accuracy.ts";
import { createStack, type TestStack } from "../support/stack.ts";

/** A secret where the types want a string: what a program that gets it wrong writes. */
const secret = (value: string) => alchemy.secret(value) as unknown as string;
const REFUSED = "a secret (alchemy.secret) cannot be used here";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(() => stack.close());

/** Everything console.* printed while `run` ran. */
async function printedBy<T>(run: () => Promise<T>): Promise<{ result: T | undefined; error: unknown; printed: string }> {
  const lines: string[] = [];
  const capture = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) => vi.spyOn(console, m).mockImplementation(capture));
  try {
    return { result: await run(), error: undefined, printed: lines.join("\n") };
  } catch (error) {
    return { result: undefined, error, printed: lines.join("\n") };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** An HTTP proxy in front of the local endpoint that keeps every request body, as it went over the wire. */
async function wireRecorder(target: string): Promise<{ endpoint: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      bodies.push(`${req.method} ${decodeURIComponent(req.url ?? "")} ${body.toString("utf8")}`);
      const forward = http.request(new URL(req.url ?? "/", target), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on("error", (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    bodies,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

// ------------------------------------------------------------------ refused

describe("a secret where IoT would store it in clear is refused before any call", () => {
  test("Thing attributes: refused naming attributes.<key> and the rule; nothing sent, nothing written, the value never printed", async () => {
    const value = "sk-live-attr-5e1c07";
    const wire = await wireRecorder(stack.local.endpoint);
    try {
      // A stack that exists already: the refused deploy must leave its state exactly as it was.
      await stack.deploy(() => Thing("other", { thingName: "other" }), { iot: { endpoint: wire.endpoint } });
      const before = stack.stateFiles();
      stack.local.resetStats();
      wire.bodies.length = 0;
      const { error, printed } = await printedBy(() =>
        stack.deploy(
          async () => {
            await Thing("other", { thingName: "other" });
            await Thing("sensor", { thingName: "sensor", attributes: { model: "s1", apiKey: secret(value) } });
          },
          { quiet: false, iot: { endpoint: wire.endpoint } },
        ),
      );
      expect(error).toBeInstanceOf(ValidationError);
      const message = (error as Error).message;
      expect(message).toBe(
        'Invalid props for Thing "sensor" (1 problem):\n' +
          `  - attributes.apiKey: ${REFUSED}: IoT stores thing attributes in clear and returns them to anyone who can call DescribeThing; pass a plain string, or keep the secret out of the registry`,
      );
      expect((error as ValidationError).issues.map((i) => i.path)).toEqual(["attributes.apiKey"]);
      expect(stack.mutatingCalls()).toEqual([]);
      expect(stack.local.stats().requests).toBe(0);
      expect(wire.bodies).toEqual([]);
      expect(stack.stateFiles()).toEqual(before);
      for (const text of [message, printed, ...wire.bodies, ...Object.values(stack.stateFiles())]) expect(text).not.toContain(value);
    } finally {
      await wire.close();
    }
  });

  test("a Thing that exists: adding a secret attribute is refused; the thing and its state are untouched", async () => {
    const value = "sk-live-update-91aa3d";
    await stack.deploy(() => Thing("sensor", { thingName: "sensor", attributes: { model: "s1" } }));
    const before = stack.stateFiles();
    stack.local.resetStats();
    const error = await stack
      .deploy(() => Thing("sensor", { thingName: "sensor", attributes: { model: "s1", token: secret(value) } }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(`attributes.token: ${REFUSED}: IoT stores thing attributes in clear`);
    expect((error as Error).message).not.toContain(value);
    expect(stack.local.stats().requests).toBe(0);
    expect(stack.stateFiles()).toEqual(before);
    expect((await stack.client.send(new DescribeThingCommand({ thingName: "sensor" }))).attributes).toEqual({ model: "s1" });
  });

  const fleet = "arn:aws:iot:us-east-1:123456789012:thinggroup/fleet";
  const cases: Array<{ name: string; value: string; program: (v: string) => Promise<unknown>; resource: string; lines: string[] }> = [
    {
      name: "ThingGroup attributes and description",
      value: "grp-secret-77c0",
      program: (v) => ThingGroup("fleet", { description: secret(`desc ${v}`), attributes: { site: "a", key: secret(v) } }),
      resource: 'ThingGroup "fleet"',
      lines: [
        `description: ${REFUSED}: IoT stores description in clear and returns it to anyone who can call DescribeThingGroup; pass a plain string, or keep the secret out of the registry`,
        `attributes.key: ${REFUSED}: IoT stores thing group attributes in clear and returns them to anyone who can call DescribeThingGroup; pass a plain string, or keep the secret out of the registry`,
      ],
    },
    {
      name: "Job description and a tag value",
      value: "job-secret-3f9e",
      program: (v) =>
        Job("rollout", { targets: [fleet], document: { op: "x" }, description: secret(v), tags: { team: "a", token: secret(v) } }),
      resource: 'Job "rollout"',
      lines: [
        `description: ${REFUSED}: IoT stores description in clear and returns it to anyone who can call DescribeJob; pass a plain string; a value the devices need belongs in the job document (document: alchemy.secret(...))`,
        `tags.token: ${REFUSED}: IoT stores tags in clear and returns them to anyone who can call ListTagsForResource; pass a plain string; a value the devices need belongs in the job document (document: alchemy.secret(...))`,
      ],
    },
    {
      name: "Job targets",
      value: `${fleet}-tgt`,
      program: (v) => Job("rollout", { targets: [secret(v)], document: { op: "x" } }),
      resource: 'Job "rollout"',
      lines: [`targets[0]: ${REFUSED}: `],
    },
    {
      name: "JobTemplate id, a tag value and a whole presignedUrlConfig",
      value: "tpl-secret-0b44",
      program: (v) =>
        JobTemplate("t", {
          jobTemplateId: secret(v),
          description: "d",
          document: { op: "x" },
          tags: { owner: secret(v) },
          presignedUrlConfig: alchemy.secret({ roleArn: `arn:aws:iam::123456789012:role/${v}`, expiresInSec: 60 }) as never,
        }),
      resource: 'JobTemplate "t"',
      lines: [
        `jobTemplateId: ${REFUSED}: jobTemplateId names the job template`,
        `tags.owner: ${REFUSED}: `,
        `presignedUrlConfig: ${REFUSED}: `,
      ],
    },
    {
      name: "Thing name and group membership",
      value: "thing-secret-19d2",
      program: (v) => Thing("t", { thingName: secret(v), thingGroups: [secret(`${v}-g`)] }),
      resource: 'Thing "t"',
      lines: [`thingName: ${REFUSED}: thingName names the thing`, `thingGroups[0]: ${REFUSED}: `],
    },
    {
      name: "client settings other than the credentials",
      value: "profile-secret-aa31",
      program: (v) => ThingGroup("g", { profile: secret(v), externalId: secret(v) }),
      resource: 'ThingGroup "g"',
      lines: [`profile: ${REFUSED}: profile is client configuration`, `externalId: ${REFUSED}: externalId is client configuration`],
    },
    {
      name: "ManagedJobTemplate lookup",
      value: "AWS-Download-File",
      program: (v) => ManagedJobTemplate({ templateName: secret(v) }),
      resource: "ManagedJobTemplate",
      lines: [`templateName: ${REFUSED}: `],
    },
    {
      name: "CloudFormation-named Job: Description and a Tags value",
      value: "cfn-secret-6d02",
      program: (v) =>
        cfn.Job("cfn", {
          Targets: [fleet],
          Document: JSON.stringify({ op: "x" }),
          Description: secret(v),
          Tags: [{ Key: "team", Value: secret(v) }],
        }),
      resource: 'Job "cfn"',
      lines: [`Description: ${REFUSED}: `, `Tags[0].Value: ${REFUSED}: `],
    },
    {
      name: "CloudFormation-named Job: a secret as a tag's Key, and a Tags object with a secret value",
      value: "cfn-key-secret-8e21",
      program: async (v) => {
        const e1 = await cfn
          .Job("k", {
            Targets: [fleet],
            Document: "{}",
            Tags: [
              { Key: secret(v), Value: "a" },
              { Key: "b", Value: secret(v) },
            ],
          })
          .catch((e: unknown) => e);
        expect((e1 as Error).message).toContain(`  - Tags[0].Key: ${REFUSED}: `);
        expect((e1 as Error).message).toContain(`  - Tags[1].Value: ${REFUSED}: `);
        expect((e1 as Error).message).not.toContain(v);
        return cfn.Job("cfn", { Targets: [fleet], Document: "{}", Tags: { team: secret(v) } });
      },
      resource: 'Job "cfn"',
      lines: [`Tags[0].Value: ${REFUSED}: `],
    },
    {
      name: "a secret turned into text: a template string, or JSON.stringify of the wrapper",
      value: "text-secret-40f1",
      program: (v) => Thing("t", { attributes: { note: `key ${alchemy.secret(v)}`, blob: JSON.stringify({ key: alchemy.secret(v) }) } }),
      resource: 'Thing "t"',
      lines: ['attributes.note: holds "Secret(', "attributes.blob: holds the JSON of an alchemy.secret wrapper"],
    },
    {
      name: "CloudFormation-named JobTemplate: JobTemplateId",
      value: "cfn-tpl-secret-51aa",
      program: (v) => cfn.JobTemplate("cfnt", { JobTemplateId: secret(v), Description: "d", Document: "{}" }),
      resource: 'JobTemplate "cfnt"',
      lines: [`JobTemplateId: ${REFUSED}: `],
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      stack.local.resetStats();
      const { error, printed } = await printedBy(() => stack.deploy(() => c.program(c.value), { quiet: false }));
      expect(error).toBeInstanceOf(ValidationError);
      const message = (error as Error).message;
      expect(message).toContain(c.resource);
      for (const line of c.lines) expect(message).toContain(`  - ${line}`);
      expect(message).not.toContain(c.value);
      expect(printed).not.toContain(c.value);
      expect(stack.local.stats().requests).toBe(0);
      expect(Object.keys(stack.stateFiles()).filter((f) => f.endsWith(".json"))).toEqual([]);
    });
  }
});

// ------------------------------------------------------------------ accepted

test("documents, documentParameters and credentials: the real value is sent (never the wrapper), read back from IoT, never printed, masked in the plan, encrypted in state", async () => {
  const doc = "doc-secret-c4a1e9";
  const nested = "nested-secret-7ad203";
  const param = "param-secret-2b90ff";
  const wire = await wireRecorder(stack.local.endpoint);
  const { accessKeyId, secretAccessKey } = stack.local.credentials;
  const program = async () => {
    const client = { endpoint: wire.endpoint, accessKeyId: alchemy.secret(accessKeyId), secretAccessKey: alchemy.secret(secretAccessKey) };
    const device = await Thing("device", { thingName: "device", attributes: { model: "s1" }, ...client });
    await JobTemplate("rotate", {
      ...client,
      jobTemplateId: "rotate",
      description: "Rotate",
      document: alchemy.secret(JSON.stringify({ op: "rotate", token: doc })),
    });
    await Job("nested", {
      ...client,
      jobId: "nested",
      targets: [device],
      document: { op: "configure", token: alchemy.secret(nested) as unknown as string },
      deletion: { force: true },
    });
    const download = await ManagedJobTemplate({ templateName: "AWS-Download-File", ...client });
    await Job("fetch", {
      ...client,
      jobId: "fetch",
      targets: [device],
      jobTemplate: download,
      documentParameters: { downloadUrl: alchemy.secret(`https://example.com/f?token=${param}`), filePath: "/etc/f" },
      deletion: { force: true },
    });
  };
  try {
    const plan = await preview(stack, program);
    const planText = JSON.stringify(plan);
    for (const value of [doc, nested, param, secretAccessKey]) expect(planText).not.toContain(value);
    const rotate = plan.resources.find((r) => r.name === "rotate")!;
    expect(rotate.after).toMatchObject({ document: "(sensitive)" });
    // (The credentials are secrets too: their paths are listed, though they are not part of what IoT stores.)
    expect(rotate.sensitivePaths).toEqual(["accessKeyId", "document", "secretAccessKey"]);
    expect(plan.resources.find((r) => r.name === "nested")!.sensitivePaths).toContain("document.token");
    expect(plan.resources.find((r) => r.name === "fetch")!.sensitivePaths).toContain("documentParameters.downloadUrl");
    expect(wire.bodies.every((b) => /^(GET|HEAD) /.test(b))).toBe(true); // a preview sends no write

    wire.bodies.length = 0;
    const { error, printed } = await printedBy(() => stack.deploy(program, { quiet: false }));
    expect(error).toBeUndefined();
    // On the wire: the values themselves, never a serialized wrapper.
    const sent = wire.bodies.join("\n");
    expect(sent).toContain(doc);
    expect(sent).toContain(nested);
    expect(sent).toContain(param);
    for (const wrapper of ["unencrypted", '"type":"secret"', "[object Object]", "Secret(", "anonymous-secret"])
      expect(sent).not.toContain(wrapper);
    // IoT has the values.
    const template = await stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: "rotate" }));
    expect(JSON.parse(template.document!)).toEqual({ op: "rotate", token: doc });
    const fetch = await stack.client.send(new DescribeJobCommand({ jobId: "fetch" }));
    expect(fetch.job?.documentParameters).toEqual({ downloadUrl: `https://example.com/f?token=${param}`, filePath: "/etc/f" });
    // Never printed, never in clear in state.
    for (const value of [doc, nested, param, secretAccessKey]) {
      expect(printed).not.toContain(value);
      for (const [file, content] of Object.entries(stack.stateFiles())) expect(content.includes(value), `${value} in ${file}`).toBe(false);
    }
    // A second deploy of the same program changes nothing.
    stack.local.resetStats();
    await stack.deploy(program);
    expect(stack.mutatingCalls()).toEqual([]);
    await stack.destroy();
  } finally {
    await wire.close();
  }
});

test("an accepted secret that breaks a rule is refused without its value (a parameter, or the whole documentParameters)", async () => {
  const value = "ftp://param-leak-9931";
  const template = {
    templateArn: "arn:aws:iot:us-east-1::jobtemplate/AWS-Download-File:1.0",
    templateName: "AWS-Download-File",
    templateVersion: "1.0",
    description: "",
    environments: [],
    document: "{}",
    documentParameters: [{ key: "downloadUrl", regex: "https://.*", optional: false }],
  };
  const targets = ["arn:aws:iot:us-east-1:123456789012:thinggroup/fleet"];
  for (const documentParameters of [{ downloadUrl: alchemy.secret(value) }, alchemy.secret({ downloadUrl: value })]) {
    stack.local.resetStats();
    const error = await stack
      .deploy(() => Job("fetch", { targets, jobTemplate: template, documentParameters: documentParameters as never }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(
      "documentParameters.downloadUrl: (sensitive) does not match the parameter's pattern https://.*",
    );
    expect((error as Error).message).not.toContain(value);
    expect(stack.local.stats().requests).toBe(0);
  }
});

test("a Thing or a Job given as a reference may carry secrets in its other props (they are not sent)", async () => {
  const { accessKeyId, secretAccessKey } = stack.local.credentials;
  const client = { accessKeyId: alchemy.secret(accessKeyId), secretAccessKey: alchemy.secret(secretAccessKey) };
  const program = async () => {
    const device = await Thing("device", { thingName: "device", ...client });
    const job = await Job("job", {
      jobId: "job",
      targets: [device],
      document: alchemy.secret('{"op":"x"}'),
      deletion: { force: true },
      ...client,
    });
    await JobTemplate("copy", { jobTemplateId: "copy", description: "copy", jobArn: job, ...client });
  };
  await stack.deploy(program);
  expect((await stack.client.send(new DescribeJobTemplateCommand({ jobTemplateId: "copy" }))).document).toBe('{"op":"x"}');
  await stack.destroy();
});

// ------------------------------------------------------------------ fail closed

describe("a Secret object that reaches a call is never sent: the call is refused", () => {
  const ownership = { app: "app", stage: "s", resource: "app/s/r" };
  const state = (spec: Record<string, unknown>, tags: Record<string, string> = {}) => ({
    location: "aws",
    region: "us-east-1",
    spec,
    tags,
    settings: {},
  });
  const wrapped = (v: string) => alchemy.secret(v) as Secret<string>;
  const desired = (id: string, s: ReturnType<typeof state>): Desired<any> => ({ id, ownership, sensitive: new Set(), state: s });
  const value = "slipped-secret-e3b7";
  const kinds = [
    {
      label: "Thing",
      decide: () =>
        thingKind.decide(undefined, desired("t", state({ thingName: "t", attributes: { k: wrapped(value) }, thingGroups: [] }))),
      path: "attributes.k",
    },
    {
      label: "ThingGroup",
      decide: () =>
        thingGroupKind.decide(undefined, desired("g", state({ thingGroupName: "g", attributes: {}, description: wrapped(value) }))),
      path: "description",
    },
    {
      label: "JobTemplate",
      decide: () =>
        jobTemplateKind.decide(
          undefined,
          desired("t", state({ jobTemplateId: "t", description: "d", document: "{}" }, { team: wrapped(value) as never })),
        ),
      path: "tags",
    },
    {
      label: "Job",
      decide: () =>
        jobKind.decide(
          undefined,
          desired(
            "j",
            state({ jobId: "j", targets: ["arn:aws:iot:us-east-1:123456789012:thing/t"], document: "{}", description: wrapped(value) }),
          ),
        ),
      path: "description",
    },
  ];
  for (const k of kinds) {
    test(k.label, () => {
      let error: unknown;
      try {
        k.decide();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(k.path);
      expect((error as Error).message).toMatch(/secret/);
      expect((error as Error).message).toMatch(/nothing was sent/);
      expect((error as Error).message).not.toContain(value);
    });
  }
});
