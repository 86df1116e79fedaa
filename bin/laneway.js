#!/usr/bin/env node
// The installed `laneway` command: runs the TypeScript sources through tsx, so no build step is needed.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../control-plane/src/cli/laneway.ts');
await main();
