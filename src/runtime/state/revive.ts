/**
 * What the file store and the S3 store do alike with the states they read:
 * turn Alchemy's serialized JSON back into a State bound to its scope, and
 * read several by id.
 */
import { deserialize, ResourceScope, type Scope, type State } from "alchemy";

/** A state as Alchemy's own stores return it: deserialized, with its output bound to `scope`. */
export async function reviveState(scope: Scope, parsed: unknown): Promise<State> {
  const state = (await deserialize(scope, parsed)) as State;
  state.output ??= {} as State["output"];
  (state.output as unknown as Record<symbol, unknown>)[ResourceScope] = scope;
  return state;
}

/** The states of `ids` that exist, read at once, by id. */
export async function readStates(ids: string[], get: (id: string) => Promise<State | undefined>): Promise<Record<string, State>> {
  const entries = await Promise.all(ids.map(async (id) => [id, await get(id)] as const));
  return Object.fromEntries(entries.filter((e): e is readonly [string, State] => e[1] !== undefined));
}
