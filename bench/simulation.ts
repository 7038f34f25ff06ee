/**
 * The local endpoint's fleet simulation at scale: 10,000 simulated devices in
 * one thing group, a snapshot job at the default rollout rate (1,000 a
 * minute) and the default behaviour (every device succeeds after a minute),
 * run through advanceTime, a virtual minute at a time, until the job
 * completes (minute 10). The wall time covers creating the devices, the job
 * (through the real SDK) and the simulation.
 */
import { CreateJobCommand, DescribeJobCommand, IoTClient } from "@aws-sdk/client-iot";
import { startLocalIoT } from "../src/local/index.ts";
import type { Report } from "./report.ts";

const MINUTE = 60_000;
const DEVICES = 10_000;
const HORIZON_MINUTES = 7 * 24 * 60;

export async function benchSimulation(): Promise<{ devices: number; minutes: number; ms: number }> {
  const t0 = Date.UTC(2030, 0, 7, 0, 0);
  let events = 0;
  const local = await startLocalIoT({ virtualClock: t0, onExecution: () => events++ });
  try {
    const iot = new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
    const started = performance.now();
    await local.addSimulatedDevices({ thingGroupName: "bench-fleet", count: DEVICES, namePrefix: "bench-" });
    await iot.send(
      new CreateJobCommand({
        jobId: "bench-rollout",
        targets: [`arn:aws:iot:${local.region}:${local.accountId}:thinggroup/bench-fleet`],
        document: JSON.stringify({ operation: "bench" }),
      }),
    );
    let minutes = 0;
    while ((await iot.send(new DescribeJobCommand({ jobId: "bench-rollout" }))).job!.status !== "COMPLETED") {
      if (minutes >= HORIZON_MINUTES) throw new Error(`the job did not complete within ${HORIZON_MINUTES} virtual minutes`);
      local.advanceTime(MINUTE);
      minutes++;
    }
    const ms = performance.now() - started;
    if (events !== 3 * DEVICES) throw new Error(`expected ${3 * DEVICES} execution events, saw ${events}`);
    iot.destroy();
    return { devices: DEVICES, minutes, ms: Math.round(ms) };
  } finally {
    await local.stop();
  }
}

/** The benchmark-module shape of bench/index.ts. */
export async function run(report: Report): Promise<void> {
  const result = await benchSimulation();
  report("simulation.devices", result.devices);
  report("simulation.minutes", result.minutes);
  report("simulation.wall_ms", result.ms);
}
