/** How overlay entries are kept: Alchemy's own serializer, so secrets stay encrypted, revived as the file store does. */
import { deserialize, ResourceScope, serialize, type State } from "alchemy";
import type { Serde } from "./overlay.ts";

export const alchemySerde: Serde = {
  async freeze(scope, state) {
    return JSON.stringify(await serialize(scope, state));
  },
  async revive(scope, text) {
    const state = (await deserialize(scope, JSON.parse(text))) as State;
    state.output ??= {} as State["output"];
    (state.output as unknown as Record<symbol, unknown>)[ResourceScope] = scope;
    return state;
  },
};
