/**
 * Reading CloudFormation template text: JSON, or YAML with CloudFormation's
 * short-form intrinsic tags (`!Ref X`, `!GetAtt X.Arn`, `!Sub ...`), which a
 * plain YAML parser rejects. Each tag becomes its long form
 * (`{ "Fn::GetAtt": ["X", "Arn"] }`), as CloudFormation itself reads it.
 */
import { createRequire } from "node:module";
import type YAML from "yaml";

/** Short-form tag -> long-form intrinsic. */
const SHORT_FORMS: Record<string, string> = {
  "!Ref": "Ref",
  "!GetAtt": "Fn::GetAtt",
  "!Sub": "Fn::Sub",
  "!Join": "Fn::Join",
  "!Base64": "Fn::Base64",
  "!Cidr": "Fn::Cidr",
  "!FindInMap": "Fn::FindInMap",
  "!GetAZs": "Fn::GetAZs",
  "!ImportValue": "Fn::ImportValue",
  "!Select": "Fn::Select",
  "!Split": "Fn::Split",
  "!Transform": "Fn::Transform",
  "!If": "Fn::If",
  "!Equals": "Fn::Equals",
  "!And": "Fn::And",
  "!Or": "Fn::Or",
  "!Not": "Fn::Not",
  "!Condition": "Condition",
  "!Length": "Fn::Length",
  "!ToJsonString": "Fn::ToJsonString",
};

/**
 * The `yaml` package, with custom tags for every short form (scalar, sequence
 * and mapping). Loaded on the first YAML template: the local endpoint, which
 * every local deploy starts, seldom parses one.
 */
let yaml: { YAML: typeof YAML; tags: YAML.Tags } | undefined;
function loadYaml(): { YAML: typeof YAML; tags: YAML.Tags } {
  if (yaml) return yaml;
  const lib = createRequire(import.meta.url)("yaml") as typeof YAML;
  const tags: YAML.Tags = Object.entries(SHORT_FORMS).flatMap(([tag, name]): YAML.Tags => [
    {
      tag,
      resolve: (text: string) =>
        // `!GetAtt A.Arn` is `Fn::GetAtt: [A, Arn]`; the attribute may itself contain dots.
        name === "Fn::GetAtt" ? { [name]: [text.split(".")[0], text.split(".").slice(1).join(".")] } : { [name]: text },
    },
    { tag, collection: "seq", resolve: (node) => ({ [name]: node.toJSON() }) },
    { tag, collection: "map", resolve: (node) => ({ [name]: node.toJSON() }) },
  ]);
  yaml = { YAML: lib, tags };
  return yaml;
}

/** Template text is JSON when it starts with `{` (CloudFormation's own rule of thumb); YAML otherwise. */
const looksLikeJson = (text: string) => /^\s*[{[]/.test(text);

/**
 * Parses template text. Throws an Error whose message starts with
 * "Template format error:" when the text is not well-formed.
 */
export function parseTemplateBody(text: string): unknown {
  if (looksLikeJson(text)) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`Template format error: JSON not well-formed: ${(error as Error).message}`);
    }
  }
  const { YAML: lib, tags } = loadYaml();
  const parsed = lib.parseDocument(text, { customTags: tags, logLevel: "silent", uniqueKeys: true });
  const problem = parsed.errors[0] ?? parsed.warnings[0];
  if (problem) throw new Error(`Template format error: YAML not well-formed: ${problem.message.split("\n")[0].replace(/:$/, "")}.`);
  return parsed.toJSON();
}
