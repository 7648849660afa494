import type { Reporter, TestModule, TestRunEndReason } from 'vitest/node';

/**
 * Ends the run with the slowest test files (what the 30-minute budget goes on) and one plain line,
 * `N passed, N failed, N skipped`, that any CI can read.
 */
/** How many of the slowest files the summary names. */
const SLOWEST = 15;

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>, reason: TestRunEndReason): void {
    const count = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') count.passed++;
        else if (state === 'failed') count.failed++;
        else count.skipped++;
      }
    }
    const slowest = testModules
      .map((module) => ({ file: module.moduleId.replace(`${process.cwd()}/`, ''), seconds: (module.diagnostic().collectDuration + module.diagnostic().duration) / 1000 }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, SLOWEST);
    if (slowest.length > 1) console.log(`\nslowest test files (import and tests, seconds):\n${slowest.map((m) => `${m.seconds.toFixed(1).padStart(7)}  ${m.file}`).join('\n')}`);
    // A run that failed outside any test (a global setup that threw) must not read as clean.
    if (reason !== 'passed' && count.failed === 0) count.failed = 1;
    console.log(`\n${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped`);
  }
}
