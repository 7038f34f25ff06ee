/**
 * Pieces every resource handler shares: ownership of a resource, default
 * physical ids, the client for where a resource was deployed, and errors.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { IoTClient, ResourceNotFoundException } from "@aws-sdk/client-iot";
import { Scope } from "alchemy";
import { embeddedLocalIoT, guardPreview, resolveIoT, RETRY, targetFingerprint, type ResolvedIoT } from "./client.ts";
import type { Ownership } from "./tags.ts";
import { reported, verboseRequested } from "../failure.ts";

/** The identity of an Alchemy resource, as written into ownership tags. */
export function ownershipOf(ctx: { scope: Scope; fqn: string }): Ownership {
  return { app: ctx.scope.appName, stage: ctx.scope.stage, resource: ctx.fqn };
}

export function shortHash(value: unknown, length = 8): string {
  return createHash("sha256").update(typeof value === "string" ? value : JSON.stringify(value)).digest("hex").slice(0, length);
}

/**
 * A stable physical id from the app, stage and resource id, sanitised to
 * `[a-zA-Z0-9_-]` and at most `max` characters. A name that is too long keeps
 * its start and ends with a hash of the whole name, so it stays unique. With
 * `suffix`, the suffix (e.g. a hash of replacement-forcing props) is always kept.
 */
export function physicalId(o: Ownership, max = 64, suffix?: string): string {
  const base = `${o.app}-${o.stage}-${o.resource.split("/").slice(2).join("-") || o.resource}`.replace(/[^a-zA-Z0-9_-]/g, "-");
  const tail = suffix ? `-${suffix}` : "";
  if (base.length + tail.length <= max) return `${base}${tail}`;
  const hash = `-${shortHash(base, 6)}`;
  return `${base.slice(0, max - tail.length - hash.length)}${hash}${tail}`;
}

/** Where a deployed resource lives, as recorded in its output. */
export interface StoredTarget {
  target?: string;
  region?: string;
}

/**
 * The client for a resource as it was deployed: the recorded target wins over
 * the current settings, so a destroy or replacement acts where the resource
 * really is (for example, resources deployed with `--local` are deleted from
 * the local endpoint even if destroy runs without it).
 */
export async function resolveDeployed(stored: StoredTarget, props: object | undefined, scope: Scope): Promise<ResolvedIoT> {
  const current = targetFingerprint(props, scope);
  const here = stored.target === "local" ? "local" : `${stored.target === "aws" ? "aws" : stored.target}|${stored.region ?? ""}`;
  // Deployed where the settings point now (or recorded before targets were): the usual client.
  if (!stored.target || here === current || (stored.target !== "local" && stored.region === undefined)) return resolveIoT(props, scope);
  if (stored.target === "local") {
    // Without resolving the current settings: a destroy without --local needs no AWS configuration.
    const local = await embeddedLocalIoT(scope.dotAlchemy);
    const client = new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials, ...RETRY });
    guardPreview(client);
    return {
      client,
      target: { kind: "local", key: "local", region: local.region, endpoint: local.endpoint, local, description: "local IoT Jobs endpoint" },
    };
  }
  const region = stored.region;
  if (stored.target === "aws") {
    return resolveIoT({ ...props, region, endpoint: undefined, local: false }, scope);
  }
  return resolveIoT({ ...props, region, endpoint: stored.target, local: false }, scope);
}

/**
 * The result of a call on a resource, or undefined when IoT says the
 * resource does not exist (ResourceNotFoundException); other errors propagate.
 */
export async function ifFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** A resource exists already and is not this Alchemy resource's. */
export class AlreadyExistsError extends Error {
  override name = "AlreadyExistsError";
}

/**
 * Alchemy's file store fails on a corrupt state file with a bare JSON
 * SyntaxError; say which resource and file, and what to do.
 */
export function explainStateError(error: unknown, kind: string, id: string, scope: Scope | undefined): unknown {
  if (!(error instanceof SyntaxError) || !/JSON/i.test(error.message)) return error;
  const file = scope ? path.relative(process.cwd(), path.join(scope.dotAlchemy, ...scope.chain, `${id}.json`)) : `${id}.json`;
  return new Error(
    `The state of ${kind} "${id}" could not be read (${error.message}); with Alchemy's file store it is ${file}. ` +
      `Nothing was changed. Restore the file (from version control or a backup), or delete it and deploy with --adopt ` +
      `so that the resource is taken over instead of created again. AtomicFileSystemStateStore avoids half-written state files.`,
  );
}

/** The error name of an AWS SDK error (or undefined). */
export const errorName = (error: unknown): string | undefined => (error as { name?: string } | null)?.name;

/** The prop the wrappers add: where the resource's calls go (see `targetFingerprint`). */
export const TARGET_PROP = "__target";

/** Props without the wrapper's `__target`. */
export function withoutTarget<P extends object>(props: P): P {
  if (!props || !(TARGET_PROP in props)) return props;
  const { [TARGET_PROP]: _, ...rest } = props as Record<string, unknown>;
  return rest as P;
}

/**
 * Wraps an Alchemy resource so its props are validated before Alchemy sees
 * them: a bad prop rejects the call before any state is written or any API
 * call is made. (Alchemy records a resource as "creating"/"updating" before
 * it runs the handler, so checking inside the handler would be too late.)
 * The handler validates again, for callers that bypass the wrapper.
 *
 * The wrapper also adds `__target` to the props, so that a change of where
 * the stack deploys is a change Alchemy acts on.
 */
export function validatedResource<F extends (id: string, props: any) => Promise<any>>(
  resource: F,
  validate: (id: string, props: Parameters<F>[1]) => void,
): F {
  const wrapped = function (this: unknown, id: string, props: Parameters<F>[1]) {
    try {
      validate(id, props);
    } catch (error) {
      return Promise.reject(reported(error));
    }
    const scope = Scope.getScope();
    const pending = resource.call(this, id, { ...props, [TARGET_PROP]: targetFingerprint(props, scope) });
    return keepIdentity(
      pending,
      pending.catch((error: unknown) => {
        throw reported(explainStateError(error, (resource as { type?: string }).type ?? "resource", id, scope));
      }),
    );
  } as unknown as F;
  // Keep the provider's identity (type, handler, options) for Alchemy.
  return Object.assign(wrapped, resource);
}

/**
 * Gives `derived` (a promise made from Alchemy's pending resource) the
 * pending resource's identity: Alchemy marks it with symbols (its id, kind,
 * scope) that callers and Alchemy itself may read from what they await.
 */
export function keepIdentity<T>(pending: Promise<unknown>, derived: Promise<T>): Promise<T> {
  for (const key of Object.getOwnPropertySymbols(pending)) {
    (derived as unknown as Record<symbol, unknown>)[key] = (pending as unknown as Record<symbol, unknown>)[key];
  }
  return derived;
}

let failed = false;
let exitHookInstalled = false;
const unreported: string[] = [];

/**
 * Makes the process exit non-zero when it would exit 0 (a failure Alchemy
 * swallowed). `reason`, when given, is printed at exit: pass it for errors
 * that nothing else prints.
 */
export function markFailureForExit(reason?: string): void {
  failed = true;
  if (reason) unreported.push(reason);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", (code) => {
      if (!failed || code !== 0) return;
      for (const r of unreported) process.stderr.write(`${r}\n`);
      process.exitCode = 1;
    });
  }
}

/**
 * Wraps a resource handler so that a real failure (not one of Alchemy's
 * control-flow signals) makes the process exit non-zero. Alchemy's destroy
 * phase catches errors and calls process.exit(0); without this, a destroy
 * that left resources behind would look successful to CI.
 */
export function exitNonZeroOnFailure<H extends (this: any, id: string, props: any) => Promise<any>>(handler: H): H {
  return async function (this: { scope?: Scope } | undefined, id: string, props: unknown) {
    try {
      return await handler.call(this, id, props);
    } catch (error) {
      const kind = (error as { kind?: string } | null)?.kind;
      // Only the destroy phase swallows errors; elsewhere they reach the program and fail it.
      if (this?.scope?.phase === "destroy" && kind !== "ReplacedSignal" && kind !== "DestroyedSignal") {
        markFailureForExit();
        // Alchemy logs a destroy's error with its stack; the message says what failed and what to do.
        if (error instanceof Error && !verboseRequested()) {
          Object.defineProperty(error, "stack", { value: `${error.name}: ${error.message}`, configurable: true, writable: true });
        }
      }
      throw error;
    }
  } as H;
}
