/**
 * The endpoint under benchmark, in its own process (so it gets a core of its
 * own): starts `startLocalIoT({ port: 0 })` with default settings and prints
 * one JSON line with its endpoint, region and credentials. Each "cpu" line on
 * stdin is answered with a JSON line of the process's CPU time so far (in
 * microseconds), which the benchmark turns into CPU time per request: a figure
 * that, unlike throughput, barely moves when other work shares the machine.
 * Stops cleanly on SIGTERM or SIGINT (so `node --cpu-prof` can write its profile).
 */
import readline from "node:readline";
import { startLocalIoT } from "../src/local/index.ts";

const local = await startLocalIoT({ port: 0 });
process.stdout.write(
  `${JSON.stringify({ endpoint: local.endpoint, region: local.region, accountId: local.accountId, credentials: local.credentials })}\n`,
);

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "cpu") {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuMicros: user + system })}\n`);
  }
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await local.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
