import type { OutboxEvent, Payment, PaymentFailure, PaymentStatus, TraceCarrier } from "../../contracts";
import { newEvent, type NewEvent } from "../../mixins/events/envelope";
import type { ProcessorIntent, ProcessorRefund } from "./processor-client";

/*
 * The payment's rules as a pure decider: the payment as read, a command and the time give the
 * move to write (status, fields, history reason, events) or what else to do. The service writes
 * a move with a compare-and-set on the status it was decided on, so two calls never both apply.
 */

/** One payment per order: the orderId is the document id, and is in the processor's idempotency keys (charge:<orderId>, …). */
export type PaymentDoc = Omit<Payment, "id" | "orderId"> & {
	[key: string]: unknown;
	/** The orderId. */
	_id: string;
	paymentId: string;
	/** The order was cancelled while the charge was in flight: refund as soon as it settles. */
	cancelRequested: boolean;
	/** When the current CHARGING or REFUNDING call began (null once the processor answered); a node that died mid-call leaves it stale. */
	busySinceMs?: number | null;
	/** The version of the processor's intent last applied: an older word about it changes nothing. */
	intentVersion?: number;
	/** The processor's refund of the whole payment, once it took it. */
	refundId?: string | null;
	/** When the processor last told the shop anything about this payment; long silence is reconciled. */
	heardAtMs?: number;
	/** Where the customer confirms the payment (3-D Secure) while it is ACTION_REQUIRED. */
	actionUrl?: string | null;
	outbox?: OutboxEvent[];
	/** The trace of the order's saga, which the recovery sweep continues. */
	trace?: TraceCarrier;
	/** The refunds of customers' returns asked of the processor, by return id: each is asked for once. */
	returnRefunds?: Record<string, number>;
	/** The returns' refunds the processor reported done, by return id (their refund ids). */
	returnRefundsDone?: Record<string, string>;
	/** Returns' refunds asked for whose outcome is not known yet (reconciled when silent too long). */
	refundsPending?: number;
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
	// null: the processor answered the call, so there is none to finish; undefined (older records): taken for stale.
	return doc.status === busyStatus && doc.busySinceMs !== null && (doc.busySinceMs ?? 0) + staleAfterMs <= now;
}

/** Where a processor's word about an intent or refund came from: only a signed webhook or the shop's own question to the processor settles anything. */
export type Observation = "webhook" | "reconciliation";

export type PaymentCommand =
	/** Begin the charge: claim the payment for the processor call. */
	| { type: "CHARGE" }
	/** The processor's answer to the charge this node claimed: recorded, but the outcome waits for its webhook. */
	| { type: "CHARGE_ANSWERED"; intent: ProcessorIntent }
	/** What the processor says an intent has come to, by webhook or when asked. */
	| { type: "INTENT_OBSERVED"; intent: ProcessorIntent; source: Observation }
	/** Begin the refund of the whole payment: claim it for the processor call. */
	| { type: "REFUND" }
	/** The processor took the refund this node claimed; its outcome comes by webhook. */
	| { type: "REFUND_ANSWERED"; refund: ProcessorRefund }
	/** What the processor says the refund of the whole payment has come to. */
	| { type: "REFUND_OBSERVED"; refund: ProcessorRefund; source: Observation }
	/** The order was cancelled for `reason`: compensate whatever the payment has reached. */
	| { type: "CANCEL"; reason: string };

export type PaymentDecision =
	| { kind: "move"; to: PaymentStatus; reason: string; set: Record<string, unknown>; events: NewEvent[] }
	/** Fields to record without a change of status (written under the same compare-and-set). */
	| { kind: "note"; set: Record<string, unknown> }
	/** The charge is in flight: note the cancel, and refund once it settles. */
	| { kind: "noteCancel" }
	/** The processor holds an intent not yet settled: note the cancel and cancel the intent there (what settles anyway is refunded). */
	| { kind: "cancelIntent" }
	/** The money was taken: give it back. */
	| { kind: "refund" }
	/** Nothing to do: done already, by this call or another, or older than what the payment knows. */
	| { kind: "ignore" };

const move = (to: PaymentStatus, reason: string, set: Record<string, unknown> = {}, events: NewEvent[] = []): PaymentDecision => ({
	kind: "move",
	to,
	reason,
	set,
	events,
});
const IGNORE: PaymentDecision = { kind: "ignore" };

/** The statuses in which the payment waits for the processor's word on its intent. */
const AWAITING_INTENT: readonly PaymentStatus[] = ["CHARGING", "PROCESSING", "ACTION_REQUIRED"];

const FAILURES: Record<string, PaymentFailure> = {
	card_declined: "DECLINED",
	authentication_failed: "AUTHENTICATION_FAILED",
	insufficient_funds: "INSUFFICIENT_FUNDS",
};

function actionUrlOf(intent: ProcessorIntent): string | undefined {
	return intent.next_action?.type === "redirect_to_url" ? intent.next_action.redirect_to_url.url : undefined;
}

export function decidePayment(doc: PaymentDoc, command: PaymentCommand, now: number, staleAfterMs: number): PaymentDecision {
	const common = { orderId: doc._id, paymentId: doc.paymentId, customerId: doc.customerId };
	const heard = { heardAtMs: now };
	switch (command.type) {
		case "CHARGE":
			if (doc.status === "PENDING") return move("CHARGING", "CHARGE_STARTED", { busySinceMs: now });
			return mayCallProvider(doc, "CHARGING", now, staleAfterMs) ? move("CHARGING", "CHARGE_RETRIED", { busySinceMs: now }) : IGNORE;
		case "CHARGE_ANSWERED": {
			// A webhook may have been quicker than the answer: then the payment has moved on already.
			if (doc.status !== "CHARGING") return IGNORE;
			const intent = command.intent;
			const recorded = { ...heard, providerRef: intent.id, busySinceMs: null };
			const actionUrl = actionUrlOf(intent);
			if (intent.status === "requires_action" && actionUrl) {
				return move("ACTION_REQUIRED", "PROCESSOR_NEEDS_CONFIRMATION", { ...recorded, actionUrl }, [
					newEvent("payment.actionRequired", { ...common, actionUrl }, doc._id),
				]);
			}
			return move("PROCESSING", `PROCESSOR_ANSWERED_${intent.status.toUpperCase()}`, recorded);
		}
		case "INTENT_OBSERVED":
			return observeIntent(doc, command.intent, command.source, common, now);
		case "REFUND":
			return doc.status === "SETTLED" || mayCallProvider(doc, "REFUNDING", now, staleAfterMs)
				? move("REFUNDING", "REFUND_STARTED", { busySinceMs: now })
				: IGNORE;
		case "REFUND_ANSWERED":
			if (doc.status !== "REFUNDING" || doc.refundId) return IGNORE;
			return { kind: "note", set: { ...heard, refundId: command.refund.id, busySinceMs: null } };
		case "REFUND_OBSERVED": {
			const refund = command.refund;
			if (doc.status !== "REFUNDING" || (doc.refundId !== undefined && doc.refundId !== refund.id)) return IGNORE;
			const reason = command.source === "webhook" ? "PROCESSOR_REFUNDED" : "RECONCILED_REFUNDED";
			if (refund.status === "succeeded") {
				return move("REFUNDED", reason, { ...heard, refundId: refund.id, refundedCents: doc.amountCents, busySinceMs: null }, [
					newEvent("payment.refunded", { ...common, amountCents: doc.amountCents, currency: doc.currency }, doc._id),
				]);
			}
			// The processor would not give the money back: the payment stands, for an operator to see.
			if (refund.status === "failed") return move("SETTLED", "REFUND_FAILED", { ...heard, refundId: null, busySinceMs: null });
			return IGNORE;
		}
		case "CANCEL":
			switch (doc.status) {
				case "PENDING":
					return move("VOIDED", command.reason);
				case "CHARGING":
					return { kind: "noteCancel" };
				case "PROCESSING":
				case "ACTION_REQUIRED":
					return { kind: "cancelIntent" };
				case "SETTLED":
					return { kind: "refund" };
				default:
					return IGNORE;
			}
	}
}

/**
 * An intent's status as the processor reports it, by signed webhook or when asked. Applied only
 * while the payment waits for it, and only if newer (by the intent's version) than the last
 * applied: a webhook delivered twice, or late after a newer one, changes nothing.
 */
function observeIntent(
	doc: PaymentDoc,
	intent: ProcessorIntent,
	source: Observation,
	common: { orderId: string; paymentId: string; customerId: string },
	now: number,
): PaymentDecision {
	if (!AWAITING_INTENT.includes(doc.status)) return IGNORE;
	if (doc.providerRef && doc.providerRef !== intent.id) return IGNORE;
	if (intent.version <= (doc.intentVersion ?? 0)) return IGNORE;
	const recorded = { heardAtMs: now, providerRef: intent.id, intentVersion: intent.version, busySinceMs: null };
	const by = source === "webhook" ? "PROCESSOR" : "RECONCILED";
	switch (intent.status) {
		case "succeeded":
			// Never settle for another amount than the order's: left waiting, the reconciliation report shows it.
			if (intent.amount_received !== doc.amountCents || intent.currency.toUpperCase() !== doc.currency.toUpperCase()) return IGNORE;
			return move("SETTLED", `${by}_SUCCEEDED`, { ...recorded, actionUrl: null }, [
				newEvent("payment.settled", { ...common, amountCents: doc.amountCents, currency: doc.currency }, doc._id),
			]);
		case "requires_payment_method": {
			const reason = FAILURES[intent.last_payment_error?.code ?? ""] ?? "DECLINED";
			return move("DECLINED", `${by}_${reason}`, { ...recorded, actionUrl: null }, [newEvent("payment.failed", { ...common, reason }, doc._id)]);
		}
		case "canceled":
			// Cancelled by the shop for a cancelled order: nothing to tell. Cancelled at the processor by someone else: the order fails.
			return doc.cancelRequested
				? move("VOIDED", `${by}_CANCELED`, { ...recorded, actionUrl: null })
				: move("DECLINED", `${by}_CANCELLED`, { ...recorded, actionUrl: null }, [
						newEvent("payment.failed", { ...common, reason: "CANCELLED" }, doc._id),
					]);
		case "requires_action": {
			const actionUrl = actionUrlOf(intent);
			if (doc.status === "ACTION_REQUIRED" || !actionUrl) return { kind: "note", set: recorded };
			return move("ACTION_REQUIRED", `${by}_NEEDS_CONFIRMATION`, { ...recorded, actionUrl }, [
				newEvent("payment.actionRequired", { ...common, actionUrl }, doc._id),
			]);
		}
		case "processing":
		case "requires_capture":
			return doc.status === "PROCESSING" ? { kind: "note", set: recorded } : move("PROCESSING", `${by}_${intent.status.toUpperCase()}`, recorded);
		default:
			return { kind: "note", set: recorded };
	}
}

/** A received return's refund, asked of the processor once per return; its outcome comes by webhook (decideReturnRefunded). */
export type ReturnRefundDecision =
	| { kind: "refund"; key: string; condition: Record<string, unknown>; update: Record<string, unknown> }
	| { kind: "ignore"; why: string }
	| { kind: "refuse"; why: string };

export function decideReturnRefund(doc: PaymentDoc, ret: { returnId: string; refundCents: number }, now: Date): ReturnRefundDecision {
	if (doc.returnRefunds?.[ret.returnId] !== undefined) return { kind: "ignore", why: `return ${ret.returnId} was refunded already` };
	if (doc.status !== "SETTLED") return { kind: "refuse", why: `the payment is ${doc.status}, not SETTLED` };
	const left = doc.amountCents - doc.refundedCents;
	if (ret.refundCents > left) return { kind: "refuse", why: `${ret.refundCents} cents is more than the ${left} left to refund` };
	return {
		kind: "refund",
		// The processor's idempotency key: one refund per return, however often it is asked for.
		key: `${doc._id}:${ret.returnId}`,
		// On the amount refunded so far too: two returns refunded at once are written one after the other.
		condition: { _id: doc._id, status: "SETTLED", refundedCents: doc.refundedCents, [`returnRefunds.${ret.returnId}`]: { $exists: false } },
		// The amount counts as refunded from here, so that no later return can ask for it again.
		update: {
			$set: { [`returnRefunds.${ret.returnId}`]: ret.refundCents, updatedAt: now.toISOString() },
			$inc: { refundedCents: ret.refundCents, refundsPending: 1 },
			$push: { history: { status: doc.status, at: now.toISOString(), reason: "RETURN_REFUND_REQUESTED" } },
		},
	};
}

/** The processor's word on a return's refund: its payment.refunded, once; the last of the money back turns the payment REFUNDED. */
export type ReturnRefundedDecision =
	| { kind: "refunded"; condition: Record<string, unknown>; update: Record<string, unknown>; events: NewEvent[]; to: PaymentStatus }
	| { kind: "ignore"; why: string };

export function decideReturnRefunded(doc: PaymentDoc, returnId: string, refund: ProcessorRefund, source: Observation, now: Date): ReturnRefundedDecision {
	if (doc.returnRefundsDone?.[returnId]) return { kind: "ignore", why: `return ${returnId}'s refund was recorded already` };
	if (refund.status !== "succeeded") return { kind: "ignore", why: `return ${returnId}'s refund is ${refund.status}` };
	if (doc.status !== "SETTLED") return { kind: "ignore", why: `the payment is ${doc.status}, not SETTLED` };
	const requested = doc.returnRefunds?.[returnId];
	// The webhook can come before the shop wrote down its request: then it is written down now.
	const refundedCents = doc.refundedCents + (requested === undefined ? refund.amount : 0);
	const pending = (doc.refundsPending ?? 0) - (requested === undefined ? 0 : 1);
	const othersDone = Object.keys(doc.returnRefunds ?? {}).every((id) => id === returnId || doc.returnRefundsDone?.[id]);
	const to: PaymentStatus = refundedCents >= doc.amountCents && pending === 0 && othersDone ? "REFUNDED" : "SETTLED";
	const at = now.toISOString();
	const body = { orderId: doc._id, paymentId: doc.paymentId, customerId: doc.customerId, amountCents: refund.amount, currency: doc.currency, returnId };
	return {
		kind: "refunded",
		condition: { _id: doc._id, status: "SETTLED", refundedCents: doc.refundedCents, [`returnRefundsDone.${returnId}`]: { $exists: false } },
		update: {
			$set: {
				status: to,
				[`returnRefundsDone.${returnId}`]: refund.id,
				...(requested === undefined ? { [`returnRefunds.${returnId}`]: refund.amount } : {}),
				heardAtMs: now.getTime(),
				updatedAt: at,
			},
			$inc: { refundedCents: refundedCents - doc.refundedCents, refundsPending: pending - (doc.refundsPending ?? 0) },
			$push: { history: { status: to, at, reason: source === "webhook" ? "RETURN_REFUNDED" : "RECONCILED_RETURN_REFUNDED" } },
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
		...(doc.status === "ACTION_REQUIRED" && doc.actionUrl ? { actionUrl: doc.actionUrl } : {}),
		history: doc.history,
		createdAt: doc.createdAt,
		updatedAt: doc.updatedAt,
	};
}
