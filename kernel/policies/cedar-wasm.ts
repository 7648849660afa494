import { setFlagsFromString } from 'node:v8';

/*
 * Node 20's V8 crashes the process (SIGTRAP, "Fatal error … unreachable code" in
 * Deoptimizer::DoComputeBuiltinContinuation) when an optimized function that inlined a call into
 * Cedar's WebAssembly is deoptimized lazily while that call runs — it happened after ~18,000
 * decisions in one process (kernel/policies/wasm-inlining.test.ts). Not inlining JS→Wasm calls
 * avoids it; the flag must be set before Cedar's glue is optimized, which importing Cedar only
 * through this module ensures.
 */
setFlagsFromString('--no-turbo-inline-js-wasm-calls');

export * from '@cedar-policy/cedar-wasm/nodejs';
