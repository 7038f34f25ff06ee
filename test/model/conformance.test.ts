/**
 * Conformance of the local endpoint to the AWS IoT service model: for every
 * operation it serves and every input constraint the model declares
 * (required members; string lengths, patterns and enums; numeric ranges; list
 * and map sizes; map keys and values), one request that breaks only that
 * constraint and one on its boundary go through the real SDK over HTTP. The
 * breaking one must be answered 400 with the operation's validation error
 * (InvalidRequestException, or ValidationException where the model lists it
 * instead: the Software Package Catalog) naming the
 * member's path and the rule, in the service's validation wording; the
 * boundary one must not be refused for that member (it may still fail for
 * another reason, e.g. a resource it names does not exist).
 *
 * The constraints and requests come from the model table
 * (test/support/model-constraints.ts, model-values.ts, model-requests.ts,
 * model-messages.ts); all requests run once, before the tests, which then
 * read their outcomes.
 */
import * as sdk from "@aws-sdk/client-iot";
import { IoTClient } from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MANAGED_TEMPLATES, startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { SERVED_OPERATIONS } from "../../src/api/model/served.ts";
import { OPERATIONS as MODEL_OPERATIONS } from "../../src/api/model/iot.generated.ts";
import { constraintsOf, describeConstraint, type Constraint } from "../support/model-constraints.ts";
import { namesMember, reportsViolation } from "../support/model-messages.ts";
import { EMPTY_LABEL, requestMaker, type ConformanceCase } from "../support/model-requests.ts";
import type { Fixtures } from "../support/model-values.ts";

const CONSTRAINTS: readonly Constraint[] = SERVED_OPERATIONS.flatMap((op) => constraintsOf(op));

/** The error a request that breaks the operation's input shape is answered with: the one the model lists for it. */
const validationError = (operation: string) =>
  (MODEL_OPERATIONS as Record<string, { errors: readonly string[] }>)[operation].errors.includes("InvalidRequestException")
    ? "InvalidRequestException"
    : "ValidationException";
const TOTAL = CONSTRAINTS.length;

interface Answer {
  status: number;
  name: string;
  message: string;
}

interface Outcome {
  case: ConformanceCase;
  /** The answers to the breaking requests, in order. */
  broken: Answer[];
  valid: Answer;
  /** Each breaking request was answered 400 with the operation's validation error, naming the path and the rule. */
  refused: boolean;
  /** The first breaking request that was not refused so. */
  unrefused?: { input: Record<string, unknown>; answer: Answer };
  /** The boundary request was not refused for this member. */
  accepted: boolean;
}

let local: LocalIoT;
let client: IoTClient;
const outcomes = new Map<string, Outcome>();
const baselines = new Map<string, Answer>();

/** An SDK input as JSON, cut to `max` characters. */
const brief = (input: Record<string, unknown>, max = 160) => {
  const text = JSON.stringify(input);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
};
const show = (a: Answer) => `${a.status} ${a.name}${a.message ? `: ${a.message.length > 400 ? `${a.message.slice(0, 397)}...` : a.message}` : ""}`;

async function send(operation: string, input: Record<string, unknown>): Promise<Answer> {
  const Command = (sdk as any)[`${operation}Command`];
  try {
    const out = await client.send(new Command(input));
    return { status: out.$metadata?.httpStatusCode ?? 0, name: "OK", message: "" };
  } catch (error: any) {
    return { status: error?.$metadata?.httpStatusCode ?? 0, name: String(error?.name), message: String(error?.message) };
  }
}

beforeAll(async () => {
  local = await startLocalIoT({ port: 0, deletionDelayMs: 20 });
  client = new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials, maxAttempts: 1 });
  // An empty URI label (a missing required label, or "" for a min length of 1): the
  // SDK refuses to serialize a missing label (some versions an empty one too), so
  // the request carries EMPTY_LABEL and the serialized path loses it before signing.
  client.middlewareStack.add(
    (next) => async (args: any) => {
      const request = args.request;
      if (typeof request?.path === "string" && request.path.includes(EMPTY_LABEL)) request.path = request.path.split(EMPTY_LABEL).join("");
      return next(args);
    },
    { step: "build", name: "conformanceEmptyLabel" },
  );

  const thingName = "conformance-thing";
  const thingGroupName = "conformance-group";
  const { thingArn } = await client.send(new sdk.CreateThingCommand({ thingName }));
  await client.send(new sdk.CreateThingGroupCommand({ thingGroupName }));
  await client.send(new sdk.AddThingToThingGroupCommand({ thingGroupName, thingName }));
  const document = JSON.stringify({ operation: "conformance" });
  // With a retry configuration, so that UpdateJob may change it (the service refuses to add one).
  const retry = { criteriaList: [{ failureType: "FAILED" as const, numberOfRetries: 1 }] };
  const { jobId, jobArn } = await client.send(
    new sdk.CreateJobCommand({ jobId: "conformance-job", targets: [thingArn!], document, jobExecutionsRetryConfig: retry }),
  );
  const { jobTemplateId, jobTemplateArn } = await client.send(
    new sdk.CreateJobTemplateCommand({ jobTemplateId: "conformance-template", description: "conformance", document }),
  );
  // A software package with a PUBLISHED version (the one the seeds' PackageVersionArn names) and a DRAFT one.
  const packageName = "conformance";
  await client.send(new sdk.CreatePackageCommand({ packageName }));
  await client.send(new sdk.CreatePackageVersionCommand({ packageName, versionName: "1.0.0" }));
  await client.send(new sdk.UpdatePackageVersionCommand({ packageName, versionName: "1.0.0", action: "PUBLISH" }));
  await client.send(new sdk.CreatePackageVersionCommand({ packageName, versionName: "draft" }));
  const fx: Fixtures = {
    thingName,
    thingArn: thingArn!,
    thingGroupName,
    jobId: jobId!,
    jobArn: jobArn!,
    jobTemplateId: jobTemplateId!,
    jobTemplateArn: jobTemplateArn!,
    managedTemplateName: MANAGED_TEMPLATES[0].templateName,
    packageName,
    versionName: "1.0.0",
    draftVersionName: "draft",
  };

  const maker = requestMaker(fx);
  for (const op of SERVED_OPERATIONS) baselines.set(op, await send(op, maker.baseline(op)));
  for (const c of CONSTRAINTS) {
    const kase = maker.caseOf(c);
    const broken: Answer[] = [];
    for (const input of kase.broken) broken.push(await send(c.operation, input));
    const valid = await send(c.operation, kase.valid);
    const isRefusal = (a: Answer) => a.status === 400 && a.name === validationError(c.operation) && reportsViolation(a.message, kase.expect);
    const i = broken.findIndex((a) => !isRefusal(a));
    const unrefused = i < 0 ? undefined : { input: kase.broken[i], answer: broken[i] };
    const accepted = !namesMember(valid.message, kase.expect);
    outcomes.set(c.id, { case: kase, broken, valid, refused: !unrefused, unrefused, accepted });
  }
});
afterAll(() => local?.stop());

const expected = (o: Outcome) => {
  const e = o.case.expect;
  const code = validationError(o.case.constraint.operation);
  const rule = e.phrases.length === 1 ? e.phrases[0] : `one of [${e.phrases.join(" | ")}]`;
  return e.map
    ? `400 ${code}: ... at '${e.path}' failed to satisfy constraint: Map ${e.map} must satisfy constraint: [${rule}]`
    : `400 ${code}: ... at '${e.path}' failed to satisfy constraint: ${rule}`;
};

const failures = () =>
  CONSTRAINTS.flatMap((c) => {
    const o = outcomes.get(c.id);
    if (!o) return [`${c.operation} ${c.path} ${describeConstraint(c)}: not run`];
    const lines: string[] = [];
    if (o.unrefused) {
      lines.push(`${c.operation} ${c.path} ${describeConstraint(c)}: breaking request ${brief(o.unrefused.input)} answered ${show(o.unrefused.answer)}`);
    }
    if (!o.accepted) lines.push(`${c.operation} ${c.path} ${describeConstraint(c)}: boundary request ${brief(o.case.valid)} refused ${show(o.valid)}`);
    return lines;
  });

describe.each(SERVED_OPERATIONS)("%s", (operation) => {
  test("the baseline request (its required members, valid) passes validation", () => {
    const answer = baselines.get(operation)!;
    expect(answer.message, show(answer)).not.toContain("failed to satisfy constraint");
  });

  const own = CONSTRAINTS.filter((c) => c.operation === operation);
  if (own.length === 0) return;
  test.each(own.map((c) => [`${c.path}: ${describeConstraint(c)}`, c] as const))("%s", (_name, c) => {
    const o = outcomes.get(c.id)!;
    const u = o.unrefused;
    expect(o.refused, u && `breaking request ${brief(u.input, 300)}\n  expected ${expected(o)}\n  answered ${show(u.answer)}`).toBe(true);
    expect(o.accepted, `boundary request ${brief(o.case.valid, 300)}\n  refused ${show(o.valid)}`).toBe(true);
  });
});

test(`the endpoint enforces all ${TOTAL} input constraints of the model for its ${SERVED_OPERATIONS.length} operations`, () => {
  const failing = failures();
  const enforced = CONSTRAINTS.filter((c) => outcomes.get(c.id)?.refused && outcomes.get(c.id)?.accepted).length;
  expect(enforced, `${enforced}/${TOTAL} constraints enforced; failing:\n${failing.join("\n")}`).toBe(TOTAL);
});
