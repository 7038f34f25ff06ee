/**
 * The software package versions a job or job template installs
 * (`destinationPackageVersions`): given as SoftwarePackageVersion resources or
 * as ARNs, checked before any call.
 *
 * - A version the program declares DRAFT is refused (AWS deploys only
 *   PUBLISHED or DEPRECATED versions); an ARN the program does not declare is
 *   read when reads are allowed (a deploy, a preview with --refresh) and
 *   refused when it is DRAFT or does not exist.
 * - The job document's package placeholders must agree with the versions the
 *   job installs (AWS refuses a job whose document and
 *   destinationPackageVersions disagree, developer guide:
 *   preparing-jobs-for-service-package-catalog):
 *     ${aws:iot:package:<package>:version:<version>:attributes:<key>}
 *     ${aws:iot:package:<package>:version:<version>:attributes}
 *     ${aws:iot:package:<package>:version:<version>:artifact-location:s3-presigned-url}
 *   and the same with empty names (`package::version::`), which stand for the
 *   one version of a single-package deployment.
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import { GetPackageCommand, GetPackageVersionCommand } from "../iot-sdk.ts";
import { z } from "zod";
import { LISTS, STRINGS } from "../../api/constraints.ts";
import { ifFound } from "../common.ts";
import { readsAllowed } from "../engine/guards.ts";
import { isUnknown } from "../unknown.ts";
import { reference, str, ValidationError, type ValidationIssue } from "../validate.ts";

/** arn:aws:iot:<region>:<account>:package/<packageName>/version/<versionName> ($default: the package's default version; $null: uninstall). */
const VERSION_ARN =
  /^arn:aws[a-z-]*:iot:([a-z0-9-]+):(\d{12}):package\/([a-zA-Z0-9_.-]{1,128})\/version\/(\$default|\$null|[a-zA-Z0-9_.-]{1,64})$/;

/** The members of a SoftwarePackageVersion given in destinationPackageVersions that are read; its other props are not sent. */
const READ = ["packageVersionArn", "arn", "packageName", "versionName", "status"];

const versionArnSchema = str(STRINGS.destinationPackageVersion).superRefine((value, ctx) => {
  if (isUnknown(value) || VERSION_ARN.test(value)) return;
  ctx.addIssue({
    code: "custom",
    message:
      "must be a package version ARN (arn:aws:iot:<region>:<account>:package/<packageName>/version/<versionName>), or a SoftwarePackageVersion",
  });
});

/** One entry: an ARN, or a SoftwarePackageVersion (its `packageVersionArn`). */
const versionSchema = z.union([versionArnSchema, reference(z.object({ packageVersionArn: versionArnSchema }).passthrough(), READ)]);

export const destinationPackageVersionsSchema = z
  .array(versionSchema)
  .max(LISTS.destinationPackageVersions.max, `lists at most ${LISTS.destinationPackageVersions.max} package versions`)
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((v, i) => {
      const arn = packageVersionArn(v);
      if (arn === undefined || isUnknown(arn)) return;
      const first = seen.get(arn);
      if (first === undefined) seen.set(arn, i);
      else ctx.addIssue({ code: "custom", path: [i], message: `lists the same version twice (also [${first}])` });
    });
  });

/** A version as the program gives it. */
export interface VersionRef {
  arn: string;
  packageName: string;
  versionName: string;
  /** Declared by the program (a SoftwarePackageVersion): its status, attribute names and whether it has an artifact are known. */
  declared?: { status?: string; attributes?: string[]; artifact: boolean };
}

/** The ARN an entry designates. */
export function packageVersionArn(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry;
  const v = entry as { packageVersionArn?: unknown } | null;
  return typeof v?.packageVersionArn === "string" ? v.packageVersionArn : undefined;
}

/** The ARNs of a destinationPackageVersions list, as CreateJob and CreateJobTemplate take them. */
export function packageVersionArns(list: unknown): string[] | undefined {
  return Array.isArray(list) ? list.map((v) => packageVersionArn(v) ?? (v as string)) : undefined;
}

/**
 * The list as it is kept once checked (normalize): a declared version by its
 * ARN and names alone (what identifies it), still an object, so that a change of the version's other members
 * does not re-run the job and later reads know it is the program's (not read
 * before the create: the program deploys it).
 */
export function declaredVersions<T>(list: readonly T[]): T[] {
  return list.map((v) => {
    if (!v || typeof v !== "object" || !("packageVersionArn" in v)) return v;
    const { packageVersionArn, packageName, versionName } = v as { packageVersionArn: string; packageName?: string; versionName?: string };
    return {
      packageVersionArn,
      ...(packageName !== undefined ? { packageName } : {}),
      ...(versionName !== undefined ? { versionName } : {}),
    } as T;
  });
}

/** The package and version an ARN names. */
export function parseVersionArn(arn: string): { region: string; account: string; packageName: string; versionName: string } | undefined {
  const m = VERSION_ARN.exec(arn);
  return m ? { region: m[1], account: m[2], packageName: m[3], versionName: m[4] } : undefined;
}

/** "firmware 1.1.0" for messages and the preview's device impact. */
export function versionLabel(arn: string): string {
  const p = parseVersionArn(arn);
  return p ? nameLabel(p.packageName, p.versionName) : arn;
}

function nameLabel(packageName: string, versionName: string): string {
  if (versionName === "$default") return `${packageName} $default (the package's default version)`;
  if (versionName === "$null") return `${packageName} $null (uninstalls ${packageName})`;
  return `${packageName} ${versionName}`;
}

/** The labels of the versions a job's spec installs, by the spec object (a preview may not know a declared version's ARN yet, only its names). */
const INSTALLS = new WeakMap<object, string[]>();

/** Notes, for the device impact, what the desired spec installs, from the props' list (names known even when ARNs are not). */
export function noteInstalls(spec: object, list: unknown): void {
  const refs = refsOf(list);
  if (refs.length > 0)
    INSTALLS.set(
      spec,
      refs.map((r) => nameLabel(r.packageName, r.versionName)),
    );
}

/** What a job's spec installs, as the preview names it: "fw 1.1.0". */
export function installsOf(spec: Record<string, unknown>): string[] {
  return INSTALLS.get(spec) ?? ((spec.destinationPackageVersions as string[] | undefined) ?? []).map(versionLabel);
}

function refsOf(list: unknown): VersionRef[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry) => {
    const arn = packageVersionArn(entry);
    if (!arn) return [];
    const v = (typeof entry === "object" && entry ? entry : {}) as {
      packageName?: unknown;
      versionName?: unknown;
      status?: unknown;
      attributes?: unknown;
      artifact?: unknown;
    };
    // A declared version names itself (its ARN may not be known before the deploy, in a preview).
    const named =
      typeof v.packageName === "string" && typeof v.versionName === "string" && !isUnknown(v.packageName) && !isUnknown(v.versionName);
    const p = named
      ? { packageName: v.packageName as string, versionName: v.versionName as string }
      : isUnknown(arn)
        ? undefined
        : parseVersionArn(arn);
    if (!p) return [];
    // An ARN, or a declared version as it is kept once checked (its ARN only: declaredVersions).
    if (typeof entry === "string" || !("status" in v)) return [{ arn, packageName: p.packageName, versionName: p.versionName }];
    const attributes = v.attributes && typeof v.attributes === "object" ? Object.keys(v.attributes) : [];
    const status = typeof v.status === "string" && !isUnknown(v.status) ? v.status : undefined;
    return [
      { arn, packageName: p.packageName, versionName: p.versionName, declared: { status, attributes, artifact: v.artifact !== undefined } },
    ];
  });
}

const PLACEHOLDER = /\$\{aws:iot:package:([^}]*)\}/g;
const GRAMMAR =
  /^([a-zA-Z0-9_.-]*):version:(\$default|[a-zA-Z0-9_.-]*):(attributes(?::([a-zA-Z0-9:_-]+))?|artifact-location:s3-presigned-url)$/;

/**
 * What is wrong with the versions a job or template installs, before any
 * call: DRAFT versions the program declares, and document placeholders that
 * name a package, version or attribute the job does not install.
 * `path` is the prop holding the list; `document` the document's text when known.
 */
export function packageVersionIssues(path: string, list: unknown, document: string | undefined): ValidationIssue[] {
  const refs = refsOf(list);
  const issues: ValidationIssue[] = [];
  if (Array.isArray(list)) {
    list.forEach((entry, i) => {
      const ref = refsOf([entry])[0];
      if (ref?.declared?.status === "DRAFT") {
        issues.push({
          path: `${path}[${i}]`,
          message: `${path}[${i}]: version ${ref.versionName} of package ${ref.packageName} is declared DRAFT; AWS deploys only PUBLISHED or DEPRECATED versions (declare it with status: "PUBLISHED")`,
        });
      }
    });
  }
  if (document === undefined || isUnknown(document)) return issues;
  const installs = refs.length > 0 ? refs.map((r) => `${r.packageName} ${r.versionName}`).join(", ") : "none";
  for (const m of document.matchAll(PLACEHOLDER)) {
    const text = m[0];
    const g = GRAMMAR.exec(m[1]);
    if (!g) {
      issues.push({
        path: "document",
        message: `document: ${text} is not a package placeholder AWS substitutes (\${aws:iot:package:<package>:version:<version>:attributes[:<key>]} or ...:artifact-location:s3-presigned-url})`,
      });
      continue;
    }
    const [, pkg, version, what, key] = g;
    const anonymous = pkg === "" || version === "";
    if (anonymous && (pkg !== "" || version !== "")) {
      issues.push({
        path: "document",
        message: `document: ${text} leaves only one of the package and version names empty; give both or neither`,
      });
      continue;
    }
    const ref = anonymous
      ? refs.length === 1
        ? refs[0]
        : undefined
      : refs.find((r) => r.packageName === pkg && r.versionName === version);
    if (!ref) {
      issues.push({
        path: "document",
        message: anonymous
          ? `document: ${text} stands for the one version of a single-package deployment, but ${path} lists ${refs.length} (${installs})`
          : `document: ${text} names version ${version} of package ${pkg}, which ${path} does not list (it lists: ${installs}); AWS refuses a job whose document and ${path} disagree`,
      });
      continue;
    }
    if (!ref.declared) continue;
    if (key !== undefined && ref.declared.attributes && !ref.declared.attributes.includes(key)) {
      issues.push({
        path: "document",
        message: `document: ${text} names attribute "${key}", which version ${ref.versionName} of package ${ref.packageName} does not have (its attributes: ${ref.declared.attributes.join(", ") || "none"})`,
      });
    }
    if (what.startsWith("artifact-location") && !ref.declared.artifact) {
      issues.push({
        path: "document",
        message: `document: ${text} asks for the artifact of version ${ref.versionName} of package ${ref.packageName}, which declares no artifact`,
      });
    }
  }
  return issues;
}

/**
 * Reads the versions the program does not declare (given as ARNs) and
 * refuses DRAFT or missing ones: a deploy before the create, a preview with
 * --refresh. $null (uninstall) needs the package; $default a default version.
 */
export async function checkLiveVersions(client: IoTClient, label: string, path: string, list: unknown): Promise<void> {
  if (!readsAllowed() || !Array.isArray(list)) return;
  const issues: ValidationIssue[] = [];
  await Promise.all(
    list.map(async (entry, i) => {
      if (typeof entry !== "string" || isUnknown(entry)) return;
      const p = parseVersionArn(entry);
      if (!p) return;
      const at = `${path}[${i}]`;
      if (p.versionName === "$null" || p.versionName === "$default") {
        const pkg = await ifFound(client.send(new GetPackageCommand({ packageName: p.packageName })));
        if (!pkg) issues.push({ path: at, message: `${at}: package ${p.packageName} does not exist` });
        else if (p.versionName === "$default" && !pkg.defaultVersionName) {
          issues.push({ path: at, message: `${at}: package ${p.packageName} has no default version to install ($default)` });
        }
        return;
      }
      const version = await ifFound(client.send(new GetPackageVersionCommand({ packageName: p.packageName, versionName: p.versionName })));
      if (!version) issues.push({ path: at, message: `${at}: version ${p.versionName} of package ${p.packageName} does not exist` });
      else if (version.status === "DRAFT") {
        issues.push({
          path: at,
          message: `${at}: version ${p.versionName} of package ${p.packageName} is DRAFT; AWS deploys only PUBLISHED or DEPRECATED versions (publish it first)`,
        });
      }
    }),
  );
  if (issues.length > 0) throw new ValidationError(label, issues);
}

/** What destinationPackageVersions takes: package version ARNs, or SoftwarePackageVersion resources. */
export type PackageVersionInput = string | { packageVersionArn: string };

/**
 * The checks of a job's or template's props (revealed), before any call: its
 * own versions, and its document against the versions it installs (a job
 * from a template of the program takes the template's when it gives none).
 */
export function checkInstalls(label: string, view: Record<string, any>, documentOf: (document: unknown) => string | undefined): void {
  const template = view.jobTemplate && typeof view.jobTemplate === "object" ? (view.jobTemplate as Record<string, any>) : undefined;
  const own = view.destinationPackageVersions !== undefined;
  const list = own ? view.destinationPackageVersions : template?.destinationPackageVersions;
  const document = view.document ?? (view.documentSource === undefined ? template?.document : undefined);
  const issues = packageVersionIssues(
    own ? "destinationPackageVersions" : "the template's destinationPackageVersions",
    list,
    document === undefined ? undefined : documentOf(document),
  );
  if (issues.length > 0) throw new ValidationError(label, issues);
}
