import { randomUUID } from "node:crypto";
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import type { OrderRef, Page, PageParams, Payment, PaymentOfOrder, ShopMeta } from "../../contracts";
import { NotFoundError } from "../../lib/errors";
import { pageParams } from "../../lib/paging";
import { shopMetrics } from "../../lib/metrics";
import { repeat, type Repeating } from "../../lib/timers";
import { runInWork, withTrace, workFromCarrier } from "../../lib/trace-context";
import { idRule } from "../../lib/rules";
import { EventsMixin, type EventsService, type EventsStore } from "../../mixins/events";
import type { StoreService } from "../../mixins/store.mixin";
import { newPayment, toPayment } from "./payment";
import { PaymentMovesMixin, type PaymentMoves, type PaymentsCollections, type PaymentsService as MovesService } from "./payment-moves.mixin";
import { ProcessorClient, type ProcessorIntent, type ProcessorRefund } from "./processor-client";
import { processorEventRule, type ProcessorEvent } from "./processor-event";
import { ReconciliationMixin, type Reconciliation } from "./reconciliation.mixin";
import { loadConfig } from "../../lib/env";

/** Payments publish; the card processor keeps its own books, behind its API (services/payment-sandbox in development). */
const STORE: EventsStore<PaymentsCollections> = {
	collections: { payments: { indexes: [{ field: "customerId" }, { field: "status", mongoOnly: true }] } },
	outboxes: ["payments"],
};

type Vars = EventsService & StoreService<PaymentsCollections> & { processor: ProcessorClient; sweeper?: Repeating };
type PaymentsService = MovesService & Reconciliation & Vars;
type Ctx<P> = Context<P, ShopMeta>;

/** What the gateway is told about a processor's event it verified: whether it changed a payment, and why not. */
export interface ProcessorEventAccepted {
	applied: boolean;
	ignored?: "UNKNOWN_PAYMENT" | "NOT_FOR_PAYMENTS";
}

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

/**
 * Payments: charges an order once its stock is held, refunds a cancelled one or a return, through
 * the card processor's API; settles and fails on its signed webhooks (acceptProcessorEvent) and,
 * when they do not come, on what it answers when asked (the reconciliation sweep).
 */
export default function paymentsService(): ServiceSchema<ServiceSettingSchema, PaymentMoves & Reconciliation, Vars> {
	const config = loadConfig();
	return {
		name: "payments",
		mixins: [EventsMixin<PaymentsCollections>(config, STORE), PaymentMovesMixin(config), ReconciliationMixin(config)],

		publishes: ["payment.settled", "payment.failed", "payment.refunded", "payment.actionRequired"],
		// return.received goes through the inbox: its refund is keyed by the return, not by the order.

		// Each handler is idempotent through the payment it writes, keyed by the order: created
		// once, charged once (a compare-and-set on its status, the order id in the processor's
		// idempotency key), cancelled once. A duplicate finds the payment already moved.
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

			/** Charges the order's payment once, however often it is called (its outcome comes from the processor later). */
			charge: paymentAction("chargeOrder"),

			/** Refunds a settled payment once, however often it is called. */
			refund: paymentAction("refundOrder"),

			/**
			 * A processor's event the gateway received and verified (its signature): applied to the
			 * payment it is about, as a webhook. Written with its domain events through the outbox
			 * before the gateway answers 2xx, so a crash after the answer loses nothing; an event seen
			 * before, or older than what the payment knows (by the intent's version), changes nothing.
			 */
			acceptProcessorEvent: {
				params: processorEventRule(),
				async handler(this: PaymentsService, ctx: Ctx<ProcessorEvent>): Promise<ProcessorEventAccepted> {
					const event = ctx.params;
					const object = event.data.object;
					const orderId = object.metadata?.order_id;
					const doc = orderId ? await this.collections.payments.findOne({ _id: orderId }) : null;
					if (!orderId || !doc) {
						this.logger.warn(`Processor event ${event.id} (${event.type}) is about ${object.id}, which no payment knows; ignored`);
						shopMetrics(this.broker).processorWebhook("unknown");
						return { applied: false, ignored: "UNKNOWN_PAYMENT" };
					}
					// The work it causes belongs to the order's saga, whose trace the payment kept, not to the processor's request.
					const applied = await runInWork(workFromCarrier(doc.trace, orderId), () =>
						object.object === "payment_intent"
							? this.applyIntent(orderId, object as unknown as ProcessorIntent, "webhook", doc)
							: this.applyRefund(orderId, object as unknown as ProcessorRefund, "webhook", doc),
					);
					shopMetrics(this.broker).processorWebhook(applied ? "applied" : "unchanged");
					return { applied };
				},
			},
		},

		started(this: PaymentsService) {
			this.sweeper = repeat(
				config.payments.recoverySweepMs,
				async () => {
					await this.recoverStalledPayments();
					await this.reconcileSilentPayments();
				},
				(err) => this.logger.warn("Payment recovery or reconciliation sweep failed", err),
			);
		},

		stopped(this: PaymentsService) {
			this.sweeper?.stop();
		},

		created(this: PaymentsService) {
			this.processor = new ProcessorClient({
				baseUrl: config.payments.processorUrl,
				secretKey: config.payments.processorSecretKey,
				timeoutMs: config.payments.processorTimeoutMs,
				breakerFailures: config.payments.breakerFailures,
				breakerOpenMs: config.payments.breakerOpenMs,
				onBreakerChange: (state) => {
					this.logger.warn(`Card processor circuit ${state}`);
					shopMetrics(this.broker).processorCircuit(state !== "closed");
				},
			});
		},
	};
}
