/**
 * The contract of a resource kind: what the generic handler
 * (src/provider/engine/handler.ts) needs to run it, in a deploy and in a preview.
 *
 *   desire   props -> the desired state (validated; no call)
 *   recorded output -> the state the last deploy recorded
 *   observe  one live read: absent, or the resource as IoT has it
 *   decide   (before, desired) -> Change, pure: the action, the typed operations and the reasons
 *   removal  the Change that deletes a recorded resource
 *   output   what Alchemy stores and the program gets back
 *
 * plus its member table (what each change does) and, for replacements that
 * delete first, the reads that prove the create can succeed.
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import type { Scope } from "alchemy";
import type { SharedEndpoint } from "../../runtime/registry.ts";
import type { StackResourceRef } from "../tags.ts";
import type { Ownership } from "../tags.ts";
import type { Change } from "./change.ts";
import type { MemberTable } from "./members.ts";

/** Where a resource's IoT calls go; recorded in outputs so updates and deletes act in the same place. */
export interface Location {
  kind: "aws" | "local" | "endpoint";
  region: string;
  /** Stable identity of the location: "aws", "local" or the endpoint URL. */
  key: string;
  /** One-line description for logs. */
  description: string;
  endpoint?: string;
  /** The local endpoint (embedded, or the rehearsal's), when the location is local. */
  local?: SharedEndpoint;
}

/** A resource's state as the provider knows it: where it lives, its API members, its tags. */
export interface ResourceState<S extends Record<string, unknown> = Record<string, unknown>> {
  /** Where it lives: "aws", "local" or an endpoint URL. */
  location: string;
  region: string;
  /** The API members that define it (its create input, tags aside), documents as JSON text. */
  spec: S;
  /** User tags (the provider's ownership tags and AWS's aws:* tags aside). */
  tags: Record<string, string>;
  /** Props kept in state only (e.g. a job's deletion settings). */
  settings: Record<string, unknown>;
}

/** What IoT assigned to a resource, kept in its output. */
export interface Facts {
  arn: string;
  createdAt?: Date;
  /** Kind-specific facts: a job's status, a thing's thingId, ... */
  extra: Record<string, unknown>;
}

/** The state a deploy recorded, with what IoT assigned. */
export interface Recorded<S extends Record<string, unknown> = Record<string, unknown>> {
  state: ResourceState<S>;
  facts: Facts;
  /** The CloudFormation stack resource it was adopted from, if any. */
  stack?: StackResourceRef;
  /** Whether it was taken over rather than created (no ownership tags on it). */
  adopted?: boolean;
}

/** A live read of the resource. */
export interface Observed<S extends Record<string, unknown> = Record<string, unknown>> {
  state: ResourceState<S>;
  facts: Facts;
  /** Its ownership tags name this Alchemy resource. */
  ours: boolean;
  /** Its alchemy_resource tag, when it has one (for messages). */
  ownerTag?: string;
  stack?: StackResourceRef;
  /** A job in DELETION_IN_PROGRESS: gone for every purpose but its id, which is free once deletion completes. */
  deleting?: boolean;
}

export interface KindContext {
  id: string;
  fqn: string;
  scope: Scope;
  /** What Alchemy recorded for the resource (its last output), if anything. */
  output?: unknown;
}

export interface Desired<S extends Record<string, unknown> = Record<string, unknown>> {
  state: ResourceState<S>;
  /** The physical id (jobTemplateId, jobId, thingName, thingGroupName). */
  id: string;
  ownership: Ownership;
  /** Prop paths that held secrets (masked in plans and messages). */
  sensitive: Set<string>;
}

/** One reference of a resource to another: the prop path, the kind it names and the physical id. */
export interface Reference {
  path: string;
  type: string;
  id: string;
  /**
   * The program declares it after this resource, if at all (a package's
   * default version): only a run that sees the whole program (a preview, a
   * deploy's whole-program check) can tell a later declaration from a
   * missing one, so a deploy without that check does not read its existence
   * here; the call that needs it checks it when due (its guard).
   */
  forward?: boolean;
}

/** What a decision starts from: the resource as recorded or read, or nothing. */
export interface Before<S extends Record<string, unknown> = Record<string, unknown>> {
  state: ResourceState<S>;
  facts: Facts;
  /** Read just now (not only recorded): a job's status is current. */
  live: boolean;
}

export interface Kind<P extends object, O extends object, S extends Record<string, unknown>> {
  /** Alchemy's resource kind, e.g. "iot::JobTemplate". */
  type: string;
  /** The resource's name in messages, e.g. "JobTemplate". */
  label: string;
  /** What IoT calls it, e.g. "job template". */
  noun: string;
  /** One rule per member: what a change to it does. */
  members: MemberTable;
  /** Whether it carries ownership tags (things cannot). */
  tagged: boolean;
  /** The spec member that is its physical id (and the output member that holds it), e.g. "jobTemplateId". */
  idMember: string;
  /** What a Create call answers: the member holding the new resource's ARN, and ids IoT gives it (kept in the facts). */
  created: { arn: string; ids?: readonly string[] };
  /**
   * How a create tells that it made the resource rather than found it (the
   * Create call succeeds for an identical existing thing or thing group):
   * - `tags-after`: read the new resource's tags (ownership tags say whose it is);
   * - `read-first`: read before creating, and record the intent to create in
   *   state, so that an interrupted deploy recognises the resource as its own.
   * Without it, a Create call fails when the id is taken.
   */
  claim?: "tags-after" | "read-first";
  desire(ctx: KindContext, props: P, location: Location): Desired<S>;
  recorded(output: O | undefined): Recorded<S> | undefined;
  observe(client: IoTClient, id: string, desired: Desired<S> | undefined, recorded: Recorded<S> | undefined): Promise<Observed<S> | null>;
  decide(before: Before<S> | undefined, desired: Desired<S>): Change;
  removal(recorded: Recorded<S>): Change;
  /**
   * Rules that only hold when the resource is created (e.g. a job's start
   * time must be in the future), checked before any create or replacement.
   * Throws a ValidationError naming the prop.
   */
  checkCreate?(client: IoTClient, desired: Desired<S>, props: P): Promise<void>;
  /**
   * Reads that prove a create can succeed (what it references exists), run
   * before a replacement deletes anything. Throws a ValidationError naming the prop.
   */
  preflight?(client: IoTClient, desired: Desired<S>, location: Location): Promise<void>;
  /**
   * What the desired resource refers to (a job's template and targets, a
   * thing's groups, a group's parent), checked before any call: each must be
   * declared by the program (and what that resource owns) or exist.
   */
  references?(desired: Desired<S>): Reference[];
  /**
   * What the deploy's calls answered that the kind keeps in its facts,
   * besides what the Create call assigns (`created`): e.g. a version's SBOM
   * validation status, answered by AssociateSbomWithPackageVersion.
   */
  answered?(facts: Facts, responses: ReadonlyMap<string, unknown>): Facts;
  /** The facts of a resource the deploy is about to create, as far as they are known before the call (the preview's). */
  predict(desired: Desired<S>, location: Location, account: string | undefined): Facts;
  output(props: P, desired: Desired<S>, facts: Facts, location: Location, recorded?: { stack?: StackResourceRef; adopted?: boolean }): O;
}
