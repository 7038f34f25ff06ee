/**
 * State a deploy or a destroy cannot read (issue 24): a state file that holds
 * `null`, is empty or holds an array, a directory where a state file should
 * be, a state whose `output` is null; with Alchemy's FileSystemStateStore (the
 * default) and AtomicFileSystemStateStore. Each stops the run before any call
 * with one message that names the file and the resource: a deploy changes
 * nothing and a destroy deletes nothing, whichever resource's state it is (a
 * destroy used to delete the 29 others first, or to skip the directory and
 * leave its resource). The real Alchemy runtime, a real local endpoint, real files.
 */
import fs from "node:fs";
import path from "node:path";
import { ListJobTemplatesCommand } from "@aws-sdk/client-iot";
import alchemy, { type Scope } from "alchemy";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { AtomicFileSystemStateStore, JobTemplate, StateFileError } from "../../src/index.ts";
import { createStack, type DeployOptions, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(async () => {
  await stack.close();
});

const COUNT = 30;
const ids = Array.from({ length: COUNT }, (_, i) => `t${String(i).padStart(2, "0")}`);
/** 30 templates; the 8th is the one whose state is spoiled. */
const program = (description = "v1") =>
  async function () {
    for (const id of ids) await JobTemplate(id, { jobTemplateId: `bad-state-${id}`, description, document: { op: "x" } });
  };

const templates = async () => (await stack.client.send(new ListJobTemplatesCommand({ maxResults: 100 }))).jobTemplates ?? [];

const STORES: Record<string, DeployOptions> = {
  "Alchemy's FileSystemStateStore (the default)": {},
  AtomicFileSystemStateStore: { stateStore: (scope: Scope) => new AtomicFileSystemStateStore(scope) },
};

/** Ways to spoil a state file, and what the message says of each. */
const SPOILED: Record<string, { spoil: (file: string) => void; says: string }> = {
  "a file that holds null": { spoil: (f) => fs.writeFileSync(f, "null"), says: "holds null, not a resource's state (a JSON object)" },
  "a directory in place of the state file": {
    spoil: (f) => {
      fs.rmSync(f);
      fs.mkdirSync(f);
    },
    says: "is a directory, not a file",
  },
  "a state whose output is null": {
    spoil: (f) => fs.writeFileSync(f, JSON.stringify({ ...JSON.parse(fs.readFileSync(f, "utf8")), output: null }, null, 2)),
    says: `records null as the resource's "output", where its attributes (its id, ARN, location) belong`,
  },
  "an empty file": { spoil: (f) => fs.writeFileSync(f, ""), says: "is empty (0 bytes)" },
  "a JSON array": { spoil: (f) => fs.writeFileSync(f, "[]"), says: "holds a JSON array, not a resource's state (a JSON object)" },
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

for (const [storeName, store] of Object.entries(STORES)) {
  describe(`with ${storeName}`, () => {
    for (const [what, { spoil, says }] of Object.entries(SPOILED)) {
      test(`${what}: the deploy and the destroy refuse before any call, naming the file and the resource`, async () => {
        await stack.deploy(program(), store);
        const file = path.join(stack.stateDir(), "t07.json");
        spoil(file);
        const before = stack.stateFiles();
        const address = `${stack.app}/${stack.stage}/t07`;
        const head = `^Alchemy's state file \\S*${escape(path.join(stack.app, stack.stage, "t07.json"))} ${escape(says)}; it is the state of ${escape(address)}\\. `;

        stack.local.resetStats();
        const deployed = await stack.deploy(program("v2"), store).catch((e: unknown) => e);
        expect(deployed).toBeInstanceOf(StateFileError);
        expect((deployed as Error).message).toMatch(
          new RegExp(
            `${head}So the stage cannot be deployed: nothing was changed \\(a deploy starts only once every state of its stage can be read\\)\\.`,
          ),
        );
        expect((deployed as Error).message).toContain(
          "Restore it (from version control or a backup), or delete it and deploy with --adopt",
        );
        expect(stack.local.stats().requests).toBe(0);

        const destroyed = await stack.destroy(store).catch((e: unknown) => e);
        expect(destroyed).toBeInstanceOf(StateFileError);
        expect((destroyed as Error).message).toMatch(
          new RegExp(
            `${head}So the stage cannot be destroyed: nothing was deleted \\(a destroy starts only once every state of its stage can be read\\)\\.`,
          ),
        );
        // Not one of the 30 was deleted, and the state is as it was (the spoiled file included).
        expect(stack.local.stats().requests).toBe(0);
        expect(await templates()).toHaveLength(COUNT);
        expect(stack.stateFiles()).toEqual(before);
      });
    }
  });
}

test("every state that cannot be read is named, nested scopes included; once restored, the deploy and the destroy run", async () => {
  const nested = async () => {
    await program()();
    await alchemy.run("eu", async () => {
      await JobTemplate("inner", { jobTemplateId: "bad-state-inner", description: "v1", document: { op: "x" } });
    });
  };
  await stack.deploy(nested);
  const outer = path.join(stack.stateDir(), "t03.json");
  const inner = path.join(stack.stateDir(), "eu", "inner.json");
  const kept = [fs.readFileSync(outer), fs.readFileSync(inner)] as const;
  fs.writeFileSync(outer, "null");
  fs.writeFileSync(inner, kept[1].subarray(0, 40));

  stack.local.resetStats();
  const error = (await stack.destroy().catch((e: unknown) => e)) as Error;
  expect(error.message).toMatch(
    new RegExp(`^2 of Alchemy's state files of stage "${stack.stage}" of app "${stack.app}" cannot be read:\\n`),
  );
  expect(error.message).toMatch(
    new RegExp(
      `\\n {2}- \\S*t03\\.json holds null, not a resource's state \\(a JSON object\\) \\(the state of ${stack.app}/${stack.stage}/t03\\)\\n`,
    ),
  );
  expect(error.message).toMatch(
    new RegExp(
      `\\n {2}- \\S*eu/inner\\.json is not valid JSON \\(it ends before its data does, as a file cut short does\\) \\(the state of ${stack.app}/${stack.stage}/eu/inner\\)\\n`,
    ),
  );
  expect(error.message).toContain("So the stage cannot be destroyed: nothing was deleted");
  expect(error.message).toContain("Restore them (from version control or a backup) and destroy again");
  expect(stack.local.stats().requests).toBe(0);
  expect(await templates()).toHaveLength(COUNT + 1);

  // Restored: a deploy that changes nothing makes no call, and the destroy deletes everything.
  fs.writeFileSync(outer, kept[0]);
  fs.writeFileSync(inner, kept[1]);
  await stack.deploy(nested);
  expect(stack.mutatingCalls()).toEqual([]);
  await stack.destroy();
  expect(await templates()).toEqual([]);
});
