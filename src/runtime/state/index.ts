/** `alchemy-iot-jobs/state`: Alchemy state stores for teams. */
export { S3StateStore, type S3LockLocation, type S3LockTarget, type S3StateLockOptions, type S3StateStoreOptions } from "./s3-store.ts";
export { S3StateError } from "./s3-client.ts";
export { AtomicFileSystemStateStore, StateFileError } from "./file-store.ts";
