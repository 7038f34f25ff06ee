/**
 * The rehearsal runtime, loaded with `node --import` into the process that
 * runs the program (after the preview's globals, which give it Alchemy's
 * scope storage and provider registry):
 *
 * - every scope's state store is an empty in-memory one: the program is
 *   deployed from nothing, and the user's state is neither read nor written;
 * - every resource goes to a fresh in-memory local endpoint whose clock is
 *   virtual and whose rollouts are held (src/provider/location.ts `rehearseOn`),
 *   whatever the program or the environment say;
 * - the Job providers are wrapped to learn which jobId each resource got.
 *
 * When the program ends, the job named by `--job` is rehearsed
 * (rehearse.ts) and the report goes to the parent over IPC.
 */
import { pathToFileURL } from "node:url";
import { CreateThingCommand, CreateThingGroupCommand } from "../provider/iot-sdk.ts";
import { formatFailure } from "../runtime/failure.ts";
import { localClient } from "../provider/client.ts";
import { rehearseOn } from "../provider/location.ts";
import { startLocalIoT } from "../local/index.ts";
import { leftOpenNote, onFinishedButBusy } from "../preview/finished.ts";
import { setHooks } from "../preview/globals.ts";
import { isOwnKind, participates, refusingProvider } from "../preview/providers.ts";
import { EMPTY_STORE, overlayStore } from "../preview/overlay.ts";
import { alchemySerde } from "../preview/serde.ts";
import { ExecutionLog } from "./event-log.ts";
import { foreignResources } from "./foreign.ts";
import { localVersions } from "./versions.ts";
import { rehearseJob, rehearseRollout, RehearsalError, type RehearsalOptions, type RolloutOutput } from "./rehearse.ts";

/** What the parent passes (as JSON in ALCHEMY_IOT_REHEARSAL). */
export interface RehearsalRequest extends RehearsalOptions {
  /** The Job's or Rollout's resource id, or its path (`fleet/prod/firmware`). */
  job: string;
  /** A Rollout: virtual minutes between re-runs of the program's deploy. @default 15 */
  deployEvery?: number;
}

const request = JSON.parse(process.env.ALCHEMY_IOT_REHEARSAL ?? "{}") as RehearsalRequest;
const events = new ExecutionLog();
const local = await startLocalIoT({
  port: 0,
  unref: true,
  region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
  virtualClock: request.startMs ?? Math.floor(Date.now() / 60_000) * 60_000,
  holdRollouts: true,
  onExecution: events.record,
});
rehearseOn(local);

/** What the reader should know about how the program was rehearsed. */
const notes: string[] = [];

/**
 * Targets the program names by ARN without declaring them (a fleet's groups
 * usually exist already) are made on the rehearsal's endpoint, in its account
 * and region, and the job targets those: a group is made empty (the rehearsal
 * fills it with simulated devices), a thing is one device.
 */
async function localTargets(props: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (!Array.isArray(props?.targets)) return props;
  const client = localClient(local);
  const targets: unknown[] = [];
  for (const target of props.targets) {
    const m = typeof target === "string" ? /^arn:aws[\w-]*:iot:[^:]*:[^:]*:(thing|thinggroup)\/([^/]+)$/.exec(target) : null;
    if (!m) {
      targets.push(target);
      continue;
    }
    const [, type, name] = m;
    const { things, thingGroups } = local.world.tables;
    if (!(type === "thing" ? things.has(name) : thingGroups.has(name))) {
      if (type === "thing") await client.send(new CreateThingCommand({ thingName: name }));
      else await client.send(new CreateThingGroupCommand({ thingGroupName: name }));
      notes.push(
        `${type === "thing" ? "thing" : "thing group"} ${name} (${target}) is not declared by the program: the rehearsal made it on its own endpoint`,
      );
    }
    targets.push(local.world.arn(`${type}/${name}`));
  }
  return { ...props, targets };
}

/** Package versions the program names by ARN, made on the rehearsal's endpoint (versions.ts). */
const withLocalVersions = (props: Record<string, unknown>) => localVersions(localClient(local), (r) => local.world.arn(r), props, notes);

/** Jobs the program declared: resource id, path, jobId. */
const jobs: Array<{ id: string; fqn: string; jobId: string }> = [];

/** Rollouts the program declared, by path: the output of the last run of each (also of a run that failed its gate). */
const rollouts = new Map<string, { id: string; fqn: string; output: RolloutOutput }>();

interface HandlerContext {
  id: string;
  fqn: string;
}
type Handler = (this: HandlerContext, id: string, props: unknown) => Promise<unknown>;
const wrapped = new Map<unknown, unknown>();

/** Resources of other providers: not run, listed, their outputs placeholders (foreign.ts). */
const foreign = foreignResources();

/** This package's providers, wrapped: a placeholder in their props is noted; a Job's targets go to the rehearsal's endpoint and its jobId is learnt. */
function rehearsed(kind: string, provider: unknown): unknown {
  let w = wrapped.get(provider);
  if (!w) {
    const p = provider as { type: string; options?: unknown; handler: Handler };
    const label = kind.replace(/^iot::/, "");
    const handler: Handler = async function (this: HandlerContext, id, props) {
      for (const note of foreign.placeholdersIn(props, `${label} "${id}"`)) if (!notes.includes(note)) notes.push(note);
      if (kind === "iot::JobTemplate") return p.handler.call(this, id, await withLocalVersions(props as Record<string, unknown>));
      if (kind === "iot::Rollout") {
        const learn = (output: unknown) => {
          const o = output as RolloutOutput | undefined;
          if (o?.jobId) rollouts.set(this.fqn, { id: this.id, fqn: this.fqn, output: o });
        };
        try {
          const output = await p.handler.call(this, id, await withLocalVersions(props as Record<string, unknown>));
          learn(output);
          return output;
        } catch (error) {
          // A failed gate records what the deploy did (a cancelled job, a held rollout) before it throws (rollout/resource.ts).
          const scope = (this as unknown as { scope?: { state: { get(id: string): Promise<{ output?: unknown } | undefined> } } }).scope;
          learn((await scope?.state.get(this.id))?.output);
          throw error;
        }
      }
      if (kind !== "iot::Job") return p.handler.call(this, id, props);
      const output = (await p.handler.call(this, id, await withLocalVersions(await localTargets(props as Record<string, unknown>)))) as
        { jobId?: string } | undefined;
      if (output?.jobId) jobs.push({ id: this.id, fqn: this.fqn, jobId: output.jobId });
      return output;
    };
    w = { type: p.type, options: p.options, handler };
    wrapped.set(provider, w);
  }
  return w;
}

setHooks({
  enterScope(value) {
    const scope = value as { state?: unknown; chain?: string[] };
    if (!scope || typeof scope !== "object" || !("state" in scope) || (scope.state as { rehearsal?: true })?.rehearsal) return;
    const store = overlayStore(scope as never, EMPTY_STORE, alchemySerde);
    (store as { rehearsal?: true }).rehearsal = true;
    const set = store.set.bind(store);
    store.set = async (key, state) => {
      foreign.adopt(state?.output);
      return set(key, state);
    };
    scope.state = store;
  },
  provider(kind, provider) {
    // Only this package's resources run, and only from a copy that follows the registry (src/preview/providers.ts).
    if (!isOwnKind(kind)) return foreign.provider(kind, (provider as { options?: unknown }).options);
    return participates(provider) ? rehearsed(kind, provider) : refusingProvider(kind, "rehearsal");
  },
});

/** The report's account of what the rehearsal did not run. */
function notRehearsedNote(): string[] {
  const list = foreign.notRehearsed;
  if (list.length === 0) return [];
  const named = list.map((r) => `${r.type} ${r.address}`).join(", ");
  return [
    `${list.length === 1 ? "1 resource" : `${list.length} resources`} of other providers ${list.length === 1 ? "was" : "were"} not rehearsed (a rehearsal runs only alchemy-iot-jobs resources, on its own endpoint): ${named}`,
  ];
}

function fail(error: unknown): void {
  const text = error instanceof RehearsalError ? `✖ Rehearsal failed: ${error.message}` : formatFailure(error, { action: "Rehearsal" });
  if (process.send) process.send({ type: "failure", text }, () => process.exit(1));
  else {
    process.stderr.write(`${text}\n`);
    process.exit(1);
  }
}

process.on("uncaughtException", fail);

let done = false;

/**
 * Rehearses the job and sends the report, once: when the event loop empties,
 * or when the program has finished but left timers or sockets open
 * (src/preview/finished.ts); then the report says what was left open and the
 * process exits once it is sent, without waiting for them.
 */
async function finish(leftOpen: boolean): Promise<void> {
  if (done) return;
  done = true;
  try {
    const rollout = [...rollouts.values()].filter(
      (r) => r.id === request.job || r.fqn === request.job || r.fqn.endsWith(`/${request.job}`),
    );
    if (rollout.length === 1 && !jobs.some((j) => j.id === request.job || j.fqn === request.job)) {
      await sendReport(leftOpen, await rehearseTheRollout(rollout[0].fqn));
      return;
    }
    const matches = jobs.filter((j) => j.id === request.job || j.fqn === request.job || j.fqn.endsWith(`/${request.job}`));
    if (matches.length !== 1) {
      const known = [...jobs.map((j) => j.fqn), ...[...rollouts.keys()].map((fqn) => `${fqn} (a Rollout)`)].join(", ") || "none";
      throw new RehearsalError(
        matches.length === 0
          ? `the program declares no Job "${request.job}" (--job takes a Job's resource id or path; the program's jobs: ${known}).`
          : `"${request.job}" names ${matches.length} jobs (${matches.map((j) => j.fqn).join(", ")}): give the path.`,
      );
    }
    const rehearsal = await rehearseJob(local, localClient(local), { resourceId: request.job, jobId: matches[0].jobId }, events, {
      ...request,
      notes: [...notRehearsedNote(), ...notes],
      notRehearsed: foreign.notRehearsed,
    });
    await sendReport(leftOpen, rehearsal);
  } catch (error) {
    fail(error);
  }
}

async function sendReport(leftOpen: boolean, rehearsal: Awaited<ReturnType<typeof rehearseJob>>): Promise<void> {
  {
    await local.stop();
    const note = leftOpen ? leftOpenNote("rehearsal") : undefined;
    if (note) rehearsal.notes.push(note);
    if (process.send) process.send({ type: "rehearsal", rehearsal }, () => (leftOpen ? process.exit(0) : process.disconnect?.()));
    else {
      process.stdout.write(`${JSON.stringify(rehearsal)}\n`);
      if (leftOpen) process.exit(0);
    }
  }
}

/**
 * Rehearses a Rollout: the program's deploy runs again every `deployEvery`
 * virtual minutes, as scheduled deploys would, against the same state (the
 * overlays are kept per scope chain, src/preview/overlay.ts) and endpoint.
 * A run re-imports the program with a fresh query: the program re-evaluates,
 * its dependencies stay loaded.
 */
async function rehearseTheRollout(fqn: string) {
  const entry = process.argv[1];
  let run = 0;
  const deploy = async (): Promise<unknown> => {
    run += 1;
    try {
      await import(`${pathToFileURL(entry).href}?rehearsal-run=${run}`);
      return undefined;
    } catch (error) {
      return error ?? new Error("the program failed");
    }
  };
  return rehearseRollout(local, localClient(local), { resourceId: request.job, latest: () => rollouts.get(fqn)!.output, deploy }, events, {
    ...request,
    notes: [...notRehearsedNote(), ...notes],
    notRehearsed: foreign.notRehearsed,
  });
}

process.once("beforeExit", () => void finish(false));
onFinishedButBusy(() => void finish(true));
