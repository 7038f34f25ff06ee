import {
  CreateJobCommand,
  CreateJobTemplateCommand,
  DeleteJobCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  DescribeJobTemplateCommand,
  DescribeThingGroupCommand,
  GetJobDocumentCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-iot";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { PersistenceError, startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { DOC, createThings, expectError, iotClient } from "./helpers.ts";

let dir: string;
let file: string;
const running: LocalIoT[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-iot-persist-"));
  file = path.join(dir, "state", "iot.json");
});
afterEach(async () => {
  for (const l of running.splice(0)) await l.stop();
  fs.chmodSync(dir, 0o700);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startLocalIoT>[0] = {}): Promise<LocalIoT> {
  const l = await startLocalIoT({ persistPath: file, ...options });
  running.push(l);
  return l;
}
async function stop(l: LocalIoT): Promise<void> {
  running.splice(running.indexOf(l), 1);
  await l.stop();
}
const tmpFiles = () => fs.readdirSync(path.dirname(file)).filter((f) => f.endsWith(".tmp"));

describe("data survives a restart", () => {
  test("templates, jobs, executions, documents, things, groups and tags come back", async () => {
    const first = await start({ region: "eu-central-1", accountId: "210987654321" });
    const iot = iotClient(first);
    const { thingArns, groupArn } = await createThings(iot, ["p1", "p2"], "p-group");
    await iot.send(
      new CreateJobTemplateCommand({ jobTemplateId: "kept", description: "kept", document: DOC, tags: [{ Key: "a", Value: "1" }] }),
    );
    first.putS3Object("https://s3.amazonaws.com/b/doc.json", JSON.stringify({ from: "s3" }));
    await iot.send(new CreateJobCommand({ jobId: "kept-job", targets: [groupArn!], documentSource: "https://s3.amazonaws.com/b/doc.json" }));
    await first.updateJobExecution({ thingName: "p1", jobId: "kept-job", status: "SUCCEEDED" });
    await stop(first);

    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toMatchObject({ format: "alchemy-iot-jobs/local-endpoint", version: 1 });
    // Region and account come from the file when not given.
    const second = await start();
    expect(second.region).toBe("eu-central-1");
    expect(second.accountId).toBe("210987654321");
    const again = iotClient(second);
    const t = await again.send(new DescribeJobTemplateCommand({ jobTemplateId: "kept" }));
    expect(t).toMatchObject({ description: "kept", document: DOC, jobTemplateArn: "arn:aws:iot:eu-central-1:210987654321:jobtemplate/kept" });
    expect(t.createdAt).toBeInstanceOf(Date);
    expect((await again.send(new ListTagsForResourceCommand({ resourceArn: t.jobTemplateArn! }))).tags).toEqual([{ Key: "a", Value: "1" }]);
    const { job } = await again.send(new DescribeJobCommand({ jobId: "kept-job" }));
    expect(job).toMatchObject({ status: "IN_PROGRESS", targets: [groupArn], jobProcessDetails: { numberOfSucceededThings: 1, numberOfQueuedThings: 1 } });
    // The S3 object itself is not persisted, but the job kept its copy of the document.
    expect((await again.send(new GetJobDocumentCommand({ jobId: "kept-job" }))).document).toBe(JSON.stringify({ from: "s3" }));
    expect((await again.send(new DescribeJobExecutionCommand({ thingName: "p2", jobId: "kept-job" }))).execution!.thingArn).toBe(thingArns[1]);
    expect((await again.send(new DescribeThingGroupCommand({ thingGroupName: "p-group" }))).thingGroupArn).toBe(groupArn);
    // New records continue the sequence: a new template lists before the old one.
    await again.send(new CreateJobTemplateCommand({ jobTemplateId: "newer", description: "d", document: DOC }));
    expect(second.world.tables.templates.get("newer")!.seq).toBeGreaterThan(second.world.tables.templates.get("kept")!.seq);
  });

  test("a deletion in progress completes after the restart", async () => {
    const first = await start({ deletionDelayMs: 60_000 });
    const iot = iotClient(first);
    const { thingArns } = await createThings(iot, ["d1"]);
    await iot.send(new CreateJobCommand({ jobId: "dying", targets: thingArns, document: DOC }));
    await iot.send(new DeleteJobCommand({ jobId: "dying", force: true }));
    await stop(first);
    const second = await start();
    const again = iotClient(second);
    expect((await again.send(new DescribeJobCommand({ jobId: "dying" }))).job!.status).toBe("DELETION_IN_PROGRESS");
    second.advanceTime(60_000);
    await expectError(again.send(new DescribeJobCommand({ jobId: "dying" })), ResourceNotFoundException, 404, "dying");
  });

  test("writes are atomic: many concurrent mutations leave one valid file and no .tmp files", async () => {
    const l = await start();
    const iot = iotClient(l);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        iot.send(new CreateJobTemplateCommand({ jobTemplateId: `c${i}`, description: "d", document: DOC })),
      ),
    );
    // Every acknowledged mutation is already on disk (group commit), before stop().
    const onDisk = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(onDisk.templates).toHaveLength(40);
    expect(tmpFiles()).toEqual([]);
    await stop(l);
    expect(tmpFiles()).toEqual([]);
  });
});

describe("a file the endpoint cannot use stops start-up and is left byte-identical", () => {
  async function expectRefused(fragment: RegExp): Promise<PersistenceError> {
    const before = fs.statSync(file).isFile() ? fs.readFileSync(file) : undefined;
    let error: unknown;
    try {
      running.push(await startLocalIoT({ persistPath: file }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PersistenceError);
    expect((error as Error).name).toBe("PersistenceError");
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(fragment);
    if (before) expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(tmpFiles()).toEqual([]);
    return error as PersistenceError;
  }

  test("a corrupt (truncated) file", async () => {
    const l = await start();
    await iotClient(l).send(new CreateJobTemplateCommand({ jobTemplateId: "x", description: "d", document: DOC }));
    await stop(l);
    const full = fs.readFileSync(file);
    fs.writeFileSync(file, full.subarray(0, full.length - 7));
    await expectRefused(/not valid JSON.*left untouched/s);
  });

  test("a JSON file that is not an endpoint state file", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ name: "some-package", version: "1.0.0" }, null, 2));
    await expectRefused(/not a local IoT endpoint state file/);
  });

  test("a state file of another version", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ format: "alchemy-iot-jobs/local-endpoint", version: 99 }));
    await expectRefused(/version 99/);
  });

  test("an unreadable path (a directory)", async () => {
    fs.mkdirSync(file, { recursive: true });
    await expectRefused(/Cannot read/);
    expect(fs.statSync(file).isDirectory()).toBe(true);
  });

  test.skipIf(process.getuid?.() === 0)("an unreadable file (no read permission)", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ format: "alchemy-iot-jobs/local-endpoint", version: 1 }));
    fs.chmodSync(file, 0o000);
    try {
      await expectRefused(/Cannot read/);
    } finally {
      fs.chmodSync(file, 0o600);
    }
  });

  test("a file of another region or account than asked for", async () => {
    const l = await start({ region: "us-west-2" });
    await stop(l);
    const before = fs.readFileSync(file);
    await expect(startLocalIoT({ persistPath: file, region: "eu-west-1" })).rejects.toThrow(/us-west-2.*eu-west-1/s);
    await expect(startLocalIoT({ persistPath: file, accountId: "000000000000" })).rejects.toBeInstanceOf(PersistenceError);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });
});
