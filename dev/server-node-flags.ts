/**
 * The Node flags a platform server runs with: `npm start` passes them (package.json), the deployment's environment
 * files set them as NODE_OPTIONS (deploy/scale-out/env), and the tests and benchmarks start servers with them, so
 * that they test and measure what is deployed (server-node-flags.test.ts keeps the three the same).
 *
 * `--max-semi-space-size=64`: the young generation's semi-spaces grow to 64 MB (V8's default is 16 MB). A server holds
 * each request's events until they are written; with the default most of them are copied by a scavenge or more first.
 * benchmarks/README.md, session 72: HTTP ingest +8%, the gated writes' GC pauses 427 → 238 ms over a 30 s window.
 * V8 reads it only at start-up (not through `v8.setFlagsFromString`).
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64'] as const;
