import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { startShop, startShopWithUsers, type ShopWithUsers, type TestShop } from "../helpers/shop";
import { JSON_TYPE, rawRequest } from "../helpers/raw-http";

/*
 * Headers a browser or a cache in front of the shop relies on: no answer is sniffed as
 * something else, tokens and personal data are never stored by a cache, and public catalogue
 * reads carry an entity tag, so a repeated read costs the shop a 304 and no body.
 */

describe("response headers", () => {
	let shop: TestShop, api: ShopWithUsers["api"], customer: string, admin: string, productId: string;
	beforeAll(
		async () => ({ shop, api, customer, admin, productId } = await startShopWithUsers("headers@example.com", { env: { PUBLIC_MAX_AGE_SECONDS: "7" } })),
	);
	afterAll(() => shop.destroy());

	it("sends X-Content-Type-Options: nosniff on every kind of answer", async () => {
		const answers = [
			await rawRequest(shop.baseUrl, { method: "GET", path: "/products" }),
			await rawRequest(shop.baseUrl, { method: "GET", path: "/me" }),
			await rawRequest(shop.baseUrl, { method: "GET", path: "/nowhere" }),
			await rawRequest(shop.baseUrl, { method: "OPTIONS", path: "/products" }),
			await rawRequest(shop.baseUrl, { method: "PUT", path: "/products" }),
			await rawRequest(shop.baseUrl, { method: "POST", path: "/auth/login", headers: JSON_TYPE, body: "{" }),
			await rawRequest(shop.baseUrl, { method: "GET", path: "/health" }),
		];
		for (const res of answers)
			expect({ status: res.status, nosniff: res.headers["x-content-type-options"] }).toEqual({ status: res.status, nosniff: "nosniff" });
	});

	it("marks tokens, profiles, orders and errors Cache-Control: no-store", async () => {
		const login = await api.post("/auth/login", { email: "headers@example.com", password: "correct-horse-battery" });
		const answers = [login, await api.get("/me", customer), await api.get("/orders", customer), await api.get("/customers", admin), await api.get("/me")];
		for (const res of answers) expect(res.headers.get("cache-control")).toBe("no-store");
	});

	it("lets caches keep a public product or page read for a short while, with an ETag", async () => {
		for (const path of [`/products/${productId}`, "/products?pageSize=3"]) {
			const res = await api.get(path);
			expect(res.headers.get("cache-control")).toBe("public, max-age=7");
			expect(res.headers.get("vary")).toBe("Authorization");
			expect(res.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]+"$/);
		}
	});

	it("answers If-None-Match with 304 and no body while the product is unchanged, and 200 once it changes", async () => {
		const first = await api.get(`/products/${productId}`);
		const etag = first.headers.get("etag")!;
		const again = await rawRequest(shop.baseUrl, { method: "GET", path: `/products/${productId}`, headers: { "if-none-match": etag } });
		expect(again.status).toBe(304);
		expect(again.text).toBe("");
		expect(again.headers.etag).toBe(etag);

		expect((await api.patch(`/products/${productId}`, { name: "A New Name" }, admin)).status).toBe(200);
		const changed = await rawRequest(shop.baseUrl, { method: "GET", path: `/products/${productId}`, headers: { "if-none-match": etag } });
		expect(changed.status).toBe(200);
		expect(changed.json.name).toBe("A New Name");
		expect(changed.headers.etag).not.toBe(etag);
	});

	it("never marks an admin's catalogue read public: it includes inactive products", async () => {
		const res = await api.get(`/products/${productId}`, admin);
		expect(res.headers.get("cache-control")).toBe("no-store");
		expect(res.headers.get("etag")).toBeNull();
	});
});

describe("where the gateway listens", () => {
	const addressOf = (shop: TestShop) => ((shop.broker.getLocalService("api") as unknown as { server: Server }).server.address() as AddressInfo).address;

	it("listens on loopback only unless HOST says otherwise", async () => {
		const shop = await startShop({ services: ["api"] });
		try {
			expect(addressOf(shop)).toBe("127.0.0.1");
		} finally {
			await shop.destroy();
		}
	});

	it("listens where HOST says", async () => {
		const shop = await startShop({ services: ["api"], env: { HOST: "0.0.0.0" } });
		try {
			expect(addressOf(shop)).toBe("0.0.0.0");
		} finally {
			await shop.destroy();
		}
	});
});
