/**
 * What the file store and the S3 store do alike with the states they read:
 * turn Alchemy's serialized JSON back into a State bound to its scope, and
 * read several by id.
 */
import { deserialize, ResourceScope, type Scope, type State } from "alchemy";

/**
 * Whether an error is Alchemy's decryption of a state's secrets failing
 * (AES-256-GCM's authentication: the state was written with another password).
 */
export function isWrongPassword(error: unknown): boolean {
  return error instanceof Error && /unable to authenticate data/i.test(error.message);
}

/** What to say when the secrets in the state of `what` (a resource, a file) cannot be decrypted. */
export function wrongPasswordMessage(what: string): string {
  return (
    `The secrets in the state of ${what} cannot be decrypted with this run's password: the state was written with another one ` +
    `(the app's \`password\`, or ALCHEMY_PASSWORD). Nothing was changed. Run again with the password the state was written with.`
  );
}

/** A state's secrets were encrypted with another password. */
export class StatePasswordError extends Error {
  override name = "StatePasswordError";
}

/** A state as Alchemy's own stores return it: deserialized, with its output bound to `scope`; `where` names it in messages. */
export async function reviveState(scope: Scope, parsed: unknown, where = "a resource"): Promise<State> {
  let state: State;
  try {
    state = (await deserialize(scope, parsed)) as State;
  } catch (error) {
    if (isWrongPassword(error)) throw new StatePasswordError(wrongPasswordMessage(where));
    throw error;
  }
  state.output ??= {} as State["output"];
  (state.output as unknown as Record<symbol, unknown>)[ResourceScope] = scope;
  return state;
}

/** The states of `ids` that exist, read at once, by id. */
export async function readStates(ids: string[], get: (id: string) => Promise<State | undefined>): Promise<Record<string, State>> {
  const entries = await Promise.all(ids.map(async (id) => [id, await get(id)] as const));
  return Object.fromEntries(entries.filter((e): e is readonly [string, State] => e[1] !== undefined));
}
