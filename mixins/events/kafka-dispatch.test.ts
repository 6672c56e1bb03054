import { KeyedQueue, PartitionProgress } from "./kafka-dispatch";

function deferred(): { promise: Promise<void>; resolve: () => void } {
	let resolve!: () => void;
	const promise = new Promise<void>((r) => (resolve = r));
	return { promise, resolve };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("a partition's progress", () => {
	it("commits nothing while the first offset in hand is unfinished, however many after it are done", () => {
		const progress = new PartitionProgress();
		const [first, second, third] = ["10", "11", "12"].map((offset) => progress.track(offset));
		second!();
		third!();
		expect(progress.take()).toBeUndefined();
		first!();
		expect(progress.take()).toBe("13");
		expect(progress.inHand).toBe(0);
	});

	it("moves up to the first unfinished offset and offers each position once", () => {
		const progress = new PartitionProgress();
		const [first, second, third] = ["5", "6", "7"].map((offset) => progress.track(offset));
		first!();
		third!();
		expect(progress.take()).toBe("6");
		expect(progress.take()).toBeUndefined();
		second!();
		expect(progress.take()).toBe("8");
	});
});

describe("the keyed queue", () => {
	it("runs one key's work in order and other keys' work meanwhile", async () => {
		const queue = new KeyedQueue(10, () => undefined);
		const log: string[] = [];
		const slow = deferred();
		void queue.run("order-1", async () => {
			await slow.promise;
			log.push("order-1 first");
		});
		void queue.run("order-1", async () => {
			log.push("order-1 second");
		});
		void queue.run("order-2", async () => {
			log.push("order-2");
		});
		await tick();
		expect(log).toEqual(["order-2"]);
		slow.resolve();
		await queue.drained();
		expect(log).toEqual(["order-2", "order-1 first", "order-1 second"]);
	});

	it("admits no more work while its limit is in hand, and admits again once some finishes", async () => {
		const queue = new KeyedQueue(2, () => undefined);
		const gates = [deferred(), deferred()];
		gates.forEach((gate, i) => void queue.run(`key-${i}`, () => gate.promise));
		let admitted = false;
		const waiting = queue.admit().then(() => (admitted = true));
		await tick();
		expect(admitted).toBe(false);
		gates[0]!.resolve();
		await waiting;
		expect(admitted).toBe(true);
		gates[1]!.resolve();
		await queue.drained();
	});

	it("runs a key's later work after earlier work failed, and reports the failure", async () => {
		const errors: unknown[] = [];
		const queue = new KeyedQueue(10, (err) => errors.push(err));
		const ran: string[] = [];
		void queue.run("order-1", async () => {
			throw new Error("handler blew up");
		});
		void queue.run("order-1", async () => {
			ran.push("second");
		});
		await queue.drained();
		expect(ran).toEqual(["second"]);
		expect(errors).toEqual([new Error("handler blew up")]);
	});

	it("is drained at once when nothing is in hand", async () => {
		await expect(new KeyedQueue(1, () => undefined).drained()).resolves.toBeUndefined();
	});
});
