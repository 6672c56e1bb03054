import { randomUUID } from "node:crypto";
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import type { AnyDomainEvent, OrderCancelled, Page, PageParams, Payment, PaymentStatus, ShopMeta } from "../../contracts";
import { CONFLICT, compareAndSet } from "../../lib/compare-and-set";
import { NotFoundError } from "../../lib/errors";
import { pageParams } from "../../lib/paging";
import { shopMetrics } from "../../lib/metrics";
import { repeat, type Repeating } from "../../lib/timers";
import { runInWork, withTrace, workFromCarrier } from "../../lib/trace-context";
import { idRule } from "../../lib/rules";
import { EventOutOfOrderError, EventsMixin, newEvent, type EventsService, type NewEvent } from "../../mixins/events";
import type { StoreService } from "../../mixins/store.mixin";
import { mayCallProvider, newPayment, toPayment, type PaymentDoc } from "./payment";
import { booksIn, SimulatedProvider, type ProcessorRecord } from "./provider";

type Collections = { payments: PaymentDoc; processor: ProcessorRecord };

interface Methods {
	move(doc: PaymentDoc, to: PaymentStatus, reason: string, set?: Record<string, unknown>, events?: NewEvent[]): Promise<PaymentDoc | null>;
	charge(orderId: string, cause?: AnyDomainEvent): Promise<PaymentDoc>;
	refund(orderId: string): Promise<PaymentDoc>;
	cancelPayment(event: OrderCancelled): Promise<void>;
	findPayment(orderId: string): Promise<PaymentDoc>;
	recoverStalledPayments(): Promise<void>;
}

type Vars = EventsService & StoreService<Collections> & { provider: SimulatedProvider; recoverySweeper?: Repeating };
type PaymentsService = Service & Vars & Methods;
type Ctx<P> = Context<P, ShopMeta>;

const PaymentsSchema: ServiceSchema<ServiceSettingSchema, Methods, Vars> = {
	name: "payments",
	mixins: [
		EventsMixin<Collections>({
			// `processor` holds the simulated card processor's books (see provider.ts).
			collections: { payments: { indexes: [{ field: "customerId" }, { field: "status" }] }, processor: {} },
			outboxes: ["payments"],
		}),
	],

	publishes: ["payment.settled", "payment.failed", "payment.refunded"],

	domainEvents: {
		async "order.created"(event) {
			// False when seen before, or when the order was cancelled first and left a VOIDED record.
			await this.collections.payments.insertIfAbsent(withTrace(newPayment(event, randomUUID(), new Date())));
		},
		async "stock.reserved"(event) {
			await this.charge(event.orderId, event);
		},
		async "order.cancelled"(event) {
			await this.cancelPayment(event);
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

		/** Charges the order's payment once, however often it is called. */
		charge: {
			visibility: "public",
			params: { $$strict: true, orderId: idRule },
			async handler(this: PaymentsService, ctx: Ctx<{ orderId: string }>): Promise<Payment> {
				await this.findPayment(ctx.params.orderId);
				return toPayment(await this.charge(ctx.params.orderId));
			},
		},

		/** Refunds a settled payment once, however often it is called. */
		refund: {
			visibility: "public",
			params: { $$strict: true, orderId: idRule },
			async handler(this: PaymentsService, ctx: Ctx<{ orderId: string }>): Promise<Payment> {
				await this.findPayment(ctx.params.orderId);
				return toPayment(await this.refund(ctx.params.orderId));
			},
		},
	},

	methods: {
		async findPayment(this: PaymentsService, orderId: string): Promise<PaymentDoc> {
			const doc = await this.collections.payments.findOne({ _id: orderId });
			if (!doc) throw new NotFoundError("PAYMENT_NOT_FOUND", `No payment for order ${orderId}`);
			return doc;
		},

		/** Compare-and-set on status (and on who holds a busy status); null if another call moved first. */
		async move(this: PaymentsService, doc, to, reason, set = {}, events = []) {
			const now = new Date();
			const at = now.toISOString();
			const changes = { ...set, status: to, updatedAt: at };
			const entry = { status: to, at, reason };
			const condition: Record<string, unknown> = { _id: doc._id, status: doc.status };
			if (doc.busySinceMs !== undefined) condition.busySinceMs = doc.busySinceMs;
			if ((await this.updateWithEvents("payments", condition, { $set: changes, $push: { history: entry } }, events, now)) !== 1) return null;
			this.logger.info(`[order ${doc._id}] payment ${doc.status} -> ${to} (${reason})`);
			// Counted once: only the call whose compare-and-set won gets here.
			if (to === "SETTLED") shopMetrics(this.broker).paymentCaptured(doc.amountCents, doc.currency);
			if (to === "REFUNDED") shopMetrics(this.broker).paymentRefunded(doc.amountCents, doc.currency);
			return { ...doc, ...changes, history: [...doc.history, entry] };
		},

		async charge(this: PaymentsService, orderId: string, cause?: AnyDomainEvent): Promise<PaymentDoc> {
			const staleAfterMs = this.config.events.claimTimeoutMs;
			const step = async (): Promise<PaymentDoc | typeof CONFLICT> => {
				const doc = await this.collections.payments.findOne({ _id: orderId });
				if (!doc) {
					if (cause) throw new EventOutOfOrderError(cause, `order.created for ${orderId}`);
					throw new NotFoundError("PAYMENT_NOT_FOUND", `No payment for order ${orderId}`);
				}
				const now = Date.now();
				const mayStart = doc.status === "PENDING" || mayCallProvider(doc, "CHARGING", now, staleAfterMs);
				if (!mayStart) return doc;
				const claimed = await this.move(doc, "CHARGING", doc.status === "PENDING" ? "CHARGE_STARTED" : "CHARGE_RETRIED", { busySinceMs: now });
				if (!claimed) return CONFLICT;

				// The orderId is the provider's idempotency key: a retried call cannot charge twice.
				const result = await this.provider.charge({
					idempotencyKey: orderId,
					amountCents: claimed.amountCents,
					currency: claimed.currency,
					method: claimed.method,
				});
				const common = { orderId, paymentId: claimed.paymentId, customerId: claimed.customerId };
				if (result.approved) {
					const settled = newEvent("payment.settled", { ...common, amountCents: claimed.amountCents, currency: claimed.currency }, orderId);
					await this.move(claimed, "SETTLED", "PROVIDER_APPROVED", { providerRef: result.reference }, [settled]);
				} else {
					await this.move(claimed, "DECLINED", "PROVIDER_DECLINED", {}, [newEvent("payment.failed", { ...common, reason: result.reason }, orderId)]);
				}
				const after = await this.findPayment(orderId);
				// The order was cancelled while the charge was in flight: give the money back.
				return after.status === "SETTLED" && after.cancelRequested ? this.refund(orderId) : after;
			};
			return compareAndSet(step, () => this.findPayment(orderId));
		},

		async refund(this: PaymentsService, orderId: string): Promise<PaymentDoc> {
			const staleAfterMs = this.config.events.claimTimeoutMs;
			const step = async (): Promise<PaymentDoc | typeof CONFLICT> => {
				const doc = await this.findPayment(orderId);
				const now = Date.now();
				if (doc.status !== "SETTLED" && !mayCallProvider(doc, "REFUNDING", now, staleAfterMs)) return doc;
				const claimed = await this.move(doc, "REFUNDING", "REFUND_STARTED", { busySinceMs: now });
				if (!claimed) return CONFLICT;
				await this.provider.refund(orderId, claimed.amountCents);
				const refunded = newEvent(
					"payment.refunded",
					{ orderId, paymentId: claimed.paymentId, customerId: claimed.customerId, amountCents: claimed.amountCents, currency: claimed.currency },
					orderId,
				);
				await this.move(claimed, "REFUNDED", "PROVIDER_REFUNDED", { refundedCents: claimed.amountCents }, [refunded]);
				return this.findPayment(orderId);
			};
			return compareAndSet(step, () => this.findPayment(orderId));
		},

		/**
		 * A node killed between claiming a payment and recording the processor's answer leaves it
		 * CHARGING or REFUNDING; its event may already be marked done elsewhere, so nothing else
		 * would finish it. Asking the processor again with the same key is safe: it answers with
		 * what it did the first time, or does it now, once.
		 */
		async recoverStalledPayments(this: PaymentsService): Promise<void> {
			const staleBefore = Date.now() - this.config.events.claimTimeoutMs;
			const stalled = await this.collections.payments.find({
				query: { status: { $in: ["CHARGING", "REFUNDING"] }, busySinceMs: { $lte: staleBefore } },
				limit: 100,
			});
			for (const doc of stalled) {
				await runInWork(workFromCarrier(doc.trace, doc._id), async () => {
					this.logger.warn(`[order ${doc._id}] payment stalled in ${doc.status}; finishing it`);
					await (doc.status === "CHARGING" ? this.charge(doc._id) : this.refund(doc._id));
				});
			}
		},

		/** The compensation for a cancelled order: void what was not charged, refund what was. */
		async cancelPayment(this: PaymentsService, event: OrderCancelled): Promise<void> {
			const step = async (): Promise<void | typeof CONFLICT> => {
				const doc = await this.collections.payments.findOne({ _id: event.orderId });
				if (!doc) {
					// Cancelled before order.created reached us: a VOIDED record stops a late charge.
					const voided = newPayment({ ...event, paymentMethod: "none" }, randomUUID(), new Date(), "VOIDED", event.reason);
					return (await this.collections.payments.insertIfAbsent(voided)) ? undefined : CONFLICT;
				}
				switch (doc.status) {
					case "PENDING":
						return (await this.move(doc, "VOIDED", event.reason)) ? undefined : CONFLICT;
					case "CHARGING":
						if ((await this.collections.payments.update({ _id: doc._id, status: "CHARGING" }, { $set: { cancelRequested: true } })) !== 1) return CONFLICT;
						this.logger.info(`[order ${doc._id}] cancel noted during charge; will refund when it settles`);
						return;
					case "SETTLED":
						await this.refund(doc._id);
						return;
					default:
						return;
				}
			};
			await compareAndSet(step, () => undefined);
		},
	},

	started(this: PaymentsService) {
		this.recoverySweeper = repeat(this.config.payments.recoverySweepMs, () => this.recoverStalledPayments(), (err) =>
			this.logger.warn("Payment recovery sweep failed", err),
		);
	},

	stopped(this: PaymentsService) {
		this.recoverySweeper?.stop();
	},

	created(this: PaymentsService) {
		this.provider = new SimulatedProvider(
			booksIn(() => this.collections.processor),
			this.config.payments.slowCardDelayMs,
		);
	},
};

export default PaymentsSchema;
