/**
 * Loaded with `node --import` before a program runs as a rehearsal
 * (`alchemy-iot-jobs rehearse`). Alchemy's globals must be in place before
 * Alchemy loads, so they come first.
 */
import "../preview/globals.ts";
import "./runtime.ts";
