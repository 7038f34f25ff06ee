/**
 * CloudFormation stacks on the local endpoint.
 *
 * Stacks are registered through the admin API (`createStack`, `updateStack`,
 * `deleteStack`, or `/_local/stacks`): the endpoint parses the template
 * (JSON or YAML, with the short-form tags), creates its IoT resources in
 * dependency order through the same handlers the IoT API uses, and tags them
 * as CloudFormation does. The stacks can then be read with the CloudFormation
 * read operations `@aws-sdk/client-cloudformation` sends (awsQuery protocol:
 * `POST /` with a form body, XML answers): DescribeStacks,
 * DescribeStackResource, ListStackResources and GetTemplate.
 *
 * Scope: AWS::IoT::JobTemplate, AWS::IoT::Job, AWS::IoT::Thing and
 * AWS::IoT::ThingGroup; Ref, Fn::GetAtt, Fn::Sub and Fn::Join; no
 * Parameters, Conditions, Mappings or Transform; a change to an existing
 * resource's Properties is refused (the endpoint creates and deletes, it does
 * not update).
 */

// What the rest of the endpoint imports: the admin API's stack operations and types, and the awsQuery operations.
export {
  CloudFormationError,
  CLOUDFORMATION_OPERATIONS,
  DEFAULT_CLOUDFORMATION_PAGE_SIZE,
  type CreateStackRequest,
  type UpdateStackRequest,
  type LocalStack,
  type LocalStackResource,
  type LocalStackDeletion,
  type StackTemplate,
  type StackTags,
} from "./types.ts";
export { createStack, updateStack, deleteStack, listStacks } from "./engine.ts";
export { isQueryOperation, runQueryOperation, queryErrorXml, QUERY_AUTH_CODES } from "./query.ts";
