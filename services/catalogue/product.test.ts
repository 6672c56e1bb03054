import {
	newProduct,
	normalizeCategory,
	normalizeSku,
	pageCacheKey,
	lookupCacheKey,
	productCacheKey,
	productChanges,
	productQuery,
	readsChangedBy,
	categoriesOf,
	CATEGORIES_CACHE_KEY,
	toProduct,
	toProductSummary,
	DEFAULT_WEIGHT_GRAMS,
	type ProductDoc,
} from "./product";
import { matchesText, textPatterns } from "../../test/helpers/text-filter";

const NOW = new Date("2030-03-04T05:06:07.089Z");

describe("normalizeSku", () => {
	it("trims and upper-cases the SKU", () => {
		expect(normalizeSku("  ab-123x ")).toBe("AB-123X");
	});

	it("leaves an already normal SKU unchanged", () => {
		expect(normalizeSku("BOOK-001")).toBe("BOOK-001");
	});
});

describe("normalizeCategory", () => {
	it("trims and lower-cases the category", () => {
		expect(normalizeCategory("  Books ")).toBe("books");
	});
});

describe("newProduct", () => {
	it("fills in the defaults: EUR, the default weight, no stock, active, no description", () => {
		expect(newProduct({ sku: "sku-1", name: "Mug", category: "kitchen", priceCents: 899 }, "p1", NOW)).toEqual({
			_id: "p1",
			sku: "SKU-1",
			name: "Mug",
			description: "",
			category: "kitchen",
			priceCents: 899,
			currency: "EUR",
			weightGrams: DEFAULT_WEIGHT_GRAMS,
			stock: 0,
			active: true,
			holds: {},
			createdAt: "2030-03-04T05:06:07.089Z",
			updatedAt: "2030-03-04T05:06:07.089Z",
		});
	});

	it("trims and normalizes the given fields", () => {
		const doc = newProduct(
			{
				sku: "  bk-9 ",
				name: "  C++ Primer  ",
				description: "  A big book.  ",
				category: " Books ",
				priceCents: 4999,
				currency: "usd",
				stock: 7,
				active: false,
			},
			"p2",
			NOW,
		);
		expect(doc).toMatchObject({
			sku: "BK-9",
			name: "C++ Primer",
			description: "A big book.",
			category: "books",
			priceCents: 4999,
			currency: "USD",
			stock: 7,
			active: false,
		});
	});

	it("keeps a stock of 0 and active false rather than replacing them with defaults", () => {
		const doc = newProduct({ sku: "a", name: "b", category: "c", priceCents: 0, stock: 0, active: false }, "p3", NOW);
		expect(doc.stock).toBe(0);
		expect(doc.active).toBe(false);
		expect(doc.priceCents).toBe(0);
	});

	it("takes both timestamps from the given now", () => {
		const doc = newProduct({ sku: "a", name: "b", category: "c", priceCents: 1 }, "p4", new Date(0));
		expect(doc.createdAt).toBe("1970-01-01T00:00:00.000Z");
		expect(doc.updatedAt).toBe("1970-01-01T00:00:00.000Z");
	});
});

describe("productChanges", () => {
	it("normalizes the whitelisted fields and stamps updatedAt", () => {
		const { set, changed } = productChanges(
			{
				id: "p1",
				sku: " new-sku ",
				name: "  New name ",
				description: " New description ",
				category: " Garden ",
				priceCents: 1234,
				currency: "gbp",
				active: false,
			},
			NOW,
		);
		expect(set).toEqual({
			sku: "NEW-SKU",
			name: "New name",
			description: "New description",
			category: "garden",
			priceCents: 1234,
			currency: "GBP",
			active: false,
			updatedAt: NOW.toISOString(),
		});
		expect(changed).toEqual(["sku", "name", "description", "category", "priceCents", "currency", "active"]);
	});

	it("reports stock as changed but never puts it in the $set", () => {
		const { set, changed } = productChanges({ id: "p1", stock: 5, name: "x" }, NOW);
		expect(set).toEqual({ name: "x", updatedAt: NOW.toISOString() });
		expect(set).not.toHaveProperty("stock");
		expect(changed).toEqual(["name", "stock"]);
	});

	it("reports a stock of 0 as a change", () => {
		const { set, changed } = productChanges({ id: "p1", stock: 0 }, NOW);
		expect(changed).toEqual(["stock"]);
		expect(set).toEqual({ updatedAt: NOW.toISOString() });
	});

	it("ignores fields that are not whitelisted, including the id", () => {
		const params = { id: "p1", name: "x", holds: { o1: 3 }, _id: "other", createdAt: "1999-01-01" };
		const { set, changed } = productChanges(params as Parameters<typeof productChanges>[0], NOW);
		expect(set).toEqual({ name: "x", updatedAt: NOW.toISOString() });
		expect(changed).toEqual(["name"]);
	});

	it("changes nothing but updatedAt when no field is given", () => {
		expect(productChanges({ id: "p1" }, NOW)).toEqual({ set: { updatedAt: NOW.toISOString() }, changed: [] });
	});

	it("keeps false and zero values", () => {
		const { set, changed } = productChanges({ id: "p1", active: false, priceCents: 0 }, NOW);
		expect(set).toEqual({ priceCents: 0, active: false, updatedAt: NOW.toISOString() });
		expect(changed).toEqual(["priceCents", "active"]);
	});
});

describe("productQuery", () => {
	it("hides inactive products and sorts by name with an _id tie-breaker by default", () => {
		expect(productQuery({ includeInactive: false })).toEqual({
			query: { active: true },
			sort: ["name", "priceCents", "_id"],
		});
	});

	it("shows inactive products when asked to", () => {
		expect(productQuery({ includeInactive: true }).query).toEqual({});
	});

	it("normalizes the category", () => {
		expect(productQuery({ includeInactive: false, category: "  Books " }).query).toEqual({
			active: true,
			category: "books",
		});
	});

	it("does not filter on an empty category", () => {
		expect(productQuery({ includeInactive: true, category: "" }).query).toEqual({});
	});

	it("searches name and description case-insensitively", () => {
		const { query } = productQuery({ includeInactive: true, q: "  primer " });
		expect(Object.keys(query)).toEqual(["$or"]);
		const or = query.$or as Array<Record<string, unknown>>;
		expect(or.map((clause) => Object.keys(clause))).toEqual([["name"], ["description"]]);
		for (const pattern of textPatterns(query)) {
			expect(pattern).toBeInstanceOf(RegExp);
			expect(pattern.source).toBe("primer");
			expect(pattern.flags).toBe("i");
		}
		expect(matchesText(query, { name: "C++ PRIMER", description: "" })).toBe(true);
		expect(matchesText(query, { name: "Other", description: "the primer on C" })).toBe(true);
		expect(matchesText(query, { name: "Other", description: "nothing here" })).toBe(false);
	});

	it('escapes regular expression characters, so "c++" matches "C++ Primer" literally', () => {
		let result: ReturnType<typeof productQuery> | undefined;
		expect(() => {
			result = productQuery({ includeInactive: false, q: "c++" });
		}).not.toThrow();
		const query = result!.query;
		expect(query.active).toBe(true);
		expect(matchesText(query, { name: "C++ Primer", description: "" })).toBe(true);
		expect(matchesText(query, { name: "C Primer", description: "cc" })).toBe(false);
	});

	it("treats a dot in the search as a dot", () => {
		const { query } = productQuery({ includeInactive: true, q: "v1.0" });
		expect(matchesText(query, { name: "Release v1.0", description: "" })).toBe(true);
		expect(matchesText(query, { name: "Release v100", description: "" })).toBe(false);
	});

	it("does not filter on a blank search", () => {
		expect(productQuery({ includeInactive: true, q: "   " }).query).toEqual({});
	});

	it.each([
		["price", ["priceCents", "name", "_id"]],
		["-price", ["-priceCents", "name", "_id"]],
		["name", ["name", "priceCents", "_id"]],
		["-name", ["-name", "priceCents", "_id"]],
	] as const)("maps sort %p to %p", (sort, expected) => {
		expect(productQuery({ includeInactive: false, sort }).sort).toEqual(expected);
	});

	it("combines all filters", () => {
		const { query } = productQuery({ includeInactive: false, category: "Books", q: "primer", sort: "-price" });
		expect(Object.keys(query).sort()).toEqual(["$or", "active", "category"]);
		expect(query.active).toBe(true);
		expect(query.category).toBe("books");
	});

	it("returns a fresh sort list each time", () => {
		const first = productQuery({ includeInactive: false, sort: "price" });
		first.sort.push("extra");
		expect(productQuery({ includeInactive: false, sort: "price" }).sort).toEqual(["priceCents", "name", "_id"]);
	});
});

describe("toProduct", () => {
	it("reads a product stored before weights were kept as weighing the default", () => {
		const doc: ProductDoc = newProduct({ sku: "old-1", name: "Old", category: "misc", priceCents: 100 }, "p1", new Date(0));
		delete doc.weightGrams;
		expect(toProduct(doc).weightGrams).toBe(DEFAULT_WEIGHT_GRAMS);
		expect(toProductSummary(doc).weightGrams).toBe(DEFAULT_WEIGHT_GRAMS);
	});

	it("renames _id to id and strips holds", () => {
		// Everything but the id and the holds is shown as stored.
		const shown = {
			sku: "SKU-1",
			name: "Mug",
			description: "A mug",
			category: "kitchen",
			priceCents: 899,
			currency: "EUR",
			weightGrams: 350,
			stock: 3,
			active: true,
			createdAt: "2030-01-01T00:00:00.000Z",
			updatedAt: "2030-01-02T00:00:00.000Z",
		};
		const doc: ProductDoc = { _id: "p1", ...shown, holds: { "order-1": 2 } };
		const product = toProduct(doc);
		expect(product).toEqual({ id: "p1", ...shown });
		expect(product).not.toHaveProperty("holds");
		expect(product).not.toHaveProperty("_id");
	});

	it("drops any other stored field", () => {
		const doc = { ...newProduct({ sku: "a", name: "b", category: "c", priceCents: 1 }, "p9", NOW), internal: "x" };
		expect(Object.keys(toProduct(doc)).sort()).toEqual([
			"active",
			"category",
			"createdAt",
			"currency",
			"description",
			"id",
			"name",
			"priceCents",
			"sku",
			"stock",
			"updatedAt",
			"weightGrams",
		]);
	});
});

describe("cache keys", () => {
	it("gives requests for the same page the same key, whatever the spelling", () => {
		expect(pageCacheKey({})).toBe(pageCacheKey({ page: 1, pageSize: 20, sort: "name" }));
		expect(pageCacheKey({ category: " Toys ", q: " lamp " })).toBe(pageCacheKey({ category: "toys", q: "lamp" }));
		expect(pageCacheKey({ pageSize: 500 })).toBe(pageCacheKey({ pageSize: 100 }));
	});

	it("gives different pages, filters and orders different keys", () => {
		const keys = [
			{},
			{ page: 2 },
			{ pageSize: 10 },
			{ category: "toys" },
			{ q: "toys" },
			{ sort: "-price" as const },
			{ category: "a", q: "b" },
			{ category: "a b" },
			{ q: '","' },
		].map(pageCacheKey);
		expect(new Set(keys).size).toBe(keys.length);
	});

	it("makes every page and the changed products' own reads and lookups stale, and nothing else", () => {
		expect(readsChangedBy(["p1", "p2", "p1"])).toEqual([
			"catalogue.list:**",
			productCacheKey("p1"),
			productCacheKey("p2"),
			lookupCacheKey("p1"),
			lookupCacheKey("p2"),
		]);
		expect(pageCacheKey({ q: "x.y" }).startsWith("catalogue.list:")).toBe(true);
	});

	it("makes the categories stale only when the change was more than stock", () => {
		expect(readsChangedBy(["p1"])).not.toContain(CATEGORIES_CACHE_KEY);
		expect(readsChangedBy(["p1"], true)).toEqual([...readsChangedBy(["p1"]), CATEGORIES_CACHE_KEY]);
		expect(readsChangedBy([], true)).toEqual(["catalogue.list:**", CATEGORIES_CACHE_KEY]);
	});

	it("counts the products of each category, by name", () => {
		expect(categoriesOf([{ category: "toys" }, { category: "books" }, { category: "toys" }])).toEqual([
			{ name: "books", products: 1 },
			{ name: "toys", products: 2 },
		]);
		expect(categoriesOf([])).toEqual([]);
	});
});
