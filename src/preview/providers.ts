/**
 * Which providers a preview or a rehearsal lets run. Only this package's
 * resources run, and only those of a copy of the package that follows the
 * process-wide registry (src/runtime/registry.ts): a resource of a copy that
 * does not (another version, loaded by the program beside the command's) is
 * refused before its handler runs, so it can neither execute what a preview
 * only plans nor reach an endpoint a rehearsal does not own.
 */
import { IsolationError, registry, type Mode } from "../runtime/registry.ts";

/** The part of an Alchemy provider that its registry lookups hand out. */
export interface ProviderLike {
  type: string;
  options?: unknown;
  handler: (this: { id: string; fqn: string }, id: string, props: unknown) => Promise<unknown>;
}

/** Is this one of this package's resource kinds? */
export const isOwnKind = (kind: string) => kind.startsWith("iot::");

/** Does this provider come from a copy that follows the registry? */
export const participates = (provider: unknown): boolean =>
  (typeof provider === "object" || typeof provider === "function") && provider !== null && registry().providers.has(provider);

const refusing = new Map<string, ProviderLike>();

/** A provider whose handler refuses: the resource comes from a copy of the package that cannot take part. */
export function refusingProvider(kind: string, mode: Mode): ProviderLike {
  let provider = refusing.get(`${mode}|${kind}`);
  if (!provider) {
    provider = {
      type: kind,
      options: undefined,
      async handler(id) {
        throw new IsolationError(
          `${kind} "${id}" is defined by a copy of alchemy-iot-jobs that does not take part in this ${mode} (another installation or version, loaded by the program), ` +
            `so this ${mode} cannot be sure where its calls would go and did not run it: nothing was sent. ` +
            `Run the program's own installation (npx alchemy-iot-jobs from the project), or make the program import the same installation as the command.`,
        );
      },
    };
    refusing.set(`${mode}|${kind}`, provider);
  }
  return provider;
}
