/**
 * In-memory tables of the local IoT Jobs endpoint, with optional persistence.
 *
 * Persistence writes the whole state as one JSON file, atomically (temporary
 * file + rename), and acknowledges a mutation only once a write that contains
 * it has completed ("group commit": concurrent mutations share one write).
 * A file that exists but cannot be read, is not JSON, or is not in a shape
 * this version reads (data-file.ts checks the whole shape) stops start-up with
 * a clear error; it is never overwritten.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { onExit } from "signal-exit";
import { checkDataFile, FILE_FORMAT, FILE_VERSION, type PersistedFile } from "./data-file.ts";
import type { ExecutionRecord, Tables } from "./records.ts";

export type {
  ExecutionRecord,
  JobRecord,
  Json,
  JsonObject,
  PackageConfigurationRecord,
  PackageRecord,
  PackageVersionRecord,
  PackageVersionStatus,
  S3LocationRecord,
  SbomValidationRecord,
  ShadowRecord,
  RolloutRecord,
  StackRecord,
  StackResourceRecord,
  StackStatus,
  Tables,
  TemplateRecord,
  ThingGroupRecord,
  ThingRecord,
} from "./records.ts";

export class PersistenceError extends Error {
  override name = "PersistenceError";
}

export function emptyTables(): Tables {
  return {
    templates: new Map(),
    jobs: new Map(),
    executions: new Map(),
    things: new Map(),
    thingGroups: new Map(),
    tags: new Map(),
    stacks: new Map(),
    packages: new Map(),
    packageVersions: new Map(),
    packageConfiguration: new Map(),
    shadows: new Map(),
  };
}

/** Reads a persisted state file; undefined when it does not exist. Throws PersistenceError otherwise. */
export function readStateFile(file: string): { accountId: string; region: string; instanceId?: string; tables: Tables } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error: any) {
    if (error?.code === "ENOENT") return undefined;
    throw new PersistenceError(
      `Cannot read the local IoT endpoint's state file ${file}: ${error?.message ?? error}. ` +
        "Fix its permissions or point persistPath elsewhere; the file was left untouched.",
    );
  }
  let data: any;
  try {
    data = JSON.parse(text);
  } catch (error: any) {
    throw new PersistenceError(
      `The local IoT endpoint's state file ${file} is not valid JSON (${error?.message}). ` +
        "It was left untouched: restore it from a backup, or move it away to start with an empty endpoint.",
    );
  }
  if (!data || typeof data !== "object" || Array.isArray(data) || data.format !== FILE_FORMAT) {
    throw new PersistenceError(
      `${file} is not a local IoT endpoint state file (expected "format": "${FILE_FORMAT}"). ` +
        "It was left untouched: move it away or choose another persistPath.",
    );
  }
  if (data.version !== FILE_VERSION) {
    const found = typeof data.version === "number" ? `state file version ${data.version}` : "no state file version number";
    throw new PersistenceError(`${file} has ${found}; this endpoint reads version ${FILE_VERSION}. It was left untouched.`);
  }
  const checked = checkDataFile(data);
  if (!checked.ok) throw new PersistenceError(shapeRefusal(file, checked.problems));
  return toTables(checked.file);
}

/** How many of a file's shape problems the error names. */
const PROBLEMS_SHOWN = 3;

function shapeRefusal(file: string, problems: string[]): string {
  const more = problems.length - PROBLEMS_SHOWN;
  const named = problems.slice(0, PROBLEMS_SHOWN).join("; ") + (more > 0 ? `; and ${more} more problem${more === 1 ? "" : "s"}` : "");
  return (
    `The local IoT endpoint's data file ${file} is not in a shape this version reads (${named}). ` +
    "Nothing was read or written: the file is kept as it is. Restore it from a backup, or move it away to start with empty data."
  );
}

function toTables(data: PersistedFile): { accountId: string; region: string; instanceId?: string; tables: Tables } {
  const tables = emptyTables();
  for (const t of data.templates) tables.templates.set(t.jobTemplateId, t);
  for (const j of data.jobs) tables.jobs.set(j.jobId, j);
  for (const e of data.executions) {
    let byThing = tables.executions.get(e.jobId);
    if (!byThing) tables.executions.set(e.jobId, (byThing = new Map()));
    const list = byThing.get(e.thingName);
    if (list) list.push(e);
    else byThing.set(e.thingName, [e]);
  }
  for (const t of data.things) tables.things.set(t.thingName, t);
  for (const g of data.thingGroups) tables.thingGroups.set(g.thingGroupName, g);
  for (const [arn, tags] of Object.entries(data.tags)) tables.tags.set(arn, tags);
  for (const s of data.stacks) tables.stacks.set(s.stackName, s);
  // Tables added since the file's first version: absent in older files.
  for (const p of data.packages ?? []) tables.packages.set(p.packageName, p);
  for (const v of data.packageVersions ?? []) tables.packageVersions.set(`${v.packageName}/${v.versionName}`, v);
  if (data.packageConfiguration) tables.packageConfiguration.set("default", data.packageConfiguration);
  for (const s of data.shadows ?? []) tables.shadows.set(`${s.thingName}/${s.shadowName}`, s);
  return { accountId: data.accountId, region: data.region, instanceId: data.instanceId, tables };
}

function toFile(accountId: string, region: string, t: Tables, instanceId: string): PersistedFile {
  return {
    format: FILE_FORMAT,
    version: FILE_VERSION,
    instanceId,
    accountId,
    region,
    templates: [...t.templates.values()],
    jobs: [...t.jobs.values()],
    executions: allExecutions(t),
    things: [...t.things.values()],
    thingGroups: [...t.thingGroups.values()],
    tags: Object.fromEntries(t.tags),
    stacks: [...t.stacks.values()],
    packages: [...t.packages.values()],
    packageVersions: [...t.packageVersions.values()],
    ...(t.packageConfiguration.has("default") ? { packageConfiguration: t.packageConfiguration.get("default") } : {}),
    shadows: [...t.shadows.values()],
  };
}

/** Every execution, job by job, each thing's oldest first. */
function allExecutions(t: Tables): ExecutionRecord[] {
  const out: ExecutionRecord[] = [];
  for (const byThing of t.executions.values()) for (const list of byThing.values()) for (const e of list) out.push(e);
  return out;
}

/**
 * Group-commit persistence: `commit()` resolves once a write containing every
 * mutation made before the call has reached the file.
 */
export class Persister {
  private requested = 0;
  private written = 0;
  private inFlight: Promise<void> | undefined;
  private readonly file: string;
  private readonly snapshot: () => PersistedFile;

  constructor(file: string, snapshot: () => PersistedFile) {
    this.file = file;
    this.snapshot = snapshot;
  }

  static forTables(file: string, accountId: string, region: string, tables: Tables, instanceId: string): Persister {
    return new Persister(file, () => toFile(accountId, region, tables, instanceId));
  }

  /** Resolves when the state as of this call is on disk; rejects if that write failed. */
  async commit(): Promise<void> {
    const want = ++this.requested;
    while (this.written < want) {
      this.inFlight ??= this.writeOnce().finally(() => {
        this.inFlight = undefined;
      });
      // Every caller waiting on a failed write sees its error.
      await this.inFlight;
    }
  }

  private async writeOnce(): Promise<void> {
    const version = this.requested;
    const text = JSON.stringify(this.snapshot());
    const tmp = `${this.file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
    writing.add(tmp);
    try {
      // Owner-only: the data holds job documents and document parameters as the API received them, secrets included.
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await fs.promises.writeFile(tmp, text, { mode: 0o600 });
      await fs.promises.rename(tmp, this.file);
    } catch (error: any) {
      await fs.promises.rm(tmp, { force: true }).catch(() => {});
      throw new PersistenceError(`Could not write the local IoT endpoint's state file ${this.file}: ${error?.message ?? error}`);
    } finally {
      writing.delete(tmp);
      // Never spin on a failing disk: this version is handled either way.
      this.written = Math.max(this.written, version);
    }
  }
}

/**
 * Temporary files being written: a process that ends mid-write (Ctrl-C, a
 * SIGTERM from a CI runner) removes them on its way out. (SIGKILL leaves no
 * way out: the next start removes them, see removeOrphanedTemporaryFiles.)
 */
const writing = new Set<string>();
onExit(() => {
  for (const tmp of writing) fs.rmSync(tmp, { force: true });
});

/**
 * Removes the temporary files of writes that never finished
 * (`<file>.<pid>.<random>.tmp`, from a process killed mid-write). Only the
 * data file's owner (the process holding its lock) may call it.
 */
export function removeOrphanedTemporaryFiles(file: string): void {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith(".tmp")) fs.rmSync(path.join(dir, name), { force: true });
  }
}
