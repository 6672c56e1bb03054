import { Errors, type ServiceSchema } from "moleculer";
import { http, signUp, startShop, type TestShop } from "../helpers/shop";
import { JSON_TYPE, rawRequest } from "../helpers/raw-http";

/*
 * An error tells the client what it did wrong (the field, the rule, a message), never how the
 * cluster is built: no node id, no internal action or service name, no stack, no copy of a
 * large value it sent.
 */

/** Stands in for catalogue.quote and fails the way a broken dependency would. */
const failingQuote: ServiceSchema = {
	name: "catalogue",
	actions: {
		list: () => ({ rows: [], total: 0, page: 1, pageSize: 20, totalPages: 0 }),
		quote: {
			visibility: "public",
			handler() {
				throw new Errors.MoleculerServerError("connection to mongodb://secret-host:27017 refused at Socket.connect", 500, "DB_DOWN", {
					host: "secret-host",
				});
			},
		},
	},
};

describe("what errors tell the client", () => {
	let shop: TestShop;
	let api: ReturnType<typeof http>;
	let customer: string;
	let internals: RegExp;

	beforeAll(async () => {
		shop = await startShop({ services: ["api", "customers", "orders"], extra: [failingQuote] });
		api = http(shop.baseUrl);
		customer = (await signUp(shop.baseUrl, "leaks@example.com")).token;
		internals = new RegExp(
			[
				shop.broker.nodeID,
				"customers\\.register",
				"orders\\.create",
				"catalogue\\.quote",
				"at \\w+ \\(",
				"\\.ts:\\d+",
				"node_modules",
				"secret-host",
			].join("|"),
		);
	});
	afterAll(() => shop.destroy());

	it("names the field, rule and message of a validation failure and nothing else", async () => {
		const res = await api.post("/auth/register", { email: "not-an-email", password: "short", name: "" });
		expect(res.status).toBe(422);
		for (const item of res.body.error.data) expect(Object.keys(item).sort()).toEqual(["field", "message", "type"]);
		expect(res.body.error.data.map((item: { field: string }) => item.field).sort()).toEqual(["email", "name", "password"]);
		expect(JSON.stringify(res.body)).not.toMatch(internals);
	});

	it("does not echo the values a client sent, however large", async () => {
		const huge = "A".repeat(20_000);
		const res = await rawRequest(shop.baseUrl, {
			method: "POST",
			path: "/auth/register",
			headers: JSON_TYPE,
			body: JSON.stringify({ email: { huge }, password: [huge], name: "N", [huge.slice(0, 5000)]: 1 }),
		});
		expect(res.status).toBe(422);
		expect(res.text).not.toContain(
			"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		);
		expect(res.text.length).toBeLessThan(4096);
	});

	it("says only 'something went wrong' when a service behind the gateway fails", async () => {
		const order = { items: [{ productId: "p1", qty: 1 }], shippingAddress: { name: "L", line1: "1 St", city: "C", postalCode: "1", country: "US" } };
		const res = await api.post("/orders", order, customer);
		expect(res.status).toBe(500);
		expect(res.body).toEqual({ error: { type: "INTERNAL_ERROR", message: "Something went wrong", code: 500 } });
	});

	it("names no service or node when a route's service is missing or a path is unknown", async () => {
		for (const res of [await api.get("/payments", customer), await api.get("/no/such/path"), await api.get("/$node/list")]) {
			expect(res.status === 404 || res.status === 503).toBe(true);
			expect(JSON.stringify(res.body)).not.toMatch(internals);
			expect(JSON.stringify(res.body)).not.toMatch(/payments|\$node/);
		}
	});
});

describe("a service the request needs on the way is down", () => {
	it("answers 503, not 404, when orders cannot reach any catalogue node, and names neither", async () => {
		const shop = await startShop({ services: ["api", "customers", "orders"] });
		try {
			const customer = (await signUp(shop.baseUrl, "down@example.com")).token;
			const order = { items: [{ productId: "p1", qty: 1 }], shippingAddress: { name: "D", line1: "1 St", city: "C", postalCode: "1", country: "US" } };
			const res = await http(shop.baseUrl).post("/orders", order, customer);
			expect(res.status).toBe(503);
			expect(res.body.error.type).toBe("SERVICE_UNAVAILABLE");
			expect(JSON.stringify(res.body)).not.toMatch(/catalogue|quote/);
		} finally {
			await shop.destroy();
		}
	});
});
