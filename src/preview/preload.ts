/**
 * Loaded with `node --import` before a program runs in preview mode. The
 * globals must be in place before Alchemy loads, so they come first.
 */
import "./globals.ts";
import "./runtime.ts";
