/** `alchemy-iot-jobs import-stack`: declarations for a CloudFormation stack's IoT software packages, package versions, job templates and jobs. */
import fs from "node:fs";
import path from "node:path";
import { parseOptions, type Command } from "./args.ts";
import { stopEmbeddedEndpoints } from "../provider/location.ts";
import { importStack, type ImportedType, type StackImport } from "../cloudformation/import-stack.ts";

const usage = `Usage: alchemy-iot-jobs import-stack <stack-name> [options]

Reads the AWS::IoT::SoftwarePackage, AWS::IoT::SoftwarePackageVersion,
AWS::IoT::JobTemplate and AWS::IoT::Job resources of a CloudFormation stack
(read calls only) and writes a TypeScript module that declares them with their
live configuration and adopt: true, so that the first deploy takes them over
without changing anything. See docs/migrating-from-cloudformation.md.

Options:
  --out <file>            Write the module to this file (default: stdout)
  --force                 Overwrite --out if it exists
  --style <style>         api (the main API's names) or cloudformation
                          (PascalCase, for alchemy-iot-jobs/cloudformation)  [default: api]
  --package <name>        Package the module imports from                    [default: alchemy-iot-jobs]
  --region <region>       AWS region                                         [default: the SDK's]
  --profile <name>        AWS profile
  --endpoint <url>        Send the calls to this endpoint (e.g. a standalone local endpoint)
  --local                 Use the embedded local endpoint (same as ALCHEMY_IOT_LOCAL=1)`;

/** How the summary counts each type. */
const COUNTED: Record<ImportedType, string> = {
  "AWS::IoT::SoftwarePackage": "software package(s)",
  "AWS::IoT::SoftwarePackageVersion": "package version(s)",
  "AWS::IoT::JobTemplate": "job template(s)",
  "AWS::IoT::Job": "job(s)",
};

/** "1 software package(s), 2 package version(s), 3 job template(s) and 1 job(s)": the catalog's types only when the stack has any. */
function importCounts(result: Pick<StackImport, "resources">): string {
  const counts = Object.entries(COUNTED).flatMap(([type, noun]) => {
    const n = result.resources.filter((r) => r.type === type).length;
    return n === 0 && type.startsWith("AWS::IoT::SoftwarePackage") ? [] : [`${n} ${noun}`];
  });
  return `${counts.slice(0, -1).join(", ")} and ${counts[counts.length - 1]}`;
}

export const importStackCommand: Command = {
  summary: "Generate declarations (with adopt: true) for a CloudFormation stack's IoT software packages, job templates and jobs.",
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      {
        out: { type: "string" },
        force: { type: "boolean" },
        style: { type: "string", default: "api" },
        package: { type: "string" },
        region: { type: "string" },
        profile: { type: "string" },
        endpoint: { type: "string" },
        local: { type: "boolean" },
      },
      true,
    );
    if (positionals.length !== 1) {
      console.error(`Expected one stack name, got ${positionals.length === 0 ? "none" : positionals.join(" ")}.\n\n${usage}`);
      return 1;
    }
    const style = values.style as "api" | "cloudformation";
    if (style !== "api" && style !== "cloudformation") {
      console.error(`--style must be api or cloudformation, not "${values.style}".`);
      return 1;
    }
    const out = values.out ? path.resolve(values.out) : undefined;
    if (out && fs.existsSync(out) && !values.force) {
      console.error(`${path.relative(process.cwd(), out)} exists; pass --force to overwrite it.`);
      return 1;
    }
    try {
      const result = await importStack({
        stackName: positionals[0],
        style,
        packageName: values.package,
        region: values.region,
        profile: values.profile,
        endpoint: values.endpoint,
        ...(values.local ? { local: true } : {}),
      });
      if (out) {
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(out, result.code);
      } else {
        process.stdout.write(result.code);
      }
      console.error(
        `Imported ${importCounts(result)} from stack ${result.stackName}${out ? ` into ${path.relative(process.cwd(), out)}` : ""}.` +
          (result.skipped.length > 0 ? ` Skipped ${result.skipped.length} resource(s) of other types.` : ""),
      );
      for (const w of result.warnings) console.error(`warning: ${w}`);
      return 0;
    } catch (error) {
      console.error(error instanceof Error ? error.message : error);
      return 1;
    } finally {
      await stopEmbeddedEndpoints();
    }
  },
};
