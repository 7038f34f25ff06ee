/**
 * Alchemy's file state store, made crash-safe.
 *
 * Alchemy 0.94's FileSystemStateStore writes each state file in place, so a
 * deploy killed in the middle of a write (a CI runner cancelled, an OOM kill)
 * can leave a truncated file, and every later deploy then fails on it. This
 * store keeps the same layout and format (the two read each other's files)
 * but writes to a temporary file and renames it over the old one, so a state
 * file is always either the old version or the new one; it reports a file
 * that cannot be read (not JSON, `null`, a directory, an output that is
 * null: ./check.ts) with its path, the resource and what to do; and a
 * destroy that stops on such a file exits non-zero (Alchemy's destroy phase
 * would exit 0).
 *
 * It implements Alchemy's StateStore interface itself rather than extending
 * FileSystemStateStore: importing `alchemy/state` loads every store Alchemy
 * ships (Cloudflare, D1, SQLite...), about a second of start-up for every
 * program.
 *
 * @example
 * import { AtomicFileSystemStateStore } from "alchemy-iot-jobs";
 * const app = await alchemy("fleet", { stateStore: (scope) => new AtomicFileSystemStateStore(scope) });
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { serialize, type Scope, type State, type StateStore } from "alchemy";
import { markFailureForExit } from "../failure.ts";
import { readState, shown, StateFileError } from "./check.ts";
import { readStates, reviveState } from "./revive.ts";

export { StateFileError };

const TMP = /\.tmp$/;

export class AtomicFileSystemStateStore implements StateStore {
  /** The directory of this scope's state files. */
  readonly dir: string;
  private initialized: Promise<void> | undefined;
  readonly scope: Scope;

  constructor(scope: Scope, options?: { rootDir?: string }) {
    this.scope = scope;
    this.dir = path.join(options?.rootDir ?? scope.dotAlchemy, ...scope.chain);
  }

  /** The file of a key, laid out as Alchemy's own file store does. */
  fileOf(key: string): string {
    if (key.includes(":")) throw new Error(`ID cannot include colons: ${key}`);
    const name = process.platform === "win32" ? key.replaceAll("/", "-").replaceAll("*", "+") : key.replaceAll("/", ":");
    return path.join(this.dir, `${name}.json`);
  }

  /** Alchemy calls this before every resource: the directory is prepared once. */
  init(): Promise<void> {
    this.initialized ??= (async () => {
      await fs.promises.mkdir(this.dir, { recursive: true });
      await this.removeOrphanedTemporaryFiles();
    })();
    return this.initialized;
  }

  /** Removes the scope's directory once it holds no state files. */
  async deinit(): Promise<void> {
    this.initialized = undefined;
    await this.removeOrphanedTemporaryFiles();
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(this.dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    if (entries.some((e) => e.isFile())) {
      throw new Error(`Cannot deinit: directory "${this.dir}" contains files and cannot be deleted.`);
    }
    await fs.promises.rm(this.dir, { recursive: true, force: true });
  }

  async list(): Promise<string[]> {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(this.dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return entries.filter((e) => e.isFile() && e.name.endsWith(".json")).map((e) => e.name.replace(/\.json$/, "").replaceAll(":", "/"));
  }

  async count(): Promise<number> {
    return (await this.list()).length;
  }

  async get(key: string): Promise<State | undefined> {
    const file = this.fileOf(key);
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return undefined;
      throw this.unreadable(key, code === "EISDIR" ? "is a directory, not a file" : `cannot be read (${(error as Error).message})`);
    }
    const read = readState(bytes);
    if (!read.ok) throw this.unreadable(key, read.problem);
    try {
      return await reviveState(this.scope, read.value, shown(file));
    } catch (error) {
      if (this.scope.phase === "destroy") markFailureForExit(`${(error as Error).name}: ${(error as Error).message}`, error);
      throw error;
    }
  }

  /** The error for a state file that exists and cannot be read; a destroy (which would swallow it and exit 0) exits 1. */
  private unreadable(key: string, problem: string): StateFileError {
    const failure = new StateFileError(
      `Alchemy's state file ${shown(this.fileOf(key))} ${problem}; it is the state of ${this.scope.fqn(key)}. Nothing was changed. ` +
        `Restore it (from version control or a backup), or delete it and deploy with --adopt ` +
        `so that the resource is taken over instead of created again.`,
    );
    if (this.scope.phase === "destroy") markFailureForExit(`${failure.name}: ${failure.message}`, failure);
    return failure;
  }

  async getBatch(ids: string[]): Promise<Record<string, State>> {
    return readStates(ids, (id) => this.get(id));
  }

  async all(): Promise<Record<string, State>> {
    return this.getBatch(await this.list());
  }

  async set(key: string, value: State): Promise<void> {
    const file = this.fileOf(key);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
    try {
      await fs.promises.writeFile(tmp, JSON.stringify(await serialize(this.scope, value), null, 2));
      await fs.promises.rename(tmp, file);
    } catch (error) {
      await fs.promises.rm(tmp, { force: true });
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.fileOf(key), { force: true });
  }

  async listScopes(): Promise<string[]> {
    try {
      return (await fs.promises.readdir(this.dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }

  /** Temporary files left by a writer that was killed before its rename. */
  private async removeOrphanedTemporaryFiles(): Promise<void> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch {
      return;
    }
    await Promise.all(names.filter((n) => TMP.test(n)).map((n) => fs.promises.rm(path.join(this.dir, n), { force: true })));
  }
}
