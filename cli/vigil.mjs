#!/usr/bin/env node
// The `vigil` command: registers tsx's ESM loader so the TypeScript sources run as they are
// (no build step), then runs the program.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
