/**
 * How the engine reports to a preview. A preview installs a recorder in the
 * process-wide registry (src/runtime/registry.ts), so every copy of this
 * package in the process sees the same one; during a deploy there is none,
 * and the engine sends its operations instead of recording them.
 */
import { currentMode, IsolationError, registry, setMode } from "../../runtime/registry.ts";
import type { Change } from "./change.ts";
import type { Desired, Kind, Recorded, Reference } from "./contract.ts";

/** One resource's change, as the engine decided it. */
export interface ChangeRecord {
  /** The resource's path in the app (Alchemy's FQN). */
  address: string;
  /** Alchemy resource kind, e.g. `iot::JobTemplate`. */
  type: string;
  /** The resource id in the program. */
  name: string;
  physicalId: string;
  /** The handler phase Alchemy ran: what it reports (created, updated or replaced, deleted). */
  phase: "create" | "update" | "delete";
  change: Change;
  /** The resource before and after, as plans show them (documents parsed; secrets still in). */
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** Prop paths holding secrets. */
  sensitive: string[];
  /** The handler ran only because of --force (its props did not change). */
  forced: boolean;
  /** Where it lives: location key and region (`local|us-east-1`), so that two resources of one name are found. */
  location?: string;
  /** References the program does not declare (as resources): checked once the whole program is known. */
  references?: Array<Reference & { exists(): Promise<boolean>; where: string }>;
  /** The engine's view, for whole-program checks (a resource that moved is planned from both halves). */
  subject?: { kind: Kind<any, any, any>; desired?: Desired; recorded?: Recorded };
}

/** What makes a deploy refuse before its first change: one per problem, naming the resource and the prop. */
export interface ProblemRecord {
  address: string;
  type: string;
  /** The resource id in the program. */
  name: string;
  /** The prop path, when one prop is at fault. */
  path?: string;
  message: string;
  /** A create refused because its physical id is taken: no problem when the whole program shows it moved here. */
  taken?: boolean;
}

/** What --refresh found changed out of band. */
export interface DriftRecord {
  address: string;
  type: string;
  physicalId: string;
  kind: "deleted" | "changed";
  diffs: Array<{ path: string; before?: unknown; after?: unknown }>;
  sensitive: string[];
  note: string;
}

export interface PlanRecorder {
  /**
   * Whether the preview reads live resources (--refresh): each resource, and
   * what a job change reaches (src/provider/kinds/job/impact.ts: the members
   * of its target groups). Without it, and in a deploy, nothing more is read.
   */
  readonly refresh: boolean;
  /**
   * Whether the preview reads what its checks need (a deploy's whole-program
   * check, and --refresh): the ownership of recorded resources that change,
   * and references the program does not declare. No drift, no device counts.
   */
  readonly verify: boolean;
  change(record: ChangeRecord): void;
  /** A problem that makes the deploy refuse (the program goes on, so that every problem is found). */
  problem(record: ProblemRecord): void;
  drift(record: DriftRecord): void;
  /** A data source was read (ManagedJobTemplate lookups). */
  read(kind: string, name: string, value: unknown): void;
  /** Where IoT calls go (one description per location). */
  location(description: string): void;
}

/**
 * The preview's recorder, or undefined in a deploy (and a rehearsal). In a
 * preview whose recorder this copy cannot find, it throws: executing instead
 * of recording would change what a preview must not.
 */
export function currentRecorder(): PlanRecorder | undefined {
  if (currentMode() !== "preview") return undefined;
  const recorder = registry().recorder as PlanRecorder | undefined;
  if (!recorder)
    throw new IsolationError(
      "A preview is in progress in this process, but this copy of alchemy-iot-jobs cannot find its recorder, so it refuses every change: nothing was sent.",
    );
  return recorder;
}

/** Where a recorder keeps what the preview has planned so far (a symbol every copy of the package shares). */
const PLANNED = Symbol.for("alchemy-iot-jobs.planned");

/**
 * The recorder, keeping what the preview has planned so far: each resource
 * (kind, location, physical id) that exists once the deploy has reached it.
 */
function tracking(recorder: PlanRecorder): PlanRecorder {
  const planned = new Set<string>();
  const change = (record: ChangeRecord) => {
    const key = `${record.type}|${record.location ?? ""}|${record.physicalId}`;
    if (record.phase === "delete") planned.delete(key);
    else planned.add(key);
    recorder.change(record);
  };
  return new Proxy(recorder, {
    get: (target, member) => (member === "change" ? change : member === PLANNED ? planned : Reflect.get(target, member)),
  });
}

/**
 * In a preview: will the resource exist when the deploy reaches this point,
 * because the program declared it earlier (created, kept or updated)? What
 * a deploy reads live is there by then; a preview, which creates nothing,
 * asks this before reading. Always false in a deploy.
 * `location`: the location key and region (`local|us-east-1`).
 */
export function plannedEarlier(type: string, location: string, physicalId: string): boolean {
  const recorder = currentRecorder() as (PlanRecorder & { [PLANNED]?: Set<string> }) | undefined;
  return recorder?.[PLANNED]?.has(`${type}|${location}|${physicalId}`) ?? false;
}

/** Opens (with a recorder) or closes (undefined) a preview in this process. */
export function installRecorder(recorder: PlanRecorder | undefined): void {
  registry().recorder = recorder && tracking(recorder);
  setMode(recorder ? "preview" : undefined);
}

export function recordRead(kind: string, name: string, value: unknown): void {
  currentRecorder()?.read(kind, name, value);
}

/** True while a preview runs: IoT clients then refuse anything but Describe/List/Get. */
export function previewing(): boolean {
  return currentMode() === "preview";
}
