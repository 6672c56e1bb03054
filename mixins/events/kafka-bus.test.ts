import { KafkaBus, type KafkaBusOptions } from "./kafka-bus";

describe("the Kafka bus's stop", () => {
	afterEach(() => jest.useRealTimers());

	it("leaves the group once its grace is over, however long a handler in hand still runs", async () => {
		jest.useFakeTimers();
		const warnings: string[] = [];
		const log = { info: () => undefined, error: () => undefined, warn: (message: string) => void warnings.push(message) };
		// No consumer and no share of the connection: what stop waits for is only its own work.
		const bus = new KafkaBus({ log } as unknown as KafkaBusOptions);
		const queue = (bus as unknown as { queue: { run(key: string, work: () => Promise<void>): Promise<void> } }).queue;
		void queue.run("order-1", () => new Promise<void>(() => undefined));

		let stopped = false;
		const stopping = bus.stop().then(() => (stopped = true));
		await jest.advanceTimersByTimeAsync(7_000);
		expect(stopped).toBe(false);
		await jest.advanceTimersByTimeAsync(1_500);
		await stopping;
		expect(warnings).toEqual([expect.stringMatching(/not settled 8000 ms into the stop/)]);
	});

	it("stops at once when nothing is in hand", async () => {
		const warnings: string[] = [];
		const bus = new KafkaBus({
			log: { info: () => undefined, error: () => undefined, warn: (m: string) => void warnings.push(m) },
		} as unknown as KafkaBusOptions);
		await bus.stop();
		expect(warnings).toEqual([]);
	});
});
