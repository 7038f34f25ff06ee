/**
 * What the handler really did, for the deploy's summary (src/runtime/summary.ts):
 * the change it carried out, and every mutating call its client sent that
 * succeeded. The handler runs `within` its resource's record; the calls are
 * seen where every call goes through, the client's `send`, so that those a
 * guard sends (a job's DeleteJob) count as well as those `execute` sends.
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import { sending } from "../../runtime/admission.ts";
import { currentDone, recordCall, type Outcome } from "../../runtime/summary.ts";
import type { Change } from "./change.ts";

export { noteResourceType, within } from "../../runtime/summary.ts";

const OBSERVED = Symbol.for("alchemy-iot-jobs.summary.observed");
const READ = /^(Describe|List|Get)/;

/** Has the client report each mutating call that succeeds (once per client; calls outside a handler are not recorded). */
export function observeCalls(client: IoTClient): IoTClient {
  const c = client as IoTClient & { [OBSERVED]?: true };
  if (c[OBSERVED]) return client;
  const send = c.send;
  const observed = function (this: IoTClient, command: object, ...rest: unknown[]) {
    // The resource's first request: the next resource may start preparing (src/runtime/admission.ts).
    sending(currentDone()?.address);
    const sent = (send as (...args: unknown[]) => unknown).call(this, command, ...rest) as Promise<unknown> | undefined;
    const operation = command.constructor.name.replace(/Command$/, "");
    if (sent && typeof sent.then === "function" && !READ.test(operation)) {
      // Registered before the caller's own await, so the call is recorded before the handler goes on.
      sent.then(
        () => recordCall(operation),
        () => undefined,
      );
    }
    return sent;
  };
  Object.defineProperty(c, "send", { value: observed, configurable: true, writable: true });
  Object.defineProperty(c, OBSERVED, { value: true });
  return client;
}

const OUTCOMES: Record<Change["action"], Outcome> = {
  create: "created",
  update: "updated",
  replace: "replaced",
  delete: "deleted",
  none: "unchanged",
};

/**
 * The handler carries out this change (a later decision, after a call found
 * the resource not as recorded, replaces it). Its words are the plan's
 * (src/preview/entries.ts): a change that sends nothing is an update in
 * state only (Alchemy records the new props), unless the handler ran only
 * because of --force (`forced`); a create phase that finds its own resource
 * as the program has it (an interrupted deploy's) creates it in state only.
 */
export function noteChange(change: Change, how: { phase?: string; forced?: boolean; movedFrom?: string } = {}): void {
  const done = currentDone();
  if (!done) return;
  done.adopted = !!change.adopted;
  done.note = undefined;
  let outcome = OUTCOMES[change.action];
  if (how.movedFrom) {
    outcome = "moved";
    done.note = `from ${how.movedFrom.split("/").slice(2).join(" > ")}`;
  } else if (change.operations.length === 0 && (change.action === "none" || change.action === "update") && how.phase === "update") {
    outcome = how.forced ? "unchanged" : "updated";
  } else if (change.action === "none" && how.phase === "create" && !change.adopted) {
    outcome = "created";
    done.note = "it existed already (an interrupted deploy made it); nothing was sent";
  }
  done.outcome = outcome;
}

/** What a delete phase did that is not a Change of its own. */
export function noteOutcome(outcome: Outcome, note?: string): void {
  const done = currentDone();
  if (!done) return;
  // The old resource of a create-first replacement is deleted at the end of the deploy: still a replacement.
  if (outcome === "deleted" && done.outcome === "replaced") return;
  done.outcome = outcome;
  done.note = note;
}

/** The handler failed (its error is reported as usual; the summary says what was done before). */
export function noteFailure(error: unknown): void {
  const done = currentDone();
  if (!done) return;
  const message = error instanceof Error ? error.message : String(error);
  done.failed = message.split("\n")[0].slice(0, 160);
}
