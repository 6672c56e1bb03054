import { api, call } from "../api/client";
import { ApiError, describeType } from "../api/errors";
import type { Cart, CartLine, Product } from "../api/types";
import { currentSession } from "../session";
import { createStore } from "../store";
import { clearGuestCart, guestLines, guestQty, setGuestQty, type GuestLine } from "./guest-cart";

/*
 * One cart for the pages, whoever is shopping: a logged-in customer's is the shop's (GET
 * /api/cart, which prices each line and flags it), a guest's is the browser's, shown in the same
 * shape with the same flags worked out here from the products as the catalogue has them now.
 */

/** How many items the cart holds, for the header. */
export const cartCount = createStore(0);

function count(cart: Cart): Cart {
	cartCount.set(cart.itemCount);
	return cart;
}

/** A guest line as the server would show it, from the product as it is now (or as last seen if it is gone). */
function guestView(line: GuestLine, product: Product | undefined): CartLine {
	const active = product?.active ?? false;
	const stock = product?.stock ?? 0;
	const unitPriceCents = product?.priceCents ?? line.priceCents;
	const issues: CartLine["issues"] = [];
	if (!active) issues.push("UNAVAILABLE");
	if (unitPriceCents !== line.priceCents) issues.push("PRICE_CHANGED");
	if (active && stock < line.qty) issues.push("STOCK_SHORT");
	return {
		productId: line.productId,
		sku: product?.sku ?? line.sku,
		name: product?.name ?? line.name,
		qty: line.qty,
		unitPriceCents,
		addedUnitPriceCents: line.priceCents,
		currency: product?.currency ?? line.currency,
		lineTotalCents: unitPriceCents * line.qty,
		active,
		stock,
		issues,
	};
}

async function productOrGone(productId: string): Promise<Product | undefined> {
	try {
		return await call(api.GET("/products/{id}", { params: { path: { id: productId } } }));
	} catch (err) {
		if (err instanceof ApiError && err.status === 404) return undefined;
		throw err;
	}
}

async function guestCart(): Promise<Cart> {
	const stored = guestLines();
	const products = await Promise.all(stored.map((line) => productOrGone(line.productId)));
	const lines = stored.map((line, index) => guestView(line, products[index]));
	const orderable = lines.filter((line) => line.active);
	const currency = orderable[0]?.currency;
	return count({
		customerId: "",
		lines,
		totalCents: orderable.filter((line) => line.currency === currency).reduce((sum, line) => sum + line.lineTotalCents, 0),
		...(currency ? { currency } : {}),
		itemCount: lines.reduce((sum, line) => sum + line.qty, 0),
	});
}

export async function loadCart(): Promise<Cart> {
	if (!currentSession()) return guestCart();
	return count(await call(api.GET("/cart")));
}

/** Sets a product's quantity (0 removes it) and answers the cart after the change. */
export async function setQty(product: Pick<Product, "id" | "name" | "sku" | "priceCents" | "currency">, qty: number): Promise<Cart> {
	if (!currentSession()) {
		if (!setGuestQty(product, qty)) throw new ApiError(409, "CART_FULL", describeType("CART_FULL", "The cart is full."));
		return guestCart();
	}
	if (qty <= 0) return count(await call(api.DELETE("/cart/items/{productId}", { params: { path: { productId: product.id } } })));
	return count(await call(api.PUT("/cart/items/{productId}", { params: { path: { productId: product.id } }, body: { qty } })));
}

/** Adds `qty` more of a product. */
export async function addToCart(product: Product, qty = 1): Promise<Cart> {
	if (!currentSession()) return setQty(product, guestQty(product.id) + qty);
	const cart = await call(api.GET("/cart"));
	const held = cart.lines.find((line) => line.productId === product.id)?.qty ?? 0;
	return setQty(product, held + qty);
}

/**
 * At login: the guest's lines added to the customer's cart in the shop, then forgotten here.
 * Answers what the shop did with each line that it did not take as it was.
 */
export async function mergeGuestCart(): Promise<{ productId: string; name: string; outcome: string }[]> {
	const lines = guestLines();
	if (lines.length === 0) {
		await loadCart();
		return [];
	}
	const result = await call(api.POST("/cart/merge", { body: { items: lines.map(({ productId, qty }) => ({ productId, qty })) } }));
	clearGuestCart();
	count(result.cart);
	return result.lines
		.filter((line) => line.outcome !== "MERGED")
		.map((line) => ({ ...line, name: lines.find((guest) => guest.productId === line.productId)?.name ?? line.productId }));
}

/** What the merge at login did not take as it was, for the cart page to say. */
export const mergeNotes = createStore<{ productId: string; name: string; outcome: string }[]>([]);

/** Why the merge at login failed, if it did: the guest cart stays in the browser for the next login. */
export const mergeError = createStore<string | undefined>(undefined);
