/**
 * The endpoint under benchmark, in its own process (so it gets a core of its
 * own): starts `startLocalIoT({ port: 0 })` with default settings and prints
 * one JSON line with its endpoint, region and credentials. Each "cpu" line on
 * stdin is answered with a JSON line of the process's CPU time so far (in
 * microseconds), which the benchmark turns into CPU time per request: a figure
 * that, unlike throughput, barely moves when other work shares the machine.
 * Stops cleanly on SIGTERM or SIGINT (so `node --cpu-prof` can write its profile).
 *
 * With `--plain` it serves a plain node:http server instead, answering `{}`
 * to every request without looking at it: the floor the benchmark compares with.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import readline from "node:readline";
import { startLocalIoT } from "../src/local/index.ts";

async function startPlain(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": 2 });
    res.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const local = process.argv.includes("--plain") ? await startPlain() : await startLocalIoT({ port: 0 });
process.stdout.write(
  `${JSON.stringify("region" in local ? { endpoint: local.endpoint, region: local.region, accountId: local.accountId, credentials: local.credentials } : { endpoint: local.endpoint })}\n`,
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
