/*
 * The stores have no transactions: a change that depends on what was read is written with a
 * condition on that read (the status, the stock) and counts only if the condition still held.
 * When another writer came first, the change is read, decided and written again.
 */

/** What a step answers when its write lost to another writer: read and decide again. */
export const CONFLICT: unique symbol = Symbol("compare-and-set conflict");

/** How often a step is tried before `exhausted` answers; contention on one document is brief. */
export const CAS_ATTEMPTS = 5;

/**
 * Runs `step` (read, decide, write conditionally) until it answers something other than
 * CONFLICT, at most `attempts` times; then `exhausted` answers (or throws) instead.
 */
export async function compareAndSet<T>(step: () => Promise<T | typeof CONFLICT>, exhausted: () => T | Promise<T>, attempts = CAS_ATTEMPTS): Promise<T> {
	for (let attempt = 0; attempt < attempts; attempt++) {
		const result = await step();
		if (result !== CONFLICT) return result;
	}
	return exhausted();
}
