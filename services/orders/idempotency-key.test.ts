import { decideKey, keyDocId, type IdempotencyKeyDoc } from "./idempotency-key";

const NOW = new Date("2030-06-01T10:00:00.000Z");
const TTL = 24 * 3600 * 1000;
const claim = { key: "checkout-1", fingerprint: "f-same" };
const request = { customerId: "c1", claim, newOrderId: "order-new" };

function stored(fields: Partial<IdempotencyKeyDoc>): IdempotencyKeyDoc {
	return {
		_id: keyDocId("c1", "checkout-1"),
		customerId: "c1",
		fingerprint: "f-same",
		orderId: "order-first",
		createdAt: "2030-06-01T09:00:00.000Z",
		expiresAtMs: NOW.getTime() + 1000,
		...fields,
	};
}

type Expected = { kind: string; orderId?: string; replacing?: boolean };

describe("decideKey: what a request with an Idempotency-Key does", () => {
	it.each<[string, IdempotencyKeyDoc | null, Expected]>([
		["a new key", null, { kind: "claim", orderId: "order-new", replacing: false }],
		["the key sent before with the same request", stored({}), { kind: "use", orderId: "order-first" }],
		["the key sent before with another request", stored({ fingerprint: "f-other" }), { kind: "reused" }],
		["a key past its time, same request", stored({ expiresAtMs: NOW.getTime() }), { kind: "claim", orderId: "order-new", replacing: true }],
		[
			"a key past its time, another request",
			stored({ expiresAtMs: NOW.getTime() - 1, fingerprint: "f-other" }),
			{ kind: "claim", orderId: "order-new", replacing: true },
		],
	])("%s", (_case, found, expected) => {
		const decision = decideKey(found, request, NOW, TTL);
		expect(decision.kind).toBe(expected.kind);
		if (decision.kind === "use") expect(decision.orderId).toBe(expected.orderId);
		if (decision.kind === "claim") {
			expect(decision.doc).toEqual({
				_id: keyDocId("c1", "checkout-1"),
				customerId: "c1",
				fingerprint: "f-same",
				orderId: expected.orderId,
				createdAt: NOW.toISOString(),
				expiresAtMs: NOW.getTime() + TTL,
			});
			expect(decision.replacing).toBe(expected.replacing ? found : undefined);
		}
	});
});

describe("keyDocId", () => {
	it("is per customer: two customers' same key are two documents", () => {
		expect(keyDocId("c1", "k")).not.toBe(keyDocId("c2", "k"));
	});

	it("does not let a key's text run into the customer's id", () => {
		expect(keyDocId("c1", "2k")).not.toBe(keyDocId("c12", "k"));
	});

	it("is a fixed-size hex id whatever the key holds", () => {
		expect(keyDocId("c1", "$where: 1 {}.")).toMatch(/^[0-9a-f]{64}$/);
	});
});
