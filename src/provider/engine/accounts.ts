/**
 * The account of each location, as far as the ARNs seen so far tell it. A
 * preview uses it to predict the ARN of a resource the deploy will create
 * (`arn:aws:iot:<region>:<account>:<type>/<id>`), so that a replacement
 * that keeps an id is not mistaken for one that changes what depends on it.
 */
import type { Location } from "../location.ts";

const known = new Map<string, string>();

/** Remembers the account of an ARN recorded at a location. */
export function learnAccount(location: string | undefined, region: string | undefined, arn: string | undefined): void {
  const account = /^arn:aws[a-z-]*:iot:[a-z0-9-]+:(\d{12}):/.exec(arn ?? "")?.[1];
  if (location && account) known.set(`${location}|${region ?? ""}`, account);
}

/** The account of a location: the embedded endpoint's own, else one learnt from a recorded ARN. */
export function accountOf(location: Location): string | undefined {
  return location.local?.accountId ?? known.get(`${location.key}|${location.region}`);
}
