/** Public API of alchemy-iot-jobs. */
export { JobTemplate, type JobTemplateProps } from "./iot/job-template.ts";
export {
  Job,
  JobDeletionTimeoutError,
  JobInUseError,
  type JobDeletion,
  type JobProps,
} from "./iot/job.ts";
export {
  ManagedJobTemplate,
  listManagedJobTemplates,
  type DocumentParameter,
  type ManagedJobTemplateListing,
  type ManagedJobTemplateProps,
} from "./iot/managed-job-template.ts";
export { Thing, type ThingProps } from "./iot/thing.ts";
export { ThingGroup, type ThingGroupProps } from "./iot/thing-group.ts";
export type { IoTClientProps } from "./iot/client.ts";
export { ValidationError, type ValidationIssue } from "./iot/validate.ts";
export { AlreadyExistsError } from "./iot/common.ts";
export { IoTConfigurationError } from "./iot/client.ts";
export { ManagedByStackError, type StackResourceRef } from "./iot/stack-guard.ts";
export { AtomicFileSystemStateStore, StateFileError } from "./state-store.ts";
export type * from "./iot/types.ts";
