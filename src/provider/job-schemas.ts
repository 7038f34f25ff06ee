/**
 * The props of JobTemplate, Job and ManagedJobTemplate as zod schemas, from
 * the shared shapes of schemas.ts: rules between members (exactly one
 * document source, documentParameters only with a managed template, schedule
 * rules) are here.
 */
import { z } from "zod";
import {
  ENUMS,
  LISTS,
  STRINGS,
  checkString,
} from "../api/constraints.ts";
import { isUnknown } from "./unknown.ts";
import { ALWAYS, num, oneOf, reference, secretAllowed, str, strict, withSecretPolicy, type SecretPolicy } from "./validate.ts";
import {
  abortConfigSchema,
  clientPropsShape,
  destinationPackageVersionsSchema,
  documentSchema,
  documentSourceSchema,
  maintenanceWindowsSchema,
  presignedUrlConfigSchema,
  retryConfigSchema,
  rolloutConfigSchema,
  tagsSchema,
  timeoutConfigSchema,
} from "./schemas.ts";
// ------------------------------------------------------------------ resources

const PRESIGNED_PLACEHOLDER = "${aws:iot:s3-presigned-url:";

/** Exactly one of the given document sources; named in the message. */
function exactlyOne(value: Record<string, unknown>, members: readonly string[], ctx: z.RefinementCtx): void {
  const given = members.filter((m) => value[m] !== undefined);
  const names = `${members.slice(0, -1).join(", ")} or ${members[members.length - 1]}`;
  if (given.length === 0) {
    ctx.addIssue({ code: "custom", path: [members[0]], message: `is required: give exactly one of ${names}` });
  } else if (given.length > 1) {
    ctx.addIssue({
      code: "custom",
      path: [given[1]],
      message: `cannot be combined with ${given[0]}: give exactly one of ${names}`,
    });
  }
}

/** A document that uses presigned S3 URL placeholders needs presignedUrlConfig.roleArn. */
function presignedNeedsRole(value: Record<string, any>, ctx: z.RefinementCtx): void {
  const doc = value.document;
  const text = typeof doc === "string" ? doc : doc === undefined ? "" : JSON.stringify(doc);
  if (text.includes(PRESIGNED_PLACEHOLDER) && !value.presignedUrlConfig?.roleArn) {
    ctx.addIssue({
      code: "custom",
      path: ["presignedUrlConfig", "roleArn"],
      message: "is required: the document uses ${aws:iot:s3-presigned-url:...} placeholders, which IoT signs with this role",
    });
  }
}

/** A job's ARN (arn:aws:iot:<region>:<account>:job/<jobId>): what a template is copied from. */
const JOB_ARN = /^arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:job\/[a-zA-Z0-9_-]{1,64}$/;
const jobArnSchema = z.string().superRefine((value, ctx) => {
  if (isUnknown(value) || JOB_ARN.test(value)) return;
  ctx.addIssue({ code: "custom", message: "must be a job ARN (arn:aws:iot:<region>:<account>:job/<jobId>), or a Job" });
});

const COMMON_HINTS: Record<string, string> = {
  name: "the id prop is jobTemplateId (or jobId for a Job)",
  Tags: "tags is an object of key/value strings: tags: { team: \"fleet\" }",
};

/** Why a secret goes nowhere in a job or template but its document (and a managed template's parameters). */
const JOB_ADVICE = "pass a plain string; a value the devices need belongs in the job document (document: alchemy.secret(...))";
const names = (prop: string, noun: string) =>
  `${prop} names the ${noun}: it is part of its ARN, which IoT returns in clear, every plan and log prints and every device it reaches sees`;
const arns = (prop: string, describe: string) => `${prop} holds ARNs, which IoT stores in clear and returns to anyone who can call ${describe}`;

const JOB_TEMPLATE_SECRETS: SecretPolicy = {
  describe: "DescribeJobTemplate",
  advice: JOB_ADVICE,
  rules: {
    jobTemplateId: names("jobTemplateId", "job template"),
    jobArn: arns("jobArn", "DescribeJobTemplate"),
    destinationPackageVersions: arns("destinationPackageVersions", "DescribeJobTemplate"),
  },
};

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

/** JobTemplate props. */
export const jobTemplatePropsSchema = withSecretPolicy(strict(
  {
    ...clientPropsShape,
    jobTemplateId: str(STRINGS.jobTemplateId).optional(),
    description: str(STRINGS.description),
    document: documentSchema.optional(),
    documentSource: documentSourceSchema.optional(),
    jobArn: z
      .union([jobArnSchema, reference(z.object({ jobArn: jobArnSchema }).passthrough(), ["jobArn"])])
      .optional(),
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
}, ALWAYS), JOB_TEMPLATE_SECRETS);

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

/** `YYYY-MM-DDTHH:MM` (seconds and a zone are optional; no zone means UTC). */
const SCHEDULE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;
const scheduleTime = str(STRINGS.schedulingTime).superRefine((value, ctx) => {
  if (isUnknown(value)) return;
  if (!SCHEDULE_TIME.test(value) || Number.isNaN(Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`))) {
    ctx.addIssue({ code: "custom", message: "must be a date and time like 2027-01-31T22:00 (UTC unless a zone is given)" });
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
export const jobPropsSchema = withSecretPolicy(strict(
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
    documentParameters: secretAllowed(z
      .record(z.string(), secretAllowed(z.string()))
      .superRefine((params, ctx) => {
        for (const [key, value] of Object.entries(params)) {
          const k = checkString(key, STRINGS.documentParameterKey);
          if (k) ctx.addIssue({ code: "custom", path: [key], message: `parameter name ${k}` });
          if (typeof value === "string" && !isUnknown(value)) {
            const v = checkString(value, STRINGS.documentParameterValue);
            if (v) ctx.addIssue({ code: "custom", path: [key], message: v });
          }
        }
      }))
      .optional(),
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
      message: "cannot be used with a SNAPSHOT job: set targetSelection: \"CONTINUOUS\"",
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
      else ctx.addIssue({ code: "custom", path: ["targets", i], message: `is listed twice (also targets[${first}]); list each thing or thing group once` });
    });
  }
  if (v.schedulingConfig?.endBehavior !== undefined && v.schedulingConfig?.endTime === undefined) {
    // The model: "If endTime is not selected when creating the job, then endBehavior does not apply."
    ctx.addIssue({
      code: "custom",
      path: ["schedulingConfig", "endBehavior"],
      message: "does nothing without schedulingConfig.endTime (AWS applies it when the job reaches endTime): set endTime, or remove endBehavior",
    });
  }
  const start = v.schedulingConfig?.startTime;
  const end = v.schedulingConfig?.endTime;
  if (typeof start === "string" && typeof end === "string" && !isUnknown(start) && !isUnknown(end)) {
    const ms = (t: string) => Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(t) ? t : `${t}Z`);
    if (ms(end) - ms(start) < 30 * 60_000) {
      ctx.addIssue({ code: "custom", path: ["schedulingConfig", "endTime"], message: "must be at least 30 minutes after startTime" });
    }
  }
}, ALWAYS), JOB_SECRETS);

export const managedJobTemplatePropsSchema = withSecretPolicy(
  strict(
    {
      ...clientPropsShape,
      templateName: str(STRINGS.managedTemplateName),
      templateVersion: str(STRINGS.templateVersion).optional(),
    },
    { name: "the prop is templateName", version: "the prop is templateVersion" },
  ),
  {
    describe: "DescribeManagedJobTemplate",
    advice: "pass a plain string",
    rules: {
      templateName: "templateName names a public AWS managed template: it is sent in clear and printed in every plan",
      templateVersion: "templateVersion is sent in clear and printed in every plan",
    },
  },
);
