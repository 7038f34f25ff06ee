/**
 * A package version's decision, without a call: its lifecycle (IoT creates
 * every version DRAFT; the deploy publishes and deprecates it), the default
 * version's designation, and what is refused before any call.
 */
import { describe, expect, test } from "vitest";
import type { Before, Desired } from "../../src/provider/engine/contract.ts";
import { decideVersion, type Spec } from "../../src/provider/kinds/software-package-version/decide.ts";
import { ValidationError } from "../../src/index.ts";
import { softwarePackageKind } from "../../src/provider/kinds/software-package/contract.ts";

type Status = Spec["status"];

function desired(status: Status, over: Partial<Spec> = {}, packageDefault = false): Desired<Spec> {
  return {
    id: "fw/version/1.0.0",
    ownership: { app: "app", stage: "dev", resource: "app/dev/v100" },
    sensitive: new Set(),
    state: {
      location: "local",
      region: "us-east-1",
      spec: { packageVersion: "fw/version/1.0.0", package: "fw", versionName: "1.0.0", attributes: {}, status, ...over },
      tags: {},
      settings: { packageDefault },
    },
  };
}

const before = (
  status: Status,
  over: Partial<Spec> = {},
  packageDefault = false,
  extra: Record<string, unknown> = {},
  live = false,
): Before<Spec> => {
  const d = desired(status, over, packageDefault);
  return { state: d.state, facts: { arn: "arn:aws:iot:us-east-1:123456789012:package/fw/version/1.0.0", extra }, live };
};

/** The calls of a change, with the action of each UpdatePackageVersion. */
const calls = (c: { operations: Array<{ op: string; input: object }> }) =>
  c.operations.map((o) => {
    const input = o.input as { action?: string; defaultVersionName?: string; unsetDefaultVersion?: boolean };
    return input.action
      ? `${o.op} ${input.action}`
      : input.defaultVersionName
        ? `${o.op} default`
        : input.unsetDefaultVersion
          ? `${o.op} unset`
          : o.op;
  });

describe("the lifecycle", () => {
  test.each([
    ["DRAFT", ["CreatePackageVersion"]],
    ["PUBLISHED", ["CreatePackageVersion", "UpdatePackageVersion PUBLISH"]],
    ["DEPRECATED", ["CreatePackageVersion", "UpdatePackageVersion PUBLISH", "UpdatePackageVersion DEPRECATE"]],
  ] as const)("a new version declared %s is created DRAFT, then brought there", (status, expected) => {
    const change = decideVersion(undefined, desired(status));
    expect(change.action).toBe("create");
    expect(calls(change)).toEqual(expected);
  });

  test.each([
    ["DRAFT", "PUBLISHED", ["UpdatePackageVersion PUBLISH"]],
    ["DRAFT", "DEPRECATED", ["UpdatePackageVersion PUBLISH", "UpdatePackageVersion DEPRECATE"]],
    ["PUBLISHED", "DEPRECATED", ["UpdatePackageVersion DEPRECATE"]],
    ["DEPRECATED", "PUBLISHED", ["UpdatePackageVersion PUBLISH"]],
  ] as const)("%s → %s in place", (from, to, expected) => {
    const change = decideVersion(before(from), desired(to));
    expect(change.action).toBe("update");
    expect(calls(change)).toEqual(expected);
  });

  test.each(["PUBLISHED", "DEPRECATED"] as const)("%s → DRAFT is refused, saying why", (from) => {
    const error = (() => {
      try {
        decideVersion(before(from), desired("DRAFT"));
      } catch (e) {
        return e as ValidationError;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error!.message).toContain(`SoftwarePackageVersion "v100"`);
    expect(error!.message).toContain(`status: "DRAFT": version 1.0.0 of package fw is ${from}, and a version never returns to DRAFT`);
    expect(error!.message).toContain("declare a new versionName");
  });
});

describe("what changes in place in each status", () => {
  test("a DRAFT version's attributes, artifact and recipe change in place, before it is published", () => {
    const artifact = { s3Location: { bucket: "b", key: "k" } };
    const change = decideVersion(
      before("DRAFT", { attributes: { a: "1" } }),
      desired("PUBLISHED", { attributes: { a: "2" }, artifact, recipe: "r" }),
    );
    expect(calls(change)).toEqual(["UpdatePackageVersion", "UpdatePackageVersion PUBLISH"]);
    expect(change.operations[0].input).toEqual({ packageName: "fw", versionName: "1.0.0", attributes: { a: "2" }, artifact, recipe: "r" });
  });

  test.each(["PUBLISHED", "DEPRECATED"] as const)("a %s version's attributes are refused; its description changes in place", (status) => {
    expect(() => decideVersion(before(status, { attributes: { a: "1" } }), desired(status, { attributes: { a: "2" } }))).toThrow(
      /attributes: \{"a":"2"\}: version 1\.0\.0 of package fw is (PUBLISHED|DEPRECATED); a published or deprecated version's attributes and artifact are fixed/,
    );
    const change = decideVersion(before(status), desired(status, { description: "new" }));
    expect(change.operations.map((o) => o.input)).toEqual([{ packageName: "fw", versionName: "1.0.0", description: "new" }]);
  });

  test.each(["PUBLISHED", "DEPRECATED"] as const)(
    "a %s version's recipe changes in place (the guide: it is separate from the version's metadata)",
    (status) => {
      const change = decideVersion(before(status, { recipe: "r1" }), desired(status, { recipe: "r2" }));
      expect(change.operations.map((o) => o.input)).toEqual([{ packageName: "fw", versionName: "1.0.0", recipe: "r2" }]);
    },
  );

  test("removing a published version's recipe sends an empty one (IoT's way of clearing it)", () => {
    const change = decideVersion(before("PUBLISHED", { recipe: "s3cr3t-recipe" }), desired("PUBLISHED"));
    expect(change.operations.map((o) => o.input)).toEqual([{ packageName: "fw", versionName: "1.0.0", recipe: "" }]);
  });

  test("an SBOM is associated and disassociated in any status", () => {
    const sbom = { s3Location: { bucket: "b", key: "sbom.json" } };
    expect(calls(decideVersion(before("PUBLISHED"), desired("PUBLISHED", { sbom })))).toEqual(["AssociateSbomWithPackageVersion"]);
    expect(calls(decideVersion(before("PUBLISHED", { sbom }), desired("PUBLISHED")))).toEqual(["DisassociateSbomFromPackageVersion"]);
  });

  test("a new versionName or package replaces the version, the new one first; the old one's default designation is removed before it is deleted", () => {
    const change = decideVersion(before("PUBLISHED", {}, true), {
      ...desired("PUBLISHED", { versionName: "1.0.1", packageVersion: "fw/version/1.0.1" }),
      id: "fw/version/1.0.1",
    });
    expect(change.action).toBe("replace");
    expect(change.replaceMode).toBe("create-first");
    expect(change.reasons[0]).toMatch(/^versionName changed; a version's name is its id/);
    expect(calls(change)).toEqual(["CreatePackageVersion", "UpdatePackageVersion PUBLISH", "UpdatePackage unset", "DeletePackageVersion"]);
    expect(change.operations[2].guard?.text).toMatch(/^skipped unless the package's default version is 1\.0\.0/);
  });
});

test("a version moved to another package is deleted first (the old package, replaced before it, must be empty when it is deleted)", () => {
  const change = decideVersion(before("PUBLISHED"), {
    ...desired("PUBLISHED", { package: "fw2", packageVersion: "fw2/version/1.0.0" }),
    id: "fw2/version/1.0.0",
  });
  expect(change.replaceMode).toBe("delete-first");
  expect(calls(change)).toEqual(["UpdatePackage unset", "DeletePackageVersion", "CreatePackageVersion", "UpdatePackageVersion PUBLISH"]);
  expect(change.reasons[0]).toMatch(/^package changed; a version belongs to its package for life; the old version is deleted first/);
});

describe("the default version", () => {
  test("a new version its package names the default makes itself the default right after publishing", () => {
    expect(calls(decideVersion(undefined, desired("PUBLISHED", {}, true)))).toEqual([
      "CreatePackageVersion",
      "UpdatePackageVersion PUBLISH",
      "UpdatePackage default",
    ]);
  });

  test("a DRAFT version published now as the default designates itself (unless the package names it already); a published one leaves it to the package", () => {
    const published = decideVersion(before("DRAFT"), desired("PUBLISHED", {}, true));
    expect(calls(published)).toEqual(["UpdatePackageVersion PUBLISH", "UpdatePackage default"]);
    expect(published.operations[1].guard?.text).toBe("skipped if the package names 1.0.0 its default already");
    const already = decideVersion(before("PUBLISHED"), desired("PUBLISHED", {}, true));
    expect(already.operations).toEqual([]);
    expect(already.notes.join()).toContain("the SoftwarePackage's UpdatePackage makes it so");
  });

  test("the package names an existing version with a guarded UpdatePackage, and a new package leaves it to the version", () => {
    const d = {
      id: "fw",
      ownership: { app: "app", stage: "dev", resource: "app/dev/fw" },
      sensitive: new Set<string>(),
      state: { location: "local", region: "us-east-1", spec: { packageName: "fw", defaultVersion: "1.1.0" }, tags: {}, settings: {} },
    };
    const created = softwarePackageKind.decide(undefined, d);
    expect(created.operations.map((o) => o.op)).toEqual(["CreatePackage"]);
    expect(created.notes[0]).toContain("makes it the default right after it publishes it");
    const b = {
      state: { ...d.state, spec: { packageName: "fw", defaultVersion: "1.0.0" } },
      facts: { arn: "arn", extra: {} },
      live: false,
    };
    const updated = softwarePackageKind.decide(b, d);
    expect(updated.operations.map((o) => [o.op, o.input, o.guard?.kind])).toEqual([
      ["UpdatePackage", { packageName: "fw", defaultVersionName: "1.1.0" }, "package-default-published"],
    ]);
    const unset = softwarePackageKind.decide(b, { ...d, state: { ...d.state, spec: { packageName: "fw" } } });
    expect(unset.operations.map((o) => o.input)).toEqual([{ packageName: "fw", unsetDefaultVersion: true }]);
    expect(softwarePackageKind.references!(d)).toEqual([
      { path: "defaultVersion", type: "iot::SoftwarePackageVersion", id: "fw/version/1.1.0", forward: true },
    ]);
  });
});

describe("deprecating a version jobs are installing", () => {
  test("the jobs read with --refresh are named in a warning; without a read, a note says so", () => {
    const read = decideVersion(before("PUBLISHED", {}, false, { jobsInProgress: ["rollout-1"] }, true), desired("DEPRECATED"));
    expect(read.warnings).toEqual([
      "DEPRECATE: job rollout-1 IN_PROGRESS installs version 1.0.0 of package fw; AWS lets those jobs continue, and the devices they have not reached yet still install this version",
    ]);
    const none = decideVersion(before("PUBLISHED", {}, false, { jobsInProgress: [] }, true), desired("DEPRECATED"));
    expect(none.warnings).toEqual([]);
    const unread = decideVersion(before("PUBLISHED"), desired("DEPRECATED"));
    expect(unread.warnings).toEqual([]);
    expect(unread.notes.join()).toContain("are listed with --refresh");
  });
});
