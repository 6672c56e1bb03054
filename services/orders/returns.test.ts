import { ORDER_STATUSES, type OrderReturn, type OrderStatus } from "../../contracts";
import type { OrderDoc } from "./order";
import { decideReturn, returnsOf, type ReturnCommand, type ReturnDecision } from "./returns";

const NOW = new Date("2030-06-10T10:00:00.000Z");
const DELIVERED_AT = "2030-06-05T10:00:00.000Z";
const UNTIL = "2030-07-05T10:00:00.000Z";

/** A delivered order of 2 mugs (8.99) and 1 lamp (25.00), shipped for 9.90: 52.88 in all. */
function order(overrides: Partial<OrderDoc> = {}): OrderDoc {
	return {
		_id: "o1",
		customerId: "c1",
		items: [
			{ productId: "mug", sku: "MUG", name: "Mug", unitPriceCents: 899, qty: 2, lineTotalCents: 1798 },
			{ productId: "lamp", sku: "LAMP", name: "Lamp", unitPriceCents: 2500, qty: 1, lineTotalCents: 2500 },
		],
		goodsCents: 4298,
		totalCents: 5288,
		currency: "EUR",
		shipping: { optionId: "standard", name: "Standard", priceCents: 990, days: { min: 3, max: 7 }, weightGrams: 1700 },
		shippingAddress: { name: "Ada", line1: "1 St", city: "London", postalCode: "N1 9GU", country: "GB" },
		paymentMethod: "tok_visa",
		status: "DELIVERED",
		refundedCents: 0,
		history: [{ status: "DELIVERED", at: DELIVERED_AT, reason: "SHIPMENT_DELIVERED" }],
		returnableUntil: UNTIL,
		createdAt: DELIVERED_AT,
		updatedAt: DELIVERED_AT,
		...overrides,
	};
}

const ret = (id: string, status: OrderReturn["status"], items: OrderReturn["items"], refundCents: number, includesShipping = false): OrderReturn => ({
	id,
	status,
	items,
	refundCents,
	includesShipping,
	requestedAt: DELIVERED_AT,
});
const ONE_MUG = ret("r1", "REQUESTED", [{ productId: "mug", qty: 1, refundCents: 899 }], 899);

/** A decision in a word, for the tables: the refusal's type, or what is written and published. */
function outcome(decision: ReturnDecision): string {
	if (decision.kind === "refuse") return decision.type;
	if (decision.kind === "ignore") return "ignore";
	if (decision.kind === "replay") return `replay ${decision.returnId}`;
	return `${decision.returned.id} ${decision.returned.status}${decision.events.length > 0 ? ` ${decision.events[0]!.type}` : ""}`;
}

const REQUEST_ONE_MUG: ReturnCommand = { type: "REQUEST", items: [{ productId: "mug", qty: 1 }] };

describe("decideReturn: asking for a return", () => {
	it.each(ORDER_STATUSES.map((status) => [status, status === "DELIVERED" ? "r1 REQUESTED return.requested" : "ORDER_NOT_DELIVERED"] as const))(
		"in %s: %s",
		(status, expected) => {
			expect(outcome(decideReturn(order({ status: status as OrderStatus }), REQUEST_ONE_MUG, NOW))).toBe(expected);
		},
	);

	it.each([
		["within the window", UNTIL, "r1 REQUESTED return.requested"],
		["at its last millisecond", NOW.toISOString(), "r1 REQUESTED return.requested"],
		["after it closed", "2030-06-10T09:59:59.999Z", "RETURN_WINDOW_CLOSED"],
		["with no window (delivered before returns existed)", undefined, "RETURN_WINDOW_CLOSED"],
	])("%s: %s", (_name, returnableUntil, expected) => {
		expect(outcome(decideReturn(order({ returnableUntil }), REQUEST_ONE_MUG, NOW))).toBe(expected);
	});

	it.each<[string, { productId: string; qty: number }[], Partial<OrderDoc>, string]>([
		["a line not in the order", [{ productId: "sofa", qty: 1 }], {}, "RETURN_LINE_NOT_IN_ORDER"],
		["more units than were bought", [{ productId: "mug", qty: 3 }], {}, "RETURN_QTY_TOO_LARGE"],
		[
			"the same line twice, over the quantity together",
			[
				{ productId: "mug", qty: 1 },
				{ productId: "mug", qty: 2 },
			],
			{},
			"RETURN_QTY_TOO_LARGE",
		],
		["units an earlier return already takes", [{ productId: "mug", qty: 2 }], { returns: { r1: ONE_MUG }, returnSeq: 1 }, "RETURN_QTY_TOO_LARGE"],
		["the units an earlier return left", [{ productId: "mug", qty: 1 }], { returns: { r1: ONE_MUG }, returnSeq: 1 }, "r2 REQUESTED return.requested"],
	])("%s: %s", (_name, items, overrides, expected) => {
		expect(outcome(decideReturn(order(overrides), { type: "REQUEST", items }, NOW))).toBe(expected);
	});

	it("refunds the returned lines only while part of the order stays with the customer", () => {
		const decision = decideReturn(order(), { type: "REQUEST", items: [{ productId: "mug", qty: 2 }] }, NOW);
		expect(decision).toMatchObject({
			kind: "write",
			condition: { returnSeq: { $exists: false } },
			returned: { id: "r1", status: "REQUESTED", items: [{ productId: "mug", qty: 2, refundCents: 1798 }], refundCents: 1798, includesShipping: false },
		});
		expect(decision.kind === "write" && decision.set).toMatchObject({ returnSeq: 1, returnsToReceive: 1 });
		expect(decision.kind === "write" && decision.events[0]).toEqual({
			type: "return.requested",
			aggregateId: "o1",
			body: { orderId: "o1", customerId: "c1", returnId: "r1", items: [{ productId: "mug", qty: 2 }], refundCents: 1798, currency: "EUR" },
		});
	});

	it("refunds shipping too when the return brings back the last of the order, all at once or after earlier returns", () => {
		const all = decideReturn(
			order(),
			{
				type: "REQUEST",
				items: [
					{ productId: "lamp", qty: 1 },
					{ productId: "mug", qty: 2 },
				],
			},
			NOW,
		);
		expect(all).toMatchObject({ returned: { refundCents: 1798 + 2500 + 990, includesShipping: true } });
		const rest = decideReturn(
			order({ returns: { r1: { ...ONE_MUG, status: "REFUNDED" } }, returnSeq: 1 }),
			{
				type: "REQUEST",
				items: [
					{ productId: "mug", qty: 1 },
					{ productId: "lamp", qty: 1 },
				],
			},
			NOW,
		);
		expect(rest).toMatchObject({ condition: { returnSeq: 1 }, returned: { id: "r2", refundCents: 899 + 2500 + 990, includesShipping: true } });
	});
});

describe("decideReturn: a request with an Idempotency-Key", () => {
	const claim = { keyId: "k1", fingerprint: "f1" };
	const asked = order({ returns: { r1: ONE_MUG }, returnSeq: 1, returnKeys: { k1: { returnId: "r1", fingerprint: "f1" } } });

	it("keeps the key with the return it made", () => {
		const decision = decideReturn(order(), { ...REQUEST_ONE_MUG, claim }, NOW);
		expect(decision.kind === "write" && decision.set["returnKeys.k1"]).toEqual({ returnId: "r1", fingerprint: "f1" });
	});

	it.each<[string, Partial<OrderDoc>, { keyId: string; fingerprint: string }, string]>([
		["the same request again: the return it made", {}, claim, "replay r1"],
		["the same request after the window closed: still the return it made", { returnableUntil: "2030-06-01T00:00:00.000Z" }, claim, "replay r1"],
		["another request under the key", {}, { keyId: "k1", fingerprint: "f2" }, "IDEMPOTENCY_KEY_REUSED"],
		["another key: a return of its own", {}, { keyId: "k2", fingerprint: "f1" }, "r2 REQUESTED return.requested"],
	])("%s: %s", (_name, overrides, keyed, expected) => {
		expect(outcome(decideReturn({ ...asked, ...overrides }, { ...REQUEST_ONE_MUG, claim: keyed }, NOW))).toBe(expected);
	});
});

describe("decideReturn: a return's steps", () => {
	const STATUSES: OrderReturn["status"][] = ["REQUESTED", "RECEIVED", "REFUNDED"];
	const COMMANDS: [string, ReturnCommand, string[]][] = [
		["RECEIVE", { type: "RECEIVE", returnId: "r1" }, ["r1 RECEIVED return.received", "RETURN_ALREADY_RECEIVED", "RETURN_ALREADY_RECEIVED"]],
		["REFUNDED", { type: "REFUNDED", returnId: "r1", refundId: "e1", amountCents: 899 }, ["ignore", "r1 REFUNDED", "ignore"]],
	];
	it.each(COMMANDS.flatMap(([name, command, row]) => STATUSES.map((status, i) => [status, name, command, row[i]!] as const)))(
		"a return %s on %s: %s",
		(status, _name, command, expected) => {
			expect(outcome(decideReturn(order({ returns: { r1: { ...ONE_MUG, status } }, returnSeq: 1, returnsToReceive: 1 }), command, NOW))).toBe(expected);
		},
	);

	it("answers 404 for a return the order does not have", () => {
		expect(outcome(decideReturn(order(), { type: "RECEIVE", returnId: "r7" }, NOW))).toBe("RETURN_NOT_FOUND");
	});

	it("publishes the received return with its amount, under a compare-and-set on its status", () => {
		const decision = decideReturn(order({ returns: { r1: ONE_MUG }, returnSeq: 1, returnsToReceive: 1 }), { type: "RECEIVE", returnId: "r1" }, NOW);
		expect(decision).toMatchObject({
			condition: { "returns.r1.status": "REQUESTED" },
			set: { returnsToReceive: 0 },
			returned: { status: "RECEIVED", receivedAt: NOW.toISOString() },
		});
		expect(decision.kind === "write" && decision.events[0]!.body).toEqual({
			orderId: "o1",
			customerId: "c1",
			returnId: "r1",
			items: [{ productId: "mug", qty: 1 }],
			refundCents: 899,
			currency: "EUR",
		});
	});

	it("counts the refund into the order's refunded amount once, under its event id", () => {
		const decision = decideReturn(
			order({ returns: { r1: { ...ONE_MUG, status: "RECEIVED" } } }),
			{ type: "REFUNDED", returnId: "r1", refundId: "e1", amountCents: 899 },
			NOW,
		);
		expect(decision).toMatchObject({ set: { "refunds.e1": 899 }, inc: { refundedCents: 899 }, returned: { status: "REFUNDED" } });
	});

	it("lists the returns in the order they were asked for", () => {
		const r2 = { ...ONE_MUG, id: "r2" };
		const r10 = { ...ONE_MUG, id: "r10" };
		expect(returnsOf({ returns: { r10, r2, r1: ONE_MUG } }).map((one) => one.id)).toEqual(["r1", "r2", "r10"]);
	});
});
