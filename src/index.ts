/**
 * Public API of alchemy-iot-jobs. Loading it wires the package into the
 * process (src/wiring.ts): its stage hooks and the embedded local endpoint.
 */
import { wireProcess } from "./wiring.ts";

wireProcess();

export { JobTemplate, type JobTemplateProps } from "./iot/resources/job-template.ts";
export { Job, type JobDeletion, type JobProps } from "./iot/resources/job.ts";
export { JobDeletionTimeoutError, JobInUseError } from "./iot/engine/execute.ts";
export {
  ManagedJobTemplate,
  listManagedJobTemplates,
  type DocumentParameter,
  type ManagedJobTemplateListing,
  type ManagedJobTemplateProps,
} from "./iot/resources/managed-job-template.ts";
export { Thing, type ThingProps } from "./iot/resources/thing.ts";
export { ThingGroup, type ThingGroupProps } from "./iot/resources/thing-group.ts";
export type { IoTClientProps } from "./iot/location.ts";
export { ValidationError, type ValidationIssue } from "./iot/validate.ts";
export { AlreadyExistsError } from "./iot/common.ts";
export { IoTConfigurationError, UnreadableResponseError } from "./iot/client.ts";
export { ManagedByStackError, type StackResourceRef } from "./iot/stack-guard.ts";
export { AtomicFileSystemStateStore, StateFileError } from "./runtime/state/file-store.ts";
export { S3StateError, S3StateStore, type S3LockTarget, type S3StateLockOptions, type S3StateStoreOptions } from "./runtime/state/index.ts";
export type * from "./iot/types.ts";
