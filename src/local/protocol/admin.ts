/** The admin routes under ADMIN_PREFIX (`/_local/`): device updates, stats, faults, clock, stacks and S3 objects. */
import type * as cfn from "../cloudformation/index.ts";
import { IoTError, invalid } from "../errors.ts";
import type * as executions from "../account/executions.ts";
import type { FaultOptions, Faults } from "./faults.ts";
import type { JsonObject } from "../state/store.ts";
import type { World } from "../state/world.ts";
import { ADMIN_PREFIX, type Outgoing } from "./http.ts";
import { send } from "./rest-json.ts";

/** What the admin routes act on: the endpoint's API (a LocalIoT), its fault configuration and its world. */
export interface AdminContext {
  api: AdminApi;
  faults: Faults;
  world: World;
}

/** The part of LocalIoT the admin routes call. */
export interface AdminApi {
  updateJobExecution(request: {
    thingName: string;
    jobId: string;
    status: executions.DeviceStatus;
    statusDetails?: Record<string, string>;
  }): Promise<void>;
  stats(): object;
  resetStats(): void;
  setFaults(faults: FaultOptions): void;
  advanceTime(ms: number): void;
  putS3Object(url: string, body: string): void;
  createStack(request: cfn.CreateStackRequest): Promise<cfn.LocalStack>;
  updateStack(request: cfn.UpdateStackRequest): Promise<cfn.LocalStack>;
  deleteStack(stackName: string): Promise<cfn.LocalStackDeletion>;
  listStacks(): string[];
}

/**
 * Admin routes. GET only reads (stats, faults, clock); every change needs
 * another method (POST). A bad request is a 400, never a 500.
 */
export async function handleAdmin(ctx: AdminContext, method: string, path: string, body: JsonObject, res: Outgoing) {
  const { api, faults, world } = ctx;
  let parts: string[];
  try {
    parts = path.slice(ADMIN_PREFIX.length).split("/").map(decodeURIComponent);
  } catch {
    throw invalid(`Malformed percent-encoding in ${path}.`);
  }
  const [area, ...rest] = parts;
  const write = method !== "GET";
  try {
    if (area === "devices" && rest.length === 3 && rest[1] === "jobs" && write) {
      await api.updateJobExecution({
        thingName: rest[0],
        jobId: rest[2],
        status: body.status as executions.DeviceStatus,
        statusDetails: body.statusDetails as Record<string, string> | undefined,
      });
      return send(res, 200, {});
    }
    if (area === "stats" && (rest.length === 0 || (rest[0] === "reset" && write))) {
      if (rest[0] === "reset") api.resetStats();
      return send(res, 200, api.stats() as unknown as JsonObject);
    }
    if (area === "faults" && rest.length === 0) {
      if (write) api.setFaults(body as FaultOptions);
      return send(res, 200, faults.current as JsonObject);
    }
    if (area === "clock" && rest.length === 0) {
      if (write) api.advanceTime(Number(body.advanceMs ?? 0));
      return send(res, 200, { offsetMs: world.clockOffsetMs });
    }
    if (area === "stacks") {
      if (method === "GET" && rest.length === 0) return send(res, 200, { stackNames: api.listStacks() });
      if (method === "POST" && rest.length === 0) {
        return send(res, 200, (await api.createStack(body as unknown as cfn.CreateStackRequest)) as unknown as JsonObject);
      }
      if (method === "PUT" && rest.length === 1) {
        const updated = await api.updateStack({ stackName: rest[0], template: body.template as cfn.StackTemplate });
        return send(res, 200, updated as unknown as JsonObject);
      }
      if (method === "DELETE" && rest.length === 1) {
        return send(res, 200, (await api.deleteStack(rest[0])) as unknown as JsonObject);
      }
    }
    if (area === "s3" && rest.length === 0 && write) {
      if (typeof body.url !== "string" || typeof body.body !== "string") {
        throw invalid(`POST ${path} expects {"url": "<S3 URL>", "body": "<document>"}.`);
      }
      api.putS3Object(body.url, body.body);
      return send(res, 200, {});
    }
  } catch (error) {
    // setFaults and advanceTime throw plain errors for bad values.
    throw error instanceof IoTError ? error : invalid((error as Error).message);
  }
  throw new IoTError("UnknownOperationException", `No admin route ${method} ${path}`);
}
