/**
 * How long a rehearsal of 10,000 devices takes (`npm run bench -- rehearsal`):
 *
 * - rehearsal.cli_ms: `alchemy-iot-jobs rehearse` end to end on a program
 *   (the test fixture: one group, the job on it), 10,000 devices, defaults
 *   (every device succeeds in a minute; IoT's default rate, 1,000 a minute);
 * - rehearsal.mixed_ms: the rehearsal alone (in this process), 10,000
 *   devices at 200 a minute with failures, rejections, hangs and offline
 *   devices, a timeout and retries, to the job's end;
 * - rehearsal.week_ms: a continuous job on 10,000 devices run to the 7-day
 *   horizon (10,080 virtual minutes).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { CreateJobCommand, CreateThingGroupCommand, type CreateJobCommandInput } from "@aws-sdk/client-iot";
import { localClient } from "../src/provider/client.ts";
import { startLocalIoT, type DeviceBehaviour, type ExecutionEvent } from "../src/local/index.ts";
import { rehearseJob } from "../src/rehearsal/rehearse.ts";
import type { Report } from "./report.ts";

const repo = path.resolve(import.meta.dirname, "..");
const DEVICES = 10_000;

async function inProcess(
  job: Partial<CreateJobCommandInput>,
  behaviour: Partial<DeviceBehaviour>,
): Promise<{ ms: number; minutes: number; attempts: number }> {
  const events: ExecutionEvent[] = [];
  const local = await startLocalIoT({ virtualClock: Date.UTC(2030, 0, 7), holdRollouts: true, onExecution: (e) => events.push(e) });
  try {
    const client = localClient(local);
    const group = await client.send(new CreateThingGroupCommand({ thingGroupName: "fleet" }));
    await client.send(new CreateJobCommand({ jobId: "fw", targets: [group.thingGroupArn!], document: "{}", ...job }));
    const t = performance.now();
    const r = await rehearseJob(local, client, { resourceId: "firmware", jobId: "fw" }, events, { devices: DEVICES, behaviour });
    return { ms: Math.round(performance.now() - t), minutes: r.minutes, attempts: r.attempts };
  } finally {
    await local.stop();
  }
}

function cli(): Promise<number> {
  const t = performance.now();
  const args = [
    path.join(repo, "src/cli/index.ts"),
    "rehearse",
    path.join(repo, "test/rehearsal/fixtures/fleet.run.ts"),
    "--job",
    "firmware",
    "--devices",
    String(DEVICES),
    "--format",
    "json",
  ];
  const env = {
    ...process.env,
    ALCHEMY_TELEMETRY_DISABLED: "1",
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --conditions=@alchemy-iot-jobs/source`.trim(),
  };
  return new Promise((resolve, reject) => {
    execFile(path.join(repo, "node_modules/.bin/tsx"), args, { env, maxBuffer: 64 * 1024 * 1024, cwd: repo }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`rehearse failed: ${stderr}`));
      const outcome = (JSON.parse(stdout) as { outcome: string }).outcome;
      if (outcome !== "COMPLETED") return reject(new Error(`rehearse ended ${outcome}`));
      resolve(Math.round(performance.now() - t));
    });
  });
}

export async function run(report: Report): Promise<void> {
  report("rehearsal.devices", DEVICES);
  report("rehearsal.cli_ms", await cli());
  const mixed = await inProcess(
    {
      jobExecutionsRolloutConfig: { maximumPerMinute: 200 },
      timeoutConfig: { inProgressTimeoutInMinutes: 30 },
      jobExecutionsRetryConfig: { criteriaList: [{ failureType: "ALL", numberOfRetries: 2 }] },
    },
    { failRate: 0.1, rejectRate: 0.02, hangRate: 0.03, offlineRate: 0.01, runMinutes: 5 },
  );
  report("rehearsal.mixed_ms", mixed.ms);
  report("rehearsal.mixed_virtual_minutes", mixed.minutes);
  report("rehearsal.mixed_attempts", mixed.attempts);
  const week = await inProcess({ targetSelection: "CONTINUOUS" }, {});
  report("rehearsal.week_ms", week.ms);
  report("rehearsal.week_virtual_minutes", week.minutes);
}
