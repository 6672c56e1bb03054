import type { StockLine } from "../contracts";

/*
 * Shared by catalogue (which reserves stock line by line) and orders (which prices the lines it
 * will ask catalogue to reserve), so that both see an order's lines alike.
 */

/** One line per product, quantities summed, in a fixed order so concurrent calls touch products alike. */
export function mergeLines(items: StockLine[]): StockLine[] {
	const totals = new Map<string, number>();
	for (const { productId, qty } of items) totals.set(productId, (totals.get(productId) ?? 0) + qty);
	return [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([productId, qty]) => ({ productId, qty }));
}
