/**
 * Derives the model table (src/api/model/iot.generated.ts) from the committed
 * copy of the AWS IoT service model (model/iot-2015-05-28.json): for every
 * operation the local endpoint serves, its HTTP binding, its errors, and the
 * shapes of its input and output with their constraints (required members,
 * lengths, patterns, enums, ranges, list and map sizes).
 *
 *   npm run model:generate        rewrite the table
 *
 * test/model/table.test.ts fails when the committed table is not what this
 * script makes of the committed model.
 */
import { createHash } from "node:crypto";
import type { ModelMember, ModelOperation, ModelShape } from "../../src/api/model/types.ts";
import { SERVED_OPERATIONS } from "../../src/api/model/served.ts";

export const MODEL_FILE = "model/iot-2015-05-28.json";
export const TABLE_FILE = "src/api/model/iot.generated.ts";
export const ORIGIN =
  "botocore, botocore/data/iot/2015-05-28/service-2.json (the AWS IoT service model, API version 2015-05-28; model last changed 2026-06-02)";

interface RawShape {
  type: string;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  required?: string[];
  members?: Record<string, { shape: string; location?: string; locationName?: string; deprecated?: boolean }>;
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  error?: { httpStatusCode: number };
  exception?: boolean;
}

interface RawModel {
  metadata: { apiVersion: string };
  operations: Record<string, { http: { method: string; requestUri: string; responseCode?: number }; input?: { shape: string }; output?: { shape: string }; errors?: Array<{ shape: string }> }>;
  shapes: Record<string, RawShape>;
}

/**
 * Java's regular expressions (the service validates with them) as JavaScript
 * ones with the `u` flag. Java's POSIX classes (\p{Upper}, \p{Digit},
 * \p{Graph}...) are ASCII-only; the Unicode categories (\p{L}, \p{C}...) mean
 * the same in both.
 */
const POSIX: Record<string, string> = {
  Lower: "a-z",
  Upper: "A-Z",
  ASCII: "\\x00-\\x7F",
  Alpha: "a-zA-Z",
  Digit: "0-9",
  Alnum: "a-zA-Z0-9",
  Punct: "!-\\/:-@\\[-`{-~",
  Graph: "!-~",
  Print: " -~",
  Blank: " \\t",
  Cntrl: "\\x00-\\x1F\\x7F",
  XDigit: "0-9a-fA-F",
  Space: " \\t\\n\\x0B\\f\\r",
};

export function javaToJs(pattern: string): string {
  let out = "";
  let inClass = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const posix = /^\\p\{(\w+)\}/.exec(pattern.slice(i));
      if (posix && POSIX[posix[1]]) {
        out += inClass > 0 ? POSIX[posix[1]] : `[${POSIX[posix[1]]}]`;
        i += posix[0].length - 1;
        continue;
      }
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (c === "[") inClass++;
    else if (c === "]" && inClass > 0) inClass--;
    out += c;
  }
  // Validate: it must compile as a unicode-aware JavaScript expression.
  new RegExp(out, "u");
  return out;
}

function member(raw: NonNullable<RawShape["members"]>[string], name: string): ModelMember {
  const location = raw.location as ModelMember["location"] | undefined;
  const wire = raw.locationName && raw.locationName !== name ? raw.locationName : undefined;
  return {
    shape: raw.shape,
    ...(wire ? { wire } : {}),
    ...(location === "uri" || location === "querystring" || location === "header" ? { location } : {}),
    ...(raw.deprecated ? { deprecated: true } : {}),
  };
}

function shapeOf(raw: RawShape): ModelShape {
  const bounds = { ...(raw.min !== undefined ? { min: raw.min } : {}), ...(raw.max !== undefined ? { max: raw.max } : {}) };
  switch (raw.type) {
    case "string":
      return {
        type: "string",
        ...bounds,
        ...(raw.pattern !== undefined ? { pattern: javaToJs(raw.pattern), modelPattern: raw.pattern } : {}),
        ...(raw.enum ? { enum: raw.enum } : {}),
      };
    case "integer":
    case "long":
    case "double":
    case "float":
      return { type: raw.type, ...bounds };
    case "boolean":
    case "timestamp":
    case "blob":
      return { type: raw.type };
    case "structure":
      return {
        type: "structure",
        ...(raw.required?.length ? { required: raw.required } : {}),
        members: Object.fromEntries(Object.entries(raw.members ?? {}).map(([n, m]) => [n, member(m, n)])),
        ...(raw.error ? { error: { status: raw.error.httpStatusCode } } : {}),
      };
    case "list":
      return { type: "list", member: raw.member!.shape, ...bounds };
    case "map":
      return { type: "map", key: raw.key!.shape, value: raw.value!.shape, ...bounds };
    default:
      throw new Error(`shape type ${raw.type} is not handled`);
  }
}

/** The operations' table and every shape they reach (inputs, outputs, errors). */
export function derive(model: RawModel): { operations: Record<string, ModelOperation>; shapes: Record<string, ModelShape> } {
  const operations: Record<string, ModelOperation> = {};
  const shapes: Record<string, ModelShape> = {};
  const visit = (name: string) => {
    if (shapes[name]) return;
    const raw = model.shapes[name];
    if (!raw) throw new Error(`shape ${name} is not in the model`);
    const shape = shapeOf(raw);
    shapes[name] = shape;
    if (shape.type === "structure") for (const m of Object.values(shape.members)) visit(m.shape);
    else if (shape.type === "list") visit(shape.member);
    else if (shape.type === "map") {
      visit(shape.key);
      visit(shape.value);
    }
  };
  for (const name of SERVED_OPERATIONS) {
    const op = model.operations[name];
    if (!op) throw new Error(`operation ${name} is not in the model`);
    operations[name] = {
      method: op.http.method as ModelOperation["method"],
      uri: op.http.requestUri,
      status: op.http.responseCode ?? 200,
      ...(op.input ? { input: op.input.shape } : {}),
      ...(op.output ? { output: op.output.shape } : {}),
      errors: (op.errors ?? []).map((e) => e.shape),
    };
    if (op.input) visit(op.input.shape);
    if (op.output) visit(op.output.shape);
    for (const e of op.errors ?? []) visit(e.shape);
  }
  const sorted = Object.fromEntries(Object.keys(shapes).sort().map((k) => [k, shapes[k]]));
  return { operations, shapes: sorted };
}

/** The table's source text for the model file's text. */
export function generate(modelText: string): string {
  const model = JSON.parse(modelText) as RawModel;
  const { operations, shapes } = derive(model);
  const sha256 = createHash("sha256").update(modelText).digest("hex");
  const json = (v: unknown) => JSON.stringify(v);
  const lines = [
    "// Generated by `npm run model:generate` (tools/model/generate.ts) from " + MODEL_FILE + ". Do not edit.",
    'import type { ModelOperation, ModelShape, ModelSource } from "./types.ts";',
    "",
    `export const SOURCE: ModelSource = ${json({ file: MODEL_FILE, origin: ORIGIN, apiVersion: model.metadata.apiVersion, sha256 })};`,
    "",
    "export const OPERATIONS = {",
    ...Object.entries(operations).map(([n, o]) => `  ${n}: ${json(o)},`),
    "} as const satisfies Record<string, ModelOperation>;",
    "",
    "export const SHAPES: Readonly<Record<string, ModelShape>> = {",
    ...Object.entries(shapes).map(([n, s]) => `  ${n}: ${json(s)},`),
    "};",
    "",
  ];
  return lines.join("\n");
}

// `npm run model:generate`
if (import.meta.url === `file://${process.argv[1]}`) {
  const fs = await import("node:fs");
  fs.writeFileSync(TABLE_FILE, generate(fs.readFileSync(MODEL_FILE, "utf8")));
  console.log(`Wrote ${TABLE_FILE} from ${MODEL_FILE}.`);
}
