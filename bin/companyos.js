#!/usr/bin/env node
// Entry point of the `companyos` CLI: loads the TypeScript sources through tsx.
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// Node 20.20's V8 aborts now and then under load ("unreachable code" in the deoptimizer, SIGTRAP):
// the test workers did in 3 of 4 runs and the platform in 2 of 7 api-flows runs. With TurboFan
// inlining off the workers did not (vitest.config.ts); set before any code is compiled.
setFlagsFromString('--no-turbo-inlining');
register();
await import('../surfaces/cli/cli.ts');
