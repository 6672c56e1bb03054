import { openApiPath } from "../../services/api/openapi/document";
import { adminToken, http, startShop, type TestShop } from "../helpers/shop";
import { rawRequest } from "../helpers/raw-http";

/*
 * The document the gateway serves and the routes it really serves are the same set: a route the
 * document does not describe, or a described operation nobody serves, fails here. The reference
 * page for people is served by the gateway itself, from its own origin only.
 */

type Document = { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };

describe("the API's own description", () => {
	let shop: TestShop;
	let document: Document;

	beforeAll(async () => {
		shop = await startShop();
		const res = await http(shop.baseUrl).get("/openapi.json");
		expect(res.status).toBe(200);
		document = res.body;
	});
	afterAll(() => shop.destroy());

	const documented = () =>
		Object.entries(document.paths)
			.flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
			.sort();

	it("is OpenAPI 3.1 and describes exactly the routes the gateway serves", async () => {
		expect(document.openapi).toBe("3.1.0");
		const aliases = (await shop.broker.call("api.listAliases")) as { methods: string; fullPath: string }[];
		const served = aliases.map((alias) => `${alias.methods} ${openApiPath(alias.fullPath.replace(/^\/api/, ""))}`).sort();
		expect(served.length).toBeGreaterThan(15);
		expect(documented()).toEqual(served);
	});

	it("names no operation that answers 405, or 404 where the path has no parameter", async () => {
		const admin = await adminToken(shop.baseUrl);
		for (const entry of documented()) {
			const [method, path] = entry.split(" ") as [string, string];
			const concrete = path.replace(/\{[^}]+\}/g, "no-such-id");
			const res = await rawRequest(shop.baseUrl, { method, path: concrete, headers: { authorization: `Bearer ${admin}` } });
			expect({ entry, allowed: res.status !== 405 }).toEqual({ entry, allowed: true });
			if (!path.includes("{")) expect({ entry, found: res.status !== 404 }).toEqual({ entry, found: true });
		}
	});

	it("describes the request limits the actions validate with, as the running services declare them", () => {
		const create = (document.paths["/orders"] as any).post;
		const items = create.requestBody.content["application/json"].schema.properties.items;
		expect(items).toMatchObject({ type: "array", minItems: 1, maxItems: 50 });
		expect(items.items.properties.qty).toMatchObject({ type: "integer", minimum: 1, maximum: 100 });
		expect(create.responses).toHaveProperty("201.links.ordersGet");
	});

	it("is unavailable (503), not wrong, while a service it describes has no node", async () => {
		const partial = await startShop({ services: ["api", "catalogue"] });
		try {
			const res = await http(partial.baseUrl).get("/openapi.json");
			expect(res.status).toBe(503);
			expect(res.body.error.type).toBe("SERVICE_UNAVAILABLE");
		} finally {
			await partial.destroy();
		}
	});

	it("serves the reference page and its files from its own origin, with no script from elsewhere", async () => {
		const page = await rawRequest(shop.baseUrl, { method: "GET", path: "/docs" });
		expect(page.status).toBe(200);
		expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
		expect(page.headers["content-security-policy"]).toMatch(/script-src 'self';/);
		const references = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
		expect(references.length).toBe(3);
		for (const reference of references) {
			expect(reference).toMatch(/^\/api\/docs\//);
			const asset = await rawRequest(shop.baseUrl, { method: "GET", path: reference.replace(/^\/api/, "") });
			expect({ reference, status: asset.status }).toEqual({ reference, status: 200 });
			expect(asset.headers["content-type"]).toMatch(/^text\/(css|javascript); charset=utf-8$/);
			expect(asset.headers["x-content-type-options"]).toBe("nosniff");
		}
		const start = await rawRequest(shop.baseUrl, { method: "GET", path: "/docs/start.js" });
		expect(start.text).toContain('url: "/api/openapi.json"');
		expect(start.text).toContain("validatorUrl: null");
	});
});
