import { randomUUID } from "node:crypto";
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import {
	CATALOGUE_CHANGED,
	type CatalogueChanged,
	type CreateProductParams,
	type GetProductParams,
	type ListProductsParams,
	type ListProductsResult,
	type LookupProductsParams,
	type Product,
	type ProductCategory,
	type ProductSummary,
	type Reservation,
	type ReservationRef,
	type ReserveStockParams,
	type ShopMeta,
	type UpdateProductParams,
} from "../../contracts";
import { CONFLICT, compareAndSet } from "../../lib/compare-and-set";
import { ConflictError, NotFoundError } from "../../lib/errors";
import { pageParams } from "../../lib/paging";
import { ReadCache } from "../../lib/read-cache";
import { shopMetrics } from "../../lib/metrics";
import { idRule, linesRule } from "../../lib/rules";
import { repeat, type Repeating } from "../../lib/timers";
import { EventsMixin, type EventsStore, newEvent, type EventsService } from "../../mixins/events";
import { DuplicateKeyError, type StoreService } from "../../mixins/store.mixin";
import {
	categoriesOf,
	CATEGORIES_CACHE_KEY,
	lookupCacheKey,
	newProduct,
	pageCacheKey,
	productCacheKey,
	productChanges,
	productQuery,
	readsChangedBy,
	toProduct,
	toProductSummary,
	type LookupEntry,
	type ProductDoc,
} from "./product";
import { SEED_PRODUCTS } from "./seed-products";
import { Reservations } from "./reservations";
import { ORDER_ID_PATTERN, type ReservationDoc } from "./stock";
import { loadConfig } from "../../lib/env";

type Collections = { products: ProductDoc; reservations: ReservationDoc };

/** Products and the stock reservations held against them, each publishing its own events. */
const STORE: EventsStore<Collections> = {
	collections: {
		products: { indexes: [{ field: "sku", unique: true }, { field: "category" }] },
		reservations: { indexes: [{ field: "status", mongoOnly: true }, { field: "expiresAtMs" }] },
	},
	outboxes: ["products", "reservations"],
};

interface Methods {
	findProduct(id: string, includeInactive: boolean): Promise<ProductDoc>;
	listProducts(params: ListProductsParams, includeInactive: boolean): Promise<ListProductsResult>;
	changingProducts<R>(productIds: string[], writes: () => Promise<R>, categoriesChanged?: boolean): Promise<R>;
	productsChanged(productIds: string[], categoriesChanged?: boolean): Promise<void>;
	seedCatalogue(): Promise<void>;
}

type Vars = EventsService & StoreService<Collections> & { sweeper?: Repeating; readCache: ReadCache; reservations: Reservations };
type CatalogueService = Service & Vars & Methods;
type Ctx<P> = Context<P, ShopMeta>;

// Patterns are strings: a RegExp does not survive the transporter (the registry is sent as JSON).
const orderIdRule = { type: "string", pattern: ORDER_ID_PATTERN.source } as const;
/** What orders ask to hold: their lines, each within an order's bounds and more. */
const stockLines = linesRule(10_000);
const productFields = {
	sku: { type: "string", trim: true, min: 1, max: 64, pattern: "^[A-Za-z0-9._-]+$" },
	name: { type: "string", trim: true, min: 1, max: 200 },
	description: { type: "string", trim: true, max: 5000 },
	category: { type: "string", trim: true, min: 1, max: 64, pattern: "^[A-Za-z0-9 _-]+$" },
	priceCents: { type: "number", integer: true, min: 0, max: 100_000_000 },
	currency: { type: "string", length: 3, pattern: "^[A-Za-z]{3}$" },
	// A gram to a tonne: what a carrier takes is shipping's to say, not the catalogue's.
	weightGrams: { type: "number", integer: true, min: 1, max: 1_000_000 },
	stock: { type: "number", integer: true, min: 0, max: 10_000_000 },
	active: { type: "boolean" },
} as const;

/** A public action that hands one order's id to a step of the reservation workflow (reservations.ts) and answers the reservation. */
function reservationAction(step: "release" | "commit" | "get") {
	return {
		visibility: "public",
		params: { $$strict: true, orderId: orderIdRule },
		handler(this: CatalogueService, ctx: Ctx<ReservationRef>): Promise<Reservation> {
			return this.reservations[step](ctx.params.orderId);
		},
	} as const;
}

function isAdmin(ctx: Ctx<unknown>): boolean {
	return ctx.meta.user?.role === "admin";
}

/** Catalogue: products, and the stock held for orders until they are confirmed, cancelled or expire. */
export default function catalogueService(): ServiceSchema<ServiceSettingSchema, Methods, Vars> {
	const config = loadConfig();
	return {
		name: "catalogue",
		mixins: [EventsMixin<Collections>(config, STORE)],

		publishes: [
			"product.created",
			"product.updated",
			"product.deactivated",
			"stock.reserved",
			"stock.rejected",
			"stock.released",
			"stock.committed",
			"stock.returned",
		],

		// The reservation workflow is idempotent per order (reservations.ts): a duplicate finds the
		// reservation already made, moved or settled, and changes nothing.
		handledInAggregate: ["order.created", "payment.settled", "payment.failed", "order.cancelled"],

		domainEvents: {
			async "order.created"(event) {
				await this.reservations.reserve(
					event.orderId,
					event.items.map(({ productId, qty }) => ({ productId, qty })),
				);
			},
			async "payment.settled"(event) {
				try {
					await this.reservations.commit(event.orderId);
				} catch (err) {
					// The order was cancelled (or its hold expired) while the payment went through;
					// the stock is already back on sale and payments refunds the charge.
					if (!(err instanceof ConflictError)) throw err;
					this.logger.warn(`[order ${event.orderId}] payment settled but the stock is no longer held: ${err.message}`);
				}
			},
			async "payment.failed"(event) {
				await this.reservations.release(event.orderId, "PAYMENT_FAILED");
			},
			async "order.cancelled"(event) {
				await this.reservations.cancel(event.orderId);
			},
			async "return.received"(event) {
				await this.reservations.restockReturn(event.orderId, event.returnId, event.items);
			},
		},

		events: {
			[CATALOGUE_CHANGED]: {
				handler(this: CatalogueService, ctx: Context<CatalogueChanged>) {
					if (ctx.params.nodeID === this.broker.nodeID) return;
					return this.readCache.invalidate(readsChangedBy(ctx.params.productIds, ctx.params.categoriesChanged));
				},
			},
			// Notices sent while this node was cut off from the transporter never arrive.
			"$transporter.connected"(this: CatalogueService) {
				return this.readCache.invalidate(["catalogue.**"]);
			},
		},

		actions: {
			list: {
				params: {
					$$strict: true,
					...pageParams,
					category: { type: "string", trim: true, max: 64, optional: true },
					q: { type: "string", trim: true, max: 100, optional: true },
					sort: { type: "enum", values: ["price", "-price", "name", "-name"], optional: true },
				},
				handler(this: CatalogueService, ctx: Ctx<ListProductsParams>): Promise<ListProductsResult> {
					if (isAdmin(ctx)) return this.listProducts(ctx.params, true);
					ctx.meta.$publicCache = true;
					return this.readCache.through(pageCacheKey(ctx.params), () => this.listProducts(ctx.params, false));
				},
			},

			get: {
				params: { $$strict: true, id: idRule },
				async handler(this: CatalogueService, ctx: Ctx<GetProductParams>): Promise<Product> {
					const { id } = ctx.params;
					if (isAdmin(ctx)) return toProduct(await this.findProduct(id, true));
					ctx.meta.$publicCache = true;
					return this.readCache.through(productCacheKey(id), async () => toProduct(await this.findProduct(id, false)));
				},
			},

			/** The categories of the products on sale, for a shop's filter; cached until a product is created, edited or deactivated. */
			categories: {
				params: { $$strict: true },
				handler(this: CatalogueService, ctx: Ctx<Record<string, never>>): Promise<ProductCategory[]> {
					ctx.meta.$publicCache = true;
					return this.readCache.through(CATEGORIES_CACHE_KEY, async () =>
						categoriesOf(await this.collections.products.find({ query: { active: true } })),
					);
				},
			},

			/**
			 * Current prices for an order being placed: the active products among the ids asked for.
			 * Always read from the store, never the cache: an order is priced from what is stored now.
			 */
			quote: {
				visibility: "public",
				params: { $$strict: true, productIds: { type: "array", min: 1, max: 50, items: idRule } },
				async handler(this: CatalogueService, ctx: Ctx<{ productIds: string[] }>): Promise<Product[]> {
					const docs = await this.collections.products.find({ query: { _id: { $in: [...new Set(ctx.params.productIds)] }, active: true } });
					return docs.map(toProduct);
				},
			},

			/**
			 * The products of these ids as another service shows them (a cart's lines): inactive ones
			 * included, ids of no product left out. Served from the read cache, one entry per id, so a
			 * cart of 50 lines costs no store query once its products have been read; the ids that
			 * missed are read in one query.
			 */
			lookup: {
				visibility: "public",
				params: { $$strict: true, productIds: { type: "array", min: 1, max: 100, items: idRule } },
				async handler(this: CatalogueService, ctx: Ctx<LookupProductsParams>): Promise<ProductSummary[]> {
					const idOfKey = new Map(ctx.params.productIds.map((id) => [lookupCacheKey(id), id]));
					const entries = await this.readCache.throughMany<LookupEntry>([...idOfKey.keys()], async (missing) => {
						const missingIds = missing.map((key) => idOfKey.get(key)!);
						const docs = await this.collections.products.find({ query: { _id: { $in: missingIds } } });
						const found = new Map(docs.map((doc) => [doc._id, toProductSummary(doc)]));
						return missingIds.map((id) => ({ id, product: found.get(id) ?? null }));
					});
					return entries.flatMap((entry) => (entry.product ? [entry.product] : []));
				},
			},

			create: {
				auth: "admin",
				params: {
					$$strict: true,
					...productFields,
					description: { ...productFields.description, optional: true },
					currency: { ...productFields.currency, optional: true },
					weightGrams: { ...productFields.weightGrams, optional: true },
					stock: { ...productFields.stock, optional: true },
					active: { ...productFields.active, optional: true },
				},
				async handler(this: CatalogueService, ctx: Ctx<CreateProductParams>): Promise<Product> {
					const now = new Date();
					const doc = newProduct(ctx.params, randomUUID(), now);
					const product = toProduct(doc);
					try {
						await this.insertWithEvents("products", doc, [newEvent("product.created", { productId: product.id, product }, product.id)], now);
					} catch (err) {
						if (err instanceof DuplicateKeyError) {
							throw new ConflictError("SKU_TAKEN", `A product with SKU ${doc.sku} already exists`, { sku: doc.sku });
						}
						throw err;
					}
					await this.productsChanged([doc._id], true);
					ctx.meta.$statusCode = 201;
					ctx.meta.$location = `/api/products/${doc._id}`;
					return product;
				},
			},

			update: {
				auth: "admin",
				params: {
					$$strict: true,
					id: idRule,
					...Object.fromEntries(Object.entries(productFields).map(([key, rule]) => [key, { ...rule, optional: true }])),
					expectedStock: { ...productFields.stock, optional: true },
				},
				async handler(this: CatalogueService, ctx: Ctx<UpdateProductParams>): Promise<Product> {
					const now = new Date();
					const { set, changed } = productChanges(ctx.params, now);
					// A stock edit is a compare-and-set against the stock the admin's change was based
					// on, so a reservation taken meanwhile is never silently overwritten.
					const step = async (): Promise<Product | typeof CONFLICT> => {
						const current = await this.findProduct(ctx.params.id, true);
						const { expectedStock } = ctx.params;
						if (expectedStock !== undefined && current.stock !== expectedStock) {
							throw new ConflictError(
								"STOCK_NOT_AS_EXPECTED",
								`The stock is ${current.stock}, not ${expectedStock} as expected: orders reserved or released some meanwhile`,
								{ stock: current.stock, expectedStock },
							);
						}
						const query = ctx.params.stock === undefined ? { _id: current._id } : { _id: current._id, stock: current.stock };
						const update = ctx.params.stock === undefined ? set : { ...set, stock: ctx.params.stock };
						const product = toProduct({ ...current, ...update } as ProductDoc);
						const updated = newEvent("product.updated", { productId: product.id, product, changed }, product.id);
						try {
							const written = await this.changingProducts(
								[current._id],
								() => this.updateWithEvents("products", query, { $set: update }, [updated], now),
								true,
							);
							return written === 1 ? product : CONFLICT;
						} catch (err) {
							if (err instanceof DuplicateKeyError) {
								throw new ConflictError("SKU_TAKEN", `A product with SKU ${String(set.sku)} already exists`, { sku: set.sku });
							}
							throw err;
						}
					};
					return compareAndSet(step, () => {
						throw new ConflictError("STOCK_CHANGED_CONCURRENTLY", "Stock kept changing while it was being set; try again");
					});
				},
			},

			deactivate: {
				auth: "admin",
				params: { $$strict: true, id: idRule },
				async handler(this: CatalogueService, ctx: Ctx<GetProductParams>): Promise<Product> {
					const now = new Date();
					const current = await this.findProduct(ctx.params.id, true);
					if (current.active) {
						const deactivated = newEvent("product.deactivated", { productId: current._id }, current._id);
						await this.changingProducts(
							[current._id],
							() =>
								this.updateWithEvents(
									"products",
									{ _id: current._id, active: true },
									{ $set: { active: false, updatedAt: now.toISOString() } },
									[deactivated],
									now,
								),
							true,
						);
					}
					return toProduct(await this.findProduct(ctx.params.id, true));
				},
			},

			/** All-or-nothing; a repeated call for the same order returns the first call's outcome. */
			reserve: {
				visibility: "public",
				params: { $$strict: true, orderId: orderIdRule, items: stockLines },
				handler(this: CatalogueService, ctx: Ctx<ReserveStockParams>): Promise<Reservation> {
					return this.reservations.reserve(ctx.params.orderId, ctx.params.items);
				},
			},

			release: reservationAction("release"),
			commit: reservationAction("commit"),
			getReservation: reservationAction("get"),
		},

		methods: {
			listProducts(this: CatalogueService, params: ListProductsParams, includeInactive: boolean): Promise<ListProductsResult> {
				const { query, sort } = productQuery({ ...params, includeInactive });
				return this.collections.products.findPage(query, sort, params, toProduct);
			},

			/**
			 * Every write that changes what a product read returns runs inside here; the cached reads of
			 * the products are dropped once the writes are done, also when they failed, as a failed
			 * write may have been applied all the same.
			 */
			async changingProducts<R>(this: CatalogueService, productIds: string[], writes: () => Promise<R>, categoriesChanged = false): Promise<R> {
				try {
					return await writes();
				} finally {
					await this.productsChanged(productIds, categoriesChanged);
				}
			},

			/**
			 * This node drops its cached reads of the products at once, so its own caller reads the
			 * change; the notice makes every other catalogue node drop theirs. It is sent before the
			 * caller is answered, so a request the caller makes next reaches a replica after it.
			 */
			async productsChanged(this: CatalogueService, productIds: string[], categoriesChanged = false): Promise<void> {
				await this.readCache.invalidate(readsChangedBy(productIds, categoriesChanged));
				if (!this.readCache.enabled) return;
				const notice: CatalogueChanged = {
					id: randomUUID(),
					occurredAt: new Date().toISOString(),
					nodeID: this.broker.nodeID,
					productIds,
					categoriesChanged,
				};
				try {
					await this.broker.broadcast(CATALOGUE_CHANGED, notice, { groups: ["catalogue"] });
				} catch (err) {
					// The change itself is stored; a replica that misses the notice drops everything when it reconnects.
					this.logger.warn(`Could not tell the other catalogue nodes that products changed: ${(err as Error).message}`);
				}
			},

			async findProduct(this: CatalogueService, id: string, includeInactive: boolean): Promise<ProductDoc> {
				const doc = await this.collections.products.findOne({ _id: id });
				if (!doc || (!doc.active && !includeInactive)) {
					throw new NotFoundError("PRODUCT_NOT_FOUND", `Product ${id} not found`, { id });
				}
				return doc;
			},

			async seedCatalogue(this: CatalogueService): Promise<void> {
				if ((await this.collections.products.count()) > 0) return;
				const now = new Date();
				let added = 0;
				for (const input of SEED_PRODUCTS) {
					// False when another replica seeding at the same moment already added this SKU.
					if (await this.collections.products.insertIfAbsent(newProduct(input, randomUUID(), now))) added++;
				}
				if (added > 0) await this.productsChanged([], true);
				this.logger.info(`Seeded the catalogue with ${added} products`);
			},
		},

		created(this: CatalogueService) {
			this.readCache = new ReadCache(this.broker.cacher, config.catalogue.cacheTtlSeconds);
			// eslint-disable-next-line @typescript-eslint/no-this-alias -- the host reads the collections, which exist only once started
			const service = this;
			this.reservations = new Reservations({
				get reservations() {
					return service.collections.reservations;
				},
				get products() {
					return service.collections.products;
				},
				updateWithEvents: (collection, query, update, events, now) => service.updateWithEvents(collection, query, update, events, now),
				changingProducts: (productIds, writes) => service.changingProducts(productIds, writes),
				reservationTtlMs: config.catalogue.reservationTtlMs,
				// As long as a node has an event's handling to itself before another may take it over.
				holdLeaseMs: config.events.claimTimeoutMs,
				logger: this.logger,
				onExpired: () => shopMetrics(this.broker).reservationExpired(),
			});
		},

		async started(this: CatalogueService) {
			await this.seedCatalogue();
			await this.reservations.sweep();
			this.sweeper = repeat(
				config.catalogue.reservationSweepMs,
				() => this.reservations.sweep(),
				(err) => this.logger.warn("Reservation sweep failed", err),
			);
		},

		stopped(this: CatalogueService) {
			this.sweeper?.stop();
		},
	};
}
