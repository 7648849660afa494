import type { StateTransaction } from '../../kernel/state/index.ts';

/** More writes a caller makes in the store's own transaction (the action's receipt), given what the store wrote. */
export type InSameTransaction<T> = (tx: StateTransaction, written: T) => Promise<void>;
