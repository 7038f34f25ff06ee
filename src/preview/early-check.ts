/**
 * Imported first by the package's entry points, so that it runs as early as
 * the program's imports let it: starts the whole-program check's process
 * when this process deploys a program (src/preview/check.ts,
 * `startCheckEarly`); the check waits for the deploy's go before it reads
 * anything. Everything it imports is light (no SDK, no Alchemy, no zod).
 */
import { startCheckEarly } from "./check.ts";

startCheckEarly();
