/**
 * CloudFormation property names and shapes of AWS::IoT::JobTemplate,
 * AWS::IoT::Job, AWS::IoT::SoftwarePackage and
 * AWS::IoT::SoftwarePackageVersion, and their translation to the IoT API's
 * (this package's) names, both ways.
 *
 * A CloudFormation name is the API's name capitalised; the exceptions are
 * written as data (`spelled`). The two CloudFormation types do not agree
 * with each other: the template's retry list is
 * `JobExecutionsRetryConfig.RetryCriteriaList` and its rollout ramp
 * `ExponentialRolloutRate`; the job's are `CriteriaList` and
 * `ExponentialRate` (the API's names, capitalised).
 */

/** How an object's CloudFormation keys map to API keys; a nested shape for objects and lists of objects. */
export interface Shape {
  [cfnKey: string]: string | [apiKey: string, nested: Shape | ListOf | "map" | "tags"];
}
/** A list whose items have this shape. */
export interface ListOf {
  list: Shape;
}

const isList = (s: Shape | ListOf | "map" | "tags"): s is ListOf => typeof s === "object" && "list" in s;

/** Marks a member that CloudFormation spells other than as its name capitalised. */
const SPELLED: unique symbol = Symbol("CloudFormation's spelling");

/**
 * What an API member holds, as the translation reads it: `true`, a value as
 * it is; `"map"`, a map as it is; `"tags"`, tags (a `[{ Key, Value }]` list
 * in CloudFormation); an object, members of its own; `[members]`, a list of
 * objects with those members; `spelled(name, holds)`, the same under a
 * CloudFormation name that is not the member's name capitalised.
 */
export type Holds = true | "map" | "tags" | Members | readonly [Members] | Spelled;
/** Members keyed by the API's (this package's) name: the CloudFormation name is derived from it. */
export interface Members {
  readonly [apiKey: string]: Holds;
}
interface Spelled {
  readonly [SPELLED]: string;
  readonly holds: Exclude<Holds, Spelled>;
}

/** A member that CloudFormation names `cloudFormation` (the exception to capitalising the API's name). */
const spelled = (cloudFormation: string, holds: Exclude<Holds, Spelled>): Spelled => ({ [SPELLED]: cloudFormation, holds });

const capitalised = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** The shape of API-keyed members: each CloudFormation name is the member's capitalised, unless `spelled` says otherwise. */
function shapeOf(members: Members): Shape {
  const shape: Shape = {};
  for (const [apiKey, given] of Object.entries(members)) {
    const isSpelled = typeof given === "object" && SPELLED in given;
    const holds = isSpelled ? (given as Spelled).holds : (given as Exclude<Holds, Spelled>);
    const cfnKey = isSpelled ? (given as Spelled)[SPELLED] : capitalised(apiKey);
    if (holds === true) shape[cfnKey] = apiKey;
    else if (holds === "map" || holds === "tags") shape[cfnKey] = [apiKey, holds];
    else if (Array.isArray(holds)) shape[cfnKey] = [apiKey, { list: shapeOf((holds as readonly [Members])[0]) }];
    else shape[cfnKey] = [apiKey, shapeOf(holds as Members)];
  }
  return shape;
}

const ABORT = {
  criteriaList: [{ action: true, failureType: true, minNumberOfExecutedThings: true, thresholdPercentage: true }],
} satisfies Members;
const RATE = {
  baseRatePerMinute: true,
  incrementFactor: true,
  rateIncreaseCriteria: { numberOfNotifiedThings: true, numberOfSucceededThings: true },
} satisfies Members;
const RETRY_CRITERIA = { failureType: true, numberOfRetries: true } satisfies Members;
const WINDOWS = [{ startTime: true, durationInMinutes: true }] as const satisfies readonly [Members];
const COMMON = {
  description: true,
  document: true,
  documentSource: true,
  destinationPackageVersions: true,
  presignedUrlConfig: { roleArn: true, expiresInSec: true },
  timeoutConfig: { inProgressTimeoutInMinutes: true },
  abortConfig: ABORT,
  tags: "tags",
} satisfies Members;

/**
 * The properties of AWS::IoT::JobTemplate, keyed by the API's member names
 * (the provider's member rows are held to these keys by tsc).
 */
export const JOB_TEMPLATE_PROPERTIES = {
  ...COMMON,
  jobTemplateId: true,
  jobArn: true,
  jobExecutionsRetryConfig: { criteriaList: spelled("RetryCriteriaList", [RETRY_CRITERIA]) },
  jobExecutionsRolloutConfig: { maximumPerMinute: true, exponentialRate: spelled("ExponentialRolloutRate", RATE) },
  maintenanceWindows: WINDOWS,
} satisfies Members;

/** The properties of AWS::IoT::Job, keyed by the API's member names. */
export const JOB_PROPERTIES = {
  ...COMMON,
  jobId: true,
  targets: true,
  targetSelection: true,
  jobTemplateArn: true,
  documentParameters: "map",
  jobExecutionsRetryConfig: { criteriaList: [RETRY_CRITERIA] },
  jobExecutionsRolloutConfig: { maximumPerMinute: true, exponentialRate: RATE },
  schedulingConfig: { startTime: true, endTime: true, endBehavior: true, maintenanceWindows: WINDOWS },
} satisfies Members;

/**
 * The properties of AWS::IoT::SoftwarePackage, keyed by the API's member
 * names (CreatePackage). A package's default version has no property: it is
 * set by UpdatePackage only.
 *
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iot-softwarepackage.html
 */
export const SOFTWARE_PACKAGE_PROPERTIES = {
  packageName: true,
  description: true,
  tags: "tags",
} satisfies Members;

/** An S3 object, as a package version's artifact and SBOM name it. */
const S3_LOCATION = { s3Location: { bucket: true, key: true, version: true } } satisfies Members;

/**
 * The properties of AWS::IoT::SoftwarePackageVersion, keyed by the API's
 * member names (CreatePackageVersion), except its package: `package` (the
 * provider's prop, which may be a SoftwarePackage) for the API's
 * `packageName`. Its status has no property: CloudFormation creates every
 * version as a draft and cannot publish one.
 *
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iot-softwarepackageversion.html
 */
export const SOFTWARE_PACKAGE_VERSION_PROPERTIES = {
  package: spelled("PackageName", true),
  versionName: true,
  description: true,
  attributes: "map",
  artifact: S3_LOCATION,
  recipe: true,
  sbom: S3_LOCATION,
  tags: "tags",
} satisfies Members;

/** AWS::IoT::JobTemplate. */
export const JOB_TEMPLATE: Shape = shapeOf(JOB_TEMPLATE_PROPERTIES);

/** AWS::IoT::Job. */
export const JOB: Shape = shapeOf(JOB_PROPERTIES);

/** AWS::IoT::SoftwarePackage. */
export const SOFTWARE_PACKAGE: Shape = shapeOf(SOFTWARE_PACKAGE_PROPERTIES);

/** AWS::IoT::SoftwarePackageVersion. */
export const SOFTWARE_PACKAGE_VERSION: Shape = shapeOf(SOFTWARE_PACKAGE_VERSION_PROPERTIES);

/** Names the two CloudFormation types use for the same thing. */
const OTHER_TYPE_NAME: Record<string, string> = {
  RetryCriteriaList: "CriteriaList",
  CriteriaList: "RetryCriteriaList",
  ExponentialRolloutRate: "ExponentialRate",
  ExponentialRate: "ExponentialRolloutRate",
};

const HINTS: Record<string, string> = {
  RetryAttempts: "retries are a list of criteria",
  MinimumPerMinute: "there is no minimum rate",
  EndTime: "a maintenance window has a start and a duration",
};

export interface TranslationIssue {
  /** CloudFormation property path, e.g. `AbortConfig.CriteriaList[0].Action`. */
  path: string;
  message: string;
}

const formatKey = (path: string, key: string | number) => (typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key);

function keyHint(shape: Shape, key: string): string {
  const valid = Object.keys(shape);
  const describe = (k: string): string => {
    const entry = shape[k];
    if (typeof entry === "string" || !isList(entry[1]) || typeof entry[1] !== "object") return k;
    const item = Object.keys((entry[1] as ListOf).list).join(", ");
    return `${k}: [{ ${item} }]`;
  };
  const lower = key.toLowerCase();
  const close = valid.find((v) => v.toLowerCase() === lower);
  if (close) return `the valid property is ${close}`;
  const other = OTHER_TYPE_NAME[key];
  if (other && valid.includes(other)) {
    return `the valid property is ${describe(other)} (AWS::IoT::Job and AWS::IoT::JobTemplate name it differently)`;
  }
  if (key === "MaintenanceWindows" && "SchedulingConfig" in shape) {
    return "a job's maintenance windows are part of its schedule; the valid property is SchedulingConfig.MaintenanceWindows";
  }
  const reason = HINTS[key];
  const related =
    key === "RetryAttempts"
      ? valid.filter((v) => /CriteriaList$/.test(v))
      : key === "MinimumPerMinute"
        ? valid.filter((v) => /PerMinute$|Rate$/.test(v))
        : key === "EndTime" && "DurationInMinutes" in shape
          ? ["DurationInMinutes"]
          : [];
  if (related.length > 0) {
    return `${reason ? `${reason}; ` : ""}the valid propert${related.length === 1 ? "y is" : "ies are"} ${related.map(describe).join(" and ")}`;
  }
  return `valid properties here: ${valid.join(", ")}`;
}

/**
 * CloudFormation properties -> API props. Unknown properties become issues
 * (with the valid property named); `passthrough` keys (this package's own
 * options, which CloudFormation has no name for) are copied as they are.
 */
export function fromCloudFormation(
  shape: Shape,
  value: Record<string, unknown>,
  passthrough: readonly string[] = [],
): { props: Record<string, unknown>; issues: TranslationIssue[] } {
  const issues: TranslationIssue[] = [];
  const walk = (s: Shape, v: unknown, path: string): unknown => {
    if (!v || typeof v !== "object" || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(v as Record<string, unknown>)) {
      const entry = s[key];
      const here = formatKey(path, key);
      if (entry === undefined) {
        if (path === "" && passthrough.includes(key)) {
          out[key] = child;
          continue;
        }
        issues.push({ path: here, message: `${here}: unknown property; ${keyHint(s, key)}` });
        continue;
      }
      if (typeof entry === "string") {
        out[entry] = child;
        continue;
      }
      const [apiKey, nested] = entry;
      if (nested === "map") out[apiKey] = child;
      else if (nested === "tags") out[apiKey] = tagsFromList(child, here, issues);
      else if (isList(nested)) {
        out[apiKey] = Array.isArray(child) ? child.map((item, i) => walk(nested.list, item, formatKey(here, i))) : child;
      } else out[apiKey] = walk(nested, child, here);
    }
    return out;
  };
  return { props: walk(shape, value, "") as Record<string, unknown>, issues };
}

function tagsFromList(value: unknown, path: string, issues: TranslationIssue[]): unknown {
  if (!Array.isArray(value)) {
    issues.push({ path, message: `${path}: ${JSON.stringify(value)?.slice(0, 60)} must be a list of { Key, Value }` });
    return undefined;
  }
  const out: Record<string, string> = {};
  value.forEach((tag, i) => {
    const t = tag as { Key?: unknown; Value?: unknown } | null;
    const extra = t && typeof t === "object" ? Object.keys(t).filter((k) => k !== "Key" && k !== "Value") : [];
    if (!t || typeof t !== "object" || typeof t.Key !== "string" || typeof t.Value !== "string" || extra.length > 0) {
      issues.push({
        path: `${path}[${i}]`,
        message: `${path}[${i}]: ${JSON.stringify(tag)?.slice(0, 60)} must be { Key: string, Value: string }`,
      });
      return;
    }
    out[t.Key] = t.Value;
  });
  return out;
}

/** API props -> CloudFormation properties (for generated code and the local endpoint's stacks). */
export function toCloudFormation(shape: Shape, value: Record<string, unknown>): Record<string, unknown> {
  const reverse = (s: Shape, v: unknown): unknown => {
    if (!v || typeof v !== "object" || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [cfnKey, entry] of Object.entries(s)) {
      const apiKey = typeof entry === "string" ? entry : entry[0];
      const child = (v as Record<string, unknown>)[apiKey];
      if (child === undefined) continue;
      if (typeof entry === "string" || entry[1] === "map") out[cfnKey] = child;
      else if (entry[1] === "tags") out[cfnKey] = Object.entries(child as Record<string, string>).map(([Key, Value]) => ({ Key, Value }));
      else if (isList(entry[1])) {
        const item = entry[1].list;
        out[cfnKey] = Array.isArray(child) ? child.map((c) => reverse(item, c)) : child;
      } else out[cfnKey] = reverse(entry[1], child);
    }
    return out;
  };
  return reverse(shape, value) as Record<string, unknown>;
}

/**
 * An API prop path (`abortConfig.criteriaList[0].thresholdPercentage`) as a
 * CloudFormation path (`AbortConfig.CriteriaList[0].ThresholdPercentage`).
 * `tags.<key>` becomes `Tags[<index of that key>]` in the given CloudFormation value.
 */
export function cloudFormationPath(shape: Shape, apiPath: string, cfnValue?: Record<string, unknown>): string {
  const parts = apiPath.match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let s: Shape | undefined = shape;
  let value: unknown = cfnValue;
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.startsWith("[")) {
      out += part;
      value = Array.isArray(value) ? value[Number(part.slice(1, -1))] : undefined;
      continue;
    }
    const entries: Array<[string, Shape[string]]> = s ? Object.entries(s) : [];
    const found = entries.find(([, e]) => (typeof e === "string" ? e : e[0]) === part);
    if (!found) {
      // A map key (documentParameters.<key>) or something outside the shape: keep it.
      out = out ? `${out}.${parts.slice(i).join(".").replace(/\.\[/g, "[")}` : apiPath;
      return out;
    }
    const cfnKey: string = found[0];
    const entry: Shape[string] = found[1];
    out = out ? `${out}.${cfnKey}` : cfnKey;
    value = (value as Record<string, unknown> | undefined)?.[cfnKey];
    if (typeof entry === "string" || entry[1] === "map") {
      s = undefined;
    } else if (entry[1] === "tags") {
      const key = parts[i + 1];
      if (key !== undefined) {
        const index = Array.isArray(value) ? value.findIndex((t) => (t as { Key?: string })?.Key === key) : -1;
        return index >= 0 ? `${out}[${index}]` : `${out}.${key}`;
      }
      return out;
    } else if (isList(entry[1])) {
      s = entry[1].list;
    } else {
      s = entry[1];
    }
  }
  return out;
}

/** Every API prop name that has a CloudFormation name, with that name (for rewording messages). */
export function nameMap(shape: Shape): Map<string, string> {
  const names = new Map<string, string>();
  const walk = (s: Shape) => {
    for (const [cfnKey, entry] of Object.entries(s)) {
      const apiKey = typeof entry === "string" ? entry : entry[0];
      if (!names.has(apiKey)) names.set(apiKey, cfnKey);
      if (typeof entry !== "string" && typeof entry[1] === "object") walk(isList(entry[1]) ? entry[1].list : entry[1]);
    }
  };
  walk(shape);
  return names;
}
