import type { Errors } from "moleculer";
import type { Cart, CartLine, CartLineIssue, MergeCartResult, MergeOutcome, ProductSummary, StockLine } from "../../contracts";
import { ConflictError, NotFoundError, UnprocessableError } from "../../lib/errors";

/*
 * The cart's rules as pure functions: the lines as stored and a command give the lines to write
 * (or that nothing changes, or a refusal); the lines and the catalogue's view of their products
 * give the cart a customer is shown, and the order lines a checkout may place. The service reads,
 * asks these, and writes with a compare-and-set on the cart's version.
 */

/** The most lines one cart holds: as many as one order takes (lib/rules.ts linesRule). */
export const MAX_LINES = 50;
/** The most of one product a line holds: as many as one order takes of it (orders' MAX_LINE_QTY). */
export const MAX_QTY = 100;

/** A line as stored: what was last seen of its product is kept to show a product that is gone, and to notice a price change. */
export interface StoredLine {
	productId: string;
	qty: number;
	sku: string;
	name: string;
	currency: string;
	/** The unit price when the line was added or its quantity last set by the customer. */
	addedUnitPriceCents: number;
}

/** One cart per customer: its id is the customer's. `version` grows with every write and never restarts. */
export type CartDoc = {
	[key: string]: unknown;
	_id: string;
	lines: StoredLine[];
	version: number;
	createdAt: string;
	updatedAt: string;
};

export type CartCommand =
	/** Sets a line's quantity (0 removes it); `product` is the catalogue's, absent when no product has the id. */
	| { kind: "SET_QTY"; productId: string; qty: number; product?: ProductSummary }
	| { kind: "REMOVE"; productId: string }
	| { kind: "CLEAR" }
	/** A guest's lines, with the catalogue's products for them. */
	| { kind: "MERGE"; items: StockLine[]; products: readonly ProductSummary[] }
	/** An order was placed for these lines: they leave the cart, unless they were changed meanwhile. */
	| { kind: "CHECKED_OUT"; ordered: StockLine[] };

export type MergeReport = MergeCartResult["lines"];

export type CartDecision =
	| { kind: "write"; lines: StoredLine[]; merged?: MergeReport }
	| { kind: "unchanged"; merged?: MergeReport }
	| { kind: "refuse"; error: Errors.MoleculerClientError };

const refuse = (error: Errors.MoleculerClientError): CartDecision => ({ kind: "refuse", error });

function lineOf(product: ProductSummary, qty: number, addedUnitPriceCents = product.priceCents): StoredLine {
	return { productId: product.id, qty, sku: product.sku, name: product.name, currency: product.currency, addedUnitPriceCents };
}

function sameLine(a: StoredLine, b: StoredLine): boolean {
	return (
		a.productId === b.productId &&
		a.qty === b.qty &&
		a.sku === b.sku &&
		a.name === b.name &&
		a.currency === b.currency &&
		a.addedUnitPriceCents === b.addedUnitPriceCents
	);
}

function cartFull(productId: string): ConflictError {
	return new ConflictError("CART_FULL", `A cart holds at most ${MAX_LINES} different products; remove one to add another`, {
		productId,
		max: MAX_LINES,
	});
}

function setQty(lines: readonly StoredLine[], command: Extract<CartCommand, { kind: "SET_QTY" }>): CartDecision {
	const { productId, qty, product } = command;
	if (qty === 0) return decideCart(lines, { kind: "REMOVE", productId });
	// Inactive products are hidden from shoppers; to a cart they do not exist either.
	if (!product?.active) return refuse(new NotFoundError("PRODUCT_NOT_FOUND", `Product ${productId} not found`, { id: productId }));
	if (qty > MAX_QTY) {
		return refuse(new UnprocessableError("LINE_QTY_TOO_LARGE", `At most ${MAX_QTY} of one product per cart`, { productId, max: MAX_QTY }));
	}
	const others = lines.filter((line) => line.productId !== productId);
	const currencies = [...new Set(others.map((line) => line.currency))];
	if (currencies.some((currency) => currency !== product.currency)) {
		return refuse(
			new UnprocessableError(
				"MIXED_CURRENCIES",
				`Product ${productId} is priced in ${product.currency}; the cart holds products in ${currencies.join(", ")}`,
				{
					productId,
					currencies: [...new Set([...currencies, product.currency])],
				},
			),
		);
	}
	const index = lines.findIndex((line) => line.productId === productId);
	// Setting a quantity is the customer looking at today's price: it becomes the price seen.
	const next = lineOf(product, qty);
	if (index === -1) return lines.length >= MAX_LINES ? refuse(cartFull(productId)) : { kind: "write", lines: [...lines, next] };
	if (sameLine(lines[index]!, next)) return { kind: "unchanged" };
	return { kind: "write", lines: lines.map((line, at) => (at === index ? next : line)) };
}

/** Quantities per product, summed, in the order each product first appears (the guest's order). */
function sumInOrder(items: StockLine[]): StockLine[] {
	const totals = new Map<string, number>();
	for (const { productId, qty } of items) totals.set(productId, (totals.get(productId) ?? 0) + qty);
	return [...totals].map(([productId, qty]) => ({ productId, qty }));
}

/**
 * A guest's lines join the customer's: quantities summed and capped at MAX_QTY, new lines taken
 * while the cart has room. What cannot be taken is reported per product rather than refusing the
 * whole merge: a login should not fail over a stale line in a browser.
 */
function merge(lines: readonly StoredLine[], items: StockLine[], products: readonly ProductSummary[]): CartDecision {
	const byId = new Map(products.map((product) => [product.id, product]));
	const next = [...lines];
	const merged: MergeReport = [];
	let currency = lines[0]?.currency;
	for (const { productId, qty } of sumInOrder(items)) {
		const product = byId.get(productId);
		const index = next.findIndex((line) => line.productId === productId);
		const current = index === -1 ? 0 : next[index]!.qty;
		const report = (outcome: MergeOutcome, after = current) => merged.push({ productId, outcome, qty: after });
		if (!product?.active) report("UNAVAILABLE");
		else if (currency !== undefined && product.currency !== currency) report("MIXED_CURRENCIES");
		else if (index === -1 && next.length >= MAX_LINES) report("CART_FULL");
		else {
			const total = Math.min(current + qty, MAX_QTY);
			// The customer's own line keeps the price they saw; a guest's line starts from today's.
			const line = lineOf(product, total, index === -1 ? product.priceCents : next[index]!.addedUnitPriceCents);
			if (index === -1) next.push(line);
			else next[index] = line;
			currency ??= product.currency;
			report(current + qty > MAX_QTY ? "QTY_CAPPED" : "MERGED", total);
		}
	}
	const changed = next.length !== lines.length || next.some((line, at) => !sameLine(line, lines[at]!));
	return changed ? { kind: "write", lines: next, merged } : { kind: "unchanged", merged };
}

/** The cart's decider: the lines as read and a command give the lines to write, or a refusal. */
export function decideCart(lines: readonly StoredLine[], command: CartCommand): CartDecision {
	switch (command.kind) {
		case "SET_QTY":
			return setQty(lines, command);
		case "REMOVE": {
			const kept = lines.filter((line) => line.productId !== command.productId);
			return kept.length === lines.length ? { kind: "unchanged" } : { kind: "write", lines: kept };
		}
		case "CLEAR":
			return lines.length === 0 ? { kind: "unchanged" } : { kind: "write", lines: [] };
		case "MERGE":
			return merge(lines, command.items, command.products);
		case "CHECKED_OUT": {
			// A line whose quantity changed while the order was placed is not the line that was ordered: it stays.
			const ordered = new Map(command.ordered.map((line) => [line.productId, line.qty]));
			const kept = lines.filter((line) => ordered.get(line.productId) !== line.qty);
			return kept.length === lines.length ? { kind: "unchanged" } : { kind: "write", lines: kept };
		}
	}
}

/** What the customer is shown: each line with its product as the catalogue has it now, and the total of what can be ordered. */
export function viewCart(customerId: string, doc: Pick<CartDoc, "lines" | "updatedAt"> | null, products: readonly ProductSummary[]): Cart {
	const byId = new Map(products.map((product) => [product.id, product]));
	let currency: string | undefined;
	const lines = (doc?.lines ?? []).map((line): CartLine => {
		const product = byId.get(line.productId);
		const active = product?.active ?? false;
		const unitPriceCents = product?.priceCents ?? line.addedUnitPriceCents;
		const lineCurrency = product?.currency ?? line.currency;
		const issues: CartLineIssue[] = [];
		if (!active) issues.push("UNAVAILABLE");
		else {
			if (unitPriceCents !== line.addedUnitPriceCents) issues.push("PRICE_CHANGED");
			if (product!.stock < line.qty) issues.push("STOCK_SHORT");
			currency ??= lineCurrency;
			if (lineCurrency !== currency) issues.push("CURRENCY_MISMATCH");
		}
		return {
			productId: line.productId,
			sku: product?.sku ?? line.sku,
			name: product?.name ?? line.name,
			qty: line.qty,
			unitPriceCents,
			addedUnitPriceCents: line.addedUnitPriceCents,
			currency: lineCurrency,
			lineTotalCents: unitPriceCents * line.qty,
			active,
			stock: product?.stock ?? 0,
			issues,
		};
	});
	const counted = lines.filter((line) => !line.issues.includes("UNAVAILABLE") && !line.issues.includes("CURRENCY_MISMATCH"));
	return {
		customerId,
		lines,
		totalCents: counted.reduce((sum, line) => sum + line.lineTotalCents, 0),
		...(currency ? { currency } : {}),
		itemCount: lines.reduce((sum, line) => sum + line.qty, 0),
		...(doc?.updatedAt ? { updatedAt: doc.updatedAt } : {}),
	};
}

/**
 * The order lines a checkout places, or why the cart cannot be checked out as it stands. Each
 * refusal names the lines (their productIds) so the customer knows what to change. Prices are not
 * decided here: orders prices the lines from the catalogue's store when it places the order.
 */
export function checkoutLines(
	lines: readonly StoredLine[],
	products: readonly ProductSummary[],
): { kind: "order"; items: StockLine[] } | { kind: "refuse"; error: Errors.MoleculerClientError } {
	if (lines.length === 0) return { kind: "refuse", error: new ConflictError("CART_EMPTY", "The cart is empty; add something before checking out") };
	const byId = new Map(products.map((product) => [product.id, product]));
	const named = (productIds: string[]) => ({ productId: productIds[0]!, productIds });

	const unavailable = lines.filter((line) => !byId.get(line.productId)?.active).map((line) => line.productId);
	if (unavailable.length > 0) {
		return {
			kind: "refuse",
			error: new ConflictError(
				"CART_LINE_UNAVAILABLE",
				`Product ${unavailable[0]} is no longer for sale; remove it from the cart to check out`,
				named(unavailable),
			),
		};
	}
	const tooLarge = lines.filter((line) => line.qty > MAX_QTY).map((line) => line.productId);
	if (tooLarge.length > 0) {
		return {
			kind: "refuse",
			error: new UnprocessableError("LINE_QTY_TOO_LARGE", `At most ${MAX_QTY} of one product per order; lower the quantity of ${tooLarge[0]}`, {
				...named(tooLarge),
				max: MAX_QTY,
			}),
		};
	}
	const short = lines.filter((line) => byId.get(line.productId)!.stock < line.qty).map((line) => line.productId);
	if (short.length > 0) {
		// Placed anyway, the order would be cancelled OUT_OF_STOCK and the cart emptied: better to say so now.
		return {
			kind: "refuse",
			error: new ConflictError("CART_STOCK_SHORT", `Not enough of product ${short[0]} in stock; lower its quantity to check out`, named(short)),
		};
	}
	const currencies = [...new Set(lines.map((line) => byId.get(line.productId)!.currency))];
	if (currencies.length > 1) {
		return {
			kind: "refuse",
			error: new UnprocessableError("MIXED_CURRENCIES", "All products of one order must be priced in one currency", { currencies }),
		};
	}
	return { kind: "order", items: lines.map(({ productId, qty }) => ({ productId, qty })) };
}

export function newCartDoc(customerId: string, lines: StoredLine[], now: Date): CartDoc {
	const at = now.toISOString();
	return { _id: customerId, lines, version: 1, createdAt: at, updatedAt: at };
}
