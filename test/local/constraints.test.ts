/**
 * Every constraint family of the fact sheet (§3), table-driven: each row is a
 * request that breaks exactly one rule, and must come back as a 400
 * InvalidRequestException whose message names the offending member. A second
 * table sends values exactly at the limits, which must be accepted.
 */
import {
  CancelJobCommand,
  CreateJobCommand,
  CreateJobTemplateCommand,
  InvalidRequestException,
  type CreateJobCommandInput,
  type CreateJobTemplateCommandInput,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { DOC, createThings, expectError, iotClient, packageVersions } from "./helpers.ts";

let local: LocalIoT;
let iot: IoTClient;
let thing: string;
let seq = 0;
beforeAll(async () => {
  local = await startLocalIoT({ port: 0 });
  iot = iotClient(local);
  thing = (await createThings(iot, ["c-thing"])).thingArns[0];
});
afterAll(() => local.stop());

/** Loosely typed on purpose: rows send values the SDK types forbid. */
const template = (extra: Record<string, any>) =>
  iot.send(
    new CreateJobTemplateCommand({
      jobTemplateId: `t${++seq}`,
      description: "d",
      document: DOC,
      ...extra,
    } as CreateJobTemplateCommandInput),
  );
const job = (extra: Record<string, any>) =>
  iot.send(new CreateJobCommand({ jobId: `j${++seq}`, targets: [thing], document: DOC, ...extra } as CreateJobCommandInput));

const criterion = { failureType: "FAILED", action: "CANCEL", thresholdPercentage: 50, minNumberOfExecutedThings: 1 };
const rate = { baseRatePerMinute: 10, incrementFactor: 2, rateIncreaseCriteria: { numberOfNotifiedThings: 5 } };
const padDoc = (bytes: number) => JSON.stringify({ a: "x".repeat(bytes - 8) });
const placeholders = (n: number) => JSON.stringify({ args: Array.from({ length: n }, (_, i) => `\${aws:iot:parameter:p${i}}`) });

type Row = [name: string, send: () => Promise<unknown>, ...fragments: string[]];

const invalidRows: Row[] = [
  // Identifiers: pattern and length.
  [
    "jobTemplateId with a space",
    () => iot.send(new CreateJobTemplateCommand({ jobTemplateId: "a b", description: "d", document: DOC })),
    "jobTemplateId",
    "pattern",
  ],
  [
    "jobTemplateId of 65 characters",
    () => iot.send(new CreateJobTemplateCommand({ jobTemplateId: "a".repeat(65), description: "d", document: DOC })),
    "jobTemplateId",
    "64",
  ],
  ["jobId with a dot", () => iot.send(new CreateJobCommand({ jobId: "a.b", targets: [thing], document: DOC })), "jobId", "pattern"],
  [
    "jobId of 65 characters",
    () => iot.send(new CreateJobCommand({ jobId: "j".repeat(65), targets: [thing], document: DOC })),
    "jobId",
    "64",
  ],
  ["jobTemplateArn that is not an ARN", () => job({ jobTemplateArn: "not-an-arn" }), "jobTemplateArn", "pattern"],
  ["namespaceId with a slash", () => job({ namespaceId: "a/b" }), "namespaceId"],
  [
    "a target ARN over 2048 characters",
    () => job({ targets: [`arn:aws:iot:us-east-1:123456789012:thing/${"t".repeat(2048)}`] }),
    "targets.1",
    "2048",
  ],
  ["101 targets", () => job({ targets: Array(101).fill(thing) }), "targets", "100"],
  // Sizes of descriptions and documents.
  ["template description of 2029 characters", () => template({ description: "d".repeat(2029) }), "description", "2028"],
  ["job description with a control character", () => job({ description: "line\u0007bell" }), "description", "pattern"],
  ["document of 32769 bytes", () => template({ document: padDoc(32769) }), "document", "32768"],
  ["document of 32768 bytes counted in UTF-8", () => template({ document: JSON.stringify({ a: "é".repeat(16381) }) }), "document", "bytes"],
  ["document that is not JSON", () => job({ document: "{not json" }), "document", "JSON"],
  ["document with 11 substitution patterns", () => job({ document: placeholders(11) }), "document", "11 substitution patterns", "10"],
  [
    "documentSource of 1351 characters",
    () => template({ document: undefined, documentSource: `https://s3.amazonaws.com/b/${"k".repeat(1324)}` }),
    "documentSource",
    "1350",
  ],
  // Mutually exclusive / required members.
  ["job with document and documentSource", () => job({ documentSource: "https://s3.amazonaws.com/b/k" }), "document", "documentSource"],
  ["job with neither document, documentSource nor template", () => job({ document: undefined }), "document"],
  ["job without targets", () => iot.send(new CreateJobCommand({ jobId: "no-targets", document: DOC } as any)), "'targets'", "null"],
  ["template without description", () => template({ description: undefined }), "'description'", "null"],
  [
    "exponentialRate without incrementFactor",
    () => template({ jobExecutionsRolloutConfig: { exponentialRate: { ...rate, incrementFactor: undefined } } }),
    "exponentialRate.incrementFactor",
    "null",
  ],
  [
    "exponentialRate without rateIncreaseCriteria",
    () => template({ jobExecutionsRolloutConfig: { exponentialRate: { ...rate, rateIncreaseCriteria: undefined } } }),
    "rateIncreaseCriteria",
  ],
  [
    "rateIncreaseCriteria with neither member",
    () => template({ jobExecutionsRolloutConfig: { exponentialRate: { ...rate, rateIncreaseCriteria: {} } } }),
    "rateIncreaseCriteria",
    "numberOfNotifiedThings",
  ],
  [
    "abort criterion without minNumberOfExecutedThings",
    () => template({ abortConfig: { criteriaList: [{ ...criterion, minNumberOfExecutedThings: undefined }] } }),
    "minNumberOfExecutedThings",
    "null",
  ],
  ["abortConfig with an empty criteriaList", () => template({ abortConfig: { criteriaList: [] } }), "abortConfig.criteriaList"],
  [
    "retry criterion without numberOfRetries",
    () => template({ jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED" }] } }),
    "numberOfRetries",
    "null",
  ],
  [
    "maintenance window without durationInMinutes",
    () => template({ maintenanceWindows: [{ startTime: "cron(0 2 ? * MON *)" }] }),
    "durationInMinutes",
    "null",
  ],
  ["maintenance window without startTime", () => template({ maintenanceWindows: [{ durationInMinutes: 30 }] }), "startTime", "null"],
  // Numeric ranges.
  [
    "expiresInSec 59",
    () => template({ presignedUrlConfig: { roleArn: "arn:aws:iam::123456789012:role/r", expiresInSec: 59 } }),
    "presignedUrlConfig.expiresInSec",
    "60",
  ],
  ["expiresInSec 3601", () => template({ presignedUrlConfig: { expiresInSec: 3601 } }), "expiresInSec", "3600"],
  ["roleArn shorter than 20", () => template({ presignedUrlConfig: { roleArn: "arn:aws:iam::1:r" } }), "presignedUrlConfig.roleArn", "20"],
  ["maximumPerMinute 0", () => template({ jobExecutionsRolloutConfig: { maximumPerMinute: 0 } }), "maximumPerMinute", "1"],
  ["maximumPerMinute 1001", () => job({ jobExecutionsRolloutConfig: { maximumPerMinute: 1001 } }), "maximumPerMinute", "1000"],
  [
    "baseRatePerMinute 1001",
    () => template({ jobExecutionsRolloutConfig: { exponentialRate: { ...rate, baseRatePerMinute: 1001 } } }),
    "baseRatePerMinute",
    "1000",
  ],
  [
    "incrementFactor 1.0",
    () => template({ jobExecutionsRolloutConfig: { exponentialRate: { ...rate, incrementFactor: 1 } } }),
    "incrementFactor",
    "1.1",
  ],
  [
    "incrementFactor 5.5",
    () => template({ jobExecutionsRolloutConfig: { exponentialRate: { ...rate, incrementFactor: 5.5 } } }),
    "incrementFactor",
    "5",
  ],
  [
    "incrementFactor with two decimals",
    () => template({ jobExecutionsRolloutConfig: { exponentialRate: { ...rate, incrementFactor: 1.25 } } }),
    "incrementFactor",
    "decimal",
  ],
  [
    "numberOfNotifiedThings 0",
    () => template({ jobExecutionsRolloutConfig: { exponentialRate: { ...rate, rateIncreaseCriteria: { numberOfNotifiedThings: 0 } } } }),
    "numberOfNotifiedThings",
  ],
  [
    "thresholdPercentage 100.5",
    () => template({ abortConfig: { criteriaList: [{ ...criterion, thresholdPercentage: 100.5 }] } }),
    "thresholdPercentage",
    "100",
  ],
  [
    "thresholdPercentage with three decimals",
    () => template({ abortConfig: { criteriaList: [{ ...criterion, thresholdPercentage: 12.345 }] } }),
    "thresholdPercentage",
    "decimal",
  ],
  [
    "minNumberOfExecutedThings 0",
    () => job({ abortConfig: { criteriaList: [{ ...criterion, minNumberOfExecutedThings: 0 }] } }),
    "minNumberOfExecutedThings",
    "1",
  ],
  ["inProgressTimeoutInMinutes 0", () => template({ timeoutConfig: { inProgressTimeoutInMinutes: 0 } }), "inProgressTimeoutInMinutes", "1"],
  [
    "inProgressTimeoutInMinutes 10081",
    () => job({ timeoutConfig: { inProgressTimeoutInMinutes: 10081 } }),
    "inProgressTimeoutInMinutes",
    "10080",
  ],
  [
    "numberOfRetries 11",
    () => template({ jobExecutionsRetryConfig: { criteriaList: [{ failureType: "ALL", numberOfRetries: 11 }] } }),
    "numberOfRetries",
    "10",
  ],
  [
    "retries totalling 11 across failure types",
    () =>
      template({
        jobExecutionsRetryConfig: {
          criteriaList: [
            { failureType: "FAILED", numberOfRetries: 6 },
            { failureType: "TIMED_OUT", numberOfRetries: 5 },
          ],
        },
      }),
    "jobExecutionsRetryConfig.criteriaList",
    "11",
  ],
  [
    "three retry criteria",
    () =>
      template({
        jobExecutionsRetryConfig: {
          criteriaList: [
            { failureType: "FAILED", numberOfRetries: 1 },
            { failureType: "TIMED_OUT", numberOfRetries: 1 },
            { failureType: "ALL", numberOfRetries: 1 },
          ],
        },
      }),
    "jobExecutionsRetryConfig.criteriaList",
    "2",
  ],
  [
    "retry ALL combined with FAILED",
    () =>
      template({
        jobExecutionsRetryConfig: {
          criteriaList: [
            { failureType: "ALL", numberOfRetries: 1 },
            { failureType: "FAILED", numberOfRetries: 1 },
          ],
        },
      }),
    "ALL",
  ],
  [
    "durationInMinutes 1431",
    () => template({ maintenanceWindows: [{ startTime: "cron(0 2 ? * MON *)", durationInMinutes: 1431 }] }),
    "durationInMinutes",
    "1430",
  ],
  [
    "maintenance window startTime of 257 characters",
    () => template({ maintenanceWindows: [{ startTime: "c".repeat(257), durationInMinutes: 30 }] }),
    "startTime",
    "256",
  ],
  // Enums.
  ["targetSelection BATCH", () => job({ targetSelection: "BATCH" as any }), "targetSelection", "CONTINUOUS, SNAPSHOT"],
  [
    "abort failureType SUCCEEDED",
    () => template({ abortConfig: { criteriaList: [{ ...criterion, failureType: "SUCCEEDED" }] } }),
    "failureType",
    "ALL",
  ],
  ["abort action RETRY", () => template({ abortConfig: { criteriaList: [{ ...criterion, action: "RETRY" }] } }), "action", "CANCEL"],
  [
    "retry failureType REJECTED",
    () => template({ jobExecutionsRetryConfig: { criteriaList: [{ failureType: "REJECTED", numberOfRetries: 1 }] } }),
    "failureType",
    "TIMED_OUT",
  ],
  [
    "endBehavior STOP",
    () => job({ targetSelection: "CONTINUOUS", schedulingConfig: { endBehavior: "STOP" as any } }),
    "endBehavior",
    "FORCE_CANCEL",
  ],
  // Cross-member rules.
  [
    "maintenance windows on a SNAPSHOT job",
    () => job({ schedulingConfig: { maintenanceWindows: [{ startTime: "cron(0 2 ? * MON *)", durationInMinutes: 60 }] } }),
    "MaintenanceWindow",
    "SNAPSHOT",
  ],
  ["documentParameters without a managed template", () => job({ documentParameters: { a: "b" } }), "documentParameters"],
  ["51 tags on a template", () => template({ tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" })) }), "tags", "50"],
  ["a tag key with the reserved aws: prefix", () => job({ tags: [{ Key: "aws:created-by", Value: "me" }] }), "aws:created-by", "reserved"],
  [
    "26 destinationPackageVersions",
    () =>
      job({
        destinationPackageVersions: Array.from({ length: 26 }, (_, i) => `arn:aws:iot:us-east-1:123456789012:package/p/version/${i}`),
      }),
    "destinationPackageVersions",
    "25",
  ],
  [
    "a destinationPackageVersion that is not an ARN",
    () => template({ destinationPackageVersions: ["pkg-1.0"] }),
    "destinationPackageVersions.1",
  ],
  // Wrong JSON types.
  [
    "maximumPerMinute as a string",
    () => template({ jobExecutionsRolloutConfig: { maximumPerMinute: "10" as any } }),
    "maximumPerMinute",
    "number",
  ],
];

describe("requests breaking one constraint are a 400 naming the member", () => {
  test.each(invalidRows)("%s", async (_name, send, ...fragments) => {
    await expectError(send(), InvalidRequestException, 400, ...fragments);
  });

  test("CancelJob reasonCode and comment", async () => {
    await job({ jobId: "to-cancel" });
    await expectError(
      iot.send(new CancelJobCommand({ jobId: "to-cancel", reasonCode: "R".repeat(129) })),
      InvalidRequestException,
      400,
      "reasonCode",
      "128",
    );
    await expectError(
      iot.send(new CancelJobCommand({ jobId: "to-cancel", comment: "c".repeat(2029) })),
      InvalidRequestException,
      400,
      "comment",
      "2028",
    );
  });

  test("nothing was created by any refused request", async () => {
    // Only the jobs and templates of the accepted rows exist; every refused id is unknown.
    expect(local.world.tables.templates.size + local.world.tables.jobs.size).toBe(1);
  });
});

const validRows: Row[] = [
  [
    "jobTemplateId of 64 characters",
    () => iot.send(new CreateJobTemplateCommand({ jobTemplateId: "a".repeat(64), description: "d", document: DOC })),
  ],
  ["description of 2028 characters", () => template({ description: "d".repeat(2028) })],
  ["document of 32768 bytes", () => template({ document: padDoc(32768) })],
  ["document with 10 substitution patterns", () => template({ document: placeholders(10) })],
  [
    "documentSource of 1350 characters",
    () => template({ document: undefined, documentSource: `https://s3.amazonaws.com/b/${"k".repeat(1323)}` }),
  ],
  ["100 targets (duplicates collapse)", () => job({ targets: Array(100).fill(thing) })],
  [
    "expiresInSec 60 and 3600",
    () => template({ presignedUrlConfig: { expiresInSec: 60 } }).then(() => template({ presignedUrlConfig: { expiresInSec: 3600 } })),
  ],
  ["maximumPerMinute 1000", () => template({ jobExecutionsRolloutConfig: { maximumPerMinute: 1000 } })],
  [
    "incrementFactor 1.1 and 5",
    () =>
      template({ jobExecutionsRolloutConfig: { exponentialRate: { ...rate, incrementFactor: 1.1 } } }).then(() =>
        template({ jobExecutionsRolloutConfig: { exponentialRate: { ...rate, incrementFactor: 5 } } }),
      ),
  ],
  [
    "thresholdPercentage 100 and 12.34",
    () =>
      template({
        abortConfig: {
          criteriaList: [
            { ...criterion, thresholdPercentage: 100 },
            { ...criterion, thresholdPercentage: 12.34 },
          ],
        },
      }),
  ],
  [
    "inProgressTimeoutInMinutes 1 and 10080",
    () =>
      template({ timeoutConfig: { inProgressTimeoutInMinutes: 1 } }).then(() =>
        template({ timeoutConfig: { inProgressTimeoutInMinutes: 10080 } }),
      ),
  ],
  [
    "retries totalling exactly 10",
    () =>
      template({
        jobExecutionsRetryConfig: {
          criteriaList: [
            { failureType: "FAILED", numberOfRetries: 5 },
            { failureType: "TIMED_OUT", numberOfRetries: 5 },
          ],
        },
      }),
  ],
  ["retry count 0", () => template({ jobExecutionsRetryConfig: { criteriaList: [{ failureType: "ALL", numberOfRetries: 0 }] } })],
  ["durationInMinutes 1430", () => template({ maintenanceWindows: [{ startTime: "cron(0 2 ? * MON *)", durationInMinutes: 1430 }] })],
  [
    "50 tags, key of 128 and value of 256 characters",
    () =>
      template({
        tags: [{ Key: "k".repeat(128), Value: "v".repeat(256) }, ...Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: "" }))],
      }),
  ],
  [
    "25 destinationPackageVersions",
    () =>
      job({
        destinationPackageVersions: Array.from({ length: 25 }, (_, i) => `arn:aws:iot:us-east-1:123456789012:package/p/version/${i}`),
      }),
  ],
  [
    "reasonCode of upper case, digits and underscores",
    () => job({}).then((j: any) => iot.send(new CancelJobCommand({ jobId: j.jobId, reasonCode: "ROLLBACK_2", comment: "ok" }))),
  ],
];

describe("values exactly at the limits are accepted", () => {
  beforeAll(async () => {
    // Drop what the invalid table created, so ids stay unique whatever the order.
    seq = 1000;
    // A job can install only versions that exist and are published.
    await packageVersions(
      iot,
      "p",
      Array.from({ length: 25 }, (_, i) => String(i)),
    );
  });
  test.each(validRows)("%s", async (_name, send) => {
    const out: any = await send();
    expect(out.$metadata.httpStatusCode).toBe(200);
  });
});
