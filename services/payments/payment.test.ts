import type { PaymentStatus } from "../../contracts";
import { mayCallProvider, newPayment, toPayment, type PaymentDoc } from "./payment";

const NOW = new Date("2030-06-01T10:00:00.000Z");
const STALE_AFTER_MS = 60_000;

const ORDER = { orderId: "order-1", customerId: "c1", totalCents: 2599, currency: "EUR", paymentMethod: "tok_visa" };

describe("newPayment", () => {
	it("starts PENDING for ORDER_CREATED, keyed by the order, with nothing refunded or requested", () => {
		expect(newPayment(ORDER, "pay-1", NOW)).toEqual({
			_id: "order-1",
			paymentId: "pay-1",
			customerId: "c1",
			amountCents: 2599,
			currency: "EUR",
			method: "tok_visa",
			status: "PENDING",
			cancelRequested: false,
			refundedCents: 0,
			history: [{ status: "PENDING", at: "2030-06-01T10:00:00.000Z", reason: "ORDER_CREATED" }],
			createdAt: "2030-06-01T10:00:00.000Z",
			updatedAt: "2030-06-01T10:00:00.000Z",
		});
	});

	it("starts in the status and for the reason it is given", () => {
		const doc = newPayment({ ...ORDER, paymentMethod: "none" }, "pay-2", NOW, "VOIDED", "CUSTOMER_CANCELLED");
		expect(doc.status).toBe("VOIDED");
		expect(doc.method).toBe("none");
		expect(doc.history).toEqual([{ status: "VOIDED", at: NOW.toISOString(), reason: "CUSTOMER_CANCELLED" }]);
	});

	it("has no busy time, provider reference or outbox yet", () => {
		const doc = newPayment(ORDER, "pay-1", NOW);
		expect(doc).not.toHaveProperty("busySinceMs");
		expect(doc).not.toHaveProperty("providerRef");
		expect(doc).not.toHaveProperty("outbox");
	});
});

describe("mayCallProvider", () => {
	const now = NOW.getTime();

	it("refuses while another node's call in the busy status is still fresh", () => {
		expect(mayCallProvider({ status: "CHARGING", busySinceMs: now - STALE_AFTER_MS + 1 }, "CHARGING", now, STALE_AFTER_MS)).toBe(false);
		expect(mayCallProvider({ status: "REFUNDING", busySinceMs: now }, "REFUNDING", now, STALE_AFTER_MS)).toBe(false);
	});

	it("allows a retry once the busy status has been held for the stale time", () => {
		expect(mayCallProvider({ status: "CHARGING", busySinceMs: now - STALE_AFTER_MS }, "CHARGING", now, STALE_AFTER_MS)).toBe(true);
		expect(mayCallProvider({ status: "REFUNDING", busySinceMs: now - STALE_AFTER_MS - 1 }, "REFUNDING", now, STALE_AFTER_MS)).toBe(true);
	});

	it("treats a busy status without a start time as stale", () => {
		expect(mayCallProvider({ status: "CHARGING" }, "CHARGING", now, STALE_AFTER_MS)).toBe(true);
	});

	it("refuses a stale busy time when the status is the other busy status", () => {
		const stale = now - 10 * STALE_AFTER_MS;
		expect(mayCallProvider({ status: "REFUNDING", busySinceMs: stale }, "CHARGING", now, STALE_AFTER_MS)).toBe(false);
		expect(mayCallProvider({ status: "CHARGING", busySinceMs: stale }, "REFUNDING", now, STALE_AFTER_MS)).toBe(false);
	});

	it.each<PaymentStatus>(["PENDING", "SETTLED", "DECLINED", "VOIDED", "REFUNDED"])(
		"refuses in status %s however stale",
		(status) => {
			expect(mayCallProvider({ status, busySinceMs: 0 }, "CHARGING", now, STALE_AFTER_MS)).toBe(false);
			expect(mayCallProvider({ status }, "REFUNDING", now, STALE_AFTER_MS)).toBe(false);
		},
	);
});

describe("toPayment", () => {
	function paymentDoc(overrides: Partial<PaymentDoc> = {}): PaymentDoc {
		return {
			...newPayment(ORDER, "pay-1", NOW),
			status: "CHARGING",
			busySinceMs: NOW.getTime(),
			cancelRequested: true,
			outbox: [],
			...overrides,
		};
	}

	it("uses the paymentId as id and the document id as orderId, leaving out the bookkeeping", () => {
		const result = toPayment(paymentDoc());
		expect(result).toEqual({
			id: "pay-1",
			orderId: "order-1",
			customerId: "c1",
			amountCents: 2599,
			currency: "EUR",
			method: "tok_visa",
			status: "CHARGING",
			refundedCents: 0,
			history: [{ status: "PENDING", at: NOW.toISOString(), reason: "ORDER_CREATED" }],
			createdAt: NOW.toISOString(),
			updatedAt: NOW.toISOString(),
		});
		expect(result).not.toHaveProperty("outbox");
		expect(result).not.toHaveProperty("busySinceMs");
		expect(result).not.toHaveProperty("cancelRequested");
		expect(result).not.toHaveProperty("paymentId");
		expect(result).not.toHaveProperty("_id");
		expect(result).not.toHaveProperty("providerRef");
	});

	it("includes the provider reference once there is one", () => {
		const result = toPayment(paymentDoc({ status: "SETTLED", providerRef: "ch_123", refundedCents: 100 }));
		expect(result.providerRef).toBe("ch_123");
		expect(result.status).toBe("SETTLED");
		expect(result.refundedCents).toBe(100);
	});
});
