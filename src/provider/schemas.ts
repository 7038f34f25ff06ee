/**
 * The shapes resource props share, as zod schemas built from the rules of
 * constraints.ts with the helpers of validate.ts: documents, the job
 * configurations, tags and the client settings, and what more than one
 * kind's props use (the rules between document members, hints, the advice of
 * the secret policies, thing attributes). Each kind's props are in its
 * folder's schema.ts (kinds/<kind>/schema.ts). Every problem is reported with
 * its path in one pass, before any call.
 */
import { z } from "zod";
import {
  ENUMS,
  LISTS,
  NUMBERS,
  RESERVED_TAG_PREFIX,
  STRINGS,
  SUBSTITUTION_PATTERN,
  checkNumber,
  checkString,
  utf8Length,
} from "../api/constraints.ts";
import { cronProblem } from "../api/rollout.ts";
import { OWNERSHIP_TAG_PREFIX, OWNERSHIP_TAG_COUNT } from "./tags.ts";
import { notJson } from "./json-value.ts";
import { isUnknown } from "./unknown.ts";
import { num, oneOf, secretAllowed, str, strict } from "./validate.ts";

// ------------------------------------------------------------------ shared shapes

/** `${aws:iot:...}` placeholder count and JSON-ness of a job document (string or object). */
const documentRules = z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).superRefine((value, ctx) => {
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
    const found = notJson(value);
    if (found) {
      ctx.addIssue({ code: "custom", path: found.path, message: found.reason });
      return;
    }
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
 * A job document. A secret is accepted here, whole or anywhere inside: IoT
 * delivers the document to the devices, which is where a secret they need goes.
 */
export const documentSchema = secretAllowed(documentRules, { deep: true });

/**
 * An S3 object URL: virtual-hosted (`https://<bucket>.s3.<region>.amazonaws.com/<key>`) or path style
 * (`https://s3.<region>.amazonaws.com/<bucket>/<key>`), as the API reference describes documentSource
 * ("an S3 link, or S3 object URL, to the job document").
 */
const S3_OBJECT_URL =
  /^https:\/\/(?:[a-z0-9][a-z0-9.-]*\.s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?\/\S+|s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?\/[a-z0-9][a-z0-9.-]*\/\S+)$/;

export const documentSourceSchema = str(STRINGS.documentSource).superRefine((value, ctx) => {
  if (isUnknown(value)) return;
  if (!S3_OBJECT_URL.test(value)) {
    ctx.addIssue({
      code: "custom",
      message:
        "must be the URL of an S3 object, e.g. https://<bucket>.s3.<region>.amazonaws.com/<key> or https://s3.<region>.amazonaws.com/<bucket>/<key>",
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
    minimumPerMinute: "there is no minimum rate; jobExecutionsRolloutConfig has maximumPerMinute (1-1000) and exponentialRate",
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
        if (seen.has(c.failureType))
          ctx.addIssue({
            code: "custom",
            message: `lists failureType ${c.failureType} more than once; give each failure type one threshold`,
          });
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
    retryAttempts: 'jobExecutionsRetryConfig takes criteriaList: [{ failureType: "FAILED" | "TIMED_OUT" | "ALL", numberOfRetries }]',
    RetryCriteriaList: "the IoT API calls it criteriaList",
  },
);

/** A cron expression as AWS reads it (minutes hours day-of-month month day-of-week year), e.g. cron(0 2 ? * MON *): src/api/rollout.ts. */
const cronSchema = str(STRINGS.maintenanceWindowStartTime).superRefine((value, ctx) => {
  if (isUnknown(value)) return;
  const problem = cronProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
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
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `tag keys starting with "${OWNERSHIP_TAG_PREFIX}" are reserved for the provider's ownership tags`,
      });
    }
    if (!isUnknown(value)) {
      const valueProblem = checkString(value, STRINGS.tagValue);
      if (valueProblem) ctx.addIssue({ code: "custom", path: [key], message: `tag value ${valueProblem}` });
    }
  }
});

/** A credential: a string or, better, a secret (kept encrypted in state); the client signs requests with it and never sends it. */
const credential = secretAllowed(z.string());

/** The client settings every resource accepts (Alchemy's AwsClientProps plus endpoint/local). */
export const clientPropsShape = {
  region: str({ min: 1, max: 64, pattern: "[a-z0-9-]+", patternText: "a region name like us-east-1" }).optional(),
  profile: str({ min: 1 }).optional(),
  accessKeyId: credential.optional(),
  secretAccessKey: credential.optional(),
  sessionToken: credential.optional(),
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

// ------------------------------------------------------------------ what JobTemplate and Job share: rules between members, hints, secret advice

const PRESIGNED_PLACEHOLDER = "${aws:iot:s3-presigned-url:";

/** Exactly one of the given document sources; named in the message. */
export function exactlyOne(value: Record<string, unknown>, members: readonly string[], ctx: z.RefinementCtx): void {
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
export function presignedNeedsRole(value: Record<string, any>, ctx: z.RefinementCtx): void {
  const doc = value.document;
  // A document that is not JSON is refused by its own rule (documentRules), not read here.
  const text = typeof doc === "string" ? doc : doc === undefined || notJson(doc) ? "" : JSON.stringify(doc);
  if (text.includes(PRESIGNED_PLACEHOLDER) && !value.presignedUrlConfig?.roleArn) {
    ctx.addIssue({
      code: "custom",
      path: ["presignedUrlConfig", "roleArn"],
      message: "is required: the document uses ${aws:iot:s3-presigned-url:...} placeholders, which IoT signs with this role",
    });
  }
}

/** Hints for the misnamed members JobTemplate and Job share. */
export const COMMON_HINTS: Record<string, string> = {
  name: "the id prop is jobTemplateId (or jobId for a Job)",
  Tags: 'tags is an object of key/value strings: tags: { team: "fleet" }',
};

/** Why a secret goes nowhere in a job or template but its document (and a managed template's parameters). */
export const JOB_ADVICE = "pass a plain string; a value the devices need belongs in the job document (document: alchemy.secret(...))";
/** The advice for a member that names a job or template: the name is in its ARN. */
export const names = (prop: string, noun: string) =>
  `${prop} names the ${noun}: it is part of its ARN, which IoT returns in clear, every plan and log prints and every device it reaches sees`;
/** The advice for a member that holds ARNs, which `describe` returns. */
export const arns = (prop: string, describe: string) =>
  `${prop} holds ARNs, which IoT stores in clear and returns to anyone who can call ${describe}`;

// ------------------------------------------------------------------ what Thing and ThingGroup share

/** A thing's or thing group's attributes (name -> value). */
export const attributesSchema = z.record(z.string(), z.string()).superRefine((attrs, ctx) => {
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

/** Things and groups are registry entries: nothing in them is a place for a secret. */
export const REGISTRY_ADVICE = "pass a plain string, or keep the secret out of the registry";
/** The advice for a member that names a thing or thing group: the name is in its ARN. */
export const registryNames = (prop: string, noun: string) =>
  `${prop} names the ${noun}: it is part of its ARN, which IoT returns in clear and every plan and log prints`;
