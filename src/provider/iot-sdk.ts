/**
 * `@aws-sdk/client-iot`'s values (its client, commands, paginators and error
 * classes), loaded with `require`.
 *
 * The SDK's package is CommonJS: one 415 KB file. For `import { X } from
 * "@aws-sdk/client-iot"`, Node's ESM loader first scans that file with
 * cjs-module-lexer to learn its export names; `require` skips the scan.
 * Measured on Node 20, loading the client took about 210 ms through `import`
 * and about 120 ms through `require`: 90 ms less in every process that
 * deploys, and again in the deploy's whole-program check, which runs before
 * the first change (docs/benchmarks.md). It is the same module either way
 * (Node keeps one instance of a CommonJS module per file), so `instanceof`
 * holds across the two.
 *
 * The package imports the SDK's values from here and its types from the SDK
 * itself (`import type`, erased at run time). Every deploy needs this client,
 * so it is loaded at once; S3's, which most processes never need, is loaded
 * the same way on first use (src/runtime/s3-sdk.ts).
 */
import { createRequire } from "node:module";

/** The whole module, for lookups by name (src/provider/engine/operations.ts). */
export const sdk = createRequire(import.meta.url)("@aws-sdk/client-iot") as typeof import("@aws-sdk/client-iot");

export const {
  AddThingToThingGroupCommand,
  ConflictException,
  CreatePackageCommand,
  CreatePackageVersionCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteJobCommand,
  DescribeJobCommand,
  DescribeJobTemplateCommand,
  DescribeManagedJobTemplateCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  GetJobDocumentCommand,
  GetPackageCommand,
  GetPackageConfigurationCommand,
  GetPackageVersionCommand,
  InvalidRequestException,
  InvalidStateTransitionException,
  IoTClient,
  LimitExceededException,
  ListTagsForResourceCommand,
  ListThingGroupsForThingCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdatePackageCommand,
  UpdatePackageVersionCommand,
  paginateListJobs,
  paginateListManagedJobTemplates,
  paginateListTagsForResource,
  paginateListThingsInThingGroup,
} = sdk;

/** The client's instance type, under the class's name (as the SDK's own `import { IoTClient }` gives both). */
export type IoTClient = import("@aws-sdk/client-iot").IoTClient;
