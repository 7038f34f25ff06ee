/**
 * SoftwarePackageConfiguration: the software package catalog's settings of
 * one account and region (whether jobs record the versions they install in
 * each device's `$package` reserved named shadow, and with which role).
 * There is one per account and region, always: it is never created, always
 * taken over. The first deploy records the configuration it found; an update
 * sends UpdatePackageConfiguration; a destroy puts back what it found.
 */
import { GetPackageConfigurationCommand } from "../../iot-sdk.ts";
import { Scope } from "alchemy";
import type { z } from "zod";
import { ownershipOf } from "../../common.ts";
import { noChange, type Change } from "../../engine/change.ts";
import type { Desired, Kind, Observed, Recorded } from "../../engine/contract.ts";
import { defineResource } from "../../engine/define.ts";
import { compare, memberTable, type MemberRows, type MemberTable, type PropMembers } from "../../engine/members.ts";
import { operation } from "../../engine/operations.ts";
import type { Holds, Same } from "../../engine/same.ts";
import { locationKey, type IoTClientProps } from "../../location.ts";
import { checkProps, showValue, ValidationError } from "../../validate.ts";
import { describeLocation, moved } from "../decide.ts";
import type { Deployed } from "../deployed.ts";
import { outputBase, recordedBase, sealed, type MembersOf, type RecordedOutput } from "../shared.ts";
import { softwarePackageConfigurationPropsSchema } from "./schema.ts";

/** Whether jobs update each device's `$package` reserved named shadow with the versions they install (API: VersionUpdateByJobsConfig). */
export interface VersionUpdateByJobsConfig {
  /**
   * Jobs that install package versions record them in the device's `$package` shadow when they succeed.
   * @example true
   */
  enabled: boolean;
  /**
   * The IAM role jobs use to update the `$package` reserved named shadow
   * (required when `enabled` is true).
   * @default no role
   * @example "arn:aws:iam::123456789012:role/iot-package-shadow"
   */
  roleArn?: string;
}

/** Properties of the software package configuration of one account and region. */
export interface SoftwarePackageConfigurationProps extends IoTClientProps {
  /**
   * Whether jobs record the versions they install in each device's
   * `$package` reserved named shadow, and the role they do it with. Changing
   * it updates the configuration in place (UpdatePackageConfiguration).
   * @example { enabled: true, roleArn: "arn:aws:iam::123456789012:role/iot-package-shadow" }
   */
  versionUpdateByJobsConfig: VersionUpdateByJobsConfig;
}

/** The deployed configuration. */
export interface SoftwarePackageConfiguration extends SoftwarePackageConfigurationProps, Deployed {
  /** The region it is the configuration of. */
  region: string;
  /** The configuration the first deploy found: what a destroy puts back. */
  original: VersionUpdateByJobsConfig;
}

const SOURCE = "API reference: GetPackageConfiguration, UpdatePackageConfiguration";

/** Its one member's row; its props and schema are held to it by tsc below. */
export const ROWS = {
  versionUpdateByJobsConfig: { change: "in place", via: "UpdatePackageConfiguration", source: SOURCE },
} as const satisfies MemberRows;

type _PropsAreTheRows = Holds<Same<MembersOf<SoftwarePackageConfigurationProps>, PropMembers<typeof ROWS>>>;
type _SchemaIsTheProps = Holds<
  Same<keyof z.input<typeof softwarePackageConfigurationPropsSchema>, keyof SoftwarePackageConfigurationProps>
>;

/** What each change to a SoftwarePackageConfiguration does. */
export const MEMBERS: MemberTable = memberTable(ROWS);

/** Its physical id is its region (one configuration per account and region). */
type Spec = { region: string; versionUpdateByJobsConfig: VersionUpdateByJobsConfig };

/** The configuration IoT has before anyone sets it: disabled. */
const UNSET: VersionUpdateByJobsConfig = { enabled: false };

const config = (c: { enabled?: boolean; roleArn?: string } | undefined): VersionUpdateByJobsConfig => ({
  enabled: c?.enabled ?? false,
  ...(c?.roleArn ? { roleArn: c.roleArn } : {}),
});

const update = (c: VersionUpdateByJobsConfig, region: string) =>
  operation("UpdatePackageConfiguration", { versionUpdateByJobsConfig: { ...c } }, `package configuration (${region})`);

/** The props without `adopt`, which the wrapper adds (the configuration is always taken over). */
const declared = (props: object) => {
  const { adopt: _, ...rest } = props as Record<string, unknown>;
  return rest;
};

const kind: Kind<SoftwarePackageConfigurationProps, SoftwarePackageConfiguration, Spec> = sealed({
  type: "iot::SoftwarePackageConfiguration",
  label: "SoftwarePackageConfiguration",
  noun: "software package configuration",
  members: MEMBERS,
  tagged: false,
  idMember: "region",
  created: { arn: "" },

  desire(ctx, props, location): Desired<Spec> {
    const checked = checkProps(`SoftwarePackageConfiguration "${ctx.id}"`, softwarePackageConfigurationPropsSchema, declared(props));
    const view = checked.view as { versionUpdateByJobsConfig: VersionUpdateByJobsConfig };
    return {
      id: location.region,
      ownership: ownershipOf(ctx),
      sensitive: checked.sensitive,
      state: {
        location: location.key,
        region: location.region,
        spec: { region: location.region, versionUpdateByJobsConfig: config(view.versionUpdateByJobsConfig) },
        tags: {},
        settings: {},
      },
    };
  },

  recorded(output): Recorded<Spec> | undefined {
    if (!output?.versionUpdateByJobsConfig || (output as RecordedOutput).absent) return undefined;
    return {
      state: {
        ...recordedBase(output),
        tags: {},
        spec: { region: output.region, versionUpdateByJobsConfig: config(output.versionUpdateByJobsConfig) },
        settings: {},
      },
      facts: { arn: "", extra: { original: config(output.original) } },
      adopted: true,
    };
  },

  /** The configuration IoT has now; the original is what the first read found (kept once recorded). */
  async observe(client, _id, desired, recorded): Promise<Observed<Spec>> {
    const live = await client.send(new GetPackageConfigurationCommand({}));
    const hint = recorded?.state ?? desired?.state;
    const now = config(live.versionUpdateByJobsConfig);
    return {
      state: {
        location: hint?.location ?? "",
        region: hint?.region ?? "",
        spec: { region: hint?.region ?? "", versionUpdateByJobsConfig: now },
        tags: {},
        settings: {},
      },
      facts: { arn: "", extra: { original: recorded?.facts.extra.original ?? now } },
      // Nothing says whose a configuration is: one exists in every account and region, and it is taken over.
      ours: false,
    };
  },

  decide(before, desired): Change {
    const s = desired.state.spec;
    const region = desired.state.region;
    if (!before) {
      // Not read (it always exists): set it, and a destroy puts back IoT's default.
      return {
        ...noChange(),
        action: "create",
        operations: [update(s.versionUpdateByJobsConfig, region)],
        notes: ["the configuration found was not read: a destroy puts back IoT's default (enabled: false)"],
      };
    }
    if (moved(before.state, desired.state)) {
      throw new ValidationError(`SoftwarePackageConfiguration "${desired.ownership.resource.split("/").pop()}"`, [
        {
          path: "region",
          message: `region: ${showValue(desired.state.region)}: the configuration of ${describeLocation(before.state)} cannot move to ${describeLocation(desired.state)} (each account and region has its own); remove this declaration and deploy (its destroy puts back the configuration found there), then declare one for the new place`,
        },
      ]);
    }
    const { diffs } = compare(
      MEMBERS,
      { versionUpdateByJobsConfig: before.state.spec.versionUpdateByJobsConfig },
      { versionUpdateByJobsConfig: s.versionUpdateByJobsConfig },
    );
    if (diffs.length === 0) return noChange();
    return { ...noChange(), action: "update", diffs, operations: [update(s.versionUpdateByJobsConfig, region)] };
  },

  removal(recorded): Change {
    const original = (recorded.facts.extra.original as VersionUpdateByJobsConfig | undefined) ?? UNSET;
    return {
      ...noChange(),
      action: "delete",
      operations: [update(original, recorded.state.region)],
      notes: [
        `puts back the configuration found when it was taken over (enabled: ${original.enabled}${original.roleArn ? `, roleArn: ${original.roleArn}` : ""}); IoT keeps one configuration per account and region`,
      ],
    };
  },

  predict(_desired, _location, _account) {
    return { arn: "", extra: {} };
  },

  output(props, desired, facts, location, taken): SoftwarePackageConfiguration {
    const { adopt: _, ...rest } = props as SoftwarePackageConfigurationProps & { adopt?: boolean };
    return {
      ...rest,
      versionUpdateByJobsConfig: desired.state.spec.versionUpdateByJobsConfig,
      original: (facts.extra.original as VersionUpdateByJobsConfig | undefined) ?? UNSET,
      ...outputBase(location, { ...taken, adopted: true }),
    };
  },
});

// ------------------------------------------------------------------ one declaration per account and region

/** The configurations each run declares (by its root scope), by location: where each is declared. */
const declarations = new WeakMap<Scope, Map<string, string>>();

/** Refuses a second declaration of the configuration of one location in one run (before any call). */
function checkOnce(id: string, props: object): void {
  const scope = Scope.getScope();
  if (!scope) return;
  let seen = declarations.get(scope.root);
  if (!seen) declarations.set(scope.root, (seen = new Map()));
  const key = locationKey(props, scope);
  const address = scope.fqn(id);
  const first = seen.get(key);
  if (first === undefined) seen.set(key, address);
  else if (first !== address) {
    const [where, region] = key.split("|");
    throw new ValidationError(`SoftwarePackageConfiguration "${id}"`, [
      {
        path: "region",
        message: `region: ${showValue(region ?? "")} (${where === "local" ? "the local endpoint" : where}): ${first} declares the software package configuration of this account and region already; there is one per account and region, so declare it once`,
      },
    ]);
  }
}

/**
 * The software package catalog's configuration of an account and region:
 * whether jobs record the versions they install in each device's `$package`
 * reserved named shadow. Always taken over (it exists in every account and
 * region); a destroy puts back the configuration the first deploy found.
 *
 * @example
 * await SoftwarePackageConfiguration("catalog", {
 *   versionUpdateByJobsConfig: { enabled: true, roleArn: "arn:aws:iam::123456789012:role/iot-package-shadow" },
 * });
 */
export const SoftwarePackageConfiguration = defineResource(kind, {
  validate(id, props) {
    checkProps(`SoftwarePackageConfiguration "${id}"`, softwarePackageConfigurationPropsSchema, props ?? {});
    checkOnce(id, props ?? {});
  },
  // Taken over, never created: the handler reads it first and records what it found.
  normalize: (props) => ({ ...props, adopt: true }) as SoftwarePackageConfigurationProps,
});

export const softwarePackageConfigurationKind = kind;
