import { executionAsyncId } from 'node:async_hooks';

/** Whether promise hooks run in this process: without them a promise continuation has no async id. */
export async function promiseHooksOn(): Promise<boolean> {
  await null;
  return executionAsyncId() !== 0;
}
