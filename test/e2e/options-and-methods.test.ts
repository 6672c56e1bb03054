import { http, startShopWithUsers, type ShopWithUsers, type TestShop } from "../helpers/shop";
import { rawRequest } from "../helpers/raw-http";

/*
 * moleculer-web turns OPTIONS into the method named by Access-Control-Request-Method (or GET)
 * and routes it: a preflight could cancel an order or deactivate a product. OPTIONS must never
 * reach an action, with CORS configured or not, and a method a path does not serve is a 405.
 */

async function placedOrder(baseUrl: string, token: string): Promise<string> {
	const product = (await http(baseUrl).get("/products?pageSize=1")).body.rows[0];
	const shippingAddress = { name: "Pre Flight", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };
	const res = await http(baseUrl).post("/orders", { items: [{ productId: product.id, qty: 1 }], shippingAddress }, token);
	expect(res.status).toBe(201);
	return res.body.id;
}

for (const cors of [undefined, "https://shop.example"]) {
	describe(`OPTIONS ${cors ? "with CORS configured" : "without CORS"}`, () => {
		let shop: TestShop, api: ShopWithUsers["api"], customer: string, admin: string;
		beforeAll(
			async () => ({ shop, api, customer, admin } = await startShopWithUsers("preflight@example.com", { env: cors ? { CORS_ORIGINS: cors } : {} })),
		);
		afterAll(() => shop.destroy());

		const options = (path: string, headers: Record<string, string> = {}) => rawRequest(shop.baseUrl, { method: "OPTIONS", path, headers });
		const preflight = (method: string) => ({ origin: cors ?? "https://elsewhere.example", "access-control-request-method": method });

		it("does not cancel an order, whatever the preflight names or whoever sends it", async () => {
			const orderId = await placedOrder(shop.baseUrl, customer);
			for (const headers of [
				preflight("POST"),
				{ ...preflight("POST"), authorization: `Bearer ${customer}` },
				{ authorization: `Bearer ${admin}` },
				{},
			] as Record<string, string>[]) {
				const res = await options(`/orders/${orderId}/cancel`, headers);
				expect(res.status).toBe(204);
				expect(res.text).toBe("");
			}
			const order = await api.get(`/orders/${orderId}`, customer);
			expect(order.body.history.map((step: { reason: string }) => step.reason)).not.toContain("CUSTOMER_CANCELLED");
		});

		it("does not deactivate a product", async () => {
			const product = (await api.get("/products?pageSize=1")).body.rows[0];
			for (const headers of [{ ...preflight("POST"), authorization: `Bearer ${admin}` }, { authorization: `Bearer ${admin}` }]) {
				expect((await options(`/products/${product.id}/deactivate`, headers)).status).toBe(204);
			}
			expect((await api.get(`/products/${product.id}`, admin)).body.active).toBe(true);
		});

		it("returns no profile and runs no read", async () => {
			for (const headers of [{ ...preflight("GET"), authorization: `Bearer ${customer}` }, { authorization: `Bearer ${customer}` }]) {
				const res = await options("/me", headers);
				expect(res.status).toBe(204);
				expect(res.text).not.toContain("preflight@example.com");
			}
		});

		it("names the methods a path serves in Allow", async () => {
			expect((await options("/products/abc")).headers.allow).toBe("GET, PATCH, OPTIONS");
			expect((await options("/products/abc/deactivate")).headers.allow).toBe("POST, OPTIONS");
			expect((await options("/orders")).headers.allow).toBe("POST, GET, OPTIONS");
			expect((await options("/products/")).headers.allow).toBe("GET, POST, OPTIONS");
			expect((await options("/cart/items/abc")).headers.allow).toBe("PUT, DELETE, OPTIONS");
			expect((await options("/cart")).headers.allow).toBe("GET, DELETE, OPTIONS");
		});

		it("does not put a product in the cart on a preflight for PUT", async () => {
			const product = (await api.get("/products?pageSize=1")).body.rows[0];
			const res = await options(`/cart/items/${product.id}`, { ...preflight("PUT"), authorization: `Bearer ${customer}` });
			expect(res.status).toBe(204);
			expect((await api.get("/cart", customer)).body.lines).toEqual([]);
		});

		it("answers 404 for a path the shop does not serve", async () => {
			const res = await options("/nowhere", preflight("GET"));
			expect(res.status).toBe(404);
			expect(res.json.error.type).toBe("NOT_FOUND");
		});

		if (cors) {
			it("gives the configured origin the CORS headers and refuses another origin with 403", async () => {
				const allowed = await options("/orders", preflight("POST"));
				expect(allowed.headers["access-control-allow-origin"]).toBe(cors);
				expect(allowed.headers["access-control-allow-methods"]).toBe("POST, GET, OPTIONS");
				const refused = await options("/orders", { origin: "https://evil.example", "access-control-request-method": "POST" });
				expect(refused.status).toBe(403);
				expect(refused.json.error.type).toBe("ORIGIN_NOT_ALLOWED");
			});
		} else {
			it("sends no CORS headers when CORS is not configured", async () => {
				const res = await options("/orders", preflight("POST"));
				expect(res.headers["access-control-allow-origin"]).toBeUndefined();
			});
		}

		it("answers a method a path does not serve with 405 and Allow, before any action runs", async () => {
			const product = (await api.get("/products?pageSize=1")).body.rows[0];
			for (const method of ["PUT", "POST", "DELETE", "TRACE", "HEAD"]) {
				const res = await rawRequest(shop.baseUrl, { method, path: `/products/${product.id}`, headers: { authorization: `Bearer ${admin}` } });
				expect({ method, status: res.status }).toEqual({ method, status: 405 });
				expect(res.headers.allow).toBe("GET, PATCH, OPTIONS");
				if (method !== "HEAD") expect(res.json.error.type).toBe("METHOD_NOT_ALLOWED");
			}
			const deleted = await rawRequest(shop.baseUrl, { method: "DELETE", path: "/orders", headers: { authorization: `Bearer ${admin}` } });
			expect(deleted.status).toBe(405);
			const put = await rawRequest(shop.baseUrl, { method: "PUT", path: "/cart", headers: { authorization: `Bearer ${admin}` } });
			expect([put.status, put.headers.allow]).toEqual([405, "GET, DELETE, OPTIONS"]);
			expect((await api.get(`/products/${product.id}`)).status).toBe(200);
		});
	});
}
