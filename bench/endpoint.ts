/**
 * Throughput and latency of the local IoT Jobs endpoint under a mixed
 * workload, over keep-alive connections.
 *
 * The endpoint runs in a child process (bench/endpoint-server.ts), so on a
 * 2-core machine the server and the load generator each get a core. The load
 * generator runs CONCURRENCY virtual clients; each repeats a cycle of six
 * requests, in order, on its own keep-alive connection:
 *
 *   CreateJobTemplate (new id)   PUT    /job-templates/{id}
 *   DescribeJobTemplate (it)     GET    /job-templates/{id}
 *   ListJobTemplates             GET    /job-templates?maxResults=10
 *   DescribeJob                  GET    /jobs/bench-job
 *   DescribeJobTemplate (seeded) GET    /job-templates/bench-seed-{n}
 *   DeleteJobTemplate (it)       DELETE /job-templates/{id}
 *
 * Every request is SigV4-signed with @smithy/signature-v4 (the signer the SDK
 * uses), for service "iot", and fully verified by the endpoint. The requests
 * are signed and serialised to bytes before the timed phase, and each virtual
 * client writes them on a raw keep-alive socket and reads the answers with a
 * minimal HTTP/1.1 response parser, so that the load generator's own CPU cost
 * stays small (node:http's client costs more per request than the endpoint
 * now does; signatures stay valid for 15 minutes). A second, smaller run
 * drives the same workload through the real @aws-sdk/client-iot for the
 * end-to-end figure an SDK user sees (client work included).
 *
 * Besides throughput and latency it reports the server process's CPU time per
 * request, which stays comparable between runs when other work competes for
 * the cores (throughput does not), and each figure with a goal beside its
 * goal: at least 10,000 requests a second with p99 under 5 ms (issue 23).
 * For calibration it also drives a plain node:http server (answering `{}` to
 * every request, no signature) with the same load generator: the floor the
 * machine allows at the moment of the run.
 *
 * The measured run is made in rounds (each on requests signed for it), and
 * each figure is the median of the rounds', the rounds' own beside it: on a
 * shared host one round can land on a busy moment.
 *
 * Environment knobs: BENCH_ENDPOINT_REQUESTS (per round, default 30000),
 * BENCH_ENDPOINT_ROUNDS (3),
 * BENCH_ENDPOINT_CONCURRENCY (8), BENCH_ENDPOINT_WARMUP (30000),
 * BENCH_ENDPOINT_SDK_REQUESTS (6000, 0 to skip), BENCH_ENDPOINT_PLAIN (1; 0 to
 * skip the plain node:http calibration), BENCH_CPU_PROF=<dir> (write a V8 CPU
 * profile of the server process there).
 */
import {
  CreateJobTemplateCommand,
  DeleteJobTemplateCommand,
  DescribeJobCommand,
  DescribeJobTemplateCommand,
  IoTClient,
  ListJobTemplatesCommand,
} from "@aws-sdk/client-iot";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { runSigned, serialise, type RunResult, type Signed } from "./endpoint-load.ts";
import type { Report } from "./report.ts";

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};

const SEED_TEMPLATES = 50;
/** Issue 23's goal: at least this many signed requests a second, with p99 under P99_GOAL_MS. */
const RPS_GOAL = 10_000;
const P99_GOAL_MS = 5;
const CYCLE = 6;
const DOCUMENT = JSON.stringify({ operation: "reboot", steps: [{ action: "restart", service: "agent" }] });

interface Server {
  endpoint: string;
  region: string;
  accountId: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  child: ChildProcess;
  /** The server process's CPU time so far, in microseconds. */
  cpuMicros(): Promise<number>;
}

/** One measured round's figures (latencies in ms, CPU in µs per request). */
interface Round {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  serverCpu: number;
  clientCpu: number;
}

interface Planned {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: string;
}

async function startServer(plain = false): Promise<Server> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const profDir = plain ? process.env.BENCH_CPU_PROF_PLAIN : process.env.BENCH_CPU_PROF;
  const child = spawn(
    process.execPath,
    [
      ...(profDir ? ["--cpu-prof", "--cpu-prof-dir", profDir] : []),
      "--import",
      "tsx",
      fileURLToPath(new URL("./endpoint-server.ts", import.meta.url)),
      ...(plain ? ["--plain"] : []),
    ],
    { cwd: root, stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } },
  );
  // The server answers on stdout, one JSON line per message.
  const waiting: Array<(line: string) => void> = [];
  let buffered = "";
  child.stdout!.on("data", (d) => {
    buffered += d;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      waiting.shift()?.(line);
    }
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      waiting.push(resolve);
      child.once("exit", (code) => reject(new Error(`endpoint server exited with ${code}`)));
    });
  const banner = JSON.parse(await nextLine());
  return {
    ...banner,
    child,
    async cpuMicros() {
      const answer = nextLine();
      child.stdin!.write("cpu\n");
      return JSON.parse(await answer).cpuMicros;
    },
  };
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.kill("SIGTERM");
  await exited;
}

function makeSigner(server: Server) {
  const url = new URL(server.endpoint);
  const signer = new SignatureV4({
    credentials: server.credentials,
    region: server.region,
    service: "iot",
    sha256: Hash.bind(null, "sha256"),
  });
  return async (p: Planned): Promise<Signed> => {
    const headers: Record<string, string> = { host: url.host };
    if (p.body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(p.body));
    }
    const signed = await signer.sign(
      new HttpRequest({
        method: p.method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: p.path,
        query: p.query,
        headers,
        body: p.body,
      }),
    );
    const qs = p.query ? `?${new URLSearchParams(p.query).toString()}` : "";
    return { method: p.method, path: p.path + qs, headers: signed.headers as Record<string, string>, body: p.body };
  };
}

/** The request sequence of one virtual client. */
function plan(phase: string, client: number, cycles: number): Planned[] {
  const out: Planned[] = [];
  for (let c = 0; c < cycles; c++) {
    const id = `${phase}-c${client}-${c}`;
    out.push(
      { method: "PUT", path: `/job-templates/${id}`, body: JSON.stringify({ description: "bench", document: DOCUMENT }) },
      { method: "GET", path: `/job-templates/${id}` },
      { method: "GET", path: "/job-templates", query: { maxResults: "10" } },
      { method: "GET", path: "/jobs/bench-job" },
      { method: "GET", path: `/job-templates/bench-seed-${(client * cycles + c) % SEED_TEMPLATES}` },
      { method: "DELETE", path: `/job-templates/${id}` },
    );
  }
  return out;
}

function send(agent: http.Agent, url: URL, r: Signed): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: url.hostname, port: url.port, method: r.method, path: r.path, headers: r.headers }, (res) => {
      res.on("data", () => {});
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(r.body);
  });
}

/** The same workload through the real SDK client (end to end, client work included). */
async function runSdk(server: Server, clients: number, cycles: number): Promise<RunResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const client = new IoTClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
    maxAttempts: 1,
    requestHandler: { httpAgent: agent },
  });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const timed = async (call: () => Promise<unknown>) => {
    const t0 = performance.now();
    try {
      await call();
    } catch (error) {
      errors++;
      firstError ??= String(error);
    }
    latencies.push(performance.now() - t0);
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, w) => {
      for (let c = 0; c < cycles; c++) {
        const jobTemplateId = `sdk-c${w}-${c}`;
        await timed(() => client.send(new CreateJobTemplateCommand({ jobTemplateId, description: "bench", document: DOCUMENT })));
        await timed(() => client.send(new DescribeJobTemplateCommand({ jobTemplateId })));
        await timed(() => client.send(new ListJobTemplatesCommand({ maxResults: 10 })));
        await timed(() => client.send(new DescribeJobCommand({ jobId: "bench-job" })));
        await timed(() =>
          client.send(new DescribeJobTemplateCommand({ jobTemplateId: `bench-seed-${(w * cycles + c) % SEED_TEMPLATES}` })),
        );
        await timed(() => client.send(new DeleteJobTemplateCommand({ jobTemplateId })));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  client.destroy();
  agent.destroy();
  return { requests: latencies.length, errors, seconds, latenciesMs: Float64Array.from(latencies), firstError };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function seed(server: Server): Promise<void> {
  const sign = makeSigner(server);
  const url = new URL(server.endpoint);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const thingArn = `arn:aws:iot:${server.region}:${server.accountId}:thing/bench-thing`;
  const setup: Planned[] = [
    { method: "POST", path: "/things/bench-thing", body: "{}" },
    { method: "PUT", path: "/jobs/bench-job", body: JSON.stringify({ targets: [thingArn], document: DOCUMENT, description: "bench" }) },
    ...Array.from({ length: SEED_TEMPLATES }, (_, i) => ({
      method: "PUT",
      path: `/job-templates/bench-seed-${i}`,
      body: JSON.stringify({ description: `seeded template ${i}`, document: DOCUMENT }),
    })),
  ];
  for (const p of setup) {
    const status = await send(agent, url, await sign(p));
    if (status !== 200) throw new Error(`seeding ${p.method} ${p.path} answered ${status}`);
  }
  agent.destroy();
}

export async function run(report: Report): Promise<void> {
  const requests = num("BENCH_ENDPOINT_REQUESTS", 30_000);
  const concurrency = Math.max(1, Math.floor(num("BENCH_ENDPOINT_CONCURRENCY", 8)));
  const warmup = num("BENCH_ENDPOINT_WARMUP", 30_000);
  const sdkRequests = num("BENCH_ENDPOINT_SDK_REQUESTS", 6_000);
  const plainRuns = num("BENCH_ENDPOINT_PLAIN", 1) > 0;
  const rounds = Math.max(1, Math.floor(num("BENCH_ENDPOINT_ROUNDS", 3)));
  const cyclesFor = (n: number) => Math.max(1, Math.ceil(n / (CYCLE * concurrency)));

  const server = await startServer();
  try {
    await seed(server);
    const sign = makeSigner(server);
    const signAll = async (phase: string, cycles: number) => {
      const sequences: Buffer[][] = [];
      const labels: string[][] = [];
      for (let w = 0; w < concurrency; w++) {
        const bytes: Buffer[] = [];
        const names: string[] = [];
        for (const p of plan(phase, w, cycles)) {
          bytes.push(serialise(await sign(p)));
          names.push(`${p.method} ${p.path}`);
        }
        sequences.push(bytes);
        labels.push(names);
      }
      return { sequences, labels };
    };

    if (warmup > 0) {
      console.error(`endpoint: warming up (${cyclesFor(warmup) * CYCLE * concurrency} requests)...`);
      const warm = await signAll("warm", cyclesFor(warmup));
      await runSigned(server.endpoint, warm.sequences, warm.labels);
    }
    // Rounds, each on requests of its own: a figure is the median of the rounds' (one round can land on a busy moment of the host).
    const measured: Round[] = [];
    for (let round = 1; round <= rounds; round++) {
      const { sequences, labels } = await signAll(`run${round}`, cyclesFor(requests));
      console.error(
        `endpoint: round ${round} of ${rounds}: measuring ${sequences.length * sequences[0].length} signed requests at concurrency ${concurrency}...`,
      );
      const cpuBefore = await server.cpuMicros();
      const clientBefore = process.cpuUsage();
      const result = await runSigned(server.endpoint, sequences, labels);
      const clientUsage = process.cpuUsage(clientBefore);
      const cpuMicros = (await server.cpuMicros()) - cpuBefore;
      if (result.firstError) console.error(`endpoint: first error: ${result.firstError}`);
      const sorted = Float64Array.from(result.latenciesMs).sort();
      measured.push({
        requests: result.requests,
        errors: result.errors,
        seconds: result.seconds,
        rps: result.requests / result.seconds,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted[sorted.length - 1],
        serverCpu: cpuMicros / result.requests,
        clientCpu: (clientUsage.user + clientUsage.system) / result.requests,
      });
    }
    const median = (figure: (r: Round) => number) => {
      const values = measured.map(figure).sort((a, b) => a - b);
      return values[Math.floor(values.length / 2)];
    };
    /** Reports the rounds' median of a figure, and each round's beside it (`<name>_by_round`); returns the median. */
    const medianAndRounds = (name: string, figure: (r: Round) => number, digits: number, shown = (m: number) => m) => {
      const m = median(figure);
      report(name, shown(m));
      report(`${name}_by_round`, measured.map((r) => figure(r).toFixed(digits)).join(" / "));
      return m;
    };
    report("endpoint.rounds", rounds);
    report("endpoint.requests_per_round", measured[0].requests);
    report("endpoint.concurrency", concurrency);
    report(
      "endpoint.errors",
      measured.reduce((n, r) => n + r.errors, 0),
    );
    report(
      "endpoint.duration_s",
      median((r) => r.seconds),
    );
    const rps = medianAndRounds("endpoint.throughput_rps", (r) => r.rps, 0, Math.round);
    report("endpoint.rps_goal", RPS_GOAL);
    report("endpoint.rps_ratio_to_goal", rps / RPS_GOAL);
    report(
      "endpoint.latency_p50_ms",
      median((r) => r.p50),
    );
    const p99 = medianAndRounds("endpoint.latency_p99_ms", (r) => r.p99, 2);
    report("endpoint.p99_goal_ms", P99_GOAL_MS);
    report("endpoint.p99_ratio_to_goal", p99 / P99_GOAL_MS);
    report(
      "endpoint.latency_max_ms",
      median((r) => r.max),
    );
    const serverCpu = medianAndRounds("endpoint.server_cpu_us_per_request", (r) => r.serverCpu, 1);
    // At the goal's rate one core has 1e6 / RPS_GOAL µs for each request.
    report("endpoint.server_cpu_us_per_request_goal", 1e6 / RPS_GOAL);
    report("endpoint.server_cpu_ratio_to_goal", serverCpu / (1e6 / RPS_GOAL));
    // The load generator's own cost: when it nears 1e6 / throughput, the client, not the server, is the limit.
    report(
      "endpoint.client_cpu_us_per_request",
      median((r) => r.clientCpu),
    );

    if (sdkRequests > 0) {
      console.error(
        `endpoint: the same workload through @aws-sdk/client-iot (${cyclesFor(sdkRequests) * CYCLE * concurrency} requests)...`,
      );
      const sdk = await runSdk(server, concurrency, cyclesFor(sdkRequests));
      if (sdk.firstError) console.error(`endpoint: first SDK error: ${sdk.firstError}`);
      const sdkSorted = Float64Array.from(sdk.latenciesMs).sort();
      report("endpoint.sdk.requests", sdk.requests);
      report("endpoint.sdk.errors", sdk.errors);
      report("endpoint.sdk.throughput_rps", Math.round(sdk.requests / sdk.seconds));
      report("endpoint.sdk.latency_p50_ms", percentile(sdkSorted, 50));
      report("endpoint.sdk.latency_p99_ms", percentile(sdkSorted, 99));
    }
  } finally {
    await stopServer(server);
  }
  if (plainRuns) await calibrate(report, concurrency, cyclesFor(requests));
}

/** The same load generator against a plain node:http server: the machine's floor at the moment of the run. */
async function calibrate(report: Report, concurrency: number, cycles: number): Promise<void> {
  const plain = await startServer(true);
  try {
    const url = new URL(plain.endpoint);
    const sequences = Array.from({ length: concurrency }, (_, w) =>
      plan("plain", w, cycles).map((p) => serialise({ method: p.method, path: p.path, headers: { host: url.host }, body: undefined })),
    );
    console.error(`endpoint: the same load against a plain node:http server (${sequences.length * sequences[0].length} requests)...`);
    await runSigned(
      plain.endpoint,
      sequences.map((s) => s.slice(0, Math.min(s.length, 1000))),
    );
    const cpuBefore = await plain.cpuMicros();
    const result = await runSigned(plain.endpoint, sequences);
    const cpuMicros = (await plain.cpuMicros()) - cpuBefore;
    const sorted = Float64Array.from(result.latenciesMs).sort();
    report("endpoint.plain_node.throughput_rps", Math.round(result.requests / result.seconds));
    report("endpoint.plain_node.latency_p99_ms", percentile(sorted, 99));
    report("endpoint.plain_node.server_cpu_us_per_request", cpuMicros / result.requests);
  } finally {
    await stopServer(plain);
  }
}
