/** Decision helpers the resource kinds share: where a resource lives, and the shape of a replacement. */
import type { Change } from "../engine/change.ts";
import type { Operation } from "../engine/operations.ts";

interface Where {
  location: string;
  region: string;
}

/** Has the resource moved to another location or region? */
export const moved = (before: Where, after: Where) => before.location !== after.location || before.region !== after.region;

export function describeLocation(s: Where): string {
  return s.location === "aws" ? `AWS ${s.region}` : s.location === "local" ? "the local endpoint" : `${s.location} (${s.region})`;
}

/**
 * A replacement's mode and calls, in order: the new resource first (a new
 * id or place: both can exist at once; the old one is deleted at the end of
 * the deploy), or the old one deleted first (the same id cannot be used twice).
 */
export function replacement(
  createFirst: boolean,
  create: Operation[],
  remove: Operation[],
): Pick<Change, "action" | "replaceMode" | "operations"> {
  const created = create.map((o) => ({ ...o, part: "create" as const }));
  const removed = remove.map((o) => ({ ...o, part: "delete" as const }));
  return {
    action: "replace",
    replaceMode: createFirst ? "create-first" : "delete-first",
    operations: createFirst ? [...created, ...removed] : [...removed, ...created],
  };
}
