/**
 * What a job change does to devices: how many it reaches, how many
 * executions in progress it cancels, how long its rollout takes to notify
 * them all, and how many may fail before the abort criteria stop it.
 *
 * The decision (job.ts: decide, removal) says whom a change reaches and
 * attaches a probe to its Change; a deploy never measures it. A preview does,
 * when the change is recorded. Counts are read only in a preview with
 * --refresh, with the client of the job's own live read (observe, which has
 * just sent DescribeJob and notes the answer here):
 *
 * - ListThingsInThingGroup (the SDK's paginator, recursive: false) for every
 *   target group whose devices count; a thing target is one device;
 * - DescribeJob's numberOfInProgressThings (the read observe made anyway);
 * - DescribeJobTemplate, when the job takes its rollout, maintenance windows
 *   or abort criteria from a template of the account.
 *
 * The arithmetic is src/api/rollout.ts's.
 */
import type { DescribeJobCommandOutput, IoTClient } from "@aws-sdk/client-iot";
import { DescribeJobTemplateCommand, paginateListThingsInThingGroup, ResourceNotFoundException } from "../../iot-sdk.ts";
import { ifFound } from "../../common.ts";
import { listNames, type DeviceImpact, type ImpactProbe } from "../../engine/change.ts";
import { currentRecorder, type PlanRecorder } from "../../engine/recorder.ts";
import { isManagedTemplateArn } from "./schema.ts";
import { parseScheduleTime } from "../../../api/schedule-time.ts";
import { inheritTemplate, leftToTemplate, type InheritedMember } from "../../../api/template-inheritance.ts";
import {
  maxFailuresBeforeAbort,
  minutesToNotifyAll,
  type AbortCriteria,
  type MaintenanceWindow,
  type RolloutConfig,
} from "../../../api/rollout.ts";
import { isUnknown } from "../../unknown.ts";
import type { Spec } from "./spec.ts";
import { installsOf, versionLabel } from "../package-versions.ts";

/** Whom a change reaches, as the decision says it. */
export interface ImpactBasis {
  change: DeviceImpact["change"];
  /** The job (the new one for a replacement), for messages. */
  jobId: string;
  /** Targets whose devices the change reaches: the job's (create, replace, delete), or the groups added (add-targets). */
  targets: readonly string[];
  /** add-targets: the targets the job had; their devices have the job already. */
  already?: readonly string[];
  /** The job's members (rollout, windows, abort criteria, template) as the deploy sends them. */
  spec: Spec;
  /** Replacements and deletions: `deletion.force`. */
  force?: boolean;
}

/** The job as observe read it (a preview with --refresh only), with the client that read it. */
interface Live {
  client: IoTClient;
  job: NonNullable<DescribeJobCommandOutput["job"]> | undefined;
}

/** Keyed by the object the decision is made for: the desired state (create, update, replace) or the recorded one (delete). */
const observed = new WeakMap<object, Live>();

/**
 * Notes the DescribeJob answer observe received (undefined: no such job), in
 * a preview with --refresh only: a deploy keeps nothing and reads nothing more.
 */
export function noteLiveJob(key: object | undefined, client: IoTClient, live: DescribeJobCommandOutput | undefined): void {
  if (key && currentRecorder()?.refresh) observed.set(key, { client, job: live?.job });
}

/** The probe a decision attaches to its Change; `key` is what observe was given (the desired state, or the recorded one for a deletion). */
export function impactProbe(key: object, basis: ImpactBasis): ImpactProbe {
  return { change: basis.change, measure: () => measure(basis, observed.get(key), currentRecorder()) };
}

// ------------------------------------------------------------------ reads

/** Group members, read once per preview (recorder) and client. */
const memberCache = new WeakMap<PlanRecorder, WeakMap<IoTClient, Map<string, Promise<Set<string> | null>>>>();

function membersReader(client: IoTClient, recorder: PlanRecorder): (group: string) => Promise<Set<string> | null> {
  let byClient = memberCache.get(recorder);
  if (!byClient) memberCache.set(recorder, (byClient = new WeakMap()));
  let cache = byClient.get(client);
  if (!cache) byClient.set(client, (cache = new Map()));
  const groups = cache;
  return (group) => {
    let read = groups.get(group);
    if (!read) {
      read = (async () => {
        const members = new Set<string>();
        try {
          for await (const page of paginateListThingsInThingGroup({ client }, { thingGroupName: group, recursive: false })) {
            for (const thing of page.things ?? []) members.add(thing);
          }
        } catch (error) {
          if (error instanceof ResourceNotFoundException) return null;
          throw error;
        }
        return members;
      })();
      groups.set(group, read);
    }
    return read;
  };
}

const TARGET = /^arn:aws[a-z-]*:iot:[a-z0-9-]*:\d*:(thing|thinggroup)\/(.+)$/;

/** The devices of some targets (thing names), or why they cannot be counted. */
async function devicesOf(
  targets: readonly string[],
  members: (group: string) => Promise<Set<string> | null>,
  existing: boolean,
): Promise<Set<string> | string> {
  const out = new Set<string>();
  for (const target of targets) {
    const m = isUnknown(target) ? null : TARGET.exec(target);
    if (!m) return isUnknown(target) ? "a target is known only after the deploy" : `${target} is not a thing or thing group ARN`;
    if (m[1] === "thing") {
      out.add(m[2]);
      continue;
    }
    let found: Set<string> | null;
    try {
      found = await members(m[2]);
    } catch (error) {
      return `the things of thing group ${m[2]} could not be listed (${(error as Error).name}: ${(error as Error).message})`;
    }
    // A group of the old targets that is gone has no devices; a new target group that does not exist yet cannot be counted.
    if (found === null && !existing) return `thing group ${m[2]} does not exist yet, so its devices are known only after the deploy`;
    for (const thing of found ?? []) out.add(thing);
  }
  return out;
}

interface Rollout {
  rollout?: RolloutConfig;
  windows?: MaintenanceWindow[];
  abort?: { criteriaList?: AbortCriteria[] };
}

/** The template's members the rollout depends on (src/api/template-inheritance.ts names them). */
const ROLLOUT_MEMBERS = ["jobExecutionsRolloutConfig", "maintenanceWindows", "abortConfig"] as const satisfies readonly InheritedMember[];
const WORDS: Record<(typeof ROLLOUT_MEMBERS)[number], string> = {
  jobExecutionsRolloutConfig: "rollout rate",
  maintenanceWindows: "maintenance windows",
  abortConfig: "abort criteria",
};

/**
 * The rollout rate, maintenance windows and abort criteria the job runs with:
 * its own, else (a job from a template of the account) the template's, read
 * with --refresh; for groups added to a running job, the job's as IoT has it.
 * What the job takes from the template is src/api/template-inheritance.ts's
 * rule, the one the local endpoint's CreateJob applies.
 * undefined when they are not known, with a note saying why.
 */
async function rolloutOf(
  basis: ImpactBasis,
  live: Live | undefined,
  refresh: boolean,
  notes: string[],
  readTemplate: (id: string) => Promise<Record<string, any> | undefined>,
): Promise<Rollout | undefined> {
  const spec = basis.spec as Record<string, any>;
  const template = spec.jobTemplateArn as string | undefined;
  const left = leftToTemplate(spec);
  const missing = ROLLOUT_MEMBERS.filter((m) => left.includes(m));
  if (!template || isUnknown(template) || isManagedTemplateArn(template) || missing.length === 0) return rolloutFrom(spec);
  const what = listNames(missing.map((m) => WORDS[m]));
  const id = /jobtemplate\/([^/]+)$/.exec(template)?.[1] ?? template;
  let from: Record<string, any> | undefined;
  if (basis.change === "add-targets") {
    // The running job has them already (IoT copied them from the template when it created the job).
    from = live?.job && { ...live.job, maintenanceWindows: live.job.schedulingConfig?.maintenanceWindows };
  } else if (live && refresh) {
    try {
      from = await readTemplate(id);
    } catch (error) {
      notes.push(
        `the job takes its ${what} from job template ${id}, which could not be read (${(error as Error).name}: ${(error as Error).message})`,
      );
      return undefined;
    }
    if (!from) {
      notes.push(`the job takes its ${what} from job template ${id}, which does not exist yet: not known before the deploy`);
      return undefined;
    }
  }
  if (!from) {
    notes.push(`the job takes its ${what} from job template ${id}: known only with --refresh`);
    return undefined;
  }
  notes.push(basis.change === "add-targets" ? `${what} as the job has them (from job template ${id})` : `${what} from job template ${id}`);
  return rolloutFrom(inheritTemplate(spec, from));
}

/**
 * The versions the job installs: its own, or (when it gives none) its
 * template's, read with --refresh; a template of the account that cannot be
 * read leaves them unsaid, with a note.
 */
async function installsWith(
  basis: ImpactBasis,
  live: Live | undefined,
  refresh: boolean,
  notes: string[],
  readTemplate: (id: string) => Promise<Record<string, any> | undefined>,
): Promise<string[]> {
  const own = installsOf(basis.spec);
  const template = basis.spec.jobTemplateArn as string | undefined;
  if (
    own.length > 0 ||
    basis.spec.destinationPackageVersions !== undefined ||
    !template ||
    isUnknown(template) ||
    isManagedTemplateArn(template)
  ) {
    return own;
  }
  const id = /jobtemplate\/([^/]+)$/.exec(template)?.[1] ?? template;
  if (!live || !refresh) return [];
  try {
    const versions = ((await readTemplate(id))?.destinationPackageVersions ?? []) as string[];
    if (versions.length > 0) notes.push(`the versions it installs are job template ${id}'s`);
    return versions.map(versionLabel);
  } catch {
    return [];
  }
}

/** The rollout members of a job's CreateJob input (a member set to null counts as unset). */
const rolloutFrom = (job: Record<string, any>): Rollout => ({
  rollout: (job.jobExecutionsRolloutConfig ?? undefined) as RolloutConfig | undefined,
  windows: (job.schedulingConfig?.maintenanceWindows ?? undefined) as MaintenanceWindow[] | undefined,
  abort: (job.abortConfig ?? undefined) as Rollout["abort"],
});

// ------------------------------------------------------------------ measure

async function measure(
  basis: ImpactBasis,
  live: Live | undefined,
  recorder: PlanRecorder | undefined,
): Promise<{ impact: DeviceImpact; warnings: string[] }> {
  const notes: string[] = [];
  const warnings: string[] = [];
  const refresh = recorder?.refresh === true;
  const reader = live && recorder && refresh ? membersReader(live.client, recorder) : undefined;
  const cancels = basis.change === "replace" || basis.change === "delete";

  let devices: number | null = null;
  let unknownReason: string | undefined;
  if (basis.change === "update") devices = 0;
  else if (basis.change === "delete" && live && !live.job)
    devices = 0; // deleted out of band: nothing happens to devices
  else if (!reader) unknownReason = "unknown without --refresh";
  else {
    const reached = await devicesOf(basis.targets, reader, basis.change === "delete");
    const already = basis.already ? await devicesOf(basis.already, reader, true) : new Set<string>();
    if (typeof reached === "string") unknownReason = reached;
    else if (typeof already === "string") unknownReason = already;
    else devices = [...reached].filter((d) => !already.has(d)).length;
  }

  const inProgress = !cancels ? 0 : !live ? null : (live.job?.jobProcessDetails?.numberOfInProgressThings ?? 0);

  // The template is read once (with --refresh), for the rollout and for the versions the job takes from it.
  const templates = new Map<string, Promise<Record<string, any> | undefined>>();
  const readTemplate = (id: string) => {
    if (!templates.has(id)) templates.set(id, ifFound(live!.client.send(new DescribeJobTemplateCommand({ jobTemplateId: id }))));
    return templates.get(id)!;
  };
  let minutes: number | null = null;
  let failures: number | null = null;
  if (basis.change === "create" || basis.change === "replace" || basis.change === "add-targets") {
    const rollout = await rolloutOf(basis, live, refresh, notes, readTemplate);
    if (rollout) {
      if (maxFailuresBeforeAbort(1, rollout.abort) === null && basis.change !== "add-targets") {
        warnings.push(
          `job ${basis.jobId} has no abort criteria that count failed executions: nothing stops a failing rollout before it has reached every device`,
        );
      }
      if (devices !== null) {
        // As IoT reads it: UTC when it names no zone (Date.parse would read it in this machine's zone).
        const start =
          parseScheduleTime(String((basis.spec.schedulingConfig as { startTime?: string } | undefined)?.startTime ?? "")) ?? Number.NaN;
        minutes = minutesToNotifyAll(devices, {
          rollout: rollout.rollout,
          windows: rollout.windows,
          ...(basis.change !== "add-targets" && Number.isFinite(start) ? { startMs: start } : {}),
        });
        failures = maxFailuresBeforeAbort(devices, rollout.abort);
        if (minutes === null && devices > 0) notes.push("no maintenance window opens within 366 days: not every device would be notified");
      }
    }
  }
  const installs =
    basis.change === "update" || basis.change === "delete" ? [] : await installsWith(basis, live, refresh, notes, readTemplate);
  return {
    impact: {
      change: basis.change,
      devices,
      ...(installs.length > 0 ? { installs } : {}),
      ...(unknownReason ? { unknownReason } : {}),
      inProgress,
      ...(cancels ? { forceCancel: basis.force === true } : {}),
      minutesToNotifyAll: minutes,
      maxFailuresBeforeAbort: failures,
      notes,
    },
    warnings,
  };
}
