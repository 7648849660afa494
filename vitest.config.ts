import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'target/**'],
    // Most heavy files wait on child processes (platforms, ClickHouse, Kafka, Chromium), so two files at once on 2 cores
    // took the suite from 1,876 s to 1,330 s (vitest's own default there is one). Tests wait twice as long for the CPU.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 60_000,
    // Node 20.20's V8 aborts a worker now and then ("Fatal error: unreachable code" in
    // Deoptimizer::DoComputeBuiltinContinuation) under the contract fuzz: 3 of 4 runs since the
    // composition root moved the module graph, 0 of 4 with TurboFan inlining off. A V8 bug, not a
    // test failure; the benchmarks run without this flag.
    execArgv: ['--no-turbo-inlining'],
    hookTimeout: 60_000,
    globalSetup: ['./test/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
