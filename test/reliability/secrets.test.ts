/**
 * Secrets: after deploying (and updating, and destroying) with secret
 * documents, secret document parameters and credentials given as resource
 * props, no secret value and no credential appears in the state files or in
 * anything the deploy printed. (Every preview format is checked in
 * test/preview/preview.test.ts.)
 */
import alchemy from "alchemy";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { Job, JobTemplate, ManagedJobTemplate, Thing } from "../../src/index.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(() => stack.close());

test("no secret value or credential in state files or in the deploy's output", async () => {
  const document = "doc-secret-4d2f9a";
  const parameter = "param-secret-7b1e33";
  const { accessKeyId, secretAccessKey } = stack.local.credentials;
  const printed: string[] = [];
  const capture = (...args: unknown[]) => void printed.push(args.map(String).join(" "));
  const spies = (["log", "info", "warn", "error"] as const).map((m) => vi.spyOn(console, m).mockImplementation(capture));
  try {
    const program = (version: string) => async () => {
      // Credentials as resource props: they are stored, so they must be secrets (and encrypted).
      const client = {
        endpoint: stack.local.endpoint,
        region: stack.local.region,
        accessKeyId: alchemy.secret(accessKeyId),
        secretAccessKey: alchemy.secret(secretAccessKey),
      };
      const device = await Thing("device", { thingName: "secret-device", ...client });
      await JobTemplate("rotate", {
        ...client,
        jobTemplateId: "secret-rotate",
        description: `Rotate keys ${version}`,
        document: alchemy.secret(JSON.stringify({ operation: "rotate", token: document })),
      });
      const download = await ManagedJobTemplate({ templateName: "AWS-Download-File", ...client });
      await Job("fetch", {
        ...client,
        targets: [device],
        jobTemplate: download,
        documentParameters: { downloadUrl: alchemy.secret(`https://example.com/f?token=${parameter}`), filePath: "/etc/f" },
        description: `Fetch ${version}`,
        deletion: { force: true },
      });
    };
    await stack.deploy(program("v1"), { quiet: false, iot: {} });
    await stack.deploy(program("v2"), { quiet: false, iot: {} });
    for (const [file, content] of Object.entries(stack.stateFiles())) {
      for (const secret of [document, parameter, secretAccessKey, accessKeyId]) {
        expect(content.includes(secret), `${secret} in ${file}`).toBe(false);
      }
    }
    expect(Object.values(stack.stateFiles()).join("\n")).toContain("@secret");
    await stack.destroy({ quiet: false, iot: {} });
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  expect(printed.length).toBeGreaterThan(5); // the deploy did print its progress
  const output = printed.join("\n");
  for (const secret of [document, parameter, secretAccessKey]) expect(output).not.toContain(secret);
});
