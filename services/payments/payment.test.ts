import type { PaymentStatus } from "../../contracts";
import {
	decidePayment,
	decideReturnRefund,
	mayCallProvider,
	newPayment,
	toPayment,
	type PaymentCommand,
	type PaymentDecision,
	type PaymentDoc,
} from "./payment";

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

	it.each<PaymentStatus>(["PENDING", "SETTLED", "DECLINED", "VOIDED", "REFUNDED"])("refuses in status %s however stale", (status) => {
		expect(mayCallProvider({ status, busySinceMs: 0 }, "CHARGING", now, STALE_AFTER_MS)).toBe(false);
		expect(mayCallProvider({ status }, "REFUNDING", now, STALE_AFTER_MS)).toBe(false);
	});
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

describe("decidePayment", () => {
	const now = NOW.getTime();
	const stale = now - STALE_AFTER_MS;
	const fresh = now - 1000;
	const payment = (status: PaymentStatus, busySinceMs?: number): PaymentDoc => ({
		...newPayment(ORDER, "pay-1", NOW),
		status,
		...(busySinceMs === undefined ? {} : { busySinceMs }),
	});
	const APPROVED: PaymentCommand = { type: "CHARGE_ANSWERED", approved: true, reference: "ch_1" };
	const DECLINED: PaymentCommand = { type: "CHARGE_ANSWERED", approved: false, reason: "DECLINED" };
	const CANCEL: PaymentCommand = { type: "CANCEL", reason: "CUSTOMER_CANCELLED" };
	/** "STATUS REASON [events]" for a move, else the decision's kind. */
	const outcome = (decision: PaymentDecision) =>
		decision.kind === "move" ? `${decision.to} ${decision.reason} [${decision.events.map((event) => event.type).join(" ")}]` : decision.kind;

	it.each<[string, PaymentDoc, PaymentCommand, string]>([
		["PENDING", payment("PENDING"), { type: "CHARGE" }, "CHARGING CHARGE_STARTED []"],
		["PENDING", payment("PENDING"), APPROVED, "ignore"],
		["PENDING", payment("PENDING"), { type: "REFUND" }, "ignore"],
		["PENDING", payment("PENDING"), { type: "REFUND_DONE" }, "ignore"],
		["PENDING", payment("PENDING"), CANCEL, "VOIDED CUSTOMER_CANCELLED []"],

		["CHARGING, held by a live node", payment("CHARGING", fresh), { type: "CHARGE" }, "ignore"],
		["CHARGING, left by a dead node", payment("CHARGING", stale), { type: "CHARGE" }, "CHARGING CHARGE_RETRIED []"],
		["CHARGING", payment("CHARGING", fresh), APPROVED, "SETTLED PROVIDER_APPROVED [payment.settled]"],
		["CHARGING", payment("CHARGING", fresh), DECLINED, "DECLINED PROVIDER_DECLINED [payment.failed]"],
		["CHARGING", payment("CHARGING", fresh), { type: "REFUND" }, "ignore"],
		["CHARGING", payment("CHARGING", fresh), CANCEL, "noteCancel"],

		["SETTLED", payment("SETTLED"), { type: "CHARGE" }, "ignore"],
		["SETTLED", payment("SETTLED"), APPROVED, "ignore"],
		["SETTLED", payment("SETTLED"), { type: "REFUND" }, "REFUNDING REFUND_STARTED []"],
		["SETTLED", payment("SETTLED"), { type: "REFUND_DONE" }, "ignore"],
		["SETTLED", payment("SETTLED"), CANCEL, "refund"],

		["DECLINED", payment("DECLINED"), { type: "CHARGE" }, "ignore"],
		["DECLINED", payment("DECLINED"), { type: "REFUND" }, "ignore"],
		["DECLINED", payment("DECLINED"), CANCEL, "ignore"],

		["VOIDED", payment("VOIDED"), { type: "CHARGE" }, "ignore"],
		["VOIDED", payment("VOIDED"), CANCEL, "ignore"],

		["REFUNDING, held by a live node", payment("REFUNDING", fresh), { type: "REFUND" }, "ignore"],
		["REFUNDING, left by a dead node", payment("REFUNDING", stale), { type: "REFUND" }, "REFUNDING REFUND_STARTED []"],
		["REFUNDING", payment("REFUNDING", fresh), { type: "REFUND_DONE" }, "REFUNDED PROVIDER_REFUNDED [payment.refunded]"],
		["REFUNDING", payment("REFUNDING", fresh), { type: "CHARGE" }, "ignore"],
		["REFUNDING", payment("REFUNDING", fresh), CANCEL, "ignore"],

		["REFUNDED", payment("REFUNDED"), { type: "REFUND" }, "ignore"],
		["REFUNDED", payment("REFUNDED"), { type: "REFUND_DONE" }, "ignore"],
		["REFUNDED", payment("REFUNDED"), CANCEL, "ignore"],
	])("%s on %j: %s", (_status, doc, command, expected) => {
		expect(outcome(decidePayment(doc, command, now, STALE_AFTER_MS))).toBe(expected);
	});

	it("claims with the time it claims at, and settles with the provider's reference and the payment's amount", () => {
		expect(decidePayment(payment("PENDING"), { type: "CHARGE" }, now, STALE_AFTER_MS)).toMatchObject({ set: { busySinceMs: now } });
		expect(decidePayment(payment("CHARGING", fresh), APPROVED, now, STALE_AFTER_MS)).toEqual({
			kind: "move",
			to: "SETTLED",
			reason: "PROVIDER_APPROVED",
			set: { providerRef: "ch_1" },
			events: [
				{
					type: "payment.settled",
					aggregateId: "order-1",
					body: { orderId: "order-1", paymentId: "pay-1", customerId: "c1", amountCents: 2599, currency: "EUR" },
				},
			],
		});
	});

	it("records the refunded amount with the refund, and tells of it", () => {
		expect(decidePayment(payment("REFUNDING", fresh), { type: "REFUND_DONE" }, now, STALE_AFTER_MS)).toEqual({
			kind: "move",
			to: "REFUNDED",
			reason: "PROVIDER_REFUNDED",
			set: { refundedCents: 2599 },
			events: [
				{
					type: "payment.refunded",
					aggregateId: "order-1",
					body: { orderId: "order-1", paymentId: "pay-1", customerId: "c1", amountCents: 2599, currency: "EUR" },
				},
			],
		});
	});
});

describe("decideReturnRefund", () => {
	const settled = (overrides: Partial<PaymentDoc> = {}): PaymentDoc => ({ ...newPayment(ORDER, "pay-1", NOW, "SETTLED"), ...overrides });

	it.each<[string, Partial<PaymentDoc>, { returnId: string; refundCents: number }, string]>([
		["part of a settled payment", {}, { returnId: "r1", refundCents: 899 }, "refund SETTLED"],
		["the rest of it", { refundedCents: 1700 }, { returnId: "r2", refundCents: 899 }, "refund REFUNDED"],
		["a return refunded before", { returnRefunds: { r1: 899 }, refundedCents: 899 }, { returnId: "r1", refundCents: 899 }, "ignore"],
		["more than is left", { refundedCents: 2000 }, { returnId: "r2", refundCents: 600 }, "refuse"],
		["a payment refunded whole (a cancel)", { status: "REFUNDED", refundedCents: 2599 }, { returnId: "r1", refundCents: 100 }, "refuse"],
		["a payment never settled", { status: "DECLINED" }, { returnId: "r1", refundCents: 100 }, "refuse"],
	])("%s: %s", (_name, overrides, ret, expected) => {
		const decision = decideReturnRefund(settled(overrides), ret, NOW);
		expect(decision.kind === "refund" ? `refund ${decision.to}` : decision.kind).toBe(expected);
	});

	it("refunds under the return's own key, once, and tells orders which return it was", () => {
		const decision = decideReturnRefund(settled({ refundedCents: 100 }), { returnId: "r1", refundCents: 899 }, NOW);
		expect(decision).toMatchObject({
			key: "order-1:r1",
			condition: { _id: "order-1", status: "SETTLED", refundedCents: 100, "returnRefunds.r1": { $exists: false } },
			update: { $inc: { refundedCents: 899 }, $set: { "returnRefunds.r1": 899, status: "SETTLED" } },
		});
		expect(decision.kind === "refund" && decision.events[0]!.body).toEqual({
			orderId: "order-1",
			paymentId: "pay-1",
			customerId: "c1",
			amountCents: 899,
			currency: "EUR",
			returnId: "r1",
		});
	});
});
