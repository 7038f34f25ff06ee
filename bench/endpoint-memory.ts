/**
 * What a long run costs the endpoint in memory: BENCH_MEMORY_REQUESTS
 * (default 100,000) signed ListJobTemplates requests over 8 keep-alive
 * connections, in-process, without a resetStats(). The same signed request is
 * sent each time (a signature stays valid for 15 minutes), so the load
 * generator costs little.
 *
 *   endpoint_memory.heap_growth_mb   heap in use after the run minus before (after a full GC)
 *   endpoint_memory.calls_kept       records in stats().calls (at most maxCallRecords)
 *   endpoint_memory.stats_kb         size of the GET /_local/stats answer
 */
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import http from "node:http";
import v8 from "node:v8";
import vm from "node:vm";
import { startLocalIoT, type LocalIoT } from "../src/local/index.ts";
import type { Report } from "./report.ts";

const REQUESTS = Number(process.env.BENCH_MEMORY_REQUESTS ?? "100000");
const CONCURRENCY = 8;

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

async function signedGet(local: LocalIoT, path: string): Promise<Record<string, string>> {
  const url = new URL(path, local.endpoint);
  const signer = new SignatureV4({
    credentials: local.credentials,
    region: local.region,
    service: "iot",
    sha256: Hash.bind(null, "sha256"),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: "GET",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers: { host: url.host },
    }),
  );
  return signed.headers as Record<string, string>;
}

function get(agent: http.Agent, local: LocalIoT, path: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${local.endpoint}${path}`, { agent, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode} ${text}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

export async function run(report: Report): Promise<void> {
  const local = await startLocalIoT({ port: 0 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const list = await signedGet(local, "/job-templates");
    const before = heapMb();
    let sent = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (sent < REQUESTS) {
          sent++;
          await get(agent, local, "/job-templates", list);
        }
      }),
    );
    report("endpoint_memory.requests", local.stats().requests);
    report("endpoint_memory.heap_growth_mb", heapMb() - before);
    report("endpoint_memory.calls_kept", local.stats().calls.length);
    const stats = await get(agent, local, "/_local/stats", await signedGet(local, "/_local/stats"));
    report("endpoint_memory.stats_kb", Buffer.byteLength(stats) / 1024);
  } finally {
    agent.destroy();
    await local.stop();
  }
}
