/**
 * The one Alchemy handler that runs every resource kind, in a deploy and in a
 * preview alike:
 *
 *   props ─validate─▶ desired ─┐
 *   output (recorded) ─────────┼─▶ decide ─▶ Change ─▶ preview: record it
 *   live (observe, if needed) ─┘                      deploy:  execute it
 *
 * The live resource is read when the answer matters and nothing else tells
 * it: with `--force` (a preview with --refresh runs that way) to see and
 * repair drift, before adopting, and when a call finds the resource not as
 * recorded (a create finds the id taken after an interrupted deploy; an
 * update finds it deleted out of band). Every case goes through the same `decide`.
 *
 * Replacements go through Alchemy's own: the update phase decides and checks
 * everything the create needs, then signals the replacement; Alchemy calls
 * the delete phase (at once for delete-first, at the end of the deploy for
 * create-first) and the create phase, which carry out the two halves of the
 * same planned Change. Every call that creates or deletes something is
 * recorded in state before the next one starts, so an interruption leaves
 * state that the next preview and deploy read correctly.
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import { serialize, type Context } from "alchemy";
import { isDeepStrictEqual } from "node:util";
import { handlerErrors, markFailureForExit, verboseRequested } from "../../runtime/failure.ts";
import { ownershipOf, withoutLocation } from "../common.ts";
import { assertLocalDataPresent, recordedLocation, resolveLocation, resolveRecorded, type Location } from "../location.ts";
import { checkStack, type GuardedOperation } from "../stack-guard.ts";
import { isUnknown } from "../unknown.ts";
import { accountOf, learnAccount } from "./accounts.ts";
import type { Change } from "./change.ts";
import type { Before, Desired, Facts, Kind, Observed, Recorded } from "./contract.ts";
import { AlreadyThere, execute, Vanished, type ExecuteContext } from "./execute.ts";
import { annotate, beforeOf, physicalIdOf, reportDrift, view } from "./observation.ts";
import { registry } from "../../runtime/registry.ts";
import { readOwnership } from "../tags.ts";
import { allOf, assertOwned, checkReferences, ownReadsAllowed, readsAllowed } from "./guards.ts";
import { movedAway, plannedMove, planMove } from "./moves.ts";
import { movedWithinStage, ownershipError, stateWhere, verifyRecorded } from "./ownership.ts";
import { noteChange, noteFailure, noteOutcome, noteResourceType, observeCalls, within } from "./performed.ts";
import { isProblem, noteDesired, recordForgotten, recordProblem } from "./problems.ts";
import { currentRecorder } from "./recorder.ts";
import { exists, isDeclared } from "./references.ts";
import { snapshotOf } from "./snapshots.ts";

// eslint-disable-next-line @typescript-eslint/no-unused-vars
type Ctx<O> = Context<any, any>;
type AnyKind = Kind<any, any, any>;

/** Replacements signalled to Alchemy and not finished yet, by resource address. */
const replacing = new Map<string, { change: Change; before: Before; oldId: string }>();

/** Handler runs that have not sent any call yet (by context): a failure there changed nothing. */
const untouched = new WeakSet<object>();

/**
 * Resources (by state store and id) on which this run made a call that may
 * have changed something, in any phase: the delete half of a replacement
 * runs in a handler call of its own, and a failed create after it must not
 * put back the state of what was deleted.
 */
const touched = new WeakMap<object, Set<string>>();
const touch = (ctx: Ctx<any>) => {
  let ids = touched.get(ctx.scope.state);
  if (!ids) touched.set(ctx.scope.state, (ids = new Set()));
  ids.add(ctx.id);
};
const wasTouched = (ctx: Ctx<any>) => touched.get(ctx.scope.state)?.has(ctx.id) ?? false;

export function handler<P extends object, O extends object, S extends Record<string, unknown>>(kind: Kind<P, O, S>) {
  noteResourceType(kind.type);
  // What each run really does is recorded for the deploy's summary (src/runtime/summary.ts).
  return function (this: Ctx<O>, id: string, rawProps: P): Promise<O> {
    return within(this.scope, this.fqn, () => run.call(this, id, rawProps));
  };
  async function run(this: Ctx<O>, id: string, rawProps: P): Promise<O> {
    const label = `${kind.label} "${id}"`;
    untouched.add(this);
    try {
      if (this.phase === "delete") return await remove(kind, this, label);
      return await apply(kind, this, id, rawProps, label);
    } catch (error) {
      const signal = (error as { kind?: string } | null)?.kind;
      if (signal === "ReplacedSignal" || signal === "DestroyedSignal") throw error;
      // A preview lists every problem of the program: it records this one and goes on with what the deploy would have had.
      const recorder = currentRecorder();
      if (recorder && isProblem(error)) return recordProblem(kind, this, id, rawProps, error as Error);
      if (error && typeof error === "object") handlerErrors.add(error);
      noteFailure(error);
      // Refused before any call (a check, a read, a stack that still manages it): leave the state as it was.
      if (untouched.has(this) && !wasTouched(this) && this.phase !== "delete" && !currentRecorder()) await restoreState(this);
      // Alchemy's destroy phase logs errors (with their stack) and exits 0: make the process fail, and keep the log to the message.
      if (this.scope.phase === "destroy") {
        markFailureForExit();
        if (error instanceof Error && !verboseRequested()) {
          Object.defineProperty(error, "stack", { value: `${error.name}: ${error.message}`, configurable: true, writable: true });
        }
      }
      throw error;
    }
  }
}

// ------------------------------------------------------------------ create and update

async function apply<P extends object, O extends object, S extends Record<string, unknown>>(
  kind: Kind<P, O, S>,
  ctx: Ctx<O>,
  id: string,
  rawProps: P,
  label: string,
): Promise<O> {
  const props = withoutLocation(rawProps);
  const { client, location } = await resolveLocation(props, ctx.scope);
  observeCalls(client);
  const recorded = kind.recorded(ctx.output);
  if (recorded) {
    await assertLocalDataPresent(ctx.output as object, ctx.scope, label);
    learnAccount(recordedLocation(ctx.output as object), recorded.state.region, recorded.facts.arn);
  }
  const desired = kind.desire(ctx, props, location);
  noteDesired(ctx, desired, location);
  const run: Run<P, O, S> = { kind, ctx, props, desired, location, client, label };
  // A resource that moved here from another address of this stage (the whole-program check planned it): the state follows.
  const move = !recorded && !currentRecorder() ? plannedMove(ctx.fqn) : undefined;
  if (move) {
    const moved = await planMove(run, move);
    if (moved) noteChange(moved.change, { movedFrom: move.from });
    return moved
      ? carryOut(run, moved.change, moved.before as Before<S>, { part: "all" })
      : carryOut(run, kind.decide(undefined, desired), undefined, { part: "all" });
  }
  const pending = replacing.get(ctx.fqn);
  if (ctx.isReplacement && pending) {
    // The second half of a replacement decided in this process: create the new resource.
    replacing.delete(ctx.fqn);
    return carryOut(run, pending.change, pending.before as Before<S>, { part: "create" });
  }

  const adopt = adoptOf(props, ctx);
  let observed: Observed<S> | null | undefined;
  // A kind whose create would quietly answer for an existing resource (a thing: no tags say whose it is) looks first.
  const readFirst = kind.claim === "read-first" && !isUnknown(desired.id);
  if (ctx.scope.force || (!recorded && (adopt || readFirst))) {
    observed = await kind.observe(client, recorded ? physicalIdOf(kind, recorded.state) : desired.id, desired, recorded);
    if (recorded) reportDrift(kind, ctx.fqn, recorded, observed, [...desired.sensitive]);
    // One this resource said it was creating (before an interruption) is its own.
    if (observed && !recorded && (ctx.output as { creating?: string } | undefined)?.creating === desired.id) observed.ours = true;
  }
  if (readFirst && recorded && physicalIdOf(kind, recorded.state) !== desired.id && !adopt) {
    // A new name: the replacement would take over a thing of that name.
    const taken = await kind.observe(client, desired.id, desired, undefined);
    if (taken) beforeOf(kind, label, location, desired, undefined, taken, false);
  }
  const before = beforeOf(kind, label, location, desired, recorded, observed, adopt);
  const change = kind.decide(before, desired);
  annotate(kind, change, recorded, observed, desired);
  // What the state names must be this resource's before any call acts on it: the deploy reads it here, next to
  // its own calls (a preview with --refresh too; a deploy's whole-program check leaves it to the deploy).
  if (recorded && change.operations.length > 0 && ownReadsAllowed()) await assertOwned(run, recorded, observed, "changed");
  const taken = {
    stack: recorded?.stack ?? observed?.stack ?? undefined,
    adopted: recorded?.adopted ?? (observed ? !observed.ours : false),
  };
  if (change.action !== "none" || change.adopted) {
    const operation: GuardedOperation = change.adopted ? "adopt" : change.action === "replace" ? "replace" : "update";
    const guarded = recorded ?? observed ?? undefined;
    await guard(run, taken.stack, guarded ? physicalIdOf(kind, guarded.state) : desired.id, guarded?.facts.arn, operation);
  }
  const references = change.action !== "none" ? (kind.references?.(desired) ?? []) : [];
  // What a create needs (its own rules, then its references), all of it before any call.
  // References are read once: by the deploy's whole-program check when it ran, else here (a preview checks
  // undeclared ones once it knows the whole program).
  const checkedBefore = !currentRecorder() && registry().checked;
  await allOf([
    () => (creates(change) ? kind.checkCreate?.(client, desired, props) : undefined),
    () => (references.length > 0 && readsAllowed() && !checkedBefore ? checkReferences(run, references, !currentRecorder()) : undefined),
  ]);
  if (change.action === "replace" && change.replaceMode === "delete-first") await kind.preflight?.(client, desired, location);

  const recorder = currentRecorder();
  if (recorder) {
    recorder.change({
      address: ctx.fqn,
      type: kind.type,
      name: id,
      physicalId: desired.id,
      phase: ctx.phase === "create" ? "create" : "update",
      change,
      before: before ? view(before.state) : null,
      after: view(desired.state),
      sensitive: [...desired.sensitive].sort(),
      forced: ctx.phase === "update" && !(await propsChanged(ctx, rawProps)),
      location: `${location.key}|${location.region}`,
      references: references
        .filter((r) => !isDeclared(ctx.fqn, r))
        .map((r) => ({ ...r, where: location.description, exists: () => exists(r, client, location) })),
      subject: { kind, desired, recorded },
    });
    const facts = creates(change) ? kind.predict(desired, location, accountOf(location)) : before!.facts;
    return kind.output(props, desired, kept(facts, change, before), location, taken);
  }

  // A change with nothing to send is an update in state only, unless the handler runs only because of --force (as the plan says).
  const sendsNothing = change.operations.length === 0 && ctx.phase === "update" && change.action !== "replace";
  noteChange(change, { phase: ctx.phase, forced: sendsNothing && !(await propsChanged(ctx, rawProps)) });
  if (change.action === "replace" && ctx.phase === "update" && recorded) {
    // (A replacement found in the create phase, taking over an existing resource, is carried out here, in order.)
    replacing.set(ctx.fqn, { change, before: before!, oldId: physicalIdOf(kind, before!.state) });
    // Same id: Alchemy deletes the old one now, then calls the create phase. A new id: it creates first and deletes the old one at the end.
    ctx.replace(change.replaceMode === "delete-first");
  }
  return carryOut(run, change, before, { part: "all", ...taken });
}

interface Run<P extends object, O extends object, S extends Record<string, unknown>> {
  kind: Kind<P, O, S>;
  ctx: Ctx<O>;
  props: P;
  desired: Desired<S>;
  location: Location;
  client: IoTClient;
  label: string;
}

/**
 * Sends a Change's calls (all of them, or the create half of a replacement)
 * and returns the output. When a call finds the resource not as recorded, the
 * resource is read and the decision made again from what is there.
 */
async function carryOut<P extends object, O extends object, S extends Record<string, unknown>>(
  run: Run<P, O, S>,
  change: Change,
  before: Before<S> | undefined,
  options: { part: "all" | "create"; stack?: Recorded["stack"]; adopted?: boolean },
): Promise<O> {
  const { kind, ctx, props, desired, location, client, label } = run;
  let plan = change;
  let from = before;
  let taken = { stack: options.stack, adopted: options.adopted };
  let operations = options.part === "create" ? change.operations.filter((o) => o.part !== "delete") : change.operations;
  const creating = operations.some((o) => o.op.startsWith("Create"));
  for (let attempt = 0; ; attempt++) {
    try {
      if (attempt === 0 && creating && !from && kind.claim === "read-first") {
        // apply() looked first and found nothing: say in state what is being created, so that a run
        // interrupted after the create knows the resource it finds is its own.
        await writeOutput(ctx, { ...(ctx.output as object), creating: desired.id } as O);
      }
      const done = await execute(executeContext(run), operations);
      // The resource's own create (not a side call's, such as a Rollout's wave group).
      const own = operations.find((o) => o.op.startsWith("Create") && !o.side && done.responses.has(o.op));
      const made = own ? createdFacts(kind, desired, location, done.responses.get(own.op)) : from!.facts;
      // What other calls answered that the kind keeps (Kind.answered).
      const facts = kind.answered ? kind.answered(made, done.responses) : made;
      // Members a guard kept from being sent (an update of a finished job) keep their previous values in the recorded facts.
      const members = done.skipped.flatMap((s) => s.kept ?? []);
      const notSent = { ...plan, kept: [...(plan.kept ?? []), ...members] };
      // A guard that read the resource knows its status now.
      const status = done.skipped.find((s) => s.status)?.status;
      const known = status ? { ...facts, extra: { ...facts.extra, status } } : facts;
      return kind.output(props, desired, kept(known, notSent, from), location, taken);
    } catch (error) {
      if (!(error instanceof AlreadyThere || error instanceof Vanished) || attempt > 0) throw error;
      // Not as recorded: read what is there and decide again, as a crash recovery or a --force deploy does.
      const observed = await kind.observe(client, desired.id, desired, undefined);
      // A resource this resource said it was creating (before an interruption) is its own, tags or not.
      if (observed && (ctx.output as { creating?: string } | undefined)?.creating === desired.id) observed.ours = true;
      from = beforeOf(kind, label, location, desired, undefined, observed, adoptOf(props, ctx));
      plan = kind.decide(from, desired);
      annotate(kind, plan, undefined, observed, desired);
      noteChange(plan, { phase: ctx.phase });
      if (plan.notes.length > 0) ctx.scope.logger.log(`${label}: ${plan.notes[0]}`);
      if (observed?.stack) await guard(run, observed.stack, desired.id, observed.facts.arn, "adopt");
      taken = { stack: observed?.stack ?? taken.stack, adopted: observed ? !observed.ours : taken.adopted };
      operations = plan.operations;
    }
  }
}

/** The facts of a resource a Create call just made. */
function createdFacts(kind: AnyKind, desired: Desired, location: Location, response: any): Facts {
  const predicted = kind.predict(desired, location, undefined);
  const arn = response?.[kind.created.arn] ?? predicted.arn;
  // What was just created tells the location's account (a job's targets are checked against it).
  learnAccount(location.key, location.region, arn);
  const extra: Record<string, unknown> = { ...predicted.extra };
  for (const id of kind.created.ids ?? []) if (response?.[id]) extra[id] = response[id];
  // Create calls do not return the creation time: the client's clock at the response stands for it.
  return { arn, createdAt: new Date(), extra };
}

function executeContext<P extends object, O extends object, S extends Record<string, unknown>>(run: Run<P, O, S>): ExecuteContext {
  const { kind, ctx, props, desired, location, client, label } = run;
  let changes = 0;
  return {
    client,
    location,
    label,
    log: logOf(ctx),
    changed() {
      changes += 1;
      untouched.delete(ctx);
      touch(ctx);
    },
    async progress(operation, response) {
      // A side call (a Rollout's wave group) changes what the resource has, not whether it exists: recorded at the end.
      if (operation.side) return;
      // Record what exists now, before the next call: the new resource, or (after a delete) nothing.
      if (operation.op.startsWith("Create")) {
        const facts = createdFacts(kind, desired, location, response);
        if (kind.claim === "tags-after" && !(await readOwnership(client, facts.arn, desired.ownership)).ours) {
          // It was there already (the create answered for an identical one, and changed nothing): nothing is
          // recorded, no later call is made, and whose it is decides what happens.
          if (changes === 1) {
            untouched.add(ctx);
            touched.get(ctx.scope.state)?.delete(ctx.id);
          }
          throw new AlreadyThere(operation);
        }
        await writeOutput(ctx, kind.output(props, desired, facts, location));
      } else {
        await writeOutput(ctx, { ...(ctx.output as object), absent: true } as O);
      }
    },
  };
}

// ------------------------------------------------------------------ delete

async function remove<P extends object, O extends object, S extends Record<string, unknown>>(
  kind: Kind<P, O, S>,
  ctx: Ctx<O>,
  label: string,
): Promise<O> {
  const recorded = kind.recorded(ctx.output);
  if (!recorded) {
    // Nothing exists (its create failed, or a replacement's create failed after the delete): only the record goes.
    // Alchemy says "Deleted Resource"; the plan has nothing to do.
    noteOutcome("forgotten", "nothing of it exists (its create did not succeed); only its state record is removed");
    return ctx.destroy();
  }
  const oldId = physicalIdOf(kind, recorded.state);
  const props = withoutLocation(ctx.props ?? {}) as P;
  const { client, location } = await resolveRecorded(ctx.output as object, props, ctx.scope);
  observeCalls(client);
  const recorder = currentRecorder();
  const pending = replacing.get(ctx.fqn);
  if (pending && pending.oldId === oldId && !recorder) {
    // The old resource of a replacement: at once (delete-first), or at the end of the deploy (create-first).
    const deleteFirst = pending.change.replaceMode === "delete-first";
    if (!deleteFirst) replacing.delete(ctx.fqn);
    const operations = pending.change.operations.filter((o) => o.part === "delete");
    await execute(
      {
        client,
        location,
        label,
        log: logOf(ctx),
        changed: () => touch(ctx),
        // Delete-first: the state still holds the old output; record that it is gone, so a failed create leaves "absent".
        progress: deleteFirst
          ? async (operation) => {
              if (!operation.side) await writeOutput(ctx, { ...(ctx.output as object), absent: true } as O);
            }
          : undefined,
      },
      operations,
    );
    return ctx.destroy();
  }
  const change = kind.removal(recorded);
  const moved = movedAway(ctx.fqn, oldId);
  if (moved && !recorder) {
    // The whole-program check planned this: the resource moved to another address, which now records it.
    logOf(ctx)(`${label}: ${kind.noun} ${oldId} moved to ${moved.to}: only this record is removed; nothing is deleted`);
    noteOutcome("moved-away", `to ${moved.to.split("/").slice(2).join(" > ")}; nothing is deleted`);
    return ctx.destroy();
  }
  if (ownReadsAllowed()) {
    const verdict = await verifyRecorded(kind, client, recorded, ownershipOf(ctx));
    if (verdict.kind === "other" && movedWithinStage(verdict, ownershipOf(ctx))) {
      // It moved to another address of this stage (which now records it): forget this record, delete nothing.
      const note = `${kind.noun} ${oldId} now belongs to ${verdict.owner!.resource}: only this stale record is removed; nothing is deleted`;
      if (recorder) recordForgotten(kind, ctx, oldId, recorded, change, note);
      else logOf(ctx)(`${label}: ${note}`);
      noteOutcome("forgotten", note);
      return ctx.destroy();
    }
    if (verdict.kind === "other") throw ownershipError(label, kind.noun, oldId, stateWhere(ctx.scope, ctx.id, ctx.fqn), verdict, "deleted");
  }
  await guard({ kind, ctx, props, location, client, label } as Run<P, O, S>, recorded.stack, oldId, recorded.facts.arn, "delete");
  if (recorder) {
    if (recorder.refresh) {
      const observed = await kind.observe(client, oldId, undefined, recorded);
      reportDrift(kind, ctx.fqn, recorded, observed, []);
      if (observed === null) {
        change.operations = [];
        change.notes.push("already deleted out of band: no API call");
      }
    }
    recorder.change({
      address: ctx.fqn,
      type: kind.type,
      name: ctx.id,
      physicalId: oldId,
      phase: "delete",
      change,
      before: view(recorded.state),
      after: null,
      sensitive: [],
      forced: false,
      location: `${recorded.state.location}|${recorded.state.region}`,
      subject: { kind, recorded },
    });
    return ctx.destroy();
  }
  noteOutcome("deleted");
  await execute({ client, location, label, log: logOf(ctx), changed: () => touch(ctx) }, change.operations);
  return ctx.destroy();
}

// ------------------------------------------------------------------ helpers

/** Never acts on a resource that a CloudFormation stack still manages (src/provider/stack-guard.ts). */
function guard(
  run: Pick<Run<any, any, any>, "kind" | "ctx" | "props" | "location" | "client" | "label">,
  stack: Recorded["stack"],
  id: string,
  arn: string | undefined,
  operation: GuardedOperation,
) {
  const { kind, ctx, props, location, client, label } = run;
  return checkStack(
    { client, location, label, override: overrideOf(props), log: logOf(ctx) },
    stack,
    `${kind.noun} "${id}"`,
    id,
    arn,
    operation,
  );
}

const creates = (change: Change) => change.action === "create" || change.action === "replace";
const adoptOf = (props: object, ctx: Ctx<any>) => (props as { adopt?: boolean }).adopt ?? ctx.scope.adopt ?? false;
const overrideOf = (props: object) => (props as { overrideCloudFormationStack?: boolean }).overrideCloudFormationStack ?? false;
const logOf = (ctx: Ctx<any>) => (message: string) => ctx.scope.logger.log(message);

/** Members the deploy does not send this time keep their previous (live) values in the recorded facts. */
function kept(facts: Facts, change: Change, before: Before | undefined): Facts {
  if (!change.kept?.length || !before) return facts;
  const notApplied = Object.fromEntries(change.kept.map((m) => [m, before.state.spec[m] ?? null]));
  return { ...facts, extra: { ...facts.extra, notApplied } };
}

/** Did the props change since the last deploy (as Alchemy compares them), or does the handler run only because of --force? */
async function propsChanged(ctx: Ctx<any>, props: object): Promise<boolean> {
  const a = await serialize(ctx.scope, ctx.props ?? {}, { encrypt: false });
  const b = await serialize(ctx.scope, props, { encrypt: false });
  return !isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}

/**
 * Puts the resource's state back exactly as it was before Alchemy marked it
 * "creating"/"updating" for this run: a run refused before it changed
 * anything leaves no trace (no "creating" state for a resource that does not
 * exist, no new props or status recorded for one that did not change).
 */
async function restoreState(ctx: Ctx<any>): Promise<void> {
  const store = ctx.scope.state;
  const snapshot = snapshotOf(store, ctx.id);
  if (!snapshot) return;
  if (snapshot.existed) await store.set(ctx.id, snapshot.state!);
  else await store.delete(ctx.id);
}

/** Writes the resource's output to state now (Alchemy writes it again when the handler returns). */
async function writeOutput<O extends object>(ctx: Ctx<O>, output: O): Promise<void> {
  const state = await ctx.scope.state.get(ctx.id);
  if (!state) return;
  await ctx.scope.state.set(ctx.id, { ...state, output: ctx(output as never) as never });
}
