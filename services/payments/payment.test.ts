import type { PaymentStatus } from "../../contracts";
import type { IntentStatus, ProcessorIntent, ProcessorRefund } from "./processor-client";
import {
	decidePayment,
	decideReturnRefund,
	decideReturnRefunded,
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
	const payment = (status: PaymentStatus, fields: Partial<PaymentDoc> = {}): PaymentDoc => ({ ...newPayment(ORDER, "pay-1", NOW), status, ...fields });
	const intent = (status: IntentStatus, version: number, fields: Partial<ProcessorIntent> = {}): ProcessorIntent => ({
		id: "pi_1",
		object: "payment_intent",
		amount: 2599,
		currency: "eur",
		status,
		payment_method: "tok_visa",
		metadata: { order_id: "order-1" },
		next_action: status === "requires_action" ? { type: "redirect_to_url", redirect_to_url: { url: "http://sandbox/3ds/pi_1?secret=s" } } : null,
		last_payment_error: null,
		amount_received: status === "succeeded" ? 2599 : 0,
		amount_refunded: 0,
		created: 1,
		version,
		...fields,
	});
	const refund = (status: ProcessorRefund["status"], fields: Partial<ProcessorRefund> = {}): ProcessorRefund => ({
		id: "re_1",
		object: "refund",
		payment_intent: "pi_1",
		amount: 2599,
		currency: "eur",
		status,
		metadata: { order_id: "order-1" },
		created: 1,
		version: 2,
		...fields,
	});
	const webhook = (i: ProcessorIntent): PaymentCommand => ({ type: "INTENT_OBSERVED", intent: i, source: "webhook" });
	const asked = (i: ProcessorIntent): PaymentCommand => ({ type: "INTENT_OBSERVED", intent: i, source: "reconciliation" });
	const ANSWER_SUCCEEDED: PaymentCommand = { type: "CHARGE_ANSWERED", intent: intent("succeeded", 2) };
	const ANSWER_3DS: PaymentCommand = { type: "CHARGE_ANSWERED", intent: intent("requires_action", 2) };
	const ANSWER_DECLINED: PaymentCommand = {
		type: "CHARGE_ANSWERED",
		intent: intent("requires_payment_method", 2, { last_payment_error: { code: "card_declined" } }),
	};
	const SUCCEEDED = webhook(intent("succeeded", 3));
	const FAILED = webhook(intent("requires_payment_method", 3, { last_payment_error: { code: "card_declined" } }));
	const REFUSED_3DS = webhook(intent("requires_payment_method", 3, { last_payment_error: { code: "authentication_failed" } }));
	const NO_FUNDS = webhook(intent("requires_payment_method", 3, { last_payment_error: { code: "insufficient_funds" } }));
	const CANCELED = webhook(intent("canceled", 3));
	const NEEDS_3DS = webhook(intent("requires_action", 2));
	const PROCESSING = webhook(intent("processing", 2));
	const REFUND_TAKEN: PaymentCommand = { type: "REFUND_ANSWERED", refund: refund("pending") };
	const REFUNDED: PaymentCommand = { type: "REFUND_OBSERVED", refund: refund("succeeded"), source: "webhook" };
	const REFUND_FAILED: PaymentCommand = { type: "REFUND_OBSERVED", refund: refund("failed"), source: "webhook" };
	const CANCEL: PaymentCommand = { type: "CANCEL", reason: "CUSTOMER_CANCELLED" };
	/** "STATUS REASON [events]" for a move, else the decision's kind. */
	const outcome = (decision: PaymentDecision) =>
		decision.kind === "move" ? `${decision.to} ${decision.reason} [${decision.events.map((event) => event.type).join(" ")}]` : decision.kind;

	it.each<[string, PaymentDoc, PaymentCommand, string]>([
		["PENDING", payment("PENDING"), { type: "CHARGE" }, "CHARGING CHARGE_STARTED []"],
		["PENDING", payment("PENDING"), ANSWER_SUCCEEDED, "ignore"],
		["PENDING", payment("PENDING"), SUCCEEDED, "ignore"],
		["PENDING", payment("PENDING"), { type: "REFUND" }, "ignore"],
		["PENDING", payment("PENDING"), CANCEL, "VOIDED CUSTOMER_CANCELLED []"],

		["CHARGING, held by a live node", payment("CHARGING", { busySinceMs: fresh }), { type: "CHARGE" }, "ignore"],
		["CHARGING, left by a dead node", payment("CHARGING", { busySinceMs: stale }), { type: "CHARGE" }, "CHARGING CHARGE_RETRIED []"],
		// The answer is recorded; only the processor's webhook (or a question) settles or fails.
		["CHARGING", payment("CHARGING", { busySinceMs: fresh }), ANSWER_SUCCEEDED, "PROCESSING PROCESSOR_ANSWERED_SUCCEEDED []"],
		["CHARGING", payment("CHARGING", { busySinceMs: fresh }), ANSWER_DECLINED, "PROCESSING PROCESSOR_ANSWERED_REQUIRES_PAYMENT_METHOD []"],
		["CHARGING", payment("CHARGING", { busySinceMs: fresh }), ANSWER_3DS, "ACTION_REQUIRED PROCESSOR_NEEDS_CONFIRMATION [payment.actionRequired]"],
		["CHARGING, its webhook before its answer", payment("CHARGING", { busySinceMs: fresh }), SUCCEEDED, "SETTLED PROCESSOR_SUCCEEDED [payment.settled]"],
		["CHARGING", payment("CHARGING", { busySinceMs: fresh }), { type: "REFUND" }, "ignore"],
		["CHARGING", payment("CHARGING", { busySinceMs: fresh }), CANCEL, "noteCancel"],

		["PROCESSING", payment("PROCESSING", { intentVersion: 2 }), ANSWER_SUCCEEDED, "ignore"],
		["PROCESSING", payment("PROCESSING", { intentVersion: 2 }), SUCCEEDED, "SETTLED PROCESSOR_SUCCEEDED [payment.settled]"],
		["PROCESSING, asked", payment("PROCESSING", { intentVersion: 2 }), asked(intent("succeeded", 3)), "SETTLED RECONCILED_SUCCEEDED [payment.settled]"],
		["PROCESSING", payment("PROCESSING", { intentVersion: 2 }), FAILED, "DECLINED PROCESSOR_DECLINED [payment.failed]"],
		["PROCESSING", payment("PROCESSING", { intentVersion: 2 }), NO_FUNDS, "DECLINED PROCESSOR_INSUFFICIENT_FUNDS [payment.failed]"],
		["PROCESSING, cancelled by someone else", payment("PROCESSING", { intentVersion: 2 }), CANCELED, "DECLINED PROCESSOR_CANCELLED [payment.failed]"],
		["PROCESSING, cancelled by the shop", payment("PROCESSING", { intentVersion: 2, cancelRequested: true }), CANCELED, "VOIDED PROCESSOR_CANCELED []"],
		["PROCESSING, a webhook seen before", payment("PROCESSING", { intentVersion: 2 }), PROCESSING, "ignore"],
		["PROCESSING, an older webhook after a newer one", payment("PROCESSING", { intentVersion: 3 }), webhook(intent("succeeded", 2)), "ignore"],
		["PROCESSING, another intent", payment("PROCESSING", { providerRef: "pi_other" }), SUCCEEDED, "ignore"],
		["PROCESSING, another amount", payment("PROCESSING"), webhook(intent("succeeded", 3, { amount_received: 1 })), "ignore"],
		["PROCESSING", payment("PROCESSING"), NEEDS_3DS, "ACTION_REQUIRED PROCESSOR_NEEDS_CONFIRMATION [payment.actionRequired]"],
		["PROCESSING", payment("PROCESSING", { intentVersion: 2 }), CANCEL, "cancelIntent"],

		["ACTION_REQUIRED", payment("ACTION_REQUIRED", { intentVersion: 2 }), SUCCEEDED, "SETTLED PROCESSOR_SUCCEEDED [payment.settled]"],
		["ACTION_REQUIRED", payment("ACTION_REQUIRED", { intentVersion: 2 }), REFUSED_3DS, "DECLINED PROCESSOR_AUTHENTICATION_FAILED [payment.failed]"],
		["ACTION_REQUIRED, told again", payment("ACTION_REQUIRED", { intentVersion: 1 }), NEEDS_3DS, "note"],
		["ACTION_REQUIRED", payment("ACTION_REQUIRED", { intentVersion: 2 }), CANCEL, "cancelIntent"],

		["SETTLED", payment("SETTLED"), { type: "CHARGE" }, "ignore"],
		["SETTLED, a failure after the success", payment("SETTLED", { intentVersion: 3 }), webhook(intent("requires_payment_method", 4)), "ignore"],
		["SETTLED", payment("SETTLED"), { type: "REFUND" }, "REFUNDING REFUND_STARTED []"],
		["SETTLED", payment("SETTLED"), REFUNDED, "ignore"],
		["SETTLED", payment("SETTLED"), CANCEL, "refund"],

		["DECLINED", payment("DECLINED", { intentVersion: 3 }), webhook(intent("succeeded", 4)), "ignore"],
		["DECLINED", payment("DECLINED"), { type: "CHARGE" }, "ignore"],
		["DECLINED", payment("DECLINED"), { type: "REFUND" }, "ignore"],
		["DECLINED", payment("DECLINED"), CANCEL, "ignore"],

		["VOIDED", payment("VOIDED"), { type: "CHARGE" }, "ignore"],
		["VOIDED", payment("VOIDED"), SUCCEEDED, "ignore"],
		["VOIDED", payment("VOIDED"), CANCEL, "ignore"],

		["REFUNDING, held by a live node", payment("REFUNDING", { busySinceMs: fresh }), { type: "REFUND" }, "ignore"],
		["REFUNDING, left by a dead node", payment("REFUNDING", { busySinceMs: stale }), { type: "REFUND" }, "REFUNDING REFUND_STARTED []"],
		["REFUNDING", payment("REFUNDING", { busySinceMs: fresh }), REFUND_TAKEN, "note"],
		["REFUNDING, taken before", payment("REFUNDING", { refundId: "re_1" }), REFUND_TAKEN, "ignore"],
		["REFUNDING", payment("REFUNDING", { refundId: "re_1" }), REFUNDED, "REFUNDED PROCESSOR_REFUNDED [payment.refunded]"],
		["REFUNDING, its webhook before its answer", payment("REFUNDING", { busySinceMs: fresh }), REFUNDED, "REFUNDED PROCESSOR_REFUNDED [payment.refunded]"],
		["REFUNDING, another refund", payment("REFUNDING", { refundId: "re_2" }), REFUNDED, "ignore"],
		["REFUNDING", payment("REFUNDING", { refundId: "re_1" }), REFUND_FAILED, "SETTLED REFUND_FAILED []"],
		["REFUNDING", payment("REFUNDING", { busySinceMs: fresh }), { type: "CHARGE" }, "ignore"],
		["REFUNDING", payment("REFUNDING", { busySinceMs: fresh }), CANCEL, "ignore"],

		["REFUNDED", payment("REFUNDED"), { type: "REFUND" }, "ignore"],
		["REFUNDED", payment("REFUNDED"), REFUNDED, "ignore"],
		["REFUNDED", payment("REFUNDED"), CANCEL, "ignore"],
	])("%s on %j: %s", (_status, doc, command, expected) => {
		expect(outcome(decidePayment(doc, command, now, STALE_AFTER_MS))).toBe(expected);
	});

	it("claims with the time it claims at, and settles on the webhook with the intent, its version and the payment's amount", () => {
		expect(decidePayment(payment("PENDING"), { type: "CHARGE" }, now, STALE_AFTER_MS)).toMatchObject({ set: { busySinceMs: now } });
		expect(decidePayment(payment("PROCESSING", { intentVersion: 2 }), SUCCEEDED, now, STALE_AFTER_MS)).toEqual({
			kind: "move",
			to: "SETTLED",
			reason: "PROCESSOR_SUCCEEDED",
			set: { heardAtMs: now, providerRef: "pi_1", intentVersion: 3, busySinceMs: null, actionUrl: null },
			events: [
				{
					type: "payment.settled",
					aggregateId: "order-1",
					body: { orderId: "order-1", paymentId: "pay-1", customerId: "c1", amountCents: 2599, currency: "EUR" },
				},
			],
		});
	});

	it("tells where the customer confirms a 3-D Secure payment", () => {
		const decision = decidePayment(payment("CHARGING", { busySinceMs: fresh }), ANSWER_3DS, now, STALE_AFTER_MS);
		expect(decision).toMatchObject({ set: { actionUrl: "http://sandbox/3ds/pi_1?secret=s", providerRef: "pi_1" } });
		expect(decision.kind === "move" && decision.events[0]!.body).toMatchObject({ orderId: "order-1", actionUrl: "http://sandbox/3ds/pi_1?secret=s" });
	});

	it("records the refunded amount when the processor says the refund succeeded, and tells of it", () => {
		expect(decidePayment(payment("REFUNDING", { refundId: "re_1" }), REFUNDED, now, STALE_AFTER_MS)).toEqual({
			kind: "move",
			to: "REFUNDED",
			reason: "PROCESSOR_REFUNDED",
			set: { heardAtMs: now, refundId: "re_1", refundedCents: 2599, busySinceMs: null },
			events: [
				{
					type: "payment.refunded",
					aggregateId: "order-1",
					body: { orderId: "order-1", paymentId: "pay-1", customerId: "c1", amountCents: 2599, currency: "EUR" },
				},
			],
		});
	});

	describe("a return's refund", () => {
		const settled = (overrides: Partial<PaymentDoc> = {}): PaymentDoc => ({ ...newPayment(ORDER, "pay-1", NOW, "SETTLED"), ...overrides });

		it.each<[string, Partial<PaymentDoc>, { returnId: string; refundCents: number }, string]>([
			["part of a settled payment", {}, { returnId: "r1", refundCents: 899 }, "refund"],
			["the rest of it", { refundedCents: 1700 }, { returnId: "r2", refundCents: 899 }, "refund"],
			["a return asked for before", { returnRefunds: { r1: 899 }, refundedCents: 899 }, { returnId: "r1", refundCents: 899 }, "ignore"],
			["more than is left", { refundedCents: 2000 }, { returnId: "r2", refundCents: 600 }, "refuse"],
			["a payment refunded whole (a cancel)", { status: "REFUNDED", refundedCents: 2599 }, { returnId: "r1", refundCents: 100 }, "refuse"],
			["a payment never settled", { status: "DECLINED" }, { returnId: "r1", refundCents: 100 }, "refuse"],
		])("asked for %s: %s", (_name, overrides, ret, expected) => {
			expect(decideReturnRefund(settled(overrides), ret, NOW).kind).toBe(expected);
		});

		it("is asked under the return's own key, and counts as refunded from then on, with no event yet", () => {
			expect(decideReturnRefund(settled({ refundedCents: 100 }), { returnId: "r1", refundCents: 899 }, NOW)).toMatchObject({
				key: "order-1:r1",
				condition: { _id: "order-1", status: "SETTLED", refundedCents: 100, "returnRefunds.r1": { $exists: false } },
				update: { $inc: { refundedCents: 899, refundsPending: 1 }, $set: { "returnRefunds.r1": 899 } },
			});
		});

		const done = (amount: number) => refund("succeeded", { amount, metadata: { order_id: "order-1", return_id: "r1" } });
		it.each<[string, Partial<PaymentDoc>, ProcessorRefund, string]>([
			["part, asked before", { returnRefunds: { r1: 899 }, refundedCents: 899, refundsPending: 1 }, done(899), "refunded SETTLED"],
			["the last of it, asked before", { returnRefunds: { r1: 2599 }, refundedCents: 2599, refundsPending: 1 }, done(2599), "refunded REFUNDED"],
			[
				"the last, another return still pending",
				{ returnRefunds: { r0: 1000, r1: 1599 }, refundedCents: 2599, refundsPending: 2 },
				done(1599),
				"refunded SETTLED",
			],
			["its webhook before the request was written", {}, done(899), "refunded SETTLED"],
			["a webhook seen before", { returnRefunds: { r1: 899 }, returnRefundsDone: { r1: "re_1" }, refundedCents: 899 }, done(899), "ignore"],
			[
				"a pending refund",
				{ returnRefunds: { r1: 899 }, refundedCents: 899, refundsPending: 1 },
				refund("pending", { metadata: { order_id: "order-1", return_id: "r1" } }),
				"ignore",
			],
		])("reported done, %s: %s", (_name, overrides, r, expected) => {
			const decision = decideReturnRefunded(settled(overrides), "r1", r, "webhook", NOW);
			expect(decision.kind === "refunded" ? `refunded ${decision.to}` : decision.kind).toBe(expected);
		});

		it("tells orders which return was refunded, and writes down a request the webhook overtook", () => {
			const decision = decideReturnRefunded(settled(), "r1", done(899), "webhook", NOW);
			expect(decision).toMatchObject({
				update: { $set: { "returnRefunds.r1": 899, "returnRefundsDone.r1": "re_1" }, $inc: { refundedCents: 899, refundsPending: 0 } },
			});
			expect(decision.kind === "refunded" && decision.events[0]!.body).toEqual({
				orderId: "order-1",
				paymentId: "pay-1",
				customerId: "c1",
				amountCents: 899,
				currency: "EUR",
				returnId: "r1",
			});
		});
	});
});
