/**
 * Who holds a lock, as both backends record it and every message names it:
 * the process (id, host, command line), the app and stage it works on, and
 * since when it holds the lock. The S3 backend also records the lease it
 * renews and a token that tells one acquisition from the next.
 */
import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";

export interface LeaseHolder {
  pid: number;
  host: string;
  /** The holder's command line (its program), shortened. */
  command: string;
  /** When it took the lock, by its own clock (ISO 8601). */
  since: string;
  app?: string;
  stage?: string;
  /** The lease it renews, in seconds (S3: what a contender judges its expiry by). */
  leaseSeconds?: number;
  /** Tells this acquisition from any other (S3: a renewal whose answer was lost finds itself by it). */
  token?: string;
}

/** This process, as the holder of a lock taken now. */
export function thisHolder(fields: { app?: string; stage?: string; leaseSeconds?: number } = {}): LeaseHolder {
  return {
    pid: process.pid,
    host: os.hostname(),
    command: commandLine(),
    since: new Date().toISOString(),
    ...(fields.app === undefined ? {} : { app: fields.app }),
    ...(fields.stage === undefined ? {} : { stage: fields.stage }),
    ...(fields.leaseSeconds === undefined ? {} : { leaseSeconds: fields.leaseSeconds }),
    token: randomUUID(),
  };
}

/** A holder read back from a lock (a file or an object): undefined when it is not one. */
export function parseHolder(text: string | undefined): LeaseHolder | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<LeaseHolder> | null;
    if (!value || typeof value !== "object" || typeof value.pid !== "number" || typeof value.host !== "string") return undefined;
    return {
      pid: value.pid,
      host: value.host,
      command: typeof value.command === "string" ? value.command : "?",
      since: typeof value.since === "string" ? value.since : "?",
      ...(typeof value.app === "string" ? { app: value.app } : {}),
      ...(typeof value.stage === "string" ? { stage: value.stage } : {}),
      ...(typeof value.leaseSeconds === "number" && value.leaseSeconds > 0 ? { leaseSeconds: value.leaseSeconds } : {}),
      ...(typeof value.token === "string" ? { token: value.token } : {}),
    };
  } catch {
    return undefined;
  }
}

/** `process 123 on ci-7 (tsx alchemy.run.ts --stage dev), since 2026-01-01T00:00:00.000Z` (no host when it is this one). */
export function describeHolder(holder: LeaseHolder | undefined): string {
  if (!holder) return "another process";
  const host = holder.host === os.hostname() ? "" : ` on ${holder.host}`;
  return `process ${holder.pid}${host} (${holder.command}), since ${holder.since}`;
}

/** Every field, one per line, for `alchemy-iot-jobs unlock`. */
export function holderDetails(holder: LeaseHolder | undefined): string[] {
  if (!holder) return ["  holder:  unknown (the lock records no holder it can read)"];
  return [
    `  process: ${holder.pid} on ${holder.host}`,
    `  program: ${holder.command}`,
    ...(holder.app || holder.stage ? [`  stage:   ${holder.stage ?? "?"} of app ${holder.app ?? "?"}`] : []),
    `  since:   ${holder.since}`,
  ];
}

export const sameHolder = (a: LeaseHolder | undefined, b: LeaseHolder | undefined): boolean =>
  !!a && !!b && (a.token && b.token ? a.token === b.token : a.pid === b.pid && a.host === b.host && a.since === b.since);

export const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

export const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function commandLine(): string {
  const args = process.argv.slice(1).map((a) => path.basename(a));
  return args.join(" ").slice(0, 200) || "node";
}
