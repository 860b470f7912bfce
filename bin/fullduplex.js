#!/usr/bin/env node
// The `fullduplex` command: a thin shim over the compiled CLI in dist/.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error) => {
    console.error(`fullduplex: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 1;
  },
);
