/**
 * The Software Package Catalog on the local endpoint, through the real SDK:
 * packages and versions, the version lifecycle (allowed and refused
 * transitions, what may change in which status), the default version, the
 * lists, the quotas and tags. SBOMs, the configuration and jobs that install
 * versions: package-jobs.test.ts.
 */
import {
  ConflictException,
  CreatePackageCommand,
  CreatePackageVersionCommand,
  DeletePackageCommand,
  DeletePackageVersionCommand,
  GetPackageCommand,
  GetPackageVersionCommand,
  ListPackagesCommand,
  ListPackageVersionsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdatePackageCommand,
  UpdatePackageVersionCommand,
  ValidationException,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { expectError, iotClient } from "./helpers.ts";

let local: LocalIoT;
let iot: IoTClient;
beforeAll(async () => {
  local = await startLocalIoT();
  iot = iotClient(local, { maxAttempts: 1 });
});
afterAll(() => local.stop());

const version = (packageName: string, versionName: string, extra: Record<string, unknown> = {}) =>
  iot.send(new CreatePackageVersionCommand({ packageName, versionName, ...extra }));
const act = (packageName: string, versionName: string, action: "PUBLISH" | "DEPRECATE") =>
  iot.send(new UpdatePackageVersionCommand({ packageName, versionName, action }));
const statusOf = async (packageName: string, versionName: string) =>
  (await iot.send(new GetPackageVersionCommand({ packageName, versionName }))).status;

describe("packages", () => {
  test("CreatePackage answers its ARN; GetPackage describes it back with Dates", async () => {
    const before = Date.now();
    const created = await iot.send(new CreatePackageCommand({ packageName: "fw", description: "firmware" }));
    expect(created).toMatchObject({
      packageName: "fw",
      packageArn: "arn:aws:iot:us-east-1:123456789012:package/fw",
      description: "firmware",
    });
    const got = await iot.send(new GetPackageCommand({ packageName: "fw" }));
    expect(got).toMatchObject({ packageName: "fw", packageArn: created.packageArn, description: "firmware" });
    expect(got.defaultVersionName).toBeUndefined();
    expect(got.creationDate).toBeInstanceOf(Date);
    expect(got.creationDate!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(got.lastModifiedDate).toBeInstanceOf(Date);
  });

  test("a taken name is a ConflictException; a retry with the clientToken of the create that made it answers it again", async () => {
    const clientToken = "11111111-2222-4333-8444-555555555555";
    await iot.send(new CreatePackageCommand({ packageName: "retried", clientToken }));
    const again = await iot.send(new CreatePackageCommand({ packageName: "retried", clientToken }));
    expect(again.packageName).toBe("retried");
    const e = await expectError(
      iot.send(new CreatePackageCommand({ packageName: "retried" })),
      ConflictException,
      409,
      "retried",
      "already exists",
    );
    expect(e.resourceId).toBe("retried");
  });

  test("a name the model refuses is a 400 ValidationException naming the member", async () => {
    await expectError(iot.send(new CreatePackageCommand({ packageName: "no spaces" })), ValidationException, 400, "packageName");
  });

  test("UpdatePackage changes the description; an unknown package is a 404", async () => {
    await iot.send(new CreatePackageCommand({ packageName: "upd" }));
    await iot.send(new UpdatePackageCommand({ packageName: "upd", description: "new words" }));
    expect((await iot.send(new GetPackageCommand({ packageName: "upd" }))).description).toBe("new words");
    await expectError(
      iot.send(new UpdatePackageCommand({ packageName: "nope", description: "x" })),
      ResourceNotFoundException,
      404,
      "nope",
    );
    await expectError(iot.send(new GetPackageCommand({ packageName: "nope" })), ResourceNotFoundException, 404, "nope");
  });

  test("DeletePackage: unknown is success; with versions it is refused naming them; without, the package and its tags go", async () => {
    await iot.send(new DeletePackageCommand({ packageName: "never-was" }));
    await iot.send(new CreatePackageCommand({ packageName: "doomed", tags: { team: "a" } }));
    await version("doomed", "1.0");
    await expectError(
      iot.send(new DeletePackageCommand({ packageName: "doomed" })),
      ValidationException,
      400,
      "1.0",
      "delete its versions first",
    );
    await iot.send(new DeletePackageVersionCommand({ packageName: "doomed", versionName: "1.0" }));
    await iot.send(new DeletePackageCommand({ packageName: "doomed" }));
    await expectError(iot.send(new GetPackageCommand({ packageName: "doomed" })), ResourceNotFoundException, 404);
    await iot.send(new CreatePackageCommand({ packageName: "doomed" }));
    expect((await iot.send(new ListTagsForResourceCommand({ resourceArn: local.world.arn("package/doomed") }))).tags).toEqual([]);
  });

  test("ListPackages pages oldest first with maxResults 1-100", async () => {
    for (const name of ["l-a", "l-b", "l-c"]) await iot.send(new CreatePackageCommand({ packageName: name }));
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await iot.send(new ListPackagesCommand({ maxResults: 2, nextToken }));
      names.push(...page.packageSummaries!.map((p) => p.packageName!));
      expect(page.packageSummaries!.length).toBeLessThanOrEqual(2);
      nextToken = page.nextToken;
    } while (nextToken);
    expect(names.filter((n) => n.startsWith("l-"))).toEqual(["l-a", "l-b", "l-c"]);
    await expectError(iot.send(new ListPackagesCommand({ maxResults: 101 })), ValidationException, 400, "maxResults");
    await expectError(iot.send(new ListPackagesCommand({ nextToken: "bad" })), ValidationException, 400, "Next token");
  });
});

describe("versions and their lifecycle", () => {
  beforeAll(async () => {
    await iot.send(new CreatePackageCommand({ packageName: "app" }));
  });

  test("a new version is DRAFT, with its ARN; a version of an unknown package is refused naming it; a taken name conflicts", async () => {
    const v = await version("app", "1.0.0", { description: "first", attributes: { os: "linux" } });
    expect(v).toMatchObject({
      packageVersionArn: "arn:aws:iot:us-east-1:123456789012:package/app/version/1.0.0",
      packageName: "app",
      versionName: "1.0.0",
      status: "DRAFT",
      attributes: { os: "linux" },
    });
    await expectError(version("ghost", "1.0.0"), ValidationException, 400, "Package ghost does not exist");
    await expectError(version("app", "1.0.0"), ConflictException, 409, "1.0.0", "already exists");
  });

  test("PUBLISH: DRAFT or DEPRECATED to PUBLISHED; DEPRECATE: PUBLISHED to DEPRECATED", async () => {
    await version("app", "lc");
    await act("app", "lc", "PUBLISH");
    expect(await statusOf("app", "lc")).toBe("PUBLISHED");
    await act("app", "lc", "DEPRECATE");
    expect(await statusOf("app", "lc")).toBe("DEPRECATED");
    await act("app", "lc", "PUBLISH");
    expect(await statusOf("app", "lc")).toBe("PUBLISHED");
  });

  test("other transitions are refused, naming where the version is and where the action goes", async () => {
    await version("app", "tr");
    await expectError(act("app", "tr", "DEPRECATE"), ConflictException, 409, "is DRAFT", "from DRAFT to DEPRECATED");
    await act("app", "tr", "PUBLISH");
    await expectError(act("app", "tr", "PUBLISH"), ConflictException, 409, "is PUBLISHED", "from PUBLISHED to PUBLISHED");
    await act("app", "tr", "DEPRECATE");
    await expectError(act("app", "tr", "DEPRECATE"), ConflictException, 409, "from DEPRECATED to DEPRECATED");
    await expectError(act("app", "nope", "PUBLISH"), ResourceNotFoundException, 404, "nope");
  });

  test("attributes and artifact change only while DRAFT, the recipe also while PUBLISHED, the description at any time", async () => {
    await version("app", "ed", { attributes: { a: "1" } });
    const update = (extra: Record<string, unknown>) =>
      iot.send(new UpdatePackageVersionCommand({ packageName: "app", versionName: "ed", ...extra }));
    await update({ attributes: { a: "2", b: "3" }, artifact: { s3Location: { bucket: "b", key: "k" } }, recipe: "{}" });
    let got = await iot.send(new GetPackageVersionCommand({ packageName: "app", versionName: "ed" }));
    expect(got).toMatchObject({ attributes: { a: "2", b: "3" }, artifact: { s3Location: { bucket: "b", key: "k" } }, recipe: "{}" });
    await act("app", "ed", "PUBLISH");
    await expectError(
      update({ attributes: { a: "9" } }),
      ConflictException,
      409,
      "is PUBLISHED",
      "attributes can be changed only while it is DRAFT",
    );
    await expectError(update({ artifact: { s3Location: { bucket: "b", key: "k2" } } }), ConflictException, 409, "artifact");
    await update({ recipe: '{"v":2}', description: "published now" });
    await act("app", "ed", "DEPRECATE");
    await expectError(update({ recipe: "{}" }), ConflictException, 409, "recipe", "DRAFT or PUBLISHED");
    await update({ description: "deprecated now" });
    got = await iot.send(new GetPackageVersionCommand({ packageName: "app", versionName: "ed" }));
    expect(got).toMatchObject({ attributes: { a: "2", b: "3" }, recipe: '{"v":2}', description: "deprecated now", status: "DEPRECATED" });
  });

  test("the combined size of a version's attributes is at most 3 KB", async () => {
    const big = { a: "x".repeat(3000), b: "y".repeat(100) };
    await expectError(version("app", "big", { attributes: big }), ValidationException, 400, "attributes", "3 KB");
    await version("app", "fits", { attributes: { a: "x".repeat(3070) } }); // 1 + 3070 bytes
    await expectError(
      iot.send(new UpdatePackageVersionCommand({ packageName: "app", versionName: "fits", attributes: big })),
      ValidationException,
      400,
      "3 KB",
    );
  });

  test("ListPackageVersions filters by status and pages; an unknown package is refused", async () => {
    await iot.send(new CreatePackageCommand({ packageName: "listed" }));
    for (const v of ["1", "2", "3", "4"]) await version("listed", v);
    await act("listed", "2", "PUBLISH");
    await act("listed", "3", "PUBLISH");
    await act("listed", "3", "DEPRECATE");
    const by = async (status?: "DRAFT" | "PUBLISHED" | "DEPRECATED") =>
      (await iot.send(new ListPackageVersionsCommand({ packageName: "listed", status }))).packageVersionSummaries!.map(
        (s) => s.versionName,
      );
    expect(await by()).toEqual(["1", "2", "3", "4"]);
    expect(await by("DRAFT")).toEqual(["1", "4"]);
    expect(await by("PUBLISHED")).toEqual(["2"]);
    expect(await by("DEPRECATED")).toEqual(["3"]);
    const first = await iot.send(new ListPackageVersionsCommand({ packageName: "listed", maxResults: 3 }));
    expect(first.packageVersionSummaries!.map((s) => [s.versionName, s.status])).toEqual([
      ["1", "DRAFT"],
      ["2", "PUBLISHED"],
      ["3", "DEPRECATED"],
    ]);
    const second = await iot.send(new ListPackageVersionsCommand({ packageName: "listed", maxResults: 3, nextToken: first.nextToken }));
    expect(second.packageVersionSummaries!.map((s) => s.versionName)).toEqual(["4"]);
    expect(second.nextToken).toBeUndefined();
    // A token of one filter is not one of another.
    await expectError(
      iot.send(new ListPackageVersionsCommand({ packageName: "listed", status: "DRAFT", nextToken: first.nextToken })),
      ValidationException,
      400,
    );
    await expectError(iot.send(new ListPackageVersionsCommand({ packageName: "nothing" })), ValidationException, 400, "nothing");
  });
});

describe("the default version", () => {
  beforeAll(async () => {
    await iot.send(new CreatePackageCommand({ packageName: "dv" }));
    for (const v of ["draft", "pub", "dep"]) await version("dv", v);
    await act("dv", "pub", "PUBLISH");
    await act("dv", "dep", "PUBLISH");
    await act("dv", "dep", "DEPRECATE");
  });
  const setDefault = (defaultVersionName: string, unsetDefaultVersion?: boolean) =>
    iot.send(new UpdatePackageCommand({ packageName: "dv", defaultVersionName, unsetDefaultVersion }));

  test("must be a PUBLISHED or DEPRECATED version of the package", async () => {
    await expectError(setDefault("draft"), ConflictException, 409, "draft", "DRAFT", "PUBLISHED or DEPRECATED");
    await expectError(setDefault("none"), ResourceNotFoundException, 404, "none");
    await setDefault("dep");
    expect((await iot.send(new GetPackageCommand({ packageName: "dv" }))).defaultVersionName).toBe("dep");
    await setDefault("pub");
    expect((await iot.send(new GetPackageCommand({ packageName: "dv" }))).defaultVersionName).toBe("pub");
    const summary = (await iot.send(new ListPackagesCommand({}))).packageSummaries!.find((p) => p.packageName === "dv");
    expect(summary?.defaultVersionName).toBe("pub");
  });

  test("naming one and unsetting at once is refused; the default cannot be deleted until unset", async () => {
    await setDefault("pub");
    await expectError(setDefault("pub", true), ValidationException, 400, "unsetDefaultVersion");
    await expectError(
      iot.send(new DeletePackageVersionCommand({ packageName: "dv", versionName: "pub" })),
      ValidationException,
      400,
      "default version",
      "unset",
    );
    await iot.send(new UpdatePackageCommand({ packageName: "dv", unsetDefaultVersion: true }));
    expect((await iot.send(new GetPackageCommand({ packageName: "dv" }))).defaultVersionName).toBeUndefined();
    await iot.send(new DeletePackageVersionCommand({ packageName: "dv", versionName: "pub" }));
    await iot.send(new DeletePackageVersionCommand({ packageName: "dv", versionName: "pub" })); // gone: success
    await expectError(iot.send(new GetPackageVersionCommand({ packageName: "dv", versionName: "pub" })), ResourceNotFoundException, 404);
  });
});

describe("tags", () => {
  test("CreatePackage and CreatePackageVersion tags are listed; TagResource and UntagResource take both ARNs; deletion drops them", async () => {
    const pkg = await iot.send(new CreatePackageCommand({ packageName: "tagged", tags: { owner: "ops" } }));
    const v = await version("tagged", "1", { tags: { stage: "beta" } });
    const tagsOf = async (resourceArn: string) => (await iot.send(new ListTagsForResourceCommand({ resourceArn }))).tags;
    expect(await tagsOf(pkg.packageArn!)).toEqual([{ Key: "owner", Value: "ops" }]);
    expect(await tagsOf(v.packageVersionArn!)).toEqual([{ Key: "stage", Value: "beta" }]);
    await iot.send(new TagResourceCommand({ resourceArn: v.packageVersionArn!, tags: [{ Key: "extra", Value: "1" }] }));
    await iot.send(new UntagResourceCommand({ resourceArn: v.packageVersionArn!, tagKeys: ["stage"] }));
    expect(await tagsOf(v.packageVersionArn!)).toEqual([{ Key: "extra", Value: "1" }]);
    await expectError(version("tagged", "2", { tags: { "aws:mine": "x" } }), ValidationException, 400, "aws:");
    await iot.send(new DeletePackageVersionCommand({ packageName: "tagged", versionName: "1" }));
    await expectError(iot.send(new ListTagsForResourceCommand({ resourceArn: v.packageVersionArn! })), ResourceNotFoundException, 404);
    await version("tagged", "1");
    expect(await tagsOf(v.packageVersionArn!)).toEqual([]);
  });
});

describe("quotas", () => {
  test("beyond the packages of an account and the versions of a package: ServiceQuotaExceededException (402)", async () => {
    const small = await startLocalIoT({ packageLimits: { packages: 2, versionsPerPackage: 2 } });
    try {
      const c = iotClient(small, { maxAttempts: 1 });
      await c.send(new CreatePackageCommand({ packageName: "q1" }));
      await c.send(new CreatePackageCommand({ packageName: "q2" }));
      await expectError(c.send(new CreatePackageCommand({ packageName: "q3" })), ServiceQuotaExceededException, 402, "q3", "2 packages");
      await c.send(new CreatePackageVersionCommand({ packageName: "q1", versionName: "1" }));
      await c.send(new CreatePackageVersionCommand({ packageName: "q1", versionName: "2" }));
      await expectError(
        c.send(new CreatePackageVersionCommand({ packageName: "q1", versionName: "3" })),
        ServiceQuotaExceededException,
        402,
        "2 versions",
      );
      // A deleted version frees its place.
      await c.send(new DeletePackageVersionCommand({ packageName: "q1", versionName: "2" }));
      await c.send(new CreatePackageVersionCommand({ packageName: "q1", versionName: "3" }));
    } finally {
      await small.stop();
    }
    await expect(startLocalIoT({ packageLimits: { packages: -1 } })).rejects.toThrow("packageLimits.packages");
  });
});
