/**
 * What a job made from a job template of the account takes from the template
 * (CreateJob with a jobTemplateArn; API reference: CreateJob, "jobTemplateArn";
 * developer guide: job-templates). One rule for both sides: the local
 * endpoint's CreateJob builds the job with it, and the preview's device
 * impact (src/provider/kinds/job/impact.ts) works out with it the rollout a
 * job from a template will run with.
 *
 * The job takes every member its request leaves out, and keeps every member
 * it gives:
 * - the document as a pair: the template's document or documentSource, when
 *   the request gives neither;
 * - presignedUrlConfig, jobExecutionsRolloutConfig, abortConfig,
 *   timeoutConfig, jobExecutionsRetryConfig, destinationPackageVersions;
 * - the maintenance windows, which a job keeps in its schedulingConfig: the
 *   template's, when it has some and the job's schedulingConfig gives none
 *   (the rest of the job's schedulingConfig stays).
 *
 * An AWS managed template is not a template of the account: a job takes only
 * its document (with document parameters) from it.
 */

/** The template's members a job can take, in the template's names (`maintenanceWindows` at its top level). */
export const INHERITED_MEMBERS = [
  "document",
  "presignedUrlConfig",
  "jobExecutionsRolloutConfig",
  "abortConfig",
  "timeoutConfig",
  "jobExecutionsRetryConfig",
  "maintenanceWindows",
  "destinationPackageVersions",
] as const;

export type InheritedMember = (typeof INHERITED_MEMBERS)[number];

/** What a job template holds of those members (the endpoint's record, or DescribeJobTemplate's answer). */
export type TemplateMembers = { [K in InheritedMember | "documentSource"]?: unknown };

/** A job's CreateJob members that a template can supply (the windows travel in schedulingConfig). */
export type JobMembers = { [K in Exclude<InheritedMember, "maintenanceWindows"> | "documentSource" | "schedulingConfig"]?: unknown };

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** The maintenance windows a job's schedulingConfig gives, if any. */
function jobWindows(job: JobMembers): unknown {
  return isObject(job.schedulingConfig) ? job.schedulingConfig.maintenanceWindows : undefined;
}

/** Does the job give this member itself (so that it keeps its own)? */
function gives(job: JobMembers, member: InheritedMember): boolean {
  if (member === "document") return job.document != null || job.documentSource != null;
  if (member === "maintenanceWindows") return !!jobWindows(job);
  return job[member] != null;
}

/** The members the job leaves to its template: those it does not give, in INHERITED_MEMBERS order. */
export function leftToTemplate(job: JobMembers): InheritedMember[] {
  return INHERITED_MEMBERS.filter((member) => !gives(job, member));
}

/** The job's members, with those it leaves to the template taken from the template. */
export function inheritTemplate<J extends JobMembers>(job: J, template: TemplateMembers): J & JobMembers {
  const out: Record<string, unknown> = { ...(job as Record<string, unknown>) };
  for (const member of leftToTemplate(job)) {
    if (member === "document") {
      out.document = template.document;
      out.documentSource = template.documentSource;
    } else if (member === "maintenanceWindows") {
      const windows = template.maintenanceWindows;
      if (Array.isArray(windows) && windows.length > 0) {
        out.schedulingConfig = { ...(isObject(job.schedulingConfig) ? job.schedulingConfig : {}), maintenanceWindows: windows };
      }
    } else {
      out[member] = template[member];
    }
  }
  return out as J & JobMembers;
}
