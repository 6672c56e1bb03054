import { AccessTokens } from "../../lib/auth-token";
import { adminToken, ALL_SERVICES, http, signUp, startShop, TEST_ADMIN, TEST_JWT_SECRET, type TestShop } from "../helpers/shop";

/** Every failure the gateway answers has this one shape. */
function expectError(res: { status: number; body: any }, status: number, type?: string) {
	expect(res.status).toBe(status);
	expect(res.body).toEqual({
		error: expect.objectContaining({ type: type ?? expect.any(String), message: expect.any(String), code: status }),
	});
}

describe("the shop over HTTP", () => {
	let shop: TestShop;
	let api: ReturnType<typeof http>;
	let admin: string;

	beforeAll(async () => {
		shop = await startShop({ env: { BODY_LIMIT: "2kb", CORS_ORIGINS: "https://shop.example" } });
		api = http(shop.baseUrl);
		admin = await adminToken(shop.baseUrl);
	});
	afterAll(() => shop.destroy());

	describe("POST /api/auth/register and /api/auth/login", () => {
		it("registers, logs in and reads its own profile, never seeing a password hash", async () => {
			const registered = await api.post("/auth/register", { email: "Ada@Example.com", password: "analytical-engine", name: "Ada" });
			expect(registered.status).toBe(201);
			expect(registered.body).toMatchObject({ email: "ada@example.com", name: "Ada", role: "customer" });
			expect(JSON.stringify(registered.body)).not.toMatch(/password/i);

			const login = await api.post("/auth/login", { email: "ADA@example.com", password: "analytical-engine" });
			expect(login.status).toBe(200);
			expect(login.body).toMatchObject({ tokenType: "Bearer", token: expect.any(String), customer: { email: "ada@example.com" } });
			expect(JSON.stringify(login.body)).not.toMatch(/password/i);

			const me = await api.get("/me", login.body.token);
			expect(me.status).toBe(200);
			expect(me.body).toMatchObject({ id: registered.body.id, email: "ada@example.com" });
		});

		it("answers 409 for an email already registered in another case, and keeps the first account", async () => {
			await signUp(shop.baseUrl, "grace@example.com", "first-password");
			const duplicate = await api.post("/auth/register", { email: "GRACE@example.com", password: "second-password", name: "Impostor" });
			expectError(duplicate, 409, "EMAIL_TAKEN");
			expect((await api.post("/auth/login", { email: "grace@example.com", password: "second-password" })).status).toBe(401);
			expect((await api.post("/auth/login", { email: "grace@example.com", password: "first-password" })).status).toBe(200);
		});

		it("refuses a role on registration with 422 and stores nothing", async () => {
			const res = await api.post("/auth/register", { email: "mallory@example.com", password: "let-me-in-please", name: "M", role: "admin" });
			expectError(res, 422, "VALIDATION_ERROR");
			expectError(await api.post("/auth/login", { email: "mallory@example.com", password: "let-me-in-please" }), 401, "INVALID_CREDENTIALS");
		});

		it("answers 422 for a short password or a malformed email, naming the field", async () => {
			const short = await api.post("/auth/register", { email: "short@example.com", password: "1234567", name: "S" });
			expectError(short, 422, "VALIDATION_ERROR");
			expect(short.body.error.data).toEqual(expect.arrayContaining([expect.objectContaining({ field: "password" })]));
			expectError(await api.post("/auth/register", { email: "not-an-email", password: "long-enough-pw", name: "S" }), 422, "VALIDATION_ERROR");
			expectError(await api.post("/auth/login", { email: "short@example.com", password: "1234567" }), 401);
		});

		it("answers 401 for a wrong password and for an unknown email alike", async () => {
			await signUp(shop.baseUrl, "linus@example.com", "right-password");
			const wrong = await api.post("/auth/login", { email: "linus@example.com", password: "wrong-password" });
			const unknown = await api.post("/auth/login", { email: "nobody@example.com", password: "wrong-password" });
			expectError(wrong, 401, "INVALID_CREDENTIALS");
			expect(unknown.body).toEqual(wrong.body);
		});
	});

	describe("authentication", () => {
		it("answers 401 TOKEN_MISSING without a token", async () => {
			expectError(await api.get("/me"), 401, "TOKEN_MISSING");
		});

		it("answers 401 TOKEN_INVALID for a forged or malformed token", async () => {
			const forged = new AccessTokens("another-secret-that-is-long-enough-too!", 3600).issue({ id: "x", role: "admin" }, new Date()).token;
			expectError(await api.get("/me", forged), 401, "TOKEN_INVALID");
			expectError(await api.get("/me", "not.a.jwt"), 401, "TOKEN_INVALID");
			expectError(await api.get("/me", undefined, { authorization: "Basic dXNlcjpwYXNz" }), 401, "TOKEN_INVALID");
		});

		it("answers 401 TOKEN_EXPIRED for an expired token", async () => {
			const expired = new AccessTokens(TEST_JWT_SECRET, 60).issue({ id: "x", role: "customer" }, new Date(Date.now() - 3600 * 1000)).token;
			expectError(await api.get("/me", expired), 401, "TOKEN_EXPIRED");
		});
	});

	describe("GET /api/products", () => {
		it("pages with rows, total, page, pageSize and totalPages", async () => {
			const res = await api.get("/products?page=2&pageSize=5");
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ page: 2, pageSize: 5, total: expect.any(Number) });
			expect(res.body.rows).toHaveLength(5);
			expect(res.body.totalPages).toBe(Math.ceil(res.body.total / 5));
		});

		it("serves at most 100 rows however many are asked for", async () => {
			const res = await api.get("/products?pageSize=500");
			expect(res.status).toBe(200);
			expect(res.body.pageSize).toBe(100);
		});

		it("filters by category", async () => {
			const res = await api.get("/products?category=books&pageSize=100");
			expect(res.body.rows.length).toBeGreaterThan(0);
			expect(res.body.rows.every((product: any) => product.category === "books")).toBe(true);
		});

		it("searches name and description, case-insensitively", async () => {
			const byName = await api.get("/products?q=KEYBOARD");
			expect(byName.body.rows.map((product: any) => product.sku)).toEqual(["ELEC-001"]);
			const byDescription = await api.get("/products?q=circuit%20breakers");
			expect(byDescription.body.rows.map((product: any) => product.sku)).toEqual(["BOOK-002"]);
			const special = await api.get("/products?q=%5B(.*");
			expect(special.status).toBe(200);
			expect(special.body.total).toBe(0);
		});

		it("sorts by price and by name, both ways", async () => {
			const prices = (await api.get("/products?sort=price&pageSize=100")).body.rows.map((product: any) => product.priceCents);
			expect(prices).toEqual([...prices].sort((a, b) => a - b));
			const descending = (await api.get("/products?sort=-price&pageSize=100")).body.rows.map((product: any) => product.priceCents);
			expect(descending).toEqual([...prices].reverse());
			const names = (await api.get("/products?sort=-name&pageSize=100")).body.rows.map((product: any) => product.name);
			expect(names).toEqual([...names].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
		});

		it("answers 422 for a bad sort, page or unknown parameter", async () => {
			expectError(await api.get("/products?sort=stock"), 422, "VALIDATION_ERROR");
			expectError(await api.get("/products?page=0"), 422, "VALIDATION_ERROR");
			expectError(await api.get("/products?active=false"), 422, "VALIDATION_ERROR");
		});

		it("gets one product, and 404 for one that does not exist", async () => {
			const first = (await api.get("/products?pageSize=1")).body.rows[0];
			const one = await api.get(`/products/${first.id}`);
			expect(one.status).toBe(200);
			expect(one.body).toEqual(first);
			expect(one.body).not.toHaveProperty("holds");
			expectError(await api.get("/products/does-not-exist"), 404, "PRODUCT_NOT_FOUND");
		});
	});

	describe("product administration", () => {
		const newProduct = { sku: "new-001", name: "Espresso Machine", category: "Kitchen", priceCents: 29900, stock: 5 };

		it("lets an admin create a product (201) that the public then finds", async () => {
			const created = await api.post("/products", newProduct, admin);
			expect(created.status).toBe(201);
			expect(created.body).toMatchObject({ sku: "NEW-001", category: "kitchen", priceCents: 29900, currency: "EUR", active: true });
			expect(created.headers.get("location")).toBe(`/api/products/${created.body.id}`);
			expect((await api.get(`/products/${created.body.id}`)).status).toBe(200);
			expect((await api.get("/products?q=espresso")).body.total).toBe(1);
		});

		it("answers 403 to a customer and 401 to an anonymous caller, storing nothing", async () => {
			const { token } = await signUp(shop.baseUrl, "eve@example.com");
			expectError(await api.post("/products", { ...newProduct, sku: "EVE-1" }, token), 403, "ROLE_FORBIDDEN");
			expectError(await api.post("/products", { ...newProduct, sku: "ANON-1" }), 401, "TOKEN_MISSING");
			expect((await api.get("/products?q=espresso")).body.total).toBe(1);
			expectError(await api.get("/customers", token), 403, "ROLE_FORBIDDEN");
		});

		it("answers 409 for a SKU that exists in any case, storing nothing", async () => {
			expectError(await api.post("/products", { ...newProduct, sku: "New-001", name: "Duplicate" }, admin), 409, "SKU_TAKEN");
			expect((await api.get("/products?q=duplicate")).body.total).toBe(0);
		});

		it("answers 422 for a price that is not integer cents, storing nothing", async () => {
			expectError(await api.post("/products", { ...newProduct, sku: "FLOAT-1", priceCents: 19.99 }, admin), 422, "VALIDATION_ERROR");
			expectError(await api.post("/products", { ...newProduct, sku: "NEG-1", stock: -1 }, admin), 422, "VALIDATION_ERROR");
			expect((await api.get("/products?q=espresso")).body.total).toBe(1);
		});

		it("updates whitelisted fields only", async () => {
			const product = (await api.get("/products?q=espresso")).body.rows[0];
			const updated = await api.patch(`/products/${product.id}`, { priceCents: 27900, description: "Now cheaper" }, admin);
			expect(updated.status).toBe(200);
			expect(updated.body).toMatchObject({ priceCents: 27900, description: "Now cheaper" });
			const sneaky = await api.patch(`/products/${product.id}`, { holds: { x: 1 }, createdAt: "1970-01-01" }, admin);
			expectError(sneaky, 422, "VALIDATION_ERROR");
			expect((await api.get(`/products/${product.id}`)).body.createdAt).toBe(product.createdAt);
		});

		it("deactivates on DELETE: hidden from the public, still visible to the admin", async () => {
			const product = (await api.get("/products?q=espresso")).body.rows[0];
			const removed = await api.post(`/products/${product.id}/deactivate`, undefined, admin);
			expect(removed.status).toBe(200);
			expect(removed.body.active).toBe(false);
			expectError(await api.get(`/products/${product.id}`), 404, "PRODUCT_NOT_FOUND");
			expect((await api.get("/products?q=espresso")).body.total).toBe(0);
			expect((await api.get(`/products/${product.id}`, admin)).body.active).toBe(false);
		});

		it("answers 404 when updating a product that does not exist", async () => {
			expectError(await api.patch("/products/nope", { priceCents: 1 }, admin), 404, "PRODUCT_NOT_FOUND");
		});
	});

	describe("GET and PATCH /api/me", () => {
		it("updates name and shipping addresses", async () => {
			const { token } = await signUp(shop.baseUrl, "alan@example.com");
			const address = { name: "Alan T", line1: "1 Bletchley Park", city: "Milton Keynes", postalCode: "MK3 6EB", country: "gb" };
			const res = await api.patch("/me", { name: "Alan Turing", addresses: [address] }, token);
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ name: "Alan Turing", addresses: [{ ...address, country: "GB" }] });
		});

		it("refuses a role or a price on a profile update with 422 and changes nothing", async () => {
			const { token, customer } = await signUp(shop.baseUrl, "trudy@example.com");
			expectError(await api.patch("/me", { name: "Trudy", role: "admin" }, token), 422, "VALIDATION_ERROR");
			expectError(await api.patch("/me", { priceCents: 1 }, token), 422, "VALIDATION_ERROR");
			expectError(await api.patch("/me", { addresses: [{ name: "x", line1: "y", city: "z", postalCode: "1", country: "DE", extra: 1 }] }, token), 422);
			const me = await api.get("/me", token);
			expect(me.body).toMatchObject({ name: customer.name, role: "customer", addresses: [] });
		});
	});

	describe("GET /api/customers", () => {
		it("lists customers for an admin, without password hashes", async () => {
			const res = await api.get("/customers?pageSize=100", admin);
			expect(res.status).toBe(200);
			expect(res.body.total).toBeGreaterThan(1);
			expect(res.body.rows.map((customer: any) => customer.email)).toContain(TEST_ADMIN.email);
			expect(JSON.stringify(res.body)).not.toMatch(/passwordHash|scrypt\$/);
		});
	});

	describe("what the gateway refuses", () => {
		it("answers 400 for malformed JSON and stores nothing", async () => {
			expectError(await api.post("/auth/login", '{"email": "a@b.c",'), 400, "MALFORMED_JSON");
			const res = await api.post("/auth/register", '{"email": "broken@example.com", "password": "long-enough-pw", "name": "B"');
			expectError(res, 400, "MALFORMED_JSON");
			expect((await api.post("/auth/login", { email: "broken@example.com", password: "long-enough-pw" })).status).toBe(401);
		});

		it("answers 413 for a body over the limit and stores nothing", async () => {
			const res = await api.post("/auth/register", { email: "big@example.com", password: "long-enough-pw", name: "x".repeat(5000) });
			expectError(res, 413, "PAYLOAD_TOO_LARGE");
			expect((await api.post("/auth/login", { email: "big@example.com", password: "long-enough-pw" })).status).toBe(401);
		});

		it("keeps internal actions and node endpoints out of reach (404)", async () => {
			expectError(await api.get("/$node/list"), 404, "NOT_FOUND");
			expectError(await api.get("/$node/services"), 404, "NOT_FOUND");
			expectError(await api.post("/catalogue/reserve", { orderId: "x", items: [] }, admin), 404, "NOT_FOUND");
			expectError(await api.post("/catalogue.reserve", { orderId: "x", items: [] }, admin), 404, "NOT_FOUND");
			expectError(await api.get("/customers/get?id=x", admin), 404, "NOT_FOUND");
			expectError(await api.get("/no/such/route"), 404, "NOT_FOUND");
		});

		it("answers CORS preflights for the configured origin only", async () => {
			const allowed = await fetch(`${shop.baseUrl}/products`, { headers: { origin: "https://shop.example" } });
			expect(allowed.headers.get("access-control-allow-origin")).toBe("https://shop.example");
			const other = await fetch(`${shop.baseUrl}/products`, { headers: { origin: "https://evil.example" } });
			expect(other.headers.get("access-control-allow-origin")).toBeNull();
		});
	});

	describe("GET /api/health", () => {
		it("reports the services this node can reach", async () => {
			const res = await api.get("/health");
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ status: "ok", services: expect.arrayContaining(["api", "catalogue", "customers"]) });
		});
	});
});

describe("GET /api/health without a service an order needs", () => {
	let shop: TestShop;
	beforeAll(async () => {
		shop = await startShop({ services: ALL_SERVICES.filter((name) => name !== "shipping") });
	});
	afterAll(() => shop.destroy());

	it("answers 503 degraded and names it: no order can be confirmed without shipping", async () => {
		const res = await http(shop.baseUrl).get("/health");
		expect(res.status).toBe(503);
		expect(res.body).toMatchObject({ status: "degraded", missing: ["shipping"] });
	});
});

describe("rate limit on the auth routes", () => {
	let shop: TestShop;
	beforeAll(async () => {
		shop = await startShop({ env: { AUTH_RATE_LIMIT_PER_MINUTE: "3" } });
	});
	afterAll(() => shop.destroy());

	it("answers 429 past the limit, keyed on the socket address even when X-Forwarded-For changes", async () => {
		const api = http(shop.baseUrl);
		const statuses: number[] = [];
		for (let i = 0; i < 5; i++) {
			const res = await api.post("/auth/login", { email: "x@example.com", password: "whatever-pw" }, undefined, {
				"x-forwarded-for": `10.0.0.${i}`,
			});
			statuses.push(res.status);
			if (res.status === 429) expectError(res, 429, "RATE_LIMIT_EXCEEDED");
		}
		expect(statuses).toEqual([401, 401, 401, 429, 429]);
		// Browsing is not limited by the auth bucket.
		expect((await api.get("/products")).status).toBe(200);
	});

	it("does not register anyone once limited", async () => {
		const api = http(shop.baseUrl);
		const res = await api.post("/auth/register", { email: "late@example.com", password: "long-enough-pw", name: "Late" });
		expectError(res, 429, "RATE_LIMIT_EXCEEDED");
		const admin = await shop.broker.call<{ rows: { email: string }[] }, object>("customers.list", { pageSize: 100 });
		expect(admin.rows.map((customer) => customer.email)).not.toContain("late@example.com");
	});
});

describe("rate limit behind a trusted proxy", () => {
	let shop: TestShop;
	beforeAll(async () => {
		shop = await startShop({ env: { AUTH_RATE_LIMIT_PER_MINUTE: "2", TRUST_PROXY: "true" } });
	});
	afterAll(() => shop.destroy());

	it("keys on the address the proxy added (the last X-Forwarded-For entry) when TRUST_PROXY is set, whatever the client put before it", async () => {
		const api = http(shop.baseUrl);
		// The proxy appends the peer it saw to what the client sent.
		const login = (client: string, claimed: string) =>
			api.post("/auth/login", { email: "x@example.com", password: "whatever-pw" }, undefined, { "x-forwarded-for": `${claimed}, ${client}` });
		const statuses = [];
		for (const claimed of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) statuses.push((await login("203.0.113.7", claimed)).status);
		expect(statuses).toEqual([401, 401, 429]);
		// Another client behind the same proxy has a bucket of its own.
		expect((await login("198.51.100.9", "203.0.113.7")).status).toBe(401);
	});
});
