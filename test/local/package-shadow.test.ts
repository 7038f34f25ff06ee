/**
 * Device shadows on the local endpoint, read and written through the real
 * `@aws-sdk/client-iot-data-plane` (signed for `iotdata`), and the reserved
 * named shadow `$package` that the fleet simulation updates when an
 * execution of a job that installs package versions succeeds, if the package
 * configuration enables it.
 */
import { CreateJobCommand, UpdatePackageCommand, UpdatePackageConfigurationCommand, type IoTClient } from "@aws-sdk/client-iot";
import {
  ConflictException,
  DeleteThingShadowCommand,
  GetThingShadowCommand,
  InvalidRequestException,
  IoTDataPlaneClient,
  ListNamedShadowsForThingCommand,
  ResourceNotFoundException,
  UpdateThingShadowCommand,
} from "@aws-sdk/client-iot-data-plane";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { DATA_PLANE_OPERATIONS, startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { DOC, createThings, expectError, iotClient, packageVersions, rawRequest } from "./helpers.ts";

const START = Date.UTC(2030, 0, 7);
const MINUTE = 60_000;

const dataPlane = (local: LocalIoT) =>
  new IoTDataPlaneClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials, maxAttempts: 1 });
const json = (payload: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(payload));
const bytes = (doc: unknown) => new TextEncoder().encode(JSON.stringify(doc));

describe("the data plane's shadow calls", () => {
  let local: LocalIoT;
  let data: IoTDataPlaneClient;
  beforeAll(async () => {
    local = await startLocalIoT({ virtualClock: START });
    data = dataPlane(local);
  });
  afterAll(() => local.stop());

  test("a shadow that does not exist is a 404 naming it", async () => {
    await expectError(
      data.send(new GetThingShadowCommand({ thingName: "s-1", shadowName: "cfg" })),
      ResourceNotFoundException,
      404,
      "No shadow exists with name: 's-1~cfg'",
    );
    await expectError(
      data.send(new GetThingShadowCommand({ thingName: "s-1" })),
      ResourceNotFoundException,
      404,
      "No shadow exists with name: 's-1'",
    );
  });

  test("UpdateThingShadow merges, versions and stamps; GetThingShadow answers the state with its delta", async () => {
    const first = json(
      (
        await data.send(
          new UpdateThingShadowCommand({
            thingName: "s-1",
            shadowName: "cfg",
            payload: bytes({ state: { desired: { led: "on", level: 3 } }, clientToken: "c1" }),
          }),
        )
      ).payload,
    );
    const t = START / 1000;
    expect(first).toEqual({
      state: { desired: { led: "on", level: 3 } },
      metadata: { desired: { led: { timestamp: t }, level: { timestamp: t } } },
      version: 1,
      timestamp: t,
      clientToken: "c1",
    });
    await data.send(
      new UpdateThingShadowCommand({
        thingName: "s-1",
        shadowName: "cfg",
        payload: bytes({ state: { reported: { led: "off", level: 3 } } }),
      }),
    );
    const got = json((await data.send(new GetThingShadowCommand({ thingName: "s-1", shadowName: "cfg" }))).payload);
    expect(got).toMatchObject({
      state: { desired: { led: "on", level: 3 }, reported: { led: "off", level: 3 }, delta: { led: "on" } },
      version: 2,
    });
    // null deletes a member; a matching report leaves no delta.
    await data.send(
      new UpdateThingShadowCommand({
        thingName: "s-1",
        shadowName: "cfg",
        payload: bytes({ state: { desired: { level: null }, reported: { led: "on" } } }),
      }),
    );
    const after = json((await data.send(new GetThingShadowCommand({ thingName: "s-1", shadowName: "cfg" }))).payload);
    expect(after.state).toEqual({ desired: { led: "on" }, reported: { led: "on", level: 3 } });
    expect(after.metadata.desired).toEqual({ led: { timestamp: t } });
  });

  test("an update for another version is a 409; a payload that is not a shadow document is a 400", async () => {
    await data.send(new UpdateThingShadowCommand({ thingName: "s-2", payload: bytes({ state: { reported: { a: 1 } } }) }));
    await expectError(
      data.send(new UpdateThingShadowCommand({ thingName: "s-2", payload: bytes({ state: { reported: { a: 2 } }, version: 7 }) })),
      ConflictException,
      409,
      "Version conflict",
    );
    await data.send(new UpdateThingShadowCommand({ thingName: "s-2", payload: bytes({ state: { reported: { a: 2 } }, version: 1 }) }));
    await expectError(
      data.send(new UpdateThingShadowCommand({ thingName: "s-2", payload: bytes({ nostate: 1 }) })),
      InvalidRequestException,
      400,
      "Missing required node: state",
    );
    await expectError(
      data.send(new UpdateThingShadowCommand({ thingName: "s-2", payload: new TextEncoder().encode("{not json") })),
      InvalidRequestException,
      400,
      "invalid json",
    );
    await expectError(
      data.send(
        new UpdateThingShadowCommand({
          thingName: "s-2",
          payload: bytes({ state: { reported: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } } }),
        }),
      ),
      InvalidRequestException,
      400,
      "nesting",
    );
  });

  test("$package takes only version and attributes under a package, and keeps no metadata", async () => {
    await expectError(
      data.send(
        new UpdateThingShadowCommand({
          thingName: "s-3",
          shadowName: "$package",
          payload: bytes({ state: { reported: { fw: { version: "1", description: "x" } } } }),
        }),
      ),
      InvalidRequestException,
      400,
      "fw.description",
    );
    const out = json(
      (
        await data.send(
          new UpdateThingShadowCommand({
            thingName: "s-3",
            shadowName: "$package",
            payload: bytes({ state: { reported: { fw: { version: "1", attributes: { os: "x" } } } } }),
          }),
        )
      ).payload,
    );
    expect(out.metadata).toBeUndefined();
    expect(local.world.installedPackageVersions("s-3")).toEqual({ fw: "1" });
  });

  test("ListNamedShadowsForThing lists the named shadows by name, in pages; DeleteThingShadow removes one", async () => {
    for (const name of ["b", "a", "c"])
      await data.send(new UpdateThingShadowCommand({ thingName: "s-4", shadowName: name, payload: bytes({ state: { reported: {} } }) }));
    await data.send(new UpdateThingShadowCommand({ thingName: "s-4", payload: bytes({ state: { reported: { classic: true } } }) }));
    const first = await data.send(new ListNamedShadowsForThingCommand({ thingName: "s-4", pageSize: 2 }));
    expect(first.results).toEqual(["a", "b"]);
    const second = await data.send(new ListNamedShadowsForThingCommand({ thingName: "s-4", pageSize: 2, nextToken: first.nextToken }));
    expect(second.results).toEqual(["c"]);
    expect(second.nextToken).toBeUndefined();
    const deleted = json((await data.send(new DeleteThingShadowCommand({ thingName: "s-4", shadowName: "b" }))).payload);
    expect(deleted).toMatchObject({ version: 1 });
    expect((await data.send(new ListNamedShadowsForThingCommand({ thingName: "s-4" }))).results).toEqual(["a", "c"]);
    expect((await data.send(new ListNamedShadowsForThingCommand({ thingName: "nobody" }))).results).toEqual([]);
  });

  test("the shadow routes are the data plane's: a request signed for iot does not reach them; a wrong method is a 405", async () => {
    expect([...DATA_PLANE_OPERATIONS].sort()).toEqual([
      "DeleteThingShadow",
      "GetThingShadow",
      "ListNamedShadowsForThing",
      "UpdateThingShadow",
    ]);
    const asIot = await rawRequest(local, { method: "GET", path: "/things/s-1/shadow?name=cfg" });
    expect(asIot.status).toBe(404);
    expect(asIot.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
    const put = await rawRequest(local, { method: "PUT", path: "/things/s-1/shadow", body: "{}", service: "iotdata" });
    expect(put.status).toBe(405);
    expect(put.headers.get("x-amzn-errortype")).toBe("MethodNotAllowedException");
    expect(local.stats().byOperation.GetThingShadow.count).toBeGreaterThan(0);
  });
});

describe("the $package shadow after a job that installs versions", () => {
  let local: LocalIoT;
  let iot: IoTClient;
  let data: IoTDataPlaneClient;
  let n = 0;
  afterEach(() => local?.stop());

  async function fleet(enabled: boolean) {
    local = await startLocalIoT({ virtualClock: START });
    iot = iotClient(local, { maxAttempts: 1 });
    data = dataPlane(local);
    await local.addSimulatedDevices({ thingGroupName: "ok", count: 2, namePrefix: "ok-" });
    await local.addSimulatedDevices({ thingGroupName: "bad", count: 1, namePrefix: "bad-", behaviour: { failRate: 1 } });
    const roleArn = "arn:aws:iam::123456789012:role/shadow-writer";
    if (enabled) await iot.send(new UpdatePackageConfigurationCommand({ versionUpdateByJobsConfig: { enabled: true, roleArn } }));
    const [agent2] = await packageVersions(iot, "agent", ["2.0.0"]);
    const [tools1] = await packageVersions(iot, "tools", ["1.1"]);
    return { agent2, tools1 };
  }
  const runJob = async (targets: string[], destinationPackageVersions: string[]) => {
    await iot.send(new CreateJobCommand({ jobId: `install-${++n}`, targets, document: DOC, destinationPackageVersions }));
    local.advanceTime(2 * MINUTE);
  };
  const group = (name: string) => local.world.arn(`thinggroup/${name}`);
  const packageShadow = async (thingName: string) =>
    json((await data.send(new GetThingShadowCommand({ thingName, shadowName: "$package" }))).payload);

  test("disabled (the default): no shadow is written", async () => {
    const { agent2 } = await fleet(false);
    await runJob([group("ok")], [agent2]);
    await expectError(
      data.send(new GetThingShadowCommand({ thingName: "ok-00001", shadowName: "$package" })),
      ResourceNotFoundException,
      404,
    );
    expect(local.world.installedPackageVersions("ok-00001")).toEqual({});
  });

  test("enabled: each thing whose execution SUCCEEDED reports every version; a FAILED one reports nothing", async () => {
    const { agent2, tools1 } = await fleet(true);
    await runJob([group("ok"), group("bad")], [agent2, tools1]);
    const shadow = await packageShadow("ok-00001");
    expect(shadow.state).toEqual({ reported: { agent: { version: "2.0.0" }, tools: { version: "1.1" } } });
    expect(shadow.metadata).toBeUndefined();
    expect(local.world.installedPackageVersions("ok-00002")).toEqual({ agent: "2.0.0", tools: "1.1" });
    await expectError(
      data.send(new GetThingShadowCommand({ thingName: "bad-00001", shadowName: "$package" })),
      ResourceNotFoundException,
      404,
    );
  });

  test("a seeded shadow keeps its attributes and other packages; $default installs the default version; $null removes a package", async () => {
    const { agent2 } = await fleet(true);
    const payload = bytes({
      state: { reported: { agent: { version: "1.0.0", attributes: { channel: "stable" } }, tools: { version: "0.9" } } },
    });
    await data.send(new UpdateThingShadowCommand({ thingName: "ok-00001", shadowName: "$package", payload }));
    await runJob([local.world.arn("thing/ok-00001")], [agent2]);
    expect((await packageShadow("ok-00001")).state.reported).toEqual({
      agent: { version: "2.0.0", attributes: { channel: "stable" } },
      tools: { version: "0.9" },
    });
    await packageVersions(iot, "extra", ["3"]);
    await iot.send(new UpdatePackageCommand({ packageName: "extra", defaultVersionName: "3" }));
    await runJob(
      [local.world.arn("thing/ok-00001")],
      [local.world.arn("package/extra/version/$default"), local.world.arn("package/tools/version/$null")],
    );
    expect(local.world.installedPackageVersions("ok-00001")).toEqual({ agent: "2.0.0", extra: "3" });
  });

  test("a test acting as the device (updateJobExecution SUCCEEDED) updates it too", async () => {
    const { tools1 } = await fleet(true);
    const { thingArns } = await createThings(iot, ["manual"]);
    await iot.send(new CreateJobCommand({ jobId: "by-hand", targets: thingArns, document: DOC, destinationPackageVersions: [tools1] }));
    expect(local.world.installedPackageVersions("manual")).toEqual({});
    await local.updateJobExecution({ thingName: "manual", jobId: "by-hand", status: "SUCCEEDED" });
    expect(local.world.installedPackageVersions("manual")).toEqual({ tools: "1.1" });
  });
});
