/**
 * The props of every resource kind as zod schemas, built from the rules of
 * constraints.ts with the helpers of validate.ts. Every problem is reported
 * with its path in one pass, before any call.
 */
import { isSecret, type Secret } from "alchemy";
import { z } from "zod";
import {
  ENUMS,
  LISTS,
  NUMBERS,
  RESERVED_TAG_PREFIX,
  GUIDE,
  STRINGS,
  SUBSTITUTION_PATTERN,
  checkNumber,
  checkString,
  utf8Length,
} from "./constraints.ts";
import { OWNERSHIP_TAG_PREFIX, OWNERSHIP_TAG_COUNT } from "./tags.ts";
import { isUnknown } from "./unknown.ts";
import { ALWAYS, num, oneOf, str, strict } from "./validate.ts";

// ------------------------------------------------------------------ shared shapes

/** `${aws:iot:...}` placeholder count and JSON-ness of a job document (string or object). */
export const documentSchema = z
  .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
  .superRefine((value, ctx) => {
    if (isUnknown(value)) return;
    let text: string;
    if (typeof value === "string") {
      try {
        JSON.parse(value);
      } catch (error) {
        // The parser's message quotes the text: it goes in `detail`, which is left out for a secret.
        ctx.addIssue({ code: "custom", message: "is not valid JSON; job documents are JSON", params: { detail: (error as Error).message } });
        return;
      }
      text = value;
    } else {
      text = JSON.stringify(value);
    }
    const bytes = utf8Length(text);
    if (bytes > STRINGS.document.max) {
      ctx.addIssue({ code: "custom", message: `is ${bytes} bytes; a job document is at most ${STRINGS.document.max} bytes (32 KB)` });
    }
    const patterns = text.match(SUBSTITUTION_PATTERN)?.length ?? 0;
    if (patterns > LISTS.substitutionsPerDocument.max) {
      ctx.addIssue({
        code: "custom",
        message: `has ${patterns} \${aws:iot:...} substitution patterns; at most ${LISTS.substitutionsPerDocument.max} are allowed`,
      });
    }
  });

/**
 * An S3 object URL: virtual-hosted (`https://<bucket>.s3.<region>.amazonaws.com/<key>`) or path style
 * (`https://s3.<region>.amazonaws.com/<bucket>/<key>`), as the API reference describes documentSource
 * ("an S3 link, or S3 object URL, to the job document").
 */
const S3_OBJECT_URL = /^https:\/\/(?:[a-z0-9][a-z0-9.-]*\.s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?\/\S+|s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?\/[a-z0-9][a-z0-9.-]*\/\S+)$/;

export const documentSourceSchema = str(STRINGS.documentSource).superRefine((value, ctx) => {
  if (isUnknown(value)) return;
  if (!S3_OBJECT_URL.test(value)) {
    ctx.addIssue({
      code: "custom",
      message: "must be the URL of an S3 object, e.g. https://<bucket>.s3.<region>.amazonaws.com/<key> or https://s3.<region>.amazonaws.com/<bucket>/<key>",
    });
  }
});

/** An IAM role ARN (arn:aws:iam::<account>:role/<path/name>): what presignedUrlConfig.roleArn and an assumed role take. */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const roleArnSchema = z.string().superRefine((value, ctx) => {
  if (isUnknown(value) || ROLE_ARN.test(value)) return;
  const broken = checkString(value, { max: STRINGS.roleArn.max });
  ctx.addIssue({ code: "custom", message: broken ?? "must be an IAM role ARN, e.g. arn:aws:iam::123456789012:role/iot-jobs-s3" });
});

export const presignedUrlConfigSchema = strict({
  roleArn: roleArnSchema.optional(),
  expiresInSec: num(NUMBERS.expiresInSec).optional(),
});

export const rolloutConfigSchema = strict(
  {
    maximumPerMinute: num(NUMBERS.maximumPerMinute).optional(),
    exponentialRate: strict({
      baseRatePerMinute: num(NUMBERS.baseRatePerMinute),
      incrementFactor: num(NUMBERS.incrementFactor),
      rateIncreaseCriteria: strict({
        numberOfNotifiedThings: num(NUMBERS.numberOfNotifiedThings).optional(),
        numberOfSucceededThings: num(NUMBERS.numberOfSucceededThings).optional(),
      }).superRefine((v, ctx) => {
        if (v.numberOfNotifiedThings === undefined && v.numberOfSucceededThings === undefined) {
          ctx.addIssue({ code: "custom", message: "set numberOfNotifiedThings or numberOfSucceededThings" });
        }
      }),
    }).optional(),
  },
  {
    minimumPerMinute:
      "there is no minimum rate; jobExecutionsRolloutConfig has maximumPerMinute (1-1000) and exponentialRate",
  },
);

export const abortConfigSchema = strict({
  criteriaList: z
    .array(
      strict({
        failureType: oneOf(ENUMS.abortFailureType),
        action: oneOf(ENUMS.abortAction),
        thresholdPercentage: num(NUMBERS.thresholdPercentage),
        minNumberOfExecutedThings: num(NUMBERS.minNumberOfExecutedThings),
      }),
    )
    .min(LISTS.abortCriteria.min, "must list at least one abort criterion")
    .superRefine((list, ctx) => {
      // The provider's rule (AWS documents none): two thresholds for one failure type leave it unclear which applies.
      const seen = new Set<string>();
      for (const c of list) {
        if (typeof c?.failureType !== "string") continue;
        if (seen.has(c.failureType)) ctx.addIssue({ code: "custom", message: `lists failureType ${c.failureType} more than once; give each failure type one threshold` });
        seen.add(c.failureType);
      }
    }),
});

export const timeoutConfigSchema = strict({
  inProgressTimeoutInMinutes: num(NUMBERS.inProgressTimeoutInMinutes).optional(),
});

export const retryConfigSchema = strict(
  {
    criteriaList: z
      .array(
        strict({
          failureType: oneOf(ENUMS.retryFailureType),
          numberOfRetries: num(NUMBERS.numberOfRetries),
        }),
      )
      .min(LISTS.retryCriteria.min, "must list at least one retry criterion")
      .max(LISTS.retryCriteria.max, `lists at most ${LISTS.retryCriteria.max} retry criteria`)
      .superRefine((list, ctx) => {
        const types = list.map((c) => c.failureType);
        if (new Set(types).size !== types.length) {
          ctx.addIssue({ code: "custom", message: "lists the same failureType more than once" });
        }
        if (types.includes("ALL") && types.length > 1) {
          ctx.addIssue({ code: "custom", message: "failureType ALL cannot be combined with other failure types" });
        }
        const counts = list.map((c) => c.numberOfRetries);
        const total = counts.reduce((n, c) => n + (typeof c === "number" ? c : 0), 0);
        // A count that is out of range on its own is already reported; the total only speaks for valid counts.
        const eachValid = counts.every((c) => typeof c === "number" && !checkNumber(c, NUMBERS.numberOfRetries));
        if (eachValid && total > LISTS.totalRetries.max) {
          ctx.addIssue({
            code: "custom",
            message: `asks for ${total} retries per device; at most ${LISTS.totalRetries.max} in total across failure types`,
          });
        }
      }),
  },
  {
    retryAttempts:
      "jobExecutionsRetryConfig takes criteriaList: [{ failureType: \"FAILED\" | \"TIMED_OUT\" | \"ALL\", numberOfRetries }]",
    RetryCriteriaList: "the IoT API calls it criteriaList",
  },
);

/** A cron expression with the six fields AWS uses (minutes hours day-of-month month day-of-week year), e.g. cron(0 2 ? * MON *). */
const CRON = /^cron\(\s*\S+(\s+\S+){5}\s*\)$/;
const cronSchema = str(STRINGS.maintenanceWindowStartTime).superRefine((value, ctx) => {
  if (isUnknown(value) || CRON.test(value)) return;
  ctx.addIssue({ code: "custom", message: "must be a cron expression with six fields, e.g. cron(0 2 ? * MON *) (minutes hours day-of-month month day-of-week year, UTC)" });
});

export const maintenanceWindowsSchema = z.array(
  strict(
    {
      startTime: cronSchema,
      durationInMinutes: num(NUMBERS.durationInMinutes),
    },
    {
      endTime: "a maintenance window has startTime (a cron expression) and durationInMinutes (1-1430), not endTime",
    },
  ),
);

export const destinationPackageVersionsSchema = z
  .array(str(STRINGS.destinationPackageVersion))
  .max(LISTS.destinationPackageVersions.max, `lists at most ${LISTS.destinationPackageVersions.max} package version ARNs`);

/** User tags; the provider adds its ownership tags on top, so they count against the 50-tag limit. */
export const MAX_USER_TAGS = LISTS.tagsPerResource.max - OWNERSHIP_TAG_COUNT;
export const tagsSchema = z.record(z.string(), z.string()).superRefine((tags, ctx) => {
  const keys = Object.keys(tags);
  if (keys.length > MAX_USER_TAGS) {
    ctx.addIssue({
      code: "custom",
      message: `has ${keys.length} tags; at most ${MAX_USER_TAGS} (IoT allows ${LISTS.tagsPerResource.max} per resource and ${OWNERSHIP_TAG_COUNT} are used by the provider's ownership tags)`,
    });
  }
  for (const [key, value] of Object.entries(tags)) {
    const keyProblem = checkString(key, STRINGS.tagKey);
    if (keyProblem) ctx.addIssue({ code: "custom", path: [key], message: `tag key ${keyProblem}` });
    else if (key.toLowerCase().startsWith(RESERVED_TAG_PREFIX)) {
      ctx.addIssue({ code: "custom", path: [key], message: `tag keys starting with "${RESERVED_TAG_PREFIX}" are reserved by AWS` });
    } else if (key.startsWith(OWNERSHIP_TAG_PREFIX)) {
      ctx.addIssue({ code: "custom", path: [key], message: `tag keys starting with "${OWNERSHIP_TAG_PREFIX}" are reserved for the provider's ownership tags` });
    }
    if (!isUnknown(value)) {
      const valueProblem = checkString(value, STRINGS.tagValue);
      if (valueProblem) ctx.addIssue({ code: "custom", path: [key], message: `tag value ${valueProblem}` });
    }
  }
});

const secretLike = z.custom<Secret<string>>((v) => isSecret(v) || typeof v === "string", {
  message: "must be an alchemy.secret(...) or a string",
});

/** The client settings every resource accepts (Alchemy's AwsClientProps plus endpoint/local). */
export const clientPropsShape = {
  region: str({ min: 1, max: 64, pattern: "[a-z0-9-]+", patternText: "a region name like us-east-1" }).optional(),
  profile: str({ min: 1 }).optional(),
  accessKeyId: secretLike.optional(),
  secretAccessKey: secretLike.optional(),
  sessionToken: secretLike.optional(),
  roleArn: roleArnSchema.optional(),
  externalId: str({ min: 2, max: 1224 }).optional(),
  roleSessionName: str({ min: 2, max: 64 }).optional(),
  endpoint: z
    .string()
    .superRefine((value, ctx) => {
      if (!/^https?:\/\/[^\s/]+/.test(value)) ctx.addIssue({ code: "custom", message: "must be an http(s) URL" });
    })
    .optional(),
  local: z.boolean().optional(),
};

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

/** JobTemplate props. */
export const jobTemplatePropsSchema = strict(
  {
    ...clientPropsShape,
    jobTemplateId: str(STRINGS.jobTemplateId).optional(),
    description: str(STRINGS.description),
    document: documentSchema.optional(),
    documentSource: documentSourceSchema.optional(),
    jobArn: z
      .union([jobArnSchema, z.object({ jobArn: jobArnSchema }).passthrough()])
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
}, ALWAYS);

/** An ARN of a thing or thing group (what CreateJob accepts as a target). */
const TARGET_ARN = /^arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:(thing|thinggroup)\/[a-zA-Z0-9:_-]{1,128}$/;

export const targetSchema = z
  .union([
    z.string(),
    z.object({ arn: z.string() }).passthrough(),
    z.object({ thingArn: z.string() }).passthrough(),
    z.object({ thingGroupArn: z.string() }).passthrough(),
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
  z.object({ templateArn: z.string() }).passthrough(),
  z.object({ jobTemplateArn: z.string() }).passthrough(),
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
export const jobPropsSchema = strict(
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
    documentParameters: z
      .record(z.string(), z.string())
      .superRefine((params, ctx) => {
        for (const [key, value] of Object.entries(params)) {
          const k = checkString(key, STRINGS.documentParameterKey);
          if (k) ctx.addIssue({ code: "custom", path: [key], message: `parameter name ${k}` });
          if (typeof value === "string" && !isUnknown(value)) {
            const v = checkString(value, STRINGS.documentParameterValue);
            if (v) ctx.addIssue({ code: "custom", path: [key], message: v });
          }
        }
      })
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
}, ALWAYS);

export const managedJobTemplatePropsSchema = strict(
  {
    ...clientPropsShape,
    templateName: str(STRINGS.managedTemplateName),
    templateVersion: str(STRINGS.templateVersion).optional(),
  },
  { name: "the prop is templateName", version: "the prop is templateVersion" },
);

const attributesSchema = z
  .record(z.string(), z.string())
  .superRefine((attrs, ctx) => {
    if (Object.keys(attrs).length > LISTS.attributes.max) {
      ctx.addIssue({ code: "custom", message: `has ${Object.keys(attrs).length} attributes; at most ${LISTS.attributes.max}` });
    }
    for (const [k, v] of Object.entries(attrs)) {
      const kp = checkString(k, STRINGS.attributeName);
      if (kp) ctx.addIssue({ code: "custom", path: [k], message: `attribute name ${kp}` });
      const vp = checkString(v, STRINGS.attributeValue);
      if (vp) ctx.addIssue({ code: "custom", path: [k], message: `attribute value ${vp}` });
    }
  });

export const thingGroupPropsSchema = strict({
  ...clientPropsShape,
  thingGroupName: str(STRINGS.thingGroupName).optional(),
  description: str(STRINGS.thingGroupDescription).optional(),
  attributes: attributesSchema.optional(),
  parentGroupName: str(STRINGS.thingGroupName).optional(),
  tags: tagsSchema.optional(),
  adopt: z.boolean().optional(),
});

export const thingPropsSchema = strict({
  ...clientPropsShape,
  thingName: str(STRINGS.thingName).optional(),
  attributes: attributesSchema.optional(),
  thingGroups: z
    .array(z.union([str(STRINGS.thingGroupName), z.object({ thingGroupName: z.string() }).passthrough()]))
    .max(GUIDE.thingGroupsPerThing.max, `lists at most ${GUIDE.thingGroupsPerThing.max} thing groups (IoT's limit per thing)`)
    .optional(),
  adopt: z.boolean().optional(),
});

