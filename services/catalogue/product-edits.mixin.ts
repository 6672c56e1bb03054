import { randomUUID } from "node:crypto";
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import type { CreateProductParams, GetProductParams, Product, ShopMeta, UpdateProductParams } from "../../contracts";
import { CONFLICT, compareAndSet } from "../../lib/compare-and-set";
import { ConflictError } from "../../lib/errors";
import { idRule } from "../../lib/rules";
import { newEvent, type EventsService } from "../../mixins/events";
import { DuplicateKeyError, type StoreService } from "../../mixins/store.mixin";
import { newProduct, productChanges, toProduct, type ProductDoc } from "./product";

/*
 * The catalogue service's edits for an admin: a product created, changed (its stock with a
 * compare-and-set) or taken off sale, each with its event, and every node's cached reads of it
 * dropped (catalogue.service.ts's changingProducts and productsChanged).
 */

interface Methods {
	/** catalogue.service.ts: the product, inactive ones too when asked, or 404. */
	findProduct(id: string, includeInactive: boolean): Promise<ProductDoc>;
	/** catalogue.service.ts: runs writes that change product reads, and drops the cached reads after. */
	changingProducts<R>(productIds: string[], writes: () => Promise<R>, categoriesChanged?: boolean): Promise<R>;
	/** catalogue.service.ts: drops the cached reads of the products on every catalogue node. */
	productsChanged(productIds: string[], categoriesChanged?: boolean): Promise<void>;
}

type Vars = EventsService & StoreService<{ products: ProductDoc }>;
type ProductEditsService = Service & Vars & Methods;
type Ctx<P> = Context<P, ShopMeta>;

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

export function ProductEditsMixin(): Partial<ServiceSchema> {
	const schema: Partial<ServiceSchema<ServiceSettingSchema, Methods, Vars>> = {
		actions: {
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
				async handler(this: ProductEditsService, ctx: Ctx<CreateProductParams>): Promise<Product> {
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
				async handler(this: ProductEditsService, ctx: Ctx<UpdateProductParams>): Promise<Product> {
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
				async handler(this: ProductEditsService, ctx: Ctx<GetProductParams>): Promise<Product> {
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
		},
	};
	return schema as Partial<ServiceSchema>;
}
