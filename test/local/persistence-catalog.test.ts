/**
 * Persistence of the Software Package Catalog's tables (packages, versions,
 * the package configuration) and of the device shadows: they survive a
 * restart, files written before they existed still load, and a file whose
 * catalog records are not in a shape this version reads is refused and kept.
 */
import {
  CreatePackageCommand,
  CreatePackageVersionCommand,
  AssociateSbomWithPackageVersionCommand,
  GetPackageCommand,
  GetPackageConfigurationCommand,
  GetPackageVersionCommand,
  ListPackagesCommand,
  ListTagsForResourceCommand,
  UpdatePackageCommand,
  UpdatePackageConfigurationCommand,
  UpdatePackageVersionCommand,
} from "@aws-sdk/client-iot";
import { GetThingShadowCommand, IoTDataPlaneClient, UpdateThingShadowCommand } from "@aws-sdk/client-iot-data-plane";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { PersistenceError, startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { iotClient } from "./helpers.ts";

let dir: string;
let file: string;
const running: LocalIoT[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-iot-catalog-"));
  file = path.join(dir, "iot.json");
});
afterEach(async () => {
  for (const l of running.splice(0)) await l.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<LocalIoT> {
  const l = await startLocalIoT({ persistPath: file });
  running.push(l);
  return l;
}
async function stop(l: LocalIoT): Promise<void> {
  running.splice(running.indexOf(l), 1);
  await l.stop();
}
const dataPlane = (l: LocalIoT) => new IoTDataPlaneClient({ endpoint: l.endpoint, region: l.region, credentials: l.credentials });
const readData = () => JSON.parse(fs.readFileSync(file, "utf8"));

/** Writes a catalog with every kind of record, and a shadow; stops the endpoint. */
async function writeCatalog(): Promise<void> {
  const l = await start();
  const iot = iotClient(l);
  await iot.send(new CreatePackageCommand({ packageName: "fw", description: "firmware", tags: { team: "a" } }));
  await iot.send(
    new CreatePackageVersionCommand({
      packageName: "fw",
      versionName: "1.0",
      attributes: { arch: "arm" },
      artifact: { s3Location: { bucket: "b", key: "fw.bin", version: "3" } },
      recipe: "{}",
      tags: { stage: "ga" },
    }),
  );
  await iot.send(new UpdatePackageVersionCommand({ packageName: "fw", versionName: "1.0", action: "PUBLISH" }));
  await iot.send(new UpdatePackageCommand({ packageName: "fw", defaultVersionName: "1.0" }));
  l.putS3Object("s3://b/sbom.json", JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.5" }));
  await iot.send(
    new AssociateSbomWithPackageVersionCommand({
      packageName: "fw",
      versionName: "1.0",
      sbom: { s3Location: { bucket: "b", key: "sbom.json" } },
    }),
  );
  await iot.send(
    new UpdatePackageConfigurationCommand({
      versionUpdateByJobsConfig: { enabled: true, roleArn: "arn:aws:iam::123456789012:role/writer" },
    }),
  );
  const payload = new TextEncoder().encode(JSON.stringify({ state: { reported: { fw: { version: "1.0" } } } }));
  await dataPlane(l).send(new UpdateThingShadowCommand({ thingName: "dev-1", shadowName: "$package", payload }));
  await stop(l);
}

describe("the catalog and the shadows survive a restart", () => {
  test("packages, versions (status, attributes, artifact, recipe, SBOM), the default, tags, the configuration and shadows come back", async () => {
    await writeCatalog();
    const data = readData();
    expect(data.packages).toHaveLength(1);
    expect(data.packageVersions).toHaveLength(1);
    expect(data.packageConfiguration).toEqual({
      versionUpdateByJobsConfig: { enabled: true, roleArn: "arn:aws:iam::123456789012:role/writer" },
    });
    expect(data.shadows).toHaveLength(1);

    const l = await start();
    const iot = iotClient(l);
    expect(await iot.send(new GetPackageCommand({ packageName: "fw" }))).toMatchObject({
      description: "firmware",
      defaultVersionName: "1.0",
    });
    expect(await iot.send(new GetPackageVersionCommand({ packageName: "fw", versionName: "1.0" }))).toMatchObject({
      status: "PUBLISHED",
      attributes: { arch: "arm" },
      artifact: { s3Location: { bucket: "b", key: "fw.bin", version: "3" } },
      recipe: "{}",
      sbom: { s3Location: { bucket: "b", key: "sbom.json" } },
      sbomValidationStatus: "SUCCEEDED",
    });
    const tags = await iot.send(new ListTagsForResourceCommand({ resourceArn: l.world.arn("package/fw/version/1.0") }));
    expect(tags.tags).toEqual([{ Key: "stage", Value: "ga" }]);
    expect((await iot.send(new GetPackageConfigurationCommand({}))).versionUpdateByJobsConfig?.enabled).toBe(true);
    const shadow = await dataPlane(l).send(new GetThingShadowCommand({ thingName: "dev-1", shadowName: "$package" }));
    expect(JSON.parse(new TextDecoder().decode(shadow.payload)).state).toEqual({ reported: { fw: { version: "1.0" } } });
    expect(l.world.installedPackageVersions("dev-1")).toEqual({ fw: "1.0" });
    // A new record after the restart does not take an old one's place in the lists.
    await iot.send(new CreatePackageCommand({ packageName: "later" }));
    expect((await iot.send(new ListPackagesCommand({}))).packageSummaries!.map((p) => p.packageName)).toEqual(["fw", "later"]);
  });

  test("a file written before the catalog and the shadows existed loads, and is written with them next time", async () => {
    await writeCatalog();
    const data = readData();
    for (const table of ["packages", "packageVersions", "packageConfiguration", "shadows"]) delete data[table];
    fs.writeFileSync(file, JSON.stringify(data));
    const l = await start();
    const iot = iotClient(l);
    expect((await iot.send(new ListPackagesCommand({}))).packageSummaries).toEqual([]);
    expect((await iot.send(new GetPackageConfigurationCommand({}))).versionUpdateByJobsConfig).toEqual({ enabled: false });
    await iot.send(new CreatePackageCommand({ packageName: "new" }));
    await stop(l);
    expect(readData().packages.map((p: { packageName: string }) => p.packageName)).toEqual(["new"]);
  });
});

describe("catalog records not in a shape this version reads stop start-up, and the file is kept", () => {
  const refused = async (change: (data: any) => void, ...fragments: string[]) => {
    await writeCatalog();
    const data = readData();
    change(data);
    const text = JSON.stringify(data);
    fs.writeFileSync(file, text);
    const error = await startLocalIoT({ persistPath: file }).catch((e) => e);
    expect(error).toBeInstanceOf(PersistenceError);
    for (const f of fragments) expect(error.message).toContain(f);
    expect(fs.readFileSync(file, "utf8")).toBe(text);
  };

  test("a version status that is not one", () => refused((d) => (d.packageVersions[0].status = "RETIRED"), "packageVersions[0].status"));
  test("two versions with one name", () =>
    refused((d) => d.packageVersions.push(d.packageVersions[0]), "packageVersions[1]", "version 1.0 of package fw"));
  test("two packages with one name", () => refused((d) => d.packages.push(d.packages[0]), "packages[1].packageName"));
  test("a shadow without a version", () => refused((d) => delete d.shadows[0].version, "shadows[0].version"));
  test("a configuration whose enabled is not a boolean", () =>
    refused(
      (d) => (d.packageConfiguration.versionUpdateByJobsConfig.enabled = "yes"),
      "packageConfiguration.versionUpdateByJobsConfig.enabled",
    ));
});
