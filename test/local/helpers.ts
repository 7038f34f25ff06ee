/**
 * Shared helpers of the local endpoint's contract tests: an SDK client bound
 * to an endpoint, raw SigV4-signed HTTP requests (for admin routes and for
 * requests the SDK would never send), and an assertion for modeled errors.
 */
import {
  AddThingToThingGroupCommand,
  CreatePackageCommand,
  CreatePackageVersionCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  IoTClient,
  UpdatePackageVersionCommand,
  type IoTClientConfig,
} from "@aws-sdk/client-iot";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "vitest";
import type { LocalIoT } from "../../src/local/index.ts";

/** An SDK client for the endpoint; `maxAttempts: 1` shows raw errors without the SDK's retries. */
export function iotClient(local: LocalIoT, config: Partial<IoTClientConfig> = {}): IoTClient {
  return new IoTClient({
    endpoint: local.endpoint,
    region: local.region,
    credentials: local.credentials,
    ...config,
  });
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface RawRequest {
  method: string;
  /** Path with the query string, as sent (already percent-encoded). */
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** Signing service. @default "iot" */
  service?: string;
  /** Signing credentials. @default the endpoint's */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Send without an Authorization header. */
  unsigned?: boolean;
  /** Signing time. @default now */
  signingDate?: Date;
  /** Changes the signed request before it is sent (to tamper with it). */
  afterSigning?: (headers: Record<string, string>) => void;
  /** Sends this body instead of the signed one. */
  sentBody?: string;
}

/** Sends one HTTP request to the endpoint, SigV4-signed like the SDK signs (unless `unsigned`). */
export async function rawRequest(local: LocalIoT, request: RawRequest): Promise<RawResponse> {
  const url = new URL(request.path, local.endpoint);
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  let headers: Record<string, string> = { host: url.host, ...request.headers };
  if (request.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["content-type"] = "application/json";
  }
  if (!request.unsigned) {
    const signer = new SignatureV4({
      credentials: request.credentials ?? local.credentials,
      region: local.region,
      service: request.service ?? "iot",
      sha256: Hash.bind(null, "sha256"),
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query,
        headers,
        body: request.body,
      }),
      { signingDate: request.signingDate },
    );
    headers = signed.headers as Record<string, string>;
    request.afterSigning?.(headers);
  }
  const { host: _host, ...sendHeaders } = headers;
  const response = await fetch(url, { method: request.method, headers: sendHeaders, body: request.sentBody ?? request.body });
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

type ErrorClass = abstract new (...args: any[]) => Error;

/**
 * Awaits a call expected to fail with a modeled error: checks its class, its
 * name, its HTTP status and that its message contains every given fragment
 * (the offending field's name, typically). Returns the error for more checks.
 */
export async function expectError(
  promise: Promise<unknown>,
  expected: ErrorClass | [ErrorClass, string],
  status: number,
  ...messageFragments: string[]
): Promise<any> {
  // Codes the service model does not declare for IoT come back as the generic
  // IoTServiceException class, named after the code: pass [class, name] for those.
  const [errorClass, name] = Array.isArray(expected) ? expected : [expected, expected.name];
  let caught: any;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${name}, but the call succeeded`).toBeDefined();
  expect(caught, `${caught?.name}: ${caught?.message}`).toBeInstanceOf(errorClass);
  expect(caught.name).toBe(name);
  expect(caught.$metadata?.httpStatusCode).toBe(status);
  for (const fragment of messageFragments) expect(caught.message).toContain(fragment);
  return caught;
}

/** Creates things (and optionally a group holding them); returns their ARNs. */
export async function createThings(
  client: IoTClient,
  names: string[],
  group?: string,
): Promise<{ thingArns: string[]; groupArn?: string }> {
  const thingArns: string[] = [];
  for (const thingName of names) {
    const out = await client.send(new CreateThingCommand({ thingName }));
    thingArns.push(out.thingArn!);
  }
  let groupArn: string | undefined;
  if (group) {
    groupArn = (await client.send(new CreateThingGroupCommand({ thingGroupName: group }))).thingGroupArn;
    for (const thingName of names) {
      await client.send(new AddThingToThingGroupCommand({ thingGroupName: group, thingName }));
    }
  }
  return { thingArns, groupArn };
}

/**
 * Creates a software package and versions of it, PUBLISHED unless `draft`
 * (a job can deploy only a PUBLISHED or DEPRECATED version); returns the versions' ARNs.
 */
export async function packageVersions(client: IoTClient, packageName: string, versionNames: string[], draft = false): Promise<string[]> {
  await client.send(new CreatePackageCommand({ packageName }));
  const arns: string[] = [];
  for (const versionName of versionNames) {
    arns.push((await client.send(new CreatePackageVersionCommand({ packageName, versionName }))).packageVersionArn!);
    if (!draft) await client.send(new UpdatePackageVersionCommand({ packageName, versionName, action: "PUBLISH" }));
  }
  return arns;
}

/** A minimal valid job document. */
export const DOC = JSON.stringify({ operation: "reboot" });

/** Waits until `check` returns true, polling every few milliseconds (for asynchronous deletion). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
