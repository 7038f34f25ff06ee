/**
 * Requests derived from the AWS IoT service model (src/model/iot.generated.ts)
 * for the conformance test (test/model/conformance.test.ts): for each input
 * constraint of an operation (test/support/model-constraints.ts), a request
 * that breaks only that constraint and a request that sits exactly on its
 * boundary, as SDK inputs, with what the service must answer the breaking one
 * with (test/support/model-messages.ts).
 */
import { OPERATIONS, SHAPES } from "../../src/api/model/iot.generated.ts";
import type { MemberLocation } from "../../src/api/model/types.ts";
import { isIntegerType, isNumberType, rulesBroken, type Constraint, type Rule, type Shape, type StringShape } from "./model-constraints.ts";
import { phrase, type Expectation } from "./model-messages.ts";
import { breakPattern, jsonDocument, valueMaker, type Fixtures } from "./model-values.ts";

/**
 * Stands for an empty URI label (a required label left out, or "" for a
 * minimum length of 1). The SDK refuses to serialize a missing label (some
 * versions an empty one too), so the request carries this value, and the
 * test's build-step middleware removes it from the serialized path.
 */
export const EMPTY_LABEL = "conformance-empty-label";

export interface ConformanceCase {
  constraint: Constraint;
  /**
   * SDK inputs breaking only this constraint: one, or two for a pattern that
   * also refuses "" on a shape with no minimum length (a refused character, and "").
   */
  broken: Record<string, unknown>[];
  /** SDK input on the boundary of this constraint (valid as far as this member is concerned). */
  valid: Record<string, unknown>;
  expect: Expectation;
}

// ---------------------------------------------------------------------------
// Requests.

const REMOVE = Symbol("remove");

/** The type of the member at `seg` of a structure or list shape. */
function childShape(shapeName: string, seg: string | number): string {
  const shape = SHAPES[shapeName];
  if (shape.type === "structure") return shape.members[seg as string].shape;
  if (shape.type === "list") return shape.member;
  throw new Error(`no member ${seg} in ${shapeName}`);
}

/**
 * Member values each operation's baseline takes beyond the model's required
 * members: names of existing resources for operations that read or update
 * them, fresh names for those that create, names of nothing for those that
 * delete or cancel (so the cases leave the fixtures alone), and the members
 * the service's rules between members need (a job's document).
 */
function overrides(operation: string, fx: Fixtures, unique: () => string): Record<string, unknown> {
  const absent = { jobId: "absent-job", thingName: "absent-thing", thingGroupName: "absent-group", jobTemplateId: "absent-template" };
  const document = jsonDocument();
  switch (operation) {
    case "CreateJob":
      return { jobId: `conformance-job-${unique()}`, targets: [fx.thingArn], document };
    case "CreateJobTemplate":
      return { jobTemplateId: `conformance-template-${unique()}`, description: "conformance", document };
    case "CreateThing":
      return { thingName: `conformance-thing-${unique()}` };
    case "CreateThingGroup":
      return { thingGroupName: `conformance-group-${unique()}` };
    case "CancelJob":
    case "DeleteJob":
      return { jobId: absent.jobId };
    case "DeleteJobTemplate":
      return { jobTemplateId: absent.jobTemplateId };
    case "DeleteThing":
      return { thingName: absent.thingName };
    case "DeleteThingGroup":
      return { thingGroupName: absent.thingGroupName };
    case "CancelJobExecution":
    case "DeleteJobExecution":
      return { jobId: absent.jobId, thingName: absent.thingName };
    case "AddThingToThingGroup":
    case "RemoveThingFromThingGroup":
      return { thingGroupName: fx.thingGroupName, thingName: fx.thingName };
    case "DescribeJob":
    case "UpdateJob":
    case "GetJobDocument":
    case "ListJobExecutionsForJob":
      return { jobId: fx.jobId };
    case "DescribeJobExecution":
      return { jobId: fx.jobId, thingName: fx.thingName };
    case "DescribeJobTemplate":
      return { jobTemplateId: fx.jobTemplateId };
    case "ListJobExecutionsForThing":
    case "DescribeThing":
    case "UpdateThing":
    case "ListThingGroupsForThing":
      return { thingName: fx.thingName };
    case "DescribeThingGroup":
    case "UpdateThingGroup":
    case "ListThingsInThingGroup":
      return { thingGroupName: fx.thingGroupName };
    case "CreatePackage":
      return { packageName: `conformance-package-${unique()}` };
    case "GetPackage":
    case "UpdatePackage":
    case "ListPackageVersions":
      return { packageName: fx.packageName };
    case "DeletePackage":
      return { packageName: "absent-package" };
    case "CreatePackageVersion":
      return { packageName: fx.packageName, versionName: `conformance-version-${unique()}` };
    case "GetPackageVersion":
    case "AssociateSbomWithPackageVersion":
    case "DisassociateSbomFromPackageVersion":
    case "ListSbomValidationResults":
      return { packageName: fx.packageName, versionName: fx.versionName };
    case "UpdatePackageVersion":
      // The DRAFT version: its attributes and artifact may change (a PUBLISH case publishes it; later ones may then be refused for that).
      return { packageName: fx.packageName, versionName: fx.draftVersionName };
    case "DeletePackageVersion":
      return { packageName: fx.packageName, versionName: "absent-version" };
    default:
      return {};
  }
}

/** Members the service refuses together with the (top-level) one under test: testing the second drops the first ones. */
const EXCLUSIVE: Record<string, Record<string, string[]>> = {
  CreateJob: { documentSource: ["document"], jobTemplateArn: ["document"] },
  CreateJobTemplate: { documentSource: ["document"], jobArn: ["document"] },
};

/** Members the service needs with the (top-level) one under test (maintenance windows are for continuous jobs only). */
const COMPANIONS: Record<string, Record<string, Record<string, unknown>>> = {
  CreateJob: { schedulingConfig: { targetSelection: "CONTINUOUS" } },
};

/** Whether a string shape's pattern ends with the shape's own length bounds as a quantifier (`\S{36,64}` for min 36, max 64). */
function patternBoundsLength(shapeName: string): boolean {
  const shape = SHAPES[shapeName] as StringShape;
  const m = /\{(\d+),(\d+)\}\$?$/.exec(shape.modelPattern ?? "");
  return !!m && Number(m[1]) === shape.min && Number(m[2]) === shape.max;
}

export interface RequestMaker {
  /** The operation's valid input with nothing optional: required members (recursively) and the baseline's overrides. */
  baseline(operation: string): Record<string, unknown>;
  /** The breaking and the boundary-valid request of a constraint. */
  caseOf(c: Constraint): ConformanceCase;
}

export function requestMaker(fx: Fixtures): RequestMaker {
  const values = valueMaker(fx);
  let seq = 0;
  const unique = () => String(++seq);

  const baseline = (operation: string): Record<string, unknown> => {
    const input = (OPERATIONS as Record<string, { input?: string }>)[operation].input;
    if (!input) return {};
    return { ...(values.sample(input, 0, [input]) as Record<string, unknown>), ...overrides(operation, fx, unique) };
  };

  /** The baseline with `value` at `at` (creating minimal parents), or without the member there. */
  const withValue = (c: Constraint, value: unknown, onlyIfAbsent = false): Record<string, unknown> => {
    const inputShape = (OPERATIONS as Record<string, { input?: string }>)[c.operation].input!;
    const input = baseline(c.operation);
    for (const other of EXCLUSIVE[c.operation]?.[String(c.at[0])] ?? []) delete input[other];
    Object.assign(input, COMPANIONS[c.operation]?.[String(c.at[0])]);
    let container: any = input;
    let shapeName = inputShape;
    const stack = [inputShape];
    for (const seg of c.at.slice(0, -1)) {
      const child = childShape(shapeName, seg);
      if (container[seg] === undefined) container[seg] = values.sample(child, 0, stack);
      container = container[seg];
      shapeName = child;
      stack.push(child);
    }
    const last = c.at[c.at.length - 1];
    if (value === REMOVE) {
      if (c.location === "uri") container[last] = EMPTY_LABEL;
      else delete container[last];
    } else if (!(onlyIfAbsent && container[last] !== undefined)) {
      container[last] = c.location === "uri" && value === "" ? EMPTY_LABEL : value;
    }
    return input;
  };

  const listOf = (listShape: string, n: number) => {
    const { member } = SHAPES[listShape] as Shape<"list">;
    return Array.from({ length: n }, (_, i) => values.sample(member, i, [listShape]));
  };

  /**
   * Breaking values and a boundary value of one rule of a scalar shape. A
   * pattern that refuses the empty string, on a shape without a minimum
   * length, is broken twice: by a character it refuses, and by "".
   */
  const scalarValues = (shapeName: string, rule: Rule, bound: number | undefined): { broken: unknown[]; valid: unknown } => {
    const shape = SHAPES[shapeName];
    if (isNumberType(shape.type)) {
      const step = isIntegerType(shape.type) ? 1 : 0.5;
      return { broken: [rule === "min" ? bound! - step : bound! + step], valid: bound };
    }
    switch (rule) {
      case "min": {
        // The shortest valid value: `bound` characters, unless the pattern needs more ("arn:..." for a min of 1).
        let n = bound!;
        while (rulesBroken(shapeName, values.string(shapeName, n)).length > 0 && n < bound! + 64) n++;
        return { broken: [values.string(shapeName, bound! - 1)], valid: values.string(shapeName, n) };
      }
      case "max":
        return { broken: [values.string(shapeName, bound! + 1)], valid: values.string(shapeName, bound) };
      case "pattern": {
        const valid = values.string(shapeName);
        const broken: unknown[] = [breakPattern(shapeName, valid)];
        const emptyRefused = rulesBroken(shapeName, "").length === 1 && rulesBroken(shapeName, "")[0] === "pattern";
        if (emptyRefused && broken[0] !== "") broken.push("");
        return { broken, valid };
      }
      case "enum":
        return { broken: ["NOT_A_VALUE"], valid: (shape as StringShape).enum![0] };
      default:
        throw new Error(`no scalar values for rule ${rule}`);
    }
  };

  /**
   * The phrases that satisfy the expectation: the rule's own, and, when a
   * breaking value is the empty string (a min length of 1, an empty URI
   * label), whichever other rules of the shape "" breaks too.
   */
  const phrases = (shapeName: string, rule: Rule, broken: readonly unknown[], location: MemberLocation): string[] => {
    const shape = SHAPES[shapeName];
    const out = [phrase(shape, rule)];
    const empty = broken.includes("") || (rule === "required" && location === "uri");
    if (empty && shape.type === "string") for (const r of rulesBroken(shapeName, "")) out.push(phrase(shape, r));
    return [...new Set(out)];
  };

  /** Checks that each breaking value breaks the rule (and, unless it is "", only that rule) and the valid one breaks none. */
  const verify = (c: Constraint, shapeName: string, broken: readonly unknown[], valid: unknown) => {
    const v = rulesBroken(shapeName, valid);
    for (const value of broken) {
      const b = rulesBroken(shapeName, value);
      // A pattern that bounds the length itself (ClientToken: \S{36,64}) is broken with the length: no value breaks one alone.
      const boundsLength =
        (c.rule === "min" || c.rule === "max") && patternBoundsLength(shapeName) && b.every((r) => r === c.rule || r === "pattern");
      const onlyRule = value === "" || (b.length === 1 && b[0] === c.rule) || boundsLength;
      if (!b.includes(c.rule) || !onlyRule || v.length > 0) {
        throw new Error(
          `${c.id}: bad values ${JSON.stringify(value).slice(0, 80)} (breaks ${b}) / ${JSON.stringify(valid).slice(0, 80)} (breaks ${v})`,
        );
      }
    }
  };

  const caseOf = (c: Constraint): ConformanceCase => {
    if (c.rule === "required") {
      return {
        constraint: c,
        broken: [withValue(c, REMOVE)],
        valid: withValue(c, values.sample(c.shape), true),
        expect: { path: c.path, phrases: phrases(c.shape, "required", [], c.location) },
      };
    }
    const shape = SHAPES[c.shape];
    if (c.target === "member" && (shape.type === "list" || shape.type === "map")) {
      const make = (n: number) =>
        shape.type === "list"
          ? listOf(c.shape, n)
          : Object.fromEntries(Array.from({ length: n }, (_, i) => [values.string(shape.key, undefined) + i, values.sample(shape.value)]));
      const broken = make(c.rule === "min" ? c.bound! - 1 : c.bound! + 1);
      const valid = make(c.bound!);
      verify(c, c.shape, [broken], valid);
      return {
        constraint: c,
        broken: [withValue(c, broken)],
        valid: withValue(c, valid),
        expect: { path: c.path, phrases: [phrase(shape, c.rule)] },
      };
    }
    if (c.target === "member") {
      const { broken, valid } = scalarValues(c.shape, c.rule, c.bound);
      verify(c, c.shape, broken, valid);
      return {
        constraint: c,
        broken: broken.map((b) => withValue(c, b)),
        valid: withValue(c, valid),
        expect: { path: c.path, phrases: phrases(c.shape, c.rule, broken, c.location) },
      };
    }
    // A map's key or value.
    const map = shape as Shape<"map">;
    const partShape = c.target === "key" ? map.key : map.value;
    const { broken, valid } = scalarValues(partShape, c.rule, c.bound);
    verify(c, partShape, broken, valid);
    const entry = (part: unknown) =>
      c.target === "key" ? { [part as string]: values.sample(map.value) } : { [values.string(map.key)]: part };
    return {
      constraint: c,
      broken: broken.map((b) => withValue(c, entry(b))),
      valid: withValue(c, entry(valid)),
      expect: { path: c.path, map: c.target === "key" ? "keys" : "value", phrases: phrases(partShape, c.rule, broken, "body") },
    };
  };

  return { baseline, caseOf };
}
