import type { Notification, Order, Payment, Reservation, Shipment, TimelineEntry } from "../../contracts";
import { composeTimeline, readPart, sortEntries, type Part } from "./timeline";

const T0 = Date.parse("2030-06-01T10:00:00.000Z");
/** The time `ms` milliseconds after T0. */
const at = (ms: number) => new Date(T0 + ms).toISOString();
const ok = <T>(value: T): Part<T> => ({ ok: true, value });

/** A record's history from [status, ms after T0, reason] steps; it was created at its first step and last updated at its last. */
function recorded<S extends string>(...steps: [status: S, ms: number, reason: string][]) {
	const history = steps.map(([status, ms, reason]) => ({ status, at: at(ms), reason }));
	return { history, createdAt: history[0]!.at, updatedAt: history.at(-1)!.at };
}

function order(overrides: Partial<Order> = {}): Order {
	return {
		id: "order-1",
		customerId: "customer-1",
		items: [{ productId: "p1", sku: "P1", name: "One", unitPriceCents: 500, qty: 2, lineTotalCents: 1000 }],
		goodsCents: 1000,
		shippingCents: 0,
		totalCents: 1000,
		currency: "EUR",
		shippingAddress: { name: "Ada", line1: "1 Street", city: "London", postalCode: "N1", country: "GB" },
		paymentMethod: "tok_visa",
		status: "CONFIRMED",
		refundedCents: 0,
		...recorded(["PENDING", 0, "ORDER_PLACED"], ["AWAITING_PAYMENT", 30, "STOCK_RESERVED"], ["CONFIRMED", 60, "PAYMENT_SETTLED"]),
		...overrides,
	};
}

const reservation: Reservation = {
	orderId: "order-1",
	status: "COMMITTED",
	items: [{ productId: "p1", qty: 2 }],
	expiresAt: at(900_000),
	...recorded(["PENDING", 10, "ORDER_CREATED"], ["RESERVED", 20, "STOCK_HELD"], ["COMMITTED", 55, "PAYMENT_SETTLED"]),
};

const payment: Payment = {
	id: "payment-1",
	orderId: "order-1",
	customerId: "customer-1",
	amountCents: 1000,
	currency: "EUR",
	method: "tok_visa",
	status: "SETTLED",
	refundedCents: 0,
	providerRef: "ch_1",
	...recorded(["PENDING", 15, "ORDER_CREATED"], ["CHARGING", 40, "CHARGE_STARTED"], ["SETTLED", 50, "PROVIDER_APPROVED"]),
};

const email: Notification = {
	id: "event-1",
	customerId: "customer-1",
	orderId: "order-1",
	kind: "order.confirmed",
	to: "ada@example.com",
	subject: "Your order is confirmed",
	status: "SENT",
	createdAt: at(70),
	sentAt: at(80),
};

const steps = (entries: TimelineEntry[]) => entries.map((entry) => `${entry.service} ${entry.status}`);

describe("composeTimeline", () => {
	it("merges the order's, the reservation's, the payment's and the emails' histories into one, oldest first", () => {
		const timeline = composeTimeline({
			order: order(),
			reservation: ok(reservation),
			payment: ok(payment),
			shipment: ok(null),
			notifications: ok([email]),
		});
		expect(steps(timeline.entries)).toEqual([
			"orders PENDING",
			"catalogue PENDING",
			"payments PENDING",
			"catalogue RESERVED",
			"orders AWAITING_PAYMENT",
			"payments CHARGING",
			"payments SETTLED",
			"catalogue COMMITTED",
			"orders CONFIRMED",
			"notifications SENT",
		]);
		expect(timeline).toMatchObject({ orderId: "order-1", customerId: "customer-1", status: "CONFIRMED", missing: [] });
	});

	it("says what happened and gives the facts of each step", () => {
		const { entries } = composeTimeline({
			order: order(),
			reservation: ok(reservation),
			payment: ok(payment),
			shipment: ok(null),
			notifications: ok([email]),
		});
		const find = (service: string, status: string) => entries.find((entry) => entry.service === service && entry.status === status);
		expect(find("orders", "PENDING")).toEqual({
			at: at(0),
			service: "orders",
			status: "PENDING",
			reason: "ORDER_PLACED",
			summary: "order placed",
			details: { totalCents: 1000, goodsCents: 1000, shippingCents: 0, currency: "EUR", lines: 1 },
		});
		expect(find("payments", "SETTLED")).toMatchObject({ summary: "payment charged", details: { amountCents: 1000, currency: "EUR", providerRef: "ch_1" } });
		expect(find("notifications", "SENT")).toEqual({
			at: at(80),
			service: "notifications",
			status: "SENT",
			reason: "order.confirmed",
			summary: "email sent: Your order is confirmed",
			details: { to: "ada@example.com" },
		});
		expect(find("orders", "CONFIRMED")).not.toHaveProperty("details");
	});

	it("shows a refund from the payment and as the order recorded it, and the stock that came back", () => {
		const cancelled = order({
			status: "CANCELLED",
			cancelReason: "CUSTOMER_CANCELLED",
			history: [
				...order().history,
				{ status: "CANCELLED", at: at(100), reason: "CUSTOMER_CANCELLED" },
				{ status: "CANCELLED", at: at(130), reason: "PAYMENT_REFUNDED" },
			],
		});
		const refunded: Payment = {
			...payment,
			status: "REFUNDED",
			refundedCents: 1000,
			history: [
				...payment.history,
				{ status: "REFUNDING", at: at(110), reason: "REFUND_STARTED" },
				{ status: "REFUNDED", at: at(120), reason: "PROVIDER_REFUNDED" },
			],
		};
		const returned: Reservation = {
			...reservation,
			status: "RETURNED",
			history: [...reservation.history, { status: "RETURNED", at: at(105), reason: "ORDER_CANCELLED" }],
		};
		const { entries } = composeTimeline({ order: cancelled, reservation: ok(returned), payment: ok(refunded), shipment: ok(null), notifications: ok([]) });
		expect(steps(entries).slice(-5)).toEqual(["orders CANCELLED", "catalogue RETURNED", "payments REFUNDING", "payments REFUNDED", "orders CANCELLED"]);
		expect(entries.find((entry) => entry.status === "REFUNDED")).toMatchObject({
			summary: "payment refunded",
			details: { refundedCents: 1000, currency: "EUR" },
		});
		expect(entries.at(-1)).toMatchObject({ reason: "PAYMENT_REFUNDED", summary: "refund recorded on the order" });
	});

	it("places the shipment's steps in the saga's order: booked before the confirmation, then collected and delivered with their emails", () => {
		const tracking = { carrier: "Sandbox Parcel", trackingNumber: "SP1", label: "L1" };
		const shipped = order({
			shippingCents: 990,
			totalCents: 1990,
			status: "DELIVERED",
			tracking,
			...recorded(
				["PENDING", 0, "ORDER_PLACED"],
				["AWAITING_PAYMENT", 30, "STOCK_RESERVED"],
				["AWAITING_SHIPMENT", 60, "PAYMENT_SETTLED"],
				["CONFIRMED", 70, "SHIPMENT_BOOKED"],
				["SHIPPED", 500, "SHIPMENT_DISPATCHED"],
				["DELIVERED", 900, "SHIPMENT_DELIVERED"],
			),
		});
		const shipment: Shipment = {
			orderId: "order-1",
			customerId: "customer-1",
			status: "DELIVERED",
			optionId: "standard",
			weightGrams: 700,
			destination: { country: "GB", postalCode: "N1" },
			tracking,
			...recorded(
				["PENDING", 60, "ORDER_PAID"],
				["BOOKING", 60, "BOOKING_STARTED"],
				["LABELLED", 65, "CARRIER_ACCEPTED"],
				["IN_TRANSIT", 500, "CARRIER_COLLECTED"],
				["DELIVERED", 900, "CARRIER_DELIVERED"],
			),
		};
		const emails: Notification[] = [
			{ ...email, id: "e1", createdAt: at(71), sentAt: at(72) },
			{ ...email, id: "e2", kind: "shipment.dispatched", subject: "On its way", createdAt: at(500), sentAt: at(500) },
			{ ...email, id: "e3", kind: "shipment.delivered", subject: "Delivered", createdAt: at(900), sentAt: at(900) },
		];
		const { entries } = composeTimeline({
			order: shipped,
			reservation: ok(reservation),
			payment: ok(payment),
			shipment: ok(shipment),
			notifications: ok(emails),
		});
		expect(steps(entries).slice(-12)).toEqual([
			"orders AWAITING_SHIPMENT",
			"shipping PENDING",
			"shipping BOOKING",
			"shipping LABELLED",
			"orders CONFIRMED",
			"notifications SENT",
			"shipping IN_TRANSIT",
			"orders SHIPPED",
			"notifications SENT",
			"shipping DELIVERED",
			"orders DELIVERED",
			"notifications SENT",
		]);
		expect(entries.find((entry) => entry.service === "shipping" && entry.status === "LABELLED")).toMatchObject({
			summary: "parcel booked, label printed",
			details: { carrier: "Sandbox Parcel", trackingNumber: "SP1" },
		});
		expect(entries.find((entry) => entry.service === "shipping" && entry.status === "PENDING")).toMatchObject({
			details: { option: "standard", weightGrams: 700, destination: "GB N1" },
		});
	});

	it("tells each return's steps on the order, with the refund the payment made for it", () => {
		const returned = order({
			status: "DELIVERED",
			returns: [
				{
					id: "r1",
					status: "REFUNDED",
					items: [{ productId: "p1", qty: 1, refundCents: 500 }],
					refundCents: 500,
					includesShipping: false,
					requestedAt: at(1000),
					receivedAt: at(2000),
					refundedAt: at(2100),
				},
			],
		});
		const refundedPayment: Payment = {
			...payment,
			refundedCents: 500,
			history: [...payment.history, { status: "SETTLED", at: at(2050), reason: "RETURN_REFUNDED" }],
		};
		const timeline = composeTimeline({ order: returned, reservation: ok(null), payment: ok(refundedPayment), shipment: ok(null), notifications: ok([]) });
		expect(steps(timeline.entries).slice(-4)).toEqual(["orders RETURN_REQUESTED", "orders RETURN_RECEIVED", "payments SETTLED", "orders RETURN_REFUNDED"]);
		expect(timeline.entries.find((entry) => entry.status === "RETURN_REQUESTED")).toMatchObject({
			reason: "r1",
			summary: "return r1 asked for: 1 unit(s)",
			details: { refundCents: 500, currency: "EUR" },
		});
	});

	it("names the short product of a refused reservation", () => {
		const rejected: Reservation = {
			...reservation,
			status: "REJECTED",
			rejection: { reason: "OUT_OF_STOCK", productId: "p1" },
			history: [reservation.history[0]!, { status: "REJECTED", at: at(20), reason: "OUT_OF_STOCK" }],
		};
		const { entries } = composeTimeline({ order: order(), reservation: ok(rejected), payment: ok(null), shipment: ok(null), notifications: ok([]) });
		expect(entries.find((entry) => entry.status === "REJECTED")).toMatchObject({ summary: "stock refused", details: { lines: 1, productId: "p1" } });
	});

	it("answers with what it has and names the parts a service could not give", () => {
		const timeline = composeTimeline({
			order: order(),
			reservation: ok(null),
			payment: { ok: false, error: "SERVICE_NOT_FOUND" },
			shipment: ok(null),
			notifications: { ok: false, error: "REQUEST_TIMEOUT" },
		});
		expect(steps(timeline.entries)).toEqual(["orders PENDING", "orders AWAITING_PAYMENT", "orders CONFIRMED"]);
		expect(timeline.missing).toEqual([
			{ service: "payments", error: "SERVICE_NOT_FOUND" },
			{ service: "notifications", error: "REQUEST_TIMEOUT" },
		]);
	});

	it("dates an email not yet sent by when it was begun", () => {
		const sending: Notification = { ...email, status: "SENDING" };
		delete sending.sentAt;
		const { entries } = composeTimeline({ order: order(), reservation: ok(null), payment: ok(null), shipment: ok(null), notifications: ok([sending]) });
		expect(entries.at(-1)).toMatchObject({ at: at(70), status: "SENDING", summary: "email being sent: Your order is confirmed" });
	});
});

describe("sortEntries", () => {
	const entry = (service: TimelineEntry["service"], status: string, ms: number, reason = "R"): TimelineEntry => ({
		at: at(ms),
		service,
		status,
		reason,
		summary: "",
	});

	it("orders steps of the same instant as the saga causes them", () => {
		const sameTime = [
			entry("notifications", "SENT", 5, "order.confirmed"),
			entry("orders", "CONFIRMED", 5),
			entry("payments", "SETTLED", 5),
			entry("orders", "AWAITING_PAYMENT", 5),
			entry("catalogue", "RESERVED", 5),
			entry("payments", "PENDING", 5),
			entry("orders", "PENDING", 5),
		];
		expect(steps(sortEntries(sameTime))).toEqual([
			"orders PENDING",
			"payments PENDING",
			"catalogue RESERVED",
			"orders AWAITING_PAYMENT",
			"payments SETTLED",
			"orders CONFIRMED",
			"notifications SENT",
		]);
	});

	it("lets time decide over the saga's order, and keeps a service's own order at equal stages", () => {
		const first = entry("orders", "CANCELLED", 1, "CUSTOMER_CANCELLED");
		const second = entry("orders", "CANCELLED", 1, "TIMEOUT");
		expect(sortEntries([entry("orders", "CONFIRMED", 0), entry("orders", "PENDING", 1)]).map((e) => e.status)).toEqual(["CONFIRMED", "PENDING"]);
		expect(sortEntries([first, second])).toEqual([first, second]);
	});
});

describe("readPart", () => {
	it("gives the answer", async () => {
		await expect(readPart(() => Promise.resolve([1]))).resolves.toEqual({ ok: true, value: [1] });
	});

	it("turns an error into a gap named by its type, or its name when it has none", async () => {
		await expect(readPart(() => Promise.reject(Object.assign(new Error("gone"), { type: "SERVICE_NOT_FOUND" })))).resolves.toEqual({
			ok: false,
			error: "SERVICE_NOT_FOUND",
		});
		await expect(readPart(() => Promise.reject(new TypeError("boom")))).resolves.toEqual({ ok: false, error: "TypeError" });
		await expect(
			readPart(() => {
				// What a careless callee might throw: not an Error at all.
				throw null; // eslint-disable-line @typescript-eslint/only-throw-error
			}),
		).resolves.toEqual({ ok: false, error: "UNKNOWN_ERROR" });
	});

	it("reads the error type that means nothing was recorded yet as its empty value", async () => {
		const notFound = () => Promise.reject(Object.assign(new Error("none"), { type: "RESERVATION_NOT_FOUND" }));
		await expect(readPart(notFound, { type: "RESERVATION_NOT_FOUND", value: null })).resolves.toEqual({ ok: true, value: null });
		await expect(readPart(notFound, { type: "OTHER", value: null })).resolves.toEqual({ ok: false, error: "RESERVATION_NOT_FOUND" });
	});
});
