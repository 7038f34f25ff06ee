/**
 * Migrating a CloudFormation stack, end to end with the real CLI, deploy
 * script and preview in child processes, against a local endpoint reached
 * like AWS (AWS_ENDPOINT_URL serves both IoT and CloudFormation):
 *
 *   stack with three templates and a job -> import-stack -> a deploy is refused
 *   while the stack manages them -> Retain + remove from the stack -> preview
 *   shows nothing to change -> deploy makes zero mutating calls -> the
 *   resources are ordinary resources of the app (change, destroy);
 *
 *   and a stack's software packages: a package, a version published outside
 *   the stack (CloudFormation cannot publish), a draft and a template
 *   installing the published one -> import-stack in both styles -> each
 *   generated module deploys with zero mutating calls -> destroy.
 */
import path from "node:path";
import fs from "node:fs";
import {
  ListJobTemplatesCommand,
  ListJobsCommand,
  ListPackagesCommand,
  UpdatePackageCommand,
  UpdatePackageVersionCommand,
} from "@aws-sdk/client-iot";
import { expect, test } from "vitest";
import type { Plan } from "../../src/preview/plan.ts";
import { migration } from "./migrate.ts";

const m = migration({ deletionDelayMs: 20, cloudFormationPageSize: 2 });
const { cli, deploy, preview, mutating } = m;

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
  await m.local.createStack({ stackName: "legacy-jobs", template: STACK, tags: { cost: "fleet" } });

  // 1. Import (read calls only). ConfigTemplate has no DeletionPolicy: the command warns.
  m.local.resetStats();
  const out = path.join(m.generated, "legacy-jobs.ts");
  const imported = await cli("import-stack", "legacy-jobs", "--out", out);
  expect(imported.code, imported.stderr).toBe(0);
  expect(mutating()).toEqual([]);
  expect(m.local.stats().byOperation.ListStackResources.count).toBe(3); // 5 resources, pages of 2
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
  const cfnOut = path.join(m.generated, "legacy-jobs-cfn.ts");
  const importedCfn = await cli("import-stack", "legacy-jobs", "--out", cfnOut, "--style", "cloudformation");
  expect(importedCfn.code, importedCfn.stderr).toBe(0);
  const cfnCode = fs.readFileSync(cfnOut, "utf8");
  expect(cfnCode).toContain('from "alchemy-iot-jobs/cloudformation"');
  expect(cfnCode).toContain("RetryCriteriaList: [");
  expect(cfnCode).toContain("JobTemplateArn: firmwareTemplate.Arn,");
  // Both typecheck against the package's types, and are compiled for the programs below.
  const typecheck = await m.typecheck();
  expect(typecheck.code, typecheck.stdout).toBe(0);
  const program = m.compile(out);
  const cfnProgram = m.compile(cfnOut);
  // Overwriting needs --force.
  const again = await cli("import-stack", "legacy-jobs", "--out", out);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain("exists; pass --force to overwrite it");

  // 2. While the stack manages them, a deploy refuses (and changes nothing).
  m.local.resetStats();
  const refused = await deploy(program, "--stage", "prod");
  expect(refused.code).toBe(1);
  expect(`${refused.stdout}${refused.stderr}`).toContain('is managed by CloudFormation stack "legacy-jobs"');
  expect(mutating(), `${refused.stdout}${refused.stderr}`).toEqual([]);
  // So does a preview: the same read, the same message, exit code 1.
  const refusedPreview = await preview(program, "--stage", "prod");
  expect(refusedPreview.code).toBe(1);
  expect(refusedPreview.stdout).toContain('is managed by CloudFormation stack "legacy-jobs"');
  expect(mutating()).toEqual([]);

  // 3. The migration: Retain on ConfigTemplate, then remove the four from the stack.
  await m.local.updateStack({
    stackName: "legacy-jobs",
    template: STACK.replace(
      "    Type: AWS::IoT::JobTemplate\n    Properties:\n      JobTemplateId: legacy-config",
      "    Type: AWS::IoT::JobTemplate\n    DeletionPolicy: Retain\n    Properties:\n      JobTemplateId: legacy-config",
    ),
  });
  const released = await m.local.updateStack({ stackName: "legacy-jobs", template: STACK.slice(0, STACK.indexOf("  FirmwareTemplate:")) });
  expect(released.retained?.sort()).toEqual(["ConfigTemplate", "FirmwareTemplate", "RebootTemplate", "Rollout"]);

  // 4. A preview right after shows nothing to change: four resources adopted unchanged.
  m.local.resetStats();
  const planned = await preview(program, "--stage", "prod", "--format", "json", "--detailed-exitcode");
  expect(planned.code, planned.stderr).toBe(0);
  const plan = JSON.parse(planned.stdout) as Plan;
  expect(plan.summary).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0 });
  expect(
    plan.resources
      .filter((e) => e.adopt)
      .map((e) => `${e.name} ${e.actions.join("/")}`)
      .sort(),
  ).toEqual(["ConfigTemplate no-op", "FirmwareTemplate no-op", "RebootTemplate no-op", "Rollout no-op"]);
  expect(mutating()).toEqual([]);
  const text = await preview(program, "--stage", "prod");
  expect(text.stdout).toContain("No changes.");
  expect(text.stdout).toContain("4 existing resources are adopted unchanged");

  // 5. The deploy takes them over with zero mutating calls.
  m.local.resetStats();
  const deployed = await deploy(program, "--stage", "prod");
  expect(deployed.code, `${deployed.stdout}${deployed.stderr}`).toBe(0);
  expect(mutating()).toEqual([]);
  // Each stack resource is read twice: by the deploy's whole-program check, and by the deploy before it adopts it.
  expect(m.local.stats().byOperation.DescribeStackResource.count).toBe(8);

  // 6. From now on they are the app's: nothing to change, and a no-op deploy makes no call at all.
  const after = await preview(program, "--stage", "prod", "--format", "json", "--detailed-exitcode");
  expect(after.code, after.stderr).toBe(0);
  expect((JSON.parse(after.stdout) as Plan).resources.filter((e) => e.adopt)).toEqual([]);
  m.local.resetStats();
  expect((await deploy(program, "--stage", "prod")).code).toBe(0);
  expect(m.local.stats().requests).toBe(0);
  // The CloudFormation spelling of the same declarations is the same resources: no API call. (Its props list
  // some members in another order, so Alchemy runs the handlers and says "Updated": the preview says so too.)
  const respelled = await preview(cfnProgram, "--stage", "prod", "--format", "json");
  expect(respelled.code, `${respelled.stdout}${respelled.stderr}`).toBe(0);
  const respelledPlan = JSON.parse(respelled.stdout) as Plan;
  expect(respelledPlan.summary).toMatchObject({ create: 0, replace: 0, delete: 0 });
  expect(respelledPlan.resources.flatMap((e) => e.operations)).toEqual([]);
  expect(mutating()).toEqual([]);

  // 7. Destroy deletes them (the stack no longer lists them) and leaves the stack's own group alone.
  const destroyed = await deploy(program, "--stage", "prod", "--destroy");
  expect(destroyed.code, `${destroyed.stdout}${destroyed.stderr}`).toBe(0);
  expect((await m.iot.send(new ListJobTemplatesCommand({}))).jobTemplates, `${destroyed.stdout}${destroyed.stderr}`).toEqual([]);
  expect((await m.iot.send(new ListJobsCommand({}))).jobs).toEqual([]);
}, 180_000);

test("import-stack names a missing stack clearly", async () => {
  const r = await cli("import-stack", "no-such-stack");
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('CloudFormation stack "no-such-stack" does not exist');
});

const PACKAGES = `
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Devices:
    Type: AWS::IoT::ThingGroup
    Properties:
      ThingGroupName: legacy-devices
  Firmware:
    Type: AWS::IoT::SoftwarePackage
    DeletionPolicy: Retain
    Properties:
      PackageName: legacy-firmware
      Description: TH-200 firmware
      Tags:
        - Key: team
          Value: firmware
  FirmwareV1:
    Type: AWS::IoT::SoftwarePackageVersion
    DeletionPolicy: Retain
    Properties:
      PackageName: !Ref Firmware
      VersionName: 1.0.0
      Description: First release
      Attributes:
        min-hw: "2"
      Artifact:
        S3Location:
          Bucket: firmware-builds
          Key: th200/1.0.0.bin
      Recipe: '{"operation":"install"}'
  FirmwareBeta:
    Type: AWS::IoT::SoftwarePackageVersion
    Properties:
      PackageName: !Ref Firmware
      VersionName: 2.0.0-beta
`;
const INSTALL_TEMPLATE = `
  InstallTemplate:
    Type: AWS::IoT::JobTemplate
    DeletionPolicy: Retain
    Properties:
      JobTemplateId: legacy-install
      Description: Install firmware 1.0.0
      Document: '{"operation":"install","minHw":"\${aws:iot:package:legacy-firmware:version:1.0.0:attributes:min-hw}"}'
      DestinationPackageVersions:
        - !GetAtt FirmwareV1.PackageVersionArn
`;

test("import-stack takes over software packages, their versions and a template installing one, with zero changes", async () => {
  await m.local.createStack({ stackName: "legacy-firmware", template: PACKAGES });
  // CloudFormation leaves versions DRAFT: the team published 1.0.0 and made it the default outside the stack.
  await m.iot.send(new UpdatePackageVersionCommand({ packageName: "legacy-firmware", versionName: "1.0.0", action: "PUBLISH" }));
  await m.iot.send(new UpdatePackageCommand({ packageName: "legacy-firmware", defaultVersionName: "1.0.0" }));
  await m.local.updateStack({ stackName: "legacy-firmware", template: PACKAGES + INSTALL_TEMPLATE });

  // 1. Import (read calls only), in both styles.
  m.local.resetStats();
  const out = path.join(m.generated, "legacy-firmware.ts");
  const imported = await cli("import-stack", "legacy-firmware", "--out", out);
  expect(imported.code, imported.stderr).toBe(0);
  expect(mutating()).toEqual([]);
  expect(imported.stderr).toContain(
    "Imported 1 software package(s), 2 package version(s), 1 job template(s) and 0 job(s) from stack legacy-firmware",
  );
  expect(imported.stderr).toMatch(
    /warning: FirmwareBeta \(AWS::IoT::SoftwarePackageVersion legacy-firmware\|2\.0\.0-beta\) has DeletionPolicy Delete \(the default\)/,
  );
  const code = fs.readFileSync(out, "utf8");
  expect(code).toContain('import { JobTemplate, SoftwarePackage, SoftwarePackageVersion } from "alchemy-iot-jobs";');
  // Packages, then versions, then templates; references by variable; the live status and default version.
  const order = [
    "const firmware = await SoftwarePackage(",
    "const firmwareBeta = await",
    "const firmwareV1 = await",
    "const installTemplate",
  ];
  const at = order.map((s) => code.indexOf(s));
  expect(at.every((p) => p > 0) && at.every((p, i) => i === 0 || p > at[i - 1]), code).toBe(true);
  expect(code).toContain('defaultVersion: "1.0.0",');
  expect(code.match(/^ {4}package: firmware,$/gm)).toHaveLength(2);
  expect(code).toContain('status: "PUBLISHED",');
  expect(code).toContain('status: "DRAFT",');
  expect(code).toContain("destinationPackageVersions: [firmwareV1],");
  expect(code.match(/^ {4}adopt: true,$/gm)).toHaveLength(4);
  const cfnOut = path.join(m.generated, "legacy-firmware-cfn.ts");
  const importedCfn = await cli("import-stack", "legacy-firmware", "--out", cfnOut, "--style", "cloudformation");
  expect(importedCfn.code, importedCfn.stderr).toBe(0);
  const cfnCode = fs.readFileSync(cfnOut, "utf8");
  expect(cfnCode).toContain('import { JobTemplate, SoftwarePackage, SoftwarePackageVersion } from "alchemy-iot-jobs/cloudformation";');
  expect(cfnCode).toContain('DefaultVersion: "1.0.0",');
  expect(cfnCode.match(/^ {4}PackageName: firmware,$/gm)).toHaveLength(2);
  expect(cfnCode).toContain('Status: "PUBLISHED",');
  expect(cfnCode).toContain('Status: "DRAFT",');
  expect(cfnCode).toContain("S3Location: {");
  expect(cfnCode).toContain("DestinationPackageVersions: [firmwareV1],");
  const typecheck = await m.typecheck();
  expect(typecheck.code, typecheck.stdout).toBe(0);
  const program = m.compile(out);
  const cfnProgram = m.compile(cfnOut);

  // 2. While the stack manages them, a deploy refuses and changes nothing.
  m.local.resetStats();
  const refused = await deploy(program, "--stage", "prod");
  expect(refused.code).toBe(1);
  expect(`${refused.stdout}${refused.stderr}`).toContain('is managed by CloudFormation stack "legacy-firmware"');
  expect(mutating()).toEqual([]);

  // 3. The stack lets go of them: Retain on FirmwareBeta, then remove the four from the stack.
  const retained = (PACKAGES + INSTALL_TEMPLATE).replace(
    "  FirmwareBeta:\n    Type: AWS::IoT::SoftwarePackageVersion\n",
    "  FirmwareBeta:\n    Type: AWS::IoT::SoftwarePackageVersion\n    DeletionPolicy: Retain\n",
  );
  await m.local.updateStack({ stackName: "legacy-firmware", template: retained });
  const released = await m.local.updateStack({
    stackName: "legacy-firmware",
    template: PACKAGES.slice(0, PACKAGES.indexOf("  Firmware:")),
  });
  expect(released.retained?.sort()).toEqual(["Firmware", "FirmwareBeta", "FirmwareV1", "InstallTemplate"]);

  // 4. Each generated module previews nothing to change and deploys with zero mutating calls (a stage per style).
  for (const [stage, module] of [
    ["prod", program],
    ["cfn", cfnProgram],
  ]) {
    m.local.resetStats();
    const planned = await preview(module, "--stage", stage, "--format", "json", "--detailed-exitcode");
    expect(planned.code, `${stage}: ${planned.stdout}${planned.stderr}`).toBe(0);
    const plan = JSON.parse(planned.stdout) as Plan;
    expect(plan.summary).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0 });
    expect(plan.resources.flatMap((e) => e.operations)).toEqual([]);
    const deployed = await deploy(module, "--stage", stage);
    expect(deployed.code, `${stage}: ${deployed.stdout}${deployed.stderr}`).toBe(0);
    expect(mutating(), `${stage}: ${deployed.stdout}${deployed.stderr}`).toEqual([]);
  }

  // 5. They are the app's: a no-op deploy makes no call; destroy deletes them (the default version unset first).
  m.local.resetStats();
  expect((await deploy(program, "--stage", "prod")).code).toBe(0);
  expect(m.local.stats().requests).toBe(0);
  const destroyed = await deploy(program, "--stage", "prod", "--destroy");
  expect(destroyed.code, `${destroyed.stdout}${destroyed.stderr}`).toBe(0);
  expect((await m.iot.send(new ListJobTemplatesCommand({}))).jobTemplates).toEqual([]);
  expect((await m.iot.send(new ListPackagesCommand({}))).packageSummaries).toEqual([]);
}, 180_000);
