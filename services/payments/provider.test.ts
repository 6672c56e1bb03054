import { SimulatedProvider, type ChargeRequest, type ChargeResult, type ProcessorBooks, type ProcessorRecord } from "./provider";

/** Books in a Map, with the one property that matters: the first record under an id wins. */
class MapBooks implements ProcessorBooks {
	private readonly records = new Map<string, ProcessorRecord>();
	async get(id: string) {
		return this.records.get(id) ?? null;
	}
	async add(record: ProcessorRecord) {
		if (this.records.has(record._id)) return false;
		this.records.set(record._id, record);
		return true;
	}
	async all() {
		return [...this.records.values()];
	}
}

function request(overrides: Partial<ChargeRequest> = {}): ChargeRequest {
	return { idempotencyKey: "order-1", amountCents: 2599, currency: "EUR", method: "tok_visa", ...overrides };
}

/** The reference of an approved charge, or a failure when the charge was declined. */
function referenceOf(result: ChargeResult): string {
	if (!result.approved) throw new Error(`expected an approved charge, got ${result.reason}`);
	return result.reference;
}

describe("SimulatedProvider.charge", () => {
	it("approves tok_visa and records the charge once in the ledger", async () => {
		const provider = new SimulatedProvider(new MapBooks(), 5000);
		const result = await provider.charge(request());
		expect(result).toEqual({ approved: true, reference: expect.stringMatching(/^ch_[0-9a-f-]{36}$/) });
		expect(await provider.ledger()).toEqual([{ kind: "charge", key: "order-1", amountCents: 2599, reference: referenceOf(result) }]);
	});

	it("returns the first result for a repeated key and moves no money again", async () => {
		const provider = new SimulatedProvider(new MapBooks(), 5000);
		const first = await provider.charge(request());
		const second = await provider.charge(request());
		expect(second).toEqual(first);
		expect(await provider.ledger()).toHaveLength(1);
	});

	it("returns the first result for a repeated key even if the repeat asks for another amount", async () => {
		const provider = new SimulatedProvider(new MapBooks(), 5000);
		const first = await provider.charge(request());
		const second = await provider.charge(request({ amountCents: 1 }));
		expect(second).toEqual(first);
		expect(await provider.ledger()).toEqual([expect.objectContaining({ amountCents: 2599 })]);
	});

	it("charges once when the same key arrives twice at the same time", async () => {
		const provider = new SimulatedProvider(new MapBooks(), 5000);
		const [first, second] = await Promise.all([provider.charge(request()), provider.charge(request())]);
		expect(first.approved).toBe(true);
		expect(second).toEqual(first);
		expect(await provider.ledger()).toHaveLength(1);
	});

	it("charges once for concurrent slow charges with the same key", async () => {
		const provider = new SimulatedProvider(new MapBooks(), 20);
		const results = await Promise.all([1, 2, 3].map(() => provider.charge(request({ method: "tok_slow" }))));
		expect(new Set(results.map(referenceOf)).size).toBe(1);
		expect(await provider.ledger()).toHaveLength(1);
	});

	it("charges once when two replicas sharing the books are asked at the same time", async () => {
		const books = new MapBooks();
		const [replicaA, replicaB] = [new SimulatedProvider(books, 50), new SimulatedProvider(books, 50)];
		const [first, second] = await Promise.all([replicaA.charge(request({ method: "tok_slow" })), replicaB.charge(request({ method: "tok_slow" }))]);
		expect(second).toEqual(first);
		expect(await replicaA.ledger()).toEqual([expect.objectContaining({ kind: "charge", reference: referenceOf(first) })]);
	});

	it("gives a replica the result another replica recorded earlier", async () => {
		const books = new MapBooks();
		const first = await new SimulatedProvider(books, 0).charge(request());
		expect(await new SimulatedProvider(books, 0).charge(request({ method: "tok_decline" }))).toEqual(first);
		expect(await new SimulatedProvider(books, 0).ledger()).toHaveLength(1);
	});

	it("charges separately for different keys", async () => {
		const provider = new SimulatedProvider(new MapBooks(), 5000);
		const first = await provider.charge(request({ idempotencyKey: "order-1", amountCents: 100 }));
		const second = await provider.charge(request({ idempotencyKey: "order-2", amountCents: 200 }));
		expect(referenceOf(first)).not.toBe(referenceOf(second));
		expect(await provider.ledger()).toEqual([
			{ kind: "charge", key: "order-1", amountCents: 100, reference: referenceOf(first) },
			{ kind: "charge", key: "order-2", amountCents: 200, reference: referenceOf(second) },
		]);
	});

	it.each(["tok_decline", "tok_mastercard", "visa", ""])("declines %p and moves no money", async (method) => {
		const provider = new SimulatedProvider(new MapBooks(), 5000);
		expect(await provider.charge(request({ method }))).toEqual({ approved: false, reason: "DECLINED" });
		expect(await provider.ledger()).toEqual([]);
	});

	it("keeps declining a declined key, even when the repeat names a good card", async () => {
		const provider = new SimulatedProvider(new MapBooks(), 5000);
		await provider.charge(request({ method: "tok_decline" }));
		expect(await provider.charge(request({ method: "tok_visa" }))).toEqual({ approved: false, reason: "DECLINED" });
		expect(await provider.ledger()).toEqual([]);
	});

	it("approves tok_slow only after the delay has passed", async () => {
		const delayMs = 50;
		const provider = new SimulatedProvider(new MapBooks(), delayMs);
		const started = performance.now();
		const result = await provider.charge(request({ method: "tok_slow" }));
		const elapsed = performance.now() - started;
		expect(result.approved).toBe(true);
		// Timers may fire up to a millisecond early by the clock; never by much more.
		expect(elapsed).toBeGreaterThanOrEqual(delayMs - 1);
		expect(await provider.ledger()).toEqual([{ kind: "charge", key: "order-1", amountCents: 2599, reference: referenceOf(result) }]);
	});

	describe("with fake timers", () => {
		beforeEach(() => {
			jest.useFakeTimers();
		});

		afterEach(() => {
			jest.useRealTimers();
		});

		it("neither answers nor records a tok_slow charge before the delay", async () => {
			const provider = new SimulatedProvider(new MapBooks(), 1000);
			let result: ChargeResult | undefined;
			const pending = provider.charge(request({ method: "tok_slow" })).then((value) => {
				result = value;
			});
			await jest.advanceTimersByTimeAsync(999);
			expect(result).toBeUndefined();
			expect(await provider.ledger()).toEqual([]);
			await jest.advanceTimersByTimeAsync(1);
			await pending;
			expect(result).toEqual({ approved: true, reference: expect.stringMatching(/^ch_/) });
			expect(await provider.ledger()).toHaveLength(1);
		});

		it("does not delay tok_visa", async () => {
			const provider = new SimulatedProvider(new MapBooks(), 1000);
			let result: ChargeResult | undefined;
			const pending = provider.charge(request()).then((value) => {
				result = value;
			});
			await jest.advanceTimersByTimeAsync(0);
			await pending;
			expect(result?.approved).toBe(true);
		});
	});
});

describe("SimulatedProvider.refund", () => {
	it("refunds and records the refund in the ledger", async () => {
		const provider = new SimulatedProvider(new MapBooks(), 5000);
		const reference = await provider.refund("refund-order-1", 2599);
		expect(reference).toMatch(/^re_[0-9a-f-]{36}$/);
		expect(await provider.ledger()).toEqual([{ kind: "refund", key: "refund-order-1", amountCents: 2599, reference }]);
	});

	it("returns the first reference for a repeated key and refunds only once", async () => {
		const provider = new SimulatedProvider(new MapBooks(), 5000);
		const first = await provider.refund("refund-order-1", 2599);
		const second = await provider.refund("refund-order-1", 2599);
		const [third, fourth] = await Promise.all([provider.refund("refund-order-1", 2599), provider.refund("refund-order-1", 10)]);
		expect([second, third, fourth]).toEqual([first, first, first]);
		expect(await provider.ledger()).toHaveLength(1);
	});

	it("refunds separately for different keys", async () => {
		const provider = new SimulatedProvider(new MapBooks(), 5000);
		const first = await provider.refund("refund-a", 100);
		const second = await provider.refund("refund-b", 200);
		expect(first).not.toBe(second);
		expect((await provider.ledger()).map((entry) => [entry.key, entry.amountCents])).toEqual([
			["refund-a", 100],
			["refund-b", 200],
		]);
	});

	it("keeps charges and refunds with the same key apart", async () => {
		const provider = new SimulatedProvider(new MapBooks(), 5000);
		const charge = await provider.charge(request({ idempotencyKey: "order-1" }));
		const refund = await provider.refund("order-1", 2599);
		expect(await provider.ledger()).toEqual([
			{ kind: "charge", key: "order-1", amountCents: 2599, reference: referenceOf(charge) },
			{ kind: "refund", key: "order-1", amountCents: 2599, reference: refund },
		]);
	});
});
