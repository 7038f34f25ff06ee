/**
 * The preview runtime, loaded with `node --import` into the process that runs
 * the program (after globals.ts): it opens a preview session for the whole
 * program (src/preview/session.ts), and when the program ends sends the plan
 * to the parent over IPC.
 */
import { formatFailure } from "../failure.ts";
import { startSession } from "./session.ts";

const session = startSession({ refresh: process.env.ALCHEMY_IOT_PREVIEW_REFRESH === "1" });

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
process.once("beforeExit", async () => {
  if (sent) return;
  sent = true;
  const plan = await session.plan();
  if (process.send) {
    process.send({ type: "plan", plan }, () => process.disconnect?.());
  } else {
    process.stdout.write(`${JSON.stringify(plan)}\n`);
  }
});
