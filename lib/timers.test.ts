import { retryDelayMs } from "./timers";

describe("retryDelayMs", () => {
	it.each<[number, number, number]>([
		[1, 200, 200],
		[2, 200, 400],
		[3, 200, 800],
		[4, 200, 1600],
		[8, 200, 25_600],
		[9, 200, 30_000],
		[50, 200, 30_000],
		[1, 1000, 1000],
		[5, 1000, 16_000],
		[6, 1000, 30_000],
	])("waits after attempt %p with base %p for %p ms", (attempt, baseMs, expected) => {
		expect(retryDelayMs(attempt, baseMs)).toBe(expected);
	});

	it("waits the base delay for attempt 0 and below", () => {
		expect(retryDelayMs(0, 200)).toBe(200);
		expect(retryDelayMs(-3, 200)).toBe(200);
	});

	it("caps a base larger than the cap at 30 seconds", () => {
		expect(retryDelayMs(1, 60_000)).toBe(30_000);
	});

	it("caps even for very large attempt counts", () => {
		expect(retryDelayMs(10_000, 1)).toBe(30_000);
	});

	it("never shrinks from one attempt to the next", () => {
		let previous = 0;
		for (let attempt = 1; attempt <= 30; attempt++) {
			const delay = retryDelayMs(attempt, 150);
			expect(delay).toBeGreaterThanOrEqual(previous);
			expect(delay).toBeLessThanOrEqual(30_000);
			previous = delay;
		}
	});
});
