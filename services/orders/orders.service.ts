import { randomUUID } from "node:crypto";
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import {
	ORDER_STATUS_NOTICE,
	ORDER_STATUSES,
	type ChooseShippingParams,
	type AnyDomainEvent,
	type CreateOrderParams,
	type IdempotencyClaim,
	type ListOrdersParams,
	type ListOrdersResult,
	type Order,
	type OrderProgress,
	type OrderStatusNotice,
	type Product,
	type ShippingOption,
	type ShopMeta,
} from "../../contracts";
import { CONFLICT, compareAndSet } from "../../lib/compare-and-set";
import { ConflictError, NotFoundError } from "../../lib/errors";
import { pageParams } from "../../lib/paging";
import { addressRule, idRule, linesRule, paymentMethodRule, shippingOptionIdRule } from "../../lib/rules";
import { shopMetrics } from "../../lib/metrics";
import { repeat, type Repeating } from "../../lib/timers";
import { noteOrderId, runInWork, withTrace, workFromCarrier } from "../../lib/trace-context";
import { alreadyHandled, EventOutOfOrderError, EventsMixin, type EventsStore, newEvent, type EventsService, type WithHandledEvents } from "../../mixins/events";
import { DuplicateKeyError, type StoreService } from "../../mixins/store.mixin";
import { claimOf } from "../../lib/idempotency";
import { decideKey, keyDocId, keyReused, type IdempotencyKeyDoc } from "./idempotency-key";
import { loadConfig } from "../../lib/env";
import {
	DEFAULT_PAYMENT_METHOD,
	MAX_LINE_QTY,
	OPEN_STATUSES,
	newOrder,
	movedOrder,
	orderShipping,
	orderStep,
	priceOrder,
	sagaSeconds,
	toOrder,
	type OrderDoc,
	type SagaTrigger,
} from "./order";
import { OperatorMixin } from "./operator.mixin";
import { ReturnsMixin } from "./returns.mixin";
import type { ReturnCommand } from "./returns";

type Collections = { orders: OrderDoc; idempotencyKeys: IdempotencyKeyDoc };

/** An order document carries the outbox of its own events; the idempotency keys publish nothing. */
const STORE: EventsStore<Collections> = {
	collections: {
		orders: { indexes: [{ field: "customerId" }, { field: "status", mongoOnly: true }, { field: "sagaDeadlineMs" }, { field: "createdAt" }] },
		idempotencyKeys: { indexes: [{ field: "expiresAtMs" }] },
	},
	outboxes: ["orders"],
};

/** How often keys past their time are removed (a stale key is replaced when it is sent again anyway). */
const KEY_SWEEP_MS = 60 * 1000;

interface Methods {
	advance(orderId: string, trigger: SagaTrigger, cause?: AnyDomainEvent, facts?: Record<string, unknown>): Promise<OrderDoc | null>;
	/** returns.mixin.ts */
	applyReturn(orderId: string, command: ReturnCommand, cause?: AnyDomainEvent): Promise<unknown>;
	ownOrder(ctx: Ctx<{ id: string }>): Promise<OrderDoc>;
	orderIdForKey(customerId: string, claim: IdempotencyClaim, now: Date): Promise<string>;
	answerCreated(ctx: Ctx<unknown>, doc: OrderDoc, replayed: boolean): Order;
	timeOutStalledSagas(): Promise<void>;
}

type Vars = EventsService & StoreService<Collections> & { sagaSweeper?: Repeating; keySweeper?: Repeating };
type OrdersService = Service & Vars & Methods;
type Ctx<P> = Context<P, ShopMeta>;

/** Orders: places them (priced from the catalogue), and runs each one's saga to CONFIRMED or CANCELLED. */
export default function ordersService(): ServiceSchema<ServiceSettingSchema, Methods, Vars> {
	const config = loadConfig();
	return {
		name: "orders",
		mixins: [EventsMixin<Collections>(config, STORE), ReturnsMixin(), OperatorMixin()],

		publishes: ["order.created", "order.paid", "order.confirmed", "order.cancelled", "return.requested", "return.received"],

		// The saga's steps record their event in the order they move (advance's cause); a refund
		// is recorded under its event id. A duplicate is found in the order read anyway.
		handledInAggregate: [
			"stock.reserved",
			"stock.rejected",
			"payment.actionRequired",
			"payment.settled",
			"payment.failed",
			"payment.refunded",
			"shipment.booked",
			"shipment.refused",
			"shipment.dispatched",
			"shipment.delivered",
		],

		domainEvents: {
			async "stock.reserved"(event) {
				await this.advance(event.orderId, "STOCK_RESERVED", event);
			},
			async "stock.rejected"(event) {
				await this.advance(event.orderId, "STOCK_REJECTED", event);
			},
			async "payment.actionRequired"(event) {
				await this.advance(event.orderId, "PAYMENT_ACTION_REQUIRED", event, { paymentActionUrl: event.actionUrl });
			},
			async "payment.settled"(event) {
				await this.advance(event.orderId, "PAYMENT_SETTLED", event);
			},
			async "payment.failed"(event) {
				await this.advance(event.orderId, "PAYMENT_FAILED", event);
			},
			async "shipment.booked"(event) {
				await this.advance(event.orderId, "SHIPMENT_BOOKED", event, { tracking: event.tracking });
			},
			async "shipment.refused"(event) {
				await this.advance(event.orderId, "SHIPMENT_REFUSED", event);
			},
			async "shipment.dispatched"(event) {
				await this.advance(event.orderId, "SHIPMENT_DISPATCHED", event);
			},
			async "shipment.delivered"(event) {
				// The return window runs from the carrier's delivery, as it stood when the parcel arrived.
				const returnableUntil = new Date(Date.parse(event.at) + config.orders.returnWindowMs).toISOString();
				await this.advance(event.orderId, "SHIPMENT_DELIVERED", event, { returnableUntil });
			},
			async "payment.refunded"(event) {
				if (event.returnId) {
					await this.applyReturn(
						event.orderId,
						{ type: "REFUNDED", returnId: event.returnId, refundId: event.id, amountCents: event.amountCents },
						event,
					);
					return;
				}
				const at = new Date().toISOString();
				// Keyed on the refund's event id, so a duplicate delivery cannot count a refund twice.
				const updated = await this.collections.orders.update(
					{ _id: event.orderId, [`refunds.${event.id}`]: { $exists: false } },
					{
						$inc: { refundedCents: event.amountCents },
						$push: { history: { status: "CANCELLED", at, reason: "PAYMENT_REFUNDED" } },
						$set: { updatedAt: at, [`refunds.${event.id}`]: event.amountCents },
					},
				);
				if (updated === 1) this.logger.info(`[order ${event.orderId}] refund of ${event.amountCents} cents recorded`);
			},
		},

		actions: {
			create: {
				auth: "customer",
				params: {
					$$strict: true,
					items: linesRule(MAX_LINE_QTY),
					shippingAddress: addressRule,
					paymentMethod: paymentMethodRule,
					shippingOptionId: shippingOptionIdRule,
				},
				async handler(this: OrdersService, ctx: Ctx<CreateOrderParams>): Promise<Order> {
					const now = new Date();
					const customerId = ctx.meta.user!.id;
					// With an Idempotency-Key, every request that sends it places one and the same order id.
					const claim = claimOf(ctx.meta, "orders.create", ctx.params);
					const orderId = claim ? await this.orderIdForKey(customerId, claim, now) : randomUUID();
					const placed = claim ? await this.collections.orders.findOne({ _id: orderId }) : null;
					if (placed) return this.answerCreated(ctx, placed, true);
					const products = await ctx.call<Product[], { productIds: string[] }>("catalogue.quote", {
						productIds: ctx.params.items.map((item) => item.productId),
					});
					const priced = priceOrder(ctx.params.items, products);
					const { country, postalCode } = ctx.params.shippingAddress;
					// Shipping prices the parcel from its rate table, and refuses an option quoted at another price.
					const option = await ctx.call<ShippingOption, ChooseShippingParams>("shipping.choose", {
						weightGrams: priced.weightGrams,
						currency: priced.currency,
						destination: { country, postalCode },
						...(ctx.params.shippingOptionId ? { shippingOptionId: ctx.params.shippingOptionId } : {}),
					});
					const input = {
						customerId,
						shippingAddress: ctx.params.shippingAddress,
						paymentMethod: ctx.params.paymentMethod ?? DEFAULT_PAYMENT_METHOD,
						shipping: orderShipping(option, priced.weightGrams),
					};
					const doc = withTrace(newOrder(input, priced, orderId, now, config.orders.sagaStepTimeoutMs));
					noteOrderId(doc._id);
					const created = newEvent(
						"order.created",
						{
							orderId: doc._id,
							customerId: doc.customerId,
							items: doc.items.map(({ productId, qty, unitPriceCents }) => ({ productId, qty, unitPriceCents })),
							totalCents: doc.totalCents,
							currency: doc.currency,
							paymentMethod: doc.paymentMethod,
						},
						doc._id,
					);
					try {
						await this.insertWithEvents("orders", doc, [created], now);
					} catch (err) {
						// Another request with the same key placed it first, here or on another replica.
						const first = claim && err instanceof DuplicateKeyError ? await this.collections.orders.findOne({ _id: orderId }) : null;
						if (first) return this.answerCreated(ctx, first, true);
						throw err;
					}
					shopMetrics(this.broker).orderCreated();
					this.logger.info(`[order ${doc._id}] created: ${doc.items.length} line(s), ${doc.totalCents} ${doc.currency} cents, PENDING`);
					return this.answerCreated(ctx, doc, false);
				},
			},

			/** The histories of up to 100 orders, for live views catching up on changes they may have missed. */
			progress: {
				visibility: "public",
				params: { $$strict: true, ids: { type: "array", min: 1, max: 100, items: idRule } },
				async handler(this: OrdersService, ctx: Ctx<{ ids: string[] }>): Promise<OrderProgress[]> {
					const docs = await this.collections.orders.find({ query: { _id: { $in: [...new Set(ctx.params.ids)] } } });
					return docs.map((doc) => ({ id: doc._id, customerId: doc.customerId, history: doc.history }));
				},
			},

			/**
			 * The order a request with this Idempotency-Key placed, for a service that must know before
			 * it acts (the cart's checkout); null when the key is new, expired, or its order is not
			 * placed yet. The same key with another request is 422 IDEMPOTENCY_KEY_REUSED.
			 */
			findByIdempotencyKey: {
				visibility: "public",
				params: { $$strict: true, key: { type: "string", min: 1, max: 255 }, fingerprint: { type: "string", min: 1, max: 128 } },
				async handler(this: OrdersService, ctx: Ctx<IdempotencyClaim>): Promise<Order | null> {
					const customerId = ctx.meta.user!.id;
					const found = await this.collections.idempotencyKeys.findOne({ _id: keyDocId(customerId, ctx.params.key) });
					const decision = decideKey(found, { customerId, claim: ctx.params, newOrderId: "" }, new Date(), config.orders.idempotencyKeyTtlMs);
					if (decision.kind === "reused") throw keyReused();
					if (decision.kind === "claim") return null;
					const doc = await this.collections.orders.findOne({ _id: decision.orderId });
					return doc ? toOrder(doc) : null;
				},
			},

			list: {
				auth: "customer",
				params: {
					$$strict: true,
					...pageParams,
					status: { type: "enum", values: [...ORDER_STATUSES], optional: true },
				},
				async handler(this: OrdersService, ctx: Ctx<ListOrdersParams>): Promise<ListOrdersResult> {
					const user = ctx.meta.user!;
					const query: Record<string, unknown> = user.role === "admin" ? {} : { customerId: user.id };
					if (ctx.params.status) query.status = ctx.params.status;
					return this.collections.orders.findPage(query, ["-createdAt", "_id"], ctx.params, toOrder);
				},
			},

			get: {
				auth: "customer",
				params: { $$strict: true, id: idRule },
				async handler(this: OrdersService, ctx: Ctx<{ id: string }>): Promise<Order> {
					return toOrder(await this.ownOrder(ctx));
				},
			},

			cancel: {
				auth: "customer",
				params: { $$strict: true, id: idRule },
				async handler(this: OrdersService, ctx: Ctx<{ id: string }>): Promise<Order> {
					const order = await this.ownOrder(ctx);
					const moved = await this.advance(order._id, "CUSTOMER_CANCELLED");
					if (!moved) {
						throw new ConflictError("ORDER_ALREADY_FINAL", `Order ${order._id} is already cancelled`, { status: "CANCELLED" });
					}
					return toOrder(moved);
				},
			},
		},

		methods: {
			/** The order id this key stands for: claimed now, or the one it was claimed with (see idempotency-key.ts). */
			async orderIdForKey(this: OrdersService, customerId: string, claim: IdempotencyClaim, now: Date): Promise<string> {
				const keys = this.collections.idempotencyKeys;
				const id = keyDocId(customerId, claim.key);
				return compareAndSet(
					async () => {
						const found = await keys.findOne({ _id: id });
						const decision = decideKey(found, { customerId, claim, newOrderId: randomUUID() }, now, config.orders.idempotencyKeyTtlMs);
						if (decision.kind === "reused") throw keyReused();
						if (decision.kind === "use") return decision.orderId;
						const { replacing, doc } = decision;
						if (!replacing) return (await keys.insertIfAbsent(doc)) ? doc.orderId : CONFLICT;
						const { _id, ...fields } = doc;
						const swapped = await keys.update({ _id, orderId: replacing.orderId, expiresAtMs: replacing.expiresAtMs }, { $set: fields });
						return swapped === 1 ? doc.orderId : CONFLICT;
					},
					() => {
						throw new ConflictError("IDEMPOTENCY_KEY_BUSY", "Other requests with this Idempotency-Key are being taken at this moment; try again");
					},
				);
			},

			/** 201 with the order and where to read it, the same for the request that placed it and any replay of it. */
			answerCreated(this: OrdersService, ctx: Ctx<unknown>, doc: OrderDoc, replayed: boolean): Order {
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/orders/${doc._id}`;
				if (replayed) ctx.meta.$responseHeaders = { ...ctx.meta.$responseHeaders, "Idempotent-Replayed": "true" };
				return toOrder(doc);
			},

			/** A customer sees only their own orders: another's is 404, as if it did not exist. */
			async ownOrder(this: OrdersService, ctx: Ctx<{ id: string }>): Promise<OrderDoc> {
				noteOrderId(ctx.params.id);
				const user = ctx.meta.user!;
				const doc = await this.collections.orders.findOne({ _id: ctx.params.id });
				if (!doc || (user.role !== "admin" && doc.customerId !== user.id)) {
					throw new NotFoundError("ORDER_NOT_FOUND", `Order ${ctx.params.id} not found`);
				}
				return doc;
			},

			/**
			 * Applies one saga step: the decision is made on the status read, and written only if the
			 * status is still that one; a concurrent step makes us read again and decide anew.
			 * Returns the moved order, or null when the step changed nothing.
			 */
			async advance(
				this: OrdersService,
				orderId: string,
				trigger: SagaTrigger,
				cause?: AnyDomainEvent,
				facts?: Record<string, unknown>,
			): Promise<OrderDoc | null> {
				const attempt = async (): Promise<OrderDoc | null | typeof CONFLICT> => {
					const order: (OrderDoc & WithHandledEvents) | null = await this.collections.orders.findOne({ _id: orderId });
					if (!order) {
						if (cause) throw new EventOutOfOrderError(cause, `order ${orderId}`);
						return null;
					}
					if (alreadyHandled(order, cause)) {
						this.logger.debug(`[order ${orderId}] duplicate ${cause!.type} ${cause!.id} ignored`);
						return null;
					}
					const now = new Date();
					const step = orderStep(order, trigger, now, config.orders.sagaStepTimeoutMs, facts);
					if (step.kind === "wait") throw new EventOutOfOrderError(cause!, `the step before ${trigger} for order ${orderId}`);
					if (step.kind === "refuse") {
						throw new ConflictError(
							step.type,
							`Order ${orderId} has its shipping label (${order.status}): it can no longer be cancelled; once it is delivered, return it instead`,
							{ status: order.status },
						);
					}
					if (step.kind === "ignore") {
						this.logger.debug(`[order ${orderId}] ${trigger} ignored in status ${order.status}`);
						return null;
					}
					const { decision, set, unset, entry, events } = step;
					const moved = movedOrder(order, step);
					if (
						(await this.updateWithEvents(
							"orders",
							{ _id: orderId, status: order.status },
							{ $set: set, ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}), $push: { history: entry } },
							events,
							now,
							cause,
						)) !== 1
					)
						return CONFLICT;
					this.logger.info(`[order ${orderId}] ${order.status} -> ${decision.to} (${decision.reason})`);
					// For live views on every node; one that misses it catches up from orders.progress.
					const notice: OrderStatusNotice = { orderId, customerId: order.customerId, seq: order.history.length, change: entry };
					this.broker
						.broadcast(ORDER_STATUS_NOTICE, notice)
						.catch((err: unknown) => this.logger.warn(`[order ${orderId}] status notice not sent`, err));
					if (decision.to === "CONFIRMED" || decision.to === "CANCELLED") {
						shopMetrics(this.broker).orderFinished(decision.to, decision.cancelReason, sagaSeconds(order, now));
					}
					return moved;
				};
				return compareAndSet(attempt, () => {
					throw new ConflictError("ORDER_ALREADY_FINAL", `Order ${orderId} kept changing; try again`);
				});
			},

			async timeOutStalledSagas(this: OrdersService): Promise<void> {
				const stalled = await this.collections.orders.find({
					query: { status: { $in: [...OPEN_STATUSES] }, sagaDeadlineMs: { $lte: Date.now() } },
					limit: 200,
				});
				for (const order of stalled) {
					// In the order's own trace: the cancellation is the end of its saga.
					await runInWork(workFromCarrier(order.trace, order._id), async () => {
						this.logger.warn(`[order ${order._id}] saga step timed out in ${order.status}`);
						await this.advance(order._id, "TIMEOUT");
					});
				}
			},
		},

		started(this: OrdersService) {
			this.keySweeper = repeat(
				KEY_SWEEP_MS,
				() => this.collections.idempotencyKeys.remove({ expiresAtMs: { $lte: Date.now() } }),
				(err) => this.logger.warn("Idempotency key sweep failed", err),
			);
			this.sagaSweeper = repeat(
				config.orders.sagaSweepMs,
				() => this.timeOutStalledSagas(),
				(err) => this.logger.warn("Saga timeout sweep failed", err),
			);
		},

		stopped(this: OrdersService) {
			this.sagaSweeper?.stop();
			this.keySweeper?.stop();
		},
	};
}
