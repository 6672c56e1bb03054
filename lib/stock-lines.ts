import type { StockLine } from "../contracts";
import { UnprocessableError } from "./errors";

/*
 * Shared by catalogue (which reserves stock line by line), orders (which prices the lines it will
 * ask catalogue to reserve) and shipping (which weighs them for a quote), so that all see an
 * order's lines alike.
 */

/** The most of one product an order (and so a quote, and a cart's line) may hold, however many lines it is spread over. */
export const MAX_LINE_QTY = 100;

/** One line per product, quantities summed, in a fixed order so concurrent calls touch products alike. */
export function mergeLines(items: StockLine[]): StockLine[] {
	const totals = new Map<string, number>();
	for (const { productId, qty } of items) totals.set(productId, (totals.get(productId) ?? 0) + qty);
	return [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([productId, qty]) => ({ productId, qty }));
}

/** A product as an order's line needs it: its price, currency and weight. */
interface LineProduct {
	id: string;
	priceCents: number;
	currency: string;
	weightGrams: number;
}

/**
 * The lines of an order to be, merged, each with its product, in the one currency they are all
 * priced in: what orders prices and shipping weighs. Refuses (422) lines of products that do not
 * exist or are not for sale, more than `maxQty` of one product, and mixed currencies.
 */
export function productLines<P extends LineProduct>(
	requested: StockLine[],
	products: P[],
	maxQty: number,
): { lines: (StockLine & { product: P })[]; currency: string } {
	const byId = new Map(products.map((product) => [product.id, product]));
	const lines = mergeLines(requested);
	const unknown = lines.filter((line) => !byId.has(line.productId)).map((line) => line.productId);
	if (unknown.length > 0) {
		throw new UnprocessableError("UNKNOWN_PRODUCT_IN_ORDER", "Some products do not exist or are not for sale", { productIds: unknown });
	}
	const tooLarge = lines.filter((line) => line.qty > maxQty).map((line) => line.productId);
	if (tooLarge.length > 0) {
		throw new UnprocessableError("LINE_QTY_TOO_LARGE", `At most ${maxQty} of one product per order, counting every line for it`, {
			productIds: tooLarge,
			max: maxQty,
		});
	}
	const currencies = new Set(lines.map((line) => byId.get(line.productId)!.currency));
	if (currencies.size > 1) {
		throw new UnprocessableError("MIXED_CURRENCIES", "All products of one order must be priced in one currency", { currencies: [...currencies] });
	}
	return { lines: lines.map((line) => ({ ...line, product: byId.get(line.productId)! })), currency: [...currencies][0]! };
}

/** What the parcel of these lines weighs. */
export function parcelWeightGrams(lines: { qty: number; product: { weightGrams: number } }[]): number {
	return lines.reduce((sum, line) => sum + line.qty * line.product.weightGrams, 0);
}
