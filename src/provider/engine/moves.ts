/**
 * A resource whose address changed (a new resource id, another scope): the
 * deploy's whole-program check found that an address the program no longer
 * declares recorded the physical id another address now declares
 * (src/preview/checks.ts), and put the move in the process-wide registry.
 * The new address takes the resource over instead of creating it, and the old
 * address's record is removed without a call.
 */
import { registry, type PlannedMove } from "../../runtime/registry.ts";
import { ownershipTags, toTagList } from "../tags.ts";
import type { Before, Desired, Kind } from "./contract.ts";
import type { Change } from "./change.ts";
import type { Subject } from "./guards.ts";
import { operation, type Operation } from "./operations.ts";
import { OwnershipError } from "./ownership.ts";

/** The move planned for the resource at `address` (its new address), if any. */
export const plannedMove = (address: string): PlannedMove | undefined => registry().moves?.find((m) => m.to === address);

/** The move planned away from `address` (its old address) for the physical id `id`, if any. */
export const movedAway = (address: string, id: string): PlannedMove | undefined =>
  registry().moves?.find((m) => m.from === address && m.physicalId === id);

/** The TagResource that makes a moved resource's ownership tags name its new address. */
export function retag(desired: Desired, resourceArn: string): Operation {
  return operation("TagResource", { resourceArn, tags: toTagList(ownershipTags(desired.ownership)) }, desired.id);
}

/**
 * What carrying out a move takes: the resource is read and must be the old
 * address's (its ownership tags name it, or this one after an interrupted
 * move; for a thing, its ids are the recorded ones); then the same decision as
 * any update, from what was read, with one TagResource first that rewrites its
 * ownership tags. Undefined when the resource is gone (then it is created).
 */
export async function planMove(
  subject: Subject & { kind: Kind<any, any, any> },
  move: PlannedMove,
): Promise<{ change: Change; before: Before } | undefined> {
  const { kind, client, desired, label } = subject;
  const observed = await kind.observe(client, desired.id, desired, undefined);
  if (!observed || observed.deleting) return undefined;
  const theirs = kind.tagged
    ? !observed.ours && observed.ownerTag !== move.from
    : Object.entries(move.ids ?? {}).some(([k, v]) => observed.facts.extra[k] !== v);
  if (theirs) {
    throw new OwnershipError(
      `${label}: ${kind.noun} "${desired.id}" was planned to move here from ${move.from}, but ` +
        `${kind.tagged ? `its ownership tags name ${observed.ownerTag ?? "no Alchemy resource"}` : "it is no longer the one recorded there"}. Nothing was changed.`,
    );
  }
  const before: Before = { state: observed.state, facts: observed.facts, live: true };
  const change = kind.decide(before, desired);
  if (kind.tagged && !observed.ours) change.operations.unshift(retag(desired, observed.facts.arn));
  return { change, before };
}
