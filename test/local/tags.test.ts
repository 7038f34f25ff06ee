import {
  CreateJobCommand,
  CreateJobTemplateCommand,
  DeleteJobCommand,
  DeleteJobTemplateCommand,
  InvalidRequestException,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  type IoTClient,
  type Tag,
} from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { DOC, createThings, expectError, iotClient, rawRequest } from "./helpers.ts";

let local: LocalIoT;
let iot: IoTClient;
let thing: string;
beforeAll(async () => {
  local = await startLocalIoT({ port: 0, deletionDelayMs: 0 });
  iot = iotClient(local);
  thing = (await createThings(iot, ["tag-thing"])).thingArns[0];
});
afterAll(() => local.stop());

const tagsOf = async (resourceArn: string) => (await iot.send(new ListTagsForResourceCommand({ resourceArn }))).tags!;
const many = (n: number, prefix = "k"): Tag[] => Array.from({ length: n }, (_, i) => ({ Key: `${prefix}${i}`, Value: `v${i}` }));

describe.each([
  {
    kind: "job",
    create: async (id: string, tags?: Tag[]) =>
      (await iot.send(new CreateJobCommand({ jobId: id, targets: [thing], document: DOC, tags }))).jobArn!,
    remove: (id: string) => iot.send(new DeleteJobCommand({ jobId: id, force: true })),
  },
  {
    kind: "jobtemplate",
    create: async (id: string, tags?: Tag[]) =>
      (await iot.send(new CreateJobTemplateCommand({ jobTemplateId: id, description: "d", document: DOC, tags }))).jobTemplateArn!,
    remove: (id: string) => iot.send(new DeleteJobTemplateCommand({ jobTemplateId: id })),
  },
])("tags on a $kind ARN", ({ kind, create, remove }) => {
  test("create-time tags are listed with capitalised Key/Value", async () => {
    const arn = await create(`${kind}-a`, [
      { Key: "env", Value: "prod" },
      { Key: "empty", Value: "" },
    ]);
    expect(arn).toContain(`:${kind}/${kind}-a`);
    const tags = await tagsOf(arn);
    expect(tags).toEqual(
      expect.arrayContaining([
        { Key: "env", Value: "prod" },
        { Key: "empty", Value: "" },
      ]),
    );
    expect(tags).toHaveLength(2);
  });

  test("TagResource adds and overwrites; UntagResource removes; both answer 200", async () => {
    const arn = await create(`${kind}-b`, [{ Key: "env", Value: "dev" }]);
    const tagged = await iot.send(
      new TagResourceCommand({
        resourceArn: arn,
        tags: [
          { Key: "env", Value: "prod" },
          { Key: "team", Value: "iot" },
        ],
      }),
    );
    expect(tagged.$metadata.httpStatusCode).toBe(200);
    expect(await tagsOf(arn)).toEqual(
      expect.arrayContaining([
        { Key: "env", Value: "prod" },
        { Key: "team", Value: "iot" },
      ]),
    );
    await iot.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["env", "not-there"] }));
    expect(await tagsOf(arn)).toEqual([{ Key: "team", Value: "iot" }]);
  });

  test("at most 50 tags per resource, at creation and through TagResource", async () => {
    await expectError(create(`${kind}-51`, many(51)), InvalidRequestException, 400, "tags", "50");
    const arn = await create(`${kind}-c`, many(50));
    expect(await tagsOf(arn)).toHaveLength(50);
    // Overwriting existing keys keeps the count at 50: fine.
    await iot.send(new TagResourceCommand({ resourceArn: arn, tags: many(50) }));
    await expectError(
      iot.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: "one-more", Value: "x" }] })),
      InvalidRequestException,
      400,
      "51 tags",
      "50",
    );
    expect(await tagsOf(arn)).toHaveLength(50);
  });

  test("the aws: prefix is reserved", async () => {
    await expectError(create(`${kind}-aws`, [{ Key: "aws:owner", Value: "x" }]), InvalidRequestException, 400, "aws:owner", "reserved");
    const arn = await create(`${kind}-d`);
    await expectError(
      iot.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: "AWS:owner", Value: "x" }] })),
      InvalidRequestException,
      400,
      "AWS:owner",
    );
  });

  test("tags go away with the resource; tagging a missing resource is a 404", async () => {
    const arn = await create(`${kind}-e`, [{ Key: "k", Value: "v" }]);
    await remove(`${kind}-e`);
    await expectError(iot.send(new ListTagsForResourceCommand({ resourceArn: arn })), ResourceNotFoundException, 404, arn);
    await expectError(
      iot.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: "k", Value: "v" }] })),
      ResourceNotFoundException,
      404,
      arn,
    );
    await expectError(iot.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["k"] })), ResourceNotFoundException, 404, arn);
    // Re-created under the same id: no tags carried over.
    const again = await create(`${kind}-e`);
    expect(again).toBe(arn);
    expect(await tagsOf(arn)).toEqual([]);
  });
});

describe("tagging rules that are not per resource type", () => {
  test("a managed template ARN is not taggable", async () => {
    await expectError(
      iot.send(
        new TagResourceCommand({
          resourceArn: "arn:aws:iot:us-east-1::jobtemplate/AWS-Reboot:1.0",
          tags: [{ Key: "k", Value: "v" }],
        }),
      ),
      InvalidRequestException,
      400,
      "Managed job templates cannot be tagged",
    );
  });

  test("an ARN of another account or region is a 404", async () => {
    await iot.send(new CreateJobTemplateCommand({ jobTemplateId: "mine", description: "d", document: DOC }));
    for (const arn of ["arn:aws:iot:us-east-1:999999999999:jobtemplate/mine", "arn:aws:iot:eu-west-1:123456789012:jobtemplate/mine"]) {
      await expectError(iot.send(new ListTagsForResourceCommand({ resourceArn: arn })), ResourceNotFoundException, 404, arn);
    }
  });

  test("required members and key/value lengths", async () => {
    const arn = "arn:aws:iot:us-east-1:123456789012:jobtemplate/mine";
    await expectError(iot.send(new TagResourceCommand({ resourceArn: arn } as any)), InvalidRequestException, 400, "'tags'");
    await expectError(iot.send(new UntagResourceCommand({ resourceArn: arn } as any)), InvalidRequestException, 400, "'tagKeys'");
    await expectError(iot.send(new TagResourceCommand({ tags: [] } as any)), InvalidRequestException, 400, "'resourceArn'");
    await expectError(
      iot.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: "k".repeat(129), Value: "v" }] })),
      InvalidRequestException,
      400,
      "Key",
      "128",
    );
    await expectError(
      iot.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: "k", Value: "v".repeat(257) }] })),
      InvalidRequestException,
      400,
      "Value",
      "256",
    );
    await expectError(
      iot.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: "bad#key", Value: "v" }] })),
      InvalidRequestException,
      400,
      "Key",
    );
    // ListTagsForResource without resourceArn (the SDK would not send it).
    const raw = await rawRequest(local, { method: "GET", path: "/tags" });
    expect(raw.status).toBe(400);
    expect(raw.json.message).toContain("resourceArn");
  });
});
