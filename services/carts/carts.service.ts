import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import type {
	Cart,
	CartItemRef,
	CheckoutCartParams,
	CreateOrderParams,
	IdempotencyClaim,
	LookupProductsParams,
	MergeCartParams,
	MergeCartResult,
	Order,
	ProductSummary,
	SetCartItemParams,
	ShopMeta,
	StockLine,
} from "../../contracts";
import { CONFLICT, compareAndSet } from "../../lib/compare-and-set";
import { ConflictError } from "../../lib/errors";
import { claimOf } from "../../lib/idempotency";
import { addressRule, idRule, linesRule, paymentMethodRule, shippingOptionIdRule } from "../../lib/rules";
import { loadConfig } from "../../lib/env";
import { StoreMixin, type StoreService } from "../../mixins/store.mixin";
import { MAX_QTY, checkoutLines, decideCart, newCartDoc, viewCart, type CartDecision, type CartDoc, type MergeReport, type StoredLine } from "./cart";

type Collections = { carts: CartDoc };

/** One document per customer, its _id the customer's id: one cart each by construction, no other index needed. */
const COLLECTIONS = { carts: {} };

/**
 * A cart is one document that every change of it rewrites, so two changes at once make one of them
 * read and decide again. They come from one customer's tabs and devices, a handful at a time; each
 * attempt is one read and one write, so a burst of them all land within these.
 */
const CART_CAS_ATTEMPTS = 16;

type Ctx<P> = Context<P, ShopMeta>;

interface Methods {
	change(customerId: string, decide: (lines: readonly StoredLine[]) => CartDecision): Promise<{ doc: CartDoc | null; merged?: MergeReport }>;
	show(ctx: Ctx<unknown>, doc: CartDoc | null): Promise<Cart>;
	lookup(ctx: Ctx<unknown>, productIds: string[]): Promise<ProductSummary[]>;
	placeOrder(ctx: Ctx<CheckoutCartParams>, items: StockLine[], claim?: IdempotencyClaim): Promise<Order>;
}

type Vars = StoreService<Collections>;
type CartsService = Service & Vars & Methods;

const qtyRule = { type: "number", integer: true, min: 0, max: MAX_QTY } as const;

/** Carts: one per customer, priced from the catalogue's read cache on every read, checked out through orders. */
export default function cartsService(): ServiceSchema<ServiceSettingSchema, Methods, Vars> {
	const config = loadConfig();
	return {
		name: "carts",
		// Cart changes publish no domain events: nothing else in the shop reacts to a cart.
		mixins: [StoreMixin<Collections>(config, COLLECTIONS)],

		actions: {
			get: {
				auth: "customer",
				params: { $$strict: true },
				async handler(this: CartsService, ctx: Ctx<Record<string, never>>): Promise<Cart> {
					return this.show(ctx, await this.collections.carts.findOne({ _id: ctx.meta.user!.id }));
				},
			},

			setItem: {
				auth: "customer",
				params: { $$strict: true, productId: idRule, qty: qtyRule },
				async handler(this: CartsService, ctx: Ctx<SetCartItemParams>): Promise<Cart> {
					const { productId, qty } = ctx.params;
					// Read once, before the compare-and-set: a retried attempt needs only the cart again.
					const product = qty === 0 ? undefined : (await this.lookup(ctx, [productId]))[0];
					const { doc } = await this.change(ctx.meta.user!.id, (lines) => decideCart(lines, { kind: "SET_QTY", productId, qty, product }));
					return this.show(ctx, doc);
				},
			},

			/** Removing a line the cart does not hold changes nothing and answers the cart: a repeated DELETE is harmless. */
			removeItem: {
				auth: "customer",
				params: { $$strict: true, productId: idRule },
				async handler(this: CartsService, ctx: Ctx<CartItemRef>): Promise<Cart> {
					const { productId } = ctx.params;
					const { doc } = await this.change(ctx.meta.user!.id, (lines) => decideCart(lines, { kind: "REMOVE", productId }));
					return this.show(ctx, doc);
				},
			},

			clear: {
				auth: "customer",
				params: { $$strict: true },
				async handler(this: CartsService, ctx: Ctx<Record<string, never>>): Promise<Cart> {
					const { doc } = await this.change(ctx.meta.user!.id, (lines) => decideCart(lines, { kind: "CLEAR" }));
					return this.show(ctx, doc);
				},
			},

			/** A guest's browser cart, added at login: what fits is taken, and each product's outcome reported. */
			merge: {
				auth: "customer",
				params: { $$strict: true, items: linesRule(MAX_QTY) },
				async handler(this: CartsService, ctx: Ctx<MergeCartParams>): Promise<MergeCartResult> {
					const { items } = ctx.params;
					const products = await this.lookup(ctx, [...new Set(items.map((item) => item.productId))]);
					const { doc, merged } = await this.change(ctx.meta.user!.id, (lines) => decideCart(lines, { kind: "MERGE", items, products }));
					return { cart: await this.show(ctx, doc), lines: merged ?? [] };
				},
			},

			/**
			 * Places an order for the cart's lines, then takes exactly those lines out of the cart. A
			 * refused checkout, or one whose order could not be placed, leaves the cart as it was.
			 */
			checkout: {
				auth: "customer",
				params: { $$strict: true, shippingAddress: addressRule, paymentMethod: paymentMethodRule, shippingOptionId: shippingOptionIdRule },
				async handler(this: CartsService, ctx: Ctx<CheckoutCartParams>): Promise<Order> {
					const customerId = ctx.meta.user!.id;
					const answer = async (order: Order, ordered: StockLine[]) => {
						try {
							await this.change(customerId, (current) => decideCart(current, { kind: "CHECKED_OUT", ordered }));
						} catch (err) {
							// The order exists and is the answer: failing now would invite a retry that places a second one.
							this.logger.warn(
								`[order ${order.id}] placed from the cart of ${customerId}, but its lines could not be taken out of the cart`,
								err,
							);
						}
						ctx.meta.$statusCode = 201;
						ctx.meta.$location = `/api/orders/${order.id}`;
						return order;
					};

					// With an Idempotency-Key, a retry of a checkout that placed its order answers that order,
					// before the cart, which the first request emptied, is looked at. Its lines leave the cart
					// if they are still there (the first request's node died before it took them out).
					const claim = claimOf(ctx.meta, "cart.checkout", ctx.params);
					const earlier = claim ? await ctx.call<Order | null, IdempotencyClaim>("orders.findByIdempotencyKey", claim) : null;
					if (earlier) {
						ctx.meta.$responseHeaders = { ...ctx.meta.$responseHeaders, "Idempotent-Replayed": "true" };
						return answer(earlier, earlier.items);
					}

					const doc = await this.collections.carts.findOne({ _id: customerId });
					const lines = doc?.lines ?? [];
					const products =
						lines.length > 0
							? await this.lookup(
									ctx,
									lines.map((line) => line.productId),
								)
							: [];
					const decision = checkoutLines(lines, products);
					if (decision.kind === "refuse") throw decision.error;

					return answer(await this.placeOrder(ctx, decision.items, claim), decision.items);
				},
			},
		},

		methods: {
			/**
			 * Reads the cart, asks `decide`, and writes the lines it answers only if the cart is still
			 * the version read (a new cart only if there is none): a concurrent change makes it read and
			 * decide again, so no change is lost. The document is never removed, so its version never
			 * starts again and an old read can never match a newer cart.
			 */
			async change(this: CartsService, customerId: string, decide: (lines: readonly StoredLine[]) => CartDecision) {
				const attempt = async (): Promise<{ doc: CartDoc | null; merged?: MergeReport } | typeof CONFLICT> => {
					const doc = await this.collections.carts.findOne({ _id: customerId });
					const decision = decide(doc?.lines ?? []);
					if (decision.kind === "refuse") throw decision.error;
					const { merged } = decision;
					if (decision.kind === "unchanged") return { doc, merged };
					const now = new Date();
					if (!doc) {
						const created = newCartDoc(customerId, decision.lines, now);
						return (await this.collections.carts.insertIfAbsent(created)) ? { doc: created, merged } : CONFLICT;
					}
					const set = { lines: decision.lines, version: doc.version + 1, updatedAt: now.toISOString() };
					const written = await this.collections.carts.update({ _id: customerId, version: doc.version }, { $set: set });
					return written === 1 ? { doc: { ...doc, ...set }, merged } : CONFLICT;
				};
				return compareAndSet(
					attempt,
					() => {
						throw new ConflictError("CART_CHANGED_CONCURRENTLY", "The cart kept changing while this change was being made; try again");
					},
					CART_CAS_ATTEMPTS,
				);
			},

			async show(this: CartsService, ctx: Ctx<unknown>, doc: CartDoc | null): Promise<Cart> {
				const productIds = doc?.lines.map((line) => line.productId) ?? [];
				const products = productIds.length > 0 ? await this.lookup(ctx, productIds) : [];
				return viewCart(ctx.meta.user!.id, doc, products);
			},

			/** The catalogue's read cache, one call for all the lines: never a store query per line. */
			lookup(this: CartsService, ctx: Ctx<unknown>, productIds: string[]): Promise<ProductSummary[]> {
				return ctx.call<ProductSummary[], LookupProductsParams>("catalogue.lookup", { productIds });
			},

			/** In the caller's context, so orders sees the customer (meta.user) and the trace goes on. */
			placeOrder(this: CartsService, ctx: Ctx<CheckoutCartParams>, items: StockLine[], claim?: IdempotencyClaim): Promise<Order> {
				const { shippingAddress, paymentMethod, shippingOptionId } = ctx.params;
				const params: CreateOrderParams = {
					items,
					shippingAddress,
					...(paymentMethod ? { paymentMethod } : {}),
					...(shippingOptionId ? { shippingOptionId } : {}),
				};
				// Orders keeps the checkout's key and fingerprint with the order it places: one order per key.
				return ctx.call<Order, CreateOrderParams>("orders.create", params, claim ? { meta: { idempotency: claim } } : undefined);
			},
		},
	};
}
