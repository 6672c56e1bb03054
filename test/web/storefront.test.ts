import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { adminToken, http, signUp, startShop, TEST_ADMIN, type TestShop } from "../helpers/shop";
import { waitFor, waitForValue } from "../helpers/wait";
import { launchBrowser, readmeScreenshot, screenshots, VIEWPORTS } from "./browser";

/*
 * A shopper's journey through the built storefront, as a person would make it: search, filter,
 * add two products as a guest, register from the cart, find the guest cart kept at checkout,
 * choose the shipping quoted for the address, pay with the good card, watch the order turn
 * CONFIRMED without reloading the page, and follow the parcel to DELIVERED.
 */

const WEB_DIR = path.join(__dirname, "../../web/dist");

/** The name of the first product listed, once the list for the current URL has arrived. */
async function firstProductShown(page: Page): Promise<string> {
	await page.locator('section[aria-label="Products"][aria-busy="false"]').waitFor();
	return page.locator(".product-card h2").first().innerText();
}

describe("the storefront in Chromium", () => {
	let shop: TestShop;
	let browser: Browser;
	let page: Page;
	let origin: string;
	/** Uncaught errors in the app: any fails the journey. */
	const pageErrors: string[] = [];

	beforeAll(async () => {
		if (!fs.existsSync(path.join(WEB_DIR, "index.html"))) throw new Error("No web build: npm run build:web first (npm run test:web does)");
		// The carrier sandbox collects a parcel 4 s after its label and delivers it 4 s later.
		shop = await startShop({
			env: { WEB_DIR, CARRIER_DISPATCH_AFTER_MS: "4000", CARRIER_DELIVER_AFTER_MS: "8000", SHIPPING_TRACK_EVERY_MS: "500", SHIPPING_SWEEP_MS: "200" },
		});
		origin = new URL(shop.baseUrl).origin;
		browser = await launchBrowser();
		page = await browser.newPage({ viewport: VIEWPORTS.desktop });
		page.on("pageerror", (err) => pageErrors.push(err.message));
	});

	afterAll(async () => {
		await browser?.close();
		await shop?.destroy();
	});

	it("browses, fills a guest cart, registers, checks out with the good card and sees the order confirmed live", async () => {
		await page.goto(`${origin}/`);
		await page.getByRole("heading", { level: 1, name: "Catalogue" }).waitFor();

		// Search: the query is in the URL, and the results are the search's.
		await page.getByLabel("Search").fill("keyboard");
		await page.getByLabel("Search").press("Enter");
		await page.waitForURL(/\?q=keyboard/);
		await page.getByRole("heading", { level: 1, name: "Results for “keyboard”" }).waitFor();
		const firstName = await firstProductShown(page);
		await page.getByRole("button", { name: firstName }).click();
		await page
			.getByRole("status")
			.filter({ hasText: `${firstName} is in your cart.` })
			.waitFor();

		// Filter by category and sort: both in the URL too.
		await page.goto(`${origin}/`);
		await page.getByLabel("Category").selectOption("books");
		await page.waitForURL(/category=books/);
		await page.getByLabel("Sort by").selectOption("price");
		await page.waitForURL(/sort=price/);
		expect(new URL(page.url()).searchParams.get("category")).toBe("books");
		const secondName = await firstProductShown(page);
		await page.getByRole("button", { name: secondName }).click();
		await page
			.getByRole("status")
			.filter({ hasText: `${secondName} is in your cart.` })
			.waitFor();
		await screenshots(page, "catalogue");
		await readmeScreenshot(page, "storefront", 640);

		// The guest's cart, kept in the browser.
		await page.getByRole("link", { name: /^Cart/ }).click();
		await page.getByRole("heading", { level: 1, name: "Your cart" }).waitFor();
		await page.getByRole("link", { name: firstName }).waitFor();
		await page.getByRole("link", { name: secondName }).waitFor();
		await screenshots(page, "guest-cart");

		// Register from the cart: logged in, the guest cart merged, and on to checkout.
		await page.getByRole("link", { name: "create an account" }).click();
		await page.getByLabel("Name").fill("Grace Hopper");
		await page.getByLabel("Email").fill(`grace-${Date.now()}@example.com`);
		await page.getByLabel("Password").fill("cobol-compiler-1959");
		await page.getByRole("button", { name: "Create the account" }).click();
		await page.getByRole("heading", { level: 1, name: "Checkout" }).waitFor();
		const summary = page.getByRole("region", { name: "Your order" });
		await summary.getByText(firstName).waitFor();
		await summary.getByText(secondName).waitFor();

		// Nothing to ship with before the address says where: the form says so.
		await page.getByRole("button", { name: "Place order" }).click();
		await page.locator("#shipping-error").filter({ hasText: "Choose how to ship the order" }).waitFor();

		// Where it goes is quoted: the one option that reaches the US, chosen, in the total.
		await page.getByLabel("Postal code").fill("22202");
		await page.getByLabel("Country code").fill("us");
		const standard = page.getByLabel(/^Standard: €\d+\.\d\d$/);
		await standard.waitFor();
		expect(await standard.isChecked()).toBe(true);
		expect(await page.getByLabel(/^Express/).count()).toBe(0);
		await summary.getByText(/\(Standard\)$/).waitFor();

		// A missing field is named next to its input, in words.
		await page.getByRole("button", { name: "Place order" }).click();
		await page.locator("#ship-name-error").waitFor();
		expect(await page.getByLabel("Name").getAttribute("aria-invalid")).toBe("true");

		await page.getByLabel("Name").fill("Grace Hopper");
		await page.getByLabel("Street and number").fill("1 Navy Yard");
		await page.getByLabel("City").fill("Arlington");
		await page.getByLabel("Visa ending 4242").check();
		await screenshots(page, "checkout");
		await page.getByRole("button", { name: "Place order" }).click();

		// The order page follows the saga without a reload until it is confirmed, with its tracking number.
		await page.waitForURL(/\/orders\/[^/]+$/);
		const navigations: string[] = [];
		page.on("framenavigated", (frame) => navigations.push(frame.url()));
		await page.getByRole("status").filter({ hasText: "Confirmed" }).waitFor({ timeout: 20000 });
		expect(navigations).toEqual([]);
		await page.getByRole("list", { name: "What happened so far" }).getByText("Paid: booking the parcel with the carrier").waitFor();
		await page.getByText(/^Tracking: \S+ \(.+\)$/).waitFor();
		await screenshots(page, "order-confirmed");

		// The carrier sandbox collects and delivers the parcel (in seconds here): the order shows it when opened again.
		const orderUrl = page.url();
		await waitFor(
			async () => {
				await page.goto(orderUrl);
				return page.getByRole("status").filter({ hasText: "Delivered" }).count();
			},
			(count) => count === 1,
			30_000,
		);
		await page.getByRole("list", { name: "What happened so far" }).getByText("Shipped: the parcel is on its way").waitFor();
		await screenshots(page, "order-delivered");

		// Delivered: one of the two products goes back. The admin marks the parcel received in the
		// console, and the customer's page shows the refund.
		await page.getByLabel(`Return of ${firstName}`).selectOption("1");
		await page.getByRole("button", { name: "Ask to return" }).click();
		await page.getByText("Asked for: send the parcel back to the shop").waitFor();
		expect(await page.getByLabel(`Return of ${firstName}`).count()).toBe(0);
		await screenshots(page, "order-return-asked");
		const adminContext = await browser.newContext({ viewport: VIEWPORTS.desktop });
		const desk = await adminContext.newPage();
		desk.on("pageerror", (err) => pageErrors.push(err.message));
		await desk.goto(`${origin}/login?next=${encodeURIComponent("/admin/returns")}`);
		await desk.getByLabel("Email").fill(TEST_ADMIN.email);
		await desk.getByLabel("Password").fill(TEST_ADMIN.password);
		await desk.getByRole("button", { name: "Log in" }).click();
		await desk.getByRole("heading", { level: 1, name: "Returns to receive" }).waitFor();
		await screenshots(desk, "admin-returns");
		await desk
			.getByRole("row", { name: new RegExp(`1 × ${firstName}`) })
			.getByRole("button", { name: /^Mark received/ })
			.click();
		await desk.getByRole("status").filter({ hasText: "No returns to receive." }).waitFor();
		await adminContext.close();
		await waitFor(
			async () => {
				await page.goto(orderUrl);
				return page.getByText("Refunded", { exact: true }).count();
			},
			(count) => count === 1,
			30_000,
		);
		await screenshots(page, "order-returned");

		// The cart is empty now, and the order is in the history.
		await page.getByRole("link", { name: "Orders", exact: true }).click();
		await page.getByRole("heading", { level: 1, name: "Your orders" }).waitFor();
		// The heading shows before the list has arrived: the rows are counted once it has.
		await page.getByRole("cell", { name: "Delivered" }).waitFor();
		expect(await page.getByRole("row").count()).toBe(2);

		// The confirmation email shows in notifications. It is sent a moment after the order is
		// confirmed, so the page is opened once the shop says it was sent (the customer's own token,
		// from the session the app keeps).
		const session = await page.evaluate(() =>
			(globalThis as unknown as { localStorage: { getItem(key: string): string | null } }).localStorage.getItem("shop.session"),
		);
		const token = (JSON.parse(session ?? "{}") as { token?: string }).token;
		const sent = await waitFor(
			async () => (await http(shop.baseUrl).get("/notifications", token)).body as { rows: { kind: string }[] },
			(page) => page.rows.some((row) => row.kind === "order.confirmed"),
			30_000,
		);
		expect(sent.rows.map((row) => row.kind)).toContain("order.confirmed");
		await waitFor(
			async () => (await http(shop.baseUrl).get("/notifications", token)).body as { rows: { kind: string }[] },
			(page) => page.rows.some((row) => row.kind === "shipment.delivered"),
			30_000,
		);
		await page.getByRole("link", { name: "Notifications" }).click();
		await page.getByRole("heading", { level: 1, name: "Notifications" }).waitFor();
		await page.getByText("Order confirmed").waitFor();
		await page.getByText("Parcel on its way").waitFor();
		await page.getByText("Parcel delivered").waitFor();
		await screenshots(page, "notifications");
		expect(pageErrors).toEqual([]);
	});

	it("logs in, shows the cart's flags in words, and a double-clicked order with the declined card is one order, cancelled with its reason", async () => {
		const api = http(shop.baseUrl);
		const admin = await adminToken(shop.baseUrl);
		const email = `ada-${Date.now()}@example.com`;
		const { token } = await signUp(shop.baseUrl, email, "analytical-engine");
		const created = await api.post("/products", { sku: "WEB-LAMP-1", name: "Web Test Lamp", category: "lighting", priceCents: 2500, stock: 5 }, admin);
		expect(created.status).toBe(201);
		const productId = created.body.id as string;

		const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
		const shopper = await context.newPage();
		shopper.on("pageerror", (err) => pageErrors.push(err.message));
		await shopper.goto(`${origin}/login?next=${encodeURIComponent(`/products/${productId}`)}`);
		await shopper.getByLabel("Email").fill(email);
		await shopper.getByLabel("Password").fill("analytical-engine");
		await shopper.getByRole("button", { name: "Log in" }).click();
		await shopper.getByRole("heading", { level: 1, name: "Web Test Lamp" }).waitFor();
		await shopper.getByLabel("Quantity").fill("3");
		await shopper.getByRole("button", { name: "Add to cart" }).click();
		await shopper.getByRole("status").filter({ hasText: "3 × Web Test Lamp added to your cart." }).waitFor();

		// The admin raises the price and lowers the stock under the customer's cart.
		expect((await api.patch(`/products/${productId}`, { priceCents: 2700, stock: 2 }, admin)).status).toBe(200);
		await shopper.goto(`${origin}/cart`);
		const line = shopper.getByRole("list", { name: "About Web Test Lamp" });
		await line.getByText("The price changed from €25.00 to €27.00 since it was added.").waitFor();
		await line.getByText("Only 2 left in stock; lower the quantity to check out.").waitFor();
		expect(await shopper.getByRole("link", { name: "Check out" }).count()).toBe(0);
		await screenshots(shopper, "cart-flags");

		await shopper.getByLabel("Quantity of Web Test Lamp").selectOption("2");
		await shopper.getByRole("link", { name: "Check out" }).click();
		await shopper.getByRole("heading", { level: 1, name: "Checkout" }).waitFor();
		await shopper.getByLabel("Name").fill("Ada Lovelace");
		await shopper.getByLabel("Street and number").fill("12 St James Square");
		await shopper.getByLabel("City").fill("London");
		await shopper.getByLabel("Postal code").fill("SW1Y 4JH");
		await shopper.getByLabel("Country code").fill("GB");
		// London is reached by express too: chosen, it is what the order is priced with.
		await shopper.getByLabel(/^Express: /).check();
		await shopper.getByLabel("Card that is declined").check();
		await shopper.getByRole("button", { name: "Place order" }).dblclick();

		await shopper.waitForURL(/\/orders\/[^/]+$/);
		await shopper.getByRole("status").filter({ hasText: "Cancelled: the card was declined." }).waitFor({ timeout: 20000 });
		await shopper.getByText(/\(Express, 1–3 working days\)$/).waitFor();
		await screenshots(shopper, "order-declined");

		const orders = await api.get("/orders", token);
		expect(orders.body.total).toBe(1);
		expect(orders.body.rows[0]).toMatchObject({ status: "CANCELLED", shipping: { optionId: "express" } });
		// The stock held for the order is back on sale.
		expect(await waitForValue(async () => (await api.get(`/products/${productId}`, admin)).body.stock as number, 2)).toBe(2);
		expect(pageErrors).toEqual([]);
		await context.close();
	});
});
