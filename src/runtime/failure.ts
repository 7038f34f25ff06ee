/**
 * How a failure reaches a person: one block that says what failed, why, and
 * what to do, instead of Node's uncaught-exception dump (a source excerpt,
 * the stack, then every member of the error, which for a ValidationError
 * repeats each problem). The stack is shown only with `--verbose` on the
 * command line or `DEBUG` in the environment.
 *
 * A deploy program (`alchemy deploy`, `tsx alchemy.run.ts`) fails by letting
 * the error of a resource reject its top-level `await`; Node then reports it
 * as an uncaught exception. So the first failure that leaves one of this
 * package's resources installs a listener that prints that error as a block
 * and exits 1, as Node itself would. Errors that are not this package's are
 * left to the program's own listeners, or, when there are none, printed as
 * Node prints them (without the source excerpt), and the process exits 1.
 */
import { inspect } from "node:util";

/** Errors that left one of this package's resources or lookups. */
const ours = new WeakSet<object>();

/** Errors a resource's handler raised (Alchemy prints those itself), as opposed to Alchemy failing around it. */
export const handlerErrors = new WeakSet<object>();

/** Is the stack wanted (`--verbose`, `DEBUG`, or ALCHEMY_IOT_VERBOSE=1 set by `preview --verbose` for the program)? */
export function verboseRequested(argv: readonly string[] = process.argv): boolean {
  return argv.includes("--verbose") || !!process.env.DEBUG || process.env.ALCHEMY_IOT_VERBOSE === "1";
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object";

/** What the AWS SDK attaches to a service error: HTTP status and request id. */
function serviceDetail(error: Record<string, unknown>): string | undefined {
  const meta = error.$metadata as { httpStatusCode?: number; requestId?: string } | undefined;
  if (!meta || error.$fault === undefined) return undefined;
  const parts = [
    meta.httpStatusCode !== undefined ? `HTTP ${meta.httpStatusCode}` : "",
    meta.requestId ? `request id ${meta.requestId}` : "",
  ];
  return parts.filter(Boolean).join(", ") || undefined;
}

const LOCAL_MODE = "To deploy without an AWS account, use the embedded local endpoint: ALCHEMY_IOT_LOCAL=1, or `alchemy dev`.";

/** What to say when the AWS SDK finds no credentials. */
export const NO_CREDENTIALS =
  "No AWS credentials were found. Set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or sign in " +
  `with \`aws sso login\`. ${LOCAL_MODE}`;

/** What to say when no AWS region is configured. */
export const NO_REGION =
  "No AWS region is set. Set AWS_REGION (or use a profile that has a region, AWS_PROFILE), or `region` on the resource or scope. " +
  LOCAL_MODE;

/** What to do about errors the SDK raises before any call (no region, no credentials) when the message does not say it. */
function hintFor(error: Record<string, unknown>): string | undefined {
  const name = String(error.name ?? "");
  const message = String(error.message ?? "");
  if (message.includes("ALCHEMY_IOT_LOCAL")) return undefined;
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message)) return NO_CREDENTIALS;
  if (/Region is missing/i.test(message)) return NO_REGION;
  return undefined;
}

/**
 * One block for a failure:
 *
 *   ✖ <action> failed: <the error's message, all its lines>
 *     (<HTTP status, request id> for an AWS error)
 *     <what to do, when the error itself does not say>
 *     (the stack with `verbose`, else how to see it)
 */
export function formatFailure(error: unknown, options: { action: string; verbose?: boolean }): string {
  const verbose = options.verbose ?? verboseRequested();
  if (!isObject(error)) return `✖ ${options.action} failed: ${String(error)}`;
  const name = String(error.name ?? "Error");
  const message = String(error.message ?? "") || name;
  const lines = [`✖ ${options.action} failed: ${message}`];
  const detail = serviceDetail(error);
  if (detail) lines.push(`  (${name}; ${detail})`);
  const hint = hintFor(error);
  if (hint) lines.push(`  ${hint}`);
  if (verbose && typeof error.stack === "string") {
    lines.push("", error.stack);
  } else {
    lines.push("  (DEBUG=1 shows the stack trace.)");
  }
  return lines.join("\n");
}

/** The action a program's process performs, as its command line says. */
function programAction(): string {
  if (process.argv.includes("--destroy")) return "Destroy";
  return "Deploy";
}

let listening = false;

/** How long a lost lease may take to say who holds it now before its refused write is reported instead. */
const LEASE_REPORT_MS = 8_000;

function onUncaught(error: unknown): void {
  const alone = process.listenerCount("uncaughtException") === 1;
  if (isObject(error) && error.name === "LeaseLostError") {
    // A write the lost lease refused: the lease reports the loss itself, naming the new holder once it has read who
    // that is, and ends the process (src/runtime/lock/stage.ts). Only if it cannot is the refusal printed.
    process.exitCode = 1;
    setTimeout(() => {
      process.stderr.write(`${formatFailure(error, { action: programAction() })}\n`);
      process.exit(1);
    }, LEASE_REPORT_MS);
    return;
  }
  if (isObject(error) && ours.has(error)) {
    process.stderr.write(`${formatFailure(error, { action: programAction() })}\n`);
    process.exitCode = 1;
  } else if (alone) {
    process.stderr.write(`Uncaught ${inspect(error)}\n`);
  }
  // With no other listener, end the process as Node does for an uncaught exception.
  if (alone) process.exit(1);
}

/**
 * Marks an error as this package's (so the listener prints it as a block)
 * and installs the listener once. Returns the error, for `throw reported(e)`.
 */
export function reported<E>(error: E): E {
  if (isObject(error)) ours.add(error);
  if (!listening) {
    listening = true;
    process.on("uncaughtException", onUncaught);
  }
  return error;
}

// ------------------------------------------------------------------ the exit status

let failed = false;
let exitHookInstalled = false;
const unreported: string[] = [];
const explained = new WeakSet<object>();

/**
 * Makes the process exit non-zero when it would exit 0 (a failure Alchemy
 * swallowed). `reason`, when given, is printed at exit: pass it for errors
 * that nothing else prints, with the `error` it explains (each error is
 * explained once, however many places mark it).
 */
export function markFailureForExit(reason?: string, error?: unknown): void {
  failed = true;
  const object = error && typeof error === "object" ? error : undefined;
  if (reason && !(object && explained.has(object))) unreported.push(reason);
  if (object) explained.add(object);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", (code) => {
      if (!failed || code !== 0) return;
      for (const r of unreported) process.stderr.write(`${r}\n`);
      process.exitCode = 1;
    });
  }
}
