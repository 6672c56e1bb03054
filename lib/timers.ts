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
