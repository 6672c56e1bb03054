import { startShopWithUsers, type ShopWithUsers, type TestShop } from "../helpers/shop";
import { JSON_TYPE, rawRequest } from "../helpers/raw-http";

/*
 * Each route takes its params from the sources it declares: reads from the path and the query
 * string, writes from the path and a JSON object body. A value smuggled in through another
 * source, a key that reaches the params' prototype, or a body that is not an object is refused,
 * and nothing is stored.
 */

const address = { name: "Param Tester", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };

describe("where params come from", () => {
	let shop: TestShop, api: ShopWithUsers["api"], customer: string, admin: string, productId: string;
	beforeAll(async () => ({ shop, api, customer, admin, productId } = await startShopWithUsers("params@example.com")));
	afterAll(() => shop.destroy());

	const send = (method: string, path: string, body?: string, token?: string) =>
		rawRequest(shop.baseUrl, { method, path, headers: { ...JSON_TYPE, ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });
	const orderCount = async () => (await api.get("/orders", customer)).body.total as number;

	describe("writes take nothing from the query string", () => {
		it("refuses a password in the query string of a login, with or without a body", async () => {
			const withBody = await send("POST", "/auth/login?password=correct-horse-battery", JSON.stringify({ email: "params@example.com" }));
			expect([withBody.status, withBody.json.error.type]).toEqual([400, "UNEXPECTED_QUERY"]);
			const queryOnly = await send("POST", "/auth/login?email=params@example.com&password=correct-horse-battery");
			expect([queryOnly.status, queryOnly.json.error.type]).toEqual([400, "UNEXPECTED_QUERY"]);
		});

		it("does not let a query parameter override a body field", async () => {
			const before = await orderCount();
			const res = await send(
				"POST",
				"/orders?paymentMethod=tok_chargeDeclined",
				JSON.stringify({ items: [{ productId, qty: 1 }], shippingAddress: address }),
				customer,
			);
			expect([res.status, res.json.error.type]).toEqual([400, "UNEXPECTED_QUERY"]);
			const patched = await send("PATCH", `/products/${productId}?priceCents=1`, JSON.stringify({ name: "Renamed" }), admin);
			expect([patched.status, patched.json.error.type]).toEqual([400, "UNEXPECTED_QUERY"]);
			expect((await api.get(`/products/${productId}`)).body.name).not.toBe("Renamed");
			expect(await orderCount()).toBe(before);
		});
	});

	describe("PUT is a write: path and body, nothing from the query string", () => {
		it("takes a cart line's quantity from the body and its product from the path", async () => {
			const res = await send("PUT", `/cart/items/${productId}`, JSON.stringify({ qty: 2 }), customer);
			expect(res.status).toBe(200);
			expect(res.json.lines.map((line: { productId: string; qty: number }) => [line.productId, line.qty])).toEqual([[productId, 2]]);
		});

		it("refuses the quantity in the query string, the product again in the body, and no body at all", async () => {
			const query = await send("PUT", `/cart/items/${productId}?qty=5`, JSON.stringify({ qty: 3 }), customer);
			expect([query.status, query.json.error.type]).toEqual([400, "UNEXPECTED_QUERY"]);
			const twice = await send("PUT", `/cart/items/${productId}`, JSON.stringify({ productId: "other-product", qty: 3 }), customer);
			expect([twice.status, twice.json.error.type]).toEqual([400, "PARAM_CONFLICT"]);
			const none = await send("PUT", `/cart/items/${productId}`, undefined, customer);
			expect([none.status, none.json.error.type]).toEqual([400, "BODY_REQUIRED"]);
			const cart = await api.get("/cart", customer);
			expect(cart.body.lines.map((line: { qty: number }) => line.qty)).toEqual([2]);
		});
	});

	describe("reads take nothing from a body", () => {
		it("refuses a body on a GET, whether or not the read takes params", async () => {
			const read = await send("GET", "/products", JSON.stringify({ pageSize: 1 }));
			expect([read.status, read.json.error.type]).toEqual([400, "UNEXPECTED_BODY"]);
			const profile = await send("GET", "/me", JSON.stringify({ id: "someone-else" }), customer);
			expect([profile.status, profile.json.error.type]).toEqual([400, "UNEXPECTED_BODY"]);
			const chunked = await rawRequest(shop.baseUrl, { method: "GET", path: `/products/${productId}`, headers: JSON_TYPE, chunked: true, body: "{}" });
			expect([chunked.status, chunked.json.error.type]).toEqual([400, "UNEXPECTED_BODY"]);
		});
	});

	describe("the path is not given twice", () => {
		it("refuses a body or query field named like a path parameter", async () => {
			const patched = await send("PATCH", `/products/${productId}`, JSON.stringify({ id: "other-product", name: "Moved" }), admin);
			expect([patched.status, patched.json.error.type]).toEqual([400, "PARAM_CONFLICT"]);
			const read = await send("GET", `/products/${productId}?id=other-product`);
			expect([read.status, read.json.error.type]).toEqual([400, "PARAM_CONFLICT"]);
		});
	});

	describe("keys that reach the prototype", () => {
		const order = { items: [{ productId, qty: 1 }], shippingAddress: address };
		const smuggled = [
			{
				name: "an order's items inside __proto__",
				body: () => `{"shippingAddress":${JSON.stringify(address)},"__proto__":{"items":[{"productId":"${productId}","qty":1}]}}`,
			},
			{
				name: "__proto__ inside an address",
				body: () => JSON.stringify({ ...order, shippingAddress: { ...address } }).replace('"country"', '"__proto__":{"admin":true},"country"'),
			},
			{ name: "constructor.prototype at the top", body: () => JSON.stringify({ ...order, constructor: { prototype: { role: "admin" } } }) },
			{ name: "prototype inside an item", body: () => JSON.stringify({ ...order, items: [{ productId, qty: 1, prototype: {} }] }) },
		];
		for (const attack of smuggled) {
			it(`refuses ${attack.name} with 400 FORBIDDEN_KEY and stores no order`, async () => {
				const before = await orderCount();
				const res = await send("POST", "/orders", attack.body(), customer);
				expect([res.status, res.json.error.type]).toEqual([400, "FORBIDDEN_KEY"]);
				expect(await orderCount()).toBe(before);
			});
		}

		it("refuses __proto__ on registration, so no field can come from a prototype", async () => {
			const res = await send("POST", "/auth/register", '{"email":"proto@example.com","name":"P","__proto__":{"password":"long-enough-pw"}}');
			expect([res.status, res.json.error.type]).toEqual([400, "FORBIDDEN_KEY"]);
			expect((await api.post("/auth/login", { email: "proto@example.com", password: "long-enough-pw" })).status).toBe(401);
		});

		it("ignores prototype keys in a query string", async () => {
			const res = await api.get("/products?__proto__[pageSize]=1&constructor[prototype][x]=1");
			expect(res.status).toBe(200);
			expect(res.body.pageSize).toBe(20);
			expect(({} as Record<string, unknown>).pageSize).toBeUndefined();
		});
	});

	describe("a body is a JSON object", () => {
		for (const body of ["[]", '[{"name":"x"}]', "null", '"a string"', "42", "true"]) {
			it(`refuses ${body} as a body with 400 BODY_NOT_AN_OBJECT and changes nothing`, async () => {
				const res = await send("PATCH", "/me", body, customer);
				expect([res.status, res.json.error.type]).toEqual([400, "BODY_NOT_AN_OBJECT"]);
				const created = await send("POST", "/products", body, admin);
				expect([created.status, created.json.error.type]).toEqual([400, "BODY_NOT_AN_OBJECT"]);
			});
		}

		it("refuses a write without a body where the route takes one", async () => {
			const res = await send("PATCH", "/me", undefined, customer);
			expect([res.status, res.json.error.type]).toEqual([400, "BODY_REQUIRED"]);
		});

		it("needs no body where the route takes nothing beyond the path", async () => {
			const order = await api.post("/orders", { items: [{ productId, qty: 1 }], shippingAddress: address }, customer);
			const cancelled = await send("POST", `/orders/${order.body.id}/cancel`, undefined, customer);
			expect(cancelled.status).toBe(200);
		});
	});
});
