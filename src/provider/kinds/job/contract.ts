/**
 * Job: an AWS IoT job. The UpdateJob members change in place (within what
 * UpdateJob can express), tags too; anything else replaces the job, which
 * runs it again on its devices (ROWS in spec.ts).
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import {
  DescribeJobCommand,
  DescribeJobTemplateCommand,
  DescribeManagedJobTemplateCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  GetJobDocumentCommand,
} from "../../iot-sdk.ts";
import { ifFound, ownershipOf } from "../../common.ts";
import { noChange, type Change } from "../../engine/change.ts";
import type { Desired, Kind, Observed, Recorded } from "../../engine/contract.ts";
import { defineResource } from "../../engine/define.ts";
import { plannedEarlier } from "../../engine/recorder.ts";
import { containsUnknown, isUnknown, UNKNOWN } from "../../unknown.ts";
import { checkProps, ValidationError } from "../../validate.ts";
import { describeLocation } from "../decide.ts";
import type * as Declared from "./props.ts";
import { isManagedTemplateArn, jobPropsSchema, targetArn } from "./schema.ts";
import { checkSchedule, comparable, deletionOf, jobSpec, liveJobSpec, MEMBERS, type Spec } from "./spec.ts";
import { checkDocumentParameters, isManagedJobTemplate, type ManagedJobTemplate } from "../managed-job-template/lookup.ts";
import { checkTargetsWhere, decide, defaultJobId, deleteOperations, forceWords, labelOf, secretParameter } from "./decide.ts";
import { impactProbe, noteLiveJob } from "./impact.ts";
import { arnFor, documentText, outputBase, readOwnership, recordedBase, revealed, sealed, type RecordedOutput } from "../shared.ts";
import { checkInstalls, checkLiveVersions, declaredVersions, noteInstalls } from "../package-versions.ts";

export type JobProps = Declared.JobProps;
export type Job = Declared.Job;
export type { JobDeletion } from "./props.ts";
export { MEMBERS as JOB_MEMBERS, ROWS as JOB_ROWS } from "./spec.ts";

const kind: Kind<JobProps, Job, Spec> = sealed({
  type: "iot::Job",
  label: "Job",
  noun: "job",
  members: MEMBERS,
  tagged: true,
  idMember: "jobId",
  created: { arn: "jobArn" },

  desire(ctx, props, location): Desired<Spec> {
    const label = `Job "${ctx.id}"`;
    const checked = checkProps(label, jobPropsSchema, props);
    const view = checked.view as Record<string, any>;
    if (isManagedJobTemplate(view.jobTemplate)) {
      checkDocumentParameters(label, view.jobTemplate, view.documentParameters, secretParameter(checked.sensitive));
    }
    checkTargetsWhere(label, view.targets, location);
    checkInstalls(label, view, documentText);
    const ownership = ownershipOf(ctx);
    const draft = jobSpec(view, "");
    const id: string =
      view.jobId ??
      (containsUnknown(draft)
        ? UNKNOWN
        : defaultJobId(ownership, draft, location, checked.sensitive, kind.recorded(ctx.output as Job | undefined)));
    const spec = { ...draft, jobId: id };
    noteInstalls(spec, view.destinationPackageVersions);
    return {
      id,
      ownership,
      sensitive: checked.sensitive,
      state: {
        location: location.key,
        region: location.region,
        spec,
        tags: { ...(view.tags ?? {}) },
        settings: { deletion: deletionOf(view.deletion) },
      },
    };
  },

  recorded(output): Recorded<Spec> | undefined {
    if (!output?.jobId || (output as RecordedOutput).absent) return undefined;
    const view = revealed(output);
    const spec = jobSpec({ ...view, jobTemplate: undefined, jobTemplateArn: output.jobTemplateArn }, output.jobId);
    // Members recorded but not sent keep the values the job has.
    for (const [m, v] of Object.entries(output.notApplied ?? {})) {
      if (v === null) delete spec[m];
      else spec[m] = v;
    }
    return {
      state: { ...recordedBase(output), spec, settings: { deletion: deletionOf(output.deletion) } },
      facts: { arn: output.jobArn, createdAt: output.createdAt, extra: { status: output.status } },
      ...(output.cloudFormation ? { stack: output.cloudFormation } : {}),
      ...((output as RecordedOutput).adopted ? { adopted: true } : {}),
    };
  },

  async observe(client, id, desired, recorded): Promise<Observed<Spec> | null> {
    const live = await ifFound(client.send(new DescribeJobCommand({ jobId: id })));
    noteLiveJob(desired ?? recorded, client, live); // a preview with --refresh measures the device impact from it
    if (!live) return null;
    const hint = recorded?.state ?? desired?.state;
    const job = live.job!;
    const deleting = job.status === "DELETION_IN_PROGRESS";
    // The document is read only when the program gives one (a job from a template or from S3 has it from there).
    const needsDocument = !deleting && hint?.spec.document !== undefined && !live.documentSource;
    const [document, reading] = await Promise.all([
      needsDocument ? client.send(new GetJobDocumentCommand({ jobId: id, beforeSubstitution: true })).then((d) => d.document) : undefined,
      readOwnership(client, job.jobArn!, desired?.ownership),
    ]);
    const spec = comparable(liveJobSpec(live, document), hint?.spec);
    if (!needsDocument && hint?.spec.document !== undefined) spec.document = hint.spec.document;
    return {
      state: {
        location: hint?.location ?? "",
        region: hint?.region ?? "",
        spec,
        tags: reading.tags,
        settings: { ...(hint?.settings ?? {}) },
      },
      facts: { arn: job.jobArn!, createdAt: job.createdAt, extra: { status: job.status } },
      ours: reading.ours,
      ...(reading.ownerTag ? { ownerTag: reading.ownerTag } : {}),
      ...(reading.stack ? { stack: reading.stack } : {}),
      ...(deleting ? { deleting: true } : {}),
    };
  },

  decide,

  removal(recorded): Change {
    const id = String(recorded.state.spec.jobId);
    const deletion = recorded.state.settings.deletion as { force: boolean; timeoutSeconds: number };
    return {
      ...noChange(),
      action: "delete",
      operations: deleteOperations(id, deletion, recorded.state.spec.namespaceId),
      warnings: [`deletes job ${id}: it is cancelled${forceWords(deletion.force)} and deleted; devices stop receiving it`],
      impact: impactProbe(recorded, {
        change: "delete",
        jobId: id,
        targets: recorded.state.spec.targets as string[],
        spec: recorded.state.spec,
        force: deletion.force,
      }),
    };
  },

  /** The time rules of a new job, and the documentParameters of a managed template named only by ARN (read first). */
  async checkCreate(client, desired, props) {
    checkSchedule(labelOf(desired), desired.state.spec);
    await checkLiveVersions(client, labelOf(desired), "destinationPackageVersions", props.destinationPackageVersions);
    const arn = desired.state.spec.jobTemplateArn as string | undefined;
    if (!arn || isUnknown(arn) || !isManagedTemplateArn(arn) || isManagedJobTemplate(props.jobTemplate)) return;
    const m = /jobtemplate\/(.+):([^:]+)$/.exec(arn);
    if (!m) return;
    const template = await ifFound(client.send(new DescribeManagedJobTemplateCommand({ templateName: m[1], templateVersion: m[2] })));
    if (!template) {
      throw new ValidationError(labelOf(desired), [
        { path: "jobTemplateArn", message: `jobTemplateArn: ${JSON.stringify(arn)} names no AWS managed job template` },
      ]);
    }
    const managed = {
      templateName: m[1],
      templateVersion: m[2],
      documentParameters: (template.documentParameters ?? []).map((p) => ({ ...p, key: p.key!, optional: p.optional ?? false })),
    };
    checkDocumentParameters(
      labelOf(desired),
      managed as Pick<ManagedJobTemplate, "templateName" | "templateVersion" | "documentParameters">,
      desired.state.spec.documentParameters as Record<string, string> | undefined,
      secretParameter(desired.sensitive),
    );
  },

  /** The template (unless an AWS managed one) and the targets: each declared by the program, or existing where the job is created. */
  references(desired) {
    const spec = desired.state.spec;
    const refs = ((spec.targets as string[] | undefined) ?? []).flatMap((arn, i) => {
      const m = /^arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:(thing|thinggroup)\/(.+)$/.exec(arn);
      return m && !isUnknown(arn) ? [{ path: `targets[${i}]`, type: m[1] === "thing" ? "iot::Thing" : "iot::ThingGroup", id: m[2] }] : [];
    });
    const template = spec.jobTemplateArn as string | undefined;
    const id =
      template && !isUnknown(template) && !isManagedTemplateArn(template)
        ? /jobtemplate\/([a-zA-Z0-9_-]+)$/.exec(template)?.[1]
        : undefined;
    if (id) refs.push({ path: "jobTemplate", type: "iot::JobTemplate", id });
    return refs;
  },

  /** Before the old job is deleted: every target and the template exist where the job is created. */
  async preflight(client, desired, location) {
    const spec = desired.state.spec;
    const problems: Array<{ path: string; message: string }> = [];
    const targets = (spec.targets as string[]) ?? [];
    // What the program declares earlier exists by then in a deploy; a preview, which creates nothing, knows it from its plan.
    const where = `${location.key}|${location.region}`;
    await Promise.all(
      targets.map(async (arn, i) => {
        const m = /^arn:aws[a-z-]*:iot:([a-z0-9-]+):\d{12}:(thing|thinggroup)\/(.+)$/.exec(arn);
        if (!m || isUnknown(arn)) return;
        if (m[1] === location.region && plannedEarlier(m[2] === "thing" ? "iot::Thing" : "iot::ThingGroup", where, m[3])) return;
        const found =
          m[1] === location.region &&
          (m[2] === "thing"
            ? await ifFound(client.send(new DescribeThingCommand({ thingName: m[3] })))
            : await ifFound(client.send(new DescribeThingGroupCommand({ thingGroupName: m[3] }))));
        if (!found)
          problems.push({
            path: `targets[${i}]`,
            message: `targets[${i}]: ${JSON.stringify(arn)} does not exist in ${describeLocation(desired.state)}`,
          });
      }),
    );
    const template = spec.jobTemplateArn as string | undefined;
    if (template && !isUnknown(template) && !isManagedTemplateArn(template)) {
      const id = /jobtemplate\/([a-zA-Z0-9_-]+)$/.exec(template)?.[1];
      if (
        id &&
        !plannedEarlier("iot::JobTemplate", where, id) &&
        !(await ifFound(client.send(new DescribeJobTemplateCommand({ jobTemplateId: id }))))
      ) {
        problems.push({
          path: "jobTemplate",
          message: `jobTemplate: ${JSON.stringify(template)} does not exist in ${describeLocation(desired.state)}`,
        });
      }
    }
    if (problems.length > 0) {
      throw new ValidationError(
        labelOf(desired),
        problems.map((p) => ({ ...p, message: `${p.message}; the job is replaced by deleting it first, so nothing was deleted` })),
      );
    }
  },

  predict(desired, location, account) {
    const scheduled = (desired.state.spec.schedulingConfig as { startTime?: string } | undefined)?.startTime !== undefined;
    return { arn: arnFor(location, account, "job", desired.id), extra: { status: scheduled ? "SCHEDULED" : "IN_PROGRESS" } };
  },

  output(props, desired, facts, location, taken): Job {
    const { jobTemplateArn: _, ...rest } = props;
    const spec = desired.state.spec;
    return {
      ...rest,
      jobId: desired.id,
      jobArn: facts.arn,
      status: (facts.extra.status ?? UNKNOWN) as Job["status"],
      createdAt: facts.createdAt ?? (UNKNOWN as unknown as Date),
      ...(spec.jobTemplateArn !== undefined ? { jobTemplateArn: spec.jobTemplateArn as string } : {}),
      ...(facts.extra.notApplied ? { notApplied: facts.extra.notApplied as Record<string, unknown> } : {}),
      ...outputBase(location, taken),
    };
  },
});

/** A reference to a resource, as the API takes it: its ARN. */
function normalize(props: JobProps): JobProps {
  const template = props.jobTemplate;
  return {
    ...props,
    ...(Array.isArray(props.targets) ? { targets: props.targets.map((t) => targetArn(t) ?? t) as JobProps["targets"] } : {}),
    ...(Array.isArray(props.destinationPackageVersions)
      ? { destinationPackageVersions: declaredVersions(props.destinationPackageVersions) }
      : {}),
    // A JobTemplate resource becomes its ARN; a ManagedJobTemplate lookup stays (its parameters are checked from it, without a call).
    ...(template && typeof template === "object" && !isManagedJobTemplate(template) && "jobTemplateArn" in template
      ? { jobTemplate: (template as { jobTemplateArn: string }).jobTemplateArn }
      : {}),
  };
}

/**
 * An AWS IoT job: rolls a job document out to things and thing groups.
 *
 * The UpdateJob members (description, presignedUrlConfig, rollout, abort,
 * timeout, retries lowered to 0) and tags are updated in place; any other
 * change replaces the job (see docs/job.md). Destroying a job cancels it
 * (force only with `deletion.force`), deletes it and waits until it is gone.
 *
 * @example
 * // From a document, on a thing group declared in the same stack
 * const fleet = await ThingGroup("fleet", {});
 * const update = await Job("update-firmware", {
 *   targets: [fleet],
 *   document: { operation: "updateFirmware", version: "1.2.3" },
 *   targetSelection: "CONTINUOUS",
 * });
 * update.jobArn; update.status;
 *
 * @example
 * // From an AWS managed template, with its parameters checked before any call
 * const download = await ManagedJobTemplate({ templateName: "AWS-Download-File" });
 * await Job("fetch-config", {
 *   targets: [fleet],
 *   jobTemplate: download,
 *   documentParameters: { downloadUrl: "https://example.com/cfg.json", filePath: "/etc/app/cfg.json" },
 *   deletion: { force: true },
 * });
 *
 * @example
 * // From a JobTemplate, with an explicit id and a gentle rollout
 * await Job("firmware-wave-1", {
 *   jobId: "firmware-wave-1",
 *   targets: ["arn:aws:iot:us-east-1:123456789012:thinggroup/canary"],
 *   jobTemplate: firmwareTemplate,
 *   jobExecutionsRolloutConfig: { maximumPerMinute: 50 },
 * });
 */
export const Job = defineResource(kind, {
  validate(id, props) {
    const checked = checkProps(`Job "${id}"`, jobPropsSchema, props);
    const view = checked.view as Record<string, any>;
    if (isManagedJobTemplate(view.jobTemplate)) {
      checkDocumentParameters(`Job "${id}"`, view.jobTemplate, view.documentParameters, secretParameter(checked.sensitive));
    }
    checkInstalls(`Job "${id}"`, view, documentText);
  },
  normalize,
});

export const jobKind = kind;
export type { IoTClient };
