import "./kafkajs-idle-fix";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require("kafkajs/src/network/requestQueue") as new (options: object) => {
	pending: unknown[];
	throttledUntil: number;
	throttleCheckTimeoutId: NodeJS.Timeout | null;
	checkPendingRequests(): void;
};

function idleQueue() {
	const logger = { debug() {}, info() {}, warn() {}, error() {} };
	return new RequestQueue({
		instrumentationEmitter: null,
		maxInFlightRequests: null,
		requestTimeout: 30000,
		enforceRequestTimeout: true,
		clientId: "test",
		broker: "127.0.0.1:1",
		logger,
		isConnected: () => true,
	});
}

describe("kafkajs's request queue, as the shop runs it", () => {
	it("arms no timer when nothing is pending and nothing is throttled", () => {
		const queue = idleQueue();
		queue.checkPendingRequests();
		const armed = queue.throttleCheckTimeoutId;
		// The unpatched queue re-arms itself every millisecond for good: stop it whatever the verdict.
		clearTimeout(armed ?? undefined);
		queue.throttleCheckTimeoutId = null;
		expect(armed).toBeNull();
	});

	it("still checks again later while a request waits or the broker asked it to throttle", () => {
		const waiting = idleQueue();
		waiting.pending.push({});
		waiting.throttledUntil = Date.now() + 60_000;
		waiting.checkPendingRequests();
		expect(waiting.throttleCheckTimeoutId).not.toBeNull();
		clearTimeout(waiting.throttleCheckTimeoutId!);

		const throttled = idleQueue();
		throttled.throttledUntil = Date.now() + 60_000;
		throttled.checkPendingRequests();
		expect(throttled.throttleCheckTimeoutId).not.toBeNull();
		clearTimeout(throttled.throttleCheckTimeoutId!);
	});
});
