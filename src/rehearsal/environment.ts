/**
 * The environment a rehearsal runs the program in. Every resource of this
 * package goes to the rehearsal's own endpoint whatever the environment says
 * (src/runtime/registry.ts); this is the second wall, for code that does not
 * follow the registry (a copy of the package too old to know it, the AWS SDK
 * used directly by the program): AWS endpoints point at a closed local port
 * and the credentials are placeholders, so nothing in the rehearsal can reach
 * AWS or an endpoint the environment names with real credentials.
 */

/** Where every AWS SDK call goes during a rehearsal unless the rehearsal sends it to its own endpoint: nothing listens there. */
export const NOWHERE = "http://127.0.0.1:9";

/** The variables to set (and, as undefined, to remove) for the program's process. */
export function rehearsalEnvironment(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  // Service-specific endpoints (AWS_ENDPOINT_URL_IOT, _S3, ...) win over AWS_ENDPOINT_URL: remove them all.
  for (const key of Object.keys(env)) if (key.startsWith("AWS_ENDPOINT_URL_")) out[key] = undefined;
  return {
    ...out,
    AWS_ENDPOINT_URL: NOWHERE,
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
    AWS_ACCESS_KEY_ID: "REHEARSALNOTAKEY",
    AWS_SECRET_ACCESS_KEY: "rehearsal-placeholder-credentials",
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_DEFAULT_PROFILE: undefined,
    AWS_ROLE_ARN: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/dev/null/rehearsal",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null/rehearsal",
    // A copy of the package that does not follow the registry would otherwise open the project's local data file.
    ALCHEMY_IOT_LOCAL: "0",
  };
}
