/**
 * Configuration shapes shared by JobTemplate and Job. They are the SDK's own
 * types (`@aws-sdk/client-iot`), with the members the service requires made
 * non-optional so that TypeScript catches what the API would reject.
 */
import type * as SDK from "@aws-sdk/client-iot";
import type { Secret } from "alchemy";
import type { RolloutConfig } from "../api/rollout.ts";
import type { Holds, Interchangeable } from "./engine/same.ts";

/** Removes `undefined` from members the service model requires. */
export type Defined<T> = { [K in keyof T]: Exclude<T[K], undefined> };

/**
 * A job document: JSON text, or a JSON value that the provider serialises.
 * Wrap it in `alchemy.secret(...)` to keep it encrypted in state and masked
 * in logs and previews.
 */
export type JobDocument = string | Record<string, unknown> | unknown[] | Secret<string> | Secret<Record<string, unknown>>;

/** Presigned S3 URLs for `${aws:iot:s3-presigned-url:...}` placeholders. */
export type PresignedUrlConfig = SDK.PresignedUrlConfig;

/** How fast the job is rolled out: the shared base's type (the rollout arithmetic reads the same one). */
export type { RolloutConfig } from "../api/rollout.ts";

/** The SDK's rollout config, with the members the service requires made non-optional. */
type SdkRolloutConfig = Omit<SDK.JobExecutionsRolloutConfig, "exponentialRate"> & {
  exponentialRate?: Defined<Omit<SDK.ExponentialRolloutRate, "rateIncreaseCriteria">> & { rateIncreaseCriteria: SDK.RateIncreaseCriteria };
};
/** The shared base's RolloutConfig says what the SDK's does (tsc fails when they part). */
type _RolloutConfigIsTheSdks = Holds<Interchangeable<RolloutConfig, SdkRolloutConfig>>;

/** One abort criterion: cancel the job when this share of executed things failed this way. */
export type AbortCriteria = Defined<SDK.AbortCriteria>;
export interface AbortConfig {
  criteriaList: AbortCriteria[];
}

export type TimeoutConfig = SDK.TimeoutConfig;

/** One retry criterion: how often a device retries after this kind of failure. */
export type RetryCriteria = Defined<SDK.RetryCriteria>;
export interface RetryConfig {
  criteriaList: RetryCriteria[];
}

/** A recurring window (cron start, duration) in which the job rolls out. */
export type MaintenanceWindow = Defined<SDK.MaintenanceWindow>;

/** When a job starts and ends, and its maintenance windows. */
export type SchedulingConfig = Omit<SDK.SchedulingConfig, "maintenanceWindows"> & {
  maintenanceWindows?: MaintenanceWindow[];
};

/** Anything that designates a job's target: an ARN, or a Thing/ThingGroup-like object. */
export type JobTarget = string | { arn: string } | { thingArn: string } | { thingGroupArn: string };
