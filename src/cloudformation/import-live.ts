/**
 * What `import-stack` reads of each imported resource: its live
 * configuration as the main API's props, so that adopting the declaration
 * changes nothing. Read calls only: DescribeJobTemplate, DescribeJob,
 * GetJobDocument, GetPackage, GetPackageVersion, ListTagsForResource.
 */
import type { IoTClient, S3Location } from "@aws-sdk/client-iot";
import {
  DescribeJobCommand,
  DescribeJobTemplateCommand,
  GetJobDocumentCommand,
  GetPackageCommand,
  GetPackageVersionCommand,
} from "../provider/iot-sdk.ts";
import { parseDocument } from "../provider/engine/change.ts";
import { liveJobSpec } from "../provider/kinds/job/spec.ts";
import { liveTemplateSpec } from "../provider/kinds/job-template/contract.ts";
import { readTags, userTags } from "../provider/tags.ts";
import type { ImportedType } from "./import-code.ts";

/** A job document as written in the program: a JSON value when it is JSON, the text otherwise. */
const documentValue = (text: unknown) => (typeof text === "string" ? parseDocument(text) : text);

/** The user's tags of a resource (without AWS's `aws:*` tags), as a `tags` prop when there are any. */
async function tagsProp(client: IoTClient, arn: string): Promise<{ tags?: Record<string, string> }> {
  const tags = userTags(await readTags(client, arn));
  return Object.keys(tags).length > 0 ? { tags } : {};
}

async function templateProps(client: IoTClient, jobTemplateId: string): Promise<Record<string, unknown>> {
  const live = await client.send(new DescribeJobTemplateCommand({ jobTemplateId }));
  const { jobTemplateId: id, ...spec } = liveTemplateSpec(live);
  return {
    jobTemplateId: id,
    ...spec,
    ...(spec.document !== undefined ? { document: documentValue(spec.document) } : {}),
    ...(await tagsProp(client, live.jobTemplateArn!)),
  };
}

async function jobProps(client: IoTClient, jobId: string): Promise<Record<string, unknown>> {
  const live = await client.send(new DescribeJobCommand({ jobId }));
  const document = live.documentSource
    ? undefined
    : (await client.send(new GetJobDocumentCommand({ jobId, beforeSubstitution: true }))).document;
  const { jobId: id, ...spec } = liveJobSpec(live, document);
  if (spec.jobTemplateArn !== undefined) {
    // The document came from the template: CreateJob takes one source only.
    delete spec.document;
    delete spec.documentSource;
  }
  return {
    jobId: id,
    ...spec,
    ...(spec.document !== undefined ? { document: documentValue(spec.document) } : {}),
    ...(await tagsProp(client, live.job!.jobArn!)),
  };
}

async function packageProps(client: IoTClient, packageName: string): Promise<Record<string, unknown>> {
  const live = await client.send(new GetPackageCommand({ packageName }));
  return {
    packageName: live.packageName ?? packageName,
    ...(live.description ? { description: live.description } : {}),
    // Declared, or adopting it would unset it.
    ...(live.defaultVersionName ? { defaultVersion: live.defaultVersionName } : {}),
    ...(await tagsProp(client, live.packageArn!)),
  };
}

/** An S3 location as the props give it. */
const s3 = (l: S3Location) => ({ s3Location: { bucket: l.bucket ?? "", key: l.key ?? "", ...(l.version ? { version: l.version } : {}) } });

/**
 * The package and version a version's physical id names: CloudFormation's
 * `PackageName|VersionName` (its two-property identifier), or its ARN.
 */
export function versionOf(physicalId: string): { packageName: string; versionName: string } {
  const arn = /:package\/([^/]+)\/version\/([^/]+)$/.exec(physicalId);
  if (arn) return { packageName: arn[1], versionName: arn[2] };
  const bar = physicalId.indexOf("|");
  if (bar < 0) throw new Error(`"${physicalId}" is not a package version's identifier (PackageName|VersionName)`);
  return { packageName: physicalId.slice(0, bar), versionName: physicalId.slice(bar + 1) };
}

async function versionProps(client: IoTClient, physicalId: string): Promise<Record<string, unknown>> {
  const { packageName, versionName } = versionOf(physicalId);
  const live = await client.send(new GetPackageVersionCommand({ packageName, versionName }));
  const attributes = live.attributes ?? {};
  return {
    package: packageName,
    versionName,
    ...(live.description ? { description: live.description } : {}),
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
    ...(live.artifact?.s3Location ? { artifact: s3(live.artifact.s3Location) } : {}),
    ...(live.recipe ? { recipe: live.recipe } : {}),
    ...(live.sbom?.s3Location ? { sbom: s3(live.sbom.s3Location) } : {}),
    ...(await tagsProp(client, live.packageVersionArn!)),
    // Declared as it is: the default status (PUBLISHED in the main API, DRAFT in CloudFormation's) would change it.
    status: live.status,
  };
}

/** The live configuration of a resource of an imported type, as the main API's props (without `adopt`). */
export function liveProps(client: IoTClient, type: ImportedType, physicalId: string): Promise<Record<string, unknown>> {
  switch (type) {
    case "AWS::IoT::SoftwarePackage":
      return packageProps(client, physicalId);
    case "AWS::IoT::SoftwarePackageVersion":
      return versionProps(client, physicalId);
    case "AWS::IoT::JobTemplate":
      return templateProps(client, physicalId);
    case "AWS::IoT::Job":
      return jobProps(client, physicalId);
  }
}
