/**
 * Hooks through which a preview observes a program without changing anything.
 * A preview installs a recorder on a global symbol (so every copy of this
 * module in the process sees the same one); during a deploy there is none and
 * every hook is a no-op.
 */
const KEY = Symbol.for("alchemy-iot-jobs.plan-recorder");

export interface PlanRecorder {
  /** A data source was read (ManagedJobTemplate lookups). */
  read(kind: string, name: string, value: unknown): void;
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
