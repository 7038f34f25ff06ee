/**
 * The `Rollout(id, props)` users call: Alchemy's Resource with the engine's
 * one handler (src/provider/engine/handler.ts), run on **every** deploy
 * (Alchemy's `alwaysUpdate`: a rollout is judged even when its props did not
 * change), behind a wrapper that
 *
 * - validates the props before Alchemy sees them, and replaces references
 *   (a JobTemplate, ThingGroups) by what the API takes, as every kind's does
 *   (src/provider/engine/define.ts);
 * - reads the job, the endpoint's time and the groups a wave samples before
 *   the handler decides (a preview reads the same: Describe and List only);
 * - fails the deploy after its calls when a gate failed.
 */
import type { Scope } from "alchemy";
import { handlerErrors } from "../../../runtime/failure.ts";
import { withoutLocation } from "../../common.ts";
import { defineResource, type Handler } from "../../engine/define.ts";
import { resolveLocation } from "../../location.ts";
import { declaredVersions } from "../package-versions.ts";
import { isManagedJobTemplate } from "../managed-job-template/lookup.ts";
import { targetArn } from "../job/schema.ts";
import { failures, lives, rolloutKind, settingsFrom } from "./contract.ts";
import { stateOf } from "./decide.ts";
import { groupsToRead } from "./waves.ts";
import { readLive } from "./live.ts";
import type { Rollout as Deployed, RolloutProps } from "./props.ts";
import { checkRolloutProps } from "./schema.ts";

/** Alchemy's context, as the handler sees it. */
type Ctx = {
  phase: string;
  id: string;
  output?: unknown;
  scope: Scope;
  (output: object): object;
};

/** Reads what the decision needs, for this run of the handler. */
async function prefetch(ctx: Ctx, rawProps: RolloutProps): Promise<void> {
  const props = withoutLocation(rawProps);
  const { client, location } = await resolveLocation(props, ctx.scope);
  const recorded = rolloutKind.recorded(ctx.output as Deployed | undefined);
  const settings = settingsFrom(props, location, (ctx.output as Deployed | undefined)?.fleetArn);
  const current = recorded ? (stateOf(recorded.facts.extra)?.currentWave ?? 0) : -1;
  const groups = [...groupsToRead(settings, 0), ...(current >= 0 ? groupsToRead(settings, current + 1) : [])];
  lives.set(ctx, await readLive(client, recorded ? String(recorded.state.spec.jobId) : undefined, groups));
}

/** The engine's handler, with the reads it decides on first and the gate's failure after its calls. */
const wrap = (generic: Handler): Handler =>
  async function run(this: Ctx, id: string, props: RolloutProps): Promise<Deployed> {
    if (this.phase !== "delete") await prefetch(this, props);
    const output = (await generic.call(this, id, props)) as Deployed;
    const failure = failures.get(output);
    if (failure) {
      // The deploy fails, and what it did (a cancelled job) is recorded first.
      const state = await this.scope.state.get(this.id);
      if (state) await this.scope.state.set(this.id, { ...state, output: this(output) as never });
      const error = new Error(`Rollout "${id}": ${failure}`);
      handlerErrors.add(error);
      throw error;
    }
    return output;
  };

/** References as the API takes them: ARNs (a JobTemplate, targets, the fleet) and package versions. */
function normalize(props: RolloutProps): RolloutProps {
  const job = props.job ?? ({} as RolloutProps["job"]);
  const template = job.jobTemplate;
  const fleet = props.fleet;
  return {
    ...props,
    job: {
      ...job,
      ...(template && typeof template === "object" && !isManagedJobTemplate(template) && "jobTemplateArn" in template
        ? { jobTemplate: (template as { jobTemplateArn: string }).jobTemplateArn }
        : {}),
      ...(Array.isArray(job.destinationPackageVersions)
        ? { destinationPackageVersions: declaredVersions(job.destinationPackageVersions) }
        : {}),
    },
    ...(fleet && typeof fleet === "object" ? { fleet: (fleet as { thingGroupArn?: string }).thingGroupArn ?? fleet.thingGroupName } : {}),
    waves: (props.waves ?? []).map((w) => (Array.isArray(w.targets) ? { ...w, targets: w.targets.map((t) => targetArn(t) ?? t) } : w)),
  };
}

/**
 * One job released to its devices in waves, with bake times and health
 * gates. The first deploy creates a CONTINUOUS job on the first wave; every
 * deploy after it reads the job and advances to the next wave when the
 * current one has baked and passed its gate, holds otherwise, and on a
 * failed gate cancels the job (or, with `onGateFailure: "hold"`, changes
 * nothing) and fails. Run `alchemy deploy` on a schedule to drive it
 * (docs/rollout.md).
 *
 * @example
 * // A canary group, then 10 % of the fleet, then everyone
 * const fleet = await ThingGroup("fleet", {});
 * const canary = await ThingGroup("canary", {});
 * const rollout = await Rollout("firmware-1-2-3", {
 *   job: { jobTemplate: firmware, deletion: { force: true } },
 *   fleet,
 *   waves: [
 *     { name: "canary", targets: [canary], bakeMinutes: 120 },
 *     { name: "early", percent: 10, bakeMinutes: 1440 },
 *     { name: "everyone", percent: 100 },
 *   ],
 *   gate: { minExecuted: 5, maxFailedPercent: 2, minSucceededPercent: 95 },
 * });
 * rollout.currentWave; rollout.outcome;
 *
 * @example
 * // Hold instead of cancelling when a gate fails
 * await Rollout("config", {
 *   job: { document: { operation: "fetch-config" } },
 *   waves: [{ name: "lab", targets: [lab], bakeMinutes: 30 }, { name: "field", targets: [field] }],
 *   onGateFailure: "hold",
 * });
 */
export const Rollout = defineResource(rolloutKind, {
  validate(id, props) {
    checkRolloutProps(`Rollout "${id}"`, props as unknown as Record<string, unknown>);
  },
  normalize,
  alwaysUpdate: true,
  wrap,
});
