import { KafkaJSGroupCoordinatorNotFound, KafkaJSNonRetriableError } from "kafkajs";
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

describe("the Kafka bus's consumer after kafkajs gave it up", () => {
	afterEach(() => jest.useRealTimers());

	/** A connection whose consumer records what the bus asks of it and crashes when told to. */
	function fakeKafka() {
		const handlers = new Map<string, (event: { payload: unknown }) => void>();
		const calls: string[] = [];
		const consumer = {
			events: { REQUEST: "request", START_BATCH_PROCESS: "batch", CRASH: "crash", GROUP_JOIN: "join" },
			on: (name: string, handler: (event: { payload: unknown }) => void) => void handlers.set(name, handler),
			connect: async () => void calls.push("connect"),
			subscribe: async () => void calls.push("subscribe"),
			run: async () => void calls.push("run"),
			stop: async () => undefined,
			disconnect: async () => undefined,
		};
		const connection = {
			acquire: async () => undefined,
			release: async () => undefined,
			kafka: { consumer: () => consumer },
			admin: { fetchTopicMetadata: async () => ({ topics: [{ partitions: [0, 1, 2] }] }) },
		};
		const crash = (error: Error) => handlers.get("crash")!({ payload: { restart: false, error } });
		return { connection, calls, crash };
	}
	const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
	/** The orders service's bus, reading payment.settled, on the fake connection. */
	const ordersBus = (kafka: ReturnType<typeof fakeKafka>) =>
		new KafkaBus({
			connection: kafka.connection,
			service: "orders",
			sessionTimeoutMs: 10_000,
			handles: ["payment.settled"],
			handle: async () => undefined,
			log,
		} as unknown as KafkaBusOptions);

	it("starts it again when the group coordinator was not found, as while a restarted broker loads (wrapped by kafkajs's retrier)", async () => {
		jest.useFakeTimers();
		const kafka = fakeKafka();
		const bus = ordersBus(kafka);
		await bus.start();
		expect(kafka.calls).toEqual(["connect", "subscribe", "run"]);
		// What kafkajs's retrier rejects with when the coordinator lookup fails: the cause wrapped.
		// (kafkajs's typings omit the constructors' arguments its code takes.)
		const notFound = new (KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error)("Failed to find group coordinator");
		const Wrapped = KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: Error }) => Error;
		kafka.crash(new Wrapped(notFound, { cause: notFound }));
		await jest.advanceTimersByTimeAsync(1_000);
		expect(kafka.calls).toEqual(["connect", "subscribe", "run", "connect", "run"]);
		await expect(bus.checkConsumer()).resolves.toBeUndefined();
		await bus.stop();
	});

	it("reports any other error it gave up on, for the node to be replaced", async () => {
		const kafka = fakeKafka();
		const bus = ordersBus(kafka);
		await bus.start();
		kafka.crash(new KafkaJSNonRetriableError(new Error("Topic authorization failed")));
		await expect(bus.checkConsumer()).rejects.toThrow(/stopped for good/);
		await bus.stop();
	});
});
