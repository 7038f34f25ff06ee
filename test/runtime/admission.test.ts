/**
 * A deploy's resources start preparing a few at a time, in declaration order
 * (src/runtime/admission.ts): the queue itself, then a deploy of many jobs
 * declared at once, whose first CreateJob goes out before the last job has
 * even been recorded as "creating".
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, expect, test, vi } from "vitest";
import { ADMITTED_AT_ONCE, HOLD_MS, handOver, sending, takeHandedOver, type Ticket } from "../../src/runtime/admission.ts";
import { startLocalIoT } from "../../src/local/index.ts";
import { endpointEnv, runKillable } from "../support/endpoint-env.ts";

afterEach(() => vi.useRealTimers());

/** Tickets as the stage's init hook gets them, and which of them were admitted so far. */
function queued(n: number, prefix: string) {
  const admitted: number[] = [];
  const tickets: Ticket[] = [];
  /** Ends each resource's apply (it fails): handOver releases its ticket then. */
  const ends: Array<() => void> = [];
  for (let i = 0; i < n; i++) {
    void handOver(`${prefix}/r${i}`, `r${i}`, () => {
      tickets.push(takeHandedOver()!);
      return new Promise<never>((_, reject) => ends.push(() => reject(new Error("ended"))));
    });
    void tickets[i].admitted().then(() => admitted.push(i));
  }
  return { tickets, ends, admitted, releaseAll: () => tickets.forEach((t) => t.release()) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test(`${ADMITTED_AT_ONCE} at a time, in order; a resource's first request or its end lets the next one in`, async () => {
  const { ends, admitted, releaseAll } = queued(ADMITTED_AT_ONCE + 3, "order");
  try {
    await settle();
    expect(admitted).toEqual([0, 1, 2, 3].slice(0, ADMITTED_AT_ONCE));
    sending("order/r1");
    await settle();
    expect(admitted).toEqual([...Array(ADMITTED_AT_ONCE + 1).keys()]);
    // A second request of the same resource frees nothing more.
    sending("order/r1");
    ends[0]();
    await settle();
    expect(admitted).toEqual([...Array(ADMITTED_AT_ONCE + 2).keys()]);
  } finally {
    releaseAll();
  }
});

test(`a resource that holds its place for ${HOLD_MS} ms lets the next one in anyway`, async () => {
  vi.useFakeTimers();
  const { admitted, releaseAll } = queued(ADMITTED_AT_ONCE + 1, "hold");
  try {
    await vi.advanceTimersByTimeAsync(HOLD_MS - 1);
    expect(admitted).toHaveLength(ADMITTED_AT_ONCE);
    await vi.advanceTimersByTimeAsync(1);
    expect(admitted).toHaveLength(ADMITTED_AT_ONCE + 1);
  } finally {
    releaseAll();
  }
});

test("a resource whose apply ends while it waits leaves the queue without taking a place", async () => {
  const { tickets, admitted, releaseAll } = queued(ADMITTED_AT_ONCE + 2, "leave");
  try {
    await settle();
    tickets[ADMITTED_AT_ONCE].release(); // ended while waiting: admitted() resolves, no place taken
    await settle();
    expect(admitted).toEqual([...Array(ADMITTED_AT_ONCE + 1).keys()]);
    sending("leave/r0");
    await settle();
    expect(admitted).toEqual([...Array(ADMITTED_AT_ONCE + 2).keys()]);
  } finally {
    releaseAll();
  }
});

test("a deploy of 40 jobs declared at once sends its first CreateJob before the last job is recorded as creating", async () => {
  const JOBS = 40;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-admission-"));
  const local = await startLocalIoT({ port: 0, faults: { throttle: 10 } });
  const states = path.join(root, ".alchemy", "bench", "adm");
  let recordedAtFirstCreate: number | undefined;
  try {
    const env = endpointEnv(local, root, { TEMPLATES: "0", JOBS: String(JOBS), PREFIX: "adm", ALCHEMY_IOT_CHECK: "0" });
    const run = await runKillable(local, [path.join("bench", "fixtures", "templates.run.ts"), "--stage", "adm"], env, (operation) => {
      if (operation === "CreateJob" && recordedAtFirstCreate === undefined) {
        recordedAtFirstCreate = fs.readdirSync(states).filter((f) => /^job-\d+\.json$/.test(f)).length;
      }
    });
    expect(run.code, run.out).toBe(0);
    expect(local.world.tables.jobs.size).toBe(JOBS);
    // Before, every job's apply recorded "creating" (and read and wrote its state) before the first one sent anything.
    expect(recordedAtFirstCreate).toBeLessThan(JOBS / 2);
  } finally {
    await local.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
