/** Reads until `done` holds or time runs out; returns the last value read, for the assertion to judge. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000, pollMs = 50): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await read();
		if (done(value) || Date.now() > deadline) return value;
		await new Promise((resolve) => setTimeout(resolve, pollMs));
	}
}

/** Reads until the value is `expected` or time runs out; returns the last value read, for `expect(...).toBe(expected)`. */
export function waitForValue<T>(read: () => Promise<T>, expected: T, timeoutMs?: number, pollMs?: number): Promise<T> {
	return waitFor(read, (value) => value === expected, timeoutMs, pollMs);
}
