/**
 * A secret where IoT would store it in clear (a thing attribute), through the
 * command line: the deploy program, the preview and the rehearsal refuse it
 * with the same words and exit 1, before any call, never printing the value.
 * (test/reliability/secret-props.test.ts covers every place in-process.)
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { startLocalIoT } from "../../src/local/index.ts";
import { compiledArgs } from "../support/compiled.ts";
import { endpointEnv } from "../support/endpoint-env.ts";

const REFUSED = "a secret (alchemy.secret) cannot be used here";

test("deploy, preview and rehearse of the same program refuse it with the same message and exit 1, before any call", async () => {
  const repo = path.resolve(import.meta.dirname, "../..");
  const node = process.execPath;
  const fixture = path.join("test", "reliability", "fixtures", "secret-attribute.run.ts");
  const value = "cli-secret-0c5d8e";
  const local = await startLocalIoT();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-secret-props-"));
  const run = (args: string[]) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        node,
        compiledArgs(args),
        { cwd: repo, env: endpointEnv(local, root, { API_KEY: value }), encoding: "utf8", timeout: 120_000 },
        (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out: `${stdout}${stderr}` });
        },
      );
    });
  const rule = `attributes.apiKey: ${REFUSED}: IoT stores thing attributes in clear and returns them to anyone who can call DescribeThing; pass a plain string, or keep the secret out of the registry`;
  try {
    for (const args of [
      [fixture, "--stage", "sp"],
      ["src/cli/index.ts", "preview", fixture, "--stage", "sp"],
      ["src/cli/index.ts", "rehearse", fixture, "--job", "firmware", "--stage", "sp"],
    ]) {
      local.resetStats();
      const r = await run(args);
      expect(r.code, `${args.join(" ")}\n${r.out}`).toBe(1);
      // The deploy and the rehearsal stop on it; the preview lists it among the program's problems. Same words.
      if (args[1] === "preview")
        expect(r.out, args.join(" ")).toContain(
          `✖ 1 problem: a deploy of this program changes nothing and exits 1 until it is fixed.\n  - Thing "sensor": ${rule}`,
        );
      else expect(r.out, args.join(" ")).toContain(`Invalid props for Thing "sensor" (1 problem):\n  - ${rule}`);
      expect(r.out).not.toContain(value);
      expect(local.stats().mutatingRequests, args.join(" ")).toBe(0);
    }
  } finally {
    await local.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}, 240_000);
