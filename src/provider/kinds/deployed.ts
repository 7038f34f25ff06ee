/** The output fields every deployed resource has: where it lives, and how it came to be this provider's. */
import type { StackResourceRef } from "../tags.ts";

export interface Deployed {
  /** Where the resource lives: "aws", "local" (the embedded local endpoint), or an endpoint URL. */
  location: string;
  /** For a resource on the embedded local endpoint: that endpoint's instance id. */
  localInstance?: string;
  /**
   * The CloudFormation stack resource it was adopted from (its
   * `aws:cloudformation:*` tags). Every later change or deletion first checks
   * that the stack no longer manages it.
   */
  cloudFormation?: StackResourceRef;
  /** Taken over with `adopt` (it carries no ownership tags of this provider). */
  adopted?: boolean;
  /**
   * Set while a replacement has deleted the old resource and not yet created
   * the new one (the create failed, or the deploy was interrupted): the next
   * preview shows the create, and the next deploy makes it.
   */
  absent?: boolean;
}
