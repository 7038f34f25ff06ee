/**
 * Rollout's props as zod schemas, and the one check of them: the rollout's
 * own props (waves, gate, fleet) here; its `job` with the Job's own schema
 * (jobPropsSchema), given the targets the waves supply, so that a job prop
 * means and is checked exactly as a Job's.
 */
import { z } from "zod";
import { LISTS } from "../../../api/constraints.ts";
import { clientPropsShape } from "../../schemas.ts";
import { isUnknown } from "../../unknown.ts";
import { checkProps, num, strict, ValidationError, type ValidationIssue } from "../../validate.ts";
import { jobPropsSchema, targetArn, targetSchema } from "../job/schema.ts";

/** At most this many targets in one AssociateTargetsWithJob (and CreateJob) call. */
export const MAX_WAVE_TARGETS = LISTS.targets.max;

const gateSchema = strict({
  minExecuted: num({ min: 0, max: 1_000_000, integer: true }).optional(),
  maxFailedPercent: num({ min: 0, max: 100 }).optional(),
  minSucceededPercent: num({ min: 0, max: 100 }).optional(),
});

const waveSchema = strict({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, "must be 1–40 letters, digits, _ or -"),
  targets: z
    .array(targetSchema)
    .min(1, "must list at least one thing or thing group")
    .max(MAX_WAVE_TARGETS, `lists at most ${MAX_WAVE_TARGETS} targets (one AssociateTargetsWithJob call takes at most ${MAX_WAVE_TARGETS})`)
    .optional(),
  percent: num({ min: 0.01, max: 100 }).optional(),
  bakeMinutes: num({ min: 0, max: 525_600, integer: true }).optional(),
  gate: gateSchema.optional(),
});

/** The rollout's own props (its `job` is checked with the Job's schema: `checkRolloutProps`). */
export const rolloutPropsSchema = strict({
  ...clientPropsShape,
  job: z.record(z.string(), z.unknown()),
  // A ThingGroup, its name, or its ARN.
  fleet: z
    .union([
      z
        .string()
        .regex(
          /^([a-zA-Z0-9:_-]{1,128}|arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:thinggroup\/[a-zA-Z0-9:_-]{1,128})$/,
          "must be a thing group name or ARN",
        ),
      z.object({ thingGroupName: z.string() }).passthrough(),
    ])
    .optional(),
  waves: z.array(waveSchema).min(1, "must list at least one wave").max(50, "lists at most 50 waves"),
  gate: gateSchema.optional(),
  onGateFailure: z.enum(["cancel", "hold"]).optional(),
}).superRefine((value, ctx) => {
  const v = value as Record<string, any>;
  if (!Array.isArray(v.waves)) return;
  const names = new Map<string, number>();
  const targets = new Map<string, number>();
  let lastPercent = 0;
  v.waves.forEach((w: Record<string, any>, i: number) => {
    if (!w || typeof w !== "object") return;
    const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: "custom", path: ["waves", i, ...path], message });
    if (typeof w.name === "string") {
      if (names.has(w.name)) issue(["name"], `is also waves[${names.get(w.name)}]'s name; each wave needs its own`);
      names.set(w.name, i);
    }
    if ((w.targets === undefined) === (w.percent === undefined)) issue([], "needs exactly one of targets and percent");
    if (typeof w.percent === "number") {
      if (v.fleet === undefined)
        ctx.addIssue({ code: "custom", path: ["fleet"], message: `is required: waves[${i}] has a percent of the fleet` });
      if (w.percent <= lastPercent)
        issue(["percent"], `must be more than the previous percentage wave's ${lastPercent} (percentages are cumulative)`);
      lastPercent = w.percent;
    }
    (Array.isArray(w.targets) ? w.targets : []).forEach((t: unknown, j: number) => {
      const arn = targetArn(t);
      if (typeof arn !== "string" || isUnknown(arn)) return;
      if (i > 0 && /:thing\//.test(arn)) {
        issue(["targets", j], "is a thing: after the first wave only thing groups can be added (IoT adds only groups to a running job)");
      }
      const first = targets.get(arn);
      if (first !== undefined) issue(["targets", j], `is also a target of waves[${first}]; list each target in one wave`);
      else targets.set(arn, i);
    });
  });
});

/** Stands for the waves' targets while the job's props are checked with the Job's schema. */
const PLACEHOLDER = "arn:aws:iot:us-east-1:123456789012:thinggroup/rollout-wave";

/**
 * Checks a Rollout's props: its own, then its `job` as a Job's (less targets
 * and targetSelection, which the rollout gives). Returns the job's view
 * (secrets revealed) and its sensitive paths. Throws one ValidationError.
 */
export function checkRolloutProps(label: string, props: Record<string, unknown>): { job: Record<string, any>; sensitive: Set<string> } {
  const issues: ValidationIssue[] = [];
  const { job, ...own } = props as { job?: Record<string, unknown> } & Record<string, unknown>;
  try {
    checkProps(label, rolloutPropsSchema, { ...own, job: job && typeof job === "object" ? {} : job });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues);
  }
  let checked: { view: Record<string, unknown>; sensitive: Set<string> } = { view: {}, sensitive: new Set() };
  if (job && typeof job === "object") {
    for (const key of ["targets", "targetSelection"]) {
      if (key in job)
        issues.push({ path: `job.${key}`, message: `job.${key}: the waves give the job's targets (a rollout's job is always CONTINUOUS)` });
    }
    const { targets: _t, targetSelection: _s, ...rest } = job;
    try {
      checked = checkProps(label, jobPropsSchema, { ...rest, targets: [PLACEHOLDER], targetSelection: "CONTINUOUS" });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...error.issues.map((i) => ({ path: `job.${i.path}`, message: `job.${i.message}` })));
    }
  }
  if (issues.length > 0) throw new ValidationError(label, issues);
  const { targets: _t, targetSelection: _s, ...view } = checked.view;
  return { job: view, sensitive: checked.sensitive };
}
