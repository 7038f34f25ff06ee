/** The stack operations' error (CloudFormationError, `fail`) and the public types and constants of the local CloudFormation stacks. */
import { IoTError, type ErrorCode } from "../errors.ts";
import type { StackStatus } from "../state/store.ts";

/** An error of a stack operation: a ValidationError (400) unless said otherwise. */
export class CloudFormationError extends IoTError {
  override name = "CloudFormationError";
  constructor(message: string, code: ErrorCode = "ValidationError") {
    super(code, message);
  }
}

export const fail = (message: string, code?: ErrorCode): never => {
  throw new CloudFormationError(message, code);
};

// ---------------------------------------------------------------- public types

/** A template: an object, or JSON or YAML text (short-form tags such as `!Ref` allowed). */
export type StackTemplate = string | Record<string, unknown>;

/** Stack tags, as a record or as CloudFormation's `[{ Key, Value }]` list. */
export type StackTags = Record<string, string> | Array<{ Key: string; Value: string }>;

export interface CreateStackRequest {
  stackName: string;
  template: StackTemplate;
  /** Stack-level tags: returned by DescribeStacks and put on every taggable resource. */
  tags?: StackTags;
}

export interface UpdateStackRequest {
  /** The stack's name or stack id. */
  stackName: string;
  /** The new template; it replaces the old one. */
  template: StackTemplate;
}

export interface LocalStackResource {
  logicalResourceId: string;
  physicalResourceId: string;
  resourceType: string;
  /** The IoT ARN of the resource. */
  arn: string;
}

/** What createStack and updateStack answer. */
export interface LocalStack {
  stackName: string;
  stackId: string;
  status: StackStatus;
  /** The resources the stack lists now, in creation order. */
  resources: LocalStackResource[];
  /** updateStack: logical ids created by this update. */
  created?: string[];
  /** updateStack: logical ids removed from the template and deleted from IoT. */
  deleted?: string[];
  /** updateStack: logical ids removed from the template but kept in IoT (`DeletionPolicy: Retain`). */
  retained?: string[];
}

/** What deleteStack answers. */
export interface LocalStackDeletion {
  stackName: string;
  stackId: string;
  /** Logical ids whose IoT resources were deleted. */
  deleted: string[];
  /** Logical ids whose IoT resources were kept (`DeletionPolicy: Retain`). */
  retained: string[];
}

/** The CloudFormation operations the endpoint serves (awsQuery actions). */
export const CLOUDFORMATION_OPERATIONS: readonly string[] = [
  "DescribeStacks",
  "DescribeStackResource",
  "ListStackResources",
  "GetTemplate",
];

/** CloudFormation's page size for ListStackResources and DescribeStacks. */
export const DEFAULT_CLOUDFORMATION_PAGE_SIZE = 100;

export const STACK_NAME_TAG = "aws:cloudformation:stack-name";
export const LOGICAL_ID_TAG = "aws:cloudformation:logical-id";
export const STACK_ID_TAG = "aws:cloudformation:stack-id";
