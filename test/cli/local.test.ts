import { CreateJobTemplateCommand, DescribeJobTemplateCommand, IoTClient, ListJobTemplatesCommand } from "@aws-sdk/client-iot";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { startLocalIoT } from "../../src/local/index.ts";
import { DOC, iotClient } from "../local/helpers.ts";
import { compiledArgs } from "../support/compiled.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface Running {
  child: ChildProcessWithoutNullStreams;
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the standalone endpoint and waits for the banner that names its URL and credentials. */
function startCli(args: string[], entry: string[] = compiledArgs(["src/cli/index.ts"])): Promise<Running> {
  const child = spawn(process.execPath, [...entry, "local", ...args], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  let out = "";
  let err = "";
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner after 20 s; stdout: ${out}; stderr: ${err}`)), 20_000);
    child.stderr.on("data", (d) => (err += d));
    child.stdout.on("data", (d) => {
      out += d;
      const url = /listening on (http:\/\/\S+)/.exec(out);
      const keys = /AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)/.exec(out);
      const region = /region (\S+),/.exec(out);
      if (url && keys && region) {
        clearTimeout(timer);
        resolve({
          child,
          endpoint: url[1],
          accessKeyId: keys[1],
          secretAccessKey: keys[2],
          region: region[1],
          stdout: () => out,
          stderr: () => err,
          exit,
        });
      }
    });
    exit.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before the banner; stdout: ${out}; stderr: ${err}`));
    });
  });
}

const clientFor = (r: Running) =>
  new IoTClient({
    endpoint: r.endpoint,
    region: r.region,
    credentials: { accessKeyId: r.accessKeyId, secretAccessKey: r.secretAccessKey },
  });

async function stop(r: Running): Promise<number | null> {
  r.child.kill("SIGTERM");
  const { code } = await r.exit;
  return code;
}

describe("the standalone `local` command", () => {
  test("serves the SDK on the port it prints and exits 0 on SIGTERM", async () => {
    const r = await startCli(["--port", "0", "--quiet"]);
    try {
      expect(r.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(r.stdout()).toContain("aws iot list-job-templates --endpoint-url");
      const out = await clientFor(r).send(new ListJobTemplatesCommand({}));
      expect(out.jobTemplates).toEqual([]);
      // --quiet: no request log lines.
      expect(r.stdout()).not.toContain("ListJobTemplates");
    } finally {
      expect(await stop(r)).toBe(0);
    }
    expect(r.stdout()).toContain("Stopped.");
  });

  test("--access-key-id and --secret-access-key set the key pair requests must be signed with (both, or neither)", async () => {
    const r = await startCli(["--port", "0", "--quiet", "--access-key-id", "AKIDSHARED", "--secret-access-key", "shared-secret"]);
    try {
      expect([r.accessKeyId, r.secretAccessKey]).toEqual(["AKIDSHARED", "shared-secret"]);
      expect((await clientFor(r).send(new ListJobTemplatesCommand({}))).jobTemplates).toEqual([]);
      const other = new IoTClient({
        endpoint: r.endpoint,
        region: r.region,
        credentials: { accessKeyId: "AKIDOTHER", secretAccessKey: "x" },
      });
      await expect(other.send(new ListJobTemplatesCommand({}))).rejects.toThrow();
    } finally {
      expect(await stop(r)).toBe(0);
    }
    const half = await startCli(["--port", "0", "--access-key-id", "AKIDSHARED"]).then(
      async (x) => {
        await stop(x);
        return undefined;
      },
      (e: Error) => e,
    );
    expect(half?.message).toMatch(/exited with 1/);
    expect(half?.message).toContain("--access-key-id and --secret-access-key go together: give both, or neither.");
  });

  test("logs one line per request unless --quiet, and keeps data with --persist across runs", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-iot-cli-"));
    const file = path.join(dir, "state.json");
    try {
      const first = await startCli(["--port", "0", "--persist", file, "--region", "eu-west-1", "--account-id", "000011112222"]);
      expect(first.region).toBe("eu-west-1");
      await clientFor(first).send(new CreateJobTemplateCommand({ jobTemplateId: "cli", description: "d", document: DOC }));
      expect(await stop(first)).toBe(0);
      expect(first.stdout()).toMatch(/PUT \/job-templates\/cli -> 200 CreateJobTemplate/);

      const second = await startCli(["--port", "0", "--quiet", "--persist", file]);
      try {
        const t = await clientFor(second).send(new DescribeJobTemplateCommand({ jobTemplateId: "cli" }));
        expect(t.jobTemplateArn).toBe("arn:aws:iot:eu-west-1:000011112222:jobtemplate/cli");
      } finally {
        expect(await stop(second)).toBe(0);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a corrupt --persist file makes the command fail with the reason, leaving the file alone", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-iot-cli-"));
    const file = path.join(dir, "state.json");
    fs.writeFileSync(file, "{ not json");
    try {
      const error = await startCli(["--port", "0", "--persist", file]).then(
        async (r) => {
          await stop(r);
          return undefined;
        },
        (e: Error) => e,
      );
      expect(error?.message).toMatch(/exited with 1/);
      expect(error?.message).toContain("not valid JSON");
      expect(fs.readFileSync(file, "utf8")).toBe("{ not json");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a --persist file of a shape this version does not read ("jobs": "abc") makes the command fail, naming the file and the problem, and leaves it byte for byte', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-iot-cli-"));
    const file = path.join(dir, "state.json");
    try {
      // A file the endpoint wrote, with jobs in it; then one table of the wrong type.
      const local = await startLocalIoT({ persistPath: file });
      await iotClient(local).send(new CreateJobTemplateCommand({ jobTemplateId: "kept", description: "d", document: DOC }));
      await local.stop();
      fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, "utf8")), jobs: "abc" }));
      const before = fs.readFileSync(file);
      const error = await startCli(["--port", "0", "--persist", file]).then(
        async (r) => {
          await stop(r);
          return undefined;
        },
        (e: Error) => e,
      );
      expect(error?.message).toMatch(/exited with 1/);
      expect(error?.message).toContain(
        `The local IoT endpoint's data file ${file} is not in a shape this version reads (jobs: expected an array, got a string).`,
      );
      expect(error?.message).toContain("Nothing was read or written: the file is kept as it is.");
      expect(fs.readFileSync(file).equals(before)).toBe(true);
      // No lock, owner or temporary file left behind.
      expect(fs.readdirSync(dir)).toEqual(["state.json"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  test("a --persist file that is empty, holds null or an array makes the command fail saying so, and leaves it byte for byte", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-iot-cli-"));
    const file = path.join(dir, "state.json");
    try {
      for (const [bytes, says] of [
        ["", "is empty (0 bytes)"],
        ["null", "holds null, not the endpoint's data"],
        ["[]", "holds a JSON array, not the endpoint's data"],
      ] as const) {
        fs.writeFileSync(file, bytes);
        const error = await startCli(["--port", "0", "--persist", file]).then(
          async (r) => {
            await stop(r);
            return undefined;
          },
          (e: Error) => e,
        );
        expect(error?.message).toMatch(/exited with 1/);
        expect(error?.message).toContain(`The local IoT endpoint's data file ${file} ${says}`);
        expect(error?.message).toContain("Nothing was read or written: the file is kept as it is.");
        expect(error?.message).not.toContain("replaced");
        expect(fs.readFileSync(file, "utf8")).toBe(bytes);
        expect(fs.readdirSync(dir)).toEqual(["state.json"]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("restarted on its --persist file right after it was killed (SIGKILL), it takes the dead process's lock over within seconds and serves the data", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-iot-cli-"));
    const file = path.join(dir, "state.json");
    try {
      const first = await startCli(["--port", "0", "--quiet", "--persist", file]);
      await clientFor(first).send(new CreateJobTemplateCommand({ jobTemplateId: "kept", description: "d", document: DOC }));

      // While it runs, another one is refused at once, and told what is true of a holder of this machine.
      const refused = await startCli(["--port", "0", "--quiet", "--persist", file]).then(
        async (r) => {
          await stop(r);
          return undefined;
        },
        (e: Error) => e,
      );
      expect(refused?.message).toMatch(/exited with 1/);
      expect(refused?.message).toContain(`is locked by process ${first.child.pid} (`);
      expect(refused?.message).toContain(
        "Wait for that process to finish and run again. If it ends without releasing the lock, the lock is taken over 5 s after its last renewal;",
      );
      expect(refused?.message).not.toContain("30 s");

      first.child.kill("SIGKILL");
      expect((await first.exit).signal).toBe("SIGKILL");
      const killedAt = performance.now();
      const second = await startCli(["--port", "0", "--quiet", "--persist", file]);
      try {
        const tookMs = performance.now() - killedAt;
        expect(tookMs).toBeLessThan(15_000);
        expect(second.stderr()).toMatch(
          new RegExp(
            `Waiting for the local IoT endpoint's data file ${file.replace(/[.*+?^$()|[\]\\]/g, "\\$&")}: process ${first.child.pid} \\(.*\\), since \\S+ held it and no longer runs; ` +
              `its lock is taken over 5 s after its last renewal, in \\d s\\.`,
          ),
        );
        expect(second.stderr()).toMatch(
          new RegExp(
            `Took over the lock on the local IoT endpoint's data file .* from process ${first.child.pid} .*: its process no longer runs, and it was last renewed \\d+ s ago\\.`,
          ),
        );
        const t = await clientFor(second).send(new DescribeJobTemplateCommand({ jobTemplateId: "kept" }));
        expect(t.description).toBe("d");
      } finally {
        expect(await stop(second)).toBe(0);
      }
      expect(fs.readdirSync(dir)).toEqual(["state.json"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
