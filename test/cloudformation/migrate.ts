/**
 * What the migration tests share (import-stack.test.ts): a local endpoint
 * reached like AWS (AWS_ENDPOINT_URL serves both IoT and CloudFormation),
 * the real CLI and deploy script run in child processes, and a directory
 * for the generated modules inside the repository, so that their
 * `import ... from "alchemy-iot-jobs"` resolves (to the sources for the
 * typecheck, to the compiled copy for the programs: test/support/compiled.ts).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { IoTClient } from "@aws-sdk/client-iot";
import ts from "typescript";
import { afterAll, beforeAll } from "vitest";
import { startLocalIoT, type LocalIoT, type LocalIoTOptions } from "../../src/local/index.ts";
import { BUILD_DIR, js } from "../support/compiled.ts";
import { endpointEnv } from "../support/endpoint-env.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const tsc = path.join(repo, "node_modules", ".bin", "tsc");

/** The deploy script that declares a generated module (IMPORTED_MODULE). */
export const FIXTURE = path.join("test", "cloudformation", "fixtures", "migrate.run.ts");

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Migration {
  local: LocalIoT;
  iot: IoTClient;
  /** Where the generated modules are written. */
  generated: string;
  /** Runs a command without blocking this process (the endpoint the child talks to lives here). */
  run(command: string, args: string[], extra?: Record<string, string>): Promise<Result>;
  /** The CLI, compiled: `cli("import-stack", ...)`. */
  cli(...args: string[]): Promise<Result>;
  /** The deploy script, declaring `module` (compiled by `compile`). */
  deploy(module: string, ...args: string[]): Promise<Result>;
  /** A preview of the deploy script declaring `module`. */
  preview(module: string, ...args: string[]): Promise<Result>;
  /** The mutating calls since the endpoint's stats were reset, as "Operation status". */
  mutating(): string[];
  /** Typechecks the generated modules against the package's types. */
  typecheck(): Promise<Result>;
  /** Compiles a generated module beside the other compiled programs; returns the compiled file. */
  compile(file: string): string;
}

/** Starts the endpoint before the file's tests and removes what they generated after them. */
export function migration(options: LocalIoTOptions = {}): Migration {
  const generated = path.join(repo, "test", "cloudformation", "fixtures", "generated", `run-${process.pid}`);
  const generatedJs = path.join(BUILD_DIR, path.relative(repo, generated));
  let root = "";
  const m = { generated } as Migration;
  beforeAll(async () => {
    m.local = await startLocalIoT(options);
    root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-migrate-"));
    fs.mkdirSync(generated, { recursive: true });
    m.iot = new IoTClient({ endpoint: m.local.endpoint, region: m.local.region, credentials: m.local.credentials });
  });
  afterAll(async () => {
    await m.local.stop();
    fs.rmSync(root, { recursive: true, force: true });
    if (!process.env.KEEP_GENERATED) {
      fs.rmSync(generated, { recursive: true, force: true });
      fs.rmSync(generatedJs, { recursive: true, force: true });
    }
  });
  m.run = (command, args, extra = {}) =>
    new Promise((resolve) => {
      // AWS_ENDPOINT_URL also sends the CloudFormation calls to the local endpoint.
      const env = endpointEnv(m.local, root, { AWS_ENDPOINT_URL: m.local.endpoint, ...extra });
      execFile(command, args, { cwd: repo, env, encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      });
    });
  m.cli = (...args) => m.run(process.execPath, [js("src/cli/index.ts"), ...args]);
  m.deploy = (module, ...args) => m.run(process.execPath, [js(FIXTURE), ...args], { IMPORTED_MODULE: module });
  m.preview = (module, ...args) =>
    m.run(process.execPath, [js("src/cli/index.ts"), "preview", js(FIXTURE), ...args], { IMPORTED_MODULE: module });
  m.mutating = () =>
    m.local
      .stats()
      .calls.filter((c) => !/^(Describe|List|Get)/.test(c.operation))
      .map((c) => `${c.operation} ${c.status}`);
  m.typecheck = () => {
    fs.writeFileSync(
      path.join(generated, "tsconfig.json"),
      JSON.stringify({ extends: "../../../../../tsconfig.json", include: ["./*.ts"] }),
    );
    return m.run(tsc, ["--noEmit", "-p", path.join(generated, "tsconfig.json")]);
  };
  m.compile = (file) => {
    fs.mkdirSync(generatedJs, { recursive: true });
    const compiled = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const out = path.join(generatedJs, path.basename(file).replace(/\.ts$/, ".js"));
    fs.writeFileSync(out, compiled.outputText);
    return out;
  };
  return m;
}
