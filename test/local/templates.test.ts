import {
  ConflictException,
  CreateJobCommand,
  CreateJobTemplateCommand,
  DeleteJobTemplateCommand,
  DescribeJobCommand,
  DescribeJobTemplateCommand,
  GetJobDocumentCommand,
  InvalidRequestException,
  ListJobTemplatesCommand,
  ResourceNotFoundException,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { DOC, createThings, expectError, iotClient, packageVersions, rawRequest } from "./helpers.ts";

let local: LocalIoT;
let iot: IoTClient;
let thingArn: string;
beforeAll(async () => {
  local = await startLocalIoT({ port: 0 });
  iot = iotClient(local);
  thingArn = (await createThings(iot, ["tpl-thing"])).thingArns[0];
  // The package version FULL installs (a template may name a DRAFT version; its jobs may not).
  await packageVersions(iot, "pkg", ["1.0.0"]);
});
afterAll(() => local.stop());

const FULL = {
  description: "Every member a template can carry",
  document: DOC,
  presignedUrlConfig: { roleArn: "arn:aws:iam::123456789012:role/presign", expiresInSec: 600 },
  jobExecutionsRolloutConfig: {
    maximumPerMinute: 50,
    exponentialRate: { baseRatePerMinute: 5, incrementFactor: 2.5, rateIncreaseCriteria: { numberOfNotifiedThings: 10 } },
  },
  abortConfig: {
    criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 25.5, minNumberOfExecutedThings: 4 }],
  },
  timeoutConfig: { inProgressTimeoutInMinutes: 120 },
  jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 3 }] },
  maintenanceWindows: [{ startTime: "cron(0 2 ? * MON *)", durationInMinutes: 60 }],
  destinationPackageVersions: ["arn:aws:iot:us-east-1:123456789012:package/pkg/version/1.0.0"],
} as const;

describe("CreateJobTemplate / DescribeJobTemplate", () => {
  test("creates a template and describes every member back, with createdAt as a Date", async () => {
    const before = Date.now();
    const created = await iot.send(new CreateJobTemplateCommand({ jobTemplateId: "full", ...FULL } as any));
    expect(created).toMatchObject({
      jobTemplateId: "full",
      jobTemplateArn: "arn:aws:iot:us-east-1:123456789012:jobtemplate/full",
    });
    expect(created.$metadata.httpStatusCode).toBe(200);

    const described = await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "full" }));
    expect(described).toMatchObject({ jobTemplateId: "full", jobTemplateArn: created.jobTemplateArn, ...FULL });
    expect(described.documentSource).toBeUndefined();
    expect(described.createdAt).toBeInstanceOf(Date);
    // Epoch seconds on the wire: milliseconds would parse as a date tens of thousands of years ahead.
    expect(described.createdAt!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(described.createdAt!.getFullYear()).toBeLessThan(3000);
  });

  test("sends timestamps as epoch seconds (a JSON number) on the wire", async () => {
    const raw = await rawRequest(local, { method: "GET", path: "/job-templates/full" });
    expect(raw.status).toBe(200);
    expect(raw.headers.get("content-type")).toBe("application/json");
    expect(typeof raw.json.createdAt).toBe("number");
    expect(Math.abs(raw.json.createdAt - Date.now() / 1000)).toBeLessThan(24 * 3600);
  });

  test("a template with documentSource keeps the S3 URL", async () => {
    await iot.send(
      new CreateJobTemplateCommand({
        jobTemplateId: "from-s3",
        description: "document in S3",
        documentSource: "https://s3.amazonaws.com/bucket/doc.json",
      }),
    );
    const d = await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "from-s3" }));
    expect(d.documentSource).toBe("https://s3.amazonaws.com/bucket/doc.json");
    expect(d.document).toBeUndefined();
  });

  test("a duplicate id is a 409 ConflictException naming the template", async () => {
    await iot.send(new CreateJobTemplateCommand({ jobTemplateId: "dup", description: "d", document: DOC }));
    const e = await expectError(
      iot.send(new CreateJobTemplateCommand({ jobTemplateId: "dup", description: "d", document: DOC })),
      ConflictException,
      409,
      "Job Template dup already exists",
    );
    expect(e.resourceId).toBe("dup");
  });

  test("both document and documentSource is a 400", async () => {
    await expectError(
      iot.send(
        new CreateJobTemplateCommand({
          jobTemplateId: "both",
          description: "d",
          document: DOC,
          documentSource: "https://s3.amazonaws.com/b/k",
        }),
      ),
      InvalidRequestException,
      400,
      "document",
      "documentSource",
    );
  });

  test("neither document, documentSource nor jobArn is a 400", async () => {
    await expectError(
      iot.send(new CreateJobTemplateCommand({ jobTemplateId: "neither", description: "d" })),
      InvalidRequestException,
      400,
      "document",
    );
  });

  test("description is required", async () => {
    await expectError(
      iot.send(new CreateJobTemplateCommand({ jobTemplateId: "nodesc", document: DOC } as any)),
      InvalidRequestException,
      400,
      "'description'",
      "must not be null",
    );
  });

  test("describing an unknown template is a 404 naming it", async () => {
    await expectError(
      iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "missing" })),
      ResourceNotFoundException,
      404,
      "Job Template missing cannot be found",
    );
  });
});

describe("CreateJobTemplate from a job (jobArn)", () => {
  test("copies the job's document and configuration; request members win", async () => {
    await iot.send(
      new CreateJobCommand({
        jobId: "source-job",
        targets: [thingArn],
        document: JSON.stringify({ from: "job" }),
        timeoutConfig: { inProgressTimeoutInMinutes: 30 },
        abortConfig: FULL.abortConfig as any,
      }),
    );
    const jobArn = (await iot.send(new DescribeJobCommand({ jobId: "source-job" }))).job!.jobArn!;
    await iot.send(new CreateJobTemplateCommand({ jobTemplateId: "copy", description: "copy", jobArn }));
    const copy = await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "copy" }));
    expect(copy.document).toBe(JSON.stringify({ from: "job" }));
    expect(copy.timeoutConfig).toEqual({ inProgressTimeoutInMinutes: 30 });
    expect(copy.abortConfig).toEqual(FULL.abortConfig);

    await iot.send(
      new CreateJobTemplateCommand({
        jobTemplateId: "copy-override",
        description: "copy",
        jobArn,
        document: JSON.stringify({ from: "request" }),
        timeoutConfig: { inProgressTimeoutInMinutes: 5 },
      }),
    );
    const override = await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "copy-override" }));
    expect(override.document).toBe(JSON.stringify({ from: "request" }));
    expect(override.timeoutConfig).toEqual({ inProgressTimeoutInMinutes: 5 });
    expect(override.abortConfig).toEqual(FULL.abortConfig);
  });

  test("a jobArn of a missing job is a 404", async () => {
    await expectError(
      iot.send(
        new CreateJobTemplateCommand({
          jobTemplateId: "copy-missing",
          description: "d",
          jobArn: "arn:aws:iot:us-east-1:123456789012:job/nope",
        }),
      ),
      ResourceNotFoundException,
      404,
      "Job nope cannot be found",
    );
  });
});

describe("jobs created from a custom template", () => {
  test("inherit the template's document and configs; request members replace them; description is not inherited", async () => {
    const { jobTemplateArn } = await iot.send(
      new CreateJobTemplateCommand({
        jobTemplateId: "base",
        description: "template description",
        document: JSON.stringify({ v: 1 }),
        timeoutConfig: { inProgressTimeoutInMinutes: 60 },
        jobExecutionsRetryConfig: { criteriaList: [{ failureType: "ALL", numberOfRetries: 2 }] },
      }),
    );
    await iot.send(new CreateJobCommand({ jobId: "from-template", targets: [thingArn], jobTemplateArn }));
    const { job } = await iot.send(new DescribeJobCommand({ jobId: "from-template" }));
    expect(job).toMatchObject({
      jobTemplateArn,
      timeoutConfig: { inProgressTimeoutInMinutes: 60 },
      jobExecutionsRetryConfig: { criteriaList: [{ failureType: "ALL", numberOfRetries: 2 }] },
    });
    expect(job!.description).toBeUndefined();
    const doc = await iot.send(new GetJobDocumentCommand({ jobId: "from-template" }));
    expect(doc.document).toBe(JSON.stringify({ v: 1 }));

    await iot.send(
      new CreateJobCommand({
        jobId: "from-template-override",
        targets: [thingArn],
        jobTemplateArn,
        document: JSON.stringify({ v: 2 }),
        timeoutConfig: { inProgressTimeoutInMinutes: 7 },
      }),
    );
    const over = await iot.send(new DescribeJobCommand({ jobId: "from-template-override" }));
    expect(over.job!.timeoutConfig).toEqual({ inProgressTimeoutInMinutes: 7 });
    expect((await iot.send(new GetJobDocumentCommand({ jobId: "from-template-override" }))).document).toBe(JSON.stringify({ v: 2 }));
  });

  test("deleting the template leaves its jobs alone; new jobs from it are a 404", async () => {
    const { jobTemplateArn } = await iot.send(
      new CreateJobTemplateCommand({ jobTemplateId: "short-lived", description: "d", document: DOC }),
    );
    await iot.send(new CreateJobCommand({ jobId: "outlives-template", targets: [thingArn], jobTemplateArn }));
    await iot.send(new DeleteJobTemplateCommand({ jobTemplateId: "short-lived" }));
    const { job } = await iot.send(new DescribeJobCommand({ jobId: "outlives-template" }));
    expect(job!.jobTemplateArn).toBe(jobTemplateArn);
    await expectError(
      iot.send(new CreateJobCommand({ jobId: "too-late", targets: [thingArn], jobTemplateArn })),
      ResourceNotFoundException,
      404,
      "Job Template short-lived cannot be found",
    );
  });
});

describe("ListJobTemplates / DeleteJobTemplate", () => {
  test("lists summaries newest first", async () => {
    const out = await iot.send(new ListJobTemplatesCommand({}));
    const ids = out.jobTemplates!.map((t) => t.jobTemplateId);
    expect(ids.indexOf("base")).toBeLessThan(ids.indexOf("full"));
    const full = out.jobTemplates!.find((t) => t.jobTemplateId === "full")!;
    expect(Object.keys(full).sort()).toEqual(["createdAt", "description", "jobTemplateArn", "jobTemplateId"]);
    expect(full.createdAt).toBeInstanceOf(Date);
  });

  test("deletes with an empty 200 response; the id is then free again and a second delete is a 404", async () => {
    await iot.send(new CreateJobTemplateCommand({ jobTemplateId: "gone", description: "d", document: DOC }));
    const raw = await rawRequest(local, { method: "DELETE", path: "/job-templates/gone" });
    expect(raw.status).toBe(200);
    expect(raw.text).toBe("");
    await expectError(iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "gone" })), ResourceNotFoundException, 404, "gone");
    await expectError(
      iot.send(new DeleteJobTemplateCommand({ jobTemplateId: "gone" })),
      ResourceNotFoundException,
      404,
      "Job Template gone cannot be found",
    );
    await iot.send(new CreateJobTemplateCommand({ jobTemplateId: "gone", description: "again", document: DOC }));
    const again = await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "gone" }));
    expect(again.description).toBe("again");
  });

  test("an id that is not valid is a 400 on every template operation", async () => {
    await expectError(
      iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "bad id!" })),
      InvalidRequestException,
      400,
      "jobTemplateId",
    );
    await expectError(
      iot.send(new DeleteJobTemplateCommand({ jobTemplateId: "x".repeat(65) })),
      InvalidRequestException,
      400,
      "jobTemplateId",
      "64",
    );
  });
});
