/**
 * Hooks through which a preview observes a program without changing anything.
 * A preview installs a recorder on a global symbol (so every copy of this
 * module in the process sees the same one); during a deploy there is none and
 * every hook is a no-op.
 */
const KEY = Symbol.for("alchemy-iot-jobs.plan-recorder");

export interface PlanRecorder {
  /** Whether the preview reads live resources (--refresh). */
  readonly refresh: boolean;
  /** A data source was read (ManagedJobTemplate lookups). */
  read(kind: string, name: string, value: unknown): void;
  /** Where IoT calls go (one description per target). */
  target(description: string): void;
}

export function currentRecorder(): PlanRecorder | undefined {
  return (globalThis as Record<symbol, PlanRecorder | undefined>)[KEY];
}

export function installRecorder(recorder: PlanRecorder | undefined): void {
  (globalThis as Record<symbol, PlanRecorder | undefined>)[KEY] = recorder;
}

export function recordRead(kind: string, name: string, value: unknown): void {
  currentRecorder()?.read(kind, name, value);
}

/** True while a preview runs: IoT clients then refuse anything but Describe/List/Get. */
export function previewing(): boolean {
  return currentRecorder() !== undefined;
}
