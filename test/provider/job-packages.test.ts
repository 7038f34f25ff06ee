/**
 * Jobs and job templates that install software package versions, through
 * the real runtime and the local endpoint: versions given as resources or
 * ARNs, DRAFT versions and placeholders that disagree refused (by the
 * preview, which is what a deploy's whole-program check runs before its
 * first call; and by the job itself before any call of its own), and the
 * preview's device impact naming the versions.
 */
import "../../src/preview/globals.ts";
import { CreatePackageCommand, CreatePackageVersionCommand, DescribeJobCommand, UpdatePackageVersionCommand } from "@aws-sdk/client-iot";
import { afterEach, beforeEach, expect, test } from "vitest";
import { Job, JobTemplate, SoftwarePackage, SoftwarePackageVersion, Thing, ValidationError } from "../../src/index.ts";
import { preview } from "../support/accuracy.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(() => stack.close());

const attributes = { s3URL: "https://firmware.example.com/1.1.0.bin", sha256: "9f2c" };
const document = { operation: "install", url: "${aws:iot:package:fw:version:1.1.0:attributes:s3URL}" };

/** A package, version 1.1.0 in `status`, a device, and a job installing the version. */
const program =
  (status: "DRAFT" | "PUBLISHED" | "DEPRECATED", job: Record<string, unknown> = {}) =>
  async () => {
    const fw = await SoftwarePackage("fw", { packageName: "fw" });
    const v110 = await SoftwarePackageVersion("1.1.0", { package: fw, status, attributes });
    const device = await Thing("d1", { thingName: "d1" });
    return Job("ota", { jobId: "ota", targets: [device], destinationPackageVersions: [v110], document, ...job });
  };

test("a job installs a version given as the resource: CreateJob names its ARN, and the preview's device impact names the version", async () => {
  const plan = await preview(stack, program("PUBLISHED"));
  expect(plan.problems).toEqual([]);
  const entry = plan.resources.find((e) => e.name === "ota")!;
  expect(entry.deviceImpact?.installs).toEqual(["fw 1.1.0"]);

  const job = await stack.deploy(program("PUBLISHED"));
  const live = await stack.client.send(new DescribeJobCommand({ jobId: job.jobId }));
  expect(live.job?.destinationPackageVersions).toEqual([
    `arn:aws:iot:${stack.local.region}:${stack.local.accountId}:package/fw/version/1.1.0`,
  ]);

  // A later deprecation of the version does not touch the job (it keeps only the version's ARN).
  stack.local.resetStats();
  await stack.deploy(program("DEPRECATED"));
  expect(stack.mutatingCalls()).toEqual(["UpdatePackageVersion"]);
});

test("a version declared DRAFT is refused before any call, by the preview and by the deploy, naming it", async () => {
  const planned = await preview(stack, program("DRAFT"));
  expect(planned.problems.map((p) => p.message)).toEqual([
    'Job "ota": destinationPackageVersions[0]: version 1.1.0 of package fw is declared DRAFT; AWS deploys only PUBLISHED or DEPRECATED versions (declare it with status: "PUBLISHED")',
  ]);
  stack.local.resetStats();
  const error = await stack.deploy(program("DRAFT")).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as Error).message).toContain("version 1.1.0 of package fw is declared DRAFT");
  // In process there is no whole-program check: what comes before the job is deployed; the job makes no call and has no state.
  expect(stack.mutatingCalls()).not.toContain("CreateJob");
  expect(Object.keys(stack.stateFiles()).filter((f) => f.endsWith("ota.json"))).toEqual([]);
});

test("a document placeholder naming a version or an attribute the job does not install is refused before any call", async () => {
  const wrongVersion = { document: { url: "${aws:iot:package:fw:version:1.0.0:attributes:s3URL}" } };
  const wrongAttribute = { document: { sum: "${aws:iot:package:fw:version:1.1.0:attributes:md5}" } };
  for (const [job, fragment] of [
    [wrongVersion, "names version 1.0.0 of package fw, which destinationPackageVersions does not list (it lists: fw 1.1.0)"],
    [wrongAttribute, 'names attribute "md5", which version 1.1.0 of package fw does not have (its attributes: s3URL, sha256)'],
  ] as const) {
    const planned = await preview(stack, program("PUBLISHED", job));
    expect(planned.problems.map((p) => p.message).join("\n")).toContain(fragment);
    stack.local.resetStats();
    const error = await stack.deploy(program("PUBLISHED", job)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(fragment);
    expect(stack.mutatingCalls()).not.toContain("CreateJob");
  }
});

test("a version given by ARN is read before the create: a DRAFT one or a missing one is refused; a published one is installed", async () => {
  await stack.client.send(new CreatePackageCommand({ packageName: "agent" }));
  await stack.client.send(new CreatePackageVersionCommand({ packageName: "agent", versionName: "2.0" }));
  const arn = (v: string) => `arn:aws:iot:${stack.local.region}:${stack.local.accountId}:package/agent/version/${v}`;
  const job = (v: string) => async () => {
    const device = await Thing("d1", { thingName: "d1" });
    return Job("agent", { jobId: "agent", targets: [device], destinationPackageVersions: [arn(v)], document: { op: "install" } });
  };
  for (const [v, fragment] of [
    ["2.0", "destinationPackageVersions[0]: version 2.0 of package agent is DRAFT; AWS deploys only PUBLISHED or DEPRECATED versions"],
    ["3.0", "destinationPackageVersions[0]: version 3.0 of package agent does not exist"],
  ]) {
    stack.local.resetStats();
    const error = await stack.deploy(job(v)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(fragment);
    expect(stack.mutatingCalls().filter((c) => c === "CreateJob")).toEqual([]);
  }
  // The preview with --refresh reads it too, and says the same.
  const plan = await preview(stack, job("2.0"), { refresh: true });
  expect(plan.problems.map((p) => p.message).join("\n")).toContain("version 2.0 of package agent is DRAFT");

  await stack.client.send(new UpdatePackageVersionCommand({ packageName: "agent", versionName: "2.0", action: "PUBLISH" }));
  const created = await stack.deploy(job("2.0"));
  expect((await stack.client.send(new DescribeJobCommand({ jobId: created.jobId }))).job?.destinationPackageVersions).toEqual([arn("2.0")]);
});

test("a job from a template of the program is checked against the template's versions and document", async () => {
  const templated = (placeholder: string) => async () => {
    const fw = await SoftwarePackage("fw", { packageName: "fw" });
    const v110 = await SoftwarePackageVersion("1.1.0", { package: fw, attributes });
    const device = await Thing("d1", { thingName: "d1" });
    const template = await JobTemplate("install", {
      jobTemplateId: "install",
      description: "Install fw 1.1.0",
      destinationPackageVersions: [v110],
      document: { url: placeholder },
    });
    return Job("ota", { jobId: "ota", targets: [device], jobTemplate: template });
  };
  const plan = await preview(stack, templated("${aws:iot:package:fw:version:1.1.0:attributes:sha256}"));
  expect(plan.problems).toEqual([]);
  const bad = await preview(stack, templated("${aws:iot:package:fw:version:9.9:attributes}"));
  expect(bad.problems[0].message).toContain(
    'JobTemplate "install": document: ${aws:iot:package:fw:version:9.9:attributes} names version 9.9 of package fw',
  );
  const job = await stack.deploy(templated("${aws:iot:package:fw:version:1.1.0:attributes:sha256}"));
  expect((await stack.client.send(new DescribeJobCommand({ jobId: job.jobId }))).job?.destinationPackageVersions).toHaveLength(1);
});
