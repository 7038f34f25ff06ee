/** The stack engine: createStack, updateStack and deleteStack as transactions over the tables, findStack and listStacks. */
import { randomUUID } from "node:crypto";
import { LISTS, RESERVED_TAG_PREFIX, STRINGS, wholeMatch } from "../../api/constraints.ts";
import { IoTError } from "../errors.ts";
import type { StackRecord, StackResourceRecord, Tables } from "../state/store.ts";
import type { World } from "../state/world.ts";
import { resolve, scalar, type ResolveContext } from "./intrinsics.ts";
import { dependencyOrder, isObject, parseTemplate, sentence, type ParsedTemplate, type ResourceDecl } from "./parser.ts";
import { HANDLERS } from "./resources.ts";
import {
  CloudFormationError,
  fail,
  LOGICAL_ID_TAG,
  STACK_ID_TAG,
  STACK_NAME_TAG,
  type CreateStackRequest,
  type LocalStack,
  type LocalStackDeletion,
  type StackTags,
  type UpdateStackRequest,
} from "./types.ts";

// ---------------------------------------------------------------- stacks

const retains = (policy: string | undefined) => policy === "Retain" || policy === "RetainExceptOnCreate";

function normalizeTags(tags: StackTags | undefined): Array<{ Key: string; Value: string }> {
  if (tags === undefined) return [];
  const list = Array.isArray(tags) ? tags : isObject(tags) ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : undefined;
  if (!list) return fail("tags must be a record of strings or a list of { Key, Value }.");
  if (list.length > LISTS.tagsPerResource.max) fail(`A stack can have at most ${LISTS.tagsPerResource.max} tags; got ${list.length}.`);
  const seen = new Set<string>();
  for (const tag of list) {
    if (!isObject(tag) || typeof tag.Key !== "string" || typeof tag.Value !== "string") {
      fail(`Stack tag ${JSON.stringify(tag)} must be { Key: string, Value: string }.`);
    }
    if (tag.Key.length < 1 || tag.Key.length > 128 || !wholeMatch(STRINGS.tagKey.pattern!).test(tag.Key)) {
      fail(`Stack tag key '${tag.Key}' must be 1 to 128 characters: ${STRINGS.tagKey.patternText}.`);
    }
    if (tag.Value.length > 256) fail(`Stack tag value of '${tag.Key}' is longer than 256 characters.`);
    if (tag.Key.toLowerCase().startsWith(RESERVED_TAG_PREFIX)) {
      fail(`Stack tag key '${tag.Key}' uses the reserved prefix '${RESERVED_TAG_PREFIX}'.`);
    }
    if (seen.has(tag.Key)) fail(`Stack tag key '${tag.Key}' is given twice.`);
    seen.add(tag.Key);
  }
  return list.map((t) => ({ Key: t.Key, Value: t.Value }));
}

/** Looks a stack up by name or stack id; undefined when there is none. */
export function findStack(world: World, nameOrId: string): StackRecord | undefined {
  if (typeof nameOrId !== "string") return undefined;
  if (nameOrId.startsWith("arn:")) {
    for (const stack of world.tables.stacks.values()) if (stack.stackId === nameOrId) return stack;
    return undefined;
  }
  return world.tables.stacks.get(nameOrId);
}

/** Runs `change`; if it throws, puts every table back as it was (nothing created is left behind). */
function transaction<T>(world: World, change: () => T): T {
  const before = structuredClone(world.tables);
  try {
    return change();
  } catch (error) {
    for (const key of Object.keys(before) as Array<keyof Tables>) {
      const table = world.tables[key] as Map<string, unknown>;
      table.clear();
      for (const [k, v] of before[key] as Map<string, unknown>) table.set(k, v);
    }
    throw error;
  }
}

/** Wraps a failure with the logical id and type it concerns. */
function inResource<T>(decl: { logicalId: string; type: string }, action: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    const problem =
      error instanceof CloudFormationError
        ? error.message
        : error instanceof IoTError
          ? `${error.code}: ${error.message}`
          : String((error as Error)?.message ?? error);
    throw new CloudFormationError(`Resource ${decl.logicalId} (${decl.type}) failed to ${action}: ${problem}`);
  }
}

function createResource(
  world: World,
  stack: { stackName: string; stackId: string; tags: Record<string, string> },
  decl: ResourceDecl,
  ctx: ResolveContext,
): StackResourceRecord {
  return inResource(decl, "create", () => {
    const handler = HANDLERS[decl.type];
    const properties = resolve(decl.properties, ctx) as Record<string, unknown>;
    const created = handler.create(world, decl, properties, stack.tags, ctx);
    if (handler.taggable) {
      // What CloudFormation adds; API callers cannot set aws: keys, and these do not count toward the 50-tag limit.
      world.tables.tags.set(created.arn, {
        ...(world.tables.tags.get(created.arn) ?? {}),
        [STACK_NAME_TAG]: stack.stackName,
        [LOGICAL_ID_TAG]: decl.logicalId,
        [STACK_ID_TAG]: stack.stackId,
      });
    }
    ctx.resources.set(decl.logicalId, { ref: created.physicalId, attributes: created.attributes });
    return {
      logicalResourceId: decl.logicalId,
      physicalResourceId: created.physicalId,
      resourceType: decl.type,
      status: "CREATE_COMPLETE",
      lastUpdatedAt: world.nowMs(),
      attributes: created.attributes,
      deletionPolicy: decl.deletionPolicy,
    } satisfies StackResourceRecord;
  });
}

function resolveMetadata(decl: ResourceDecl, ctx: ResolveContext): string | undefined {
  if (decl.metadata === undefined) return undefined;
  return inResource(decl, "resolve its Metadata for", () => JSON.stringify(resolve(decl.metadata, ctx)));
}

function resolveOutputs(template: ParsedTemplate, ctx: ResolveContext): StackRecord["outputs"] {
  return template.outputs.map((o) => {
    try {
      const value = scalar(resolve(o.value, ctx), `the Value of output ${o.key}`);
      const exportName = o.exportName === undefined ? undefined : scalar(resolve(o.exportName, ctx), `the Export Name of output ${o.key}`);
      return {
        OutputKey: o.key,
        OutputValue: value,
        ...(o.description !== undefined ? { Description: o.description } : {}),
        ...(exportName !== undefined ? { ExportName: exportName } : {}),
      };
    } catch (error) {
      throw new CloudFormationError(`Output ${o.key}: ${(error as Error).message}`);
    }
  });
}

function summary(stack: StackRecord): LocalStack {
  return {
    stackName: stack.stackName,
    stackId: stack.stackId,
    status: stack.status,
    resources: stack.resources.map((r) => ({
      logicalResourceId: r.logicalResourceId,
      physicalResourceId: r.physicalResourceId,
      resourceType: r.resourceType,
      arn: r.attributes.Arn ?? r.attributes.PackageArn ?? r.attributes.PackageVersionArn ?? "",
    })),
  };
}

const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]*$/;

/** Registers a stack and creates its resources; on any failure nothing is left behind. */
export function createStack(world: World, request: CreateStackRequest): LocalStack {
  const { stackName } = request ?? {};
  if (typeof stackName !== "string" || !STACK_NAME.test(stackName) || stackName.length > 128) {
    fail(
      `1 validation error detected: Value '${String(stackName)}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]* (at most 128 characters)`,
    );
  }
  if (world.tables.stacks.has(stackName)) fail(`Stack [${stackName}] already exists`, "AlreadyExistsException");
  const tags = normalizeTags(request?.tags);
  const template = parseTemplate(request?.template);
  const stackId = `arn:aws:cloudformation:${world.region}:${world.accountId}:stack/${stackName}/${randomUUID()}`;
  const ctx: ResolveContext = { world, stackName, stackId, resources: new Map() };
  const tagRecord = Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
  return transaction(world, () => {
    try {
      const resources: StackResourceRecord[] = [];
      for (const decl of dependencyOrder(template)) {
        resources.push(createResource(world, { stackName, stackId, tags: tagRecord }, decl, ctx));
      }
      for (const decl of template.resources) {
        const metadata = resolveMetadata(decl, ctx);
        if (metadata !== undefined) resources.find((r) => r.logicalResourceId === decl.logicalId)!.metadata = metadata;
      }
      const stack: StackRecord = {
        stackName,
        stackId,
        status: "CREATE_COMPLETE",
        createdAt: world.nowMs(),
        description: template.description,
        templateBody: template.body,
        tags,
        outputs: resolveOutputs(template, ctx),
        resources,
      };
      world.tables.stacks.set(stackName, stack);
      return summary(stack);
    } catch (error) {
      throw new CloudFormationError(
        `${sentence((error as Error).message)} Stack ${stackName} was rolled back: nothing it created was kept.`,
      );
    }
  });
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical(value[k])]),
  );
}

/**
 * Replaces a stack's template. New logical ids are created; removed ones are
 * deleted, unless the old template gave them `DeletionPolicy: Retain` (they
 * then stay in IoT, tags and all, and are no longer listed). Kept logical ids
 * may change only DeletionPolicy, UpdateReplacePolicy and Metadata.
 */
export function updateStack(world: World, request: UpdateStackRequest): LocalStack {
  const stack = findStack(world, request?.stackName);
  if (!stack) return fail(`Stack [${request?.stackName}] does not exist`);
  const template = parseTemplate(request.template);
  const old = parseTemplate(stack.templateBody);
  const oldById = new Map(old.resources.map((d) => [d.logicalId, d]));
  const newIds = new Set(template.resources.map((d) => d.logicalId));
  for (const decl of template.resources) {
    const before = oldById.get(decl.logicalId);
    if (!before) continue;
    if (before.type !== decl.type) {
      fail(
        `Resource ${decl.logicalId}: changing its Type (${before.type} to ${decl.type}) is not supported by the local endpoint. Stack ${stack.stackName} was not changed.`,
      );
    }
    if (!sameJson(before.properties, decl.properties)) {
      fail(
        `Resource ${decl.logicalId} (${decl.type}): changing Properties of an existing resource is not supported by the local endpoint ` +
          `(only DeletionPolicy, UpdateReplacePolicy and Metadata may change; add a new logical id instead). Stack ${stack.stackName} was not changed.`,
      );
    }
  }
  const ctx: ResolveContext = { world, stackName: stack.stackName, stackId: stack.stackId, resources: new Map() };
  for (const r of stack.resources) ctx.resources.set(r.logicalResourceId, { ref: r.physicalResourceId, attributes: r.attributes });
  const tagRecord = Object.fromEntries(stack.tags.map((t) => [t.Key, t.Value]));
  return transaction(world, () => {
    try {
      const kept = stack.resources.filter((r) => newIds.has(r.logicalResourceId));
      const removed = stack.resources.filter((r) => !newIds.has(r.logicalResourceId));
      const created: StackResourceRecord[] = [];
      for (const decl of dependencyOrder(template)) {
        if (oldById.has(decl.logicalId)) continue;
        created.push(createResource(world, { stackName: stack.stackName, stackId: stack.stackId, tags: tagRecord }, decl, ctx));
      }
      // Cleanup after the creations, newest first, as CloudFormation does.
      const deleted: string[] = [];
      const retained: string[] = [];
      for (const r of [...removed].reverse()) {
        if (retains(r.deletionPolicy)) {
          retained.unshift(r.logicalResourceId);
          continue;
        }
        inResource({ logicalId: r.logicalResourceId, type: r.resourceType }, "delete", () =>
          HANDLERS[r.resourceType].remove(world, r.physicalResourceId),
        );
        deleted.unshift(r.logicalResourceId);
      }
      const resources = [...kept.map((r) => ({ ...r })), ...created];
      for (const decl of template.resources) {
        const record = resources.find((r) => r.logicalResourceId === decl.logicalId)!;
        record.deletionPolicy = decl.deletionPolicy;
        const metadata = resolveMetadata(decl, ctx);
        if (metadata === undefined) delete record.metadata;
        else record.metadata = metadata;
      }
      const now = world.nowMs();
      const updated: StackRecord = {
        ...stack,
        status: "UPDATE_COMPLETE",
        lastUpdatedAt: now,
        description: template.description,
        templateBody: template.body,
        outputs: resolveOutputs(template, ctx),
        resources,
      };
      if (updated.description === undefined) delete updated.description;
      world.tables.stacks.set(stack.stackName, updated);
      return { ...summary(updated), created: created.map((r) => r.logicalResourceId), deleted, retained };
    } catch (error) {
      throw new CloudFormationError(
        `${sentence((error as Error).message)} The update of stack ${stack.stackName} was rolled back: the stack and its resources are as they were.`,
      );
    }
  });
}

/** Deletes a stack and its resources, except those with `DeletionPolicy: Retain` (jobs are deleted with force). */
export function deleteStack(world: World, stackName: string): LocalStackDeletion {
  const stack = findStack(world, stackName);
  if (!stack) return fail(`Stack with id ${stackName} does not exist`);
  return transaction(world, () => {
    const deleted: string[] = [];
    const retained: string[] = [];
    try {
      for (const r of [...stack.resources].reverse()) {
        if (retains(r.deletionPolicy)) {
          retained.unshift(r.logicalResourceId);
          continue;
        }
        inResource({ logicalId: r.logicalResourceId, type: r.resourceType }, "delete", () =>
          HANDLERS[r.resourceType].remove(world, r.physicalResourceId),
        );
        deleted.unshift(r.logicalResourceId);
      }
    } catch (error) {
      throw new CloudFormationError(
        `${sentence((error as Error).message)} Stack ${stack.stackName} was not deleted: it and its resources are as they were.`,
      );
    }
    world.tables.stacks.delete(stack.stackName);
    return { stackName: stack.stackName, stackId: stack.stackId, deleted, retained };
  });
}

/** Names of the live stacks, oldest first. */
export function listStacks(world: World): string[] {
  return [...world.tables.stacks.keys()];
}
