/**
 * The preview runtime, loaded with `node --import` into the process that runs
 * the program (after globals.ts): (for a check started early, once the deploy
 * says go) it opens a preview session for the whole
 * program (src/preview/session.ts), and when the program ends sends the plan
 * to the parent over IPC: when the event loop empties, or soon after the
 * program's root scope is finalized if the program left something open.
 */
import { formatFailure } from "../runtime/failure.ts";
import { earlyCheckWaitMs, GATE_ENV } from "./check.ts";
import { leftOpenNote, onFinishedButBusy } from "./finished.ts";
import { startSession } from "./session.ts";

/**
 * A deploy's whole-program check started ahead of need (src/preview/check.ts)
 * has loaded its modules by now; it reads nothing (no state, no endpoint)
 * until the deploy says go, once it holds its stage's lease. It says it
 * waits, so that the go is not sent before anything listens for it, and ends
 * quietly when the deploy goes away without needing it, or when no go came
 * in time (src/preview/check.ts, `earlyCheckWaitMs`).
 */
if (process.env[GATE_ENV] === "1" && process.send) {
  await new Promise<void>((resolve) => {
    const gone = () => process.exit(0);
    const onMessage = (message: { type?: string } | undefined) => {
      if (message?.type !== "go") return;
      clearTimeout(expire);
      // Listening no longer: the channel must not keep the event loop alive (the plan goes when it empties).
      process.off("message", onMessage);
      process.off("disconnect", gone);
      resolve();
    };
    // No go in time (a process that deploys nothing): it ends, having read nothing, and says so first.
    const expire = setTimeout(() => {
      process.off("message", onMessage);
      process.send!({ type: "expired" }, () => process.exit(0));
    }, earlyCheckWaitMs());
    process.on("message", onMessage);
    process.once("disconnect", gone);
    process.send!({ type: "waiting" });
  });
}

const session = startSession({
  refresh: process.env.ALCHEMY_IOT_PREVIEW_REFRESH === "1",
  verify: process.env.ALCHEMY_IOT_PREVIEW_VERIFY === "1",
});

/**
 * A program that fails while being previewed: its failure, as one block, goes
 * to the parent (which prints it as the preview's failure), then the process
 * exits 1. Registered before the program runs, so it sees every failure first.
 */
process.on("uncaughtException", (error) => {
  const text = formatFailure(error, { action: "Preview" });
  if (process.send) process.send({ type: "failure", text }, () => process.exit(1));
  else {
    process.stderr.write(`${text}\n`);
    process.exit(1);
  }
});

let sent = false;

/**
 * Sends the plan to the parent, once: when the event loop empties, or when
 * the program has finished but left timers or sockets open (finished.ts).
 * Then the plan says what was left open and the process exits once the plan
 * is sent, without waiting for them.
 */
async function sendPlan(leftOpen: boolean): Promise<void> {
  if (sent) return;
  sent = true;
  const plan = await session.plan();
  const note = leftOpen ? leftOpenNote("preview") : undefined;
  if (note) plan.notes = [...(plan.notes ?? []), note];
  if (process.send) {
    process.send({ type: "plan", plan }, () => (leftOpen ? process.exit(0) : process.disconnect?.()));
  } else {
    process.stdout.write(`${JSON.stringify(plan)}\n`);
    if (leftOpen) process.exit(0);
  }
}

process.once("beforeExit", () => void sendPlan(false));
onFinishedButBusy(() => void sendPlan(true));
