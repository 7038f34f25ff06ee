/**
 * A Rollout's waves as the decision reads them, and what releasing one takes:
 * the thing groups to read first, the group a percentage wave makes and
 * fills (a stable sample of the fleet, less the devices earlier waves
 * reached), the targets to add, and the devices it reaches. Pure.
 */
import { sampleWave, type Gate } from "../../../api/rollout-gate.ts";
import type { ImpactProbe } from "../../engine/change.ts";
import { operation, type Operation } from "../../engine/operations.ts";
import { toTagList } from "../../tags.ts";
import { isUnknown, UNKNOWN } from "../../unknown.ts";
import type { LiveRollout } from "./live.ts";

/** A wave as the decision reads it: targets as ARNs, its gate complete. */
export interface WaveSpec {
  name: string;
  targets?: string[];
  percent?: number;
  bakeMinutes: number;
  gate: Gate;
}

/** The rollout's settings (kept in state; changing them is no call). */
export interface RolloutSettings {
  deletion: { force: boolean; timeoutSeconds: number };
  waves: WaveSpec[];
  onGateFailure: "cancel" | "hold";
  /** The fleet group's ARN, when known before the deploy (a ThingGroup resource, an ARN, or a name where the account is known). */
  fleet?: string;
  /** The fleet group's name. */
  fleetName?: string;
}

export const groupNameOf = (jobId: string, wave: string) => (isUnknown(jobId) ? UNKNOWN : `${jobId}-${wave}`.slice(0, 128));
const groupOfArn = (arn: string) => /:thinggroup\/(.+)$/.exec(arn)?.[1];
const thingOfArn = (arn: string) => /:thing\/(.+)$/.exec(arn)?.[1];
const groupArn = (fleetOrAny: string | undefined, name: string, region: string) => {
  const m = fleetOrAny ? /^arn:(aws[a-z-]*):iot:[a-z0-9-]+:(\d{12}):/.exec(fleetOrAny) : null;
  return m && !isUnknown(name) ? `arn:${m[1]}:iot:${region}:${m[2]}:thinggroup/${name}` : UNKNOWN;
};

/** The thing groups a decision about wave `index` needs the members of: the fleet, and the earlier waves' groups. */
export function groupsToRead(settings: RolloutSettings, index: number): string[] {
  const wave = settings.waves[index];
  if (!wave || wave.percent === undefined) return [];
  const groups = settings.waves.slice(0, index).flatMap((w) => (w.targets ?? []).map(groupOfArn).filter((g): g is string => !!g));
  return settings.fleetName ? [settings.fleetName, ...groups] : groups;
}

interface Planned {
  operations: Operation[];
  targets: string[];
  /** Devices the wave adds, or why they are not known. */
  devices: number | string;
  group?: string;
}

/**
 * The device impact of releasing the next wave (the preview's `deviceImpact`,
 * which `--max-devices` gates on): the devices it adds, as the decision
 * counted them; null when they are not known before the deploy.
 */
export function nextWaveImpact(wave: string, devices: number | string): ImpactProbe {
  return {
    change: "add-targets",
    measure: async () => ({
      impact: {
        change: "add-targets",
        devices: typeof devices === "number" ? devices : null,
        ...(typeof devices === "string" ? { unknownReason: devices } : {}),
        inProgress: 0,
        minutesToNotifyAll: null,
        maxFailuresBeforeAbort: null,
        notes: [`the rollout's next wave, ${wave}`],
      },
      warnings: [],
    }),
  };
}

/** The ARNs of the fleet group and of a wave's group, from an ARN of the account (the fleet's, the job's, a target's). */
function arnsOf(settings: RolloutSettings, region: string, knownArn: string | undefined) {
  const account = [settings.fleet, knownArn, ...settings.waves.flatMap((w) => w.targets ?? [])].find(
    (a): a is string => typeof a === "string" && a.startsWith("arn:") && !isUnknown(a),
  );
  return {
    fleet: settings.fleet && !isUnknown(settings.fleet) ? settings.fleet : groupArn(account, settings.fleetName ?? "", region),
    group: (name: string) => groupArn(account, name, region),
  };
}

/**
 * The targets wave `index` adds to the job when released (and the group it
 * makes), without sampling the fleet: what a job that has them was released
 * to. (A percentage wave whose sample is empty adds nothing, so its group is
 * never among the job's targets.)
 */
export function waveTargets(
  settings: RolloutSettings,
  index: number,
  jobId: string,
  region: string,
  knownArn?: string,
): { targets: string[]; group?: string } {
  const wave = settings.waves[index];
  if (wave.percent === undefined) return { targets: wave.targets ?? [] };
  const arns = arnsOf(settings, region, knownArn);
  if (wave.percent >= 100) return { targets: [arns.fleet] };
  const group = groupNameOf(jobId, wave.name);
  return { targets: [arns.group(group)], group };
}

/** The calls that release wave `index` of the job `jobId`: its group made and filled (a percentage), then the targets. */
export function planWave(
  settings: RolloutSettings,
  index: number,
  jobId: string,
  region: string,
  live: LiveRollout | undefined,
  tags: Record<string, string>,
  knownArn?: string,
): Planned {
  const wave = settings.waves[index];
  const members = (group: string | undefined) => (group ? live?.members.get(group) : undefined);
  if (wave.percent === undefined) {
    const targets = wave.targets ?? [];
    let devices: number | string = 0;
    for (const t of targets) {
      if (thingOfArn(t) !== undefined) devices = typeof devices === "number" ? devices + 1 : devices;
      else if (typeof devices === "number") devices = "the devices of its thing groups are counted when they are released";
    }
    return { operations: [], targets, devices };
  }
  const arns = arnsOf(settings, region, knownArn);
  const fleet = arns.fleet;
  const all = members(settings.fleetName);
  if (!all)
    return {
      operations: [],
      targets: wave.percent >= 100 ? [fleet] : [],
      devices: "the fleet's devices are not known (its group does not exist yet)",
    };
  // Devices the earlier waves reached: their samples, their things, the members of their groups.
  const already = new Set<string>();
  for (const w of settings.waves.slice(0, index)) {
    if (w.percent !== undefined) sampleWave(all, w.percent, jobId).forEach((d) => already.add(d));
    for (const t of w.targets ?? []) {
      const thing = thingOfArn(t);
      if (thing) already.add(thing);
      else (members(groupOfArn(t)) ?? []).forEach((d) => already.add(d));
    }
  }
  const fresh = sampleWave(all, wave.percent, jobId).filter((d) => !already.has(d));
  if (wave.percent >= 100) return { operations: [], targets: [fleet], devices: fresh.length };
  if (fresh.length === 0) return { operations: [], targets: [], devices: 0 };
  const group = groupNameOf(jobId, wave.name);
  const operations: Operation[] = [
    operation("CreateThingGroup", { thingGroupName: group, tags: toTagList(tags) }, group, { side: true }),
    ...fresh.map((thingName) =>
      operation("AddThingToThingGroup", { thingGroupName: group, thingName }, `${thingName} → ${group}`, { side: true }),
    ),
  ];
  return { operations, targets: [arns.group(group)], devices: fresh.length, group };
}
