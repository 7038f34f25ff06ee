/** The awsQuery protocol of the CloudFormation read operations: XML, page tokens, QUERY_OPERATIONS and their error document. */
import type { ErrorCode } from "../errors.ts";
import type { StackRecord } from "../state/store.ts";
import type { World } from "../state/world.ts";
import { findStack } from "./engine.ts";
import { CloudFormationError } from "./types.ts";

// ---------------------------------------------------------------- awsQuery operations

export const CLOUDFORMATION_XMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

/** Characters written as entities: markup, CR (XML parsers turn a raw CR LF into LF) and other control characters. */
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const XML_SPECIAL = /[&<>"'\r\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

/** Escapes text for XML; CR is written as a character reference so that XML parsers keep it. */
export function xmlEscape(text: string): string {
  return text.replace(XML_SPECIAL, (c) => {
    switch (c) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      case "'":
        return "&apos;";
      default:
        return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

const el = (name: string, value: string | undefined): string => (value === undefined ? "" : `<${name}>${xmlEscape(value)}</${name}>`);
const members = (name: string, items: string[]): string =>
  items.length === 0 ? `<${name}/>` : `<${name}>${items.map((i) => `<member>${i}</member>`).join("")}</${name}>`;
const iso = (ms: number) => new Date(ms).toISOString();

function validation(message: string): never {
  throw new CloudFormationError(message);
}

function requiredParam(params: Record<string, string>, name: string, member: string): string {
  const value = params[name];
  if (value === undefined || value === "") {
    validation(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

function requireStack(world: World, nameOrId: string): StackRecord {
  return findStack(world, nameOrId) ?? validation(`Stack with id ${nameOrId} does not exist`);
}

/** Opaque page tokens, bound to the operation and the stack (or list) they page through. */
function encodeToken(operation: string, key: string, index: number): string {
  return Buffer.from(JSON.stringify({ o: operation, k: key, i: index })).toString("base64url");
}
function decodeToken(token: string, operation: string, key: string): number {
  try {
    const data = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (data?.o === operation && data?.k === key && Number.isInteger(data?.i) && data.i >= 0) return data.i;
  } catch {
    // fall through
  }
  return validation("Invalid NextToken: it does not come from a previous page of this request.");
}

function page<T>(operation: string, key: string, items: T[], nextToken: string | undefined, size: number) {
  const start = nextToken === undefined ? 0 : decodeToken(nextToken, operation, key);
  const slice = items.slice(start, start + size);
  const more = start + size < items.length;
  return { items: slice, nextToken: more ? encodeToken(operation, key, start + size) : undefined };
}

function stackXml(stack: StackRecord): string {
  return (
    el("StackId", stack.stackId) +
    el("StackName", stack.stackName) +
    el("Description", stack.description) +
    el("CreationTime", iso(stack.createdAt)) +
    el("LastUpdatedTime", stack.lastUpdatedAt === undefined ? undefined : iso(stack.lastUpdatedAt)) +
    el("StackStatus", stack.status) +
    el("DisableRollback", "false") +
    members("NotificationARNs", []) +
    members(
      "Tags",
      stack.tags.map((t) => el("Key", t.Key) + el("Value", t.Value)),
    ) +
    (stack.outputs.length > 0
      ? members(
          "Outputs",
          stack.outputs.map(
            (o) =>
              el("OutputKey", o.OutputKey) +
              el("OutputValue", o.OutputValue) +
              el("Description", o.Description) +
              el("ExportName", o.ExportName),
          ),
        )
      : "") +
    el("EnableTerminationProtection", "false") +
    `<DriftInformation>${el("StackDriftStatus", "NOT_CHECKED")}</DriftInformation>`
  );
}

export interface QueryOptions {
  pageSize: number;
}

type QueryHandler = (world: World, params: Record<string, string>, options: QueryOptions) => string;

const QUERY_OPERATIONS: Record<string, QueryHandler> = {
  DescribeStacks(world, params, { pageSize }) {
    if (params.StackName !== undefined && params.StackName !== "") {
      return `<Stacks><member>${stackXml(requireStack(world, params.StackName))}</member></Stacks>`;
    }
    // Newest first.
    const all = [...world.tables.stacks.values()].reverse();
    const p = page("DescribeStacks", "*", all, params.NextToken, pageSize);
    return members("Stacks", p.items.map(stackXml)) + el("NextToken", p.nextToken);
  },
  DescribeStackResource(world, params) {
    const stackName = requiredParam(params, "StackName", "stackName");
    const logicalId = requiredParam(params, "LogicalResourceId", "logicalResourceId");
    const stack = findStack(world, stackName) ?? validation(`Stack '${stackName}' does not exist`);
    const r =
      stack.resources.find((x) => x.logicalResourceId === logicalId) ??
      validation(`Resource ${logicalId} does not exist for stack ${stack.stackName}`);
    return (
      "<StackResourceDetail>" +
      el("StackName", stack.stackName) +
      el("StackId", stack.stackId) +
      el("LogicalResourceId", r.logicalResourceId) +
      el("PhysicalResourceId", r.physicalResourceId) +
      el("ResourceType", r.resourceType) +
      el("LastUpdatedTimestamp", iso(r.lastUpdatedAt)) +
      el("ResourceStatus", r.status) +
      el("Metadata", r.metadata) +
      `<DriftInformation>${el("StackResourceDriftStatus", "NOT_CHECKED")}</DriftInformation>` +
      "</StackResourceDetail>"
    );
  },
  ListStackResources(world, params, { pageSize }) {
    const stack = requireStack(world, requiredParam(params, "StackName", "stackName"));
    const p = page("ListStackResources", stack.stackId, stack.resources, params.NextToken, pageSize);
    return (
      members(
        "StackResourceSummaries",
        p.items.map(
          (r) =>
            el("LogicalResourceId", r.logicalResourceId) +
            el("PhysicalResourceId", r.physicalResourceId) +
            el("ResourceType", r.resourceType) +
            el("LastUpdatedTimestamp", iso(r.lastUpdatedAt)) +
            el("ResourceStatus", r.status) +
            `<DriftInformation>${el("StackResourceDriftStatus", "NOT_CHECKED")}</DriftInformation>`,
        ),
      ) + el("NextToken", p.nextToken)
    );
  },
  GetTemplate(world, params) {
    const stage = params.TemplateStage;
    if (stage !== undefined && stage !== "Original" && stage !== "Processed") {
      validation(
        `1 validation error detected: Value '${stage}' at 'templateStage' failed to satisfy constraint: Member must satisfy enum value set: [Original, Processed]`,
      );
    }
    if (params.ChangeSetName !== undefined && params.ChangeSetName !== "") {
      validation("Change sets are not supported by the local endpoint: GetTemplate takes a StackName only.");
    }
    if (params.StackName === undefined || params.StackName === "") {
      validation("Either StackName or ChangeSetName must be specified.");
    }
    const stack = requireStack(world, params.StackName);
    // No transforms are supported, so the processed template is the original one.
    return el("TemplateBody", stack.templateBody) + members("StagesAvailable", ["Original", "Processed"]);
  },
};

/** Whether `action` is a CloudFormation operation the endpoint serves. */
export function isQueryOperation(action: string | undefined): action is string {
  return action !== undefined && Object.hasOwn(QUERY_OPERATIONS, action);
}

/** Runs an awsQuery operation; returns the whole XML response document. */
export function runQueryOperation(
  world: World,
  action: string,
  params: Record<string, string>,
  requestId: string,
  options: QueryOptions,
): string {
  const result = QUERY_OPERATIONS[action](world, params, options);
  return (
    `<${action}Response xmlns="${CLOUDFORMATION_XMLNS}">` +
    `<${action}Result>${result}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
    `</${action}Response>`
  );
}

/** The awsQuery error document. */
export function queryErrorXml(code: string, message: string, status: number, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${CLOUDFORMATION_XMLNS}">` +
    `<Error><Type>${status >= 500 ? "Receiver" : "Sender"}</Type>${el("Code", code)}${el("Message", message)}</Error>` +
    `<RequestId>${requestId}</RequestId>` +
    `</ErrorResponse>`
  );
}

/** The awsQuery names of the signature errors the IoT side reports with restJson1 names. */
export const QUERY_AUTH_CODES: Partial<Record<ErrorCode, ErrorCode>> = {
  MissingAuthenticationTokenException: "MissingAuthenticationToken",
  IncompleteSignatureException: "IncompleteSignature",
  UnrecognizedClientException: "InvalidClientTokenId",
  InvalidSignatureException: "SignatureDoesNotMatch",
  InvalidRequestException: "ValidationError",
  ThrottlingException: "Throttling",
};
