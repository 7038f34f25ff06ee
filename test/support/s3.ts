/**
 * A real S3 implementation for the tests: moto's S3 server
 * (`python3 -m moto.server`, which honours the conditional writes
 * `If-None-Match: *` and `If-Match` that the stage lock relies on), started on
 * a free loopback port, behind a small HTTP proxy in this process that counts
 * every request by method, so a test can say "zero writes to the bucket".
 *
 * Where moto is not installed, `startS3()` returns undefined and the suites
 * that need it skip, saying so loudly; with ALCHEMY_IOT_REQUIRE_S3=1 (set by
 * .ci/run) it throws instead: CI never skips them.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

export interface S3Request {
  method: string;
  /** Path and query, e.g. `/bucket/alchemy/app/dev/t1`. */
  path: string;
  status?: number;
}

export interface S3Server {
  /** The proxy's URL: what AWS_ENDPOINT_URL_S3 points at. */
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Requests since the last reset, in order. */
  requests: S3Request[];
  resetRequests(): void;
  /** Requests that write (PUT, POST, DELETE) since the last reset. */
  writes(): S3Request[];
  /** A client for out-of-band checks (path-style, as for any custom endpoint). */
  client: S3Client;
  createBucket(name: string): Promise<void>;
  /**
   * The environment a child process needs to reach this S3 as it would reach
   * AWS's: its endpoint. (moto accepts any credentials, so a child's
   * credentials can be those of the IoT endpoint it also talks to.)
   */
  env(): Record<string, string>;
  stop(): Promise<void>;
}

/** Is moto's server there to be started? */
export function motoAvailable(): boolean {
  return spawnSync("python3", ["-c", "import moto.server"], { stdio: "ignore" }).status === 0;
}

const MISSING =
  "moto's S3 server is not installed (python3 -m moto.server): the S3 state store and lock suites are skipped. " +
  "Install it with `pip install 'moto[server]'` to run them; CI (.ci/run) requires them.";

/** Starts moto's S3 server and the counting proxy; undefined (after a loud warning) when moto is not installed and not required. */
export async function startS3(): Promise<S3Server | undefined> {
  if (!motoAvailable()) {
    if (process.env.ALCHEMY_IOT_REQUIRE_S3 === "1") throw new Error(MISSING.replace("are skipped", "cannot run"));
    console.warn(`\n⚠ ${MISSING}\n`);
    return undefined;
  }
  // moto needs none of the AWS_* settings, and some break it: with AWS_PROFILE="" (as the test
  // runner sets it, vitest.config.ts) every error response (NoSuchKey, NoSuchBucket) becomes an HTTP 500.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("AWS_")));
  const moto = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"], { stdio: ["ignore", "pipe", "pipe"], env });
  const upstream = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`moto's S3 server did not start within 30 s:\n${out}`)), 30_000);
    const seen = (d: Buffer) => {
      out += d;
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    moto.stdout!.on("data", seen);
    moto.stderr!.on("data", seen);
    moto.on("exit", (code) => reject(new Error(`moto's S3 server exited (${code}) before it started:\n${out}`)));
  });
  const target = new URL(upstream);
  const requests: S3Request[] = [];
  const proxy = http.createServer((req, res) => {
    const record: S3Request = { method: req.method ?? "", path: req.url ?? "" };
    requests.push(record);
    const forward = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        record.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", (error) => {
      record.status = 502;
      res.writeHead(502).end(String(error));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const region = "us-east-1";
  const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
  const client = new S3Client({ endpoint, region, credentials, forcePathStyle: true });
  return {
    endpoint,
    region,
    credentials,
    requests,
    resetRequests: () => void requests.splice(0),
    writes: () => requests.filter((r) => r.method === "PUT" || r.method === "POST" || r.method === "DELETE"),
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    env: () => ({ AWS_ENDPOINT_URL_S3: endpoint }),
    async stop() {
      client.destroy();
      await new Promise((resolve) => proxy.close(resolve));
      proxy.closeAllConnections?.();
      await stopProcess(moto);
    },
  };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
