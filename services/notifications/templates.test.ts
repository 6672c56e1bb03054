import type { CancelReason, OrderCancelled, OrderConfirmed, OrderStatus, PaymentRefunded } from "../../contracts";
import { formatMoney, renderEmail } from "./templates";

const ORDER_ID = "3f2a9c1e-7b4d-4e8f-9a0b-1c2d3e4f5a6b";

const ENVELOPE = {
	id: "event-1",
	occurredAt: "2030-06-01T10:00:00.000Z",
	aggregateId: ORDER_ID,
	correlationId: ORDER_ID,
};

function confirmed(overrides: Partial<OrderConfirmed> = {}): OrderConfirmed {
	return { ...ENVELOPE, type: "order.confirmed", orderId: ORDER_ID, customerId: "c1", totalCents: 2599, currency: "EUR", ...overrides };
}

function cancelled(reason: CancelReason, previousStatus: OrderStatus): OrderCancelled {
	return {
		...ENVELOPE,
		type: "order.cancelled",
		orderId: ORDER_ID,
		customerId: "c1",
		reason,
		previousStatus,
		totalCents: 2599,
		currency: "EUR",
	};
}

function refunded(overrides: Partial<PaymentRefunded> = {}): PaymentRefunded {
	return {
		...ENVELOPE,
		type: "payment.refunded",
		orderId: ORDER_ID,
		paymentId: "pay-1",
		customerId: "c1",
		amountCents: 1050,
		currency: "USD",
		...overrides,
	};
}

describe("formatMoney", () => {
	it.each<[number, string, string]>([
		[1234, "EUR", "12.34 EUR"],
		[0, "EUR", "0.00 EUR"],
		[5, "EUR", "0.05 EUR"],
		[50, "USD", "0.50 USD"],
		[100, "GBP", "1.00 GBP"],
		[1005, "EUR", "10.05 EUR"],
		[999_999_999, "EUR", "9999999.99 EUR"],
	])("formats %p cents in %s as %p", (cents, currency, expected) => {
		expect(formatMoney(cents, currency)).toBe(expected);
	});

	it("formats every cent amount from 0 to 100.00 exactly", () => {
		for (let cents = 0; cents <= 10_000; cents++) {
			const expected = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")} EUR`;
			expect(formatMoney(cents, "EUR")).toBe(expected);
		}
	});
});

describe("renderEmail", () => {
	it("confirms an order with the amount charged", () => {
		expect(renderEmail(confirmed(), "Ada")).toEqual({
			subject: "Order 3f2a9c1e confirmed",
			text: "Hello Ada,\n\n" + `your order ${ORDER_ID} is confirmed. We charged 25.99 EUR.\n\n` + "Thank you for shopping with us.\n",
		});
	});

	it("uses the first eight characters of the order id in the subject", () => {
		expect(renderEmail(confirmed({ orderId: "abcdefghijkl" }), "Ada").subject).toBe("Order abcdefgh confirmed");
		expect(renderEmail(confirmed({ orderId: "short" }), "Ada").subject).toBe("Order short confirmed");
	});

	it("tells of a refund with its amount and currency", () => {
		expect(renderEmail(refunded(), "Grace")).toEqual({
			subject: "Refund for order 3f2a9c1e",
			text: "Hello Grace,\n\n" + `we refunded 10.50 USD for order ${ORDER_ID}. It should reach your card within a few days.\n`,
		});
	});

	describe("the parcel's way", () => {
		const tracking = { carrier: "Sandbox Parcel", trackingNumber: "SP123456789012DE", label: "L1" };
		const base = {
			occurredAt: "2030-01-01T00:00:00.000Z",
			aggregateId: ORDER_ID,
			correlationId: ORDER_ID,
			orderId: ORDER_ID,
			customerId: "c1",
			tracking,
			at: "2030-01-01T00:00:00.000Z",
		};

		it("tells the customer the order is on its way, with the carrier and tracking number", () => {
			expect(renderEmail({ ...base, id: "e1", type: "shipment.dispatched" }, "Ada")).toEqual({
				subject: "Order 3f2a9c1e is on its way",
				text: `Hello Ada,\n\nyour order ${ORDER_ID} left us with Sandbox Parcel. Its tracking number is SP123456789012DE.\n`,
			});
		});

		it("tells the customer the order was delivered, and that a return is possible", () => {
			const email = renderEmail({ ...base, id: "e2", type: "shipment.delivered" }, "Ada");
			expect(email.subject).toBe("Order 3f2a9c1e delivered");
			expect(email.text).toContain("Sandbox Parcel delivered your order");
			expect(email.text).toContain("return it");
		});
	});

	describe("order.cancelled", () => {
		it.each<[CancelReason, OrderStatus, string]>([
			["OUT_OF_STOCK", "PENDING", "some items were out of stock. You have not been charged."],
			["PAYMENT_DECLINED", "AWAITING_PAYMENT", "the payment was declined. You have not been charged."],
			["TIMEOUT", "PENDING", "it could not be completed in time. If a payment was taken, it will be refunded."],
			["TIMEOUT", "AWAITING_PAYMENT", "it could not be completed in time. If a payment was taken, it will be refunded."],
			["CUSTOMER_CANCELLED", "PENDING", "you cancelled it. If a payment was taken, it will be refunded."],
			["CUSTOMER_CANCELLED", "AWAITING_PAYMENT", "you cancelled it. If a payment was taken, it will be refunded."],
			["CUSTOMER_CANCELLED", "CONFIRMED", "you cancelled it. Your payment will be refunded."],
			["CUSTOMER_CANCELLED", "AWAITING_SHIPMENT", "you cancelled it. Your payment will be refunded."],
			["SHIPPING_REFUSED", "AWAITING_SHIPMENT", "the carrier cannot deliver to your address. Your payment will be refunded."],
			["TIMEOUT", "AWAITING_SHIPMENT", "it could not be completed in time. Your payment will be refunded."],
		])("explains %s from %s as %p", (reason, previousStatus, ending) => {
			expect(renderEmail(cancelled(reason, previousStatus), "Ada")).toEqual({
				subject: "Order 3f2a9c1e cancelled",
				text: `Hello Ada,\n\nyour order ${ORDER_ID} was cancelled because ${ending}\n`,
			});
		});

		it("says the customer was not charged only when the card was declined or no stock was reserved", () => {
			const notCharged = (reason: CancelReason, previousStatus: OrderStatus) =>
				renderEmail(cancelled(reason, previousStatus), "Ada").text.includes("You have not been charged.");
			expect(notCharged("PAYMENT_DECLINED", "AWAITING_PAYMENT")).toBe(true);
			expect(notCharged("OUT_OF_STOCK", "PENDING")).toBe(true);
			// A charge may already be in flight while the order still reads PENDING.
			expect(notCharged("TIMEOUT", "PENDING")).toBe(false);
			expect(notCharged("CUSTOMER_CANCELLED", "PENDING")).toBe(false);
			expect(notCharged("TIMEOUT", "AWAITING_PAYMENT")).toBe(false);
			expect(notCharged("CUSTOMER_CANCELLED", "AWAITING_PAYMENT")).toBe(false);
			expect(notCharged("CUSTOMER_CANCELLED", "CONFIRMED")).toBe(false);
		});
	});
});
