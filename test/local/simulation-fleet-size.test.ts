/**
 * The fleet simulation at sizes where whole-array idioms break: a group of
 * 200,000 simulated devices (push(...names) overflowed the call stack), and
 * ListJobExecutionsForJob, whose order is now kept between requests, paged
 * while the executions change under it.
 */
import { CreateJobCommand, ListJobExecutionsForJobCommand, paginateListJobExecutionsForJob } from "@aws-sdk/client-iot";
import { afterEach, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { iotClient } from "./helpers.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2030, 0, 7, 0, 0);

const opened: LocalIoT[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.stop()));
});

async function endpoint(): Promise<LocalIoT> {
  const local = await startLocalIoT({ virtualClock: T0 });
  opened.push(local);
  return local;
}

test("200,000 simulated devices join one group, in order, without overflowing the stack; more join after them", async () => {
  const local = await endpoint();
  const names = await local.addSimulatedDevices({ thingGroupName: "fleet", count: 200_000, namePrefix: "big-" });
  expect([names.length, names[0], names[199_999]]).toEqual([200_000, "big-000001", "big-200000"]);
  const members = local.world.tables.thingGroups.get("fleet")!.members;
  expect(members.length).toBe(200_000);
  expect(members[0]).toBe("big-000001");
  expect(members[199_999]).toBe("big-200000");
  expect(local.world.tables.things.get("big-123456")?.simulated?.seed).toBe(1);
  // Again into the same group: the 200,000 already there are not added twice, 50,000 new ones are.
  await local.addSimulatedDevices({ thingGroupName: "fleet", count: 250_000, namePrefix: "big-" });
  expect(members.length).toBe(250_000);
  expect(members[249_999]).toBe("big-250000");
});

test("ListJobExecutionsForJob pages in queued order, then name order, and sees executions created and changed between pages", async () => {
  const local = await endpoint();
  const iot = iotClient(local);
  await local.addSimulatedDevices({ thingGroupName: "fleet", count: 30, namePrefix: "dev-", behaviour: { runMinutes: 2 } });
  await iot.send(
    new CreateJobCommand({
      jobId: "paged",
      targets: [`arn:aws:iot:${local.region}:${local.accountId}:thinggroup/fleet`],
      document: "{}",
      jobExecutionsRolloutConfig: { maximumPerMinute: 10 },
    }),
  );
  const list = async (status?: "IN_PROGRESS" | "SUCCEEDED") => {
    const things: string[] = [];
    for await (const page of paginateListJobExecutionsForJob({ client: iot, pageSize: 4 }, { jobId: "paged", status })) {
      for (const e of page.executionSummaries ?? []) things.push(e.thingArn!.split("/")[1]);
    }
    return things;
  };
  const dev = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `dev-${String(from + i).padStart(5, "0")}`);
  expect(await list()).toEqual(dev(1, 10));
  expect(await list("IN_PROGRESS")).toEqual(dev(1, 10));
  local.advanceTime(MINUTE);
  expect(await list()).toEqual(dev(1, 20));
  // A token taken before a change still pages on from its position.
  const first = await iot.send(new ListJobExecutionsForJobCommand({ jobId: "paged", status: "IN_PROGRESS", maxResults: 5 }));
  local.advanceTime(MINUTE);
  expect(await list("SUCCEEDED")).toEqual(dev(1, 10));
  const rest = await iot.send(
    new ListJobExecutionsForJobCommand({ jobId: "paged", status: "IN_PROGRESS", maxResults: 50, nextToken: first.nextToken }),
  );
  // IN_PROGRESS now: dev 11-30 (minute 1 and 2 notified); the first page had 5 of them.
  expect(rest.executionSummaries?.map((e) => e.thingArn!.split("/")[1])).toEqual(dev(16, 30));
  local.advanceTime(3 * MINUTE);
  expect(await list("SUCCEEDED")).toEqual(dev(1, 30));
  expect(await list("IN_PROGRESS")).toEqual([]);
});
