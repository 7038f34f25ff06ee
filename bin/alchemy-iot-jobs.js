#!/usr/bin/env node
// The package's command line, compiled into lib/ by `npm run build` (which `npm pack` runs first).
import { main } from "../lib/cli/index.js";

process.exitCode = await main(process.argv.slice(2));
