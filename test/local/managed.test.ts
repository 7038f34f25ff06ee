import {
  CreateJobCommand,
  CreateJobTemplateCommand,
  DescribeJobCommand,
  DescribeManagedJobTemplateCommand,
  GetJobDocumentCommand,
  InvalidRequestException,
  ListManagedJobTemplatesCommand,
  ResourceNotFoundException,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { DOC, createThings, expectError, iotClient } from "./helpers.ts";

/** The reference catalogue the emulator serves (the fact sheet's data file). */
const CATALOGUE: Array<{
  templateName: string;
  templateVersion: string;
  description: string;
  environments: string[];
  documentParameters: Array<{ key: string; description: string | null; regex: string | null; example: string | null; optional: boolean }>;
  document: string;
}> = JSON.parse(readFileSync(new URL("../../src/local/data/managed-job-templates.json", import.meta.url), "utf8"));

const NAMES = [
  "AWS-Download-File",
  "AWS-Install-Application",
  "AWS-Reboot",
  "AWS-Remove-Application",
  "AWS-Restart-Application",
  "AWS-Run-Command",
  "AWS-Start-Application",
  "AWS-Stop-Application",
];

let local: LocalIoT;
let iot: IoTClient;
let thing: string;
beforeAll(async () => {
  local = await startLocalIoT({ port: 0, region: "eu-west-1" });
  iot = iotClient(local);
  thing = (await createThings(iot, ["m-thing"])).thingArns[0];
});
afterAll(() => local.stop());

const arnOf = (name: string, version = "1.0") => `arn:aws:iot:eu-west-1::jobtemplate/${name}:${version}`;

describe("ListManagedJobTemplates / DescribeManagedJobTemplate", () => {
  test("lists all 8 published templates, with ARNs that have an empty account field", async () => {
    const out = await iot.send(new ListManagedJobTemplatesCommand({}));
    expect(out.managedJobTemplates!.map((t) => t.templateName).sort()).toEqual(NAMES);
    expect(out.nextToken).toBeUndefined();
    for (const t of out.managedJobTemplates!) {
      expect(t).toEqual({
        templateArn: arnOf(t.templateName!),
        templateName: t.templateName,
        description: CATALOGUE.find((c) => c.templateName === t.templateName)!.description,
        environments: ["LINUX"],
        templateVersion: "1.0",
      });
    }
  });

  test("filters by templateName; an unknown name is a 404", async () => {
    const out = await iot.send(new ListManagedJobTemplatesCommand({ templateName: "AWS-Reboot" }));
    expect(out.managedJobTemplates!.map((t) => `${t.templateName}:${t.templateVersion}`)).toEqual(["AWS-Reboot:1.0"]);
    await expectError(
      iot.send(new ListManagedJobTemplatesCommand({ templateName: "AWS-Nope" })),
      ResourceNotFoundException,
      404,
      "AWS-Nope",
    );
  });

  test.each(NAMES)("describes %s: document, parameters and default version", async (name) => {
    const expected = CATALOGUE.find((c) => c.templateName === name)!;
    const versioned = await iot.send(new DescribeManagedJobTemplateCommand({ templateName: name, templateVersion: "1.0" }));
    expect(versioned).toMatchObject({
      templateName: name,
      templateArn: arnOf(name),
      templateVersion: "1.0",
      description: expected.description,
      environments: ["LINUX"],
      document: expected.document,
    });
    expect(versioned.documentParameters).toEqual(
      expected.documentParameters.map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== null))),
    );
    // Without templateVersion: the default version.
    const byDefault = await iot.send(new DescribeManagedJobTemplateCommand({ templateName: name }));
    expect(byDefault.templateVersion).toBe("1.0");
    expect(byDefault.document).toBe(versioned.document);
  });

  test("an unknown name or version is a 404; a malformed version is a 400", async () => {
    await expectError(
      iot.send(new DescribeManagedJobTemplateCommand({ templateName: "AWS-Nope" })),
      ResourceNotFoundException,
      404,
      "AWS-Nope",
    );
    await expectError(
      iot.send(new DescribeManagedJobTemplateCommand({ templateName: "AWS-Reboot", templateVersion: "2.0" })),
      ResourceNotFoundException,
      404,
      "AWS-Reboot version 2.0",
    );
    await expectError(
      iot.send(new DescribeManagedJobTemplateCommand({ templateName: "AWS-Reboot", templateVersion: "latest" })),
      InvalidRequestException,
      400,
      "templateVersion",
    );
  });
});

describe("CreateJob from a managed template", () => {
  test('substitutes parameters in GetJobDocument (JSON-escaped; omitted optional ones become "")', async () => {
    const documentParameters = { downloadUrl: 'https://example.com/a "quoted" file', filePath: "/tmp/a\\b" };
    await iot.send(
      new CreateJobCommand({
        jobId: "download",
        targets: [thing],
        jobTemplateArn: arnOf("AWS-Download-File"),
        documentParameters,
      }),
    );
    const { job } = await iot.send(new DescribeJobCommand({ jobId: "download" }));
    expect(job).toMatchObject({ jobTemplateArn: arnOf("AWS-Download-File"), documentParameters });

    const { document } = await iot.send(new GetJobDocumentCommand({ jobId: "download" }));
    const parsed = JSON.parse(document!);
    const action = parsed.steps[0].action;
    expect(action.input.args).toEqual([documentParameters.downloadUrl, documentParameters.filePath]);
    expect(action.input.path).toBe("");
    expect(action.runAsUser).toBe("");
    expect(document).not.toContain("${aws:iot:parameter:");

    const raw = await iot.send(new GetJobDocumentCommand({ jobId: "download", beforeSubstitution: true }));
    expect(raw.document).toBe(CATALOGUE.find((c) => c.templateName === "AWS-Download-File")!.document);
  });

  test("AWS-Reboot needs no parameter; optional ones are substituted when given", async () => {
    await iot.send(new CreateJobCommand({ jobId: "reboot", targets: [thing], jobTemplateArn: arnOf("AWS-Reboot") }));
    await iot.send(
      new CreateJobCommand({
        jobId: "reboot-as",
        targets: [thing],
        jobTemplateArn: arnOf("AWS-Reboot"),
        documentParameters: { runAsUser: "root", pathToHandler: "/opt/handlers" },
      }),
    );
    const doc = JSON.parse((await iot.send(new GetJobDocumentCommand({ jobId: "reboot-as" }))).document!);
    expect(doc.steps[0].action.runAsUser).toBe("root");
    expect(doc.steps[0].action.input.path).toBe("/opt/handlers");
  });

  test("a missing required parameter is a 400 naming it", async () => {
    await expectError(
      iot.send(
        new CreateJobCommand({
          jobId: "dl-missing",
          targets: [thing],
          jobTemplateArn: arnOf("AWS-Download-File"),
          documentParameters: { downloadUrl: "https://example.com/x" },
        }),
      ),
      InvalidRequestException,
      400,
      "'filePath'",
    );
    await expectError(
      iot.send(new CreateJobCommand({ jobId: "cmd-missing", targets: [thing], jobTemplateArn: arnOf("AWS-Run-Command") })),
      InvalidRequestException,
      400,
      "'command'",
    );
  });

  test("an unknown key is a 400 naming it (AWS-Run-Command has no pathToHandler)", async () => {
    await expectError(
      iot.send(
        new CreateJobCommand({
          jobId: "cmd-unknown",
          targets: [thing],
          jobTemplateArn: arnOf("AWS-Run-Command"),
          documentParameters: { command: "ls", pathToHandler: "/x" },
        }),
      ),
      InvalidRequestException,
      400,
      "'pathToHandler'",
    );
  });

  test("a value must match the parameter's regex as a whole", async () => {
    // runAsUser: (.){0,256} — 257 characters contain a matching prefix but do not match as a whole.
    await expectError(
      iot.send(
        new CreateJobCommand({
          jobId: "reboot-long-user",
          targets: [thing],
          jobTemplateArn: arnOf("AWS-Reboot"),
          documentParameters: { runAsUser: "u".repeat(257) },
        }),
      ),
      InvalidRequestException,
      400,
      "'runAsUser'",
    );
    await iot.send(
      new CreateJobCommand({
        jobId: "reboot-256-user",
        targets: [thing],
        jobTemplateArn: arnOf("AWS-Reboot"),
        documentParameters: { runAsUser: "u".repeat(256) },
      }),
    );
  });

  test("parameter keys and values follow the model's constraints", async () => {
    await expectError(
      iot.send(
        new CreateJobCommand({
          jobId: "bad-key",
          targets: [thing],
          jobTemplateArn: arnOf("AWS-Reboot"),
          documentParameters: { "run as": "x" },
        }),
      ),
      InvalidRequestException,
      400,
      "documentParameters",
    );
    await expectError(
      iot.send(
        new CreateJobCommand({
          jobId: "empty-value",
          targets: [thing],
          jobTemplateArn: arnOf("AWS-Reboot"),
          documentParameters: { runAsUser: "" },
        }),
      ),
      InvalidRequestException,
      400,
      "at 'documentParameters'",
      "Map value must satisfy constraint: [Member must have length greater than or equal to 1",
    );
  });

  test("documentParameters with a custom template, or with no template, is a 400", async () => {
    const { jobTemplateArn } = await iot.send(new CreateJobTemplateCommand({ jobTemplateId: "custom", description: "d", document: DOC }));
    await expectError(
      iot.send(new CreateJobCommand({ jobId: "custom-params", targets: [thing], jobTemplateArn, documentParameters: { runAsUser: "x" } })),
      InvalidRequestException,
      400,
      "Document parameters are only supported for managed job templates",
    );
    await expectError(
      iot.send(new CreateJobCommand({ jobId: "plain-params", targets: [thing], document: DOC, documentParameters: { a: "b" } })),
      InvalidRequestException,
      400,
      "documentParameters",
    );
  });

  test("an unknown managed template or version is a 404", async () => {
    await expectError(
      iot.send(
        new CreateJobCommand({
          jobId: "managed-v2",
          targets: [thing],
          jobTemplateArn: arnOf("AWS-Reboot", "2.0"),
          documentParameters: { runAsUser: "root" },
        }),
      ),
      ResourceNotFoundException,
      404,
      "AWS-Reboot",
    );
    await expectError(
      iot.send(new CreateJobCommand({ jobId: "managed-nope", targets: [thing], jobTemplateArn: arnOf("AWS-Nope") })),
      ResourceNotFoundException,
      404,
      "AWS-Nope",
    );
  });

  test("a template can be made from a job that came from a managed template", async () => {
    const jobArn = (await iot.send(new DescribeJobCommand({ jobId: "reboot" }))).job!.jobArn!;
    await iot.send(new CreateJobTemplateCommand({ jobTemplateId: "from-managed-job", description: "copy", jobArn }));
  });
});
