#!/usr/bin/env node
// The installed `laneway` command: runs the compiled CLI (`npm run build` writes dist/; the packed
// package carries it). Stack traces point at the TypeScript sources through the source maps.
import { existsSync } from 'node:fs';

process.setSourceMapsEnabled(true);
const cli = new URL('../dist/control-plane/src/cli/laneway.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('laneway: dist/ is missing; run `npm run build` in the laneway checkout first');
  process.exit(1);
}
const { main } = await import(cli.href);
await main();
