/** Exponential backoff: `baseMs` after the first attempt, doubling after each, capped at `maxMs`. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs = 30_000): number {
	return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxMs);
}

export interface Repeating {
	stop(): void;
}

/**
 * Runs `work` every `intervalMs`, never two runs at once (a slow run makes the next tick skip),
 * reporting failures instead of throwing them. The timer does not keep the process alive.
 */
export function repeat(intervalMs: number, work: () => Promise<unknown>, onError: (err: unknown) => void): Repeating {
	let running = false;
	const timer = setInterval(() => {
		if (running) return;
		running = true;
		work()
			.catch(onError)
			.finally(() => {
				running = false;
			});
	}, intervalMs);
	timer.unref();
	return { stop: () => clearInterval(timer) };
}
