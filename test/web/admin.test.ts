import fs from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startMailServer, type MailServer } from "../helpers/mail";
import { freePort } from "../helpers/net";
import { adminToken, http, signUp, startShop, TEST_ADDRESS, TEST_ADMIN, type TestShop } from "../helpers/shop";
import { waitFor, waitForValue } from "../helpers/wait";
import { launchBrowser, readmeScreenshot, screenshots, VIEWPORTS } from "./browser";

/*
 * The admin console (/admin) in a real browser against the embedded shop: an admin creates a
 * product (a refused field first), sees it in the storefront and takes its stock to 0; finds a
 * dead letter and redrives it once the mail server is up; filters orders, reads an order's
 * story and the overview; and a customer gets the refusal, in the page and from the API.
 */

const WEB_DIR = path.join(__dirname, "../../web/dist");

type Api = ReturnType<typeof http>;

async function logIn(page: Page, origin: string, email: string, password: string, next = "/admin"): Promise<void> {
	await page.goto(`${origin}/login?next=${encodeURIComponent(next)}`);
	await page.getByLabel("Email").fill(email);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Log in" }).click();
}

/** An order placed through the API, left to its saga; answers its id. */
async function placeOrder(api: Api, token: string, productId: string, paymentMethod = "tok_visa"): Promise<string> {
	const placed = await api.post("/orders", { items: [{ productId, qty: 1 }], shippingAddress: TEST_ADDRESS, paymentMethod }, token);
	if (placed.status !== 201) throw new Error(`order not placed: ${placed.status} ${JSON.stringify(placed.body)}`);
	return placed.body.id as string;
}

async function settled(api: Api, token: string, orderId: string): Promise<string> {
	const order = await waitFor(
		async () => (await api.get(`/orders/${orderId}`, token)).body,
		(body) => body.status === "CONFIRMED" || body.status === "CANCELLED",
	);
	return order.status as string;
}

function startBrowserOn(shop: () => TestShop) {
	const state = { browser: undefined as unknown as Browser, origin: "", pageErrors: [] as string[] };
	beforeAll(async () => {
		state.browser = await launchBrowser();
	});
	afterAll(async () => {
		await state.browser?.close();
	});
	/** A fresh browser profile (its own localStorage, so its own session). */
	const context = async (): Promise<{ context: BrowserContext; page: Page }> => {
		// Here, not in beforeAll: the describe's own beforeAll starts the shop after this one runs.
		state.origin = new URL(shop().baseUrl).origin;
		const context = await state.browser.newContext({ viewport: VIEWPORTS.desktop });
		const page = await context.newPage();
		page.on("pageerror", (err) => state.pageErrors.push(err.message));
		return { context, page };
	};
	return { state, context };
}

describe("the admin console in Chromium", () => {
	let shop: TestShop;
	let api: Api;
	let admin: string;
	const { state, context } = startBrowserOn(() => shop);

	beforeAll(async () => {
		if (!fs.existsSync(path.join(WEB_DIR, "index.html"))) throw new Error("No web build: npm run build:web first (npm run test:web does)");
		shop = await startShop({ env: { WEB_DIR } });
		api = http(shop.baseUrl);
		admin = await adminToken(shop.baseUrl);
	});
	afterAll(async () => {
		await shop?.destroy();
	});

	it("creates a product (a refused field first), which the storefront lists, and takes its stock to 0, which the storefront shows", async () => {
		const { context: adminContext, page } = await context();
		await page.goto(`${state.origin}/`);
		await page.getByRole("link", { name: "Log in" }).click();
		await page.getByLabel("Email").fill(TEST_ADMIN.email);
		await page.getByLabel("Password").fill(TEST_ADMIN.password);
		await page.getByRole("button", { name: "Log in" }).click();
		await page.getByRole("heading", { level: 1, name: "Catalogue" }).waitFor();
		await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
		await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
		await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Products" }).click();
		await page.getByRole("heading", { level: 1, name: "Products" }).waitFor();
		// Inactive products are listed too: the count says so.
		await page.getByRole("status").filter({ hasText: "inactive ones included" }).waitFor();
		await screenshots(page, "admin-products");

		await page.getByRole("link", { name: "New product" }).click();
		await page.getByRole("heading", { level: 1, name: "New product" }).waitFor();
		await page.getByLabel("SKU").fill("ADMIN LAMP 1");
		await page.getByLabel("Name").fill("Admin Console Lamp");
		await page.getByLabel("Description").fill("Made in the admin console's journey.");
		await page.getByLabel("Category").fill("lighting");
		await page.getByLabel("Price").fill("19.90");
		await page.getByLabel("Weight (g)").fill("1350");
		await page.getByLabel("Stock").fill("5");
		await page.getByRole("button", { name: "Create product" }).click();
		// The API's 422 names the SKU: its message is under the SKU's input, which is marked invalid.
		await page.locator("#product-sku-error").waitFor();
		expect(await page.getByLabel("SKU").getAttribute("aria-invalid")).toBe("true");
		expect(await page.locator("#product-sku-error").innerText()).toMatch(/sku/i);
		await page.getByRole("alert").filter({ hasText: "see the fields marked" }).waitFor();
		await screenshots(page, "admin-product-invalid");

		await page.getByLabel("SKU").fill("ADMIN-LAMP-1");
		await page.getByRole("button", { name: "Create product" }).click();
		await page.getByRole("heading", { level: 1, name: "Admin Console Lamp" }).waitFor();
		await page.getByRole("status").filter({ hasText: "The product was created." }).waitFor();
		const productId = new URL(page.url()).pathname.split("/").pop()!;
		expect((await api.get(`/products/${productId}`, admin)).body.weightGrams).toBe(1350);
		expect(await page.getByLabel("Weight (g)").inputValue()).toBe("1350");

		// A shopper (no session) finds it by searching the catalogue.
		const { context: shopperContext, page: shopper } = await context();
		await shopper.goto(`${state.origin}/`);
		await shopper.getByLabel("Search").fill("Admin Console Lamp");
		await shopper.getByLabel("Search").press("Enter");
		await shopper.locator('section[aria-label="Products"][aria-busy="false"]').waitFor();
		await shopper.getByRole("link", { name: "Admin Console Lamp" }).waitFor();
		// The shopper looks at it now, before the changes below: the product's answer is in the browser's cache.
		await shopper.getByRole("link", { name: "Admin Console Lamp" }).click();
		await shopper.getByText("5 in stock").waitFor();
		await shopper.goBack();
		await shopper.getByRole("link", { name: "Admin Console Lamp" }).waitFor();

		// A customer orders 2 while the admin's page still shows 5: the admin's change, based on 5,
		// is refused with the stock as it is now, and nothing is overwritten.
		const buyer = await signUp(shop.baseUrl, `admin-journey-${Date.now()}@example.com`);
		const order = await api.post("/orders", { items: [{ productId, qty: 2 }], shippingAddress: TEST_ADDRESS, paymentMethod: "tok_visa" }, buyer.token);
		expect(order.status).toBe(201);
		expect(await waitForValue(async () => (await api.get(`/products/${productId}`, admin)).body.stock as number, 3)).toBe(3);
		await page.getByLabel("Units in stock").fill("0");
		await page.getByRole("button", { name: "Set stock" }).click();
		await page.locator("#product-new-stock-error").filter({ hasText: "it is now 3" }).waitFor();
		await page.getByText("3 available to order now").waitFor();
		expect((await api.get(`/products/${productId}`, admin)).body.stock).toBe(3);

		// Set again from the figure now shown, the stock goes to 0.
		await page.getByRole("button", { name: "Set stock" }).click();
		await page.getByRole("status").filter({ hasText: "The stock is now 0." }).waitFor();
		await screenshots(page, "admin-product");

		// The shopper's product page, opened again at once, says it is out of stock and offers no
		// way to add it: the answer the browser kept is checked with the shop first, not shown as it was.
		await shopper.getByRole("link", { name: "Admin Console Lamp" }).click();
		await shopper.getByRole("heading", { level: 1, name: "Admin Console Lamp" }).waitFor();
		await shopper.getByText("Out of stock").waitFor();
		expect(await shopper.getByRole("button", { name: /Add to cart/ }).count()).toBe(0);
		expect((await api.get(`/products/${productId}`)).body.stock).toBe(0);

		expect(state.pageErrors).toEqual([]);
		await shopperContext.close();
		await adminContext.close();
	});

	it("filters orders by status, tells an order's story, says a refused cancel in words, and shows the overview's counts", async () => {
		const { token: customer } = await signUp(shop.baseUrl, `orders-${Date.now()}@example.com`);
		const productId = (await api.get("/products?pageSize=1")).body.rows[0].id as string;
		const declined = await placeOrder(api, customer, productId, "tok_decline");
		const confirmed = await placeOrder(api, customer, productId);
		expect(await settled(api, customer, declined)).toBe("CANCELLED");
		expect(await settled(api, customer, confirmed)).toBe("CONFIRMED");

		const { context: adminContext, page } = await context();
		await logIn(page, state.origin, TEST_ADMIN.email, TEST_ADMIN.password, "/admin/orders");
		await page.getByRole("heading", { level: 1, name: "Orders" }).waitFor();
		await page.getByLabel("Status").selectOption("CANCELLED");
		await page.getByRole("button", { name: "Show orders" }).click();
		await page.waitForURL(/status=CANCELLED/);
		await page.locator('section[aria-label="Orders found"][aria-busy="false"]').waitFor();
		const table = page.getByRole("table", { name: "Orders: Cancelled" });
		await table.waitFor();
		expect(await table.getByRole("row").count()).toBe(2);
		await screenshots(page, "admin-orders");

		// Stuck sagas, one click: none here, every order settled.
		await page.getByRole("button", { name: /Stuck sagas/ }).click();
		await page.getByRole("status").filter({ hasText: "No stuck sagas" }).waitFor();

		// The declined order's story, step by step across the services.
		await page.goto(`${state.origin}/admin/orders?status=CANCELLED`);
		await page.getByRole("link", { name: new RegExp(`order ${declined}`) }).click();
		const story = page.getByRole("list", { name: "What happened" });
		await story.waitFor();
		await story.getByText("order placed").waitFor();
		await story.getByText("card declined").waitFor();
		await story.getByText(/order cancelled/).waitFor();
		expect(await story.getByRole("listitem").count()).toBeGreaterThanOrEqual(4);
		await screenshots(page, "admin-order-timeline");
		await readmeScreenshot(page, "admin-timeline", 1300);

		// The confirmed order's parcel is labelled: its cancel is refused in words, and nothing changes.
		await page.goto(`${state.origin}/admin/orders/${confirmed}`);
		await page.getByRole("list", { name: "What happened" }).getByText("payment charged").waitFor();
		await page.getByRole("list", { name: "What happened" }).getByText(/label/).first().waitFor();
		await page.getByRole("button", { name: "Cancel this order" }).click();
		await page.getByRole("alert").filter({ hasText: "The carrier already has this order's label, so it cannot be cancelled" }).waitFor();
		expect((await api.get(`/orders/${confirmed}`, admin)).body.status).toBe("CONFIRMED");

		// The shipments: the confirmed order's parcel, labelled, with its tracking number.
		await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Shipments" }).click();
		await page.getByLabel("Status").selectOption("LABELLED");
		await page.waitForURL(/status=LABELLED/);
		const shipments = page.getByRole("table", { name: "Shipments: Labelled" });
		await shipments.getByRole("link", { name: confirmed.slice(0, 8) }).waitFor();
		await screenshots(page, "admin-shipments");

		// The customers, each leading to their orders.
		await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Customers" }).click();
		await page.getByRole("table", { name: "Customers" }).getByRole("cell", { name: TEST_ADMIN.email }).waitFor();
		await screenshots(page, "admin-customers");

		// The overview counts them, and reads again while open, and not once left.
		const statsReads: string[] = [];
		page.on("request", (request) => {
			if (request.url().includes("/api/admin/orders/stats")) statsReads.push(request.url());
		});
		await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Overview" }).click();
		const outcomes = page.getByRole("table", { name: /orders? since/ });
		await outcomes.waitFor();
		await outcomes
			.getByRole("row", { name: /Cancelled/ })
			.getByRole("cell", { name: "1" })
			.waitFor();
		await screenshots(page, "admin-overview");
		await page.waitForRequest((request) => request.url().includes("/api/admin/orders/stats"), { timeout: 10_000 });
		await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Orders" }).click();
		await page.getByRole("heading", { level: 1, name: "Orders" }).waitFor();
		const readsWhenLeft = statsReads.length;
		await expect(page.waitForRequest((request) => request.url().includes("/api/admin/orders/stats"), { timeout: 6_000 })).rejects.toThrow(/Timeout/);
		expect(statsReads.length).toBe(readsWhenLeft);

		expect(state.pageErrors).toEqual([]);
		await adminContext.close();
	});

	it("shows a customer the refusal and no admin data, and the API refuses them every admin call", async () => {
		const email = `nosy-${Date.now()}@example.com`;
		const { token } = await signUp(shop.baseUrl, email, "not-an-admin-pw");

		// Logged out, /admin sends to the login first, like other protected pages.
		const { context: customerContext, page } = await context();
		await page.goto(`${state.origin}/admin/orders`);
		await page.waitForURL(/\/login\?next=%2Fadmin%2Forders/);
		await page.getByLabel("Email").fill(email);
		await page.getByLabel("Password").fill("not-an-admin-pw");
		await page.getByRole("button", { name: "Log in" }).click();
		await page.getByRole("heading", { level: 1, name: "Admin console" }).waitFor();
		await page.getByRole("alert").filter({ hasText: "This console is for administrators." }).waitFor();
		expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).count()).toBe(0);
		expect(await page.getByRole("table").count()).toBe(0);
		expect(await page.getByRole("navigation", { name: "Admin" }).count()).toBe(0);
		await screenshots(page, "admin-refused");

		const productId = (await api.get("/products?pageSize=1")).body.rows[0].id as string;
		const reads = [
			"/admin/orders",
			"/admin/orders?status=PENDING&olderThanSeconds=60",
			`/admin/orders/${crypto.randomUUID()}/timeline`,
			"/admin/orders/stats?sinceSeconds=3600",
			"/customers",
			"/admin/dead-letters/catalogue",
			"/admin/dead-letters/orders",
			"/admin/dead-letters/payments",
			"/admin/dead-letters/notifications",
		];
		for (const url of reads) expect([url, (await api.get(url, token)).status]).toEqual([url, 403]);
		const writes: [string, string, unknown][] = [
			["POST", "/products", { sku: "NOSY-1", name: "Nosy", category: "nosy", priceCents: 1 }],
			["PATCH", `/products/${productId}`, { stock: 0 }],
			["POST", `/products/${productId}/deactivate`, undefined],
			["POST", "/admin/dead-letters/notifications/redrive", {}],
		];
		for (const [method, url, body] of writes) {
			const answer = method === "PATCH" ? await api.patch(url, body, token) : await api.post(url, body, token);
			expect([method, url, answer.status, answer.body?.error?.type]).toEqual([method, url, 403, "ROLE_FORBIDDEN"]);
		}
		expect((await api.get(`/products/${productId}`)).body.stock).toBeGreaterThan(0);
		expect(state.pageErrors).toEqual([]);
		await customerContext.close();
	});
});

describe("the admin console's dead letters in Chromium", () => {
	let shop: TestShop;
	let smtpPort: number;
	let mail: MailServer | undefined;
	const { state, context } = startBrowserOn(() => shop);

	beforeAll(async () => {
		smtpPort = await freePort();
		// Nothing listens on the mail port yet: notifications' email fails, twice, and is parked.
		shop = await startShop({ env: { WEB_DIR, SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, EVENT_MAX_ATTEMPTS: "2", EVENT_RETRY_BASE_MS: "20" } });
	});
	afterAll(async () => {
		await shop?.destroy();
		await mail?.close();
	});

	it("shows a failed email with its error, and redriven once the mail server is up, it is handled and gone", async () => {
		const api = http(shop.baseUrl);
		const admin = await adminToken(shop.baseUrl);
		const email = `dead-letter-${Date.now()}@example.com`;
		const { token } = await signUp(shop.baseUrl, email);
		const productId = (await api.get("/products?pageSize=1")).body.rows[0].id as string;
		const orderId = await placeOrder(api, token, productId);
		expect(await settled(api, token, orderId)).toBe("CONFIRMED");
		const parked = await waitFor(
			async () => (await api.get("/admin/dead-letters/notifications", admin)).body,
			(rows) => Array.isArray(rows) && rows.length > 0,
		);
		expect(parked).toEqual([expect.objectContaining({ type: "order.confirmed", lastError: expect.stringMatching(/ECONNREFUSED/) })]);

		const { context: adminContext, page } = await context();
		await logIn(page, state.origin, TEST_ADMIN.email, TEST_ADMIN.password, "/admin");
		await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Dead letters" }).click();
		await page.getByRole("heading", { level: 1, name: "Dead letters" }).waitFor();
		const notifications = page.getByRole("region", { name: "Notifications", exact: true });
		const row = notifications.getByRole("row", { name: /order\.confirmed/ });
		await row.getByRole("cell", { name: /ECONNREFUSED/ }).waitFor();
		await page.getByRole("region", { name: "Payments", exact: true }).getByText("No dead letters.").waitFor();
		// Every service with events to give up on has its list, shipping's too.
		await page.getByRole("region", { name: "Shipping", exact: true }).getByText("No dead letters.").waitFor();
		await screenshots(page, "admin-dead-letters");

		mail = await startMailServer(smtpPort);

		await row.getByRole("button", { name: /^Redrive/ }).click();
		await notifications.getByRole("status").filter({ hasText: "Redriven: 1 handled." }).waitFor();
		await notifications.getByText("No dead letters.").waitFor();
		expect(await notifications.getByRole("table").count()).toBe(0);
		expect(mail.delivered).toEqual([email]);
		await screenshots(page, "admin-dead-letters-redriven");
		expect(state.pageErrors).toEqual([]);
		await adminContext.close();
	});
});
