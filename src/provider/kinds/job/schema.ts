/**
 * Job's props as a zod schema, from the shared shapes of schemas.ts, and the
 * job-only pieces: targets and the ARN each designates, schedulingConfig, the
 * template reference (and whether it is an AWS managed template), deletion,
 * and the rules between members (exactly one document source,
 * documentParameters only with a managed template, schedule rules).
 */
import { z } from "zod";
import { ENUMS, LISTS, STRINGS, checkString } from "../../../api/constraints.ts";
import { parseScheduleTime } from "../../../api/schedule-time.ts";
import { isUnknown } from "../../unknown.ts";
import { ALWAYS, num, oneOf, reference, secretAllowed, str, strict, withSecretPolicy, type SecretPolicy } from "../../validate.ts";
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

const JOB_SECRETS: SecretPolicy = {
  describe: "DescribeJob",
  advice: JOB_ADVICE,
  rules: {
    jobId: names("jobId", "job"),
    targets: arns("targets", "DescribeJob"),
    jobTemplate: arns("jobTemplate", "DescribeJob"),
    jobTemplateArn: arns("jobTemplateArn", "DescribeJob"),
    destinationPackageVersions: arns("destinationPackageVersions", "DescribeJob"),
  },
};

/** An ARN of a thing or thing group (what CreateJob accepts as a target). */
const TARGET_ARN = /^arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:(thing|thinggroup)\/[a-zA-Z0-9:_-]{1,128}$/;

/** The members of a Thing or ThingGroup (or any object) given as a target that say which it is; its other props are not sent. */
const TARGET_KEYS = ["arn", "thingArn", "thingGroupArn"];

export const targetSchema = z
  .union([
    z.string(),
    reference(z.object({ arn: z.string() }).passthrough(), TARGET_KEYS),
    reference(z.object({ thingArn: z.string() }).passthrough(), TARGET_KEYS),
    reference(z.object({ thingGroupArn: z.string() }).passthrough(), TARGET_KEYS),
  ])
  .superRefine((value, ctx) => {
    const arn = targetArn(value);
    if (arn === undefined || isUnknown(arn)) return;
    const broken = checkString(arn, STRINGS.targetArn);
    if (broken) ctx.addIssue({ code: "custom", message: broken });
    else if (!TARGET_ARN.test(arn)) {
      ctx.addIssue({
        code: "custom",
        message: "must be a thing or thing group ARN (arn:aws:iot:<region>:<account>:thing/<name> or .../thinggroup/<name>)",
      });
    }
  });

/** The ARN a target designates. */
export function targetArn(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  const t = target as { arn?: string; thingArn?: string; thingGroupArn?: string } | null;
  return t?.arn ?? t?.thingArn ?? t?.thingGroupArn;
}

/** `YYYY-MM-DDTHH:MM` (seconds and a zone are optional; no zone means UTC), a date and time that exist. */
const scheduleTime = str(STRINGS.schedulingTime).superRefine((value, ctx) => {
  if (isUnknown(value)) return;
  if (parseScheduleTime(value) === undefined) {
    ctx.addIssue({
      code: "custom",
      message: "must be a date and time that exist, like 2027-01-31T22:00 (UTC unless a zone is given; hours 00-23)",
    });
  }
});

export const schedulingConfigSchema = strict({
  startTime: scheduleTime.optional(),
  endTime: scheduleTime.optional(),
  endBehavior: oneOf(ENUMS.jobEndBehavior).optional(),
  maintenanceWindows: maintenanceWindowsSchema.optional(),
});

/** A managed template (the lookup's result), a JobTemplate (or any object with its ARN), or an ARN. */
export const jobTemplateRefSchema = z.union([
  str(STRINGS.jobTemplateArn),
  // A ManagedJobTemplate lookup (its parameter definitions are read to check documentParameters; none is a secret).
  reference(z.object({ templateArn: z.string() }).passthrough(), ["templateArn", "documentParameters", "templateName", "templateVersion"]),
  // A JobTemplate: only its ARN is used.
  reference(z.object({ jobTemplateArn: z.string() }).passthrough(), ["jobTemplateArn"]),
]);

/** Is this template reference an AWS managed template (its ARN has no account)? */
export function isManagedTemplateArn(arn: string): boolean {
  return /^arn:aws[a-z-]*:iot:[a-z0-9-]*::jobtemplate\/[^/]+$/.test(arn);
}

export function templateRefArn(ref: unknown): string | undefined {
  if (typeof ref === "string") return ref;
  const r = ref as { templateArn?: string; jobTemplateArn?: string } | null;
  return r?.templateArn ?? r?.jobTemplateArn;
}

export const deletionSchema = strict({
  force: z.boolean().optional(),
  timeoutSeconds: num({ min: 1, max: 86_400, integer: true }).optional(),
});

/** Job props. Checks against the managed template's parameters live in `checkDocumentParameters`. */
export const jobPropsSchema = withSecretPolicy(
  strict(
    {
      ...clientPropsShape,
      jobId: str(STRINGS.jobId).optional(),
      targets: z
        .array(targetSchema)
        .min(LISTS.targets.min, "must list at least one thing or thing group")
        .max(LISTS.targets.max, `lists at most ${LISTS.targets.max} targets`),
      document: documentSchema.optional(),
      documentSource: documentSourceSchema.optional(),
      jobTemplate: jobTemplateRefSchema.optional(),
      jobTemplateArn: str(STRINGS.jobTemplateArn).optional(),
      // Secrets are accepted in documentParameters (each value, or the whole map): IoT puts them in the
      // managed template's document, which it delivers to the devices.
      documentParameters: secretAllowed(
        z.record(z.string(), secretAllowed(z.string())).superRefine((params, ctx) => {
          for (const [key, value] of Object.entries(params)) {
            const k = checkString(key, STRINGS.documentParameterKey);
            if (k) ctx.addIssue({ code: "custom", path: [key], message: `parameter name ${k}` });
            if (typeof value === "string" && !isUnknown(value)) {
              const v = checkString(value, STRINGS.documentParameterValue);
              if (v) ctx.addIssue({ code: "custom", path: [key], message: v });
            }
          }
        }),
      ).optional(),
      description: str(STRINGS.description).optional(),
      presignedUrlConfig: presignedUrlConfigSchema.optional(),
      targetSelection: oneOf(ENUMS.targetSelection).optional(),
      jobExecutionsRolloutConfig: rolloutConfigSchema.optional(),
      abortConfig: abortConfigSchema.optional(),
      timeoutConfig: timeoutConfigSchema.optional(),
      jobExecutionsRetryConfig: retryConfigSchema.optional(),
      schedulingConfig: schedulingConfigSchema.optional(),
      namespaceId: str(STRINGS.namespaceId).optional(),
      destinationPackageVersions: destinationPackageVersionsSchema.optional(),
      tags: tagsSchema.optional(),
      deletion: deletionSchema.optional(),
      adopt: z.boolean().optional(),
      overrideCloudFormationStack: z.boolean().optional(),
    },
    {
      ...COMMON_HINTS,
      maintenanceWindows: "a job's maintenance windows go in schedulingConfig.maintenanceWindows",
      target: "the prop is targets (a list)",
      templateArn: "use jobTemplate (a ManagedJobTemplate, a JobTemplate or an ARN) or jobTemplateArn",
      parameters: "the prop is documentParameters",
      force: "put it in deletion: { force: true }",
    },
  ).superRefine((value, ctx) => {
    if (!value || typeof value !== "object") return;
    const v = value as Record<string, any>;
    exactlyOne(v, ["document", "documentSource", "jobTemplate", "jobTemplateArn"], ctx);
    presignedNeedsRole(v, ctx);
    const ref = v.jobTemplate ?? v.jobTemplateArn;
    const arn = templateRefArn(ref);
    if (v.documentParameters !== undefined) {
      if (arn === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["documentParameters"],
          message: "need jobTemplate to be an AWS managed template (ManagedJobTemplate); documentParameters fill its placeholders",
        });
      } else if (!isUnknown(arn) && !isManagedTemplateArn(arn)) {
        ctx.addIssue({
          code: "custom",
          path: ["documentParameters"],
          message: `are only supported with AWS managed templates, and ${arn} is a custom template (a managed template ARN has no account: arn:aws:iot:<region>::jobtemplate/<name>:<version>)`,
        });
      }
    }
    const windows = v.schedulingConfig?.maintenanceWindows;
    if (Array.isArray(windows) && windows.length > 0 && (v.targetSelection ?? "SNAPSHOT") === "SNAPSHOT") {
      ctx.addIssue({
        code: "custom",
        path: ["schedulingConfig", "maintenanceWindows"],
        message: 'cannot be used with a SNAPSHOT job: set targetSelection: "CONTINUOUS"',
      });
    }
    if (Array.isArray(v.targets)) {
      // AWS sends one execution per thing: a target listed twice is a mistake, not a second rollout.
      const seen = new Map<string, number>();
      v.targets.forEach((t: unknown, i: number) => {
        const arn = targetArn(t);
        if (typeof arn !== "string" || isUnknown(arn)) return;
        const first = seen.get(arn);
        if (first === undefined) seen.set(arn, i);
        else
          ctx.addIssue({
            code: "custom",
            path: ["targets", i],
            message: `is listed twice (also targets[${first}]); list each thing or thing group once`,
          });
      });
    }
    if (v.schedulingConfig?.endBehavior !== undefined && v.schedulingConfig?.endTime === undefined) {
      // The model: "If endTime is not selected when creating the job, then endBehavior does not apply."
      ctx.addIssue({
        code: "custom",
        path: ["schedulingConfig", "endBehavior"],
        message:
          "does nothing without schedulingConfig.endTime (AWS applies it when the job reaches endTime): set endTime, or remove endBehavior",
      });
    }
    const start = v.schedulingConfig?.startTime;
    const end = v.schedulingConfig?.endTime;
    if (typeof start === "string" && typeof end === "string" && !isUnknown(start) && !isUnknown(end)) {
      const [startMs, endMs] = [parseScheduleTime(start), parseScheduleTime(end)];
      if (startMs !== undefined && endMs !== undefined && endMs - startMs < 30 * 60_000) {
        ctx.addIssue({ code: "custom", path: ["schedulingConfig", "endTime"], message: "must be at least 30 minutes after startTime" });
      }
    }
  }, ALWAYS),
  JOB_SECRETS,
);
