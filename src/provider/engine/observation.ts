/**
 * What a decision starts from, and what the live resource says about the
 * recorded one: the pieces of the handler that turn a live read into the
 * decision's input (taking over, or refusing, an existing resource), into
 * notes, and into drift for the preview.
 */
import { AlreadyExistsError } from "../common.ts";
import type { Location } from "../location.ts";
import { diffValues, parseDocument, type Change } from "./change.ts";
import type { Before, Desired, Kind, Observed, Recorded, ResourceState } from "./contract.ts";
import { currentRecorder } from "./recorder.ts";

/** The physical id a state of the kind names (its `idMember`). */
export function physicalIdOf(kind: Pick<Kind<any, any, any>, "idMember">, state: ResourceState | undefined): string {
  return String(state?.spec[kind.idMember] ?? "");
}

/**
 * What the decision starts from: the live resource when it was read, else the
 * recorded one. A resource that exists but has no state (to adopt, or left by
 * an interrupted deploy of this resource) is taken over only when its
 * ownership tags say it is ours, or `adopt` is set; otherwise nothing is changed.
 */
export function beforeOf<S extends Record<string, unknown>>(
  kind: Kind<any, any, S>,
  label: string,
  location: Location,
  desired: Desired<S>,
  recorded: Recorded<S> | undefined,
  observed: Observed<S> | null | undefined,
  adopt: boolean,
): Before<S> | undefined {
  if (observed === undefined) return recorded && { state: recorded.state, facts: recorded.facts, live: false };
  if (observed === null || observed.deleting) return undefined;
  if (!recorded && !observed.ours && !adopt) {
    const stack = observed.stack;
    throw new AlreadyExistsError(
      `${label}: ${kind.noun} "${desired.id}" already exists in ${location.description} and was not created by this resource ` +
        `(${kind.tagged ? `its alchemy_resource tag is ${observed.ownerTag ? `"${observed.ownerTag}"` : "absent"}` : `${kind.noun}s carry no ownership tags`}` +
        `${stack ? `; CloudFormation stack "${stack.stackName}" created it as ${stack.logicalId}` : ""}). ` +
        `Set adopt: true on the resource (or deploy with --adopt) to take it over, or choose another name. Nothing was changed.`,
    );
  }
  return { state: observed.state, facts: observed.facts, live: true };
}

/** Notes on what the decision was made from: a takeover, a resource deleted out of band, one being deleted. */
export function annotate(
  kind: Kind<any, any, any>,
  change: Change,
  recorded: Recorded | undefined,
  observed: Observed | null | undefined,
  desired: Desired,
): void {
  if (observed && !observed.deleting && !recorded) {
    change.adopted = true;
    const from = observed.stack ? `, created by CloudFormation stack ${observed.stack.stackName} as ${observed.stack.logicalId}` : "";
    const who = observed.ours ? "left by an interrupted deploy of this resource" : "adopted";
    const outcome =
      change.action === "none"
        ? "it matches the props, so nothing changes"
        : change.action === "update"
          ? change.operations.length > 0
            ? "it is updated in place"
            : "nothing IoT stores changes"
          : "it differs in members that cannot be changed in place, so it is replaced";
    change.notes.unshift(`takes over the existing ${kind.noun} ${desired.id} (${who}${from}): ${outcome}`);
  } else if (observed === null && recorded) {
    change.notes.unshift(`${kind.noun} ${physicalIdOf(kind, recorded.state)} was deleted out of band; it is created again`);
  } else if (observed?.deleting) {
    change.notes.unshift(`${kind.noun} ${desired.id} is being deleted; the deploy waits for that to finish, then creates it`);
  }
}

/** A state as plans show it: its members (documents parsed), its tags, and (optionally) its state-only settings. */
export function view(state: ResourceState, withSettings = true): Record<string, unknown> {
  const out: Record<string, unknown> = { ...state.spec };
  if (typeof out.document === "string") out.document = parseDocument(out.document);
  out.tags = state.tags;
  if (withSettings) Object.assign(out, state.settings);
  return out;
}

/** With --refresh: tells the preview how the live resource differs from the recorded one. */
export function reportDrift(
  kind: Kind<any, any, any>,
  address: string,
  recorded: Recorded,
  observed: Observed | null,
  sensitive: readonly string[],
): void {
  const recorder = currentRecorder();
  if (!recorder) return;
  const physicalId = physicalIdOf(kind, recorded.state);
  if (observed === null || observed.deleting) {
    recorder.drift({
      address,
      type: kind.type,
      physicalId,
      kind: "deleted",
      diffs: [],
      sensitive: [...sensitive],
      note: "deleted out of band",
    });
    return;
  }
  const diffs = diffValues(view(recorded.state, false), view(observed.state, false));
  if (diffs.length > 0) {
    recorder.drift({
      address,
      type: kind.type,
      physicalId,
      kind: "changed",
      diffs,
      sensitive: [...sensitive],
      note: "changed out of band",
    });
  }
}
