/*
 * kafkajs 2.2.4 (the last release) re-arms a timer on every broker connection every millisecond
 * while nothing is pending and nothing throttled: `scheduleCheckPendingRequests` computes
 * `throttledUntil - now` (negative when not throttled) and schedules itself with it, forever
 * (tulios/kafkajs#1556, #1704; the fix in #1667 was never merged). Measured here: about 40 ms of
 * CPU a second per idle shop node, a tenth of a two-core machine for a six-node cluster doing
 * nothing. This replaces the method with the one the fix proposes: a check is scheduled only
 * when a request is pending or the broker asked us to throttle; sending, answers and throttling
 * schedule their own checks as before.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require("kafkajs/src/network/requestQueue") as {
	prototype: {
		scheduleCheckPendingRequests(this: QueueState): void;
		checkPendingRequests(this: QueueState): void;
	};
};

interface QueueState {
	throttledUntil: number;
	throttleCheckTimeoutId: NodeJS.Timeout | null;
	pending: unknown[];
	checkPendingRequests(): void;
}

/** kafkajs's own interval for a queue that has requests waiting. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: QueueState) {
	if (this.throttleCheckTimeoutId) return;
	const throttledFor = this.throttledUntil - Date.now();
	let delay: number;
	if (this.pending.length > 0) delay = throttledFor > 0 ? throttledFor : CHECK_PENDING_REQUESTS_INTERVAL_MS;
	else if (throttledFor > 0) delay = throttledFor;
	// Nothing waits and nothing is throttled: the next push or answer checks again.
	else return;
	this.throttleCheckTimeoutId = setTimeout(() => {
		this.throttleCheckTimeoutId = null;
		this.checkPendingRequests();
	}, delay);
};
