/**
 * The parts of the official AWS IoT service model (botocore JSON, API
 * version 2015-05-28) that the local endpoint and the provider's validation
 * use: each served operation's HTTP binding and errors, and the shapes of
 * its input and output with their constraints. The data is generated into
 * `iot.generated.ts` by `npm run model:generate` (tools/model/generate.ts).
 */

/** One served operation, as the model binds it to HTTP. */
export interface ModelOperation {
  method: "GET" | "PUT" | "POST" | "PATCH" | "DELETE";
  /** The URI template, e.g. "/jobs/{jobId}" (query literals, if any, after "?"). */
  uri: string;
  /** The success status (200 unless the model says otherwise). */
  status: number;
  input?: string;
  output?: string;
  /** The errors the model lists for the operation. */
  errors: readonly string[];
}

/** Where an input member travels. */
export type MemberLocation = "uri" | "querystring" | "header" | "body";

export interface ModelMember {
  shape: string;
  /** The name on the wire (the path label, query key or header) when it differs from the member's. */
  wire?: string;
  location?: MemberLocation;
  deprecated?: boolean;
}

export type ModelShape =
  | { type: "string"; min?: number; max?: number; pattern?: string; modelPattern?: string; enum?: readonly string[] }
  | { type: "integer" | "long" | "double" | "float"; min?: number; max?: number }
  | { type: "boolean" | "timestamp" | "blob" }
  | { type: "structure"; required?: readonly string[]; members: Readonly<Record<string, ModelMember>>; error?: { status: number } }
  | { type: "list"; member: string; min?: number; max?: number }
  | { type: "map"; key: string; value: string; min?: number; max?: number };

export interface ModelSource {
  /** The committed copy of the model, relative to the repository. */
  file: string;
  /** Where it comes from, and when the model last changed. */
  origin: string;
  apiVersion: string;
  /** SHA-256 of the file the table was generated from. */
  sha256: string;
}
