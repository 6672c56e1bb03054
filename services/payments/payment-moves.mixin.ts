import { randomUUID } from "node:crypto";
import type { Service, ServiceSchema } from "moleculer";
import type { AnyDomainEvent, OrderCancelled, ReturnReceived } from "../../contracts";
import { CONFLICT, compareAndSet } from "../../lib/compare-and-set";
import type { ShopConfig } from "../../lib/env";
import { ConflictError, NotFoundError } from "../../lib/errors";
import { shopMetrics } from "../../lib/metrics";
import { EventOutOfOrderError, type EventsService } from "../../mixins/events";
import type { StoreService } from "../../mixins/store.mixin";
import {
	decidePayment,
	decideReturnRefund,
	decideReturnRefunded,
	newPayment,
	type Observation,
	type PaymentCommand,
	type PaymentDecision,
	type PaymentDoc,
} from "./payment";
import type { ProcessorClient, ProcessorIntent, ProcessorRefund } from "./processor-client";

/*
 * How a payment moves: each move decided by payment.ts on the payment as read, written with a
 * compare-and-set (its events through the outbox with it), the processor asked between a claim
 * and the record of its answer. The processor's answers are recorded; only its signed webhooks
 * and the shop's own questions (reconciliation) settle, fail or refund a payment.
 */

export type PaymentsCollections = { payments: PaymentDoc };

export interface PaymentMoves {
	findPayment(orderId: string): Promise<PaymentDoc>;
	/** Writes a decided move or note under a compare-and-set on what it was decided on; null if another call moved first. */
	writeDecision(doc: PaymentDoc, decision: PaymentDecision): Promise<PaymentDoc | null>;
	/**
	 * Decides `command` on the payment as it is now and writes it, reading again while other calls
	 * move first; `known`, the payment as the caller just read it, is decided on first instead of a read.
	 */
	decideAndWrite(orderId: string, command: (doc: PaymentDoc) => PaymentCommand, known?: PaymentDoc): Promise<{ doc: PaymentDoc; applied: boolean }>;
	chargeOrder(orderId: string, cause?: AnyDomainEvent): Promise<PaymentDoc>;
	refundOrder(orderId: string): Promise<PaymentDoc>;
	cancelPayment(event: OrderCancelled): Promise<void>;
	refundReturn(event: ReturnReceived): Promise<void>;
	cancelAtProcessor(doc: PaymentDoc): Promise<void>;
	applyIntent(orderId: string, intent: ProcessorIntent, source: Observation, known?: PaymentDoc): Promise<boolean>;
	applyRefund(orderId: string, refund: ProcessorRefund, source: Observation, known?: PaymentDoc): Promise<boolean>;
}

export type PaymentsService = Service & EventsService & StoreService<PaymentsCollections> & PaymentMoves & { processor: ProcessorClient };

const metadataOf = (doc: PaymentDoc, extra: Record<string, string> = {}) => ({ order_id: doc._id, payment_id: doc.paymentId, ...extra });

type Svc = PaymentsService;

export function PaymentMovesMixin(config: ShopConfig): Partial<ServiceSchema> {
	const staleAfterMs = config.events.claimTimeoutMs;
	const schema = {
		methods: {
			async findPayment(this: Svc, orderId: string): Promise<PaymentDoc> {
				const doc = await this.collections.payments.findOne({ _id: orderId });
				if (!doc) throw new NotFoundError("PAYMENT_NOT_FOUND", `No payment for order ${orderId}`);
				return doc;
			},

			async writeDecision(this: Svc, doc: PaymentDoc, decision: PaymentDecision): Promise<PaymentDoc | null> {
				if (decision.kind !== "move" && decision.kind !== "note") return doc;
				const now = new Date();
				const at = now.toISOString();
				const condition: Record<string, unknown> = { _id: doc._id, status: doc.status };
				if (doc.busySinceMs !== undefined) condition.busySinceMs = doc.busySinceMs;
				condition.intentVersion = doc.intentVersion ?? { $exists: false };
				if (decision.kind === "note") {
					const set = { ...decision.set, updatedAt: at };
					return (await this.collections.payments.update(condition, { $set: set })) === 1 ? { ...doc, ...set } : null;
				}
				const changes = { ...decision.set, status: decision.to, updatedAt: at };
				const entry = { status: decision.to, at, reason: decision.reason };
				if ((await this.updateWithEvents("payments", condition, { $set: changes, $push: { history: entry } }, decision.events, now)) !== 1) return null;
				this.logger.info(`[order ${doc._id}] payment ${doc.status} -> ${decision.to} (${decision.reason})`);
				// Counted once: only the call whose compare-and-set won gets here.
				if (decision.to === "SETTLED" && doc.status !== "REFUNDING") shopMetrics(this.broker).paymentCaptured(doc.amountCents, doc.currency);
				if (decision.to === "REFUNDED") shopMetrics(this.broker).paymentRefunded(doc.amountCents, doc.currency);
				return { ...doc, ...changes, history: [...doc.history, entry] };
			},

			async decideAndWrite(this: Svc, orderId: string, command: (doc: PaymentDoc) => PaymentCommand, known?: PaymentDoc) {
				let applied = false;
				let first = known;
				const attempt = async (): Promise<PaymentDoc | typeof CONFLICT> => {
					// A conflict means the caller's copy is stale: every later attempt reads again.
					const doc = first ?? (await this.findPayment(orderId));
					first = undefined;
					const decision = decidePayment(doc, command(doc), Date.now(), staleAfterMs);
					if (decision.kind !== "move" && decision.kind !== "note") return doc;
					const written = await this.writeDecision(doc, decision);
					if (!written) return CONFLICT;
					applied = true;
					return written;
				};
				const doc = await compareAndSet(attempt, () => this.findPayment(orderId));
				return { doc, applied };
			},

			async chargeOrder(this: Svc, orderId: string, cause?: AnyDomainEvent): Promise<PaymentDoc> {
				const attempt = async (): Promise<PaymentDoc | typeof CONFLICT> => {
					const doc = await this.collections.payments.findOne({ _id: orderId });
					if (!doc) {
						if (cause) throw new EventOutOfOrderError(cause, `order.created for ${orderId}`);
						throw new NotFoundError("PAYMENT_NOT_FOUND", `No payment for order ${orderId}`);
					}
					const claim = decidePayment(doc, { type: "CHARGE" }, Date.now(), staleAfterMs);
					if (claim.kind !== "move") return doc;
					const claimed = await this.writeDecision(doc, claim);
					if (!claimed) return CONFLICT;
					// Keyed by the order: a charge asked again (a retry, a dead node's successor) is the same intent.
					const intent = await this.processor.createIntent(`charge:${orderId}`, {
						amount: claimed.amountCents,
						currency: claimed.currency.toLowerCase(),
						payment_method: claimed.method,
						return_url: config.payments.returnUrl.replace("{orderId}", encodeURIComponent(orderId)),
						metadata: metadataOf(claimed),
					});
					const answered = await this.decideAndWrite(orderId, () => ({ type: "CHARGE_ANSWERED", intent }));
					// The order was cancelled while the processor was asked: cancel the intent it made.
					const pending = answered.doc.status === "PROCESSING" || answered.doc.status === "ACTION_REQUIRED";
					if (answered.doc.cancelRequested && pending) await this.cancelAtProcessor(answered.doc);
					return this.findPayment(orderId);
				};
				return compareAndSet(attempt, () => this.findPayment(orderId));
			},

			async refundOrder(this: Svc, orderId: string): Promise<PaymentDoc> {
				const attempt = async (): Promise<PaymentDoc | typeof CONFLICT> => {
					const doc = await this.findPayment(orderId);
					const claim = decidePayment(doc, { type: "REFUND" }, Date.now(), staleAfterMs);
					if (claim.kind !== "move") return doc;
					const claimed = await this.writeDecision(doc, claim);
					if (!claimed) return CONFLICT;
					const refund = await this.processor.createRefund(`refund:${orderId}`, {
						payment_intent: claimed.providerRef!,
						amount: claimed.amountCents - claimed.refundedCents,
						metadata: metadataOf(claimed),
					});
					await this.decideAndWrite(orderId, () => ({ type: "REFUND_ANSWERED", refund }));
					return this.findPayment(orderId);
				};
				return compareAndSet(attempt, () => this.findPayment(orderId));
			},

			async applyIntent(this: Svc, orderId: string, intent: ProcessorIntent, source: Observation, known?: PaymentDoc): Promise<boolean> {
				const { doc, applied } = await this.decideAndWrite(orderId, () => ({ type: "INTENT_OBSERVED", intent, source }), known);
				// The order was cancelled while the processor was still working on it: give the money back.
				if (doc.status === "SETTLED" && doc.cancelRequested) await this.refundOrder(orderId);
				return applied;
			},

			async applyRefund(this: Svc, orderId: string, refund: ProcessorRefund, source: Observation, known?: PaymentDoc): Promise<boolean> {
				const returnId = refund.metadata?.return_id;
				if (!returnId) return (await this.decideAndWrite(orderId, () => ({ type: "REFUND_OBSERVED", refund, source }), known)).applied;
				let first = known;
				let applied = false;
				const attempt = async (): Promise<void | typeof CONFLICT> => {
					const doc = first ?? (await this.findPayment(orderId));
					first = undefined;
					const decision = decideReturnRefunded(doc, returnId, refund, source, new Date());
					if (decision.kind === "ignore") return;
					if ((await this.updateWithEvents("payments", decision.condition, decision.update, decision.events, new Date())) !== 1) return CONFLICT;
					applied = true;
					this.logger.info(`[order ${orderId}] return ${returnId} refunded: ${refund.amount} cents, payment ${decision.to}`);
					shopMetrics(this.broker).paymentRefunded(refund.amount, doc.currency);
				};
				await compareAndSet(attempt, () => undefined);
				return applied;
			},

			/**
			 * A received return's amount back to the customer: the processor first (keyed by the
			 * return, so asking again moves no more money), then the request on the payment, under a
			 * compare-and-set that only the first call wins. The processor's webhook finishes it.
			 */
			async refundReturn(this: Svc, event: ReturnReceived): Promise<void> {
				const attempt = async (): Promise<void | typeof CONFLICT> => {
					const doc = await this.findPayment(event.orderId);
					const decision = decideReturnRefund(doc, event, new Date());
					if (decision.kind === "ignore") return;
					if (decision.kind === "refuse")
						throw new ConflictError("RETURN_NOT_REFUNDABLE", `[order ${event.orderId}] return ${event.returnId}: ${decision.why}`);
					await this.processor.createRefund(`return:${decision.key}`, {
						payment_intent: doc.providerRef!,
						amount: event.refundCents,
						metadata: metadataOf(doc, { return_id: event.returnId }),
					});
					if ((await this.collections.payments.update(decision.condition, decision.update)) !== 1) return CONFLICT;
					this.logger.info(`[order ${event.orderId}] return ${event.returnId}: refund of ${event.refundCents} cents asked of the processor`);
				};
				await compareAndSet(attempt, () => {
					throw new ConflictError("RETURN_NOT_REFUNDABLE", `[order ${event.orderId}] return ${event.returnId}: the payment kept changing`);
				});
			},

			/** Its webhook (payment_intent.canceled) voids the payment; an intent that settles first is refunded (applyIntent). */
			async cancelAtProcessor(this: Svc, doc: PaymentDoc): Promise<void> {
				const intent = await this.processor.cancelIntent(doc.providerRef!, `cancel:${doc._id}`);
				this.logger.info(`[order ${doc._id}] intent ${intent.id} asked to cancel at the processor: ${intent.status}`);
			},

			/** The compensation for a cancelled order: void what was not charged, cancel what is pending, refund what was taken. */
			async cancelPayment(this: Svc, event: OrderCancelled): Promise<void> {
				const attempt = async (): Promise<void | typeof CONFLICT> => {
					const doc = await this.collections.payments.findOne({ _id: event.orderId });
					if (!doc) {
						// Cancelled before order.created reached us: a VOIDED record stops a late charge.
						const voided = newPayment({ ...event, paymentMethod: "none" }, randomUUID(), new Date(), "VOIDED", event.reason);
						return (await this.collections.payments.insertIfAbsent(voided)) ? undefined : CONFLICT;
					}
					const decision = decidePayment(doc, { type: "CANCEL", reason: event.reason }, Date.now(), staleAfterMs);
					switch (decision.kind) {
						case "move":
							return (await this.writeDecision(doc, decision)) ? undefined : CONFLICT;
						case "noteCancel":
						case "cancelIntent":
							if (
								!doc.cancelRequested &&
								(await this.collections.payments.update({ _id: doc._id, status: doc.status }, { $set: { cancelRequested: true } })) !== 1
							)
								return CONFLICT;
							if (decision.kind === "noteCancel") {
								this.logger.info(`[order ${doc._id}] cancel noted during charge; will cancel or refund once the processor answers`);
								return;
							}
							await this.cancelAtProcessor(doc);
							return;
						case "refund":
							await this.refundOrder(doc._id);
							return;
						case "ignore":
							return;
					}
				};
				await compareAndSet(attempt, () => undefined);
			},
		},
	};
	return schema as unknown as Partial<ServiceSchema>;
}
