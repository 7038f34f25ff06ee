/**
 * What the package's entry points (src/index.ts, src/cloudformation/index.ts)
 * wire into the process when they are loaded, once, whichever loads first:
 *
 * - its stage hooks (src/runtime/stage.ts): the stage's lease, the
 *   whole-program check before the first change, an exit status for destroy;
 * - the embedded local endpoint, injected into the process-wide registry:
 *   the provider asks the registry for it and never imports the emulator,
 *   which is loaded only when a resource is deployed locally.
 */
import { registry } from "./runtime/registry.ts";
import { installStageHooks } from "./runtime/stage.ts";
import { checkProgram, checkWanted, dropEarlyCheck, programOfProcess } from "./preview/check.ts";

export function wireProcess(): void {
  installStageHooks({
    async checkProgram() {
      if (!checkWanted()) return undefined;
      const outcome = await checkProgram(programOfProcess()!);
      const moved = outcome.moves ? `, ${outcome.moves} moved` : "";
      return `Checked the whole program before the first change: ${outcome.resources} resources in ${outcome.seconds.toFixed(1)} s${moved}`;
    },
    checkNotNeeded: dropEarlyCheck,
  });
  registry().startEmbedded ??= async ({ persistPath, lock }) => {
    const { startLocalIoT } = await import("./local/server.ts");
    return startLocalIoT({ port: 0, persistPath, unref: true, lock });
  };
}
