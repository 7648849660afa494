#!/usr/bin/env node
// Entry point of the `companyos` CLI: loads the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../surfaces/cli/cli.ts');
