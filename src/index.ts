/**
 * Public API of alchemy-iot-jobs. Loading it wires the package into the
 * process (src/wiring.ts): its stage hooks and the embedded local endpoint.
 */
// First: the whole-program check's process starts while the rest of the package loads (src/preview/early-check.ts).
import "./preview/early-check.ts";
import { wireProcess } from "./wiring.ts";

wireProcess();

export * from "./provider/kinds/registry.ts";
export { JobDeletionTimeoutError, JobInUseError } from "./provider/kinds/job/guards.ts";
export {
  ManagedJobTemplate,
  listManagedJobTemplates,
  type DocumentParameter,
  type ManagedJobTemplateListing,
  type ManagedJobTemplateProps,
} from "./provider/kinds/managed-job-template/lookup.ts";
export type { IoTClientProps } from "./provider/location.ts";
export { ValidationError, type ValidationIssue } from "./provider/validate.ts";
export { AlreadyExistsError } from "./provider/common.ts";
export { IoTConfigurationError, UnreadableResponseError } from "./provider/client.ts";
export { ManagedByStackError, type StackResourceRef } from "./provider/stack-guard.ts";
export { AtomicFileSystemStateStore, StateFileError } from "./runtime/state/file-store.ts";
export { StatePasswordError } from "./runtime/state/revive.ts";
export {
  S3StateError,
  S3StateStore,
  type S3LockLocation,
  type S3LockTarget,
  type S3StateLockOptions,
  type S3StateStoreOptions,
} from "./runtime/state/index.ts";
export type * from "./provider/types.ts";
