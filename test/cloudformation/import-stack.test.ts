/**
 * Migrating a CloudFormation stack, end to end with the real CLI, deploy
 * script and preview in child processes, against a local endpoint reached
 * like AWS (AWS_ENDPOINT_URL serves both IoT and CloudFormation):
 *
 *   stack with three templates and a job -> import-stack -> a deploy is refused
 *   while the stack manages them -> Retain + remove from the stack -> preview
 *   shows nothing to change -> deploy makes zero mutating calls -> the
 *   resources are ordinary resources of the app (change, destroy).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ListJobTemplatesCommand, ListJobsCommand, IoTClient } from "@aws-sdk/client-iot";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import type { Plan } from "../../src/preview/plan.ts";
import { endpointEnv } from "../support/endpoint-env.ts";
import { BUILD_DIR, js } from "../support/compiled.ts";
import ts from "typescript";

const repo = path.resolve(import.meta.dirname, "../..");
const tsc = path.join(repo, "node_modules", ".bin", "tsc");
const fixture = path.join("test", "cloudformation", "fixtures", "migrate.run.ts");
// Inside the repository, so that the generated `import ... from "alchemy-iot-jobs"` resolves (to the sources for
// the typecheck); compiled beside the other programs (test/support/compiled.ts), where it resolves to the compiled copy.
const generated = path.join(repo, "test", "cloudformation", "fixtures", "generated", `run-${process.pid}`);
const generatedJs = path.join(BUILD_DIR, path.relative(repo, generated));
let local: LocalIoT;
let root: string;
let iot: IoTClient;

beforeAll(async () => {
  local = await startLocalIoT({ deletionDelayMs: 20, cloudFormationPageSize: 2 });
  root = fs.mkdtempSync(path.join(os.tmpdir(), "iot-jobs-migrate-"));
  fs.mkdirSync(generated, { recursive: true });
  iot = new IoTClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
});
afterAll(async () => {
  await local.stop();
  fs.rmSync(root, { recursive: true, force: true });
  if (!process.env.KEEP_GENERATED) {
    fs.rmSync(generated, { recursive: true, force: true });
    fs.rmSync(generatedJs, { recursive: true, force: true });
  }
});

// AWS_ENDPOINT_URL also sends the CloudFormation calls to the local endpoint.
const env = (extra: Record<string, string> = {}) => endpointEnv(local, root, { AWS_ENDPOINT_URL: local.endpoint, ...extra });

/** Runs a command without blocking this process (the endpoint the child talks to lives here). */
function run(
  command: string,
  args: string[],
  extra: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: repo, env: env(extra), encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const mutating = () =>
  local
    .stats()
    .calls.filter((c) => !/^(Describe|List|Get)/.test(c.operation))
    .map((c) => `${c.operation} ${c.status}`);

const STACK = `
AWSTemplateFormatVersion: "2010-09-09"
Description: IoT jobs of the fleet team
Resources:
  Fleet:
    Type: AWS::IoT::ThingGroup
    DeletionPolicy: Retain
    Properties:
      ThingGroupName: legacy-fleet
  FirmwareTemplate:
    Type: AWS::IoT::JobTemplate
    DeletionPolicy: Retain
    Properties:
      JobTemplateId: legacy-firmware
      Description: Firmware rollout
      Document: '{"operation":"updateFirmware","version":"1.2.3","url":"\${aws:iot:s3-presigned-url:https://s3.amazonaws.com/fw/1.2.3.bin}"}'
      PresignedUrlConfig:
        RoleArn: arn:aws:iam::123456789012:role/presign
        ExpiresInSec: 900
      AbortConfig:
        CriteriaList:
          - Action: CANCEL
            FailureType: FAILED
            MinNumberOfExecutedThings: 5
            ThresholdPercentage: 10
      JobExecutionsRetryConfig:
        RetryCriteriaList:
          - FailureType: TIMED_OUT
            NumberOfRetries: 2
      JobExecutionsRolloutConfig:
        ExponentialRolloutRate:
          BaseRatePerMinute: 10
          IncrementFactor: 2
          RateIncreaseCriteria:
            NumberOfSucceededThings: 50
      TimeoutConfig:
        InProgressTimeoutInMinutes: 60
      MaintenanceWindows:
        - StartTime: cron(0 22 ? * SAT *)
          DurationInMinutes: 120
      Tags:
        - Key: team
          Value: fleet
  RebootTemplate:
    Type: AWS::IoT::JobTemplate
    DeletionPolicy: Retain
    Properties:
      JobTemplateId: !Sub "\${AWS::StackName}-reboot"
      Description: Reboot
      Document: '{"operation":"reboot"}'
  ConfigTemplate:
    Type: AWS::IoT::JobTemplate
    Properties:
      JobTemplateId: legacy-config
      Description: Configuration
      Document: '{"operation":"configure","level":3}'
      Tags:
        - Key: owner
          Value: ops
  Rollout:
    Type: AWS::IoT::Job
    DeletionPolicy: Retain
    Properties:
      JobId: legacy-rollout
      Targets:
        - !GetAtt Fleet.Arn
      JobTemplateArn: !GetAtt FirmwareTemplate.Arn
      TargetSelection: CONTINUOUS
      Description: Firmware 1.2.3 for the fleet
      Tags:
        - Key: team
          Value: fleet
`;

test("import-stack, then take the stack's templates and job over with zero changes", async () => {
  await local.createStack({ stackName: "legacy-jobs", template: STACK, tags: { cost: "fleet" } });

  // 1. Import (read calls only). ConfigTemplate has no DeletionPolicy: the command warns.
  local.resetStats();
  const out = path.join(generated, "legacy-jobs.ts");
  const imported = await run(process.execPath, [js("src/cli/index.ts"), "import-stack", "legacy-jobs", "--out", out]);
  expect(imported.code, imported.stderr).toBe(0);
  expect(mutating()).toEqual([]);
  expect(local.stats().byOperation.ListStackResources.count).toBe(3); // 5 resources, pages of 2
  expect(imported.stderr).toContain("Imported 3 job template(s) and 1 job(s) from stack legacy-jobs");
  expect(imported.stderr).toContain("Skipped 1 resource(s) of other types.");
  expect(imported.stderr).toMatch(
    /warning: ConfigTemplate \(AWS::IoT::JobTemplate legacy-config\) has DeletionPolicy Delete \(the default\)/,
  );
  const code = fs.readFileSync(out, "utf8");
  expect(code).toContain('import { Job, JobTemplate } from "alchemy-iot-jobs";');
  expect(code.match(/^ {4}adopt: true,$/gm)).toHaveLength(4);
  expect(code).toContain('const firmwareTemplate = await JobTemplate("FirmwareTemplate", {');
  expect(code).toContain("jobTemplate: firmwareTemplate,");
  expect(code).toContain('jobTemplateId: "legacy-jobs-reboot",');
  expect(code).toContain("//   - Fleet (AWS::IoT::ThingGroup)");
  // The same stack in CloudFormation's spelling, for alchemy-iot-jobs/cloudformation.
  const cfnOut = path.join(generated, "legacy-jobs-cfn.ts");
  const importedCfn = await run(process.execPath, [
    js("src/cli/index.ts"),
    "import-stack",
    "legacy-jobs",
    "--out",
    cfnOut,
    "--style",
    "cloudformation",
  ]);
  expect(importedCfn.code, importedCfn.stderr).toBe(0);
  const cfnCode = fs.readFileSync(cfnOut, "utf8");
  expect(cfnCode).toContain('from "alchemy-iot-jobs/cloudformation"');
  expect(cfnCode).toContain("RetryCriteriaList: [");
  expect(cfnCode).toContain("JobTemplateArn: firmwareTemplate.Arn,");
  // Both typecheck against the package's types.
  fs.writeFileSync(path.join(generated, "tsconfig.json"), JSON.stringify({ extends: "../../../../../tsconfig.json", include: ["./*.ts"] }));
  const typecheck = await run(tsc, ["--noEmit", "-p", path.join(generated, "tsconfig.json")]);
  expect(typecheck.code, typecheck.stdout).toBe(0);
  // Compiled for the programs below, beside the other compiled programs.
  fs.mkdirSync(generatedJs, { recursive: true });
  for (const file of [out, cfnOut]) {
    const compiled = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    fs.writeFileSync(path.join(generatedJs, path.basename(file).replace(/\.ts$/, ".js")), compiled.outputText);
  }
  const program = { IMPORTED_MODULE: path.join(generatedJs, "legacy-jobs.js") };
  // Overwriting needs --force.
  const again = await run(process.execPath, [js("src/cli/index.ts"), "import-stack", "legacy-jobs", "--out", out]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain("exists; pass --force to overwrite it");

  // 2. While the stack manages them, a deploy refuses (and changes nothing).
  local.resetStats();
  const refused = await run(process.execPath, [js(fixture), "--stage", "prod"], program);
  expect(refused.code).toBe(1);
  expect(`${refused.stdout}${refused.stderr}`).toContain('is managed by CloudFormation stack "legacy-jobs"');
  expect(mutating(), `${refused.stdout}${refused.stderr}`).toEqual([]);
  // So does a preview: the same read, the same message, exit code 1.
  const refusedPreview = await run(process.execPath, [js("src/cli/index.ts"), "preview", js(fixture), "--stage", "prod"], program);
  expect(refusedPreview.code).toBe(1);
  expect(refusedPreview.stdout).toContain('is managed by CloudFormation stack "legacy-jobs"');
  expect(mutating()).toEqual([]);

  // 3. The migration: Retain on ConfigTemplate, then remove the four from the stack.
  await local.updateStack({
    stackName: "legacy-jobs",
    template: STACK.replace(
      "    Type: AWS::IoT::JobTemplate\n    Properties:\n      JobTemplateId: legacy-config",
      "    Type: AWS::IoT::JobTemplate\n    DeletionPolicy: Retain\n    Properties:\n      JobTemplateId: legacy-config",
    ),
  });
  const released = await local.updateStack({ stackName: "legacy-jobs", template: STACK.slice(0, STACK.indexOf("  FirmwareTemplate:")) });
  expect(released.retained?.sort()).toEqual(["ConfigTemplate", "FirmwareTemplate", "RebootTemplate", "Rollout"]);

  // 4. A preview right after shows nothing to change: four resources adopted unchanged.
  local.resetStats();
  const preview = await run(
    process.execPath,
    [js("src/cli/index.ts"), "preview", js(fixture), "--stage", "prod", "--format", "json", "--detailed-exitcode"],
    program,
  );
  expect(preview.code, preview.stderr).toBe(0);
  const plan = JSON.parse(preview.stdout) as Plan;
  expect(plan.summary).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0 });
  expect(
    plan.resources
      .filter((e) => e.adopt)
      .map((e) => `${e.name} ${e.actions.join("/")}`)
      .sort(),
  ).toEqual(["ConfigTemplate no-op", "FirmwareTemplate no-op", "RebootTemplate no-op", "Rollout no-op"]);
  expect(mutating()).toEqual([]);
  const text = await run(process.execPath, [js("src/cli/index.ts"), "preview", js(fixture), "--stage", "prod"], program);
  expect(text.stdout).toContain("No changes.");
  expect(text.stdout).toContain("4 existing resources are adopted unchanged");

  // 5. The deploy takes them over with zero mutating calls.
  local.resetStats();
  const deployed = await run(process.execPath, [js(fixture), "--stage", "prod"], program);
  expect(deployed.code, `${deployed.stdout}${deployed.stderr}`).toBe(0);
  expect(mutating()).toEqual([]);
  // Each stack resource is read twice: by the deploy's whole-program check, and by the deploy before it adopts it.
  expect(local.stats().byOperation.DescribeStackResource.count).toBe(8);

  // 6. From now on they are the app's: nothing to change, and a no-op deploy makes no call at all.
  const after = await run(
    process.execPath,
    [js("src/cli/index.ts"), "preview", js(fixture), "--stage", "prod", "--format", "json", "--detailed-exitcode"],
    program,
  );
  expect(after.code, after.stderr).toBe(0);
  expect((JSON.parse(after.stdout) as Plan).resources.filter((e) => e.adopt)).toEqual([]);
  local.resetStats();
  expect((await run(process.execPath, [js(fixture), "--stage", "prod"], program)).code).toBe(0);
  expect(local.stats().requests).toBe(0);
  // The CloudFormation spelling of the same declarations is the same resources: no API call. (Its props list
  // some members in another order, so Alchemy runs the handlers and says "Updated": the preview says so too.)
  const respelled = await run(process.execPath, [js("src/cli/index.ts"), "preview", js(fixture), "--stage", "prod", "--format", "json"], {
    IMPORTED_MODULE: path.join(generatedJs, "legacy-jobs-cfn.js"),
  });
  expect(respelled.code, `${respelled.stdout}${respelled.stderr}`).toBe(0);
  const respelledPlan = JSON.parse(respelled.stdout) as Plan;
  expect(respelledPlan.summary).toMatchObject({ create: 0, replace: 0, delete: 0 });
  expect(respelledPlan.resources.flatMap((e) => e.operations)).toEqual([]);
  expect(mutating()).toEqual([]);

  // 7. Destroy deletes them (the stack no longer lists them) and leaves the stack's own group alone.
  const destroyed = await run(process.execPath, [js(fixture), "--stage", "prod", "--destroy"], program);
  expect(destroyed.code, `${destroyed.stdout}${destroyed.stderr}`).toBe(0);
  expect((await iot.send(new ListJobTemplatesCommand({}))).jobTemplates, `${destroyed.stdout}${destroyed.stderr}`).toEqual([]);
  expect((await iot.send(new ListJobsCommand({}))).jobs).toEqual([]);
}, 180_000);

test("import-stack names a missing stack clearly", async () => {
  const r = await run(process.execPath, [js("src/cli/index.ts"), "import-stack", "no-such-stack"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('CloudFormation stack "no-such-stack" does not exist');
});
