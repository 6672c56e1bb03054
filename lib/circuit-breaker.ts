/*
 * A circuit breaker for calls to a system outside the cluster (Moleculer's own breaker guards
 * calls between nodes, not HTTP). After `failures` failures in a row it opens: calls fail at once
 * for `openMs`, sparing the system that is down and the callers that would wait on it; then one
 * call is let through (half-open), whose outcome closes or opens it again.
 */

export type BreakerState = "closed" | "open" | "half-open";

export class CircuitBreaker {
	private failuresInRow = 0;
	private openedAtMs?: number;
	private trialInFlight = false;

	constructor(
		private readonly options: { failures: number; openMs: number; onChange?(state: BreakerState): void },
		private readonly now: () => number = Date.now,
	) {}

	get state(): BreakerState {
		if (this.openedAtMs === undefined) return "closed";
		return this.now() - this.openedAtMs >= this.options.openMs ? "half-open" : "open";
	}

	/** Runs `call` unless the circuit is open (then `whenOpen` is thrown); `isFailure` says which errors count. */
	async run<T>(call: () => Promise<T>, isFailure: (err: unknown) => boolean, whenOpen: () => Error): Promise<T> {
		const state = this.state;
		if (state === "open" || (state === "half-open" && this.trialInFlight)) throw whenOpen();
		const trial = state === "half-open";
		if (trial) this.trialInFlight = true;
		try {
			const result = await call();
			this.succeeded();
			return result;
		} catch (err) {
			if (isFailure(err)) this.failed(trial);
			else this.succeeded();
			throw err;
		} finally {
			if (trial) this.trialInFlight = false;
		}
	}

	private succeeded(): void {
		this.failuresInRow = 0;
		if (this.openedAtMs !== undefined) {
			this.openedAtMs = undefined;
			this.options.onChange?.("closed");
		}
	}

	private failed(trial: boolean): void {
		this.failuresInRow++;
		if (trial || (this.openedAtMs === undefined && this.failuresInRow >= this.options.failures)) {
			this.openedAtMs = this.now();
			this.options.onChange?.("open");
		}
	}
}
