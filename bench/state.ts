/**
 * Team state on S3 (moto's S3 server, behind a proxy that counts requests): a
 * deploy of BENCH_STATE_RESOURCES job templates (default 100) with
 * S3StateStore and its stage lease, then a no-op redeploy, then a preview
 * from another folder: every S3 request, by what it is for.
 *
 *   state.<case>.state_writes   PUT/DELETE of state objects (Alchemy's own writes)
 *   state.<case>.state_reads    GET of state objects, and LIST of the stage
 *   state.<case>.lock_requests  requests on the lease's objects (<prefix>.locks/...)
 *   state.<case>.other          anything else (the bucket check)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLocalIoT } from "../src/local/index.ts";
import { startS3, type S3Request } from "../test/support/s3.ts";
import type { Report } from "./report.ts";
import { endpointEnv, must, runNode } from "./run-program.ts";

const N = Number(process.env.BENCH_STATE_RESOURCES ?? "100");
const program = path.join("test", "reliability", "fixtures", "program.run.ts");
const BUCKET = "bench-state";

function classify(requests: S3Request[]) {
  const lock = requests.filter((r) => r.path.includes("/.locks/"));
  const state = requests.filter((r) => !r.path.includes("/.locks/") && (r.path.includes("/alchemy/") || r.path.includes("prefix=alchemy")));
  return {
    state_writes: state.filter((r) => r.method === "PUT" || r.method === "DELETE").length,
    state_reads: state.filter((r) => r.method === "GET" || r.method === "HEAD").length,
    lock_requests: lock.length,
    other: requests.length - lock.length - state.length,
    total: requests.length,
  };
}

export async function run(report: Report): Promise<void> {
  const s3 = await startS3();
  if (!s3) throw new Error("moto's S3 server is needed for this benchmark (python3 -m moto.server)");
  const local = await startLocalIoT({ port: 0 });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-bench-state-"));
  try {
    await s3.createBucket(BUCKET);
    const declarations = Array.from({ length: N }, (_, i) => ({
      kind: "JobTemplate",
      id: `tpl-${i}`,
      props: { jobTemplateId: `state-bench-${i}`, description: `template ${i}`, document: { op: "x", i } },
    }));
    const env = endpointEnv(local, root, {
      ...s3.env(),
      STATE_BUCKET: BUCKET,
      PROGRAM: JSON.stringify(declarations),
      PROGRAM_APP: "bench",
    });
    report("state.resources", N);
    for (const [name, args] of [
      ["deploy", [program, "--stage", "bench"]],
      ["noop_redeploy", [program, "--stage", "bench"]],
      ["preview", ["src/cli/index.ts", "preview", program, "--stage", "bench", "--format", "json"]],
      ["destroy", [program, "--stage", "bench", "--destroy"]],
    ] as const) {
      s3.resetRequests();
      must(await runNode([...args], env), name);
      for (const [figure, value] of Object.entries(classify(s3.requests))) report(`state.${name}.${figure}`, value);
    }
  } finally {
    await local.stop();
    await s3.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
