/**
 * Drives the real Alchemy runtime the way a deploy script does, against a
 * local IoT endpoint started by the test: every `deploy()` is a fresh
 * `alchemy(app)` run (its own root scope, file state store in a temporary
 * directory) that runs the program and finalizes, so removed resources are
 * destroyed and replacements cleaned up exactly as in a real deploy.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { IoTClient } from "@aws-sdk/client-iot";
import alchemy, { Scope, type StateStore } from "alchemy";
import { startLocalIoT, type LocalIoT, type LocalIoTOptions } from "../../src/local/index.ts";
import { unlockStage } from "../../src/runtime/lock/stage.ts";
import { readTree, utf8 } from "./files.ts";

export const PASSWORD = "test-password-for-state-encryption";

export interface DeployOptions {
  stage?: string;
  adopt?: boolean;
  /** Alchemy's --force: run every handler even when props did not change. */
  force?: boolean;
  /** Extra scope settings (e.g. `{ local: true }` instead of the test endpoint). */
  iot?: Record<string, unknown>;
  quiet?: boolean;
  /** Alchemy's destroy strategy for removed resources ("parallel" deletes them concurrently). */
  destroyStrategy?: "sequential" | "parallel";
  /** A state store factory instead of Alchemy's file store. */
  stateStore?: (scope: Scope) => StateStore;
  /** The app's password (the state's secrets are encrypted with it). @default PASSWORD */
  password?: string;
}

export interface TestStack {
  app: string;
  stage: string;
  /** Project directory (the `.alchemy` state lives inside). */
  dir: string;
  local: LocalIoT;
  /** An SDK client for out-of-band checks. */
  client: IoTClient;
  deploy<T>(program: () => Promise<T>, options?: DeployOptions): Promise<T>;
  destroy(options?: DeployOptions): Promise<void>;
  /** Directory of the stage's state files. */
  stateDir(stage?: string): string;
  /** Every state file under `.alchemy` (locks left out), path -> content. */
  stateFiles(): Record<string, string>;
  /** Mutating calls the endpoint received since the last reset, as "Operation" strings in order. */
  mutatingCalls(): string[];
  /**
   * Ends the stack as the end of a deploy's process would: releases the stage locks its runs still hold
   * (a failed deploy is never finalized), stops the endpoint and removes the directory. Test files share
   * their worker's process, so nothing a file held may outlive it.
   */
  close(): Promise<void>;
}

let counter = 0;

export async function createStack(options: { app?: string; stage?: string; local?: LocalIoTOptions } = {}): Promise<TestStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-test-"));
  const local = await startLocalIoT({ deletionDelayMs: 50, ...options.local });
  const app = options.app ?? `app${++counter}`;
  const defaultStage = options.stage ?? "test";
  const client = new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });

  /** The stage scopes of every run, whose locks close() releases. */
  const opened = new Set<Scope>();

  async function open(o: DeployOptions) {
    const stage = o.stage ?? defaultStage;
    const { accessKeyId, secretAccessKey } = local.credentials;
    const root = await alchemy(app, {
      phase: "up",
      stage,
      rootDir: dir,
      password: o.password ?? PASSWORD,
      quiet: o.quiet ?? true,
      adopt: o.adopt,
      force: o.force,
      destroyStrategy: o.destroyStrategy,
      stateStore: o.stateStore,
      noTrack: true,
      iot: {
        endpoint: local.endpoint,
        region: local.region,
        accessKeyId: alchemy.secret(accessKeyId),
        secretAccessKey: alchemy.secret(secretAccessKey),
        ...o.iot,
      },
    } as Parameters<typeof alchemy>[1]);
    const stageScope = root.children.get(stage)!;
    opened.add(stageScope);
    return { root, stageScope };
  }

  return {
    app,
    stage: defaultStage,
    dir,
    local,
    client,
    async deploy(program, o = {}) {
      const { root, stageScope } = await open(o);
      const result = await Scope.storage.run(stageScope, program);
      await root.finalize();
      return result;
    },
    async destroy(o = {}) {
      const { stageScope } = await open(o);
      await alchemy.destroy(stageScope);
    },
    stateDir(stage = defaultStage) {
      return path.join(dir, ".alchemy", app, stage);
    },
    stateFiles() {
      // The stage's lock (.alchemy/.locks) is not state.
      const files = readTree(path.join(dir, ".alchemy"), utf8, dir);
      return Object.fromEntries(Object.entries(files).filter(([file]) => !file.split(path.sep).includes(".locks")));
    },
    mutatingCalls() {
      return local
        .stats()
        .calls.filter((c) => !/^(Describe|List|Get)/.test(c.operation))
        .map((c) => c.operation);
    },
    async close() {
      for (const stageScope of opened) await unlockStage(stageScope);
      await local.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
