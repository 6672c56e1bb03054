import type { Cart, MergeCartResult, Order } from "../../contracts";
import { adminToken, http, signUp, startShop, type TestShop, TEST_ADDRESS } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/*
 * The cart over HTTP, in a whole shop: lines set, changed and removed; each line priced from the
 * catalogue as it is now and flagged when that changed; checkout placing an order through the
 * saga and emptying the cart only once the order exists; one customer's cart out of another's reach.
 */

const address = TEST_ADDRESS;

describe("the cart", () => {
	let shop: TestShop;
	let api: ReturnType<typeof http>;
	let admin: string;
	let skus = 0;

	beforeAll(async () => {
		shop = await startShop({ env: { OUTBOX_RELAY_MS: "100", EVENT_RETRY_BASE_MS: "20" } });
		api = http(shop.baseUrl);
		admin = await adminToken(shop.baseUrl);
	});
	afterAll(() => shop.destroy());

	async function newProduct(fields: { priceCents?: number; stock?: number; currency?: string } = {}): Promise<string> {
		const res = await api.post(
			"/products",
			{ sku: `CART-${++skus}`, name: `Cart product ${skus}`, category: "carts", priceCents: 1000, stock: 50, ...fields },
			admin,
		);
		expect(res.status).toBe(201);
		return res.body.id;
	}
	let customers = 0;
	const newCustomer = async () => (await signUp(shop.baseUrl, `cart-${++customers}@example.com`)).token;

	const cartOf = async (token: string) => {
		const res = await api.get<Cart>("/cart", token);
		expect(res.status).toBe(200);
		return res.body;
	};
	const linesOf = async (token: string) => (await cartOf(token)).lines.map((line) => [line.productId, line.qty]);
	/** The answer is a Cart, or the error shape when refused. */
	const setQty = (token: string, productId: string, qty: unknown) => api.put(`/cart/items/${productId}`, { qty }, token);
	const orderCount = async (token: string) => (await api.get("/orders", token)).body.total as number;

	it("starts empty, then adds, changes and removes lines, a quantity of 0 removing its line", async () => {
		const token = await newCustomer();
		const [a, b] = [await newProduct({ priceCents: 899 }), await newProduct({ priceCents: 250 })];
		expect(await cartOf(token)).toEqual({ customerId: expect.any(String), lines: [], totalCents: 0, itemCount: 0 });

		const added = await setQty(token, a, 2);
		expect(added.status).toBe(200);
		expect(added.body).toMatchObject({ totalCents: 1798, currency: "EUR", itemCount: 2 });
		expect(added.body.lines).toEqual([
			{
				productId: a,
				sku: expect.stringMatching(/^CART-/),
				name: expect.stringMatching(/^Cart product/),
				qty: 2,
				unitPriceCents: 899,
				addedUnitPriceCents: 899,
				currency: "EUR",
				lineTotalCents: 1798,
				active: true,
				stock: 50,
				issues: [],
			},
		]);
		expect((await setQty(token, b, 3)).body.totalCents).toBe(1798 + 750);
		expect(((await setQty(token, a, 5)).body as Cart).lines.map((line) => [line.productId, line.qty])).toEqual([
			[a, 5],
			[b, 3],
		]);
		expect(((await setQty(token, b, 0)).body as Cart).lines.map((line) => line.productId)).toEqual([a]);
		const removed = await api.delete<Cart>(`/cart/items/${a}`, token);
		expect([removed.status, removed.body.lines]).toEqual([200, []]);
		// Removing what is not there is harmless, as a repeated DELETE should be.
		expect((await api.delete<Cart>(`/cart/items/${a}`, token)).status).toBe(200);

		await setQty(token, a, 1);
		await setQty(token, b, 1);
		const cleared = await api.delete<Cart>("/cart", token);
		expect([cleared.status, cleared.body.lines, cleared.body.totalCents]).toEqual([200, [], 0]);
		expect(await linesOf(token)).toEqual([]);
	});

	it("needs a token for every cart route", async () => {
		const productId = await newProduct();
		for (const res of [
			await api.get("/cart"),
			await setQty("", productId, 1),
			await api.delete(`/cart/items/${productId}`),
			await api.delete("/cart"),
			await api.post("/cart/merge", { items: [{ productId, qty: 1 }] }),
			await api.post("/cart/checkout", { shippingAddress: address }),
		]) {
			expect([res.status, res.body.error.type]).toEqual([401, "TOKEN_MISSING"]);
		}
	});

	it("takes quantities from 1 to 100 (0 removes) as integers, and refuses anything else without changing the cart", async () => {
		const token = await newCustomer();
		const productId = await newProduct({ stock: 500 });
		expect((await setQty(token, productId, 100)).status).toBe(200);
		for (const qty of [101, -1, 1.5, "2", null, true]) {
			const res = await setQty(token, productId, qty);
			expect({ qty, status: res.status, type: res.body.error.type }).toEqual({ qty, status: 422, type: "VALIDATION_ERROR" });
		}
		const missing = await api.put(`/cart/items/${productId}`, {}, token);
		expect([missing.status, missing.body.error.type]).toEqual([422, "VALIDATION_ERROR"]);
		expect(await linesOf(token)).toEqual([[productId, 100]]);
	});

	it("refuses a product that does not exist or is inactive with 404, and never takes a price from the client", async () => {
		const token = await newCustomer();
		const inactive = await newProduct();
		expect((await api.post(`/products/${inactive}/deactivate`, undefined, admin)).status).toBe(200);
		for (const productId of ["no-such-product", inactive]) {
			const res = await setQty(token, productId, 1);
			expect([res.status, res.body.error.type, res.body.error.data]).toEqual([404, "PRODUCT_NOT_FOUND", { id: productId }]);
		}
		const productId = await newProduct({ priceCents: 1234 });
		const priced = await api.put(`/cart/items/${productId}`, { qty: 1, unitPriceCents: 1 }, token);
		expect([priced.status, priced.body.error.type]).toEqual([422, "VALIDATION_ERROR"]);
		expect(await linesOf(token)).toEqual([]);
	});

	it("holds at most 50 different products, naming the rule and the product it refused", async () => {
		const token = await newCustomer();
		const products = await Promise.all(Array.from({ length: 51 }, () => newProduct()));
		for (const productId of products.slice(0, 50)) expect((await setQty(token, productId, 1)).status).toBe(200);
		const refused = await setQty(token, products[50]!, 1);
		expect([refused.status, refused.body.error.type, refused.body.error.data]).toEqual([409, "CART_FULL", { productId: products[50], max: 50 }]);
		// A line it holds can still change, and one removed makes room.
		expect((await setQty(token, products[0]!, 7)).status).toBe(200);
		await api.delete(`/cart/items/${products[1]}`, token);
		expect((await setQty(token, products[50]!, 1)).status).toBe(200);
		expect((await cartOf(token)).lines).toHaveLength(50);
	});

	it("refuses a product priced in another currency than the cart's", async () => {
		const token = await newCustomer();
		const [eur, usd] = [await newProduct(), await newProduct({ currency: "USD" })];
		await setQty(token, eur, 1);
		const refused = await setQty(token, usd, 1);
		expect([refused.status, refused.body.error.type, refused.body.error.data]).toEqual([
			422,
			"MIXED_CURRENCIES",
			{ productId: usd, currencies: ["EUR", "USD"] },
		]);
	});

	it("prices each line as the catalogue has it now, flagging a changed price and short stock until the line is set again", async () => {
		const token = await newCustomer();
		const productId = await newProduct({ priceCents: 1000, stock: 5 });
		await setQty(token, productId, 3);

		expect((await api.patch(`/products/${productId}`, { priceCents: 1200 }, admin)).status).toBe(200);
		let cart = await cartOf(token);
		expect(cart.lines[0]).toMatchObject({ unitPriceCents: 1200, addedUnitPriceCents: 1000, lineTotalCents: 3600, issues: ["PRICE_CHANGED"] });
		expect(cart.totalCents).toBe(3600);

		expect((await api.patch(`/products/${productId}`, { stock: 2 }, admin)).status).toBe(200);
		cart = await cartOf(token);
		expect(cart.lines[0]).toMatchObject({ stock: 2, issues: ["PRICE_CHANGED", "STOCK_SHORT"] });

		// Setting the quantity again is the customer seeing today's price and stock.
		cart = (await setQty(token, productId, 2)).body;
		expect(cart.lines[0]).toMatchObject({ qty: 2, unitPriceCents: 1200, addedUnitPriceCents: 1200, issues: [] });
		expect(cart.totalCents).toBe(2400);
	});

	it("checks out: a 201 order for the cart's lines at current prices that the saga confirms, and an emptied cart", async () => {
		const token = await newCustomer();
		const [a, b] = [await newProduct({ priceCents: 1500, stock: 10 }), await newProduct({ priceCents: 300, stock: 10 })];
		await setQty(token, a, 2);
		await setQty(token, b, 1);

		const res = await api.post<Order>("/cart/checkout", { shippingAddress: address, paymentMethod: "tok_visa" }, token);
		expect(res.status).toBe(201);
		expect(res.headers.get("location")).toBe(`/api/orders/${res.body.id}`);
		// 1.5 kg to London: Europe's standard band up to 5 kg.
		expect(res.body).toMatchObject({
			status: "PENDING",
			goodsCents: 3300,
			shippingCents: 1490,
			totalCents: 4790,
			currency: "EUR",
			paymentMethod: "tok_visa",
		});
		const byProduct = (items: [string, number, number][]) => new Map(items.map(([productId, ...rest]) => [productId, rest]));
		expect(byProduct(res.body.items.map((item) => [item.productId, item.qty, item.unitPriceCents]))).toEqual(
			byProduct([
				[a, 2, 1500],
				[b, 1, 300],
			]),
		);
		expect(await linesOf(token)).toEqual([]);

		const order = await waitFor(
			async () => (await api.get<Order>(`/orders/${res.body.id}`, token)).body,
			(current) => current.status === "CONFIRMED" || current.status === "CANCELLED",
		);
		expect(order.status).toBe("CONFIRMED");
		expect((await api.get(`/products/${a}`)).body.stock).toBe(8);
	});

	describe("a checkout that is refused leaves the cart as it was and places no order", () => {
		it("for an empty cart", async () => {
			const token = await newCustomer();
			const res = await api.post("/cart/checkout", { shippingAddress: address }, token);
			expect([res.status, res.body.error.type]).toEqual([409, "CART_EMPTY"]);
			expect(await orderCount(token)).toBe(0);
		});

		it("for a line whose product was deactivated, naming it, until the line is removed", async () => {
			const token = await newCustomer();
			const [kept, dropped] = [await newProduct(), await newProduct()];
			await setQty(token, kept, 1);
			await setQty(token, dropped, 2);
			expect((await api.post(`/products/${dropped}/deactivate`, undefined, admin)).status).toBe(200);

			const cart = await cartOf(token);
			expect(cart.lines.map((line) => [line.productId, line.active, line.issues])).toEqual([
				[kept, true, []],
				[dropped, false, ["UNAVAILABLE"]],
			]);
			expect(cart.totalCents).toBe(1000);

			const res = await api.post("/cart/checkout", { shippingAddress: address }, token);
			expect([res.status, res.body.error.type, res.body.error.data]).toEqual([
				409,
				"CART_LINE_UNAVAILABLE",
				{ productId: dropped, productIds: [dropped] },
			]);
			expect(await cartOf(token)).toEqual(cart);
			expect(await orderCount(token)).toBe(0);

			// A quantity of 0 takes the line out even though its product is no longer for sale.
			expect((await setQty(token, dropped, 0)).status).toBe(200);
			expect((await api.post("/cart/checkout", { shippingAddress: address }, token)).status).toBe(201);
		});

		it("for a line with less in stock than its quantity, naming it", async () => {
			const token = await newCustomer();
			const productId = await newProduct({ stock: 3 });
			await setQty(token, productId, 3);
			expect((await api.patch(`/products/${productId}`, { stock: 2 }, admin)).status).toBe(200);
			const res = await api.post("/cart/checkout", { shippingAddress: address }, token);
			expect([res.status, res.body.error.type, res.body.error.data]).toEqual([409, "CART_STOCK_SHORT", { productId, productIds: [productId] }]);
			expect(await linesOf(token)).toEqual([[productId, 3]]);
			expect(await orderCount(token)).toBe(0);
		});

		it("for a shipping address or payment method the shop does not take", async () => {
			const token = await newCustomer();
			const productId = await newProduct();
			await setQty(token, productId, 1);
			const res = await api.post("/cart/checkout", { shippingAddress: { ...address, country: "GBR" } }, token);
			expect([res.status, res.body.error.type]).toEqual([422, "VALIDATION_ERROR"]);
			const unknownMethod = await api.post("/cart/checkout", { shippingAddress: address, paymentMethod: "visa" }, token);
			expect([unknownMethod.status, unknownMethod.body.error.type]).toEqual([422, "VALIDATION_ERROR"]);
			expect(await linesOf(token)).toEqual([[productId, 1]]);
			expect(await orderCount(token)).toBe(0);
		});
	});

	it("shows each customer only their own cart, and nobody can change or check out another's", async () => {
		const [ada, bob] = [await newCustomer(), await newCustomer()];
		const productId = await newProduct();
		await setQty(ada, productId, 4);

		expect((await cartOf(bob)).lines).toEqual([]);
		await api.delete(`/cart/items/${productId}`, bob);
		await api.delete("/cart", bob);
		const bobs = await api.post("/cart/checkout", { shippingAddress: address }, bob);
		expect([bobs.status, bobs.body.error.type]).toEqual([409, "CART_EMPTY"]);
		// A customer id sent along is not a parameter of any cart route.
		const smuggled = await api.get(`/cart?customerId=${(await cartOf(ada)).customerId}`, bob);
		expect([smuggled.status, smuggled.body.error.type]).toEqual([422, "VALIDATION_ERROR"]);

		expect(await linesOf(ada)).toEqual([[productId, 4]]);
		expect((await cartOf(ada)).customerId).not.toBe((await cartOf(bob)).customerId);
	});

	it("merges a guest's cart: quantities summed and capped at 100, unknown and inactive products reported, not taken", async () => {
		const token = await newCustomer();
		const [a, b, off] = [await newProduct({ stock: 500 }), await newProduct(), await newProduct()];
		await api.post(`/products/${off}/deactivate`, undefined, admin);
		await setQty(token, a, 70);

		const res = await api.post<MergeCartResult>(
			"/cart/merge",
			{
				items: [
					{ productId: a, qty: 50 },
					{ productId: b, qty: 2 },
					{ productId: "no-such-product", qty: 1 },
					{ productId: off, qty: 1 },
					{ productId: b, qty: 1 },
				],
			},
			token,
		);
		expect(res.status).toBe(200);
		expect(res.body.lines).toEqual([
			{ productId: a, outcome: "QTY_CAPPED", qty: 100 },
			{ productId: b, outcome: "MERGED", qty: 3 },
			{ productId: "no-such-product", outcome: "UNAVAILABLE", qty: 0 },
			{ productId: off, outcome: "UNAVAILABLE", qty: 0 },
		]);
		expect(res.body.cart.lines.map((line) => [line.productId, line.qty])).toEqual([
			[a, 100],
			[b, 3],
		]);
		expect(await linesOf(token)).toEqual([
			[a, 100],
			[b, 3],
		]);
	});

	it("loses no change when one customer changes the cart from several requests at once", async () => {
		const token = await newCustomer();
		const products = await Promise.all(Array.from({ length: 12 }, () => newProduct()));
		const answers = await Promise.all(products.map((productId, index) => setQty(token, productId, index + 1)));
		expect(answers.map((res) => res.status)).toEqual(products.map(() => 200));
		expect((await linesOf(token)).sort()).toEqual(products.map((productId, index) => [productId, index + 1]).sort());

		// Removals and changes at once, too: each lands on the cart the others left.
		const changes = await Promise.all([
			...products.slice(0, 6).map((productId) => api.delete(`/cart/items/${productId}`, token)),
			...products.slice(6).map((productId) => setQty(token, productId, 50)),
		]);
		expect(changes.map((res) => res.status)).toEqual(products.map(() => 200));
		expect((await linesOf(token)).sort()).toEqual(
			products
				.slice(6)
				.map((productId) => [productId, 50])
				.sort(),
		);
	});
});

describe("a checkout whose order cannot be placed", () => {
	it("answers 503 and keeps the cart as it was when no orders node is up", async () => {
		const shop = await startShop({ services: ["api", "catalogue", "customers", "carts"] });
		try {
			const api = http(shop.baseUrl);
			const token = (await signUp(shop.baseUrl, "no-orders@example.com")).token;
			const productId = (await api.get("/products?pageSize=1")).body.rows[0].id as string;
			expect((await api.put(`/cart/items/${productId}`, { qty: 2 }, token)).status).toBe(200);
			const before = (await api.get<Cart>("/cart", token)).body;

			const res = await api.post("/cart/checkout", { shippingAddress: address }, token);
			expect([res.status, res.body.error.type]).toEqual([503, "SERVICE_UNAVAILABLE"]);
			expect((await api.get<Cart>("/cart", token)).body).toEqual(before);
		} finally {
			await shop.destroy();
		}
	});
});
