/**
 * Rehearses one job on a local endpoint whose rollouts are held and whose
 * clock is virtual: gives the job's targets simulated devices, releases the
 * job, advances the clock a minute at a time until the job finishes or the
 * horizon passes, and reports what the fleet did. The job is read through
 * the SDK (DescribeJob), as a user would; the final status of every device is
 * read from the endpoint's records, the ones ListJobExecutionsForJob answers
 * from (paging a million executions through the SDK took longer than
 * simulating them).
 */
import type { IoTClient, Job } from "@aws-sdk/client-iot";
import { AddThingToThingGroupCommand, DescribeJobCommand, GetPackageCommand } from "../provider/iot-sdk.ts";
import { parseVersionArn } from "../provider/kinds/package-versions.ts";
import { isFinishedJob } from "../api/constraints.ts";
import { DEFAULT_BEHAVIOUR, type DeviceBehaviour, type ExecutionEvent, type LocalIoT } from "../local/index.ts";
import { n as count } from "./render.ts";
import { installedVersions, versionCounts } from "./versions.ts";
import { emptyCounts, REHEARSAL_FORMAT_VERSION, type FinalStatus, type Rehearsal, type WaveReport } from "./report.ts";
import { timelineSince, type ExecutionLog } from "./event-log.ts";

/** The endpoint's execution events since it started: a compact ExecutionLog, or every event (tests). */
export type RehearsalEvents = ExecutionLog | ExecutionEvent[];

export interface RehearsalOptions {
  /** Simulated devices the job's targets get in all (a thing target is one device). @default 1000 */
  devices?: number;
  behaviour?: Partial<DeviceBehaviour>;
  /** @default 1 */
  seed?: number;
  /** @default 7 days */
  horizonMinutes?: number;
  /** When the virtual clock starts (epoch ms, whole minutes). @default now, to the minute (runtime.ts) */
  startMs?: number;
  /** Notes from running the program (targets it did not declare), reported first. */
  notes?: readonly string[];
  /** Resources of other providers the program declared, which the rehearsal did not run. */
  notRehearsed?: ReadonlyArray<{ address: string; type: string }>;
}

export const DEFAULT_DEVICES = 1000;
export const DEFAULT_HORIZON_MINUTES = 7 * 24 * 60;
const MINUTE = 60_000;

/** A rehearsal that cannot be run as asked (too few devices for the targets, ...): exit 1 with the message. */
export class RehearsalError extends Error {
  override name = "RehearsalError";
}

const nameOf = (arn: string) => arn.slice(arn.indexOf("/") + 1);

/**
 * Puts `devices` simulated devices behind the job's targets: the things it
 * targets and the things already in its groups count first (and are
 * simulated too); the rest are new things shared out over the groups.
 */
async function giveDevices(
  local: LocalIoT,
  targets: string[],
  options: Required<Pick<RehearsalOptions, "devices" | "seed">> & RehearsalOptions,
  notes: string[],
): Promise<number> {
  const groups = targets.filter((t) => t.includes(":thinggroup/")).map(nameOf);
  const existing = new Set(targets.filter((t) => t.includes(":thing/")).map(nameOf));
  for (const g of groups) for (const m of local.world.tables.thingGroups.get(g)?.members ?? []) existing.add(m);
  for (const name of [...existing].sort()) await local.simulateThing(name, options.behaviour, options.seed);
  if (groups.length === 0) {
    if (options.devices !== existing.size)
      notes.push(
        `the job targets ${existing.size} thing(s) and no group: it is rehearsed on those ${existing.size} device(s), not ${options.devices}`,
      );
    return existing.size;
  }
  if (options.devices < existing.size) {
    throw new RehearsalError(
      `--devices ${options.devices} is fewer than the ${existing.size} devices the program's targets already have (things targeted and things in the target groups); give at least ${existing.size}.`,
    );
  }
  const extra = options.devices - existing.size;
  if (existing.size > 0) {
    const declared = existing.size === 1 ? "is a thing" : "are things";
    notes.push(
      `${count(existing.size)} of the ${count(options.devices)} devices ${declared} the program declares; ${count(extra)} ${extra === 1 ? "is a simulated thing" : "are simulated things"} added to the target groups`,
    );
  }
  for (const [i, group] of groups.entries()) {
    const count = Math.floor(extra / groups.length) + (i < extra % groups.length ? 1 : 0);
    if (count > 0)
      await local.addSimulatedDevices({
        thingGroupName: group,
        count,
        namePrefix: `rehearsal-${group}-`,
        behaviour: options.behaviour,
        seed: options.seed + i,
      });
  }
  return options.devices;
}

/** A device's final status: its latest execution's, NOT_NOTIFIED when the job never reached it. */
type StatusOf = (thingName: string) => string;

/**
 * Final status counts (one per device), attempts (executions including
 * retries), and each device's final status: the latest execution on each
 * thing, as ListJobExecutionsForJob lists them (the endpoint's records).
 */
function results(
  local: LocalIoT,
  jobId: string,
  devices: number,
): { executions: Record<FinalStatus, number>; attempts: number; statusOf: StatusOf } {
  const executions = emptyCounts();
  let attempts = 0;
  let reached = 0;
  for (const e of local.world.jobExecutions(jobId)) {
    executions[e.status as FinalStatus] += 1;
    attempts += e.executionNumber;
    reached += 1;
  }
  executions.NOT_NOTIFIED = Math.max(0, devices - reached);
  const statusOf = (thing: string) => local.world.latestExecution(jobId, thing)?.status ?? "NOT_NOTIFIED";
  return { executions, attempts, statusOf };
}

/** `$default` versions as the version they stand for (the package's default version when the job ran). */
async function resolveDefaults(client: IoTClient, arns: string[]): Promise<string[]> {
  return Promise.all(
    arns.map(async (arn) => {
      const p = parseVersionArn(arn);
      if (p?.versionName !== "$default") return arn;
      const pkg = await client.send(new GetPackageCommand({ packageName: p.packageName }));
      return pkg.defaultVersionName ? `${arn.slice(0, -"$default".length)}${pkg.defaultVersionName}` : arn;
    }),
  );
}

/** The job's settings that shape its rollout, as the endpoint stored them (the report's `settings`, schedulingConfig aside). */
function rolloutSettings(final: Job, targetSelection: string): Rehearsal["settings"] {
  return {
    targetSelection: final.targetSelection ?? targetSelection,
    ...(final.jobExecutionsRolloutConfig ? { jobExecutionsRolloutConfig: final.jobExecutionsRolloutConfig } : {}),
    ...(final.abortConfig?.criteriaList?.length ? { abortConfig: final.abortConfig } : {}),
    ...(final.timeoutConfig?.inProgressTimeoutInMinutes ? { timeoutConfig: final.timeoutConfig } : {}),
    ...(final.jobExecutionsRetryConfig?.criteriaList?.length ? { jobExecutionsRetryConfig: final.jobExecutionsRetryConfig } : {}),
  };
}

/** The things behind the job's targets (targeted things, and the members of targeted groups). */
function devicesBehind(local: LocalIoT, targets: string[]): string[] {
  const names = new Set(targets.filter((t) => t.includes(":thing/")).map(nameOf));
  for (const t of targets.filter((t) => t.includes(":thinggroup/"))) {
    for (const m of local.world.tables.thingGroups.get(nameOf(t))?.members ?? []) names.add(m);
  }
  return [...names];
}

/**
 * Rehearses the job `jobId` (created on `local`, which holds rollouts) under
 * the resource id `job`; `events` is the endpoint's execution event log.
 */
export async function rehearseJob(
  local: LocalIoT,
  client: IoTClient,
  job: { resourceId: string; jobId: string },
  events: RehearsalEvents,
  options: RehearsalOptions = {},
): Promise<Rehearsal> {
  const opts = { ...options, devices: options.devices ?? DEFAULT_DEVICES, seed: options.seed ?? 1 };
  const horizon = options.horizonMinutes ?? DEFAULT_HORIZON_MINUTES;
  const described = (await client.send(new DescribeJobCommand({ jobId: job.jobId }))).job!;
  const notes: string[] = [...(options.notes ?? [])];
  const devices = await giveDevices(local, described.targets ?? [], opts, notes);
  const installs = described.destinationPackageVersions ?? [];
  const fleet = installs.length > 0 ? devicesBehind(local, described.targets ?? []) : [];
  const had = new Map(fleet.map((thing) => [thing, installedVersions(local, thing)]));
  const startMs = local.world.nowMs();
  const before = events.length;
  await local.releaseJob(job.jobId);
  let minutes = 0;
  const status = () => local.world.tables.jobs.get(job.jobId)?.status;
  while (!isFinishedJob(status()) && minutes < horizon) {
    local.advanceTime(MINUTE);
    minutes += 1;
  }
  const final = (await client.send(new DescribeJobCommand({ jobId: job.jobId }))).job!;
  if (!isFinishedJob(final.status)) notes.push(`the horizon (${count(horizon)} minutes) passed with the job ${final.status}`);
  const { executions, attempts, statusOf } = results(local, job.jobId, devices);
  const ends = fleet.map((thing) => ({ thing, status: statusOf(thing) }));
  return {
    formatVersion: REHEARSAL_FORMAT_VERSION,
    job: job.resourceId,
    jobId: job.jobId,
    devices,
    seed: opts.seed,
    behaviour: { ...DEFAULT_BEHAVIOUR, ...opts.behaviour },
    horizonMinutes: horizon,
    start: new Date(startMs).toISOString(),
    settings: {
      ...rolloutSettings(final, "SNAPSHOT"),
      ...(final.schedulingConfig && Object.keys(final.schedulingConfig).length ? { schedulingConfig: final.schedulingConfig } : {}),
    },
    outcome: final.status ?? "UNKNOWN",
    ...(final.status === "CANCELED" && final.reasonCode ? { reasonCode: final.reasonCode } : {}),
    minutes,
    executions,
    attempts,
    ...(installs.length > 0
      ? { packageVersions: versionCounts(await resolveDefaults(client, installs), ends, (t) => had.get(t) ?? {}) }
      : {}),
    timeline: timelineSince(events, before, startMs, minutes),
    notRehearsed: [...(options.notRehearsed ?? [])],
    notes,
  };
}

/** What the rehearsal reads from a Rollout's output (src/provider/kinds/rollout/props.ts). */
export interface RolloutOutput {
  jobId: string;
  fleetArn?: string;
  waves: Array<{ name: string; targets?: unknown[]; percent?: number }>;
  currentWave: number;
  progress: Array<{ name: string; startedAt?: string; group?: string; devices?: number }>;
  outcome: "in-progress" | "completed" | "cancelled" | "held";
  lastVerdict?: string;
}

export const DEFAULT_DEPLOY_EVERY_MINUTES = 15;

/** The share of the fleet's devices the rehearsal puts in an explicit wave group that has no members (a canary). */
const EXPLICIT_GROUP_SHARE = 0.05;

const groupName = (target: unknown): string | undefined => {
  if (typeof target !== "string") {
    const name = (target as { thingGroupName?: string } | undefined)?.thingGroupName;
    return typeof name === "string" ? name : undefined;
  }
  if (target.includes(":thing/")) return undefined;
  return target.includes(":thinggroup/") ? nameOf(target) : target;
};

/**
 * Rehearses a Rollout whose first deploy (the program's run) created its job
 * on `local`, held: gives the fleet simulated devices (and an empty explicit
 * wave group, a canary, a share of them), releases the job, and advances the
 * clock a minute at a time; every `deployEvery` minutes `deploy` runs the
 * program again, as a scheduled deploy would, so the Rollout's own gates
 * decide. Stops when the rollout completes, is cancelled or held, or at the
 * horizon. Later waves' AssociateTargetsWithJob reach their devices at the
 * job's rollout rate (a released job is not held again).
 */
export async function rehearseRollout(
  local: LocalIoT,
  client: IoTClient,
  rollout: { resourceId: string; latest: () => RolloutOutput; deploy: () => Promise<unknown> },
  events: RehearsalEvents,
  options: RehearsalOptions & { deployEvery?: number } = {},
): Promise<Rehearsal> {
  const opts = { ...options, devices: options.devices ?? DEFAULT_DEVICES, seed: options.seed ?? 1 };
  const horizon = options.horizonMinutes ?? DEFAULT_HORIZON_MINUTES;
  const every = options.deployEvery ?? DEFAULT_DEPLOY_EVERY_MINUTES;
  const first = rollout.latest();
  const jobId = first.jobId;
  const notes: string[] = [...(options.notes ?? [])];
  const explicit = [...new Set(first.waves.flatMap((w) => (w.targets ?? []).map(groupName).filter((g): g is string => !!g)))];
  const fleetGroup = first.fleetArn ? groupName(first.fleetArn) : undefined;
  let devices: number;
  if (fleetGroup) {
    devices = await giveDevices(local, [local.world.arn(`thinggroup/${fleetGroup}`)], opts, notes);
    const members = [...(local.world.tables.thingGroups.get(fleetGroup)?.members ?? [])].sort();
    const share = Math.max(1, Math.round(members.length * EXPLICIT_GROUP_SHARE));
    const step = Math.max(1, Math.floor(members.length / share));
    let next = 0;
    for (const g of explicit) {
      if ((local.world.tables.thingGroups.get(g)?.members.length ?? 0) > 0) continue;
      // Spread over the fleet (every step-th device), a different offset per group.
      const picked = Array.from({ length: Math.min(share, members.length) }, (_, i) => members[(next + i * step) % members.length]);
      next += 1;
      for (const thing of picked) await client.send(new AddThingToThingGroupCommand({ thingGroupName: g, thingName: thing }));
      notes.push(
        `thing group ${g} had no devices: the rehearsal put ${count(picked.length)} of the fleet's devices in it (${EXPLICIT_GROUP_SHARE * 100} %, spread over the fleet)`,
      );
    }
  } else {
    devices = await giveDevices(
      local,
      explicit.map((g) => local.world.arn(`thinggroup/${g}`)),
      opts,
      notes,
    );
  }
  const startMs = local.world.nowMs();
  const before = events.length;
  await local.releaseJob(jobId);
  let minutes = 0;
  let deploys = 1;
  while (rollout.latest().outcome === "in-progress" && minutes < horizon) {
    local.advanceTime(MINUTE);
    minutes += 1;
    if (minutes % every !== 0) continue;
    deploys += 1;
    const error = await rollout.deploy();
    if (error && rollout.latest().outcome === "in-progress") {
      throw new RehearsalError(`the deploy at minute ${minutes} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const last = rollout.latest();
  const final = (await client.send(new DescribeJobCommand({ jobId }))).job!;
  if (last.outcome === "in-progress")
    notes.push(`the horizon (${count(horizon)} minutes) passed with the rollout in wave ${last.currentWave + 1} of ${last.waves.length}`);
  notes.push(
    `the program's deploy ran ${count(deploys)} times, every ${plural(every)}${last.lastVerdict ? `; the last gate: ${last.lastVerdict}` : ""}`,
  );
  const { executions, attempts, statusOf } = results(local, jobId, devices);
  const outcome = { completed: "COMPLETED", cancelled: "CANCELED", held: "HELD", "in-progress": final.status ?? "IN_PROGRESS" }[
    last.outcome
  ];
  const stoppedOn = last.outcome === "cancelled" || last.outcome === "held" ? last.waves[last.currentWave]?.name : undefined;
  return {
    formatVersion: REHEARSAL_FORMAT_VERSION,
    job: rollout.resourceId,
    jobId,
    devices,
    seed: opts.seed,
    behaviour: { ...DEFAULT_BEHAVIOUR, ...opts.behaviour },
    horizonMinutes: horizon,
    start: new Date(startMs).toISOString(),
    settings: rolloutSettings(final, "CONTINUOUS"),
    outcome,
    ...(stoppedOn ? { wave: stoppedOn } : {}),
    ...(final.status === "CANCELED" && final.reasonCode ? { reasonCode: final.reasonCode } : {}),
    minutes,
    executions,
    attempts,
    waves: waveReports(local, last, statusOf, startMs),
    deployEveryMinutes: every,
    timeline: timelineSince(events, before, startMs, minutes),
    notRehearsed: [...(options.notRehearsed ?? [])],
    notes,
  };
}

const plural = (m: number) => (m === 1 ? "minute" : `${count(m)} minutes`);

/** Each wave's devices: the members of its groups that no earlier wave reached, with how their executions ended. */
function waveReports(local: LocalIoT, r: RolloutOutput, statusOf: StatusOf, startMs: number): WaveReport[] {
  const seen = new Set<string>();
  const fleet = r.fleetArn ? groupName(r.fleetArn) : undefined;
  return r.waves.map((wave, i) => {
    const progress = r.progress.find((p) => p.name === wave.name);
    const started = i <= r.currentWave && progress !== undefined;
    const things: string[] = [];
    if (started) {
      const groups =
        wave.percent === undefined ? (wave.targets ?? []).map(groupName) : [progress.group ?? (wave.percent >= 100 ? fleet : undefined)];
      const names = new Set<string>();
      for (const t of wave.targets ?? []) if (typeof t === "string" && t.includes(":thing/")) names.add(nameOf(t));
      for (const g of groups) for (const m of (g && local.world.tables.thingGroups.get(g)?.members) || []) names.add(m);
      for (const m of names) {
        if (seen.has(m)) continue;
        seen.add(m);
        things.push(m);
      }
    }
    const ended = (s: string[]) => things.filter((t) => s.includes(statusOf(t))).length;
    const failedHere = (r.outcome === "cancelled" || r.outcome === "held") && i === r.currentWave;
    const passed = started && (i < r.currentWave || r.outcome === "completed");
    return {
      name: wave.name,
      startMinute: started && progress.startedAt ? Math.round((Date.parse(progress.startedAt) - startMs) / MINUTE) : null,
      devices: things.length,
      succeeded: ended(["SUCCEEDED"]),
      failed: ended(["FAILED", "REJECTED", "TIMED_OUT"]),
      gate: failedHere ? "failed" : passed ? "passed" : "pending",
    };
  });
}
