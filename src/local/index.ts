/** The local IoT Jobs endpoint: `import { startLocalIoT } from "alchemy-iot-jobs/local"`. */
export {
  startLocalIoT,
  LOCAL_CREDENTIALS,
  OPERATIONS,
  DATA_PLANE_OPERATIONS,
  isReadOnly,
  type LocalIoT,
  type LocalIoTOptions,
  type LocalIoTStats,
  type OperationStats,
  type CallRecord,
} from "./server.ts";
export type { FaultOptions } from "./protocol/faults.ts";
export { DEFAULT_BEHAVIOUR, type DeviceBehaviour } from "./simulation/behaviour.ts";
export type { SimulatedDevicesRequest } from "./simulation/devices.ts";
export type { ExecutionEvent } from "./simulation/events.ts";
export { PersistenceError } from "./state/store.ts";
export { PACKAGE_SHADOW, type PackageLimits } from "./state/catalog.ts";
export type { LocalCredentials } from "./protocol/sigv4.ts";
export { MANAGED_TEMPLATES, type ManagedTemplate, type ManagedParameter } from "./account/managed.ts";
export {
  CLOUDFORMATION_OPERATIONS,
  CloudFormationError,
  type CreateStackRequest,
  type UpdateStackRequest,
  type LocalStack,
  type LocalStackResource,
  type LocalStackDeletion,
  type StackTemplate,
  type StackTags,
} from "./cloudformation/index.ts";
export type { StackRecord, StackResourceRecord, StackStatus } from "./state/store.ts";
