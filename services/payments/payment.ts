import type { OutboxEvent, Payment, PaymentStatus, TraceCarrier } from "../../contracts";

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
export function mayCallProvider(doc: Pick<PaymentDoc, "status" | "busySinceMs">, busyStatus: "CHARGING" | "REFUNDING", now: number, staleAfterMs: number): boolean {
	return doc.status === busyStatus && (doc.busySinceMs ?? 0) + staleAfterMs <= now;
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
