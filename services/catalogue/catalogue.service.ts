import { randomUUID } from "node:crypto";
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import {
	CATALOGUE_CHANGED,
	type CatalogueChanged,
	type CreateProductParams,
	type GetProductParams,
	type ListProductsParams,
	type ListProductsResult,
	type Product,
	type Reservation,
	type ReservationRef,
	type ReserveStockParams,
	type ShopMeta,
	type StockLine,
	type UpdateProductParams,
} from "../../contracts";
import { CONFLICT, compareAndSet } from "../../lib/compare-and-set";
import { ConflictError, NotFoundError } from "../../lib/errors";
import { pageParams } from "../../lib/paging";
import { ReadCache } from "../../lib/read-cache";
import { shopMetrics } from "../../lib/metrics";
import { idRule } from "../../lib/rules";
import { repeat, type Repeating } from "../../lib/timers";
import { runInWork, withTrace, workFromCarrier } from "../../lib/trace-context";
import { EventsMixin, newEvent, type EventsService } from "../../mixins/events";
import { DuplicateKeyError, type StoreService } from "../../mixins/store.mixin";
import {
	newProduct,
	pageCacheKey,
	productCacheKey,
	productChanges,
	productQuery,
	readsChangedBy,
	toProduct,
	type ProductDoc,
} from "./product";
import { SEED_PRODUCTS } from "./seed-products";
import {
	FINAL_STATUSES,
	ORDER_ID_PATTERN,
	cancelledBeforeReserved,
	clearHold,
	isExpired,
	mergeLines,
	newReservation,
	restock,
	returnHold,
	settlementFor,
	stockEventFor,
	takeHold,
	toReservation,
	type ReservationDoc,
} from "./stock";

type Collections = { products: ProductDoc; reservations: ReservationDoc };

interface Methods {
	findProduct(id: string, includeInactive: boolean): Promise<ProductDoc>;
	listProducts(params: ListProductsParams, includeInactive: boolean): Promise<ListProductsResult>;
	changingProducts<R>(productIds: string[], writes: () => Promise<R>): Promise<R>;
	productsChanged(productIds: string[]): Promise<void>;
	reserveStock(orderId: string, items: StockLine[]): Promise<Reservation>;
	releaseStock(orderId: string): Promise<Reservation>;
	commitStock(orderId: string): Promise<Reservation>;
	returnStock(orderId: string): Promise<Reservation>;
	holdStock(doc: ReservationDoc): Promise<Reservation>;
	settle(doc: ReservationDoc): Promise<ReservationDoc>;
	transition(doc: ReservationDoc, to: ReservationDoc["status"], extra?: Partial<ReservationDoc>, now?: Date): Promise<ReservationDoc | null>;
	awaitDecision(orderId: string): Promise<ReservationDoc>;
	sweepReservations(): Promise<void>;
	seedCatalogue(): Promise<void>;
}

type Vars = EventsService & StoreService<Collections> & { sweeper?: Repeating; readCache: ReadCache };
type CatalogueService = Service & Vars & Methods;
type Ctx<P> = Context<P, ShopMeta>;

// Patterns are strings: a RegExp does not survive the transporter (the registry is sent as JSON).
const orderIdRule = { type: "string", pattern: ORDER_ID_PATTERN.source } as const;
const stockLines = {
	type: "array",
	min: 1,
	max: 50,
	items: {
		type: "object",
		strict: true,
		props: { productId: idRule, qty: { type: "number", integer: true, positive: true, max: 10_000 } },
	},
} as const;
const productFields = {
	sku: { type: "string", trim: true, min: 1, max: 64, pattern: "^[A-Za-z0-9._-]+$" },
	name: { type: "string", trim: true, min: 1, max: 200 },
	description: { type: "string", trim: true, max: 5000 },
	category: { type: "string", trim: true, min: 1, max: 64, pattern: "^[A-Za-z0-9 _-]+$" },
	priceCents: { type: "number", integer: true, min: 0, max: 100_000_000 },
	currency: { type: "string", length: 3, pattern: "^[A-Za-z]{3}$" },
	stock: { type: "number", integer: true, min: 0, max: 10_000_000 },
	active: { type: "boolean" },
} as const;

const DECISION_POLL_MS = 25;
const DECISION_WAIT_MS = 5000;

function isAdmin(ctx: Ctx<unknown>): boolean {
	return ctx.meta.user?.role === "admin";
}

const CatalogueSchema: ServiceSchema<ServiceSettingSchema, Methods, Vars> = {
	name: "catalogue",
	mixins: [
		EventsMixin<Collections>({
			collections: {
				products: { indexes: [{ field: "sku", unique: true }, { field: "category" }] },
				reservations: { indexes: [{ field: "status" }, { field: "expiresAtMs" }] },
			},
			outboxes: ["products", "reservations"],
		}),
	],

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

	domainEvents: {
		async "order.created"(event) {
			await this.reserveStock(event.orderId, event.items.map(({ productId, qty }) => ({ productId, qty })));
		},
		async "payment.settled"(event) {
			try {
				await this.commitStock(event.orderId);
			} catch (err) {
				// The order was cancelled (or its hold expired) while the payment went through;
				// the stock is already back on sale and payments refunds the charge.
				if (!(err instanceof ConflictError)) throw err;
				this.logger.warn(`[order ${event.orderId}] payment settled but the stock is no longer held: ${err.message}`);
			}
		},
		async "payment.failed"(event) {
			await this.releaseStock(event.orderId);
		},
		async "order.cancelled"(event) {
			const doc = await this.collections.reservations.findOne({ _id: event.orderId });
			if (!doc) {
				// Cancelled before order.created reached us: leave a record so a late reservation takes nothing.
				if (await this.collections.reservations.insertIfAbsent(cancelledBeforeReserved(event.orderId, new Date()))) return;
			}
			const current = await this.awaitDecision(event.orderId);
			if (current.status === "COMMITTED") await this.returnStock(event.orderId);
			else await this.releaseStock(event.orderId);
		},
	},

	events: {
		[CATALOGUE_CHANGED]: {
			handler(this: CatalogueService, ctx: Context<CatalogueChanged>) {
				if (ctx.params.nodeID === this.broker.nodeID) return;
				return this.readCache.invalidate(readsChangedBy(ctx.params.productIds));
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

		create: {
			auth: "admin",
			params: {
				$$strict: true,
				...productFields,
				description: { ...productFields.description, optional: true },
				currency: { ...productFields.currency, optional: true },
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
				await this.productsChanged([doc._id]);
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
			},
			async handler(this: CatalogueService, ctx: Ctx<UpdateProductParams>): Promise<Product> {
				const now = new Date();
				const { set, changed } = productChanges(ctx.params, now);
				// A stock edit is a compare-and-set against the stock the admin's change was based
				// on, so a reservation taken meanwhile is never silently overwritten.
				const step = async (): Promise<Product | typeof CONFLICT> => {
					const current = await this.findProduct(ctx.params.id, true);
					const query = ctx.params.stock === undefined ? { _id: current._id } : { _id: current._id, stock: current.stock };
					const update = ctx.params.stock === undefined ? set : { ...set, stock: ctx.params.stock };
					const product = toProduct({ ...current, ...update } as ProductDoc);
					const updated = newEvent("product.updated", { productId: product.id, product, changed }, product.id);
					try {
						const written = await this.changingProducts([current._id], () => this.updateWithEvents("products", query, { $set: update }, [updated], now));
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
					await this.changingProducts([current._id], () =>
						this.updateWithEvents("products", { _id: current._id, active: true }, { $set: { active: false, updatedAt: now.toISOString() } }, [deactivated], now),
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
				return this.reserveStock(ctx.params.orderId, ctx.params.items);
			},
		},

		release: {
			visibility: "public",
			params: { $$strict: true, orderId: orderIdRule },
			handler(this: CatalogueService, ctx: Ctx<ReservationRef>): Promise<Reservation> {
				return this.releaseStock(ctx.params.orderId);
			},
		},

		commit: {
			visibility: "public",
			params: { $$strict: true, orderId: orderIdRule },
			handler(this: CatalogueService, ctx: Ctx<ReservationRef>): Promise<Reservation> {
				return this.commitStock(ctx.params.orderId);
			},
		},

		getReservation: {
			visibility: "public",
			params: { $$strict: true, orderId: orderIdRule },
			async handler(this: CatalogueService, ctx: Ctx<ReservationRef>): Promise<Reservation> {
				const doc = await this.collections.reservations.findOne({ _id: ctx.params.orderId });
				if (!doc) throw new NotFoundError("RESERVATION_NOT_FOUND", `No reservation for order ${ctx.params.orderId}`);
				return toReservation(doc);
			},
		},
	},

	methods: {
		async reserveStock(this: CatalogueService, orderId: string, lines: StockLine[]): Promise<Reservation> {
			const items = mergeLines(lines);
			const reservations = this.collections.reservations;
			let existing = await reservations.findOne({ _id: orderId });
			if (!existing) {
				const fresh = withTrace(newReservation(orderId, items, new Date(), this.config.catalogue.reservationTtlMs));
				if (await reservations.insertIfAbsent(fresh)) return this.holdStock(fresh);
				existing = await reservations.findOne({ _id: orderId });
				if (!existing) throw new NotFoundError("RESERVATION_NOT_FOUND", `No reservation for order ${orderId}`, { orderId });
			}
			// An empty record is an order cancelled before its reservation arrived.
			if (existing.items.length > 0 && JSON.stringify(existing.items) !== JSON.stringify(items)) {
				throw new ConflictError("RESERVATION_MISMATCH", `Order ${orderId} already reserved different items`, { orderId });
			}
			const current = existing.status === "PENDING" ? await this.awaitDecision(orderId) : existing;
			if (current.status !== "PENDING") return toReservation(current);
			// Still undecided: the node that began it died between taking holds and deciding (this is
			// the event's redelivery), or is far behind. Holding is idempotent per order, so finish it
			// here rather than leave the order to time out.
			this.logger.warn(`[order ${orderId}] stock reservation left pending since ${current.updatedAt}; finishing it`);
			return this.holdStock(current);
		},

		async releaseStock(this: CatalogueService, orderId: string): Promise<Reservation> {
			let doc = await this.awaitDecision(orderId);
			if (doc.status === "COMMITTED" || doc.status === "RETURNED") {
				throw new ConflictError("RESERVATION_FINALISED", `Stock for order ${doc._id} is already committed`, {
					orderId: doc._id,
					status: doc.status,
				});
			}
			if (doc.status === "RESERVED") doc = (await this.transition(doc, "RELEASED")) ?? (await this.awaitDecision(doc._id));
			if (doc.status === "RELEASED") this.logger.info(`[order ${doc._id}] stock released`);
			return toReservation(doc.settled ? doc : await this.settle(doc));
		},

		async commitStock(this: CatalogueService, orderId: string): Promise<Reservation> {
			let doc = await this.awaitDecision(orderId);
			const now = new Date();
			if (doc.status === "RESERVED" && !isExpired(doc, now)) {
				doc = (await this.transition(doc, "COMMITTED", {}, now)) ?? (await this.awaitDecision(doc._id));
				this.logger.info(`[order ${doc._id}] stock committed`);
			} else if (doc.status === "RESERVED") {
				doc = (await this.transition(doc, "EXPIRED", {}, now)) ?? (await this.awaitDecision(doc._id));
			}
			if (!doc.settled) doc = await this.settle(doc);
			if (doc.status !== "COMMITTED" && doc.status !== "RETURNED") {
				throw new ConflictError("RESERVATION_FINALISED", `Stock for order ${doc._id} is ${doc.status.toLowerCase()}`, {
					orderId: doc._id,
					status: doc.status,
				});
			}
			return toReservation(doc);
		},

		/** A confirmed order was cancelled: its sold stock goes back on sale, once. */
		async returnStock(this: CatalogueService, orderId: string): Promise<Reservation> {
			let doc = await this.awaitDecision(orderId);
			if (doc.status === "COMMITTED") {
				doc = (await this.transition(doc, "RETURNED")) ?? (await this.awaitDecision(orderId));
				this.logger.info(`[order ${orderId}] sold stock returned`);
			}
			return toReservation(doc.settled ? doc : await this.settle(doc));
		},

		listProducts(this: CatalogueService, params: ListProductsParams, includeInactive: boolean): Promise<ListProductsResult> {
			const { query, sort } = productQuery({ ...params, includeInactive });
			return this.collections.products.findPage(query, sort, params, toProduct);
		},

		/**
		 * Every write that changes what a product read returns runs inside here; the cached reads of
		 * the products are dropped once the writes are done, also when they failed, as a failed
		 * write may have been applied all the same.
		 */
		async changingProducts<R>(this: CatalogueService, productIds: string[], writes: () => Promise<R>): Promise<R> {
			try {
				return await writes();
			} finally {
				await this.productsChanged(productIds);
			}
		},

		/**
		 * This node drops its cached reads of the products at once, so its own caller reads the
		 * change; the notice makes every other catalogue node drop theirs. It is sent before the
		 * caller is answered, so a request the caller makes next reaches a replica after it.
		 */
		async productsChanged(this: CatalogueService, productIds: string[]): Promise<void> {
			await this.readCache.invalidate(readsChangedBy(productIds));
			if (!this.readCache.enabled) return;
			const notice: CatalogueChanged = { id: randomUUID(), occurredAt: new Date().toISOString(), nodeID: this.broker.nodeID, productIds };
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

		async holdStock(this: CatalogueService, doc: ReservationDoc): Promise<Reservation> {
			const products = this.collections.products;
			// The first line that cannot be held, if any; the lines before it are held.
			const short = await this.changingProducts(
				doc.items.map((line) => line.productId),
				async () => {
					for (const line of doc.items) {
						const { query, update } = takeHold(line, doc._id, new Date());
						if ((await products.update(query, update)) === 1) continue;
						// Already held for this order: by a node that died before deciding, or a concurrent call.
						if ((await products.findOne({ _id: line.productId }))?.holds?.[doc._id] === line.qty) continue;
						return line;
					}
					return undefined;
				},
			);
			if (short) {
				const product = await products.findOne({ _id: short.productId });
				const reason = product?.active ? "OUT_OF_STOCK" : "PRODUCT_UNAVAILABLE";
				const rejected = await this.transition(doc, "REJECTED", { rejection: { reason, productId: short.productId } });
				this.logger.info(`[order ${doc._id}] stock rejected: ${reason} for product ${short.productId}`);
				return toReservation(await this.settle(rejected ?? (await this.awaitDecision(doc._id))));
			}
			const reserved = await this.transition(doc, "RESERVED", { settled: true });
			if (reserved) {
				this.logger.info(`[order ${doc._id}] stock reserved: ${doc.items.length} line(s)`);
				return toReservation(reserved);
			}
			// Another call decided first and its decision stands; settling it (again) gives back
			// what this call held if that decision was to reject.
			const decided = await this.awaitDecision(doc._id);
			return toReservation(decided.status === "PENDING" ? decided : await this.settle(decided));
		},

		/** Makes the products' holds agree with the reservation's final status; safe to repeat. */
		async settle(this: CatalogueService, doc: ReservationDoc): Promise<ReservationDoc> {
			const action = settlementFor(doc.status);
			if (action === "none") return doc;
			const now = new Date();
			const products = this.collections.products;
			if (action === "clear") {
				// A committed sale only forgets its holds: nothing a reader sees changes.
				for (const line of doc.items) {
					const step = clearHold(line, doc._id);
					await products.update(step.query, step.update);
				}
			} else {
				await this.changingProducts(
					doc.items.map((line) => line.productId),
					async () => {
						for (const line of doc.items) {
							const step = action === "return" ? returnHold(line, doc._id, now) : restock(line, doc._id, now);
							await products.update(step.query, step.update);
						}
					},
				);
			}
			await this.collections.reservations.update({ _id: doc._id, status: doc.status }, { $set: { settled: true } });
			return { ...doc, settled: true };
		},

		/** Compare-and-set on the status: null when another call moved the reservation first. */
		async transition(
			this: CatalogueService,
			doc: ReservationDoc,
			to: ReservationDoc["status"],
			extra: Partial<ReservationDoc> = {},
			now = new Date(),
		): Promise<ReservationDoc | null> {
			const changes = { settled: false, ...extra, status: to, updatedAt: now.toISOString() };
			const next = { ...doc, ...changes };
			const stockEvent = stockEventFor(next, to);
			const events = stockEvent ? [newEvent(stockEvent.type, stockEvent.body as never, doc._id)] : [];
			const updated = await this.updateWithEvents("reservations", { _id: doc._id, status: doc.status }, { $set: changes }, events, now);
			return updated === 1 ? next : null;
		},

		/** A reservation still PENDING is being decided by a concurrent call; wait briefly for it. */
		async awaitDecision(this: CatalogueService, orderId: string): Promise<ReservationDoc> {
			const deadline = Date.now() + DECISION_WAIT_MS;
			for (;;) {
				const doc = await this.collections.reservations.findOne({ _id: orderId });
				if (!doc) throw new NotFoundError("RESERVATION_NOT_FOUND", `No reservation for order ${orderId}`, { orderId });
				if (doc.status !== "PENDING" || Date.now() >= deadline) return doc;
				await new Promise((resolve) => setTimeout(resolve, DECISION_POLL_MS));
			}
		},

		async sweepReservations(this: CatalogueService): Promise<void> {
			const now = new Date();
			const reservations = this.collections.reservations;
			const expired = await reservations.find({
				query: { status: { $in: ["PENDING", "RESERVED"] }, expiresAtMs: { $lte: now.getTime() } },
				limit: 500,
			});
			for (const doc of expired) {
				// In the order's trace: the expiry releases its stock and so ends its saga.
				await runInWork(workFromCarrier(doc.trace, doc._id), async () => {
					const moved = await this.transition(doc, "EXPIRED", {}, now);
					if (!moved) return;
					shopMetrics(this.broker).reservationExpired();
					this.logger.info(`[order ${doc._id}] stock reservation expired`);
					await this.settle(moved);
				});
			}
			// A node that stopped between a status change and its holds leaves the reservation
			// unsettled; settling is idempotent, so any node may finish the job.
			const unsettled = await reservations.find({
				query: { settled: false, status: { $in: [...FINAL_STATUSES] } },
				limit: 500,
			});
			for (const doc of unsettled) await this.settle(doc);
		},

		async seedCatalogue(this: CatalogueService): Promise<void> {
			if ((await this.collections.products.count()) > 0) return;
			const now = new Date();
			let added = 0;
			for (const input of SEED_PRODUCTS) {
				// False when another replica seeding at the same moment already added this SKU.
				if (await this.collections.products.insertIfAbsent(newProduct(input, randomUUID(), now))) added++;
			}
			if (added > 0) await this.productsChanged([]);
			this.logger.info(`Seeded the catalogue with ${added} products`);
		},
	},

	created(this: CatalogueService) {
		this.readCache = new ReadCache(this.broker.cacher, this.config.catalogue.cacheTtlSeconds);
	},

	async started(this: CatalogueService) {
		await this.seedCatalogue();
		await this.sweepReservations();
		this.sweeper = repeat(this.config.catalogue.reservationSweepMs, () => this.sweepReservations(), (err) =>
			this.logger.warn("Reservation sweep failed", err),
		);
	},

	stopped(this: CatalogueService) {
		this.sweeper?.stop();
	},
};

export default CatalogueSchema;
