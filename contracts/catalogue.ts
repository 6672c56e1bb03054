import type { Page, PageParams } from "./common";

export interface Product {
	id: string;
	sku: string;
	name: string;
	description: string;
	category: string;
	priceCents: number;
	currency: string;
	/** What one unit weighs packed, in grams: what shipping is quoted by. */
	weightGrams: number;
	stock: number;
	active: boolean;
	createdAt: string;
	updatedAt: string;
}

/** What another service needs to show a product it refers to (catalogue.lookup): inactive ones included. */
export type ProductSummary = Pick<Product, "id" | "sku" | "name" | "priceCents" | "currency" | "weightGrams" | "stock" | "active">;

export interface LookupProductsParams {
	productIds: string[];
}

export type ProductSort = "price" | "-price" | "name" | "-name";

export interface ListProductsParams extends PageParams {
	category?: string;
	q?: string;
	sort?: ProductSort;
}
export type ListProductsResult = Page<Product>;

export interface GetProductParams {
	id: string;
}

export interface CreateProductParams {
	sku: string;
	name: string;
	description?: string;
	category: string;
	priceCents: number;
	currency?: string;
	/** DEFAULT_WEIGHT_GRAMS when not given. */
	weightGrams?: number;
	stock?: number;
	active?: boolean;
}

export interface UpdateProductParams {
	id: string;
	sku?: string;
	name?: string;
	description?: string;
	category?: string;
	priceCents?: number;
	currency?: string;
	weightGrams?: number;
	stock?: number;
	active?: boolean;
	/**
	 * The stock the change was based on, as the admin last read it: when the stock is no longer
	 * that (an order reserved some meanwhile), nothing is changed and the answer is 409
	 * STOCK_NOT_AS_EXPECTED with the stock as it is now.
	 */
	expectedStock?: number;
}

export interface StockLine {
	productId: string;
	qty: number;
}

/** RETURNED: a committed sale came back into stock because the confirmed order was cancelled. */
export type ReservationStatus = "PENDING" | "RESERVED" | "REJECTED" | "COMMITTED" | "RELEASED" | "EXPIRED" | "RETURNED";

/** One move of a reservation, recorded in the same write as the move itself. */
export interface ReservationChange {
	status: ReservationStatus;
	at: string;
	/** What moved it: STOCK_HELD, OUT_OF_STOCK, PAYMENT_SETTLED, PAYMENT_FAILED, ORDER_CANCELLED, HOLD_EXPIRED… */
	reason: string;
}

export interface Reservation {
	orderId: string;
	status: ReservationStatus;
	items: StockLine[];
	/** Set when status is REJECTED: which rule refused the reservation and for which product. */
	rejection?: { reason: "OUT_OF_STOCK" | "PRODUCT_UNAVAILABLE"; productId: string };
	expiresAt: string;
	/** Every status it has had, oldest first. */
	history: ReservationChange[];
	createdAt: string;
	updatedAt: string;
}

export interface ReserveStockParams {
	orderId: string;
	items: StockLine[];
}

export interface ReservationRef {
	orderId: string;
}

/**
 * Broker event, not a domain event: it goes over the transporter to every catalogue node and is
 * never written to Kafka. The node that changed these products has already dropped its cached
 * reads of them; the others drop theirs on this notice. A notice missed while a node was
 * disconnected is made up for by a full drop when its transporter reconnects, and in the last
 * resort by the cache's TTL.
 */
export const CATALOGUE_CHANGED = "catalogue.changed";

export interface CatalogueChanged {
	id: string;
	occurredAt: string;
	/** The node that made the change (it ignores its own notice). */
	nodeID: string;
	productIds: string[];
	/**
	 * True when products were created, edited or deactivated, so the list of categories may have
	 * changed; false when only their stock moved (every reservation), which leaves it as it was.
	 */
	categoriesChanged?: boolean;
}

/** `catalogue.categories`: a category of the products on sale, with how many there are. */
export interface ProductCategory {
	name: string;
	products: number;
}
