import { randomUUID } from "node:crypto";
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import {
	CATALOGUE_CHANGED,
	type CatalogueChanged,
	type GetProductParams,
	type ListProductsParams,
	type ListProductsResult,
	type LookupProductsParams,
	type Product,
	type ProductCategory,
	type ProductSummary,
	type ShopMeta,
} from "../../contracts";
import { NotFoundError } from "../../lib/errors";
import { pageParams } from "../../lib/paging";
import { ReadCache } from "../../lib/read-cache";
import { idRule } from "../../lib/rules";
import { repeat, type Repeating } from "../../lib/timers";
import { EventsMixin, type EventsStore, type EventsService } from "../../mixins/events";
import type { StoreService } from "../../mixins/store.mixin";
import {
	categoriesOf,
	CATEGORIES_CACHE_KEY,
	lookupCacheKey,
	newProduct,
	pageCacheKey,
	productCacheKey,
	productQuery,
	readsChangedBy,
	toProduct,
	toProductSummary,
	type LookupEntry,
	type ProductDoc,
} from "./product";
import { SEED_PRODUCTS } from "./seed-products";
import type { Reservations } from "./reservations";
import { ProductEditsMixin } from "./product-edits.mixin";
import { ReservationsMixin } from "./reservations.mixin";
import type { ReservationDoc } from "./stock";
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

function isAdmin(ctx: Ctx<unknown>): boolean {
	return ctx.meta.user?.role === "admin";
}

/**
 * Catalogue: products (an admin's edits in product-edits.mixin.ts), and the stock held for orders
 * until they are confirmed, cancelled or expire (reservations.mixin.ts).
 */
export default function catalogueService(): ServiceSchema<ServiceSettingSchema, Methods, Vars> {
	const config = loadConfig();
	return {
		name: "catalogue",
		mixins: [EventsMixin<Collections>(config, STORE), ProductEditsMixin(), ReservationsMixin(config)],

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
		},

		// The reservations' sweep too is started here, after the seeding: a service's started runs after
		// its mixins' (the store is open), its stopped before theirs (the store is still open).
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
