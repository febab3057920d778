#!/usr/bin/env node
// In a checkout, `npx tether` runs the TypeScript sources through tsx (no build step). The installed
// package ships no TypeScript: it runs the JavaScript that `npm pack` compiled into dist/.
import { existsSync } from 'node:fs';

if (existsSync(new URL('./tether.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./tether.ts');
} else {
  await import('../dist/bin/tether.js');
}
