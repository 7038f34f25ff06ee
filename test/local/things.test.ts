import {
  AddThingToThingGroupCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteThingCommand,
  DeleteThingGroupCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  InvalidRequestException,
  ListTagsForResourceCommand,
  ListThingGroupsForThingCommand,
  ListThingsInThingGroupCommand,
  RemoveThingFromThingGroupCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateThingCommand,
  UpdateThingGroupCommand,
  VersionConflictException,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { expectError, iotClient } from "./helpers.ts";

let local: LocalIoT;
let iot: IoTClient;
beforeAll(async () => {
  local = await startLocalIoT({ port: 0, accountId: "111122223333" });
  iot = iotClient(local);
});
afterAll(() => local.stop());

describe("things", () => {
  test("CreateThing returns name, ARN and id; DescribeThing shows attributes and version", async () => {
    const created = await iot.send(
      new CreateThingCommand({ thingName: "sensor-1", attributePayload: { attributes: { model: "x1", site: "lab" } } }),
    );
    expect(created).toMatchObject({ thingName: "sensor-1", thingArn: "arn:aws:iot:us-east-1:111122223333:thing/sensor-1" });
    expect(created.thingId).toMatch(/^[0-9a-f-]{36}$/);
    const d = await iot.send(new DescribeThingCommand({ thingName: "sensor-1" }));
    expect(d).toMatchObject({
      thingName: "sensor-1",
      thingArn: created.thingArn,
      thingId: created.thingId,
      defaultClientId: "sensor-1",
      attributes: { model: "x1", site: "lab" },
      version: 1,
    });
  });

  test("CreateThing is idempotent for an identical thing and a 409 with different attributes", async () => {
    const again = await iot.send(
      new CreateThingCommand({ thingName: "sensor-1", attributePayload: { attributes: { site: "lab", model: "x1" } } }),
    );
    expect(again.thingName).toBe("sensor-1");
    const e = await expectError(
      iot.send(new CreateThingCommand({ thingName: "sensor-1", attributePayload: { attributes: { model: "x2" } } })),
      ResourceAlreadyExistsException,
      409,
      "sensor-1",
    );
    expect(e.resourceArn).toBe("arn:aws:iot:us-east-1:111122223333:thing/sensor-1");
  });

  test("UpdateThing merges or replaces attributes, bumps the version and checks expectedVersion", async () => {
    await iot.send(new UpdateThingCommand({ thingName: "sensor-1", attributePayload: { attributes: { site: "", fw: "2" }, merge: true } }));
    let d = await iot.send(new DescribeThingCommand({ thingName: "sensor-1" }));
    expect(d.attributes).toEqual({ model: "x1", fw: "2" });
    expect(d.version).toBe(2);
    await iot.send(
      new UpdateThingCommand({ thingName: "sensor-1", expectedVersion: 2, attributePayload: { attributes: { only: "this" } } }),
    );
    d = await iot.send(new DescribeThingCommand({ thingName: "sensor-1" }));
    expect(d.attributes).toEqual({ only: "this" });
    await expectError(
      iot.send(new UpdateThingCommand({ thingName: "sensor-1", expectedVersion: 1, attributePayload: { attributes: {} } })),
      VersionConflictException,
      409,
      "expected version 1",
    );
  });

  test("names and attributes are validated", async () => {
    await expectError(iot.send(new CreateThingCommand({ thingName: "bad name" })), InvalidRequestException, 400, "thingName");
    await expectError(iot.send(new CreateThingCommand({ thingName: "t".repeat(129) })), InvalidRequestException, 400, "thingName", "128");
    await expectError(
      iot.send(new CreateThingCommand({ thingName: "attr", attributePayload: { attributes: { "bad key!": "v" } } })),
      InvalidRequestException,
      400,
      "attributePayload.attributes",
    );
  });

  test("DeleteThing removes it (with expectedVersion checked); then it is a 404 everywhere", async () => {
    await iot.send(new CreateThingCommand({ thingName: "doomed" }));
    await expectError(iot.send(new DeleteThingCommand({ thingName: "doomed", expectedVersion: 5 })), VersionConflictException, 409);
    await iot.send(new DeleteThingCommand({ thingName: "doomed", expectedVersion: 1 }));
    await expectError(iot.send(new DescribeThingCommand({ thingName: "doomed" })), ResourceNotFoundException, 404, "Thing doomed");
    await expectError(iot.send(new UpdateThingCommand({ thingName: "doomed" })), ResourceNotFoundException, 404, "doomed");
    await expectError(iot.send(new DeleteThingCommand({ thingName: "doomed" })), ResourceNotFoundException, 404, "doomed");
  });
});

describe("thing groups", () => {
  test("CreateThingGroup / DescribeThingGroup with a parent, properties and tags", async () => {
    const parent = await iot.send(new CreateThingGroupCommand({ thingGroupName: "site" }));
    const child = await iot.send(
      new CreateThingGroupCommand({
        thingGroupName: "floor-1",
        parentGroupName: "site",
        thingGroupProperties: { thingGroupDescription: "first floor", attributePayload: { attributes: { level: "1" } } },
        tags: [{ Key: "owner", Value: "ops" }],
      }),
    );
    expect(child).toMatchObject({ thingGroupName: "floor-1", thingGroupArn: "arn:aws:iot:us-east-1:111122223333:thinggroup/floor-1" });
    const d = await iot.send(new DescribeThingGroupCommand({ thingGroupName: "floor-1" }));
    expect(d).toMatchObject({
      thingGroupName: "floor-1",
      thingGroupId: child.thingGroupId,
      thingGroupArn: child.thingGroupArn,
      version: 1,
      status: "ACTIVE",
      thingGroupProperties: { thingGroupDescription: "first floor", attributePayload: { attributes: { level: "1" } } },
      thingGroupMetadata: { parentGroupName: "site", rootToParentThingGroups: [{ groupName: "site", groupArn: parent.thingGroupArn }] },
    });
    expect(d.thingGroupMetadata!.creationDate).toBeInstanceOf(Date);
    const tags = await iot.send(new ListTagsForResourceCommand({ resourceArn: child.thingGroupArn! }));
    expect(tags.tags).toEqual([{ Key: "owner", Value: "ops" }]);
    await expectError(
      iot.send(new CreateThingGroupCommand({ thingGroupName: "orphan", parentGroupName: "nowhere" })),
      InvalidRequestException,
      400,
      "The parent thing group nowhere cannot be found",
    );
    await expectError(
      iot.send(new CreateThingGroupCommand({ thingGroupName: "floor-1", thingGroupProperties: { thingGroupDescription: "other" } })),
      ResourceAlreadyExistsException,
      409,
      "floor-1",
    );
  });

  test("UpdateThingGroup returns the new version and checks expectedVersion", async () => {
    const out = await iot.send(
      new UpdateThingGroupCommand({ thingGroupName: "floor-1", thingGroupProperties: { thingGroupDescription: "level one" } }),
    );
    expect(out.version).toBe(2);
    expect((await iot.send(new DescribeThingGroupCommand({ thingGroupName: "floor-1" }))).thingGroupProperties!.thingGroupDescription).toBe(
      "level one",
    );
    await expectError(
      iot.send(new UpdateThingGroupCommand({ thingGroupName: "floor-1", expectedVersion: 1, thingGroupProperties: {} })),
      VersionConflictException,
      409,
    );
    await expectError(
      iot.send(new UpdateThingGroupCommand({ thingGroupName: "nope", thingGroupProperties: {} })),
      ResourceNotFoundException,
      404,
      "nope",
    );
  });

  test("membership: add, list both ways (recursive too), remove", async () => {
    for (const thingName of ["m1", "m2", "m3"]) await iot.send(new CreateThingCommand({ thingName }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: "floor-1", thingName: "m1" }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: "floor-1", thingName: "m2" }));
    await iot.send(
      new AddThingToThingGroupCommand({
        thingGroupArn: "arn:aws:iot:us-east-1:111122223333:thinggroup/site",
        thingArn: "arn:aws:iot:us-east-1:111122223333:thing/m3",
      }),
    );
    // Adding twice is harmless.
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: "floor-1", thingName: "m1" }));

    expect((await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: "floor-1" }))).things).toEqual(["m1", "m2"]);
    expect((await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: "site" }))).things).toEqual(["m3"]);
    expect((await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: "site", recursive: true }))).things!.sort()).toEqual([
      "m1",
      "m2",
      "m3",
    ]);
    const groups = await iot.send(new ListThingGroupsForThingCommand({ thingName: "m1" }));
    expect(groups.thingGroups).toEqual([{ groupName: "floor-1", groupArn: "arn:aws:iot:us-east-1:111122223333:thinggroup/floor-1" }]);

    await iot.send(new RemoveThingFromThingGroupCommand({ thingGroupName: "floor-1", thingName: "m1" }));
    expect((await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: "floor-1" }))).things).toEqual(["m2"]);
    expect((await iot.send(new ListThingGroupsForThingCommand({ thingName: "m1" }))).thingGroups).toEqual([]);

    await expectError(
      iot.send(new AddThingToThingGroupCommand({ thingGroupName: "floor-1", thingName: "ghost" })),
      ResourceNotFoundException,
      404,
      "ghost",
    );
    await expectError(
      iot.send(new AddThingToThingGroupCommand({ thingGroupName: "ghost-group", thingName: "m1" })),
      ResourceNotFoundException,
      404,
      "ghost-group",
    );
    await expectError(iot.send(new AddThingToThingGroupCommand({ thingName: "m1" })), InvalidRequestException, 400, "thingGroupName");
    await expectError(iot.send(new ListThingGroupsForThingCommand({ thingName: "ghost" })), ResourceNotFoundException, 404, "ghost");
    await expectError(iot.send(new ListThingsInThingGroupCommand({ thingGroupName: "ghost" })), ResourceNotFoundException, 404, "ghost");
  });

  test("deleting a thing takes it out of its groups", async () => {
    await iot.send(new DeleteThingCommand({ thingName: "m2" }));
    expect((await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: "floor-1" }))).things).toEqual([]);
  });

  test("DeleteThingGroup: refused while it has children; unknown groups delete fine", async () => {
    await expectError(iot.send(new DeleteThingGroupCommand({ thingGroupName: "site" })), InvalidRequestException, 400, "site", "child");
    await expectError(
      iot.send(new DeleteThingGroupCommand({ thingGroupName: "floor-1", expectedVersion: 1 })),
      VersionConflictException,
      409,
    );
    await iot.send(new DeleteThingGroupCommand({ thingGroupName: "floor-1" }));
    await iot.send(new DeleteThingGroupCommand({ thingGroupName: "site" }));
    await iot.send(new DeleteThingGroupCommand({ thingGroupName: "never-existed" }));
    await expectError(iot.send(new DescribeThingGroupCommand({ thingGroupName: "site" })), ResourceNotFoundException, 404, "site");
  });
});
