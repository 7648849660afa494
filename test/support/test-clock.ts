/** A clock a test moves by hand (the workflow engine's `WorkflowClock`). */
export class TestClock {
  constructor(private at = new Date('2026-12-01T09:00:00.000Z')) {}
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): void {
    this.at = new Date(this.at.getTime() + ms);
  }
}
