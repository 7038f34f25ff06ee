/**
 * The local endpoint's HTTP surface against the official AWS IoT service model
 * (src/model/iot.generated.ts, generated from botocore's model), for every
 * operation it serves:
 *
 * 1. Routes: the route table is the model's (method and URI template), and a
 *    request sent through the real `@aws-sdk/client-iot` reaches the operation
 *    it was sent for and, when it succeeds, answers the model's success status.
 * 2. Response shapes: every member of every successful response body, at any
 *    depth, is a member of the model's output shape under that exact name,
 *    with the JSON type restJson1 gives the model type (timestamps as epoch
 *    seconds, enums among the model's values).
 * 3. Errors: every error answered (deliberate failures, the success scenario,
 *    and the throttling and 5xx faults) is one the model lists for the
 *    operation, sent as the `x-amzn-errortype` header, seen by the SDK under
 *    that name, with the error's modeled status and body members.
 *
 * One scenario (beforeAll) drives every served operation to success and each
 * (but those whose model lists no client error: GetPackageConfiguration) to
 * deliberate failures (test/support/model-scenario.ts, model-errors.ts); the
 * raw exchanges are captured below the SDK's deserializer
 * (test/support/model-capture.ts), since the SDK drops members it does not
 * know, and each call's outcome recorded (test/support/model-calls.ts). Each
 * test then checks one property over every exchange and lists every mismatch
 * it finds; response bodies are checked against the model's shapes by
 * test/support/model-shapes.ts.
 *
 * `IOT_MODEL_REPORT=1` also prints, for information, the output members the
 * model has that the endpoint never sent in this scenario.
 */
import { IoTClient } from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { ROUTES } from "../../src/local/protocol/routes.ts";
import { SHAPES } from "../../src/api/model/iot.generated.ts";
import { SERVED_OPERATIONS } from "../../src/api/model/served.ts";
import { callRecorder, type Outcome } from "../support/model-calls.ts";
import { captureExchanges, type Exchange } from "../support/model-capture.ts";
import { runScenario } from "../support/model-scenario.ts";
import { MODEL_OPERATIONS, checkResponseBody, checkValue, listMismatches, memberPaths, type Mismatch } from "../support/model-shapes.ts";

// ---------------------------------------------------------------------------
// Routes and error codes as sent on the wire.

/** The regular expression of a URI template's path ("/jobs/{jobId}/cancel"); `{label+}` spans segments. */
function templatePattern(uri: string): RegExp {
  const [pathPart] = uri.split("?");
  const source = pathPart
    .split("/")
    .map((segment) =>
      segment.replace(/\{[^}]+\}|[^{]+/g, (part) =>
        part.startsWith("{") ? (part.endsWith("+}") ? ".+" : "[^/]+") : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      ),
    )
    .join("/");
  return new RegExp(`^${source}$`);
}

/** The query literals a URI template requires ("/x?versioning" → ["versioning"]). */
function templateQueryLiterals(uri: string): string[] {
  const query = uri.split("?")[1];
  return query ? query.split("&").map((pair) => pair.split("=")[0]) : [];
}

/** The error code of an error response: the `x-amzn-errortype` header without its ":namespace" suffix. */
function errorCodeOf(exchange: Exchange): string | undefined {
  const header = exchange.headers["x-amzn-errortype"];
  return header === undefined ? undefined : header.split(":")[0].trim();
}

// ---------------------------------------------------------------------------
// The scenario.

let local: LocalIoT;
let iot: IoTClient;
let outcomes: Outcome[] = [];

beforeAll(async () => {
  local = await startLocalIoT({ deletionDelayMs: 20 });
  // One attempt: every error reaches the test as the endpoint answered it, without the SDK's retries.
  iot = new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials, maxAttempts: 1 });
  const calls = callRecorder(local, iot, captureExchanges(iot));
  outcomes = calls.outcomes;
  local.resetStats();
  await runScenario(calls);
});

afterAll(async () => {
  iot?.destroy();
  await local?.stop();
});

const successes = () => outcomes.filter((o) => !o.error && o.exchanges.length === 1);
const failures = () => outcomes.filter((o) => o.error);

// ---------------------------------------------------------------------------

describe("the checker", () => {
  test("flags unknown members, wrong JSON types, values outside an enum and millisecond timestamps", () => {
    const out: Mismatch[] = [];
    const body = JSON.stringify({
      job: {
        jobId: "j",
        status: "RUNNING",
        isConcurrent: "false",
        createdAt: 1795389615513,
        lastUpdatedAt: "2026-01-01T00:00:00Z",
        targets: "arn:x",
        documentParameters: { k: 1 },
        jobProcessDetails: { numberOfQueuedThings: 1.5, extra: 1 },
      },
      surplus: true,
    });
    checkResponseBody("DescribeJob", body, out, new Set());
    expect(listMismatches(out).map((line) => line.split(":")[0])).toEqual([
      "DescribeJob job.createdAt",
      "DescribeJob job.documentParameters{}",
      "DescribeJob job.isConcurrent",
      "DescribeJob job.jobProcessDetails.extra",
      "DescribeJob job.jobProcessDetails.numberOfQueuedThings",
      "DescribeJob job.lastUpdatedAt",
      "DescribeJob job.status",
      "DescribeJob job.targets",
      "DescribeJob surplus",
    ]);
    const fine: Mismatch[] = [];
    const good = { job: { jobId: "j", status: "IN_PROGRESS", createdAt: 1795389615.513, targets: ["arn:x"] } };
    checkResponseBody("DescribeJob", JSON.stringify(good), fine, new Set());
    checkResponseBody("UpdateJob", "", fine, new Set());
    expect(listMismatches(fine)).toEqual([]);
  });
});

describe("routes", () => {
  test("the route table is the model's: one route per served operation, on its method and URI template", () => {
    expect.soft([...ROUTES.map((r) => r.operation)].sort()).toEqual([...SERVED_OPERATIONS].sort());
    const wrong = ROUTES.filter((r) => {
      const model = MODEL_OPERATIONS[r.operation];
      return !model || r.method !== model.method || r.template !== model.uri;
    }).map((r) => {
      const model = MODEL_OPERATIONS[r.operation];
      return `${r.operation}: serves ${r.method} ${r.template}, the model says ${model?.method} ${model?.uri}`;
    });
    expect.soft(wrong).toEqual([]);
    const keys = ROUTES.map((r) => `${r.method} ${r.template}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i), "two routes on one method and template").toEqual([]);
  });

  test("every served operation succeeds through the SDK in the scenario", () => {
    const succeeded = new Set(successes().filter((o) => !o.fault).map((o) => o.operation));
    expect.soft(SERVED_OPERATIONS.filter((op) => !succeeded.has(op)), "operations never called successfully").toEqual([]);
    const unexpected = outcomes
      .filter((o) => o.expected === "success" && o.error)
      .map((o) => `${o.operation} (${o.label}): ${o.error!.name} ${o.error!.status}: ${o.error!.message}`);
    expect(unexpected, "calls of the success scenario that failed").toEqual([]);
  });

  test("each request goes out on the model's method and URI, reaches that operation, and succeeds with the model's status", () => {
    const problems: string[] = [];
    for (const o of outcomes) {
      const model = MODEL_OPERATIONS[o.operation];
      const where = `${o.operation} (${o.label})`;
      if (o.exchanges.length !== 1) {
        problems.push(`${where}: ${o.exchanges.length} HTTP exchanges, expected 1${o.error ? ` (${o.error.name}: ${o.error.message})` : ""}`);
        continue;
      }
      const [x] = o.exchanges;
      if (x.operation !== o.operation) problems.push(`${where}: captured as ${x.operation}`);
      if (x.request.method !== model.method || !templatePattern(model.uri).test(x.request.path)) {
        problems.push(`${where}: sent ${x.request.method} ${x.request.path}, the model's route is ${model.method} ${model.uri}`);
      }
      for (const literal of templateQueryLiterals(model.uri)) {
        if (!(literal in x.request.query)) problems.push(`${where}: the query lacks the model's literal ${literal}`);
      }
      const reached = o.endpointCalls.map((c) => c.operation);
      if (reached.length !== 1 || reached[0] !== o.operation) {
        problems.push(`${where}: the endpoint recorded ${reached.length ? reached.join(", ") : "no call"}, expected one ${o.operation}`);
      } else if (o.endpointCalls[0].status !== x.status) {
        problems.push(`${where}: the endpoint recorded status ${o.endpointCalls[0].status}, but answered ${x.status}`);
      }
      if (!o.error && x.status !== model.status) {
        problems.push(`${where}: succeeded with HTTP ${x.status}, the model's success status is ${model.status}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("response shapes", () => {
  test("every member of every successful response body is a model output member with the model's JSON type", () => {
    const out: Mismatch[] = [];
    const seen = new Set<string>();
    for (const o of successes()) {
      const pathsSeen = new Set<string>();
      checkResponseBody(o.operation, o.exchanges[0].text, out, pathsSeen);
      for (const p of pathsSeen) seen.add(`${o.operation} ${p.replace(/\{key\}$/, "")}`);
    }
    if (process.env.IOT_MODEL_REPORT) {
      const unsent: string[] = [];
      for (const operation of SERVED_OPERATIONS) {
        const output = MODEL_OPERATIONS[operation].output;
        if (!output) continue;
        const paths: string[] = [];
        memberPaths(output, "", paths);
        unsent.push(...paths.filter((p) => !seen.has(`${operation} ${p}`)).map((p) => `${operation} ${p}`));
      }
      console.info(`Output members the model has that the endpoint never sent in this scenario (information):\n  ${unsent.join("\n  ")}`);
    }
    expect(listMismatches(out)).toEqual([]);
  });
});

describe("errors", () => {
  test("every deliberate error case fails, and every operation has some", () => {
    const succeeded = outcomes.filter((o) => o.expected === "error" && !o.error).map((o) => `${o.operation} (${o.label}) succeeded`);
    expect.soft(succeeded, "error cases that did not fail").toEqual([]);
    const deliberate = new Set(failures().filter((o) => !o.fault).map((o) => o.operation));
    // An operation whose model lists no client error but throttling (GetPackageConfiguration: it takes no input) cannot fail on purpose.
    const canFail = (op: string) => MODEL_OPERATIONS[op].errors.some((code) => code !== "ThrottlingException" && (SHAPES[code] as any)?.error?.status < 500);
    expect
      .soft(
        SERVED_OPERATIONS.filter((op) => canFail(op) && !deliberate.has(op)),
        "operations without a deliberate error case",
      )
      .toEqual([]);
    const faulted = new Set(failures().filter((o) => o.fault).map((o) => o.operation));
    expect(SERVED_OPERATIONS.filter((op) => !faulted.has(op)), "operations the fault pass did not reach").toEqual([]);
  });

  test("every error answered is one the model lists for the operation, in the header and the SDK's name, with its modeled status and body", () => {
    const problems: string[] = [];
    const bodyMismatches: Mismatch[] = [];
    const pairs = new Map<string, string[]>();
    for (const o of outcomes) {
      const x = o.exchanges.at(-1);
      if (!x || x.status < 300) continue;
      const code = errorCodeOf(x);
      const where = `${o.operation} (${o.label})`;
      if (!code) {
        problems.push(`${where}: HTTP ${x.status} without an x-amzn-errortype header`);
        continue;
      }
      const pair = `${o.operation} ${code}`;
      pairs.set(pair, [...(pairs.get(pair) ?? []), o.label]);
      if (o.error && o.error.name !== code) problems.push(`${where}: the header says ${code}, the SDK threw ${o.error.name}`);
      if (!o.error) problems.push(`${where}: HTTP ${x.status} ${code}, but the SDK did not throw`);
      const shape = SHAPES[code];
      if (shape?.type === "structure" && shape.error && shape.error.status !== x.status) {
        problems.push(`${where}: ${code} answered with HTTP ${x.status}, the model's status for it is ${shape.error.status}`);
      }
      if (shape?.type === "structure" && x.text) {
        let body: unknown;
        try {
          body = JSON.parse(x.text);
        } catch {
          body = x.text;
        }
        checkValue(o.operation, code, body, `(${code} body)`, bodyMismatches, new Set());
      }
    }
    const unmodeled: string[] = [];
    for (const [pair, labels] of pairs) {
      const [operation, code] = pair.split(" ");
      const modeled = MODEL_OPERATIONS[operation].errors;
      if (modeled.includes(code)) continue;
      unmodeled.push(
        `${pair} is not among the model's errors for ${operation} (${modeled.join(", ")}); answered for: ${[...new Set(labels)].join("; ")}`,
      );
    }
    expect.soft(unmodeled, "(operation, error code) pairs the model does not list").toEqual([]);
    expect.soft(problems, "error responses").toEqual([]);
    expect.soft(listMismatches(bodyMismatches), "error bodies").toEqual([]);
  });
});
