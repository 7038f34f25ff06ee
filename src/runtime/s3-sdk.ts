/**
 * `@aws-sdk/client-s3`, loaded on first use. Most processes never touch S3
 * (a deploy with Alchemy's file store, a preview's child, the whole-program
 * check): loading the client costs each of them about 0.3 s of CPU at start,
 * so the S3 state store and the S3 lock load it when they first need it.
 *
 * `require` loads the same module instance an `import` would: the package
 * has no "exports" map, so Node's ESM loader also loads its CommonJS build
 * (`main`), and classes such as `S3ServiceException` are the same classes.
 */
import { createRequire } from "node:module";
import type * as S3 from "@aws-sdk/client-s3";

let loaded: typeof S3 | undefined;

/** The S3 client package, loaded once per process. */
export function s3Sdk(): typeof S3 {
  loaded ??= createRequire(import.meta.url)("@aws-sdk/client-s3") as typeof S3;
  return loaded;
}
