/**
 * Never fight a CloudFormation stack.
 *
 * CloudFormation tags what it creates with `aws:cloudformation:stack-name`,
 * `aws:cloudformation:logical-id` and `aws:cloudformation:stack-id`, and the
 * tags stay on a resource after the stack lets go of it (DeletionPolicy:
 * Retain). So the tags say "a stack created this", not "a stack manages
 * this": before this provider adopts, updates, replaces or deletes such a
 * resource, it asks CloudFormation (DescribeStackResource, with the same
 * credentials, region and endpoint as the IoT calls) whether the stack still
 * lists it. Only a stack that exists and still lists that very resource
 * stops the operation.
 */
import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { IoTClient } from "@aws-sdk/client-iot";
import { guardIsolation, RETRY } from "./client.ts";
import type { Location } from "./location.ts";
import type { StackResourceRef } from "./tags.ts";

export { LOGICAL_ID_TAG, STACK_ID_TAG, STACK_NAME_TAG, stackRefOf, type StackResourceRef } from "./tags.ts";

/** Refused: a stack still manages the resource. */
export class ManagedByStackError extends Error {
  override name = "ManagedByStackError";
  readonly stackResource: StackResourceRef;
  constructor(message: string, stackResource: StackResourceRef) {
    super(message);
    this.stackResource = stackResource;
  }
}

const cfnClients = new WeakMap<IoTClient, Promise<CloudFormationClient>>();

/**
 * A CloudFormation client that goes where the IoT client goes: the same
 * region and credentials, and for a local or custom endpoint the same URL
 * (the local endpoint serves CloudFormation's read operations too). Loaded
 * on first use, so deploys that never meet a stack do not pay for the SDK.
 */
export function cloudFormationClientFor(client: IoTClient, location: Location): Promise<CloudFormationClient> {
  let made = cfnClients.get(client);
  if (!made) {
    made = import("@aws-sdk/client-cloudformation").then(({ CloudFormationClient }) => {
      const cfn = new CloudFormationClient({
        region: client.config.region,
        credentials: client.config.credentials,
        ...(location.kind !== "aws" && location.endpoint ? { endpoint: location.endpoint } : {}),
        ...RETRY,
      });
      guardIsolation(cfn, "CloudFormation");
      return cfn;
    });
    cfnClients.set(client, made);
  }
  return made;
}

export type GuardedOperation = "adopt" | "update" | "replace" | "delete";

/** Where and for whom the check runs. */
export interface StackCheckContext {
  client: IoTClient;
  location: Location;
  /** e.g. `JobTemplate "firmware"`. */
  label: string;
  /** `overrideCloudFormationStack` from the props. */
  override?: boolean;
  log?: (message: string) => void;
}

interface GuardContext extends StackCheckContext {
  /** e.g. `job template "device-update-template"`. */
  what: string;
  /** The resource's physical ids (its id and ARN): the stack must list one of them to manage it. */
  physicalIds: string[];
}

/**
 * The check for a resource that may carry a stack's tags (`stack` undefined:
 * it does not, and there is nothing to ask). `what` names it in messages.
 */
export async function checkStack(
  c: StackCheckContext,
  stack: StackResourceRef | undefined,
  what: string,
  id: string,
  arn: string | undefined,
  operation: GuardedOperation,
): Promise<void> {
  if (!stack) return;
  const { client, location, label, override, log } = c;
  const physicalIds = arn ? [id, arn, ...cloudFormationIds(arn)] : [id];
  await assertNotManagedByStack({ client, location, label, override, log, what, physicalIds }, stack, operation);
}

/** Physical ids CloudFormation gives a resource other than its id and ARN: a package version is `PackageName|VersionName`. */
function cloudFormationIds(arn: string): string[] {
  const version = /:package\/([^/]+)\/version\/([^/]+)$/.exec(arn);
  return version ? [`${version[1]}|${version[2]}`] : [];
}

const VERB: Record<GuardedOperation, string> = {
  adopt: "adopt",
  update: "update",
  replace: "replace",
  delete: "delete",
};

/** Statuses in which a stack no longer holds the resource. */
const RELEASED = new Set(["DELETE_COMPLETE", "DELETE_SKIPPED"]);

/**
 * Throws ManagedByStackError when the stack in `ref` exists and still lists
 * this resource; returns when the stack is gone, no longer lists it, lists
 * another physical resource under that logical id, or `override` is set.
 * When CloudFormation cannot be asked (no permission, unreachable), it
 * refuses too: acting blind is what this guard exists to prevent.
 */
async function assertNotManagedByStack(c: GuardContext, ref: StackResourceRef, operation: GuardedOperation): Promise<void> {
  const where = `CloudFormation stack "${ref.stackName}" (logical id "${ref.logicalId}")`;
  if (c.override) {
    c.log?.(`${c.label}: ${c.what} carries the tags of ${where}; overrideCloudFormationStack is set, so it is not checked`);
    return;
  }
  const cfn = await cloudFormationClientFor(c.client, c.location);
  const { DescribeStackResourceCommand } = await import("@aws-sdk/client-cloudformation");
  let detail;
  try {
    detail = (await cfn.send(new DescribeStackResourceCommand({ StackName: ref.stackName, LogicalResourceId: ref.logicalId })))
      .StackResourceDetail;
  } catch (error) {
    const e = error as { name?: string; message?: string };
    // The stack does not exist (any more), or no longer has that logical id.
    if (e.name === "ValidationError" && /does not exist/i.test(e.message ?? "")) return;
    throw new ManagedByStackError(
      `${c.label}: ${c.what} carries the tags of ${where}, and CloudFormation could not be asked whether that stack still ` +
        `manages it (${e.name ?? "Error"}: ${e.message ?? String(error)}). Refusing to ${VERB[operation]} it. ` +
        `Allow cloudformation:DescribeStackResource for these credentials, or, if you know the stack no longer manages it, ` +
        `set overrideCloudFormationStack: true on the resource. Nothing was changed.`,
      ref,
    );
  }
  if (!detail) return;
  const physical = detail.PhysicalResourceId;
  if (physical !== undefined && !c.physicalIds.includes(physical)) return; // the logical id now stands for another resource
  if (detail.ResourceStatus && RELEASED.has(detail.ResourceStatus)) return;
  throw new ManagedByStackError(
    `${c.label}: ${c.what} is managed by ${where}, status ${detail.ResourceStatus ?? "unknown"}. ` +
      `Refusing to ${VERB[operation]} it: the stack and this provider would fight over it (the stack's next update or ` +
      `delete would undo or fail on what this deploy does). To move it to this provider, set DeletionPolicy: Retain on ` +
      `${ref.logicalId} and update the stack, then remove ${ref.logicalId} from the template and update the stack again ` +
      `(docs/migrating-from-cloudformation.md); the resource stays and this check passes. To act on it while the stack ` +
      `still manages it, set overrideCloudFormationStack: true on the resource. Nothing was changed.`,
    ref,
  );
}
