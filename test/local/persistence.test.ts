import {
  CancelJobCommand,
  CreateJobCommand,
  CreateJobTemplateCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteJobCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  DescribeJobTemplateCommand,
  DescribeThingGroupCommand,
  GetJobDocumentCommand,
  ListJobsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-iot";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
// The embedded endpoint is wired by the package's entry points (src/wiring.ts), as a program gets it.
import { wireProcess } from "../../src/wiring.ts";
import { embeddedLocalIoT, localDataFile, stopEmbeddedEndpoints } from "../../src/provider/location.ts";
import { PersistenceError, startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { DOC, createThings, expectError, iotClient } from "./helpers.ts";

wireProcess();

let dir: string;
let file: string;
const running: LocalIoT[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-iot-persist-"));
  file = path.join(dir, "state", "iot.json");
});
afterEach(async () => {
  for (const l of running.splice(0)) await l.stop();
  await stopEmbeddedEndpoints();
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
    await iot.send(
      new CreateJobCommand({ jobId: "kept-job", targets: [groupArn!], documentSource: "https://s3.amazonaws.com/b/doc.json" }),
    );
    await first.updateJobExecution({ thingName: "p1", jobId: "kept-job", status: "SUCCEEDED" });
    await stop(first);

    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toMatchObject({ format: "alchemy-iot-jobs/local-endpoint", version: 1 });
    // Region and account come from the file when not given.
    const second = await start();
    expect(second.region).toBe("eu-central-1");
    expect(second.accountId).toBe("210987654321");
    const again = iotClient(second);
    const t = await again.send(new DescribeJobTemplateCommand({ jobTemplateId: "kept" }));
    expect(t).toMatchObject({
      description: "kept",
      document: DOC,
      jobTemplateArn: "arn:aws:iot:eu-central-1:210987654321:jobtemplate/kept",
    });
    expect(t.createdAt).toBeInstanceOf(Date);
    expect((await again.send(new ListTagsForResourceCommand({ resourceArn: t.jobTemplateArn! }))).tags).toEqual([{ Key: "a", Value: "1" }]);
    const { job } = await again.send(new DescribeJobCommand({ jobId: "kept-job" }));
    expect(job).toMatchObject({
      status: "IN_PROGRESS",
      targets: [groupArn],
      jobProcessDetails: { numberOfSucceededThings: 1, numberOfQueuedThings: 1 },
    });
    // The S3 object itself is not persisted, but the job kept its copy of the document.
    expect((await again.send(new GetJobDocumentCommand({ jobId: "kept-job" }))).document).toBe(JSON.stringify({ from: "s3" }));
    expect((await again.send(new DescribeJobExecutionCommand({ thingName: "p2", jobId: "kept-job" }))).execution!.thingArn).toBe(
      thingArns[1],
    );
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
    await expectRefused(/ is not valid JSON \([^)]+ at position \d+\)\. Nothing was read or written: the file is kept as it is\./);
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

// ------------------------------------------------------------------ the data file's shape

const T0 = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;
const SMALL_STACK = `Resources:
  Group:
    Type: AWS::IoT::ThingGroup
    Properties:
      ThingGroupName: stack-group
  Template:
    Type: AWS::IoT::JobTemplate
    DeletionPolicy: Retain
    Metadata:
      Owner: !Ref Group
    Properties:
      JobTemplateId: stack-template
      Description: from a stack
      Document: '{"operation":"stack"}'
Outputs:
  GroupArn:
    Description: The group
    Value: !GetAtt Group.Arn
`;

/**
 * Writes, through the real endpoint and SDK, a data file that holds every kind
 * of record the endpoint persists: things (plain, with attributes, simulated),
 * groups (with a parent), templates (with maintenance windows, tags), 9 jobs
 * (rollouts in progress, retries, timeouts, a documentSource copy, a managed
 * template's documentParameters, scheduled, canceled, being deleted), their
 * executions, tags and a CloudFormation stack. Returns the virtual time reached.
 */
async function writeData(): Promise<number> {
  const l = await start({ region: "eu-west-1", virtualClock: T0, deletionDelayMs: 24 * 60 * MINUTE });
  const iot = iotClient(l);
  const { thingArns, groupArn } = await createThings(iot, ["r1", "r2"], "r-group");
  const r3 = await iot.send(new CreateThingCommand({ thingName: "r3", attributePayload: { attributes: { model: "t1" } } }));
  await iot.send(
    new CreateThingGroupCommand({
      thingGroupName: "r-child",
      parentGroupName: "r-group",
      thingGroupProperties: { thingGroupDescription: "child", attributePayload: { attributes: { site: "a" } } },
    }),
  );
  await l.addSimulatedDevices({
    thingGroupName: "fleet",
    count: 6,
    namePrefix: "sim-",
    behaviour: { failRate: 0.3, hangRate: 0.2, runMinutes: 2 },
    seed: 7,
  });
  await iot.send(
    new CreateJobTemplateCommand({
      jobTemplateId: "windows",
      description: "with windows",
      document: DOC,
      maintenanceWindows: [{ startTime: "cron(0 2 ? * MON *)", durationInMinutes: 60 }],
      abortConfig: { criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 50, minNumberOfExecutedThings: 1 }] },
      tags: [{ Key: "team", Value: "devices" }],
    }),
  );
  const plain = await iot.send(new CreateJobTemplateCommand({ jobTemplateId: "plain", description: "plain", document: DOC }));
  l.putS3Object("https://s3.amazonaws.com/b/doc.json", JSON.stringify({ from: "s3" }));
  const jobs: ConstructorParameters<typeof CreateJobCommand>[0][] = [
    { jobId: "job-1", targets: [thingArns[0]], document: DOC, tags: [{ Key: "k", Value: "v" }] },
    {
      jobId: "job-2",
      targets: [groupArn!],
      targetSelection: "CONTINUOUS",
      document: DOC,
      jobExecutionsRolloutConfig: {
        maximumPerMinute: 10,
        exponentialRate: { baseRatePerMinute: 1, incrementFactor: 2, rateIncreaseCriteria: { numberOfNotifiedThings: 1 } },
      },
      timeoutConfig: { inProgressTimeoutInMinutes: 5 },
      jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 2 }] },
    },
    { jobId: "job-3", targets: [r3.thingArn!], documentSource: "https://s3.amazonaws.com/b/doc.json" },
    {
      jobId: "job-4",
      targets: [r3.thingArn!],
      jobTemplateArn: "arn:aws:iot:eu-west-1::jobtemplate/AWS-Reboot:1.0",
      documentParameters: { runAsUser: "root" },
    },
    { jobId: "job-5", targets: [thingArns[1]], document: DOC, schedulingConfig: { startTime: "2030-01-02T00:00" } },
    { jobId: "job-6", targets: [thingArns[1]], jobTemplateArn: plain.jobTemplateArn },
    { jobId: "job-7", targets: [thingArns[0]], document: DOC, description: "to cancel" },
    { jobId: "job-8", targets: [thingArns[0]], document: DOC },
    {
      jobId: "job-9",
      targets: [l.world.arn("thinggroup/fleet")],
      document: DOC,
      timeoutConfig: { inProgressTimeoutInMinutes: 3 },
      jobExecutionsRetryConfig: {
        criteriaList: [
          { failureType: "TIMED_OUT", numberOfRetries: 1 },
          { failureType: "FAILED", numberOfRetries: 1 },
        ],
      },
    },
  ];
  for (const job of jobs) await iot.send(new CreateJobCommand(job));
  await l.updateJobExecution({ thingName: "r1", jobId: "job-1", status: "IN_PROGRESS", statusDetails: { step: "download" } });
  await iot.send(new CancelJobCommand({ jobId: "job-7", comment: "not needed", reasonCode: "OBSOLETE", force: true }));
  await iot.send(new DeleteJobCommand({ jobId: "job-8", force: true }));
  await l.createStack({ stackName: "small", template: SMALL_STACK, tags: { env: "test" } });
  l.advanceTime(4 * MINUTE);
  await stop(l);
  return T0 + 4 * MINUTE;
}

const readData = () => JSON.parse(fs.readFileSync(file, "utf8"));
const writeJson = (data: unknown) => fs.writeFileSync(file, JSON.stringify(data));
/** What the data file's folder holds besides the file: no lock, owner or temporary file. */
const leftovers = () => fs.readdirSync(path.dirname(file)).filter((f) => f !== path.basename(file));

/** Starts the endpoint on the file and expects it refused with a PersistenceError; checks the file is byte-identical. */
async function expectShapeRefused(start: () => Promise<unknown> = () => startLocalIoT({ persistPath: file })): Promise<string> {
  const before = fs.readFileSync(file);
  let error: unknown;
  try {
    const l = await start();
    if (l && typeof l === "object" && "stop" in l) running.push(l as LocalIoT);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PersistenceError);
  const message = (error as Error).message;
  expect(message).toContain(`The local IoT endpoint's data file ${file} is not in a shape this version reads (`);
  expect(message).toContain("Nothing was read or written: the file is kept as it is.");
  expect(fs.readFileSync(file).equals(before)).toBe(true);
  expect(leftovers()).toEqual([]);
  return message;
}

describe("a data file whose shape this version does not know stops start-up and is kept byte for byte", () => {
  test('issue 18 case 9: "jobs": "abc" is refused, names the file and the problem, and loses none of the 9 jobs', async () => {
    await writeData();
    const original = fs.readFileSync(file);
    const data = readData();
    expect(data.jobs).toHaveLength(9);
    writeJson({ ...data, jobs: "abc" });
    const message = await expectShapeRefused();
    expect(message).toContain("(jobs: expected an array, got a string)");
    // Started again and again: still refused, still untouched.
    await expectShapeRefused();
    // Once the file is repaired, every job is there.
    fs.writeFileSync(file, original);
    const l = await start();
    const { jobs } = await iotClient(l).send(new ListJobsCommand({}));
    expect(jobs!.map((j) => j.jobId).sort()).toEqual(["job-1", "job-2", "job-3", "job-4", "job-5", "job-6", "job-7", "job-8", "job-9"]);
  });

  const index = (list: Array<Record<string, unknown>>, key: string, value: string) => {
    const i = list.findIndex((r) => r[key] === value);
    expect(i).toBeGreaterThanOrEqual(0);
    return i;
  };
  // Each case breaks one thing deep inside a record of a file the endpoint wrote, and says what the message names.
  const cases: Array<[string, (data: any) => string]> = [
    [
      "a job status the endpoint does not know",
      (d) => {
        const i = index(d.jobs, "jobId", "job-3");
        d.jobs[i].status = "RUNNING";
        return `jobs[${i}].status: expected one of "IN_PROGRESS", "CANCELED", "COMPLETED", "DELETION_IN_PROGRESS", "SCHEDULED", got another string`;
      },
    ],
    [
      "a number as text deep in a rollout",
      (d) => {
        const i = index(d.jobs, "jobId", "job-2");
        d.jobs[i].rollout.progress.increases = "1";
        return `jobs[${i}].rollout.progress.increases: expected a number, got a string`;
      },
    ],
    [
      "a string where the rollout's thing list was",
      (d) => {
        const i = index(d.jobs, "jobId", "job-9");
        d.jobs[i].rollout.pending = "sim-00001";
        return `jobs[${i}].rollout.pending: expected an array, got a string`;
      },
    ],
    [
      "an execution's versionNumber as text",
      (d) => {
        d.executions[0].versionNumber = "1";
        return "executions[0].versionNumber: expected a number, got a string";
      },
    ],
    [
      "a number as a thing attribute",
      (d) => {
        const i = index(d.things, "thingName", "r3");
        d.things[i].attributes.model = 7;
        return `things[${i}].attributes.model: expected a string, got a number`;
      },
    ],
    [
      "a simulated device's rate as text",
      (d) => {
        const i = index(d.things, "thingName", "sim-00003");
        d.things[i].simulated.behaviour.failRate = "0.3";
        return `things[${i}].simulated.behaviour.failRate: expected a number, got a string`;
      },
    ],
    [
      "a group's members null",
      (d) => {
        const i = index(d.thingGroups, "thingGroupName", "r-group");
        d.thingGroups[i].members = null;
        return `thingGroups[${i}].members: expected an array, got null`;
      },
    ],
    [
      "a template's createdAt as a date string",
      (d) => {
        d.templates[0].createdAt = "2030-01-01";
        return "templates[0].createdAt: expected a number, got a string";
      },
    ],
    [
      "a tag set that is a list",
      (d) => {
        const arn = Object.keys(d.tags)[0];
        d.tags[arn] = ["team", "devices"];
        return `tags["${arn}"]: expected an object, got an array`;
      },
    ],
    [
      "a stack resource status the endpoint does not know",
      (d) => {
        d.stacks[0].resources[1].status = "DELETE_COMPLETE";
        return 'stacks[0].resources[1].status: expected one of "CREATE_COMPLETE", "UPDATE_COMPLETE", got another string';
      },
    ],
    [
      "a job without its ARN",
      (d) => {
        const i = index(d.jobs, "jobId", "job-5");
        delete d.jobs[i].jobArn;
        return `jobs[${i}].jobArn: expected a string, got nothing`;
      },
    ],
    [
      "a missing table",
      (d) => {
        delete d.things;
        return "things: expected an array, got nothing";
      },
    ],
    [
      "the account id as a number",
      (d) => {
        d.accountId = 123456789012;
        return "accountId: expected a string, got a number";
      },
    ],
    [
      "a table this version does not know",
      (d) => {
        d.widgets = [];
        return "widgets: not a member of this version's data file";
      },
    ],
    [
      "two jobs with the same id (one would be lost on the next write)",
      (d) => {
        const i = index(d.jobs, "jobId", "job-4");
        d.jobs.push(structuredClone(d.jobs[i]));
        return `jobs[9].jobId: "job-4" is already the id of jobs[${i}]`;
      },
    ],
    [
      "two executions with the same job, thing and number",
      (d) => {
        d.executions.push(structuredClone(d.executions[2]));
        const e = d.executions[2];
        return `executions[${d.executions.length - 1}]: execution ${e.executionNumber} of job ${e.jobId} on thing ${e.thingName} is already executions[2]`;
      },
    ],
  ];
  test.each(cases)("%s", async (_name, breakIt) => {
    await writeData();
    const data = readData();
    const problem = breakIt(data);
    writeJson(data);
    const message = await expectShapeRefused();
    expect(message).toContain(`(${problem})`);
  });

  test("the message names a few problems with their paths and never a value from the file (secrets included)", async () => {
    await writeData();
    const data = readData();
    const j4 = index(data.jobs, "jobId", "job-4");
    data.jobs[j4].documentParameters = { runAsUser: { password: "hunter2-TOP-SECRET" } };
    data.jobs[0].document = { apiKey: "TOP-SECRET-KEY" };
    data.jobs[1].targets = "TOP-SECRET-TARGET";
    data.executions[0].statusDetails = { token: 42 };
    data.region = ["TOP-SECRET-REGION"];
    writeJson(data);
    const message = await expectShapeRefused();
    expect(message).not.toContain("TOP-SECRET");
    expect(message).not.toContain("hunter2");
    expect(message).toContain("region: expected a string, got an array");
    expect(message).toContain("jobs[0].document: expected a string, got an object");
    expect(message).toContain("jobs[1].targets: expected an array, got a string");
    expect(message).toMatch(/and 2 more problems\)/);
    expect(message).toMatch(/Restore it from a backup, or move it away to start with empty data\.$/);
  });

  test("the embedded endpoint of deploys refuses it too, and a preview reading it", async () => {
    const dotAlchemy = path.join(dir, ".alchemy");
    file = localDataFile(dotAlchemy);
    await writeData();
    writeJson({ ...readData(), jobs: "abc" });
    const message = await expectShapeRefused(() => embeddedLocalIoT(dotAlchemy));
    expect(message).toContain("(jobs: expected an array, got a string)");
    await expectShapeRefused(() => startLocalIoT({ persistPath: file, lock: false }));
  });
});

describe("every data file the current code writes still loads", () => {
  test("round trip: a file with every kind of record loads and is written back unchanged", async () => {
    const reached = await writeData();
    const before = readData();
    const l = await start({ virtualClock: reached });
    const iot = iotClient(l);
    expect((await iot.send(new ListJobsCommand({}))).jobs).toHaveLength(9);
    expect((await iot.send(new DescribeJobCommand({ jobId: "job-8" }))).job!.status).toBe("DELETION_IN_PROGRESS");
    expect((await iot.send(new GetJobDocumentCommand({ jobId: "job-3" }))).document).toBe(JSON.stringify({ from: "s3" }));
    expect(l.listStacks()).toEqual(["small"]);
    await stop(l);
    expect(readData()).toEqual(before);
  });

  test("a file of an earlier version (no instanceId, sourceDocument, rollout, timeouts or simulated devices) loads", async () => {
    await writeData();
    const data = readData();
    delete data.instanceId;
    for (const j of data.jobs) {
      delete j.sourceDocument;
      delete j.rollout;
    }
    for (const e of data.executions) {
      delete e.timeoutAtMs;
      delete e.deviceDueAtMs;
    }
    for (const t of data.things) delete t.simulated;
    writeJson(data);
    const l = await start();
    expect((await iotClient(l).send(new ListJobsCommand({}))).jobs).toHaveLength(9);
  });

  test("a member a record does not know is kept, not dropped, when the file is written again", async () => {
    const reached = await writeData();
    const data = readData();
    data.jobs[0].addedByANewerRelease = { keep: ["me"] };
    writeJson(data);
    const l = await start({ virtualClock: reached });
    await iotClient(l).send(new CreateJobTemplateCommand({ jobTemplateId: "after", description: "d", document: DOC }));
    await stop(l);
    expect(readData().jobs[0].addedByANewerRelease).toEqual({ keep: ["me"] });
  });
});
