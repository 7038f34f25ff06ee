/**
 * Example stack: an AWS managed template lookup, two job templates, a thing
 * group with a thing, and a job created from the managed template.
 *
 *   npm run deploy        deploy to the embedded local IoT Jobs endpoint (no AWS account needed)
 *   npm run destroy       remove everything it deployed
 *   npm run preview       show what a deploy would change
 *   npm run deploy:aws    deploy to AWS with your usual credentials (AWS_PROFILE, AWS_REGION, ...)
 */
import alchemy from "alchemy";
import { AtomicFileSystemStateStore, Job, JobTemplate, ManagedJobTemplate, Thing, ThingGroup } from "alchemy-iot-jobs";

const app = await alchemy("iot-jobs-example", {
  // Alchemy's file state store, with crash-safe writes (a killed deploy never leaves a half-written file).
  // For a team or CI, use a shared store such as Alchemy's S3StateStore.
  stateStore: (scope) => new AtomicFileSystemStateStore(scope),
});

// An AWS managed template: a lookup, nothing to create or destroy.
const download = await ManagedJobTemplate({ templateName: "AWS-Download-File" });

// Devices to run jobs on.
const fleet = await ThingGroup("fleet", {
  description: "Devices of the example",
  attributes: { site: "lab" },
});
const device = await Thing("device-1", {
  attributes: { model: "m1" },
  thingGroups: [fleet],
});

// A template from a document.
const firmware = await JobTemplate("firmware-update", {
  description: "Roll out firmware 1.2.3",
  document: { operation: "updateFirmware", version: "1.2.3" },
  timeoutConfig: { inProgressTimeoutInMinutes: 60 },
  abortConfig: {
    criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 10, minNumberOfExecutedThings: 5 }],
  },
  tags: { team: "fleet" },
});

// A job from the managed template; its documentParameters are checked before any call.
const fetchConfig = await Job("fetch-config", {
  targets: [fleet],
  jobTemplate: download,
  documentParameters: { downloadUrl: "https://example.com/config.json", filePath: "/etc/app/config.json" },
  targetSelection: "CONTINUOUS",
  description: "Fetch the app configuration",
  deletion: { force: true },
});

// A template that copies the job (so others can start the same job later).
const fetchConfigTemplate = await JobTemplate("fetch-config-template", {
  description: "Fetch the app configuration (copied from the fetch-config job)",
  jobArn: fetchConfig,
});

console.log(
  JSON.stringify(
    {
      managedTemplate: download.templateArn,
      thingGroup: fleet.thingGroupArn,
      thing: device.thingArn,
      firmwareTemplate: firmware.jobTemplateArn,
      job: { jobArn: fetchConfig.jobArn, jobId: fetchConfig.jobId, status: fetchConfig.status },
      copiedTemplate: fetchConfigTemplate.jobTemplateArn,
    },
    null,
    2,
  ),
);

await app.finalize();
