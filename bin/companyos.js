#!/usr/bin/env -S node --max-semi-space-size=64
// Entry point of the `companyos` CLI: loads the TypeScript sources through tsx.
// The young generation's semi-spaces grow to 64 MB (V8's default is 16 MB): a server holds each request's events
// until they are written, and with the default most of them are copied by one scavenge or more first. Measured in
// benchmarks/README.md (session 72): HTTP ingest +10%, the gated writes' GC pauses 427 → 238 ms a 30 s window.
// V8 reads it only at start-up, hence the shebang; `npm start` runs this file as a program.
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// Node 20.20's V8 aborts now and then under load ("unreachable code" in the deoptimizer, SIGTRAP):
// the test workers did in 3 of 4 runs and the platform in 2 of 7 api-flows runs. With TurboFan
// inlining off the workers did not (vitest.config.ts); set before any code is compiled.
setFlagsFromString('--no-turbo-inlining');
register();
await import('../surfaces/cli/cli.ts');
