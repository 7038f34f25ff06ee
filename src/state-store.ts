/**
 * Alchemy's file state store, made crash-safe.
 *
 * Alchemy 0.94's FileSystemStateStore writes each state file in place, so a
 * deploy killed in the middle of a write (a CI runner cancelled, an OOM kill)
 * can leave a truncated file, and every later deploy then fails on it. This
 * store writes to a temporary file and renames it over the old one, so a
 * state file is always either the old version or the new one; it reports a
 * file that cannot be read with its path and what to do; and a destroy that
 * stops on such a file exits non-zero (Alchemy's destroy phase would exit 0).
 *
 * @example
 * import { AtomicFileSystemStateStore } from "alchemy-iot-jobs";
 * const app = await alchemy("fleet", { stateStore: (scope) => new AtomicFileSystemStateStore(scope) });
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { serialize, type Scope, type State } from "alchemy";
import { FileSystemStateStore } from "alchemy/state";
import { markFailureForExit } from "./iot/common.ts";

const TMP = /\.tmp$/;

/** A state file that exists but cannot be read. Nothing was changed. */
export class StateFileError extends Error {
  override name = "StateFileError";
}

export class AtomicFileSystemStateStore extends FileSystemStateStore {
  constructor(scope: Scope, options?: { rootDir?: string }) {
    super(scope, options);
  }

  /** The file of a key (the same layout as Alchemy's store, so the two read each other's state). */
  fileOf(key: string): string {
    if (key.includes(":")) throw new Error(`ID cannot include colons: ${key}`);
    const name = process.platform === "win32" ? key.replaceAll("/", "-").replaceAll("*", "+") : key.replaceAll("/", ":");
    return path.join(this.dir, `${name}.json`);
  }

  override async init(): Promise<void> {
    await super.init();
    await this.removeOrphanedTemporaryFiles();
  }

  override async deinit(): Promise<void> {
    await this.removeOrphanedTemporaryFiles();
    await super.deinit();
  }

  override async get(key: string): Promise<State | undefined> {
    try {
      return await super.get(key);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      const failure = new StateFileError(
        `Alchemy's state file ${path.relative(process.cwd(), this.fileOf(key)) || this.fileOf(key)} is not valid JSON (${error.message}). ` +
          `Nothing was changed. Restore it (from version control or a backup), or delete it and deploy with --adopt ` +
          `so that the resource is taken over instead of created again.`,
      );
      // A destroy swallows this error and exits 0: make it exit 1 and say why.
      if (this.scope.phase === "destroy") markFailureForExit(`${failure.name}: ${failure.message}`);
      throw failure;
    }
  }

  override async set(key: string, value: State): Promise<void> {
    await super.init();
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
