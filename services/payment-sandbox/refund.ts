import type { PaymentIntent } from "./intent";

/*
 * A refund's life, pure like intent.ts: created pending, it succeeds once its time has come, and
 * only money received and not yet refunded, or promised to a pending refund, can be refunded.
 */

export type RefundStatus = "pending" | "succeeded" | "failed";
export type RefundEventType = "refund.created" | "refund.updated";

export interface Refund {
	id: string;
	object: "refund";
	payment_intent: string;
	amount: number;
	currency: string;
	status: RefundStatus;
	metadata: Record<string, string>;
	created: number;
	version: number;
}

/** What may still be refunded of `intent`, given the amounts of its refunds still pending. */
export function refundableAmount(intent: PaymentIntent, pendingAmounts: number[]): number {
	return intent.amount_received - intent.amount_refunded - pendingAmounts.reduce((sum, amount) => sum + amount, 0);
}

export type RefundCheck = { ok: true; amount: number } | { ok: false; code: "payment_intent_unexpected_state" | "amount_too_large"; message: string };

/** Whether `requested` (all that is left when absent) may be refunded of `intent` now. */
export function checkRefund(intent: PaymentIntent, pendingAmounts: number[], requested: number | undefined): RefundCheck {
	if (intent.status !== "succeeded") {
		return {
			ok: false,
			code: "payment_intent_unexpected_state",
			message: `This PaymentIntent has a status of ${intent.status}; only a succeeded one can be refunded.`,
		};
	}
	const left = refundableAmount(intent, pendingAmounts);
	const amount = requested ?? left;
	if (amount < 1 || amount > left) {
		return { ok: false, code: "amount_too_large", message: `Refund amount (${amount}) is greater than what is left to refund (${left}).` };
	}
	return { ok: true, amount };
}

export function newRefund(fields: { id: string; intent: PaymentIntent; amount: number; metadata: Record<string, string>; nowMs: number }): Refund {
	return {
		id: fields.id,
		object: "refund",
		payment_intent: fields.intent.id,
		amount: fields.amount,
		currency: fields.intent.currency,
		status: "pending",
		metadata: fields.metadata,
		created: Math.floor(fields.nowMs / 1000),
		version: 1,
	};
}

/** The refund once its time has come; null while it is not due or no longer pending. */
export function dueRefund(refund: Refund, dueAtMs: number, nowMs: number): Refund | null {
	if (refund.status !== "pending" || nowMs < dueAtMs) return null;
	return { ...refund, status: "succeeded", version: refund.version + 1 };
}
