/**
 * Whether what a resource's state names is really this resource's, read
 * before anything is done to it. State is a file (or an object in a bucket)
 * that can be edited, copied from another stage, or left behind by an
 * earlier version; the resource's own records say whose it is:
 *
 * - a tagged resource (job template, job, thing group) carries ownership tags
 *   naming the app, stage and address of the Alchemy resource that created it;
 * - a thing carries no tags, but its thingId is new each time a thing is created.
 *
 * A state whose resource names another owner is refused before any call
 * (OwnershipError, naming the state and the owner); a destroy that finds the
 * resource now belongs to another address of the same stage (it moved there)
 * forgets the stale record without deleting anything.
 */
import path from "node:path";
import type { IoTClient } from "@aws-sdk/client-iot";
import type { Scope } from "alchemy";
import { ifFound } from "../common.ts";
import { readOwnership, type Ownership } from "../tags.ts";
import { isUnknown } from "../unknown.ts";
import type { Kind, Observed, Recorded } from "./contract.ts";
import { physicalIdOf } from "./observation.ts";

/** A state that names a resource whose ownership records name another owner. */
export class OwnershipError extends Error {
  override name = "OwnershipError";
}

export type Verdict =
  | { kind: "ours" }
  | { kind: "gone" }
  /** Its records name another owner (`owner`, when its tags name an Alchemy resource), or contradict the state (`why`). */
  | { kind: "other"; owner?: Ownership; why: string };

/** Where a resource's state is kept, for messages: the file of a file store, else the resource's path in the stage's store. */
export function stateWhere(scope: Scope, id: string, fqn: string): string {
  const dir = (scope.state as { dir?: unknown }).dir;
  if (typeof dir !== "string") return `the state of ${fqn} (in the stage's state store)`;
  const file = path.join(dir, `${id.replaceAll("/", ":")}.json`);
  return `the state file ${path.relative(process.cwd(), file) || file}`;
}

const lastSegment = (arn: string) => arn.slice(arn.indexOf("/") + 1);

/**
 * Reads whose the recorded resource is. One read: its tags (tagged kinds,
 * unless it was adopted: an adopted resource carries someone else's tags, or
 * none), or the resource itself (untagged kinds: its ids must be the recorded ones).
 */
export async function verifyRecorded(
  kind: Kind<any, any, any>,
  client: IoTClient,
  recorded: Recorded,
  ownership: Ownership,
): Promise<Verdict> {
  const id = physicalIdOf(kind, recorded.state);
  const arn = recorded.facts.arn;
  if (typeof arn === "string" && !isUnknown(arn) && arn.includes("/") && lastSegment(arn) !== id) {
    return { kind: "other", why: `its recorded ARN ${arn} names another ${kind.noun} than its recorded id "${id}"` };
  }
  if (kind.tagged) {
    if (recorded.adopted || typeof arn !== "string" || isUnknown(arn)) return { kind: "ours" };
    const reading = await ifFound(readOwnership(client, arn, ownership));
    if (!reading) return { kind: "gone" };
    if (reading.ours) return { kind: "ours" };
    return reading.owner
      ? { kind: "other", owner: reading.owner, why: `its ownership tags name ${describeOwner(reading.owner, ownership)}` }
      : { kind: "other", why: "it carries no ownership tags (this resource did not create it)" };
  }
  return verdictOf(kind, recorded, await kind.observe(client, id, undefined, recorded));
}

/** The same verdict, from a live read made already (`observe`: its `ours`, its owner tag, its ids). */
export function verdictOf(kind: Kind<any, any, any>, recorded: Recorded, observed: Observed | null): Verdict {
  if (!observed || observed.deleting) return { kind: "gone" };
  if (kind.tagged) {
    if (observed.ours || recorded.adopted) return { kind: "ours" };
    return {
      kind: "other",
      why: observed.ownerTag
        ? `its ownership tags name ${observed.ownerTag}`
        : "it carries no ownership tags (this resource did not create it)",
    };
  }
  for (const [key, value] of Object.entries(recorded.facts.extra)) {
    if (!key.endsWith("Id") || typeof value !== "string" || isUnknown(value)) continue;
    const now = observed.facts.extra[key];
    if (typeof now === "string" && now !== value)
      return { kind: "other", why: `its ${key} is ${now}, not the recorded ${value} (it is another ${kind.noun} of the same name)` };
  }
  return { kind: "ours" };
}

/** How an owner relates to this resource, in words. */
export function describeOwner(owner: Ownership, ours: Ownership): string {
  const where = owner.app !== ours.app ? `app "${owner.app}"` : owner.stage !== ours.stage ? `stage "${owner.stage}"` : "this stage";
  return `${owner.resource} (a resource of ${where})`;
}

/** Moved to another address of the same app and stage: the record is stale, the resource is not deleted. */
export const movedWithinStage = (verdict: Verdict, ours: Ownership) =>
  verdict.kind === "other" &&
  !!verdict.owner &&
  verdict.owner.app === ours.app &&
  verdict.owner.stage === ours.stage &&
  verdict.owner.resource !== ours.resource;

/** The refusal, naming the resource, its state and what the resource's records say. */
export function ownershipError(
  label: string,
  noun: string,
  id: string,
  where: string,
  verdict: Extract<Verdict, { kind: "other" }>,
  doing: string,
): OwnershipError {
  return new OwnershipError(
    `${label}: ${where} records ${noun} "${id}", but ${verdict.why}: that state does not describe a resource ${label} owns, so it was not ${doing}. ` +
      `Nothing was changed. If the state was edited or copied from another stage, restore it; if the entry is stale, remove it.`,
  );
}
