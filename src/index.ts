/** Public API of alchemy-iot-jobs. */
export { JobTemplate, type JobTemplateProps } from "./iot/job-template.ts";
export type { IoTClientProps } from "./iot/client.ts";
export { ValidationError, type ValidationIssue } from "./iot/validate.ts";
export { AlreadyExistsError } from "./iot/common.ts";
export type * from "./iot/types.ts";
