import { randomUUID } from "node:crypto";
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import type { AnyDomainEvent, OrderCancelled, OrderRef, Page, PageParams, Payment, PaymentOfOrder, ReturnReceived, ShopMeta } from "../../contracts";
import { CONFLICT, compareAndSet } from "../../lib/compare-and-set";
import { ConflictError, NotFoundError } from "../../lib/errors";
import { pageParams } from "../../lib/paging";
import { shopMetrics } from "../../lib/metrics";
import { repeat, type Repeating } from "../../lib/timers";
import { runInWork, withTrace, workFromCarrier } from "../../lib/trace-context";
import { idRule } from "../../lib/rules";
import { EventOutOfOrderError, EventsMixin, type EventsStore, type EventsService } from "../../mixins/events";
import type { StoreService } from "../../mixins/store.mixin";
import { decidePayment, decideReturnRefund, newPayment, toPayment, type PaymentDecision, type PaymentDoc } from "./payment";
import { booksIn, SimulatedProvider, type ProcessorRecord } from "./provider";
import { loadConfig } from "../../lib/env";

type Collections = { payments: PaymentDoc; processor: ProcessorRecord };

/** `processor` holds the simulated card processor's books (see provider.ts); payments publish. */
const STORE: EventsStore<Collections> = {
	collections: { payments: { indexes: [{ field: "customerId" }, { field: "status", mongoOnly: true }] }, processor: {} },
	outboxes: ["payments"],
};
type PaymentMove = Extract<PaymentDecision, { kind: "move" }>;

interface Methods {
	writeMove(doc: PaymentDoc, decision: PaymentMove): Promise<PaymentDoc | null>;
	chargeOrder(orderId: string, cause?: AnyDomainEvent): Promise<PaymentDoc>;
	refundOrder(orderId: string): Promise<PaymentDoc>;
	cancelPayment(event: OrderCancelled): Promise<void>;
	refundReturn(event: ReturnReceived): Promise<void>;
	findPayment(orderId: string): Promise<PaymentDoc>;
	recoverStalledPayments(): Promise<void>;
}

type Vars = EventsService & StoreService<Collections> & { provider: SimulatedProvider; recoverySweeper?: Repeating };
type PaymentsService = Service & Vars & Methods;
type Ctx<P> = Context<P, ShopMeta>;

/** A public action that moves an existing payment of an order (404 PAYMENT_NOT_FOUND when it has none) and answers it as it then is. */
function paymentAction(move: "chargeOrder" | "refundOrder") {
	return {
		visibility: "public",
		params: { $$strict: true, orderId: idRule },
		async handler(this: PaymentsService, ctx: Ctx<{ orderId: string }>): Promise<Payment> {
			await this.findPayment(ctx.params.orderId);
			return toPayment(await this[move](ctx.params.orderId));
		},
	} as const;
}

/** Payments: charges an order once its stock is held, refunds a cancelled one, through the simulated provider. */
export default function paymentsService(): ServiceSchema<ServiceSettingSchema, Methods, Vars> {
	const config = loadConfig();
	return {
		name: "payments",
		mixins: [EventsMixin<Collections>(config, STORE)],

		publishes: ["payment.settled", "payment.failed", "payment.refunded"],
		// return.received goes through the inbox: its refund is keyed by the return, not by the order.

		// Each handler is idempotent through the payment it writes, keyed by the order: created
		// once, charged once (a compare-and-set on its status, the order id as the processor's
		// key), cancelled once. A duplicate finds the payment already moved.
		handledInAggregate: ["order.created", "stock.reserved", "order.cancelled"],

		domainEvents: {
			async "order.created"(event) {
				// False when seen before, or when the order was cancelled first and left a VOIDED record.
				await this.collections.payments.insertIfAbsent(withTrace(newPayment(event, randomUUID(), new Date())));
			},
			async "stock.reserved"(event) {
				await this.chargeOrder(event.orderId, event);
			},
			async "order.cancelled"(event) {
				await this.cancelPayment(event);
			},
			async "return.received"(event) {
				await this.refundReturn(event);
			},
		},

		actions: {
			list: {
				auth: "customer",
				params: { $$strict: true, ...pageParams, orderId: { ...idRule, optional: true } },
				async handler(this: PaymentsService, ctx: Ctx<PageParams & { orderId?: string }>): Promise<Page<Payment>> {
					const user = ctx.meta.user!;
					const query: Record<string, unknown> = user.role === "admin" ? {} : { customerId: user.id };
					if (ctx.params.orderId) query._id = ctx.params.orderId;
					const page = await this.collections.payments.findPage(query, ["-createdAt", "_id"], ctx.params, toPayment);
					// Another customer's order looks exactly like one that does not exist.
					if (ctx.params.orderId && page.total === 0) throw new NotFoundError("PAYMENT_NOT_FOUND", `No payment for order ${ctx.params.orderId}`);
					return page;
				},
			},

			/** For the order's timeline (orders.timeline): its payment with every status and refund, or null. */
			historyOfOrder: {
				visibility: "public",
				params: { $$strict: true, orderId: idRule },
				async handler(this: PaymentsService, ctx: Ctx<OrderRef>): Promise<PaymentOfOrder> {
					const doc = await this.collections.payments.findOne({ _id: ctx.params.orderId });
					return doc ? toPayment(doc) : null;
				},
			},

			/** Charges the order's payment once, however often it is called. */
			charge: paymentAction("chargeOrder"),

			/** Refunds a settled payment once, however often it is called. */
			refund: paymentAction("refundOrder"),
		},

		methods: {
			async findPayment(this: PaymentsService, orderId: string): Promise<PaymentDoc> {
				const doc = await this.collections.payments.findOne({ _id: orderId });
				if (!doc) throw new NotFoundError("PAYMENT_NOT_FOUND", `No payment for order ${orderId}`);
				return doc;
			},

			/**
			 * Writes a decided move with a compare-and-set on the status it was decided on (and on who
			 * holds a busy status), its events with it; null if another call moved first.
			 */
			async writeMove(this: PaymentsService, doc: PaymentDoc, decision: PaymentMove): Promise<PaymentDoc | null> {
				const now = new Date();
				const at = now.toISOString();
				const changes = { ...decision.set, status: decision.to, updatedAt: at };
				const entry = { status: decision.to, at, reason: decision.reason };
				const condition: Record<string, unknown> = { _id: doc._id, status: doc.status };
				if (doc.busySinceMs !== undefined) condition.busySinceMs = doc.busySinceMs;
				if ((await this.updateWithEvents("payments", condition, { $set: changes, $push: { history: entry } }, decision.events, now)) !== 1) return null;
				this.logger.info(`[order ${doc._id}] payment ${doc.status} -> ${decision.to} (${decision.reason})`);
				// Counted once: only the call whose compare-and-set won gets here.
				if (decision.to === "SETTLED") shopMetrics(this.broker).paymentCaptured(doc.amountCents, doc.currency);
				if (decision.to === "REFUNDED") shopMetrics(this.broker).paymentRefunded(doc.amountCents, doc.currency);
				return { ...doc, ...changes, history: [...doc.history, entry] };
			},

			async chargeOrder(this: PaymentsService, orderId: string, cause?: AnyDomainEvent): Promise<PaymentDoc> {
				const staleAfterMs = config.events.claimTimeoutMs;
				const attempt = async (): Promise<PaymentDoc | typeof CONFLICT> => {
					const doc = await this.collections.payments.findOne({ _id: orderId });
					if (!doc) {
						if (cause) throw new EventOutOfOrderError(cause, `order.created for ${orderId}`);
						throw new NotFoundError("PAYMENT_NOT_FOUND", `No payment for order ${orderId}`);
					}
					const claim = decidePayment(doc, { type: "CHARGE" }, Date.now(), staleAfterMs);
					if (claim.kind !== "move") return doc;
					const claimed = await this.writeMove(doc, claim);
					if (!claimed) return CONFLICT;

					// The orderId is the provider's idempotency key: a retried call cannot charge twice.
					const result = await this.provider.charge({
						idempotencyKey: orderId,
						amountCents: claimed.amountCents,
						currency: claimed.currency,
						method: claimed.method,
					});
					const answered = decidePayment(claimed, { type: "CHARGE_ANSWERED", ...result }, Date.now(), staleAfterMs);
					if (answered.kind === "move") await this.writeMove(claimed, answered);
					// Read again: a cancel noted during the charge (cancelRequested) leaves the status as it was.
					const after = await this.findPayment(orderId);
					// The order was cancelled while the charge was in flight: give the money back.
					return after.status === "SETTLED" && after.cancelRequested ? this.refundOrder(orderId) : after;
				};
				return compareAndSet(attempt, () => this.findPayment(orderId));
			},

			async refundOrder(this: PaymentsService, orderId: string): Promise<PaymentDoc> {
				const staleAfterMs = config.events.claimTimeoutMs;
				const attempt = async (): Promise<PaymentDoc | typeof CONFLICT> => {
					const doc = await this.findPayment(orderId);
					const claim = decidePayment(doc, { type: "REFUND" }, Date.now(), staleAfterMs);
					if (claim.kind !== "move") return doc;
					const claimed = await this.writeMove(doc, claim);
					if (!claimed) return CONFLICT;
					await this.provider.refund(orderId, claimed.amountCents);
					const refunded = decidePayment(claimed, { type: "REFUND_DONE" }, Date.now(), staleAfterMs);
					if (refunded.kind === "move") await this.writeMove(claimed, refunded);
					return this.findPayment(orderId);
				};
				return compareAndSet(attempt, () => this.findPayment(orderId));
			},

			/**
			 * A node killed between claiming a payment and recording the processor's answer leaves it
			 * CHARGING or REFUNDING; its event may already be marked done elsewhere, so nothing else
			 * would finish it. Asking the processor again with the same key is safe: it answers with
			 * what it did the first time, or does it now, once.
			 */
			async recoverStalledPayments(this: PaymentsService): Promise<void> {
				const staleBefore = Date.now() - config.events.claimTimeoutMs;
				const stalled = await this.collections.payments.find({
					query: { status: { $in: ["CHARGING", "REFUNDING"] }, busySinceMs: { $lte: staleBefore } },
					limit: 100,
				});
				for (const doc of stalled) {
					await runInWork(workFromCarrier(doc.trace, doc._id), async () => {
						this.logger.warn(`[order ${doc._id}] payment stalled in ${doc.status}; finishing it`);
						await (doc.status === "CHARGING" ? this.chargeOrder(doc._id) : this.refundOrder(doc._id));
					});
				}
			},

			/**
			 * A received return's amount back to the customer: the processor first (keyed by the
			 * return, so asking again moves no more money), then the payment, under a compare-and-set
			 * that only the first call wins.
			 */
			async refundReturn(this: PaymentsService, event: ReturnReceived): Promise<void> {
				const attempt = async (): Promise<void | typeof CONFLICT> => {
					const doc = await this.findPayment(event.orderId);
					const decision = decideReturnRefund(doc, event, new Date());
					if (decision.kind === "ignore") return;
					if (decision.kind === "refuse")
						throw new ConflictError("RETURN_NOT_REFUNDABLE", `[order ${event.orderId}] return ${event.returnId}: ${decision.why}`);
					await this.provider.refund(decision.key, event.refundCents);
					if ((await this.updateWithEvents("payments", decision.condition, decision.update, decision.events, new Date())) !== 1) return CONFLICT;
					this.logger.info(`[order ${event.orderId}] return ${event.returnId} refunded: ${event.refundCents} cents, payment ${decision.to}`);
					shopMetrics(this.broker).paymentRefunded(event.refundCents, doc.currency);
				};
				await compareAndSet(attempt, () => {
					throw new ConflictError("RETURN_NOT_REFUNDABLE", `[order ${event.orderId}] return ${event.returnId}: the payment kept changing`);
				});
			},

			/** The compensation for a cancelled order: void what was not charged, refund what was. */
			async cancelPayment(this: PaymentsService, event: OrderCancelled): Promise<void> {
				const attempt = async (): Promise<void | typeof CONFLICT> => {
					const doc = await this.collections.payments.findOne({ _id: event.orderId });
					if (!doc) {
						// Cancelled before order.created reached us: a VOIDED record stops a late charge.
						const voided = newPayment({ ...event, paymentMethod: "none" }, randomUUID(), new Date(), "VOIDED", event.reason);
						return (await this.collections.payments.insertIfAbsent(voided)) ? undefined : CONFLICT;
					}
					const decision = decidePayment(doc, { type: "CANCEL", reason: event.reason }, Date.now(), config.events.claimTimeoutMs);
					switch (decision.kind) {
						case "move":
							return (await this.writeMove(doc, decision)) ? undefined : CONFLICT;
						case "noteCancel":
							if ((await this.collections.payments.update({ _id: doc._id, status: "CHARGING" }, { $set: { cancelRequested: true } })) !== 1)
								return CONFLICT;
							this.logger.info(`[order ${doc._id}] cancel noted during charge; will refund when it settles`);
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

		started(this: PaymentsService) {
			this.recoverySweeper = repeat(
				config.payments.recoverySweepMs,
				() => this.recoverStalledPayments(),
				(err) => this.logger.warn("Payment recovery sweep failed", err),
			);
		},

		stopped(this: PaymentsService) {
			this.recoverySweeper?.stop();
		},

		created(this: PaymentsService) {
			this.provider = new SimulatedProvider(
				booksIn(() => this.collections.processor),
				config.payments.slowCardDelayMs,
			);
		},
	};
}
