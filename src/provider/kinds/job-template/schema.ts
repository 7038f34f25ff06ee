/**
 * JobTemplate's props as a zod schema, from the shared shapes of schemas.ts:
 * exactly one document source (document, documentSource or jobArn), and the
 * secret policy of a template's members.
 */
import { z } from "zod";
import { STRINGS } from "../../../api/constraints.ts";
import { isUnknown } from "../../unknown.ts";
import { ALWAYS, reference, str, strict, withSecretPolicy, type SecretPolicy } from "../../validate.ts";
import {
  COMMON_HINTS,
  JOB_ADVICE,
  abortConfigSchema,
  arns,
  clientPropsShape,
  documentSchema,
  documentSourceSchema,
  exactlyOne,
  maintenanceWindowsSchema,
  names,
  presignedNeedsRole,
  presignedUrlConfigSchema,
  retryConfigSchema,
  rolloutConfigSchema,
  tagsSchema,
  timeoutConfigSchema,
} from "../../schemas.ts";
import { destinationPackageVersionsSchema } from "../package-versions.ts";

/** A job's ARN (arn:aws:iot:<region>:<account>:job/<jobId>): what a template is copied from. */
const JOB_ARN = /^arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:job\/[a-zA-Z0-9_-]{1,64}$/;
const jobArnSchema = z.string().superRefine((value, ctx) => {
  if (isUnknown(value) || JOB_ARN.test(value)) return;
  ctx.addIssue({ code: "custom", message: "must be a job ARN (arn:aws:iot:<region>:<account>:job/<jobId>), or a Job" });
});

const JOB_TEMPLATE_SECRETS: SecretPolicy = {
  describe: "DescribeJobTemplate",
  advice: JOB_ADVICE,
  rules: {
    jobTemplateId: names("jobTemplateId", "job template"),
    jobArn: arns("jobArn", "DescribeJobTemplate"),
    destinationPackageVersions: arns("destinationPackageVersions", "DescribeJobTemplate"),
  },
};

/** JobTemplate props. */
export const jobTemplatePropsSchema = withSecretPolicy(
  strict(
    {
      ...clientPropsShape,
      jobTemplateId: str(STRINGS.jobTemplateId).optional(),
      description: str(STRINGS.description),
      document: documentSchema.optional(),
      documentSource: documentSourceSchema.optional(),
      jobArn: z.union([jobArnSchema, reference(z.object({ jobArn: jobArnSchema }).passthrough(), ["jobArn"])]).optional(),
      presignedUrlConfig: presignedUrlConfigSchema.optional(),
      jobExecutionsRolloutConfig: rolloutConfigSchema.optional(),
      abortConfig: abortConfigSchema.optional(),
      timeoutConfig: timeoutConfigSchema.optional(),
      jobExecutionsRetryConfig: retryConfigSchema.optional(),
      maintenanceWindows: maintenanceWindowsSchema.optional(),
      destinationPackageVersions: destinationPackageVersionsSchema.optional(),
      tags: tagsSchema.optional(),
      adopt: z.boolean().optional(),
      overrideCloudFormationStack: z.boolean().optional(),
    },
    {
      ...COMMON_HINTS,
      documentParameters:
        "documentParameters belong to a Job created from an AWS managed template (ManagedJobTemplate); a job template cannot have them",
      targets: "a job template has no targets; create a Job from it (jobTemplate: template)",
      targetSelection: "targetSelection is set on the Job created from the template",
      schedulingConfig: "a job template takes maintenanceWindows directly; schedulingConfig belongs to a Job",
      jobTemplateArn: "to copy a job use jobArn; a template is not created from another template",
    },
  ).superRefine((value, ctx) => {
    if (!value || typeof value !== "object") return;
    exactlyOne(value as Record<string, unknown>, ["document", "documentSource", "jobArn"], ctx);
    presignedNeedsRole(value as Record<string, any>, ctx);
  }, ALWAYS),
  JOB_TEMPLATE_SECRETS,
);
