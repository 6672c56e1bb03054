import type { EventBody, OutboxEvent, Payment, PaymentStatus, TraceCarrier } from "../../contracts";
import { newEvent, type NewEvent } from "../../mixins/events/envelope";

/*
 * The payment's rules as a pure decider: the payment as read, a command and the time give the
 * move to write (status, fields, history reason, events) or what else to do. The service writes
 * a move with a compare-and-set on the status it was decided on, so two calls never both apply.
 */

/** One payment per order: the orderId is the document id and the provider's idempotency key. */
export type PaymentDoc = Omit<Payment, "id" | "orderId"> & {
	[key: string]: unknown;
	/** The orderId. */
	_id: string;
	paymentId: string;
	/** The order was cancelled while the charge was in flight: refund as soon as it settles. */
	cancelRequested: boolean;
	/** When the current CHARGING or REFUNDING began; a node that died mid-call leaves it stale. */
	busySinceMs?: number;
	outbox?: OutboxEvent[];
	/** The trace of the order's saga, which the recovery sweep continues. */
	trace?: TraceCarrier;
	/** The refunds of customers' returns, by return id: each is refunded once. */
	returnRefunds?: Record<string, number>;
};

export function newPayment(
	order: { orderId: string; customerId: string; totalCents: number; currency: string; paymentMethod: string },
	paymentId: string,
	now: Date,
	status: PaymentStatus = "PENDING",
	reason = "ORDER_CREATED",
): PaymentDoc {
	const at = now.toISOString();
	return {
		_id: order.orderId,
		paymentId,
		customerId: order.customerId,
		amountCents: order.totalCents,
		currency: order.currency,
		method: order.paymentMethod,
		status,
		cancelRequested: false,
		refundedCents: 0,
		history: [{ status, at, reason }],
		createdAt: at,
		updatedAt: at,
	};
}

/** Whether this node may start (or, after a dead node, restart) the provider call for `status`. */
export function mayCallProvider(
	doc: Pick<PaymentDoc, "status" | "busySinceMs">,
	busyStatus: "CHARGING" | "REFUNDING",
	now: number,
	staleAfterMs: number,
): boolean {
	return doc.status === busyStatus && (doc.busySinceMs ?? 0) + staleAfterMs <= now;
}

export type PaymentCommand =
	/** Begin the charge: claim the payment for the provider call. */
	| { type: "CHARGE" }
	/** What the provider answered to the charge this node claimed. */
	| { type: "CHARGE_ANSWERED"; approved: true; reference: string }
	| { type: "CHARGE_ANSWERED"; approved: false; reason: EventBody<"payment.failed">["reason"] }
	/** Begin the refund: claim the payment for the provider call. */
	| { type: "REFUND" }
	/** The provider refunded the refund this node claimed. */
	| { type: "REFUND_DONE" }
	/** The order was cancelled for `reason`: compensate whatever the payment has reached. */
	| { type: "CANCEL"; reason: string };

export type PaymentDecision =
	| { kind: "move"; to: PaymentStatus; reason: string; set: Record<string, unknown>; events: NewEvent[] }
	/** The charge is in flight: note the cancel, and refund once it settles. */
	| { kind: "noteCancel" }
	/** The money was taken: give it back. */
	| { kind: "refund" }
	/** Nothing to do: done already, by this call or another. */
	| { kind: "ignore" };

const move = (to: PaymentStatus, reason: string, set: Record<string, unknown> = {}, events: NewEvent[] = []): PaymentDecision => ({
	kind: "move",
	to,
	reason,
	set,
	events,
});
const IGNORE: PaymentDecision = { kind: "ignore" };

export function decidePayment(doc: PaymentDoc, command: PaymentCommand, now: number, staleAfterMs: number): PaymentDecision {
	const common = { orderId: doc._id, paymentId: doc.paymentId, customerId: doc.customerId };
	switch (command.type) {
		case "CHARGE":
			if (doc.status === "PENDING") return move("CHARGING", "CHARGE_STARTED", { busySinceMs: now });
			return mayCallProvider(doc, "CHARGING", now, staleAfterMs) ? move("CHARGING", "CHARGE_RETRIED", { busySinceMs: now }) : IGNORE;
		case "CHARGE_ANSWERED":
			if (doc.status !== "CHARGING") return IGNORE;
			return command.approved
				? move("SETTLED", "PROVIDER_APPROVED", { providerRef: command.reference }, [
						newEvent("payment.settled", { ...common, amountCents: doc.amountCents, currency: doc.currency }, doc._id),
					])
				: move("DECLINED", "PROVIDER_DECLINED", {}, [newEvent("payment.failed", { ...common, reason: command.reason }, doc._id)]);
		case "REFUND":
			return doc.status === "SETTLED" || mayCallProvider(doc, "REFUNDING", now, staleAfterMs)
				? move("REFUNDING", "REFUND_STARTED", { busySinceMs: now })
				: IGNORE;
		case "REFUND_DONE":
			if (doc.status !== "REFUNDING") return IGNORE;
			return move("REFUNDED", "PROVIDER_REFUNDED", { refundedCents: doc.amountCents }, [
				newEvent("payment.refunded", { ...common, amountCents: doc.amountCents, currency: doc.currency }, doc._id),
			]);
		case "CANCEL":
			switch (doc.status) {
				case "PENDING":
					return move("VOIDED", command.reason);
				case "CHARGING":
					return { kind: "noteCancel" };
				case "SETTLED":
					return { kind: "refund" };
				default:
					return IGNORE;
			}
	}
}

/** A received return's refund: part of a settled payment, once per return; all of it turns the payment REFUNDED. */
export type ReturnRefundDecision =
	| { kind: "refund"; key: string; condition: Record<string, unknown>; update: Record<string, unknown>; events: NewEvent[]; to: PaymentStatus }
	| { kind: "ignore"; why: string }
	| { kind: "refuse"; why: string };

export function decideReturnRefund(doc: PaymentDoc, ret: { returnId: string; refundCents: number }, now: Date): ReturnRefundDecision {
	if (doc.returnRefunds?.[ret.returnId] !== undefined) return { kind: "ignore", why: `return ${ret.returnId} was refunded already` };
	if (doc.status !== "SETTLED") return { kind: "refuse", why: `the payment is ${doc.status}, not SETTLED` };
	const left = doc.amountCents - doc.refundedCents;
	if (ret.refundCents > left) return { kind: "refuse", why: `${ret.refundCents} cents is more than the ${left} left to refund` };
	const at = now.toISOString();
	const to: PaymentStatus = ret.refundCents === left ? "REFUNDED" : "SETTLED";
	const body = {
		orderId: doc._id,
		paymentId: doc.paymentId,
		customerId: doc.customerId,
		amountCents: ret.refundCents,
		currency: doc.currency,
		returnId: ret.returnId,
	};
	return {
		kind: "refund",
		// The processor's idempotency key: one refund per return, however often it is asked for.
		key: `${doc._id}:${ret.returnId}`,
		// On the amount refunded so far too: two returns refunded at once are written one after the other.
		condition: { _id: doc._id, status: "SETTLED", refundedCents: doc.refundedCents, [`returnRefunds.${ret.returnId}`]: { $exists: false } },
		update: {
			$set: { status: to, [`returnRefunds.${ret.returnId}`]: ret.refundCents, updatedAt: at },
			$inc: { refundedCents: ret.refundCents },
			$push: { history: { status: to, at, reason: "RETURN_REFUNDED" } },
		},
		events: [newEvent("payment.refunded", body, doc._id)],
		to,
	};
}

export function toPayment(doc: PaymentDoc): Payment {
	return {
		id: doc.paymentId,
		orderId: doc._id,
		customerId: doc.customerId,
		amountCents: doc.amountCents,
		currency: doc.currency,
		method: doc.method,
		status: doc.status,
		refundedCents: doc.refundedCents,
		...(doc.providerRef ? { providerRef: doc.providerRef } : {}),
		history: doc.history,
		createdAt: doc.createdAt,
		updatedAt: doc.updatedAt,
	};
}
