/**
 * What the resource kinds share: ARNs, reading tags and ownership, tag
 * operations, and the state recorded in an output.
 */
import { revealForChecks } from "../validate.ts";
import type { Location } from "../location.ts";
import { recordedLocation, type DeployedWhere } from "../location.ts";
import type { StackResourceRef } from "../stack-guard.ts";
import { toTagList } from "../tags.ts";
export { readOwnership } from "../tags.ts";
import { UNKNOWN } from "../unknown.ts";
import { operation, type Operation } from "../engine/operations.ts";

/** The partition of a region's ARNs. */
const partition = (region: string) => (region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws");

/** An IoT ARN (`arn:aws:iot:<region>:<account>:<type>/<id>`), or the unknown marker when the account is not known yet. */
export function arnFor(location: Location, account: string | undefined, type: string, id: string): string {
  if (!account || id === UNKNOWN) return UNKNOWN;
  return `arn:${partition(location.region)}:iot:${location.region}:${account}:${type}/${id}`;
}

/** Is a value an unset configuration (absent, or the empty object IoT returns for one)? */
export const isUnset = (v: unknown) =>
  v === undefined || v === null || (typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** TagResource for added or changed tags, UntagResource for removed keys: at most one call each. */
export function tagOperations(before: Record<string, string>, after: Record<string, string>, resourceArn: string, resource: string): Operation[] {
  const set = Object.entries(after).filter(([k, v]) => before[k] !== v);
  const remove = Object.keys(before).filter((k) => !(k in after));
  const ops: Operation[] = [];
  if (set.length > 0) ops.push(operation("TagResource", { resourceArn, tags: toTagList(Object.fromEntries(set)) }, resource));
  if (remove.length > 0) ops.push(operation("UntagResource", { resourceArn, tagKeys: remove }, resource));
  return ops;
}

/** The common part of a recorded output: where it lives, its user tags, its stack, whether it was adopted. */
export interface RecordedOutput extends DeployedWhere {
  region?: string;
  tags?: Record<string, string>;
  cloudFormation?: StackResourceRef;
  adopted?: boolean;
  /** Set while a replacement has deleted the old resource and not yet created the new one. */
  absent?: boolean;
}

/** An output's props with secrets revealed (to rebuild the API input from). */
export const revealed = (output: object) => revealForChecks(output).view as Record<string, any>;

export function recordedBase(output: RecordedOutput) {
  return {
    location: recordedLocation(output) ?? "aws",
    region: output.region ?? "",
    tags: { ...(output.tags ?? {}) },
  };
}

/** The output fields every kind shares. */
export function outputBase(location: Location, taken: { stack?: StackResourceRef; adopted?: boolean } | undefined) {
  return {
    region: location.region,
    location: location.key,
    ...(location.kind === "local" && location.local ? { localInstance: location.local.instanceId } : {}),
    ...(taken?.stack ? { cloudFormation: taken.stack } : {}),
    ...(taken?.adopted ? { adopted: true } : {}),
  };
}
