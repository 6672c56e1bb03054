import type { Product } from "../api/types";

/*
 * A guest's cart, in this browser only (localStorage), until they log in: then POST
 * /api/cart/merge adds it to their cart in the shop and it is emptied here. A line keeps the
 * price seen when it was set, as the server's cart does, only to say that the price changed.
 */

export interface GuestLine {
	productId: string;
	qty: number;
	name: string;
	sku: string;
	priceCents: number;
	currency: string;
}

const KEY = "shop.guestCart";
/** The server's limits (carts.setItem, carts.merge), so a guest cart always merges whole. */
export const MAX_LINES = 50;
export const MAX_QTY = 100;

export function guestLines(): GuestLine[] {
	try {
		const lines = JSON.parse(window.localStorage.getItem(KEY) ?? "[]") as GuestLine[];
		return Array.isArray(lines) ? lines.filter((line) => typeof line.productId === "string" && Number.isInteger(line.qty) && line.qty > 0) : [];
	} catch {
		return [];
	}
}

function save(lines: GuestLine[]): void {
	if (lines.length === 0) window.localStorage.removeItem(KEY);
	else window.localStorage.setItem(KEY, JSON.stringify(lines));
}

/** Sets the quantity of a product (0 removes it); false when the cart is full. */
export function setGuestQty(product: Pick<Product, "id" | "name" | "sku" | "priceCents" | "currency">, qty: number): boolean {
	const lines = guestLines();
	const index = lines.findIndex((line) => line.productId === product.id);
	if (qty <= 0) {
		if (index >= 0) lines.splice(index, 1);
	} else {
		const line = {
			productId: product.id,
			qty: Math.min(qty, MAX_QTY),
			name: product.name,
			sku: product.sku,
			priceCents: product.priceCents,
			currency: product.currency,
		};
		if (index >= 0) lines[index] = line;
		else if (lines.length >= MAX_LINES) return false;
		else lines.push(line);
	}
	save(lines);
	return true;
}

export function guestQty(productId: string): number {
	return guestLines().find((line) => line.productId === productId)?.qty ?? 0;
}

export function clearGuestCart(): void {
	save([]);
}
