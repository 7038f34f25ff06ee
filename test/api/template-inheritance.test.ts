/**
 * The one rule of what a job takes from a job template of the account
 * (src/api/template-inheritance.ts), which the local endpoint's CreateJob and
 * the preview's device impact both apply.
 */
import { describe, expect, it } from "vitest";
import { inheritTemplate, leftToTemplate } from "../../src/api/template-inheritance.ts";

const template = {
  document: '{"op":"template"}',
  presignedUrlConfig: { expiresInSec: 600 },
  jobExecutionsRolloutConfig: { maximumPerMinute: 5 },
  abortConfig: { criteriaList: [] },
  timeoutConfig: { inProgressTimeoutInMinutes: 30 },
  jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 1 }] },
  maintenanceWindows: [{ startTime: "cron(0 2 ? * SUN *)", durationInMinutes: 60 }],
  destinationPackageVersions: ["arn:aws:iot:us-east-1:123456789012:package/p/version/1"],
};

describe("template inheritance", () => {
  it("gives a job that sets nothing every member of the template, the windows in its schedulingConfig", () => {
    expect(leftToTemplate({})).toEqual([
      "document",
      "presignedUrlConfig",
      "jobExecutionsRolloutConfig",
      "abortConfig",
      "timeoutConfig",
      "jobExecutionsRetryConfig",
      "maintenanceWindows",
      "destinationPackageVersions",
    ]);
    const { maintenanceWindows, ...rest } = template;
    expect(inheritTemplate({}, template)).toEqual({ ...rest, documentSource: undefined, schedulingConfig: { maintenanceWindows } });
  });

  it("keeps what the job gives, and takes the document only as a pair", () => {
    const job = {
      documentSource: "s3://b/doc.json",
      jobExecutionsRolloutConfig: { maximumPerMinute: 50 },
      schedulingConfig: { startTime: "2030-01-01T00:00" },
    };
    const out = inheritTemplate(job, template);
    expect(out.document).toBeUndefined();
    expect(out.documentSource).toBe("s3://b/doc.json");
    expect(out.jobExecutionsRolloutConfig).toEqual({ maximumPerMinute: 50 });
    expect(out.abortConfig).toEqual(template.abortConfig);
    expect(out.schedulingConfig).toEqual({ startTime: "2030-01-01T00:00", maintenanceWindows: template.maintenanceWindows });
  });

  it("leaves the job's windows alone when it gives some, or when the template has none", () => {
    const own = { schedulingConfig: { maintenanceWindows: [{ startTime: "cron(0 3 * * ? *)", durationInMinutes: 30 }] } };
    expect(leftToTemplate(own)).not.toContain("maintenanceWindows");
    expect(inheritTemplate(own, template).schedulingConfig).toEqual(own.schedulingConfig);
    expect(inheritTemplate({}, { ...template, maintenanceWindows: [] }).schedulingConfig).toBeUndefined();
  });
});
