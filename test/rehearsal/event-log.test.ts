/**
 * The rehearsal's compact event log (src/rehearsal/event-log.ts) gives the
 * timeline timelineOf gives from the same events as objects.
 */
import { expect, test } from "vitest";
import type { ExecutionEvent } from "../../src/local/index.ts";
import { ExecutionLog, timelineSince } from "../../src/rehearsal/event-log.ts";
import { ENUMS } from "../../src/api/constraints.ts";
import { timelineOf } from "../../src/rehearsal/report.ts";

/** Every status an execution can have (the model's JobExecutionStatus). */
const STATUSES = ENUMS.jobExecutionStatus;
const START = Date.UTC(2027, 2, 1);

test("the same timeline as from the events themselves, from any mark, past its first growth", () => {
  const events: ExecutionEvent[] = [];
  const log = new ExecutionLog();
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 5000; i++) {
    const event: ExecutionEvent = {
      jobId: "fw",
      thingName: `dev-${i % 300}`,
      executionNumber: 1,
      retryAttempt: 0,
      status: STATUSES[Math.floor(next() * STATUSES.length)],
      // Some before the start, some after the last minute counted.
      atMs: START + Math.floor((next() * 70 - 5) * 60_000),
    };
    events.push(event);
    log.record(event);
  }
  for (const before of [0, 1234]) {
    const mark = events.slice(0, before).filter((e) => !["IN_PROGRESS", "CANCELED", "REMOVED"].includes(e.status)).length;
    expect(timelineSince(log, mark, START, 60)).toEqual(timelineOf(events.slice(before), START, 60));
    expect(timelineSince(events, before, START, 60)).toEqual(timelineOf(events.slice(before), START, 60));
  }
});
