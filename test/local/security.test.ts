import {
  CreateJobTemplateCommand,
  DescribeJobCommand,
  DescribeJobTemplateCommand,
  InvalidRequestException,
  IoTServiceException,
  ListJobTemplatesCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-iot";
import net from "node:net";
import os from "node:os";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LOCAL_CREDENTIALS, startLocalIoT, type LocalIoT } from "../../src/local/index.ts";
import { expectError, iotClient, rawRequest, type RawResponse } from "./helpers.ts";

/** Signs a request for one path and query, then sends it to another. */
async function rawRequestWithPath(local: LocalIoT, signedPath: string, sentPath: string): Promise<RawResponse> {
  let captured: Record<string, string> = {};
  await rawRequest(local, { method: "GET", path: signedPath, afterSigning: (h) => (captured = { ...h }) });
  const { host: _host, ...headers } = captured;
  const res = await fetch(new URL(sentPath, local.endpoint), { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

let local: LocalIoT;
beforeAll(async () => {
  local = await startLocalIoT();
});
afterAll(() => local.stop());

/** The endpoint still serves a normal SDK call. */
async function stillServing(): Promise<void> {
  const out = await iotClient(local).send(new ListJobTemplatesCommand({}));
  expect(out.$metadata.httpStatusCode).toBe(200);
}

describe("binding", () => {
  test("binds 127.0.0.1 by default, with the documented local credentials and region", () => {
    expect(local.endpoint).toBe(`http://127.0.0.1:${local.port}`);
    expect(local.port).toBeGreaterThan(0);
    expect(local.region).toBe("us-east-1");
    expect(local.accountId).toBe("123456789012");
    expect(local.credentials).toEqual(LOCAL_CREDENTIALS);
    // A fresh copy each time: the SDK may annotate the object it is given.
    expect(local.credentials).not.toBe(local.credentials);
  });

  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === "IPv4" && !i.internal)?.address;
  test.skipIf(!external)("is not reachable on the machine's other addresses", async () => {
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const socket = net.connect({ host: external!, port: local.port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once("error", resolve);
    });
    expect(error?.code).toBe("ECONNREFUSED");
  });
});

describe("SigV4 is required", () => {
  test("an unsigned request is a 403 MissingAuthenticationTokenException", async () => {
    const res = await rawRequest(local, { method: "GET", path: "/job-templates", unsigned: true });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
    expect(res.json.message).toContain("Signature Version 4");
  });

  test("the SDK with a wrong secret gets a 403 InvalidSignatureException", async () => {
    const client = iotClient(local, {
      credentials: { accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: "not-the-secret" },
      maxAttempts: 1,
    });
    await expectError(client.send(new ListJobTemplatesCommand({})), [IoTServiceException, "InvalidSignatureException"], 403, "signature");
  });

  test("the SDK with an unknown access key gets a 403 UnrecognizedClientException", async () => {
    const client = iotClient(local, {
      credentials: { accessKeyId: "AKIAUNKNOWN000000000", secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey },
      maxAttempts: 1,
    });
    await expectError(
      client.send(new ListJobTemplatesCommand({})),
      [IoTServiceException, "UnrecognizedClientException"],
      403,
      "security token",
    );
  });

  test("a signature scoped to another region or service, or too old, is refused", async () => {
    const otherRegion = iotClient(local, { region: "eu-west-1", maxAttempts: 1 });
    await expectError(
      otherRegion.send(new ListJobTemplatesCommand({})),
      [IoTServiceException, "InvalidSignatureException"],
      403,
      "eu-west-1",
    );

    const otherService = await rawRequest(local, { method: "GET", path: "/job-templates", service: "s3" });
    expect(otherService.status).toBe(403);
    expect(otherService.json.message).toContain("'s3'");

    const old = await rawRequest(local, { method: "GET", path: "/job-templates", signingDate: new Date(Date.now() - 20 * 60_000) });
    expect(old.status).toBe(403);
    expect(old.headers.get("x-amzn-errortype")).toBe("InvalidSignatureException");
    expect(old.json.message).toContain("expired");
  });

  test("a request changed after signing is refused: body, query or header", async () => {
    const body = JSON.stringify({ description: "d", document: "{}" });
    const tamperedBody = await rawRequest(local, {
      method: "PUT",
      path: "/job-templates/tampered",
      body,
      sentBody: body.replace('"d"', '"x"'),
    });
    expect(tamperedBody.status).toBe(403);
    expect(tamperedBody.headers.get("x-amzn-errortype")).toBe("InvalidSignatureException");

    expect(tamperedBody.json.message).toContain("x-amz-content-sha256");

    const signedQuery = await rawRequest(local, {
      method: "GET",
      path: "/job-templates?maxResults=5",
    });
    expect(signedQuery.status).toBe(200);
    const signedFor5 = await rawRequestWithPath(local, "/job-templates?maxResults=5", "/job-templates?maxResults=6");
    expect(signedFor5.status).toBe(403);
    expect(signedFor5.headers.get("x-amzn-errortype")).toBe("InvalidSignatureException");

    const tamperedDate = await rawRequest(local, {
      method: "GET",
      path: "/job-templates",
      afterSigning: (h) => {
        const date = h["x-amz-date"];
        h["x-amz-date"] = date.endsWith("00Z") ? date.replace(/00Z$/, "01Z") : date.replace(/\d\dZ$/, "00Z");
      },
    });
    expect(tamperedDate.status).toBe(403);

    const malformed = await rawRequest(local, {
      method: "GET",
      path: "/job-templates",
      afterSigning: (h) => {
        h.authorization = "AWS4-HMAC-SHA256 nonsense";
      },
    });
    expect(malformed.status).toBe(403);
    expect(malformed.headers.get("x-amzn-errortype")).toBe("IncompleteSignatureException");
    // The tampered creation did not happen.
    await expectError(iotClient(local).send(new DescribeJobTemplateCommand({ jobTemplateId: "tampered" })), ResourceNotFoundException, 404);
  });

  test("admin routes need a signature too", async () => {
    const res = await rawRequest(local, { method: "GET", path: "/_local/stats", unsigned: true });
    expect(res.status).toBe(403);
    const signed = await rawRequest(local, { method: "GET", path: "/_local/stats" });
    expect(signed.status).toBe(200);
    expect(signed.json).toMatchObject({ requests: expect.any(Number), rejected: expect.any(Number) });
  });
});

describe("malformed and oversized requests", () => {
  test("a body over 1 MiB is a 400, even through the SDK", async () => {
    const client = iotClient(local, { maxAttempts: 1 });
    await expectError(
      client.send(new CreateJobTemplateCommand({ jobTemplateId: "huge", description: "d", document: "x".repeat(1024 * 1024 + 1) })),
      InvalidRequestException,
      400,
      "1048576 byte limit",
    );
    const signed = await rawRequest(local, { method: "PUT", path: "/job-templates/huge", body: "y".repeat(2 * 1024 * 1024) });
    expect(signed.status).toBe(400);
    expect(signed.headers.get("x-amzn-errortype")).toBe("InvalidRequestException");
    // The signature is checked first, on the headers: an unsigned one is a 403 whatever its size.
    const unsigned = await rawRequest(local, {
      method: "PUT",
      path: "/job-templates/huge",
      body: "y".repeat(2 * 1024 * 1024),
      unsigned: true,
    });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
    await stillServing();
  });

  test("a body far over the limit closes the connection without taking the server down", async () => {
    const error = await fetch(`${local.endpoint}/job-templates/huger`, {
      method: "PUT",
      body: "z".repeat(17 * 1024 * 1024),
    }).then(
      (r) => r.status,
      (e) => e,
    );
    expect(error).not.toBe(200);
    await stillServing();
  });

  test("a body that is not JSON, or not a JSON object, is a 400 InvalidRequestException", async () => {
    const bad = await rawRequest(local, { method: "PUT", path: "/job-templates/bad-json", body: '{"description": "d",' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-amzn-errortype")).toBe("InvalidRequestException");
    expect(bad.json.message).toContain("not valid JSON");
    const array = await rawRequest(local, { method: "PUT", path: "/job-templates/bad-json", body: "[1,2]" });
    expect(array.status).toBe(400);
    expect(array.json.message).toContain("JSON object");
    await stillServing();
  });

  test("an unknown route or method is a 404", async () => {
    for (const [method, path] of [
      ["GET", "/no-such-thing"],
      ["POST", "/jobs/j1"],
      ["GET", "/jobs/j1/unknown/deeper"],
      ["DELETE", "/managed-job-templates/AWS-Reboot"],
    ]) {
      const res = await rawRequest(local, { method, path });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
      expect(res.json.message).toContain(path);
    }
    await stillServing();
  });

  test("a broken percent-encoding in a path label is a 400", async () => {
    const res = await rawRequest(local, { method: "GET", path: "/jobs/%E0%A4%A" });
    expect(res.status).toBe(400);
    await stillServing();
  });

  test("path labels are decoded: an encoded slash stays inside the id (and fails its pattern)", async () => {
    await expectError(iotClient(local).send(new DescribeJobCommand({ jobId: "a/b" })), InvalidRequestException, 400, "jobId", "pattern");
  });

  test("garbage that is not HTTP gets a 400 and the connection closed", async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port: local.port }, () => socket.write("HELLO THERE\r\n\r\n"));
      let data = "";
      socket.on("data", (d) => (data += d));
      socket.on("end", () => resolve(data));
      socket.on("error", reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    await stillServing();
  });

  test("every response carries a request id; errors carry the code header and a JSON message", async () => {
    const ok = await rawRequest(local, { method: "GET", path: "/job-templates" });
    expect(ok.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await rawRequest(local, { method: "GET", path: "/job-templates/missing" });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-amzn-errortype")).toBe("ResourceNotFoundException");
    expect(missing.headers.get("content-type")).toBe("application/json");
    expect(missing.json).toEqual({ message: "Job Template missing cannot be found." });
  });

  test("refused requests are counted as rejected, not as API calls", async () => {
    local.resetStats();
    await rawRequest(local, { method: "GET", path: "/job-templates", unsigned: true });
    await rawRequest(local, { method: "GET", path: "/nowhere" });
    await rawRequest(local, { method: "GET", path: "/job-templates" });
    const stats = local.stats();
    expect(stats.rejected).toBe(2);
    expect(stats.requests).toBe(1);
    expect(stats.byOperation).toEqual({ ListJobTemplates: { count: 1, ok: 1, errors: {} } });
  });
});
