/** Intrinsic functions: Ref, Fn::GetAtt, Fn::Sub, Fn::Join and the pseudo parameters, resolved against a stack's created resources. */
import type { World } from "../state/world.ts";
import { isObject } from "./parser.ts";
import { fail } from "./types.ts";

// ---------------------------------------------------------------- intrinsics

const NO_VALUE = Symbol("AWS::NoValue");

export interface ResolveContext {
  world: World;
  stackName: string;
  stackId: string;
  /** Created resources by logical id. */
  resources: Map<string, { ref: string; attributes: Record<string, string> }>;
}

function pseudo(ctx: ResolveContext, name: string): string | typeof NO_VALUE {
  switch (name) {
    case "AWS::Region":
      return ctx.world.region;
    case "AWS::AccountId":
      return ctx.world.accountId;
    case "AWS::StackName":
      return ctx.stackName;
    case "AWS::StackId":
      return ctx.stackId;
    case "AWS::Partition":
      return "aws";
    case "AWS::URLSuffix":
      return "amazonaws.com";
    default:
      return NO_VALUE;
  }
}

/** Resolves Ref, Fn::GetAtt, Fn::Sub and Fn::Join (the template was checked by parseTemplate). */
export function resolve(value: unknown, ctx: ResolveContext): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, ctx)).filter((v) => v !== NO_VALUE);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === "Ref" || keys[0].startsWith("Fn::"))) {
    const arg = value[keys[0]];
    switch (keys[0]) {
      case "Ref":
        return refValue(ctx, arg as string);
      case "Fn::GetAtt": {
        const [name, attribute] = typeof arg === "string" ? [arg.split(".")[0], arg.split(".").slice(1).join(".")] : (arg as string[]);
        return attributeValue(ctx, name, attribute);
      }
      case "Fn::Sub": {
        const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
        const values: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(vars)) values[k] = resolve(v, ctx);
        return text.replace(/\$\{([^}]*)\}/g, (_whole, inner: string) => {
          const name = inner.trim();
          if (name.startsWith("!")) return `\${${inner.slice(inner.indexOf("!") + 1)}}`;
          if (name in values) return scalar(values[name], `Fn::Sub variable ${name}`);
          const dot = name.indexOf(".");
          return dot === -1 ? scalar(refValue(ctx, name), `\${${name}}`) : attributeValue(ctx, name.slice(0, dot), name.slice(dot + 1));
        });
      }
      case "Fn::Join": {
        const [delimiter, items] = arg as [string, unknown[]];
        const resolved = resolve(items, ctx);
        if (!Array.isArray(resolved)) return fail("Fn::Join: the values must be a list.");
        return resolved.map((v) => scalar(v, "a value of Fn::Join")).join(delimiter);
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = resolve(v, ctx);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

export function scalar(value: unknown, what: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return fail(`Template error: ${what} must resolve to a string, not ${JSON.stringify(value)}.`);
}

function refValue(ctx: ResolveContext, name: string): string | typeof NO_VALUE {
  if (name.startsWith("AWS::")) return pseudo(ctx, name);
  const resource = ctx.resources.get(name);
  if (!resource) return fail(`Template format error: Unresolved resource dependencies [${name}] in the Resources block of the template`);
  return resource.ref;
}

function attributeValue(ctx: ResolveContext, name: string, attribute: string): string {
  const value = ctx.resources.get(name)?.attributes[attribute];
  if (value === undefined) {
    return fail(`Template error: resource ${name} does not support attribute type ${attribute} in Fn::GetAtt`);
  }
  return value;
}
