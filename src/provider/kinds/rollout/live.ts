/**
 * What a Rollout's decision reads on every deploy and preview, before it
 * decides: its job (DescribeJob: status and execution counts), the
 * endpoint's time (the `Date` header of the answers: times are the
 * endpoint's, never this machine's), and the members of the thing groups a
 * percentage wave samples or leaves out. Reads only (Describe, List).
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import { DescribeJobCommand, paginateListThingsInThingGroup, ResourceNotFoundException } from "../../iot-sdk.ts";
import { ifFound } from "../../common.ts";

/**
 * Sends DescribeJob and answers it with the endpoint's time: the `Date`
 * header of the answer (a middleware of this one command: the provider's
 * clients send each operation through a client of its own).
 */
async function describeWithTime(client: IoTClient, jobId: string) {
  let date: number | undefined;
  const command = new DescribeJobCommand({ jobId });
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const headers = (result.response as { headers?: Record<string, string> } | undefined)?.headers ?? {};
      const parsed = Date.parse(headers.date ?? headers.Date ?? "");
      if (Number.isFinite(parsed)) date = parsed;
      return result;
    },
    { step: "deserialize", name: "rolloutEndpointTime" },
  );
  const answer = await ifFound(client.send(command));
  return { answer, date };
}

/** The job as read now. */
export interface LiveJob {
  status: string;
  jobArn: string;
  details: Record<string, number | undefined>;
  targets: string[];
  /** When IoT created it (its clock), epoch ms. */
  createdAtMs?: number;
}

export interface LiveRollout {
  /** The recorded job: null when IoT does not know it; undefined when not read (nothing recorded). */
  job?: LiveJob | null;
  /** The endpoint's time of the read (epoch ms). */
  nowMs?: number;
  /** Members of the groups read (null: the group does not exist). */
  members: Map<string, string[] | null>;
}

async function membersOf(client: IoTClient, group: string): Promise<string[] | null> {
  const out: string[] = [];
  try {
    for await (const page of paginateListThingsInThingGroup({ client }, { thingGroupName: group, recursive: false })) {
      out.push(...(page.things ?? []));
    }
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return null;
    throw error;
  }
  return out.sort();
}

/** Reads the recorded job (if any) and the groups' members. */
export async function readLive(client: IoTClient, jobId: string | undefined, groups: readonly string[]): Promise<LiveRollout> {
  const live: LiveRollout = { members: new Map() };
  if (jobId) {
    const { answer, date } = await describeWithTime(client, jobId);
    live.job = answer?.job
      ? {
          status: answer.job.status ?? "IN_PROGRESS",
          jobArn: answer.job.jobArn ?? "",
          details: { ...(answer.job.jobProcessDetails ?? {}) } as Record<string, number | undefined>,
          targets: answer.job.targets ?? [],
          // To the second, as the Date header gives the endpoint's time.
          ...(answer.job.createdAt ? { createdAtMs: Math.floor(answer.job.createdAt.getTime() / 1000) * 1000 } : {}),
        }
      : null;
    live.nowMs = date;
  }
  for (const group of new Set(groups)) live.members.set(group, await membersOf(client, group));
  return live;
}
