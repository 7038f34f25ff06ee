/**
 * Can every state of a stage be read? A deploy and a destroy ask before they
 * act (src/runtime/stage.ts): Alchemy reads a resource's state only when it
 * reaches it, so a destroy would delete resources one by one and then stop
 * on the first state it cannot read (a file that holds `null`, a state whose
 * `output` is null: "Cannot destroy resource "undefined""), or never see it
 * at all (a directory where a state file should be: Alchemy lists files
 * only, and the destroy ends with the resource left and exit status 0).
 *
 * A state is readable when it is a JSON object with a `kind` and an `output`
 * object (Alchemy reads the resource to delete from its output).
 * Problems are said as what the file holds, never by quoting it (states
 * hold secrets, encrypted or not).
 */
import fs from "node:fs";
import path from "node:path";
import type { Scope } from "alchemy";
import { isJsonObject, jsonKind, parseJsonBytes } from "../json-file.ts";
import { S3StateError } from "./s3-client.ts";

/** A state file that exists but cannot be read. Nothing was changed. */
export class StateFileError extends Error {
  override name = "StateFileError";
}

/** A state that cannot be read. */
export interface UnreadableState {
  /** Where it is, as said to the user: a file's path (relative to the working directory), or s3://bucket/key. */
  where: string;
  /** A file, or an S3 object. */
  noun: "state file" | "state object";
  /** The resource it is the state of: its address (app/stage/.../id). */
  resource: string;
  /** What is wrong, said after the file's name: "holds null, not a resource's state". */
  problem: string;
}

/** What is wrong with a parsed state (Alchemy's JSON of one resource), or undefined. */
export function stateProblem(value: unknown): string | undefined {
  if (!isJsonObject(value)) return `holds ${jsonKind(value)}, not a resource's state (a JSON object)`;
  if (typeof value.kind !== "string") return `holds a JSON object that is not a resource's state: it has no "kind"`;
  const output = value.output;
  if (!isJsonObject(output)) {
    return output === undefined
      ? `has no "output" (the resource's attributes: its id, ARN, location)`
      : `records ${jsonKind(output)} as the resource's "output", where its attributes (its id, ARN, location) belong`;
  }
  return undefined;
}

/** What is wrong with the bytes of a state (a file's or an S3 object's), or the state's JSON. */
export function readState(bytes: Uint8Array | string): { ok: true; value: unknown } | { ok: false; problem: string } {
  const read = parseJsonBytes(bytes);
  if (!read.ok) return read;
  const problem = stateProblem(read.value);
  return problem ? { ok: false, problem } : read;
}

/** What is wrong with a state file, or undefined when it can be read or does not exist. */
export function stateFileProblem(file: string): string | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "EISDIR") return "is a directory, not a file";
    return `cannot be read (${(error as Error).message})`;
  }
  const read = readState(bytes);
  return read.ok ? undefined : read.problem;
}

export const shown = (file: string): string => path.relative(process.cwd(), file) || file;

/**
 * The unreadable states under a file store's directory (`dir`, the state of
 * the scope `chain`), nested scopes included, and the scope's own entry
 * (`<dir>.json`, in its parent's directory).
 */
export function unreadableStateFiles(dir: string, chain: readonly string[]): UnreadableState[] {
  const found: UnreadableState[] = [];
  const note = (file: string, address: string[], problem: string | undefined) => {
    if (problem) found.push({ where: shown(file), noun: "state file", resource: address.join("/"), problem });
  };
  note(`${dir}.json`, [...chain], stateFileProblem(`${dir}.json`));
  const walk = (at: string, address: string[]) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(at, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      found.push({
        where: shown(at),
        noun: "state file",
        resource: address.join("/"),
        problem: `cannot be listed (${(error as Error).message})`,
      });
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    for (const entry of entries) {
      const file = path.join(at, entry.name);
      const key = entry.name.replace(/\.json$/, "").replaceAll(":", "/");
      if (entry.isDirectory()) {
        // A nested scope's folder, beside its entry `<name>.json`; a folder named `<id>.json` with no entry stands where a state file should.
        if (entry.name.endsWith(".json") && !names.has(`${entry.name}.json`)) note(file, [...address, key], "is a directory, not a file");
        else walk(file, [...address, entry.name]);
      } else if (entry.name.endsWith(".json")) {
        note(file, [...address, key], entry.isFile() || entry.isSymbolicLink() ? stateFileProblem(file) : "is not a regular file");
      }
    }
  };
  walk(dir, [...chain]);
  return found;
}

/** A store that checks its states itself (S3StateStore). */
interface CheckingStore {
  unreadableStates(): Promise<UnreadableState[]>;
}

/** The unreadable states of a stage, with the stores that can tell (file stores, S3StateStore); none for other stores. */
export async function unreadableStates(stage: Scope): Promise<UnreadableState[]> {
  const store = stage.state as unknown as { dir?: unknown } & Partial<CheckingStore>;
  if (typeof store.dir === "string") return unreadableStateFiles(store.dir, stage.chain);
  if (typeof store.unreadableStates === "function") return store.unreadableStates();
  return [];
}

/** The error a deploy or a destroy stops with when states of its stage cannot be read: one block, every state named. */
export function unreadableStateError(stage: Scope, states: UnreadableState[], action: "deploy" | "destroy"): Error {
  const noun = states[0].noun;
  const head =
    states.length === 1
      ? `Alchemy's ${noun} ${states[0].where} ${states[0].problem}; it is the state of ${states[0].resource}.`
      : `${states.length} of Alchemy's ${noun}s of stage "${stage.stage}" of app "${stage.appName}" cannot be read:\n` +
        states.map((s) => `  - ${s.where} ${s.problem} (the state of ${s.resource})`).join("\n") +
        "\n";
  const it = states.length === 1 ? "it" : "them";
  const from = noun === "state file" ? "from version control or a backup" : "from the bucket's versions or a backup";
  const tail =
    action === "destroy"
      ? ` So the stage cannot be destroyed: nothing was deleted (a destroy starts only once every state of its stage can be read). ` +
        `Restore ${it} (${from}) and destroy again; delete a state only if its resource no longer exists, as a destroy would then leave that resource behind.`
      : ` So the stage cannot be deployed: nothing was changed (a deploy starts only once every state of its stage can be read). ` +
        `Restore ${it} (${from}), or delete ${it} and deploy with --adopt so that ${states.length === 1 ? "the resource is" : "the resources are"} taken over instead of created again.`;
  const message = head + tail;
  return noun === "state file" ? new StateFileError(message) : new S3StateError(message);
}

/** Stops a deploy or a destroy whose stage holds a state it cannot read, before it acts. */
export async function assertStatesReadable(stage: Scope, action: "deploy" | "destroy"): Promise<void> {
  let states = await unreadableStates(stage);
  // Alchemy's own file store writes in place (truncate, then write): a write still in flight (a run that just failed in
  // this process) reads as empty or cut short for a moment. What is still unreadable after a few looks is.
  for (let look = 0; look < 3 && states.length > 0; look++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    states = await unreadableStates(stage);
  }
  if (states.length > 0) throw unreadableStateError(stage, states, action);
}
