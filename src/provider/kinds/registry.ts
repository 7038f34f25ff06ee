/**
 * The resource kinds of the package, one line each: the resource users
 * declare, its contract (what the engine, the preview and the tools know of
 * it: src/provider/engine/contract.ts), and its documentation page, whose
 * "what each change does" table is generated from the contract's member
 * table (`npm run docs:members`). Adding a kind: its folder under kinds/, a
 * line here, its emulator operations (src/local), and its docs page.
 */
import type { Kind } from "../engine/contract.ts";
import { jobTemplateKind } from "./job-template/contract.ts";
import { jobKind } from "./job/contract.ts";
import { rolloutKind } from "./rollout/contract.ts";
import { softwarePackageConfigurationKind } from "./software-package-configuration/contract.ts";
import { softwarePackageVersionKind } from "./software-package-version/contract.ts";
import { softwarePackageKind } from "./software-package/contract.ts";
import { thingGroupKind } from "./thing-group/contract.ts";
import { thingKind } from "./thing/contract.ts";

export { JobTemplate, type JobTemplateProps } from "./job-template/contract.ts";
export { Job, type JobDeletion, type JobProps } from "./job/contract.ts";
export { Rollout } from "./rollout/resource.ts";
export type { RolloutGate, RolloutJobProps, RolloutProps, RolloutWave, WaveProgress } from "./rollout/props.ts";
export {
  SoftwarePackageConfiguration,
  type SoftwarePackageConfigurationProps,
  type VersionUpdateByJobsConfig,
} from "./software-package-configuration/contract.ts";
export {
  SoftwarePackageVersion,
  type PackageVersionStatus,
  type SoftwarePackageVersionProps,
} from "./software-package-version/contract.ts";
export { SoftwarePackage, type SoftwarePackageProps } from "./software-package/contract.ts";
export { Thing, type ThingProps } from "./thing/contract.ts";
export { ThingGroup, type ThingGroupProps } from "./thing-group/contract.ts";

export interface KindEntry {
  kind: Kind<any, any, any>;
  /** Its page, relative to the repository (the package ships docs/). */
  docs: string;
}

export const KINDS: readonly KindEntry[] = [
  { kind: jobTemplateKind, docs: "docs/job-template.md" },
  { kind: jobKind, docs: "docs/job.md" },
  { kind: rolloutKind, docs: "docs/rollout.md" },
  { kind: thingGroupKind, docs: "docs/things.md" },
  { kind: thingKind, docs: "docs/things.md" },
  { kind: softwarePackageKind, docs: "docs/software-packages.md" },
  { kind: softwarePackageVersionKind, docs: "docs/software-packages.md" },
  { kind: softwarePackageConfigurationKind, docs: "docs/software-packages.md" },
];
