import type { Address, CancelReason, OrderLine, OrderShipping, OrderStatus, Product } from "../../contracts";
import { UnprocessableError } from "../../lib/errors";
import {
	DEFAULT_PAYMENT_METHOD,
	OPEN_STATUSES,
	decide,
	moveOrder,
	movedOrder,
	newOrder,
	orderStep,
	priceOrder,
	sagaSeconds,
	toOrder,
	type Decision,
	type OrderDoc,
	type SagaTrigger,
} from "./order";

const NOW = new Date("2030-06-01T10:00:00.000Z");
const STEP_TIMEOUT_MS = 60_000;

function product(overrides: Partial<Product> = {}): Product {
	return {
		id: "p1",
		sku: "SKU-1",
		name: "Mug",
		description: "",
		category: "kitchen",
		priceCents: 899,
		currency: "EUR",
		weightGrams: 350,
		stock: 10,
		active: true,
		createdAt: NOW.toISOString(),
		updatedAt: NOW.toISOString(),
		...overrides,
	};
}

const ADDRESS: Address = {
	name: "Ada Lovelace",
	line1: "1 Engine Street",
	city: "London",
	postalCode: "N1 9GU",
	country: "gb",
};

const LINE: OrderLine = { productId: "p1", sku: "SKU-1", name: "Mug", unitPriceCents: 899, qty: 2, lineTotalCents: 1798 };

const SHIPPING: OrderShipping = { optionId: "standard", name: "Standard", priceCents: 990, days: { min: 3, max: 7 }, weightGrams: 700 };

/** A customer's order of LINE and its pricing, as newOrder is given them. */
const INPUT = { customerId: "c1", shippingAddress: ADDRESS, paymentMethod: DEFAULT_PAYMENT_METHOD, shipping: SHIPPING };
const PRICED = { items: [LINE], goodsCents: 1798, currency: "EUR", weightGrams: 700 };

/** What an order placed at NOW for LINE holds both as a stored document and as the order the API shows: the rest is bookkeeping. */
const PLACED = {
	customerId: "c1",
	items: [LINE],
	goodsCents: 1798,
	totalCents: 2788,
	currency: "EUR",
	shipping: SHIPPING,
	shippingAddress: { ...ADDRESS, country: "GB" },
	paymentMethod: "tok_visa",
	refundedCents: 0,
	history: [{ status: "PENDING" as const, at: NOW.toISOString(), reason: "ORDER_PLACED" }],
	createdAt: NOW.toISOString(),
	updatedAt: NOW.toISOString(),
};

/** Runs a function that should throw and returns what it threw. */
function thrownBy(fn: () => unknown): unknown {
	try {
		fn();
	} catch (err) {
		return err;
	}
	throw new Error("expected the call to throw");
}

/** What a call threw, checked to be an UnprocessableError answered with 422. */
function unprocessableBy(fn: () => unknown): UnprocessableError {
	const err = thrownBy(fn);
	expect(err).toBeInstanceOf(UnprocessableError);
	const error = err as UnprocessableError;
	expect(error.code).toBe(422);
	return error;
}

const WAIT: Decision = { kind: "wait" };
const IGNORE: Decision = { kind: "ignore" };
const LABELLED: Decision = { kind: "refuse", type: "ORDER_ALREADY_LABELLED" };
const to = (status: OrderStatus, reason: string): Decision => ({ kind: "move", to: status, reason });
const cancelled = (reason: CancelReason): Decision => ({ kind: "move", to: "CANCELLED", reason, cancelReason: reason });

const STATUSES: OrderStatus[] = ["PENDING", "AWAITING_PAYMENT", "AWAITING_SHIPMENT", "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED"];
const TRIGGERS: SagaTrigger[] = [
	"STOCK_RESERVED",
	"STOCK_REJECTED",
	"PAYMENT_ACTION_REQUIRED",
	"PAYMENT_SETTLED",
	"PAYMENT_FAILED",
	"SHIPMENT_BOOKED",
	"SHIPMENT_REFUSED",
	"SHIPMENT_DISPATCHED",
	"SHIPMENT_DELIVERED",
	"CUSTOMER_CANCELLED",
	"TIMEOUT",
];

/** Status × trigger for an order that ships; a row per trigger, a column per status in STATUSES' order. */
const SHIPPING_TABLE: Record<SagaTrigger, Decision[]> = {
	//                    PENDING                             AWAITING_PAYMENT                       AWAITING_SHIPMENT                      CONFIRMED                          SHIPPED                      DELIVERED    CANCELLED
	STOCK_RESERVED: [to("AWAITING_PAYMENT", "STOCK_RESERVED"), IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE],
	STOCK_REJECTED: [cancelled("OUT_OF_STOCK"), IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE],
	PAYMENT_ACTION_REQUIRED: [WAIT, to("AWAITING_PAYMENT", "PAYMENT_ACTION_REQUIRED"), IGNORE, IGNORE, IGNORE, IGNORE, IGNORE],
	PAYMENT_SETTLED: [WAIT, to("AWAITING_SHIPMENT", "PAYMENT_SETTLED"), IGNORE, IGNORE, IGNORE, IGNORE, IGNORE],
	PAYMENT_FAILED: [WAIT, cancelled("PAYMENT_DECLINED"), IGNORE, IGNORE, IGNORE, IGNORE, IGNORE],
	SHIPMENT_BOOKED: [WAIT, WAIT, to("CONFIRMED", "SHIPMENT_BOOKED"), IGNORE, IGNORE, IGNORE, IGNORE],
	SHIPMENT_REFUSED: [WAIT, WAIT, cancelled("SHIPPING_REFUSED"), IGNORE, IGNORE, IGNORE, IGNORE],
	SHIPMENT_DISPATCHED: [WAIT, WAIT, WAIT, to("SHIPPED", "SHIPMENT_DISPATCHED"), IGNORE, IGNORE, IGNORE],
	SHIPMENT_DELIVERED: [WAIT, WAIT, WAIT, WAIT, to("DELIVERED", "SHIPMENT_DELIVERED"), IGNORE, IGNORE],
	CUSTOMER_CANCELLED: [
		cancelled("CUSTOMER_CANCELLED"),
		cancelled("CUSTOMER_CANCELLED"),
		cancelled("CUSTOMER_CANCELLED"),
		LABELLED,
		LABELLED,
		LABELLED,
		IGNORE,
	],
	TIMEOUT: [cancelled("TIMEOUT"), cancelled("TIMEOUT"), cancelled("TIMEOUT"), IGNORE, IGNORE, IGNORE, IGNORE],
};

describe("decide", () => {
	it.each(TRIGGERS.flatMap((trigger) => STATUSES.map((status, i) => [status, trigger, SHIPPING_TABLE[trigger][i]!] as const)))(
		"in %s on %s decides %j",
		(status, trigger, expected) => {
			expect(decide(status, trigger)).toEqual(expected);
		},
	);

	// Orders placed before the shop shipped have no shipment: paid is confirmed, and no label stops a cancel.
	it.each<[OrderStatus, SagaTrigger, Decision]>([
		["AWAITING_PAYMENT", "PAYMENT_SETTLED", to("CONFIRMED", "PAYMENT_SETTLED")],
		["CONFIRMED", "CUSTOMER_CANCELLED", cancelled("CUSTOMER_CANCELLED")],
		["CONFIRMED", "PAYMENT_SETTLED", IGNORE],
		["PENDING", "STOCK_RESERVED", to("AWAITING_PAYMENT", "STOCK_RESERVED")],
	])("for an order placed before shipping, in %s on %s decides %j", (status, trigger, expected) => {
		expect(decide(status, trigger, false)).toEqual(expected);
	});

	it("gives no cancelReason to a move that does not cancel", () => {
		expect(decide("PENDING", "STOCK_RESERVED")).not.toHaveProperty("cancelReason");
		expect(decide("AWAITING_PAYMENT", "PAYMENT_SETTLED")).not.toHaveProperty("cancelReason");
	});
});

describe("orderStep", () => {
	const order = (status: OrderStatus): OrderDoc => ({ ...newOrder(INPUT, PRICED, "o1", NOW, STEP_TIMEOUT_MS), status });
	const money = { orderId: "o1", customerId: "c1", totalCents: 2788, currency: "EUR" };
	const paid = {
		type: "order.paid",
		aggregateId: "o1",
		body: { orderId: "o1", customerId: "c1", shippingAddress: { ...ADDRESS, country: "GB" }, shipping: SHIPPING },
	};
	const confirmed = { type: "order.confirmed", aggregateId: "o1", body: money };
	const cancelledEvent = (reason: string, previousStatus: OrderStatus) => ({
		type: "order.cancelled",
		aggregateId: "o1",
		body: { ...money, reason, previousStatus },
	});

	// What each move publishes: only the saga's turns (paid, confirmed, cancelled); the parcel's way is shipping's to tell.
	it.each<[OrderStatus, SagaTrigger, string, unknown[]]>([
		["PENDING", "STOCK_RESERVED", "AWAITING_PAYMENT", []],
		["PENDING", "STOCK_REJECTED", "CANCELLED", [cancelledEvent("OUT_OF_STOCK", "PENDING")]],
		["PENDING", "PAYMENT_SETTLED", "wait", []],
		["PENDING", "CUSTOMER_CANCELLED", "CANCELLED", [cancelledEvent("CUSTOMER_CANCELLED", "PENDING")]],
		["PENDING", "TIMEOUT", "CANCELLED", [cancelledEvent("TIMEOUT", "PENDING")]],
		["AWAITING_PAYMENT", "PAYMENT_SETTLED", "AWAITING_SHIPMENT", [paid]],
		["AWAITING_PAYMENT", "PAYMENT_FAILED", "CANCELLED", [cancelledEvent("PAYMENT_DECLINED", "AWAITING_PAYMENT")]],
		["AWAITING_SHIPMENT", "SHIPMENT_BOOKED", "CONFIRMED", [confirmed]],
		["AWAITING_SHIPMENT", "SHIPMENT_REFUSED", "CANCELLED", [cancelledEvent("SHIPPING_REFUSED", "AWAITING_SHIPMENT")]],
		["AWAITING_SHIPMENT", "CUSTOMER_CANCELLED", "CANCELLED", [cancelledEvent("CUSTOMER_CANCELLED", "AWAITING_SHIPMENT")]],
		["AWAITING_SHIPMENT", "TIMEOUT", "CANCELLED", [cancelledEvent("TIMEOUT", "AWAITING_SHIPMENT")]],
		["CONFIRMED", "SHIPMENT_DISPATCHED", "SHIPPED", []],
		["CONFIRMED", "CUSTOMER_CANCELLED", "refuse", []],
		["SHIPPED", "SHIPMENT_DELIVERED", "DELIVERED", []],
		["CANCELLED", "SHIPMENT_BOOKED", "ignore", []],
		["CANCELLED", "CUSTOMER_CANCELLED", "ignore", []],
	])("in %s on %s: %s, publishing %j", (status, trigger, outcome, events) => {
		const step = orderStep(order(status), trigger, NOW, STEP_TIMEOUT_MS);
		expect(step.kind === "move" ? step.decision.to : step.kind).toBe(outcome);
		expect(step.kind === "move" ? step.events : []).toEqual(events);
	});

	it("confirms an order placed before the shop shipped at its payment, announcing order.confirmed", () => {
		const { shipping: _none, ...legacy } = order("AWAITING_PAYMENT");
		const step = orderStep(legacy, "PAYMENT_SETTLED", NOW, STEP_TIMEOUT_MS);
		expect(step).toMatchObject({ kind: "move", decision: { to: "CONFIRMED" }, events: [{ type: "order.confirmed" }] });
	});

	it("sets the facts a step brings with it: the carrier's tracking once the shipment is booked", () => {
		const tracking = { carrier: "Sandbox Parcel", trackingNumber: "SP1", label: "L1" };
		const step = orderStep(order("AWAITING_SHIPMENT"), "SHIPMENT_BOOKED", NOW, STEP_TIMEOUT_MS, { tracking });
		expect(step).toMatchObject({ kind: "move", set: { status: "CONFIRMED", tracking } });
	});

	it("writes the move as moveOrder does: status, deadline and history entry at the given time", () => {
		const step = orderStep(order("AWAITING_SHIPMENT"), "SHIPMENT_BOOKED", NOW, STEP_TIMEOUT_MS);
		expect(step).toMatchObject({
			kind: "move",
			set: { status: "CONFIRMED", updatedAt: NOW.toISOString() },
			unset: { sagaDeadlineMs: true },
			entry: { status: "CONFIRMED", at: NOW.toISOString(), reason: "SHIPMENT_BOOKED" },
		});
	});
});

describe("moveOrder", () => {
	it("restarts the saga deadline when the order moves to an open status", () => {
		expect(moveOrder({ kind: "move", to: "AWAITING_PAYMENT", reason: "STOCK_RESERVED" }, NOW, STEP_TIMEOUT_MS)).toEqual({
			set: { status: "AWAITING_PAYMENT", updatedAt: NOW.toISOString(), sagaDeadlineMs: NOW.getTime() + STEP_TIMEOUT_MS },
			unset: {},
			entry: { status: "AWAITING_PAYMENT", at: NOW.toISOString(), reason: "STOCK_RESERVED" },
		});
	});

	it("removes the deadline and sets no cancelReason when the order is confirmed", () => {
		const { set, unset, entry } = moveOrder({ kind: "move", to: "CONFIRMED", reason: "PAYMENT_SETTLED" }, NOW, STEP_TIMEOUT_MS);
		expect(set).toEqual({ status: "CONFIRMED", updatedAt: NOW.toISOString() });
		expect(unset).toEqual({ sagaDeadlineMs: true });
		expect(set).not.toHaveProperty("cancelReason");
		expect(entry).toEqual({ status: "CONFIRMED", at: NOW.toISOString(), reason: "PAYMENT_SETTLED" });
	});

	it("removes the deadline and records the cancelReason when the order is cancelled", () => {
		expect(moveOrder({ kind: "move", to: "CANCELLED", reason: "PAYMENT_DECLINED", cancelReason: "PAYMENT_DECLINED" }, NOW, STEP_TIMEOUT_MS)).toEqual({
			set: { status: "CANCELLED", updatedAt: NOW.toISOString(), cancelReason: "PAYMENT_DECLINED" },
			unset: { sagaDeadlineMs: true },
			entry: { status: "CANCELLED", at: NOW.toISOString(), reason: "PAYMENT_DECLINED" },
		});
	});

	it.each(["OUT_OF_STOCK", "TIMEOUT", "CUSTOMER_CANCELLED"] as const)("records the cancelReason %s from decide", (reason) => {
		const status: OrderStatus = reason === "OUT_OF_STOCK" ? "PENDING" : "AWAITING_PAYMENT";
		const trigger: SagaTrigger = reason === "OUT_OF_STOCK" ? "STOCK_REJECTED" : reason;
		const decision = decide(status, trigger);
		if (decision.kind !== "move") throw new Error(`expected a move, got ${decision.kind}`);
		const { set, unset, entry } = moveOrder(decision, NOW, STEP_TIMEOUT_MS);
		expect(set.cancelReason).toBe(reason);
		expect(set).not.toHaveProperty("sagaDeadlineMs");
		expect(unset).toEqual({ sagaDeadlineMs: true });
		expect(entry.reason).toBe(reason);
	});

	it("gives the order as written: the fields set, the history entry added, the deadline gone once final", () => {
		const open: OrderDoc = { ...newOrder(INPUT, PRICED, "o1", NOW, STEP_TIMEOUT_MS), status: "AWAITING_PAYMENT" };
		const moved = movedOrder(open, moveOrder({ kind: "move", to: "CONFIRMED", reason: "PAYMENT_SETTLED" }, NOW, STEP_TIMEOUT_MS));
		const { sagaDeadlineMs, ...rest } = open;
		expect(sagaDeadlineMs).toEqual(expect.any(Number));
		expect(moved).toEqual({
			...rest,
			status: "CONFIRMED",
			updatedAt: NOW.toISOString(),
			history: [...open.history, { status: "CONFIRMED", at: NOW.toISOString(), reason: "PAYMENT_SETTLED" }],
		});
		expect(moved).not.toHaveProperty("sagaDeadlineMs");
	});

	it("uses the step timeout it is given for the new deadline", () => {
		const { set } = moveOrder({ kind: "move", to: "PENDING", reason: "RETRY" }, NOW, 5);
		expect(set.sagaDeadlineMs).toBe(NOW.getTime() + 5);
	});
});

describe("priceOrder", () => {
	it("prices each line from the product and totals the order in cents", () => {
		const products = [
			product({ id: "p1", sku: "SKU-1", name: "Mug", priceCents: 899 }),
			product({ id: "p2", sku: "SKU-2", name: "Book", priceCents: 1250 }),
		];
		expect(
			priceOrder(
				[
					{ productId: "p2", qty: 1 },
					{ productId: "p1", qty: 3 },
				],
				products,
			),
		).toEqual({
			items: [
				{ productId: "p1", sku: "SKU-1", name: "Mug", unitPriceCents: 899, qty: 3, lineTotalCents: 2697 },
				{ productId: "p2", sku: "SKU-2", name: "Book", unitPriceCents: 1250, qty: 1, lineTotalCents: 1250 },
			],
			goodsCents: 3947,
			currency: "EUR",
			weightGrams: 4 * 350,
		});
	});

	it("merges duplicate lines for one product into one line", () => {
		const priced = priceOrder(
			[
				{ productId: "p1", qty: 2 },
				{ productId: "p1", qty: 5 },
			],
			[product({ priceCents: 100 })],
		);
		expect(priced.items).toEqual([{ productId: "p1", sku: "SKU-1", name: "Mug", unitPriceCents: 100, qty: 7, lineTotalCents: 700 }]);
		expect(priced.goodsCents).toBe(700);
	});

	it("refuses more than 100 of one product however many lines carry it, and accepts exactly 100", () => {
		const lines = (...qtys: number[]) => qtys.map((qty) => ({ productId: "p1", qty }));
		for (const split of [
			[100, 100, 100],
			[51, 50],
			[100, 1],
		]) {
			expect(() => priceOrder(lines(...split), [product()])).toThrow(
				expect.objectContaining({ code: 422, type: "LINE_QTY_TOO_LARGE", data: { productIds: ["p1"], max: 100 } }),
			);
		}
		expect(priceOrder(lines(50, 30, 20), [product()]).items[0]!.qty).toBe(100);
	});

	it("keeps totals exact integers where decimal euros would not add up", () => {
		const priced = priceOrder(
			[
				{ productId: "a", qty: 1 },
				{ productId: "b", qty: 1 },
			],
			[product({ id: "a", priceCents: 10 }), product({ id: "b", priceCents: 20 })],
		);
		expect(priced.goodsCents).toBe(30);
		expect(Number.isInteger(priced.goodsCents)).toBe(true);
	});

	it("weighs the parcel: each product's weight times its quantity", () => {
		const products = [product({ id: "a", weightGrams: 350 }), product({ id: "b", weightGrams: 1200 })];
		expect(
			priceOrder(
				[
					{ productId: "a", qty: 3 },
					{ productId: "b", qty: 2 },
				],
				products,
			).weightGrams,
		).toBe(3 * 350 + 2 * 1200);
	});

	it("takes the currency from the products", () => {
		expect(priceOrder([{ productId: "p1", qty: 1 }], [product({ currency: "USD" })]).currency).toBe("USD");
	});

	it("ignores products that were given but not ordered", () => {
		const priced = priceOrder([{ productId: "p1", qty: 1 }], [product(), product({ id: "p9", currency: "USD", priceCents: 5 })]);
		expect(priced.items.map((line) => line.productId)).toEqual(["p1"]);
		expect(priced.goodsCents).toBe(899);
		expect(priced.currency).toBe("EUR");
	});

	it("refuses unknown products with UNKNOWN_PRODUCT_IN_ORDER and names every unknown id once", () => {
		const error = unprocessableBy(() =>
			priceOrder(
				[
					{ productId: "ghost-b", qty: 1 },
					{ productId: "p1", qty: 1 },
					{ productId: "ghost-a", qty: 1 },
					{ productId: "ghost-b", qty: 2 },
				],
				[product()],
			),
		);
		expect(error.type).toBe("UNKNOWN_PRODUCT_IN_ORDER");
		expect(error.data).toEqual({ productIds: ["ghost-a", "ghost-b"] });
	});

	it("refuses every line when no products are given", () => {
		const err = thrownBy(() => priceOrder([{ productId: "p1", qty: 1 }], [])) as UnprocessableError;
		expect(err.type).toBe("UNKNOWN_PRODUCT_IN_ORDER");
		expect(err.data).toEqual({ productIds: ["p1"] });
	});

	describe("with a product in euros and one in dollars", () => {
		const products = [product({ id: "p1", currency: "EUR" }), product({ id: "p2", currency: "USD" })];
		const oneOfEach = [
			{ productId: "p1", qty: 1 },
			{ productId: "p2", qty: 1 },
		];

		it("refuses products priced in different currencies with MIXED_CURRENCIES", () => {
			const error = unprocessableBy(() => priceOrder(oneOfEach, products));
			expect(error.type).toBe("MIXED_CURRENCIES");
			expect(error.data).toEqual({ currencies: ["EUR", "USD"] });
		});

		it("reports unknown products before mixed currencies", () => {
			const err = thrownBy(() => priceOrder([...oneOfEach, { productId: "ghost", qty: 1 }], products)) as UnprocessableError;
			expect(err.type).toBe("UNKNOWN_PRODUCT_IN_ORDER");
		});
	});
});

describe("newOrder", () => {
	it("starts PENDING with an ORDER_PLACED history entry, a deadline one step from now, and goods and shipping in its total", () => {
		expect(newOrder(INPUT, PRICED, "order-1", NOW, STEP_TIMEOUT_MS)).toEqual({
			_id: "order-1",
			...PLACED,
			status: "PENDING",
			sagaDeadlineMs: NOW.getTime() + STEP_TIMEOUT_MS,
		});
	});

	it("upper-cases the country without changing the address it was given", () => {
		const address: Address = { ...ADDRESS, country: "De", line2: "Hinterhaus" };
		const doc = newOrder({ ...INPUT, shippingAddress: address }, PRICED, "order-2", NOW, STEP_TIMEOUT_MS);
		expect(doc.shippingAddress).toEqual({ ...address, country: "DE" });
		expect(address.country).toBe("De");
	});

	it("has no cancelReason and no outbox", () => {
		const doc = newOrder(INPUT, PRICED, "order-3", NOW, STEP_TIMEOUT_MS);
		expect(doc).not.toHaveProperty("cancelReason");
		expect(doc).not.toHaveProperty("outbox");
	});

	it("keeps the payment method it is given", () => {
		expect(newOrder({ ...INPUT, paymentMethod: "tok_slow" }, PRICED, "order-4", NOW, STEP_TIMEOUT_MS).paymentMethod).toBe("tok_slow");
	});
});

describe("toOrder", () => {
	function orderDoc(overrides: Partial<OrderDoc> = {}): OrderDoc {
		return {
			_id: "order-1",
			...PLACED,
			status: "AWAITING_PAYMENT",
			sagaDeadlineMs: NOW.getTime() + STEP_TIMEOUT_MS,
			outbox: [],
			...overrides,
		};
	}

	it("names the order by its id and leaves out the outbox and the saga deadline", () => {
		const result = toOrder(orderDoc());
		expect(result).toEqual({ id: "order-1", ...PLACED, shippingCents: 990, status: "AWAITING_PAYMENT" });
		expect(result).not.toHaveProperty("outbox");
		expect(result).not.toHaveProperty("sagaDeadlineMs");
		expect(result).not.toHaveProperty("_id");
		expect(result).not.toHaveProperty("cancelReason");
	});

	it("includes the cancelReason of a cancelled order", () => {
		const result = toOrder(orderDoc({ status: "CANCELLED", cancelReason: "TIMEOUT", sagaDeadlineMs: null, refundedCents: 1798 }));
		expect(result.status).toBe("CANCELLED");
		expect(result.cancelReason).toBe("TIMEOUT");
		expect(result.refundedCents).toBe(1798);
	});

	it("shows an order placed before the shop shipped as goods only, with no shipping", () => {
		const { shipping: _none, goodsCents: _goods, ...legacy } = orderDoc({ totalCents: 1798 });
		const result = toOrder(legacy);
		expect(result).toMatchObject({ goodsCents: 1798, shippingCents: 0, totalCents: 1798 });
		expect(result).not.toHaveProperty("shipping");
	});

	it("leaves out other bookkeeping fields stored on the document", () => {
		const result = toOrder(orderDoc({ refunds: { "event-1": 500 } }));
		expect(result).not.toHaveProperty("refunds");
	});
});

describe("OPEN_STATUSES", () => {
	it("lists the three statuses the saga is still working on", () => {
		expect([...OPEN_STATUSES]).toEqual(["PENDING", "AWAITING_PAYMENT", "AWAITING_SHIPMENT"]);
	});
});

describe("sagaSeconds", () => {
	it("is the time from the order's creation to the final step, in seconds", () => {
		expect(sagaSeconds({ createdAt: "2030-06-01T10:00:00.000Z" }, new Date("2030-06-01T10:00:02.500Z"))).toBe(2.5);
	});

	it("is never negative when clocks of two nodes disagree", () => {
		expect(sagaSeconds({ createdAt: "2030-06-01T10:00:01.000Z" }, new Date("2030-06-01T10:00:00.000Z"))).toBe(0);
	});
});
