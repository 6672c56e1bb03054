import type {
	CreateProductParams,
	ListProductsParams,
	OutboxEvent,
	Product,
	ProductCategory,
	ProductSort,
	ProductSummary,
	UpdateProductParams,
} from "../../contracts";
import { escapeRegExp, pageWindow } from "../../lib/paging";

/** A product as stored: `holds` maps an orderId to the quantity its reservation holds. */
export type ProductDoc = Omit<Product, "id" | "weightGrams"> & {
	[key: string]: unknown;
	_id: string;
	/** Absent on products stored before weights were kept (read as DEFAULT_WEIGHT_GRAMS). */
	weightGrams?: number;
	holds?: Record<string, number>;
	/** Sold quantities put back per cancelled order, so a return happens once. */
	returns?: Record<string, number>;
	/** Events written with this change, waiting for the relay (see mixins/events/outbox.ts). */
	outbox?: OutboxEvent[];
};

export const DEFAULT_CURRENCY = "EUR";
/**
 * The weight of a product created without one, and of products stored before weights were kept:
 * a small parcel, so shipping can quote every product; an admin sets the real one.
 */
export const DEFAULT_WEIGHT_GRAMS = 500;

export const UPDATABLE_FIELDS = ["sku", "name", "description", "category", "priceCents", "currency", "weightGrams", "stock", "active"] as const;

export function normalizeSku(sku: string): string {
	return sku.trim().toUpperCase();
}

export function normalizeCategory(category: string): string {
	return category.trim().toLowerCase();
}

export function toProduct(doc: ProductDoc): Product {
	return {
		id: doc._id,
		sku: doc.sku,
		name: doc.name,
		description: doc.description,
		category: doc.category,
		priceCents: doc.priceCents,
		currency: doc.currency,
		weightGrams: doc.weightGrams ?? DEFAULT_WEIGHT_GRAMS,
		stock: doc.stock,
		active: doc.active,
		createdAt: doc.createdAt,
		updatedAt: doc.updatedAt,
	};
}

export function toProductSummary(doc: ProductDoc): ProductSummary {
	return {
		id: doc._id,
		sku: doc.sku,
		name: doc.name,
		priceCents: doc.priceCents,
		currency: doc.currency,
		weightGrams: doc.weightGrams ?? DEFAULT_WEIGHT_GRAMS,
		stock: doc.stock,
		active: doc.active,
	};
}

export function newProduct(input: CreateProductParams, id: string, now: Date): ProductDoc {
	const at = now.toISOString();
	return {
		_id: id,
		sku: normalizeSku(input.sku),
		name: input.name.trim(),
		description: input.description?.trim() ?? "",
		category: normalizeCategory(input.category),
		priceCents: input.priceCents,
		currency: (input.currency ?? DEFAULT_CURRENCY).toUpperCase(),
		weightGrams: input.weightGrams ?? DEFAULT_WEIGHT_GRAMS,
		stock: input.stock ?? 0,
		active: input.active ?? true,
		holds: {},
		createdAt: at,
		updatedAt: at,
	};
}

/**
 * The `$set` for an update, built only from whitelisted fields; `stock` is left out because it is
 * changed by a compare-and-set against concurrent reservations (see `stockChange`).
 */
export function productChanges(params: UpdateProductParams, now: Date): { set: Record<string, unknown>; changed: string[] } {
	const set: Record<string, unknown> = {};
	for (const field of UPDATABLE_FIELDS) {
		const value = params[field];
		if (value === undefined || field === "stock") continue;
		if (field === "sku") set.sku = normalizeSku(value as string);
		else if (field === "category") set.category = normalizeCategory(value as string);
		else if (field === "currency") set.currency = (value as string).toUpperCase();
		else if (typeof value === "string") set[field] = value.trim();
		else set[field] = value;
	}
	const changed = Object.keys(set);
	if (params.stock !== undefined) changed.push("stock");
	set.updatedAt = now.toISOString();
	return { set, changed };
}

const SORT_FIELDS: Record<ProductSort, string[]> = {
	price: ["priceCents", "name"],
	"-price": ["-priceCents", "name"],
	name: ["name", "priceCents"],
	"-name": ["-name", "priceCents"],
};

export interface ProductFilter {
	category?: string;
	q?: string;
	sort?: ProductSort;
	includeInactive: boolean;
}

/** A store query that both NeDB and MongoDB evaluate the same way (no `$text`, no `$where`). */
export function productQuery(filter: ProductFilter): { query: Record<string, unknown>; sort: string[] } {
	const query: Record<string, unknown> = {};
	if (!filter.includeInactive) query.active = true;
	if (filter.category) query.category = normalizeCategory(filter.category);
	const text = filter.q?.trim();
	if (text) {
		const pattern = new RegExp(escapeRegExp(text), "i");
		query.$or = [{ name: pattern }, { description: pattern }];
	}
	// A stable tie-breaker keeps pages from overlapping when many products share a price.
	const sort = [...SORT_FIELDS[filter.sort ?? "name"], "_id"];
	return { query, sort };
}

/*
 * Cache keys of the reads anyone but an admin makes (admins see inactive products and are never
 * served from the cache). Equal requests share a key: a page is keyed by its normalised window
 * and filter, so `?page=1` and no page at all are one entry.
 */
export function productCacheKey(id: string): string {
	return `catalogue.get:${id}`;
}

/**
 * A lookup's entry for one id (catalogue.lookup, for other services): the product, inactive ones
 * included, or null when no product has the id. Absence may be cached: ids are never reused, and
 * creating a product drops its id's entries like any other change.
 */
export interface LookupEntry {
	id: string;
	product: ProductSummary | null;
}

export function lookupCacheKey(id: string): string {
	return `catalogue.lookup:${id}`;
}

export function pageCacheKey(params: ListProductsParams): string {
	const { page, pageSize } = pageWindow(params.page, params.pageSize);
	const filter = [params.category ? normalizeCategory(params.category) : "", params.q?.trim() ?? "", params.sort ?? "name"];
	return `catalogue.list:${JSON.stringify([page, pageSize, ...filter])}`;
}

/** The cached list of categories (catalogue.categories). */
export const CATEGORIES_CACHE_KEY = "catalogue.categories";

/**
 * What a change to these products makes stale: their own reads and lookups, and every page, since
 * any page may list them; and the categories when the change was more than stock.
 */
export function readsChangedBy(productIds: string[], categoriesChanged = false): string[] {
	const ids = [...new Set(productIds)];
	return ["catalogue.list:**", ...ids.map(productCacheKey), ...ids.map(lookupCacheKey), ...(categoriesChanged ? [CATEGORIES_CACHE_KEY] : [])];
}

/** The categories of these products, each with its count, by name. */
export function categoriesOf(products: Pick<ProductDoc, "category">[]): ProductCategory[] {
	const counts = new Map<string, number>();
	for (const { category } of products) counts.set(category, (counts.get(category) ?? 0) + 1);
	return [...counts].map(([name, count]) => ({ name, products: count })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
