import { IoTClient, ListJobTemplatesCommand } from "@aws-sdk/client-iot";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";

let local: LocalIoT;
beforeAll(async () => {
  local = await startLocalIoT();
});
afterAll(() => local.stop());

test("an empty endpoint lists no job templates", async () => {
  const client = new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
  const out = await client.send(new ListJobTemplatesCommand({}));
  expect(out.jobTemplates).toEqual([]);
  expect(local.stats().byOperation.ListJobTemplates).toEqual({ count: 1, ok: 1, errors: {} });
});
