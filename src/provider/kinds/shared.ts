/**
 * What the resource kinds share: ARNs, reading tags and ownership, tag
 * operations, the state recorded in an output, and the seal that keeps a
 * secret's wrapper off the wire and its value out of plans.
 */
import { isSecret } from "alchemy";
import type { Change, PropertyDiff } from "../engine/change.ts";
import type { Desired, Kind } from "../engine/contract.ts";
import { physicalIdOf } from "../engine/observation.ts";
import { isSecretText, revealForChecks, ValidationError } from "../validate.ts";
import type { IoTClientProps, Location } from "../location.ts";
import { recordedLocation, type DeployedWhere } from "../location.ts";
import type { StackResourceRef } from "../tags.ts";
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

/** Props that say how or where to deploy a resource, not what it is: they have no member rows. */
export type DeployOptions = keyof IoTClientProps | "adopt" | "overrideCloudFormationStack";

/** A kind's props that are members (its deploy options aside): what its member rows are held to. */
export type MembersOf<Props> = Exclude<keyof Props & string, DeployOptions>;

/** Serialises a document prop the way it is sent to IoT. */
export function documentText(document: unknown): string | undefined {
  if (document === undefined) return undefined;
  return typeof document === "string" ? document : JSON.stringify(document);
}

/** Is a value an unset configuration (absent, or the empty object IoT returns for one)? */
export const isUnset = (v: unknown) =>
  v === undefined || v === null || (typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** TagResource for added or changed tags, UntagResource for removed keys: at most one call each. */
export function tagOperations(
  before: Record<string, string>,
  after: Record<string, string>,
  resourceArn: string,
  resource: string,
): Operation[] {
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
    // Revealed: state written by earlier versions may hold a tag value as an alchemy.secret (compared by its value).
    tags: { ...((revealed({ tags: output.tags ?? {} }).tags as Record<string, string>) ?? {}) },
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

// ------------------------------------------------------------------ secrets: never the wrapper on the wire, never the value in a plan

/** Where a Secret object (or the JSON of one) is inside `value`, as a prop path; undefined when there is none. */
function unrevealedSecretAt(value: unknown, path: string): string | undefined {
  if (isSecret(value)) return path || "(input)";
  if (typeof value === "string") return isSecretText(value) ? path || "(input)" : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unrevealedSecretAt(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === "object" && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) {
      const found = unrevealedSecretAt(v, path ? `${path}.${k}` : k);
      if (found) return found;
    }
  }
  return undefined;
}

function refuseUnrevealed(label: string, path: string, where: string): never {
  throw new ValidationError(label, [
    {
      path,
      message:
        `${path}: a secret (alchemy.secret) reached ${where} as its wrapper, not its value; nothing was sent ` +
        "(a secret is sent only where validation accepts it, revealed: this is a bug of the provider, please report it)",
    },
  ]);
}

/** Fails closed when a desired state holds a Secret object: it would go out serialized (`{unencrypted=...}`). */
function checkState(label: string, desired: Desired): void {
  const at = unrevealedSecretAt({ ...desired.state.spec, tags: desired.state.tags }, "");
  if (at) refuseUnrevealed(label, at, "the resource's desired state");
  if (typeof desired.id !== "string") refuseUnrevealed(label, "(physical id)", "the resource's id");
}

/** Fails closed when a call's input holds a Secret object. */
function checkOperations(label: string, change: Change): void {
  for (const o of change.operations) {
    const at = unrevealedSecretAt(o.input, "");
    if (at) refuseUnrevealed(label, at, `the ${o.op} call`);
  }
}

const SENSITIVE = "(sensitive)";
const isUnder = (path: string, root: string) => path === root || path.startsWith(`${root}.`) || path.startsWith(`${root}[`);

/** `value` (found at `at`) with every sensitive path inside it masked; documents (JSON text) are masked inside too. */
function maskInside(value: unknown, at: string, sensitive: readonly string[]): unknown {
  if (value === undefined) return undefined;
  if (sensitive.some((s) => isUnder(at, s))) return SENSITIVE;
  if (!sensitive.some((s) => isUnder(s, at))) return value;
  if (typeof value === "string") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return SENSITIVE; // text with a secret somewhere inside that cannot be taken apart: hide it all
    }
    return parsed && typeof parsed === "object" ? JSON.stringify(maskInside(parsed, at, sensitive)) : SENSITIVE;
  }
  if (Array.isArray(value)) return value.map((v, i) => maskInside(v, `${at}[${i}]`, sensitive));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskInside(v, at ? `${at}.${k}` : k, sensitive)]));
  }
  return value;
}

/**
 * Diffs as plans may show them: the values at secret paths masked, also
 * inside a diff of a whole member (a document or documentParameters given at
 * creation holds a secret member: the diff is of the member, the secret
 * below it). The calls are built from the state, never from the diffs.
 */
export function maskedDiffs(diffs: PropertyDiff[], sensitive: readonly string[]): PropertyDiff[] {
  if (sensitive.length === 0) return diffs;
  return diffs.map((d) => {
    if (!sensitive.some((s) => isUnder(s, d.path) || isUnder(d.path, s))) return d;
    const out: PropertyDiff = { ...d };
    if ("before" in d) out.before = maskInside(d.before, d.path, sensitive);
    if ("after" in d) out.after = maskInside(d.after, d.path, sensitive);
    return out;
  });
}

/**
 * A kind whose desired state and calls are checked for Secret objects (the
 * serialized wrapper must never reach the wire: the deploy fails closed
 * instead, before any call), and whose diffs never show a secret's value.
 */
export function sealed<P extends object, O extends object, S extends Record<string, unknown>>(kind: Kind<P, O, S>): Kind<P, O, S> {
  const labelOf = (desired: Desired<S>) => `${kind.label} "${desired.ownership.resource.split("/").pop()}"`;
  return {
    ...kind,
    desire(ctx, props, location) {
      const desired = kind.desire(ctx, props, location);
      checkState(`${kind.label} "${ctx.id}"`, desired);
      return desired;
    },
    decide(before, desired) {
      checkState(labelOf(desired), desired);
      const change = kind.decide(before, desired);
      checkOperations(labelOf(desired), change);
      change.diffs = maskedDiffs(change.diffs, [...desired.sensitive]);
      return change;
    },
    removal(recorded) {
      const change = kind.removal(recorded);
      checkOperations(`${kind.label} ${physicalIdOf(kind, recorded.state)}`, change);
      return change;
    },
  };
}
