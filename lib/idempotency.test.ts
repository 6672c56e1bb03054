import { IDEMPOTENCY_KEY_PATTERN, requestFingerprint } from "./idempotency";

describe("requestFingerprint", () => {
	const body = { items: [{ productId: "p1", qty: 2 }], shippingAddress: { name: "Ada", city: "Paris" } };

	it("is the same for the same request whatever the order of its keys", () => {
		const reordered = { shippingAddress: { city: "Paris", name: "Ada" }, items: [{ qty: 2, productId: "p1" }] };
		expect(requestFingerprint("orders.create", reordered)).toBe(requestFingerprint("orders.create", body));
	});

	it.each([
		["another quantity", "orders.create", { ...body, items: [{ productId: "p1", qty: 3 }] }],
		[
			"lines in another order",
			"orders.create",
			{
				...body,
				items: [
					{ productId: "p1", qty: 2 },
					{ productId: "p2", qty: 1 },
				].reverse(),
			},
		],
		["another route", "cart.checkout", body],
		["a field more", "orders.create", { ...body, paymentMethod: "tok_visa" }],
	])("differs for %s", (_what, route, other) => {
		expect(requestFingerprint(route, other)).not.toBe(requestFingerprint("orders.create", body));
	});
});

describe("IDEMPOTENCY_KEY_PATTERN", () => {
	it.each([["a"], ["order-2030-06-01 #1"], ["x".repeat(255)]])("accepts %j", (key) => expect(IDEMPOTENCY_KEY_PATTERN.test(key)).toBe(true));
	it.each([[""], ["x".repeat(256)], ["tab\there"], ["new\nline"], ["é"], [" leading"], ["trailing "], ["   "]])("refuses %j", (key) =>
		expect(IDEMPOTENCY_KEY_PATTERN.test(key)).toBe(false),
	);
});
