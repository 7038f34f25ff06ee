import {
  AddThingToThingGroupCommand,
  CreateJobCommand,
  CreateJobTemplateCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  InvalidRequestException,
  ListJobExecutionsForJobCommand,
  ListJobExecutionsForThingCommand,
  ListJobsCommand,
  ListJobTemplatesCommand,
  ListManagedJobTemplatesCommand,
  ListTagsForResourceCommand,
  ListThingGroupsForThingCommand,
  ListThingsInThingGroupCommand,
  TagResourceCommand,
  paginateListJobExecutionsForJob,
  paginateListJobExecutionsForThing,
  paginateListJobs,
  paginateListJobTemplates,
  paginateListManagedJobTemplates,
  paginateListTagsForResource,
  paginateListThingGroupsForThing,
  paginateListThingsInThingGroup,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { DOC, expectError, iotClient } from "./helpers.ts";

const N = 7;
let local: LocalIoT;
let iot: IoTClient;
beforeAll(async () => {
  local = await startLocalIoT({ port: 0 });
  iot = iotClient(local);
  await iot.send(new CreateThingCommand({ thingName: "solo" }));
  await iot.send(new CreateThingGroupCommand({ thingGroupName: "big" }));
  for (let i = 0; i < N; i++) {
    await iot.send(new CreateJobTemplateCommand({ jobTemplateId: `tpl-${i}`, description: "d", document: DOC }));
    await iot.send(new CreateThingCommand({ thingName: `member-${i}` }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: "big", thingName: `member-${i}` }));
    await iot.send(new CreateThingGroupCommand({ thingGroupName: `g-${i}` }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: `g-${i}`, thingName: "solo" }));
  }
  const soloArn = `arn:aws:iot:us-east-1:123456789012:thing/solo`;
  for (let i = 0; i < N; i++) {
    await iot.send(new CreateJobCommand({ jobId: `job-${i}`, targets: [soloArn], document: DOC }));
  }
  await iot.send(
    new CreateJobCommand({ jobId: "fleet-job", targets: ["arn:aws:iot:us-east-1:123456789012:thinggroup/big"], document: DOC }),
  );
  await iot.send(
    new TagResourceCommand({
      resourceArn: "arn:aws:iot:us-east-1:123456789012:jobtemplate/tpl-0",
      tags: Array.from({ length: 50 }, (_, i) => ({ Key: `k${String(i).padStart(2, "0")}`, Value: `${i}` })),
    }),
  );
});
afterAll(() => local.stop());

const TEMPLATE_ARN = "arn:aws:iot:us-east-1:123456789012:jobtemplate/tpl-0";

/**
 * One row per list operation: how to call it with a page size and token,
 * how to read its items, the SDK paginator, and how many items it holds.
 */
interface ListCase {
  name: string;
  call: (maxResults?: number, nextToken?: string) => Promise<{ items: string[]; nextToken?: string }>;
  paginate: (pageSize: number) => AsyncIterable<unknown>;
  items: (page: any) => string[];
  total: number;
}

const CASES: ListCase[] = [
  {
    name: "ListJobTemplates",
    call: async (maxResults, nextToken) => {
      const o = await iot.send(new ListJobTemplatesCommand({ maxResults, nextToken }));
      return { items: o.jobTemplates!.map((t) => t.jobTemplateId!), nextToken: o.nextToken };
    },
    paginate: (pageSize) => paginateListJobTemplates({ client: iot, pageSize }, {}),
    items: (p) => p.jobTemplates.map((t: any) => t.jobTemplateId),
    total: N,
  },
  {
    name: "ListJobs",
    call: async (maxResults, nextToken) => {
      const o = await iot.send(new ListJobsCommand({ maxResults, nextToken }));
      return { items: o.jobs!.map((j) => j.jobId!), nextToken: o.nextToken };
    },
    paginate: (pageSize) => paginateListJobs({ client: iot, pageSize }, {}),
    items: (p) => p.jobs.map((j: any) => j.jobId),
    total: N + 1,
  },
  {
    name: "ListJobExecutionsForJob",
    call: async (maxResults, nextToken) => {
      const o = await iot.send(new ListJobExecutionsForJobCommand({ jobId: "fleet-job", maxResults, nextToken }));
      return { items: o.executionSummaries!.map((e) => e.thingArn!), nextToken: o.nextToken };
    },
    paginate: (pageSize) => paginateListJobExecutionsForJob({ client: iot, pageSize }, { jobId: "fleet-job" }),
    items: (p) => p.executionSummaries.map((e: any) => e.thingArn),
    total: N,
  },
  {
    name: "ListJobExecutionsForThing",
    call: async (maxResults, nextToken) => {
      const o = await iot.send(new ListJobExecutionsForThingCommand({ thingName: "solo", maxResults, nextToken }));
      return { items: o.executionSummaries!.map((e) => e.jobId!), nextToken: o.nextToken };
    },
    paginate: (pageSize) => paginateListJobExecutionsForThing({ client: iot, pageSize }, { thingName: "solo" }),
    items: (p) => p.executionSummaries.map((e: any) => e.jobId),
    total: N,
  },
  {
    name: "ListManagedJobTemplates",
    call: async (maxResults, nextToken) => {
      const o = await iot.send(new ListManagedJobTemplatesCommand({ maxResults, nextToken }));
      return { items: o.managedJobTemplates!.map((t) => t.templateArn!), nextToken: o.nextToken };
    },
    paginate: (pageSize) => paginateListManagedJobTemplates({ client: iot, pageSize }, {}),
    items: (p) => p.managedJobTemplates.map((t: any) => t.templateArn),
    total: 8,
  },
  {
    name: "ListThingGroupsForThing",
    call: async (maxResults, nextToken) => {
      const o = await iot.send(new ListThingGroupsForThingCommand({ thingName: "solo", maxResults, nextToken }));
      return { items: o.thingGroups!.map((g) => g.groupName!), nextToken: o.nextToken };
    },
    paginate: (pageSize) => paginateListThingGroupsForThing({ client: iot, pageSize }, { thingName: "solo" }),
    items: (p) => p.thingGroups.map((g: any) => g.groupName),
    total: N,
  },
  {
    name: "ListThingsInThingGroup",
    call: async (maxResults, nextToken) => {
      const o = await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: "big", maxResults, nextToken }));
      return { items: o.things!, nextToken: o.nextToken };
    },
    paginate: (pageSize) => paginateListThingsInThingGroup({ client: iot, pageSize }, { thingGroupName: "big" }),
    items: (p) => p.things,
    total: N,
  },
];

async function collect(c: ListCase, pageSize: number): Promise<{ items: string[]; pages: number }> {
  const items: string[] = [];
  let pages = 0;
  for await (const page of c.paginate(pageSize)) {
    pages++;
    items.push(...c.items(page));
  }
  return { items, pages };
}

describe.each(CASES)("$name", (c) => {
  test("pages with maxResults and nextToken, without gaps or repeats", async () => {
    const all = await c.call();
    expect(all.items).toHaveLength(c.total);
    expect(all.nextToken).toBeUndefined();
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await c.call(3, token);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items);
      token = page.nextToken;
      pages++;
    } while (token);
    expect(pages).toBe(Math.ceil(c.total / 3));
    expect(seen).toEqual(all.items);
  });

  test("the SDK paginator collects every item", async () => {
    const { items, pages } = await collect(c, 2);
    expect(pages).toBe(Math.ceil(c.total / 2));
    expect(new Set(items).size).toBe(c.total);
    expect(items).toEqual((await c.call(250)).items);
  });

  test("maxResults 0 and 251 are a 400; 1 and 250 are fine", async () => {
    await expectError(c.call(0), InvalidRequestException, 400, "maxResults", "Member must have value greater than or equal to 1");
    await expectError(c.call(251), InvalidRequestException, 400, "maxResults", "Member must have value less than or equal to 250");
    expect((await c.call(1)).items).toHaveLength(1);
    expect((await c.call(250)).items).toHaveLength(c.total);
  });

  test("a garbage token, or a token of another list, is a 400", async () => {
    await expectError(c.call(undefined, "garbage"), InvalidRequestException, 400, "Next token is invalid");
    const other = CASES.find((x) => x.name !== c.name)!;
    const foreign = (await other.call(1)).nextToken!;
    expect(foreign).toBeDefined();
    await expectError(c.call(undefined, foreign), InvalidRequestException, 400, "Next token is invalid");
  });
});

describe("ListTagsForResource (nextToken, no maxResults)", () => {
  test("the paginator collects all 50 tags; a garbage token is a 400", async () => {
    const items: string[] = [];
    for await (const page of paginateListTagsForResource({ client: iot }, { resourceArn: TEMPLATE_ARN })) {
      items.push(...page.tags!.map((t) => t.Key!));
    }
    expect(items).toHaveLength(50);
    expect(items[0]).toBe("k00");
    await expectError(
      iot.send(new ListTagsForResourceCommand({ resourceArn: TEMPLATE_ARN, nextToken: "garbage" })),
      InvalidRequestException,
      400,
      "Next token is invalid",
    );
  });
});

describe("ordering and page size", () => {
  test("ListJobTemplates and ListJobs are newest first", async () => {
    expect((await CASES[0].call()).items).toEqual(Array.from({ length: N }, (_, i) => `tpl-${N - 1 - i}`));
    expect((await CASES[1].call()).items.slice(0, 2)).toEqual(["fleet-job", `job-${N - 1}`]);
  });

  test("the default page size is 50", async () => {
    const other = await startLocalIoT();
    try {
      const client = iotClient(other);
      for (let i = 0; i < 55; i++) {
        await client.send(new CreateJobTemplateCommand({ jobTemplateId: `p${i}`, description: "d", document: DOC }));
      }
      const first = await client.send(new ListJobTemplatesCommand({}));
      expect(first.jobTemplates).toHaveLength(50);
      expect(first.nextToken).toBeDefined();
      const second = await client.send(new ListJobTemplatesCommand({ nextToken: first.nextToken }));
      expect(second.jobTemplates).toHaveLength(5);
      expect(second.nextToken).toBeUndefined();
    } finally {
      await other.stop();
    }
  });

  test("a token stays valid while items are added, and new items do not shift the rest", async () => {
    const first = await iot.send(new ListJobTemplatesCommand({ maxResults: 2 }));
    await iot.send(new CreateJobTemplateCommand({ jobTemplateId: "tpl-new", description: "d", document: DOC }));
    const rest = await iot.send(new ListJobTemplatesCommand({ maxResults: 250, nextToken: first.nextToken }));
    const ids = [...first.jobTemplates!, ...rest.jobTemplates!].map((t) => t.jobTemplateId);
    expect(ids).toEqual(Array.from({ length: N }, (_, i) => `tpl-${N - 1 - i}`));
  });

  test("a ListJobs token is bound to its filters", async () => {
    const first = await iot.send(new ListJobsCommand({ maxResults: 1, status: "IN_PROGRESS" }));
    await expectError(
      iot.send(new ListJobsCommand({ nextToken: first.nextToken, status: "COMPLETED" })),
      InvalidRequestException,
      400,
      "Next token is invalid",
    );
  });
});
