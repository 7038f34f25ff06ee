/**
 * State a deploy or a destroy cannot read, on S3 (issue 24): an object that
 * holds `null`, a state whose `output` is null, in the stage or in a nested
 * scope. S3StateStore reads every state of the stage before a deploy's first
 * change and a destroy's first delete, and the run stops naming each object
 * and its resource: nothing is deleted (a destroy used to delete the others
 * first, then fail on `resource "undefined"`). A real S3 server (moto,
 * test/support/s3.ts), the real Alchemy runtime and a local IoT endpoint.
 */
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { ListJobTemplatesCommand } from "@aws-sdk/client-iot";
import alchemy, { type Scope } from "alchemy";
import { S3StateStore } from "alchemy-iot-jobs/state";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { S3StateError } from "../../src/runtime/state/s3-client.ts";
import { forgetS3Clients } from "../../src/runtime/state/s3-client.ts";
import { JobTemplate } from "../../src/index.ts";
import { startS3 } from "../support/s3.ts";
import { createStack } from "../support/stack.ts";

const s3 = await startS3();
const BUCKET = "iot-jobs-bad-state";
const STAGE = "prod";
const ENV = ["AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] as const;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  if (!s3) return;
  for (const name of ENV) saved[name] = process.env[name];
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
  });
  await s3.createBucket(BUCKET);
});

afterAll(async () => {
  forgetS3Clients();
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await s3?.stop();
});

const store = { stateStore: (scope: Scope) => new S3StateStore(scope, { bucketName: BUCKET }) };

const program = async () => {
  for (let i = 0; i < 10; i++) await JobTemplate(`g${i}`, { description: "v1", document: { op: "x" } });
  await alchemy.run("eu", async () => {
    await JobTemplate("inner", { description: "v1", document: { op: "x" } });
  });
};

describe.skipIf(!s3)("S3StateStore: state that cannot be read", () => {
  test("an object holding null and an output that is null: the deploy and the destroy refuse, naming both; nothing is deleted", async () => {
    const stack = await createStack({ stage: STAGE });
    const at = `alchemy/${stack.app}/${STAGE}/`;
    const templates = async () => (await stack.client.send(new ListJobTemplatesCommand({}))).jobTemplates ?? [];
    const put = (key: string, body: string) => s3!.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    try {
      await stack.deploy(program, store);
      expect(await templates()).toHaveLength(11);
      const inner = await (await s3!.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${at}eu/inner` }))).Body!.transformToString();
      await put(`${at}eu/inner`, JSON.stringify({ ...JSON.parse(inner), output: null }));
      await put(`${at}g4`, "null");

      stack.local.resetStats();
      s3!.resetRequests();
      const deployed = (await stack.deploy(program, store).catch((e: unknown) => e)) as Error;
      expect(deployed).toBeInstanceOf(S3StateError);
      expect(deployed.message).toContain(`2 of Alchemy's state objects of stage "${STAGE}" of app "${stack.app}" cannot be read:`);
      expect(deployed.message).toContain(
        `  - s3://${BUCKET}/${at}eu/inner records null as the resource's "output", where its attributes (its id, ARN, location) belong (the state of ${stack.app}/${STAGE}/eu/inner)`,
      );
      expect(deployed.message).toContain(
        `  - s3://${BUCKET}/${at}g4 holds null, not a resource's state (a JSON object) (the state of ${stack.app}/${STAGE}/g4)`,
      );
      expect(deployed.message).toContain("So the stage cannot be deployed: nothing was changed");
      expect(deployed.message).toContain("Restore them (from the bucket's versions or a backup)");

      const destroyed = (await stack.destroy(store).catch((e: unknown) => e)) as Error;
      expect(destroyed).toBeInstanceOf(S3StateError);
      expect(destroyed.message).toContain("So the stage cannot be destroyed: nothing was deleted");
      expect(stack.local.stats().requests).toBe(0);
      expect(s3!.writes().filter((w) => !w.path.includes("/.locks/"))).toEqual([]);
      expect(await templates()).toHaveLength(11);
    } finally {
      await stack.close();
    }
  });
});
