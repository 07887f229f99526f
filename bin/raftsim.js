#!/usr/bin/env node
// The raftsim command. TypeScript runs directly through tsx, so `npm ci` is the whole install.
import { register } from 'tsx/esm/api';

register();
await import('../scenarios/cli.ts');
