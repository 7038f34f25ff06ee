/**
 * The preview of software packages, versions and the package configuration,
 * through the preview's own session (in this process): it lists the calls
 * the deploy then makes, warns when a DEPRECATE leaves jobs installing the
 * version, reports drift, and lists the whole program's problems before any call.
 */
import "../../src/preview/globals.ts";
import {
  CreateJobCommand,
  CreateThingCommand,
  GetPackageCommand,
  UpdatePackageCommand,
  UpdatePackageConfigurationCommand,
} from "@aws-sdk/client-iot";
import { afterEach, beforeEach, expect, test } from "vitest";
import { SoftwarePackage, SoftwarePackageConfiguration, SoftwarePackageVersion, type PackageVersionStatus } from "../../src/index.ts";
import { deploy, predictedCalls, predictedReports, preview, sameCalls } from "../support/accuracy.ts";
import { createStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await createStack();
});
afterEach(() => stack.close());

interface Shape {
  defaultVersion?: string;
  description?: string;
  versions: Record<string, PackageVersionStatus>;
}

/** A package "fw" and its versions (by name, with their status). */
const catalog = (shape: Shape) => async () => {
  const fw = await SoftwarePackage("fw", {
    packageName: "fw",
    ...(shape.defaultVersion ? { defaultVersion: shape.defaultVersion } : {}),
    ...(shape.description ? { description: shape.description } : {}),
  });
  const out: Record<string, unknown> = { fw };
  for (const [name, status] of Object.entries(shape.versions))
    out[name] = await SoftwarePackageVersion(`v${name.replaceAll(".", "")}`, { package: fw, versionName: name, status });
  return out;
};

/** Previews `program`, deploys it, and checks that the deploy made the calls and reports the preview listed. */
async function accurate(program: () => Promise<unknown>) {
  const plan = await preview(stack, program);
  expect(plan.problems).toEqual([]);
  const performed = await deploy(stack, program);
  expect(sameCalls(predictedCalls(plan), performed.calls)).toBeUndefined();
  expect(performed.reported).toEqual(predictedReports(plan));
  return plan;
}

test("the preview lists the calls each deploy makes: creation, transitions, the default version, removals", async () => {
  const created = await accurate(
    catalog({ defaultVersion: "1.1.0", versions: { "1.0.0": "DEPRECATED", "1.1.0": "PUBLISHED", "1.2.0": "DRAFT" } }),
  );
  const fw = created.resources.find((e) => e.name === "fw")!;
  expect(fw.notes.join(" ")).toContain(
    "the SoftwarePackageVersion that declares 1.1.0 (with this package as its package) makes it the default",
  );
  // The version's own UpdatePackage (on the package: resource "fw") names it the default once published.
  expect(created.resources.find((e) => e.name === "v110")!.operations.map((o) => o.operation)).toEqual([
    "CreatePackageVersion",
    "UpdatePackageVersion",
    "UpdatePackage",
  ]);
  expect(predictedCalls(created)).toMatchObject({
    fw: ["CreatePackage", "UpdatePackage"],
    "fw/1.0.0": ["CreatePackageVersion", "UpdatePackageVersion", "UpdatePackageVersion"],
    "fw/1.2.0": ["CreatePackageVersion"],
  });

  // 1.0.0 published again and made the default by the package; 1.2.0 published; 1.1.0 deprecated.
  const changed = await accurate(
    catalog({ defaultVersion: "1.0.0", versions: { "1.0.0": "PUBLISHED", "1.1.0": "DEPRECATED", "1.2.0": "PUBLISHED" } }),
  );
  // The package's UpdatePackage is skipped (1.0.0 is DEPRECATED when it is due); 1.0.0's own, right after its PUBLISH, is sent.
  const calls = predictedCalls(changed);
  expect(calls.fw).toEqual(["UpdatePackage?", "UpdatePackage?"]);
  expect(calls["fw/1.0.0"]).toEqual(["UpdatePackageVersion"]);
  expect((await stack.client.send(new GetPackageCommand({ packageName: "fw" }))).defaultVersionName).toBe("1.0.0");
  const deprecated = changed.resources.find((e) => e.name === "v110")!;
  expect(deprecated.notes.join(" ")).toContain("jobs IN_PROGRESS that install version 1.1.0 of package fw are listed with --refresh");

  // A version removed from the program: its default designation removed first (when it has it), then deleted.
  const removed = await accurate(catalog({ defaultVersion: "1.0.0", versions: { "1.0.0": "PUBLISHED", "1.1.0": "DEPRECATED" } }));
  expect(predictedCalls(removed)["fw/1.2.0"]).toEqual(["DeletePackageVersion"]);
  expect(predictedCalls(removed).fw).toEqual(["UpdatePackage?"]);
});

test("deprecating a version that jobs IN_PROGRESS install warns, naming the jobs", async () => {
  const out = (await stack.deploy(catalog({ versions: { "1.1.0": "PUBLISHED" } }))) as Record<string, { packageVersionArn: string }>;
  const thing = await stack.client.send(new CreateThingCommand({ thingName: "th-1" }));
  await stack.client.send(
    new CreateJobCommand({
      jobId: "install-1-1-0",
      targets: [thing.thingArn!],
      document: JSON.stringify({ operation: "install" }),
      destinationPackageVersions: [out["1.1.0"].packageVersionArn],
    }),
  );
  const plan = await preview(stack, catalog({ versions: { "1.1.0": "DEPRECATED" } }), { refresh: true });
  const entry = plan.resources.find((e) => e.name === "v110")!;
  expect(entry.warnings).toEqual([
    "DEPRECATE: job install-1-1-0 IN_PROGRESS installs version 1.1.0 of package fw; AWS lets those jobs continue, and the devices they have not reached yet still install this version",
  ]);
  expect(entry.operations.map((o) => o.operation)).toEqual(["UpdatePackageVersion"]);
});

test("drift of a package and of the package configuration is reported with --refresh", async () => {
  const program = async () => {
    await catalog({ description: "TH-200", versions: { "1.0.0": "PUBLISHED" } })();
    await SoftwarePackageConfiguration("catalog", { versionUpdateByJobsConfig: { enabled: false } });
  };
  await stack.deploy(program);
  await stack.client.send(new UpdatePackageCommand({ packageName: "fw", description: "changed by hand" }));
  await stack.client.send(
    new UpdatePackageConfigurationCommand({
      versionUpdateByJobsConfig: { enabled: true, roleArn: "arn:aws:iam::123456789012:role/by-hand" },
    }),
  );
  const plan = await preview(stack, program, { refresh: true });
  const drift = Object.fromEntries(plan.drift.map((d) => [d.address.split("/").pop(), d.diffs.map((x) => [x.path, x.before, x.after])]));
  expect(drift.fw).toEqual([["description", "TH-200", "changed by hand"]]);
  expect(drift.catalog).toEqual([
    ["versionUpdateByJobsConfig.enabled", false, true],
    ["versionUpdateByJobsConfig.roleArn", undefined, "arn:aws:iam::123456789012:role/by-hand"],
  ]);
  // The deploy (--force) puts both back.
  const performed = await deploy(stack, program, { force: true });
  expect(performed.calls.fw).toEqual(["UpdatePackage"]);
  expect(Object.values(performed.calls).flat()).toContain("UpdatePackageConfiguration");
});

test("the whole program's problems, before any call: an undeclared default version, two configurations of one place", async () => {
  const plan = await preview(
    stack,
    async () => {
      await catalog({ defaultVersion: "9.9.9", versions: { "1.0.0": "PUBLISHED" } })();
      await SoftwarePackageConfiguration("a", { versionUpdateByJobsConfig: { enabled: false } });
      await SoftwarePackageConfiguration("b", { versionUpdateByJobsConfig: { enabled: false } });
    },
    { refresh: true },
  );
  expect(plan.problems.map((p) => p.message)).toEqual([
    expect.stringMatching(
      /^SoftwarePackageConfiguration "b": region: .*: app\d+\/test\/a declares the software package configuration of this account and region already/,
    ),
    'SoftwarePackage "fw": defaultVersion: software package version "fw/version/9.9.9" does not exist in ' +
      plan.problems[1]?.message.split(" does not exist in ")[1],
  ]);
  expect(plan.problems[1].message).toContain("and the program does not declare it");
  expect(stack.mutatingCalls()).toEqual([]);

  // Declared by the program: no problem (its own deploy makes it the default).
  const declared = await preview(stack, catalog({ defaultVersion: "1.0.0", versions: { "1.0.0": "PUBLISHED" } }), { refresh: true });
  expect(declared.problems).toEqual([]);
});
