/**
 * Valid values of the AWS IoT service model's shapes for the conformance
 * test's requests (test/model/conformance.test.ts): strings of a given length
 * that satisfy a shape's pattern, samples of any shape (structures with their
 * required members), and strings that break only a pattern.
 */
import { SHAPES } from "../../src/api/model/iot.generated.ts";
import { wholeMatch, type StringShape } from "./model-constraints.ts";

/** Resources the endpoint holds before the cases run, so that valid requests can name them. */
export interface Fixtures {
  thingName: string;
  thingArn: string;
  thingGroupName: string;
  jobId: string;
  jobArn: string;
  jobTemplateId: string;
  jobTemplateArn: string;
  managedTemplateName: string;
  /** A software package with a PUBLISHED version (`versionName`) and a DRAFT one (`draftVersionName`). */
  packageName: string;
  versionName: string;
  draftVersionName: string;
}

/**
 * Seed values for strings whose pattern or meaning needs structure; padded or
 * cut to a length as needed. Names of things, groups, jobs and templates are
 * not seeded with the fixtures' names, so that the cases of operations that
 * delete or cancel never touch the fixtures.
 */
function seeds(fx: Fixtures): Record<string, string> {
  return {
    TargetArn: fx.thingArn,
    ResourceArn: fx.jobArn,
    JobTemplateArn: fx.jobTemplateArn,
    PackageVersionArn: "arn:aws:iot:us-east-1:123456789012:package/conformance/version/1.0.0",
    RoleArn: "arn:aws:iam::123456789012:role/conformance",
    JobDocumentSource: "https://s3.amazonaws.com/conformance-bucket/job-document.json",
    StringDateTime: "2099-01-01T00:00",
    CronExpression: "cron(0 2 ? * MON *)",
    ManagedTemplateVersion: "1.0",
    ManagedJobTemplateName: fx.managedTemplateName,
    ClientToken: "00000000-0000-4000-8000-000000000000",
  };
}

/** A JSON job document of exactly `length` characters (at least 2). */
export function jsonDocument(length?: number): string {
  const doc = JSON.stringify({ operation: "conformance" });
  if (length === undefined) return doc;
  if (length < 8) return `{}${" ".repeat(Math.max(0, length - 2))}`;
  return `{"a":"${"x".repeat(length - 8)}"}`;
}

/** Characters tried, in order, to pad a valid value. */
const PAD_CANDIDATES = ["a", "x", "A", "1", "0", "_", "-"];
/** Characters tried, in order, to break a pattern (a URI label percent-encodes them). */
const BREAK_CANDIDATES = [" ", "!", "\u0001", "é", "/", "~", "a", "A", "1", "."];

export interface ValueMaker {
  /** A valid string of the shape, of `length` characters if given. */
  string(shapeName: string, length?: number): string;
  /** A valid value of the shape; for structures their required members (recursively); `variant` varies enum values. */
  sample(shapeName: string, variant?: number, stack?: readonly string[]): unknown;
}

export function valueMaker(fx: Fixtures): ValueMaker {
  const seed = seeds(fx);
  const padChars = new Map<string, string>();

  const padChar = (shapeName: string, base: string): string => {
    const shape = SHAPES[shapeName] as StringShape;
    if (shape.pattern === undefined) return "a";
    let c = padChars.get(shapeName);
    if (c === undefined) {
      const re = wholeMatch(shape.pattern);
      c = PAD_CANDIDATES.find((p) => re.test(base + p) && re.test(base + p.repeat(3)));
      if (c === undefined) throw new Error(`no padding character found for ${shapeName} (${shape.pattern})`);
      padChars.set(shapeName, c);
    }
    return c;
  };

  const string = (shapeName: string, length?: number): string => {
    const shape = SHAPES[shapeName] as StringShape;
    if (shape.enum) return shape.enum[0];
    if (shapeName === "JobDocument") return jsonDocument(length);
    const base = seed[shapeName] ?? "";
    const n = length ?? Math.max(shape.min ?? 0, base.length, 1);
    if (base.length >= n) return base.slice(0, n);
    return base + padChar(shapeName, base).repeat(n - base.length);
  };

  const sample = (shapeName: string, variant = 0, stack: readonly string[] = []): unknown => {
    const shape = SHAPES[shapeName];
    switch (shape.type) {
      case "string":
        return shape.enum ? shape.enum[variant % shape.enum.length] : string(shapeName);
      case "integer":
      case "long":
      case "double":
      case "float":
        return Math.min(Math.max(1, shape.min ?? -Infinity), shape.max ?? Infinity);
      case "boolean":
        return false;
      case "timestamp":
        return new Date(0);
      case "blob":
        return new Uint8Array();
      case "list": {
        const n = Math.min(Math.max(shape.min ?? 0, 1), shape.max ?? Infinity);
        return Array.from({ length: n }, (_, i) => sample(shape.member, variant + i, [...stack, shapeName]));
      }
      case "map":
        return { [string(shape.key)]: sample(shape.value, variant, [...stack, shapeName]) };
      case "structure": {
        // A copy: cases change the members of their own request.
        const out: Record<string, unknown> = structuredClone(STRUCTURE_EXTRAS[shapeName] ?? {});
        for (const name of shape.required ?? []) {
          const member = shape.members[name];
          if (!stack.includes(member.shape)) out[name] = sample(member.shape, variant, [...stack, shapeName]);
        }
        return out;
      }
    }
  };
  return { string, sample };
}

/**
 * Members a structure needs beyond what the model requires, by the service's
 * rules between members (an exponential rollout rate needs one of its two
 * criteria; an SBOM, its S3 location).
 */
const STRUCTURE_EXTRAS: Record<string, Record<string, unknown>> = {
  RateIncreaseCriteria: { numberOfNotifiedThings: 1 },
  // An SBOM names the object it is read from.
  Sbom: { s3Location: { bucket: "conformance-bucket", key: "sbom.spdx.json" } },
};

/** A string of the shape, of `length` characters, that breaks its pattern (and nothing else). */
export function breakPattern(shapeName: string, valid: string): string {
  const shape = SHAPES[shapeName] as StringShape;
  const re = wholeMatch(shape.pattern!);
  for (const c of BREAK_CANDIDATES) {
    for (let i = valid.length - 1; i >= 0; i--) {
      const v = valid.slice(0, i) + c + valid.slice(i + 1);
      if (!re.test(v)) return v;
    }
  }
  throw new Error(`no value breaking ${shapeName}'s pattern ${shape.pattern} found`);
}
