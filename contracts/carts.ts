import type { Address } from "./customers";

/*
 * A customer's cart (services/carts): the lines they mean to order, answered with the catalogue's
 * current view of each product. Prices are never the client's: a line keeps the unit price seen
 * when it was last set, only to say that the price has changed since.
 */

/** Why a line cannot be ordered as it stands, or deserves a second look before checkout. */
export type CartLineIssue =
	/** The price is not the one seen when the line was added or last set. */
	| "PRICE_CHANGED"
	/** Fewer in stock than the line asks for. */
	| "STOCK_SHORT"
	/** The product is inactive or no longer exists. */
	| "UNAVAILABLE"
	/** The product is priced in another currency than the cart (its currency changed since). */
	| "CURRENCY_MISMATCH";

export interface CartLine {
	productId: string;
	/** The product's current sku and name; for a product that is gone, the ones last seen. */
	sku: string;
	name: string;
	qty: number;
	/** The current price; for a product that is gone, the one last seen. */
	unitPriceCents: number;
	/** The price when the line was added or its quantity last set. */
	addedUnitPriceCents: number;
	currency: string;
	lineTotalCents: number;
	/** False for an inactive product and for one that is gone. */
	active: boolean;
	/** Available to order now (0 for a product that is gone). */
	stock: number;
	issues: CartLineIssue[];
}

export interface Cart {
	customerId: string;
	/** In the order they were first added. */
	lines: CartLine[];
	/** The lines that can be ordered (not UNAVAILABLE, not CURRENCY_MISMATCH), at current prices. */
	totalCents: number;
	/** The cart's currency: that of its first orderable line; absent while there is none. */
	currency?: string;
	/** How many items, summed over the lines. */
	itemCount: number;
	/** Absent until the cart is first changed. */
	updatedAt?: string;
}

export interface SetCartItemParams {
	productId: string;
	/** 0 removes the line. */
	qty: number;
}

export interface CartItemRef {
	productId: string;
}

export interface MergeCartParams {
	items: { productId: string; qty: number }[];
}

/** What became of one product of a guest's cart when it was merged. */
export type MergeOutcome =
	/** Added as a new line, or summed into the customer's line. */
	| "MERGED"
	/** Summed, but capped at the most one line may hold. */
	| "QTY_CAPPED"
	/** Not taken: the product is inactive or does not exist. */
	| "UNAVAILABLE"
	/** Not taken: the cart already had as many lines as it may. */
	| "CART_FULL"
	/** Not taken: priced in another currency than the cart. */
	| "MIXED_CURRENCIES";

export interface MergeCartResult {
	cart: Cart;
	/** One entry per distinct product of the guest's cart, in the order sent. */
	/** `qty`: the customer's line for the product after the merge (0 when it was not taken). */
	lines: { productId: string; outcome: MergeOutcome; qty: number }[];
}

export interface CheckoutCartParams {
	shippingAddress: Address;
	paymentMethod?: string;
	/** As for orders.create: a quote's option id, a bare option, or the cheapest when left out. */
	shippingOptionId?: string;
}
