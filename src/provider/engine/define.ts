/**
 * Turns a resource kind's contract into the function users call, e.g.
 * `JobTemplate(id, props)`: Alchemy's `Resource(type, handler)` with the one
 * generic handler, behind a wrapper that
 *
 * - validates the props before Alchemy sees them (Alchemy records a resource
 *   as "creating"/"updating" before it runs the handler, so a check inside
 *   the handler would come too late to keep state untouched);
 * - replaces references to other resources by what the API takes (an ARN or
 *   a name), so that a dependant's props change only when what it sends
 *   changes, not whenever anything in the other resource's output does;
 * - adds `__location`, so that pointing a stack elsewhere is a change Alchemy acts on;
 * - has the props reach Alchemy in their recorded key order, so that
 *   reordering keys is no change to Alchemy either (src/runtime/key-order.ts);
 * - for the embedded local endpoint, checks that the data the resource was
 *   deployed to is still there (a no-op deploy runs no handler);
 * - turns a failure into one readable block for people (src/runtime/failure.ts).
 */
import path from "node:path";
import { Resource, Scope } from "alchemy";
import { reported } from "../../runtime/failure.ts";
import { currentMode, registry } from "../../runtime/registry.ts";
import { explainStateError, keepIdentity, LOCATION_PROP } from "../common.ts";
import { assertLocalDataPresent, localDataFile, locationKey, type DeployedWhere } from "../location.ts";
import { jsonObjectFileProblem } from "../../runtime/json-file.ts";
import type { Kind } from "./contract.ts";
import { ValidationError } from "../validate.ts";
import { UNKNOWN } from "../unknown.ts";
import { handlerErrors } from "../../runtime/failure.ts";
import { handler } from "./handler.ts";
import { currentRecorder } from "./recorder.ts";
import { registerKind } from "./kinds.ts";
import { noteDeclared } from "./references.ts";
import { keepSnapshots } from "./snapshots.ts";
import { keepRecordedKeyOrder } from "../../runtime/key-order.ts";
import { handOver } from "../../runtime/admission.ts";

export interface Definition<P extends object> {
  /** Throws a ValidationError when the props break a rule (no call, no state written). */
  validate(id: string, props: P): void;
  /** The props as stored: references to other resources replaced by ARNs or names. */
  normalize?(props: P, scope: Scope | undefined): P;
  /**
   * Run the handler on every deploy, even when the props did not change
   * (Alchemy's provider option `alwaysUpdate`): for a resource judged on each
   * deploy (a Rollout reads its job and decides whether to advance).
   * @default false
   */
  alwaysUpdate?: boolean;
  /** Wraps the engine's handler (a Rollout reads what it decides on first, and fails the deploy after its calls). */
  wrap?(generic: Handler): Handler;
}

/** The engine's handler, as Alchemy calls it (`this` is Alchemy's context). */
export type Handler = (this: any, id: string, props: any) => Promise<unknown>;

/**
 * The resource's recorded state. Alchemy's own file store writes in place (truncate, then write): a write still in
 * flight (a run that just failed in this process restoring the state) reads as cut short for a moment, and a state
 * read as missing would let a deploy skip this check. What is still unreadable after a few looks is left to the
 * stage's state check and Alchemy, which say what is wrong with it.
 */
async function recordedState(scope: Scope, id: string) {
  for (let look = 0; ; look++) {
    try {
      return await scope.state.get(id);
    } catch {
      if (look >= 3) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function localDataPresent(scope: Scope, id: string, label: string): Promise<void> {
  const state = await recordedState(scope, id);
  await assertLocalDataPresent(state?.output as DeployedWhere | undefined, scope, label).catch((error: unknown) => {
    // A data file that cannot be read is not another endpoint's data ("replaced"): say what is wrong with it.
    const file = localDataFile(scope.dotAlchemy);
    const problem = jsonObjectFileProblem(file);
    if (!problem) throw error;
    throw new Error(
      `${label} is recorded in Alchemy's state as deployed to the local IoT endpoint, but the endpoint's data file ` +
        `${path.relative(process.cwd(), file) || file} ${problem}, so the endpoint cannot read it. Nothing was changed, and the file is kept as it is: ` +
        `restore it from a backup; or, to start the local stage over, move it away and remove the stage's Alchemy state.`,
    );
  });
}

/**
 * What a preview gives the program for a resource whose props are invalid:
 * its props, and "(known after deploy)" for anything else it reads (an ARN,
 * an id), so the program goes on and its other problems are found too.
 */
function standIn(props: object): object {
  return new Proxy(
    { ...props },
    {
      get: (target, key) =>
        key in target || typeof key !== "string" || key === "then" || key === "toJSON" ? Reflect.get(target, key) : UNKNOWN,
      has: (target, key) => key in target || (typeof key === "string" && key !== "then"),
    },
  );
}

export function defineResource<P extends object, O extends object, S extends Record<string, unknown>>(
  kind: Kind<P, O, S>,
  definition: Definition<P>,
): ((id: string, props: P) => Promise<O>) & { type: string } {
  const generic = handler(kind) as unknown as Handler;
  const run = definition.wrap ? definition.wrap(generic) : generic;
  const resource = Resource(kind.type, { alwaysUpdate: definition.alwaysUpdate === true }, run as never) as unknown as (
    id: string,
    props: object,
  ) => Promise<O>;
  // This copy's providers follow the process-wide registry: a preview or rehearsal runs them (and no copy's that does not).
  registry().providers.add(resource);
  registerKind(kind);
  const wrapped = function (this: unknown, id: string, props: P) {
    const scope = Scope.getScope();
    let stored: object;
    try {
      definition.validate(id, props);
      // The program's resources it refers to (before normalize turns them into ARNs and names): their ownership is checked.
      if (scope) noteDeclared(scope.fqn(id), props);
      stored = { ...(definition.normalize ? definition.normalize(props, scope) : props), [LOCATION_PROP]: locationKey(props, scope) };
    } catch (error) {
      // A preview lists every problem of the program: this one is recorded, and the program goes on with a stand-in.
      const recorder = currentRecorder();
      if (recorder && error instanceof ValidationError) {
        const address = scope ? scope.fqn(id) : id;
        for (const issue of error.issues)
          recorder.problem({ address, type: kind.type, name: id, path: issue.path, message: `${kind.label} "${id}": ${issue.message}` });
        return Promise.resolve(standIn(props) as O);
      }
      return Promise.reject(reported(error));
    }
    // A deploy remembers what the state was before its first write, so that a refused run can put it back exactly.
    if (scope && !currentMode()) keepSnapshots(scope.state);
    // Reordered keys are no change: Alchemy receives the props in their recorded key order (src/runtime/key-order.ts).
    if (scope) keepRecordedKeyOrder(scope, id, stored as Record<string, unknown>);
    // The apply waits for its turn to prepare (src/runtime/admission.ts); its place is freed at the latest when it ends.
    const pending = handOver(scope ? scope.fqn(id) : id, id, () => resource.call(this, id, stored));
    // A deploy that changes nothing runs no handler: the loss of the local endpoint's data is checked here too.
    const present =
      scope && (stored as Record<string, unknown>)[LOCATION_PROP] === "local"
        ? localDataPresent(scope, id, `${kind.label} "${id}"`)
        : undefined;
    const settled = present ? Promise.all([present, pending]).then(([, output]) => output) : pending;
    return keepIdentity(
      pending,
      settled.catch((error: unknown) => {
        // Only a failure before the handler ran can be Alchemy failing to read the resource's state.
        const explained =
          error && typeof error === "object" && handlerErrors.has(error) ? error : explainStateError(error, kind.type, id, scope);
        throw reported(explained);
      }),
    );
  };
  // Keep the provider's identity (type, handler, options) for Alchemy.
  return Object.assign(wrapped, resource) as unknown as ((id: string, props: P) => Promise<O>) & { type: string };
}
