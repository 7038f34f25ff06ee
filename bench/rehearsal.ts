/**
 * How long rehearsals take, and at fleet scale how much memory (`npm run bench -- rehearsal`):
 *
 * - rehearsal.cli_ms: `alchemy-iot-jobs rehearse` end to end on a program
 *   (the test fixture: one group, the job on it), 10,000 devices, defaults
 *   (every device succeeds in a minute; IoT's default rate, 1,000 a minute);
 * - rehearsal.mixed_ms: the rehearsal alone (in this process), 10,000
 *   devices at 200 a minute with failures, rejections, hangs and offline
 *   devices, a timeout and retries, to the job's end;
 * - rehearsal.week_ms: a continuous job on 10,000 devices run to the 7-day
 *   horizon (10,080 virtual minutes);
 * - rehearsal.<size>.<scenario>.*: fleet scale. For each size (10k, 100k, 1m
 *   devices; BENCH_REHEARSAL_SIZES=10000,100000 for a quick run) and scenario,
 *   rehearseJob runs in a child process of its own (so that peak RSS, the
 *   child's maxRSS, is that rehearsal's alone), BENCH_REHEARSAL_RUNS times
 *   (default 2); best and spread (max - min) are reported. Scenarios, both at
 *   the default rate (1,000 a minute):
 *     default  every device succeeds after a minute (the job completes);
 *     failing  5 % of attempts fail, 1 % hang, 2 % of devices are offline,
 *              a 10-minute in-progress timeout, 2 retries on any failure
 *              (offline devices keep their executions QUEUED, so the job runs
 *              to the 7-day horizon, as it would on AWS).
 *   Figures: wall_s (rehearseJob: devices made, the rollout simulated, the
 *   report built), peak_rss_mb, each beside its goal (1,000,000 devices in at
 *   most 60 s and 4 GiB, the same goals shown at every size) as a ratio, and
 *   us_per_device and rss_bytes_per_device (maxRSS minus the RSS before the
 *   rehearsal) to show how cost grows with the fleet.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CreateJobCommand, CreateThingGroupCommand, type CreateJobCommandInput } from "@aws-sdk/client-iot";
import { localClient } from "../src/provider/client.ts";
import { startLocalIoT, type DeviceBehaviour } from "../src/local/index.ts";
import { ExecutionLog } from "../src/rehearsal/event-log.ts";
import { rehearseJob } from "../src/rehearsal/rehearse.ts";
import type { Report } from "./report.ts";

const repo = path.resolve(import.meta.dirname, "..");
const DEVICES = 10_000;
const WALL_GOAL_S = 60;
const RSS_GOAL_MB = 4096;
const CHILD_FLAG = "--rehearsal-child";

interface Scenario {
  job: Partial<CreateJobCommandInput>;
  behaviour: Partial<DeviceBehaviour>;
}

const SCENARIOS: Record<string, Scenario> = {
  default: { job: {}, behaviour: {} },
  failing: {
    job: {
      timeoutConfig: { inProgressTimeoutInMinutes: 10 },
      jobExecutionsRetryConfig: { criteriaList: [{ failureType: "ALL", numberOfRetries: 2 }] },
    },
    behaviour: { failRate: 0.05, hangRate: 0.01, offlineRate: 0.02 },
  },
};

interface Run {
  ms: number;
  minutes: number;
  attempts: number;
  outcome: string;
  /** Peak resident set of the process, MB. */
  maxRssMb: number;
  /** Resident set just before the rehearsal, MB. */
  startRssMb: number;
}

async function inProcess(devices: number, { job, behaviour }: Scenario): Promise<Run> {
  const events = new ExecutionLog();
  const local = await startLocalIoT({ virtualClock: Date.UTC(2030, 0, 7), holdRollouts: true, onExecution: events.record });
  try {
    const client = localClient(local);
    const group = await client.send(new CreateThingGroupCommand({ thingGroupName: "fleet" }));
    await client.send(new CreateJobCommand({ jobId: "fw", targets: [group.thingGroupArn!], document: "{}", ...job }));
    const startRssMb = process.memoryUsage().rss / 2 ** 20;
    const t = performance.now();
    const r = await rehearseJob(local, client, { resourceId: "firmware", jobId: "fw" }, events, { devices, behaviour });
    const ms = performance.now() - t;
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    return { ms, minutes: r.minutes, attempts: r.attempts, outcome: r.outcome, maxRssMb, startRssMb };
  } finally {
    await local.stop();
  }
}

function tsx(args: string[]): Promise<string> {
  const env = {
    ...process.env,
    ALCHEMY_TELEMETRY_DISABLED: "1",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --conditions=@alchemy-iot-jobs/source`.trim(),
  };
  return new Promise((resolve, reject) => {
    execFile(path.join(repo, "node_modules/.bin/tsx"), args, { env, maxBuffer: 64 * 1024 * 1024, cwd: repo }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${args.join(" ")} failed: ${stderr || error.message}`));
      resolve(stdout);
    });
  });
}

async function cli(): Promise<number> {
  const t = performance.now();
  const stdout = await tsx([
    path.join(repo, "src/cli/index.ts"),
    "rehearse",
    path.join(repo, "test/rehearsal/fixtures/fleet.run.ts"),
    "--job",
    "firmware",
    "--devices",
    String(DEVICES),
    "--format",
    "json",
  ]);
  const outcome = (JSON.parse(stdout) as { outcome: string }).outcome;
  if (outcome !== "COMPLETED") throw new Error(`rehearse ended ${outcome}`);
  return Math.round(performance.now() - t);
}

/** One rehearsal in a child process of its own. */
async function inChild(devices: number, scenario: string): Promise<Run> {
  const stdout = await tsx([fileURLToPath(import.meta.url), CHILD_FLAG, String(devices), scenario]);
  return JSON.parse(stdout.trim().split("\n").pop()!) as Run;
}

const label = (n: number) => (n % 1_000_000 === 0 ? `${n / 1_000_000}m` : n % 1000 === 0 ? `${n / 1000}k` : String(n));

function sizes(): number[] {
  const given = process.env.BENCH_REHEARSAL_SIZES;
  const list = given ? given.split(",").map((s) => Number(s.trim())) : [10_000, 100_000, 1_000_000];
  for (const n of list)
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new Error(`BENCH_REHEARSAL_SIZES: ${n} is not 1 to 1,000,000`);
  return list;
}

async function fleetScale(report: Report): Promise<void> {
  const runs = Number(process.env.BENCH_REHEARSAL_RUNS ?? "2");
  for (const devices of sizes()) {
    for (const scenario of Object.keys(SCENARIOS)) {
      const results: Run[] = [];
      for (let i = 0; i < runs; i++) {
        process.stderr.write(`rehearsal: ${devices} devices, ${scenario}, run ${i + 1} of ${runs}\n`);
        results.push(await inChild(devices, scenario));
      }
      const name = `rehearsal.${label(devices)}.${scenario}`;
      const walls = results.map((r) => r.ms / 1000);
      const rss = results.map((r) => r.maxRssMb);
      const wall = Math.min(...walls);
      const peak = Math.min(...rss);
      const best = results[walls.indexOf(wall)];
      report(`${name}.devices`, devices);
      report(`${name}.outcome`, best.outcome);
      report(`${name}.virtual_minutes`, best.minutes);
      report(`${name}.attempts`, best.attempts);
      report(`${name}.wall_s`, wall);
      report(`${name}.wall_spread_s`, Math.max(...walls) - wall);
      report(`${name}.wall_goal_s`, WALL_GOAL_S);
      report(`${name}.wall_ratio_to_goal`, wall / WALL_GOAL_S);
      report(`${name}.us_per_device`, (wall * 1e6) / devices);
      report(`${name}.peak_rss_mb`, Math.round(peak));
      report(`${name}.peak_rss_spread_mb`, Math.round(Math.max(...rss) - peak));
      report(`${name}.rss_goal_mb`, RSS_GOAL_MB);
      report(`${name}.rss_ratio_to_goal`, peak / RSS_GOAL_MB);
      const grown = results.map((r) => ((r.maxRssMb - r.startRssMb) * 2 ** 20) / devices);
      report(`${name}.rss_bytes_per_device`, Math.round(Math.min(...grown)));
    }
  }
}

export async function run(report: Report): Promise<void> {
  report("rehearsal.devices", DEVICES);
  report("rehearsal.cli_ms", await cli());
  const mixed = await inProcess(DEVICES, {
    job: {
      jobExecutionsRolloutConfig: { maximumPerMinute: 200 },
      timeoutConfig: { inProgressTimeoutInMinutes: 30 },
      jobExecutionsRetryConfig: { criteriaList: [{ failureType: "ALL", numberOfRetries: 2 }] },
    },
    behaviour: { failRate: 0.1, rejectRate: 0.02, hangRate: 0.03, offlineRate: 0.01, runMinutes: 5 },
  });
  report("rehearsal.mixed_ms", Math.round(mixed.ms));
  report("rehearsal.mixed_virtual_minutes", mixed.minutes);
  report("rehearsal.mixed_attempts", mixed.attempts);
  const week = await inProcess(DEVICES, { job: { targetSelection: "CONTINUOUS" }, behaviour: {} });
  report("rehearsal.week_ms", Math.round(week.ms));
  report("rehearsal.week_virtual_minutes", week.minutes);
  await fleetScale(report);
}

// The child of fleetScale: `tsx bench/rehearsal.ts --rehearsal-child <devices> <scenario>` prints one Run as JSON.
const child = process.argv.indexOf(CHILD_FLAG);
if (child !== -1 && process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const devices = Number(process.argv[child + 1]);
  const scenario = SCENARIOS[process.argv[child + 2]];
  if (!scenario) throw new Error(`unknown scenario ${process.argv[child + 2]}`);
  process.stdout.write(`${JSON.stringify(await inProcess(devices, scenario))}\n`);
}
