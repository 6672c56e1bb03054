import { randomUUID } from "node:crypto";
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import {
	ORDER_STATUSES,
	type ChooseShippingParams,
	type AnyDomainEvent,
	type CreateOrderParams,
	type IdempotencyClaim,
	type ListOrdersParams,
	type ListOrdersResult,
	type Order,
	type OrderProgress,
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
import { noteOrderId, withTrace } from "../../lib/trace-context";
import { EventsMixin, type EventsStore, newEvent, type EventsService } from "../../mixins/events";
import { DuplicateKeyError, type StoreService } from "../../mixins/store.mixin";
import { claimOf } from "../../lib/idempotency";
import { decideKey, keyDocId, keyReused, type IdempotencyKeyDoc } from "./idempotency-key";
import { loadConfig } from "../../lib/env";
import { DEFAULT_PAYMENT_METHOD, MAX_LINE_QTY, newOrder, orderShipping, priceOrder, toOrder, type OrderDoc, type SagaTrigger } from "./order";
import { OperatorMixin } from "./operator.mixin";
import { ReturnsMixin } from "./returns.mixin";
import { SagaMixin } from "./saga.mixin";

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
	/** saga.mixin.ts */
	advance(orderId: string, trigger: SagaTrigger, cause?: AnyDomainEvent, facts?: Record<string, unknown>): Promise<OrderDoc | null>;
	/** saga.mixin.ts */
	timeOutStalledSagas(): Promise<void>;
	ownOrder(ctx: Ctx<{ id: string }>): Promise<OrderDoc>;
	orderIdForKey(customerId: string, claim: IdempotencyClaim, now: Date): Promise<string>;
	answerCreated(ctx: Ctx<unknown>, doc: OrderDoc, replayed: boolean): Order;
}

type Vars = EventsService & StoreService<Collections> & { sagaSweeper?: Repeating; keySweeper?: Repeating };
type OrdersService = Service & Vars & Methods;
type Ctx<P> = Context<P, ShopMeta>;

/**
 * Orders: places them (priced from the catalogue), and runs each one's saga to CONFIRMED or
 * CANCELLED (saga.mixin.ts); returns (returns.mixin.ts) and an operator's reads (operator.mixin.ts).
 */
export default function ordersService(): ServiceSchema<ServiceSettingSchema, Methods, Vars> {
	const config = loadConfig();
	return {
		name: "orders",
		mixins: [EventsMixin<Collections>(config, STORE), SagaMixin(config), ReturnsMixin(), OperatorMixin()],

		publishes: ["order.created", "order.paid", "order.confirmed", "order.cancelled", "return.requested", "return.received"],

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
		},

		// The saga's sweeper too is started here: a service's started runs after its mixins' (the
		// store is open), its stopped before theirs (the store is still open).
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
