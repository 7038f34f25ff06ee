import {
  ConflictException,
  CreateJobTemplateCommand,
  DeleteJobTemplateCommand,
  DescribeJobTemplateCommand,
  ResourceNotFoundException,
  type DescribeJobTemplateCommandOutput,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { Resource, type Context, type Scope } from "alchemy";
import { isDeepStrictEqual } from "node:util";
import { decideJobTemplate, parseDocument, type Change, type TemplateState } from "./changes.ts";
import { checkStack, stackRefOf, type GuardedOperation, type StackCheckContext, type StackResourceRef } from "./stack-guard.ts";
import { assertLocalDataPresent, localInstanceOf, resolveIoT, type IoTClientProps, type IoTTarget } from "./client.ts";
import {
  AlreadyExistsError,
  exitNonZeroOnFailure,
  ifFound,
  ownershipOf,
  physicalId,
  resolveDeployed,
  validatedResource,
  withoutTarget,
} from "./common.ts";
import {
  applyTagChanges,
  isOwnedBy,
  ownershipTags,
  readTags,
  tagChanges,
  toTagList,
  userTags,
  withoutAwsTags,
  type Ownership,
} from "./tags.ts";
import type {
  AbortConfig,
  JobDocument,
  MaintenanceWindow,
  PresignedUrlConfig,
  RetryConfig,
  RolloutConfig,
  TimeoutConfig,
} from "./types.ts";
import { checkProps, jobTemplatePropsSchema, revealForChecks } from "./validate.ts";

/**
 * Properties of an AWS IoT job template: the members of CreateJobTemplate,
 * plus where to create it.
 */
export interface JobTemplateProps extends IoTClientProps {
  /**
   * The template's id (1–64 letters, digits, `_`, `-`). Changing it creates a
   * new template before the old one is deleted.
   * @default `${app}-${stage}-${id}`, sanitised and shortened to 64 characters
   */
  jobTemplateId?: string;

  /** What the template is for (up to 2028 characters, no control characters). */
  description: string;

  /**
   * The job document: JSON text, or a JSON value (serialised for you), at most
   * 32 KB. Wrap it in `alchemy.secret(...)` to keep it encrypted in state and
   * masked in logs and previews. Exactly one of `document`, `documentSource`
   * and `jobArn` is required.
   */
  document?: JobDocument;

  /**
   * URL of an S3 object holding the job document (`https://<bucket>.s3.<region>.amazonaws.com/<key>`),
   * read by IoT when a job is created from the template.
   */
  documentSource?: string;

  /**
   * Create the template as a copy of an existing job: a `Job` resource or a
   * job ARN. The template copies the job's document and configuration.
   */
  jobArn?: string | { jobArn: string };

  /** Role and expiry for presigned S3 URLs (`${aws:iot:s3-presigned-url:...}` placeholders in the document). */
  presignedUrlConfig?: PresignedUrlConfig;

  /** Rollout rate of jobs created from the template. */
  jobExecutionsRolloutConfig?: RolloutConfig;

  /** When jobs created from the template are cancelled automatically. */
  abortConfig?: AbortConfig;

  /** How long a device may stay IN_PROGRESS before its execution times out (1–10080 minutes). */
  timeoutConfig?: TimeoutConfig;

  /** Retries per device after FAILED or TIMED_OUT executions (at most 10 in total). */
  jobExecutionsRetryConfig?: RetryConfig;

  /** Recurring windows in which jobs from the template roll out (continuous jobs only). */
  maintenanceWindows?: MaintenanceWindow[];

  /** ARNs of software package versions the jobs install (at most 25). */
  destinationPackageVersions?: string[];

  /**
   * Tags. Changing them updates the template in place (TagResource /
   * UntagResource). The provider adds `alchemy_app`, `alchemy_stage` and
   * `alchemy_resource` to recognise its own templates.
   */
  tags?: Record<string, string>;

  /**
   * Take over an existing template with the same id (one this resource did
   * not create, e.g. made by hand or by a CloudFormation stack). The template
   * is read first: when its configuration and tags match the props, adopting
   * it makes no change at all; differing tags are updated in place, and a
   * differing configuration replaces it. Ownership tags are not added to an
   * adopted template.
   * @default the `--adopt` flag of the deploy
   */
  adopt?: boolean;

  /**
   * Act on the template even though a CloudFormation stack still manages it.
   * Without it, adopting, updating, replacing or deleting a template that
   * carries `aws:cloudformation:*` tags first asks CloudFormation whether the
   * stack still lists it, and refuses if it does (see
   * docs/migrating-from-cloudformation.md).
   * @default false
   */
  overrideCloudFormationStack?: boolean;
}

/** A deployed job template. */
export interface JobTemplate extends JobTemplateProps {
  /** The template's id. */
  jobTemplateId: string;
  /** The template's ARN. */
  jobTemplateArn: string;
  /** When IoT created the template (unchanged by in-place tag updates). */
  createdAt: Date;
  /** The region the template lives in. */
  region: string;
  /** Where the template lives: "aws", "local", or an endpoint URL. */
  target: string;
  /** For a template on the embedded local endpoint: that endpoint's instance id. */
  localInstance?: string;
  /**
   * The CloudFormation stack resource the template was adopted from (its
   * `aws:cloudformation:*` tags). Every later change or deletion first checks
   * that the stack no longer manages it.
   */
  cloudFormation?: StackResourceRef;
}

/** The members of CreateJobTemplate that define a template (tags aside). */
const SPEC_MEMBERS = [
  "description",
  "document",
  "documentSource",
  "jobArn",
  "presignedUrlConfig",
  "jobExecutionsRolloutConfig",
  "abortConfig",
  "timeoutConfig",
  "jobExecutionsRetryConfig",
  "maintenanceWindows",
  "destinationPackageVersions",
] as const;

/** Serialises a document prop the way it is sent to IoT. */
export function documentText(document: unknown): string | undefined {
  if (document === undefined) return undefined;
  return typeof document === "string" ? document : JSON.stringify(document);
}

/** A template's CreateJobTemplate input (tags aside), from secret-revealed props. */
export function templateSpec(view: Record<string, any>, jobTemplateId: string): TemplateState["spec"] {
  const spec: TemplateState["spec"] = { jobTemplateId };
  for (const m of SPEC_MEMBERS) {
    let v = view[m];
    if (m === "document") v = documentText(v);
    if (m === "jobArn" && v && typeof v === "object") v = v.jobArn;
    if (v !== undefined) spec[m] = structuredClone(v);
  }
  return spec;
}

export interface TemplatePlanContext {
  id: string;
  fqn: string;
  scope: Scope;
}

/** The desired state of a template from its props (validated first: throws ValidationError). */
export function desiredTemplate(
  ctx: TemplatePlanContext,
  props: JobTemplateProps,
  target: { key: string; region: string },
): { state: TemplateState; ownership: Ownership; sensitive: Set<string> } {
  const checked = checkProps(`JobTemplate "${ctx.id}"`, jobTemplatePropsSchema, props);
  const view = checked.view as Record<string, any>;
  const ownership = ownershipOf(ctx);
  const jobTemplateId: string = view.jobTemplateId ?? physicalId(ownership);
  return {
    state: {
      target: target.key,
      region: target.region,
      spec: templateSpec(view, jobTemplateId),
      tags: { ...(view.tags ?? {}) },
    },
    ownership,
    sensitive: checked.sensitive,
  };
}

/** The deployed state of a template, from its output. */
export function deployedTemplate(output: JobTemplate): TemplateState {
  const { view } = revealForChecks(output);
  return {
    target: output.target,
    region: output.region,
    spec: templateSpec(view as Record<string, any>, output.jobTemplateId),
    tags: { ...(output.tags ?? {}) },
  };
}

/** The live spec of a template, in the same shape as `templateSpec`. */
export function liveTemplateSpec(live: DescribeJobTemplateCommandOutput): TemplateState["spec"] {
  const spec: TemplateState["spec"] = { jobTemplateId: live.jobTemplateId! };
  for (const m of SPEC_MEMBERS) {
    const v = (live as unknown as Record<string, unknown>)[m];
    if (v !== undefined && v !== null && !(typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0)) {
      spec[m] = v;
    }
  }
  return spec;
}

/**
 * Does a live template match the desired spec? A template made from a job
 * (`jobArn`) carries the job's copied members, which are not compared.
 */
export function templateMatches(live: TemplateState["spec"], desired: TemplateState["spec"]): boolean {
  for (const m of SPEC_MEMBERS) {
    if (m === "jobArn") continue;
    const want = desired[m];
    const have = live[m];
    if (want === undefined && desired.jobArn !== undefined) continue;
    const same =
      m === "document" ? isDeepStrictEqual(parseDocument(have as string), parseDocument(want as string)) : isDeepStrictEqual(have, want);
    if (!same) return false;
  }
  return true;
}

const describeTemplate = (client: IoTClient, jobTemplateId: string) =>
  ifFound(client.send(new DescribeJobTemplateCommand({ jobTemplateId })));

/** DeleteJobTemplate; a template that is already gone counts as deleted. */
export async function deleteJobTemplate(client: IoTClient, jobTemplateId: string): Promise<void> {
  await ifFound(client.send(new DeleteJobTemplateCommand({ jobTemplateId })));
}

interface CreateContext {
  client: IoTClient;
  target: IoTTarget;
  ownership: Ownership;
  adopt: boolean;
  override: boolean;
  label: string;
  log: (message: string) => void;
}

interface Created {
  arn: string;
  createdAt: Date;
  /** Set when an adopted template came from a CloudFormation stack. */
  stack?: StackResourceRef;
}

/** A template that exists already, read for adoption. */
export interface ExistingTemplate {
  /**
   * Its state in the shape of a deployed one, at the desired target. Its
   * spec is the desired spec when the live configuration matches it (so the
   * change decision sees no difference), the live spec otherwise.
   */
  state: TemplateState;
  arn: string;
  createdAt: Date;
  /** The CloudFormation stack resource named by its tags, if any. */
  stack?: StackResourceRef;
}

/**
 * Reads the template with the desired id (DescribeJobTemplate and
 * ListTagsForResource: read calls only). Undefined when there is none.
 */
export async function findExistingTemplate(client: IoTClient, desired: TemplateState): Promise<ExistingTemplate | undefined> {
  const live = await describeTemplate(client, desired.spec.jobTemplateId);
  return live && existingTemplate(live, await readTags(client, live.jobTemplateArn!), desired);
}

/** A template already read (DescribeJobTemplate and its tags), as an ExistingTemplate. */
function existingTemplate(live: DescribeJobTemplateCommandOutput, tags: Record<string, string>, desired: TemplateState): ExistingTemplate {
  const liveSpec = liveTemplateSpec(live);
  return {
    state: {
      target: desired.target,
      region: desired.region,
      spec: templateMatches(liveSpec, desired.spec) ? desired.spec : liveSpec,
      tags: userTags(tags),
    },
    arn: live.jobTemplateArn!,
    createdAt: live.createdAt!,
    stack: stackRefOf(tags),
  };
}

/** What adopting an existing template does (used by the handler and by the preview). */
export function planTemplateAdoption(existing: ExistingTemplate, desired: TemplateState): Change {
  const change = decideJobTemplate(existing.state, desired);
  const from = existing.stack ? `, created by CloudFormation stack ${existing.stack.stackName} as ${existing.stack.logicalId}` : "";
  const outcome =
    change.action === "none"
      ? "it matches the props, so nothing changes"
      : change.action === "update"
        ? "its tags are updated in place"
        : "its configuration differs, so it is replaced";
  change.notes.unshift(`adopts the existing job template ${desired.spec.jobTemplateId}${from}: ${outcome}`);
  return change;
}

/** Checks that no CloudFormation stack still manages a template before changing it. */
export const checkTemplateStack = (
  c: StackCheckContext,
  stack: StackResourceRef | undefined,
  id: string,
  arn: string | undefined,
  operation: GuardedOperation,
) => checkStack(c, stack, `job template "${id}"`, id, arn, operation);

/**
 * Takes over an existing template: no call when it matches, tag calls when
 * only tags differ, delete and create when its configuration differs. A
 * template a CloudFormation stack still manages is refused first.
 */
async function adoptTemplate(c: CreateContext, desired: TemplateState, existing: ExistingTemplate): Promise<Created> {
  const change = planTemplateAdoption(existing, desired);
  await checkTemplateStack(c, existing.stack, desired.spec.jobTemplateId, existing.arn, "adopt");
  if (change.action === "replace") {
    c.log(`${c.label}: ${change.notes[0]}`);
    await deleteJobTemplate(c.client, desired.spec.jobTemplateId);
    return createTemplate({ ...c, adopt: false }, desired);
  }
  if (change.action === "update") {
    await applyTagChanges(c.client, existing.arn, tagChanges(existing.state.tags, desired.tags));
  }
  return { arn: existing.arn, createdAt: existing.createdAt, ...(existing.stack ? { stack: existing.stack } : {}) };
}

/**
 * Creates the template. If the id is taken: a template this resource created
 * earlier (e.g. the process died before state was written) is taken over when
 * it matches and replaced when it does not; a foreign template is adopted
 * only with `adopt`.
 */
async function createTemplate(c: CreateContext, desired: TemplateState): Promise<Created> {
  const { client, ownership } = c;
  const id = desired.spec.jobTemplateId;
  const tags = { ...desired.tags, ...ownershipTags(ownership) };
  const create = () =>
    client.send(new CreateJobTemplateCommand({ ...(desired.spec as any), tags: toTagList(tags) }));
  try {
    await create();
  } catch (error) {
    if (!(error instanceof ConflictException)) throw error;
    const live = await describeTemplate(client, id);
    if (!live) {
      // Deleted between the two calls: try once more.
      await create();
    } else {
      const liveTags = await readTags(client, live.jobTemplateArn!);
      if (!isOwnedBy(liveTags, ownership)) {
        // Created since adoption read it (or adopted without a read first): adopt what was just read.
        if (c.adopt) return adoptTemplate(c, desired, existingTemplate(live, liveTags, desired));
        const stack = stackRefOf(liveTags);
        throw new AlreadyExistsError(
          `${c.label}: job template "${id}" already exists in ${c.target.description} and was not created by this resource ` +
            `(its alchemy_resource tag is ${liveTags.alchemy_resource ? `"${liveTags.alchemy_resource}"` : "absent"}` +
            `${stack ? `; CloudFormation stack "${stack.stackName}" created it as ${stack.logicalId}` : ""}). ` +
            `Set adopt: true on the resource (or deploy with --adopt) to take it over, or choose another jobTemplateId.`,
        );
      }
      if (templateMatches(liveTemplateSpec(live), desired.spec)) {
        // Ours, left behind by an interrupted deploy: its tags become the desired ones.
        await applyTagChanges(client, live.jobTemplateArn!, tagChanges(withoutAwsTags(liveTags), tags));
        return { arn: live.jobTemplateArn!, createdAt: live.createdAt! };
      }
      // Same id, different configuration: templates are immutable, so replace it.
      await deleteJobTemplate(client, id);
      await create();
    }
  }
  const created = await client.send(new DescribeJobTemplateCommand({ jobTemplateId: id }));
  return { arn: created.jobTemplateArn!, createdAt: created.createdAt! };
}

/** The output Alchemy stores: the props, plus what IoT assigned. */
function output(props: JobTemplateProps, desired: TemplateState, created: Created, target: IoTTarget): JobTemplate {
  return {
    ...props,
    jobTemplateId: desired.spec.jobTemplateId,
    jobTemplateArn: created.arn,
    createdAt: created.createdAt,
    region: target.region,
    target: target.key,
    ...localInstanceOf(target),
    ...(created.stack ? { cloudFormation: created.stack } : {}),
  };
}

/** Plans a deploy of the template (used by the handler and by the preview). */
export function planJobTemplate(deployed: JobTemplate | undefined, desired: TemplateState): Change {
  return decideJobTemplate(deployed ? deployedTemplate(deployed) : undefined, desired);
}

/**
 * An AWS IoT job template: a reusable job document plus rollout, abort,
 * timeout, retry and scheduling settings that jobs are created from.
 *
 * IoT has no UpdateJobTemplate: changing tags updates the template in place,
 * any other change replaces it (see docs/job-template.md for the table).
 *
 * @example
 * // A template from a document
 * const firmware = await JobTemplate("firmware-update", {
 *   description: "Roll out firmware 1.2.3",
 *   document: { operation: "updateFirmware", version: "1.2.3" },
 *   timeoutConfig: { inProgressTimeoutInMinutes: 60 },
 *   abortConfig: {
 *     criteriaList: [
 *       { failureType: "FAILED", action: "CANCEL", thresholdPercentage: 10, minNumberOfExecutedThings: 5 },
 *     ],
 *   },
 *   tags: { team: "fleet", env: "prod" },
 * });
 * firmware.jobTemplateArn;
 *
 * @example
 * // A template whose document is read from S3, with presigned URLs for the firmware image
 * const fromS3 = await JobTemplate("ota", {
 *   description: "OTA update",
 *   documentSource: "https://my-bucket.s3.us-east-1.amazonaws.com/jobs/ota.json",
 *   presignedUrlConfig: { roleArn: "arn:aws:iam::123456789012:role/iot-s3-presign", expiresInSec: 3600 },
 * });
 *
 * @example
 * // A template that copies an existing job
 * const copy = await JobTemplate("from-job", { description: "Copy of a job", jobArn: job });
 *
 * @example
 * // A secret document: encrypted in state, masked in logs and previews
 * const secret = await JobTemplate("rotate-keys", {
 *   description: "Rotate device keys",
 *   document: alchemy.secret(JSON.stringify({ operation: "rotate", token: process.env.ROTATE_TOKEN })),
 * });
 */
export const JobTemplate = validatedResource(Resource(
  "iot::JobTemplate",
  exitNonZeroOnFailure(async function (this: Context<JobTemplate, JobTemplateProps>, id: string, rawProps: JobTemplateProps): Promise<JobTemplate> {
    const label = `JobTemplate "${id}"`;
    const props = withoutTarget(rawProps);
    const log = (message: string) => this.scope.logger.log(message);
    if (this.phase === "delete") {
      if (this.output?.jobTemplateId) {
        const { client, target } = await resolveDeployed(this.output, withoutTarget(this.props), this.scope);
        const override = withoutTarget(this.props)?.overrideCloudFormationStack ?? false;
        await checkTemplateStack({ client, target, label, override, log }, this.output.cloudFormation, this.output.jobTemplateId, this.output.jobTemplateArn, "delete");
        await deleteJobTemplate(client, this.output.jobTemplateId);
      }
      return this.destroy();
    }

    const { client, target } = await resolveIoT(props, this.scope);
    const { state: desired, ownership } = desiredTemplate(this, props, target);
    const c: CreateContext = {
      client,
      target,
      ownership,
      adopt: props.adopt ?? this.scope.adopt ?? false,
      override: props.overrideCloudFormationStack ?? false,
      label,
      log,
    };
    if (this.phase === "update") await assertLocalDataPresent(this.output, this.scope, label);
    const deployed = this.phase === "update" ? this.output : undefined;
    const change = planJobTemplate(deployed, desired);

    if (deployed && change.action !== "none") {
      // An adopted template may still belong to the stack that created it.
      await checkTemplateStack(c, deployed.cloudFormation, deployed.jobTemplateId, deployed.jobTemplateArn, change.action === "replace" ? "replace" : "update");
    }
    if (change.action === "replace") {
      // Same id: delete first (Alchemy destroys the old template, then calls us to create).
      // New id or target: create the new one now; Alchemy deletes the old one at the end.
      this.replace(change.replaceMode === "delete-first");
    }

    if (change.action === "create") {
      // Adopting: read first, so taking over a matching template changes nothing.
      const existing = c.adopt ? await findExistingTemplate(client, desired) : undefined;
      const created = existing ? await adoptTemplate(c, desired, existing) : await createTemplate(c, desired);
      return output(props, desired, created, target);
    }

    // In place: only tags change, or nothing IoT stores changed (e.g. a client setting, or --force).
    const before = deployed!;
    const kept = { arn: before.jobTemplateArn, createdAt: before.createdAt, ...(before.cloudFormation ? { stack: before.cloudFormation } : {}) };
    const recreate = async () => {
      log(`${label}: job template ${before.jobTemplateId} no longer exists in ${target.description}; creating it again`);
      return output(props, desired, await createTemplate(c, desired), target);
    };
    if (change.operations.length > 0) {
      try {
        await applyTagChanges(client, before.jobTemplateArn, tagChanges(before.tags ?? {}, desired.tags));
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return recreate();
        throw error;
      }
      return output(props, desired, kept, target);
    }
    // Nothing to change: make sure it still exists (deleted out of band -> recreated).
    const live = await describeTemplate(client, before.jobTemplateId);
    if (!live) return recreate();
    return output(props, desired, { ...kept, arn: live.jobTemplateArn!, createdAt: live.createdAt! }, target);
  }),
), (id, props) => {
  checkProps(`JobTemplate "${id}"`, jobTemplatePropsSchema, props);
});

