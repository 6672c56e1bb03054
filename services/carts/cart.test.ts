import type { ProductSummary } from "../../contracts";
import { MAX_LINES, MAX_QTY, checkoutLines, decideCart, newCartDoc, viewCart, type CartCommand, type CartDecision, type StoredLine } from "./cart";

const NOW = new Date("2030-06-01T10:00:00.000Z");

function product(id: string, overrides: Partial<ProductSummary> = {}): ProductSummary {
	return { id, sku: `SKU-${id}`, name: `Product ${id}`, priceCents: 500, currency: "EUR", weightGrams: 300, stock: 10, active: true, ...overrides };
}

/** A stored line for `product(id)` as it was when set. */
function line(id: string, qty: number, overrides: Partial<StoredLine> = {}): StoredLine {
	return { productId: id, qty, sku: `SKU-${id}`, name: `Product ${id}`, currency: "EUR", addedUnitPriceCents: 500, ...overrides };
}

const FULL = Array.from({ length: MAX_LINES }, (_, index) => line(`f${index}`, 1));

/** What a decision comes to, in a form a table can state: the lines written, nothing, or the refusal's status and type. */
function outcome(decision: CartDecision): unknown {
	if (decision.kind === "write") return { write: decision.lines.map((stored) => `${stored.productId}x${stored.qty}@${stored.addedUnitPriceCents}`) };
	if (decision.kind === "unchanged") return "unchanged";
	return { refuse: [decision.error.code, decision.error.type] };
}

describe("decideCart", () => {
	const cases: { name: string; lines: StoredLine[]; command: CartCommand; expected: unknown }[] = [
		{
			name: "adds a line at the current price",
			lines: [],
			command: { kind: "SET_QTY", productId: "a", qty: 2, product: product("a", { priceCents: 899 }) },
			expected: { write: ["ax2@899"] },
		},
		{
			name: "sets the quantity of a line and takes today's price as the one seen",
			lines: [line("a", 2), line("b", 1)],
			command: { kind: "SET_QTY", productId: "a", qty: 5, product: product("a", { priceCents: 450 }) },
			expected: { write: ["ax5@450", "bx1@500"] },
		},
		{
			name: "writes nothing when the line is already as asked",
			lines: [line("a", 2)],
			command: { kind: "SET_QTY", productId: "a", qty: 2, product: product("a") },
			expected: "unchanged",
		},
		{
			name: "removes a line for a quantity of 0, whatever became of its product",
			lines: [line("a", 2), line("b", 1)],
			command: { kind: "SET_QTY", productId: "a", qty: 0 },
			expected: { write: ["bx1@500"] },
		},
		{
			name: "writes nothing for a quantity of 0 on a line it does not hold",
			lines: [line("b", 1)],
			command: { kind: "SET_QTY", productId: "a", qty: 0 },
			expected: "unchanged",
		},
		{
			name: "refuses a product that does not exist",
			lines: [],
			command: { kind: "SET_QTY", productId: "a", qty: 1 },
			expected: { refuse: [404, "PRODUCT_NOT_FOUND"] },
		},
		{
			name: "refuses an inactive product",
			lines: [],
			command: { kind: "SET_QTY", productId: "a", qty: 1, product: product("a", { active: false }) },
			expected: { refuse: [404, "PRODUCT_NOT_FOUND"] },
		},
		{
			name: "refuses more than the most one line holds",
			lines: [],
			command: { kind: "SET_QTY", productId: "a", qty: MAX_QTY + 1, product: product("a") },
			expected: { refuse: [422, "LINE_QTY_TOO_LARGE"] },
		},
		{
			name: "takes the most one line holds",
			lines: [],
			command: { kind: "SET_QTY", productId: "a", qty: MAX_QTY, product: product("a") },
			expected: { write: [`ax${MAX_QTY}@500`] },
		},
		{
			name: "refuses a product in another currency than the cart's",
			lines: [line("b", 1)],
			command: { kind: "SET_QTY", productId: "a", qty: 1, product: product("a", { currency: "USD" }) },
			expected: { refuse: [422, "MIXED_CURRENCIES"] },
		},
		{
			name: "lets the only line change to a product's new currency",
			lines: [line("a", 1)],
			command: { kind: "SET_QTY", productId: "a", qty: 2, product: product("a", { currency: "USD" }) },
			expected: { write: ["ax2@500"] },
		},
		{
			name: "refuses a new product when the cart has as many lines as it may hold",
			lines: FULL,
			command: { kind: "SET_QTY", productId: "a", qty: 1, product: product("a") },
			expected: { refuse: [409, "CART_FULL"] },
		},
		{
			name: "still changes a line of a full cart",
			lines: FULL,
			command: { kind: "SET_QTY", productId: "f3", qty: 4, product: product("f3") },
			expected: { write: FULL.map((stored) => `${stored.productId}x${stored.productId === "f3" ? 4 : 1}@500`) },
		},
		{ name: "removes a line", lines: [line("a", 2), line("b", 1)], command: { kind: "REMOVE", productId: "b" }, expected: { write: ["ax2@500"] } },
		{ name: "writes nothing to remove a line it does not hold", lines: [line("a", 2)], command: { kind: "REMOVE", productId: "b" }, expected: "unchanged" },
		{ name: "empties the cart", lines: [line("a", 2), line("b", 1)], command: { kind: "CLEAR" }, expected: { write: [] } },
		{ name: "writes nothing to empty an empty cart", lines: [], command: { kind: "CLEAR" }, expected: "unchanged" },
		{
			name: "takes out the lines an order was placed for",
			lines: [line("a", 2), line("b", 1), line("c", 3)],
			command: {
				kind: "CHECKED_OUT",
				ordered: [
					{ productId: "a", qty: 2 },
					{ productId: "c", qty: 3 },
				],
			},
			expected: { write: ["bx1@500"] },
		},
		{
			name: "keeps a line whose quantity changed while its order was placed, and lines added meanwhile",
			lines: [line("a", 5), line("d", 1)],
			command: { kind: "CHECKED_OUT", ordered: [{ productId: "a", qty: 2 }] },
			expected: "unchanged",
		},
	];

	it.each(cases)("$name", ({ lines, command, expected }) => {
		expect(outcome(decideCart(lines, command))).toEqual(expected);
	});

	it("names the rule and the product in a refusal", () => {
		const full = decideCart(FULL, { kind: "SET_QTY", productId: "a", qty: 1, product: product("a") });
		expect(full).toMatchObject({ kind: "refuse", error: { type: "CART_FULL", data: { productId: "a", max: MAX_LINES } } });
		const mixed = decideCart([line("b", 1)], { kind: "SET_QTY", productId: "a", qty: 1, product: product("a", { currency: "USD" }) });
		expect(mixed).toMatchObject({ kind: "refuse", error: { data: { productId: "a", currencies: ["EUR", "USD"] } } });
	});

	it("keeps what was last seen of a product on its line, to show it once the product is gone", () => {
		const decision = decideCart([], {
			kind: "SET_QTY",
			productId: "a",
			qty: 1,
			product: product("a", { sku: "MUG-1", name: "Mug", currency: "GBP", priceCents: 899 }),
		});
		expect(decision).toEqual({ kind: "write", lines: [{ productId: "a", qty: 1, sku: "MUG-1", name: "Mug", currency: "GBP", addedUnitPriceCents: 899 }] });
	});
});

describe("decideCart: merging a guest's cart", () => {
	const merge = (lines: StoredLine[], items: { productId: string; qty: number }[], products: ProductSummary[]) =>
		decideCart(lines, { kind: "MERGE", items, products });

	const cases: {
		name: string;
		lines: StoredLine[];
		items: { productId: string; qty: number }[];
		products: ProductSummary[];
		lines_after: unknown;
		report: unknown;
	}[] = [
		{
			name: "adds new lines and sums into existing ones, the customer's line keeping the price they saw",
			lines: [line("a", 2, { addedUnitPriceCents: 400 })],
			items: [
				{ productId: "b", qty: 1 },
				{ productId: "a", qty: 3 },
			],
			products: [product("a"), product("b", { priceCents: 700 })],
			lines_after: { write: ["ax5@400", "bx1@700"] },
			report: [
				{ productId: "b", outcome: "MERGED", qty: 1 },
				{ productId: "a", outcome: "MERGED", qty: 5 },
			],
		},
		{
			name: "caps a summed quantity at the most one line holds",
			lines: [line("a", 70)],
			items: [{ productId: "a", qty: 50 }],
			products: [product("a")],
			lines_after: { write: [`ax${MAX_QTY}@500`] },
			report: [{ productId: "a", outcome: "QTY_CAPPED", qty: MAX_QTY }],
		},
		{
			name: "sums a product the guest's cart holds on several lines",
			lines: [],
			items: [
				{ productId: "a", qty: 60 },
				{ productId: "a", qty: 60 },
			],
			products: [product("a")],
			lines_after: { write: [`ax${MAX_QTY}@500`] },
			report: [{ productId: "a", outcome: "QTY_CAPPED", qty: MAX_QTY }],
		},
		{
			name: "reports unknown and inactive products and takes the rest",
			lines: [line("a", 1)],
			items: [
				{ productId: "gone", qty: 1 },
				{ productId: "off", qty: 1 },
				{ productId: "b", qty: 2 },
			],
			products: [product("a"), product("b"), product("off", { active: false })],
			lines_after: { write: ["ax1@500", "bx2@500"] },
			report: [
				{ productId: "gone", outcome: "UNAVAILABLE", qty: 0 },
				{ productId: "off", outcome: "UNAVAILABLE", qty: 0 },
				{ productId: "b", outcome: "MERGED", qty: 2 },
			],
		},
		{
			name: "takes new lines while the cart has room and reports the rest, still summing into lines it holds",
			lines: FULL.slice(0, MAX_LINES - 1),
			items: [
				{ productId: "x", qty: 1 },
				{ productId: "y", qty: 1 },
				{ productId: "f0", qty: 2 },
			],
			products: [product("x"), product("y"), product("f0")],
			lines_after: {
				write: [...FULL.slice(0, MAX_LINES - 1).map((stored) => `${stored.productId}x${stored.productId === "f0" ? 3 : 1}@500`), "xx1@500"],
			},
			report: [
				{ productId: "x", outcome: "MERGED", qty: 1 },
				{ productId: "y", outcome: "CART_FULL", qty: 0 },
				{ productId: "f0", outcome: "MERGED", qty: 3 },
			],
		},
		{
			name: "keeps the cart in one currency: its own, or the first product taken into an empty cart",
			lines: [],
			items: [
				{ productId: "usd", qty: 1 },
				{ productId: "eur", qty: 1 },
			],
			products: [product("usd", { currency: "USD" }), product("eur")],
			lines_after: { write: ["usdx1@500"] },
			report: [
				{ productId: "usd", outcome: "MERGED", qty: 1 },
				{ productId: "eur", outcome: "MIXED_CURRENCIES", qty: 0 },
			],
		},
		{
			name: "writes nothing when nothing could be taken",
			lines: [line("a", 1)],
			items: [{ productId: "gone", qty: 1 }],
			products: [product("a")],
			lines_after: "unchanged",
			report: [{ productId: "gone", outcome: "UNAVAILABLE", qty: 0 }],
		},
	];

	it.each(cases)("$name", ({ lines, items, products, lines_after, report }) => {
		const decision = merge(lines, items, products);
		expect(outcome(decision)).toEqual(lines_after);
		expect(decision.kind !== "refuse" && decision.merged).toEqual(report);
	});
});

describe("viewCart", () => {
	const doc = (lines: StoredLine[]) => ({ lines, updatedAt: NOW.toISOString() });

	it("prices each line from the catalogue now and totals the cart in integer cents", () => {
		const cart = viewCart("c1", doc([line("a", 2), line("b", 3)]), [product("a", { priceCents: 899 }), product("b", { priceCents: 250 })]);
		expect(cart).toMatchObject({ customerId: "c1", totalCents: 2548, currency: "EUR", itemCount: 5, updatedAt: NOW.toISOString() });
		expect(cart.lines.map((shown) => [shown.productId, shown.unitPriceCents, shown.lineTotalCents])).toEqual([
			["a", 899, 1798],
			["b", 250, 750],
		]);
	});

	const flagged: { name: string; stored: StoredLine; product?: ProductSummary; issues: string[]; counted: boolean }[] = [
		{ name: "nothing for a line as it was set", stored: line("a", 2), product: product("a"), issues: [], counted: true },
		{
			name: "a price that changed since the line was set",
			stored: line("a", 2),
			product: product("a", { priceCents: 650 }),
			issues: ["PRICE_CHANGED"],
			counted: true,
		},
		{ name: "stock short of the quantity", stored: line("a", 2), product: product("a", { stock: 1 }), issues: ["STOCK_SHORT"], counted: true },
		{ name: "stock exactly the quantity as enough", stored: line("a", 2), product: product("a", { stock: 2 }), issues: [], counted: true },
		{
			name: "a price change and short stock together",
			stored: line("a", 2),
			product: product("a", { priceCents: 1, stock: 0 }),
			issues: ["PRICE_CHANGED", "STOCK_SHORT"],
			counted: true,
		},
		{
			name: "an inactive product, left out of the total",
			stored: line("a", 2),
			product: product("a", { active: false }),
			issues: ["UNAVAILABLE"],
			counted: false,
		},
		{ name: "a product that is gone, left out of the total", stored: line("a", 2), issues: ["UNAVAILABLE"], counted: false },
	];

	it.each(flagged)("flags $name", ({ stored, product: current, issues, counted }) => {
		const cart = viewCart("c1", doc([stored]), current ? [current] : []);
		expect(cart.lines[0]!.issues).toEqual(issues);
		expect(cart.totalCents).toBe(counted ? cart.lines[0]!.lineTotalCents : 0);
	});

	it("shows a product that is gone as it was last seen, with no stock", () => {
		const cart = viewCart("c1", doc([line("a", 2, { sku: "OLD-1", name: "Old mug", addedUnitPriceCents: 300 })]), []);
		expect(cart.lines[0]).toEqual({
			productId: "a",
			sku: "OLD-1",
			name: "Old mug",
			qty: 2,
			unitPriceCents: 300,
			addedUnitPriceCents: 300,
			currency: "EUR",
			lineTotalCents: 600,
			active: false,
			stock: 0,
			issues: ["UNAVAILABLE"],
		});
		expect(cart).not.toHaveProperty("currency");
	});

	it("keeps to the currency of the first orderable line, flagging and leaving out a line whose product changed currency since", () => {
		const cart = viewCart("c1", doc([line("off", 1), line("a", 1), line("b", 1)]), [
			product("off", { active: false, currency: "GBP" }),
			product("a"),
			product("b", { currency: "USD" }),
		]);
		expect(cart.currency).toBe("EUR");
		expect(cart.lines.map((shown) => shown.issues)).toEqual([["UNAVAILABLE"], [], ["CURRENCY_MISMATCH"]]);
		expect(cart.totalCents).toBe(500);
	});

	it("shows a cart that was never changed as empty, without a time", () => {
		expect(viewCart("c1", null, [])).toEqual({ customerId: "c1", lines: [], totalCents: 0, itemCount: 0 });
	});
});

describe("checkoutLines", () => {
	const refusal = (lines: StoredLine[], products: ProductSummary[]) => {
		const decision = checkoutLines(lines, products);
		return decision.kind === "refuse" ? { code: decision.error.code, type: decision.error.type, data: decision.error.data } : decision;
	};

	const cases: { name: string; lines: StoredLine[]; products: ProductSummary[]; expected: unknown }[] = [
		{
			name: "orders every line with its quantity",
			lines: [line("a", 2), line("b", 1)],
			products: [product("a"), product("b", { priceCents: 1 })],
			expected: {
				kind: "order",
				items: [
					{ productId: "a", qty: 2 },
					{ productId: "b", qty: 1 },
				],
			},
		},
		{ name: "refuses an empty cart", lines: [], products: [], expected: { code: 409, type: "CART_EMPTY", data: undefined } },
		{
			name: "refuses a line whose product is inactive, naming it",
			lines: [line("a", 1), line("b", 1)],
			products: [product("a"), product("b", { active: false })],
			expected: { code: 409, type: "CART_LINE_UNAVAILABLE", data: { productId: "b", productIds: ["b"] } },
		},
		{
			name: "refuses lines whose products are gone, naming each",
			lines: [line("a", 1), line("b", 1)],
			products: [],
			expected: { code: 409, type: "CART_LINE_UNAVAILABLE", data: { productId: "a", productIds: ["a", "b"] } },
		},
		{
			name: "refuses a quantity over the most an order takes of one product",
			lines: [line("a", MAX_QTY + 1)],
			products: [product("a", { stock: 1000 })],
			expected: { code: 422, type: "LINE_QTY_TOO_LARGE", data: { productId: "a", productIds: ["a"], max: MAX_QTY } },
		},
		{
			name: "refuses a line with less in stock than its quantity, naming it",
			lines: [line("a", 1), line("b", 5)],
			products: [product("a"), product("b", { stock: 4 })],
			expected: { code: 409, type: "CART_STOCK_SHORT", data: { productId: "b", productIds: ["b"] } },
		},
		{
			name: "refuses products priced in several currencies",
			lines: [line("a", 1), line("b", 1)],
			products: [product("a"), product("b", { currency: "USD" })],
			expected: { code: 422, type: "MIXED_CURRENCIES", data: { currencies: ["EUR", "USD"] } },
		},
	];

	it.each(cases)("$name", ({ lines, products, expected }) => {
		expect(refusal(lines, products)).toEqual(expected);
	});
});

describe("newCartDoc", () => {
	it("is the customer's, at version 1", () => {
		expect(newCartDoc("c1", [line("a", 1)], NOW)).toEqual({
			_id: "c1",
			lines: [line("a", 1)],
			version: 1,
			createdAt: NOW.toISOString(),
			updatedAt: NOW.toISOString(),
		});
	});
});
