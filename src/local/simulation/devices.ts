/**
 * Simulated devices: things whose executions the endpoint runs itself, from
 * a behaviour model (behaviour.ts), instead of a test acting as the device.
 */
import { STRINGS } from "../../api/constraints.ts";
import type { JobRecord, ThingGroupRecord, ThingRecord } from "../state/store.ts";
import { createThing, createThingGroup } from "../account/things.ts";
import type { World } from "../state/world.ts";
import { checkSeed, resolveBehaviour, type DeviceBehaviour } from "./behaviour.ts";
import { pickUp } from "./lifecycle.ts";

export interface SimulatedDevicesRequest {
  /** A thing group to add the devices to (created if it does not exist). */
  thingGroupName?: string;
  /** How many devices. */
  count: number;
  /** Names are `${namePrefix}${i}`, i from 1, zero-padded to at least 5 digits so names sort in order. */
  namePrefix: string;
  /** Overrides of DEFAULT_BEHAVIOUR. */
  behaviour?: Partial<DeviceBehaviour>;
  /** Seed of the devices' draws. @default 1 */
  seed?: number;
}

const THING_NAME = new RegExp(`^(?:${STRINGS.thingName.pattern})$`);
const MAX_DEVICES = 1_000_000;

/**
 * Creates `count` things (an existing thing of the same name is reused),
 * marks them simulated, and adds them to the group if one is given (a
 * continuous job targeting the group reaches them as AddThingToThingGroup
 * would). Returns their names, in order.
 */
export function addSimulatedDevices(world: World, request: SimulatedDevicesRequest): string[] {
  const { count, namePrefix, thingGroupName } = request;
  if (!Number.isInteger(count) || count < 1 || count > MAX_DEVICES) {
    throw new Error(`count must be a whole number between 1 and ${MAX_DEVICES}, got ${String(count)}.`);
  }
  const behaviour = resolveBehaviour(request.behaviour);
  const seed = checkSeed(request.seed);
  const width = Math.max(5, String(count).length);
  const names = Array.from({ length: count }, (_, i) => `${namePrefix}${String(i + 1).padStart(width, "0")}`);
  for (const name of [names[0], names[names.length - 1]]) {
    if (typeof namePrefix !== "string" || !THING_NAME.test(name) || name.length > (STRINGS.thingName.max ?? 128)) {
      throw new Error(
        `namePrefix ${JSON.stringify(namePrefix)} does not make valid thing names (e.g. ${name}): use letters, digits, ':', '_' and '-'.`,
      );
    }
  }
  if (thingGroupName !== undefined && !new RegExp(`^(?:${STRINGS.thingGroupName.pattern})$`).test(thingGroupName)) {
    throw new Error(`thingGroupName ${JSON.stringify(thingGroupName)} is not a valid thing group name.`);
  }
  // One record of the behaviour for all the devices (it is only read): a million devices need not have a million copies.
  const simulated = { behaviour, seed };
  const jobs = liveJobs(world);
  for (const name of names) {
    const thing = world.tables.things.get(name) ?? created(world, "thing", name);
    markSimulated(world, thing, simulated, jobs);
  }
  if (thingGroupName !== undefined) {
    const group = world.tables.thingGroups.get(thingGroupName) ?? created(world, "thingGroup", thingGroupName);
    const members = group.members.length > 0 ? new Set(group.members) : undefined;
    const added = members ? names.filter((name) => !members.has(name)) : names;
    // One at a time: push(...added) passes every name as an argument, which overflows the stack for large fleets.
    for (const name of added) group.members.push(name);
    // As AddThingToThingGroup: continuous jobs that target the group reach the new members.
    for (const job of world.tables.jobs.values()) {
      if (job.status === "IN_PROGRESS" && job.targetSelection === "CONTINUOUS" && job.targets.includes(group.thingGroupArn)) {
        for (const name of added) world.queueExecution(job, name);
      }
    }
  }
  return names;
}

/** Marks an existing thing simulated; it picks up its QUEUED executions of live jobs at once. */
export function simulateThing(world: World, thingName: string, behaviour?: Partial<DeviceBehaviour>, seed?: number): void {
  const thing = world.tables.things.get(thingName);
  if (!thing) throw new Error(`Thing ${thingName} cannot be found: create it first, or use addSimulatedDevices.`);
  markSimulated(world, thing, { behaviour: resolveBehaviour(behaviour), seed: checkSeed(seed) }, liveJobs(world));
}

/** Jobs whose QUEUED executions a newly simulated device picks up, in creation order. */
function liveJobs(world: World): JobRecord[] {
  return [...world.tables.jobs.values()]
    .filter((job) => job.status === "IN_PROGRESS" || job.status === "SCHEDULED")
    .sort((a, b) => a.seq - b.seq);
}

function markSimulated(world: World, thing: ThingRecord, simulated: NonNullable<ThingRecord["simulated"]>, jobs: JobRecord[]): void {
  thing.simulated = simulated;
  for (const job of jobs) {
    // Still live? An earlier device's pick-up may have ended the job (its abort criteria run on every change).
    if (job.status !== "IN_PROGRESS" && job.status !== "SCHEDULED") continue;
    const latest = world.latestExecution(job.jobId, thing.thingName);
    if (latest?.status === "QUEUED") pickUp(world, job, latest, thing);
  }
}

/** A thing or group made as CreateThing / CreateThingGroup make them (no attributes, no parent). */
function created(world: World, kind: "thing", name: string): ThingRecord;
function created(world: World, kind: "thingGroup", name: string): ThingGroupRecord;
function created(world: World, kind: "thing" | "thingGroup", name: string): ThingRecord | ThingGroupRecord {
  return kind === "thing" ? createThing(world, { thingName: name }) : createThingGroup(world, { thingGroupName: name });
}
