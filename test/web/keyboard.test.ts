import fs from "node:fs";
import path from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { adminToken, http, signUp, startShop, type TestShop } from "../helpers/shop";
import { waitFor } from "../helpers/wait";
import { launchBrowser, screenshots, VIEWPORTS } from "./browser";

/*
 * The storefront without a mouse: a customer logs in, adds a product, checks out with the slow
 * card and cancels the order while it is being charged, with Tab, Shift+Tab, arrows, Space and
 * Enter only. Each control is reached by tabbing (never focused by the test), and shows a focus ring.
 */

const WEB_DIR = path.join(__dirname, "../../web/dist");
const MAX_TABS = 80;

type ActiveElement = { document: { activeElement: unknown } };

/** Whether the element has the keyboard's focus and draws a visible focus ring. */
async function focusState(target: Locator): Promise<{ focused: boolean; ring: boolean }> {
	return target.evaluate((element) => {
		const view = globalThis as unknown as ActiveElement & { getComputedStyle(element: unknown): { outlineStyle: string; outlineWidth: string } };
		const style = view.getComputedStyle(element);
		return { focused: view.document.activeElement === element, ring: style.outlineStyle !== "none" && style.outlineWidth !== "0px" };
	});
}

/** Presses Tab (or Shift+Tab) until `target` has the focus; fails when it is not reached, or shows no focus ring. */
async function tabTo(page: Page, target: Locator, key: "Tab" | "Shift+Tab" = "Tab"): Promise<void> {
	await target.waitFor();
	for (let presses = 0; presses < MAX_TABS; presses++) {
		const state = await focusState(target);
		if (state.focused) {
			expect({ ring: state.ring }).toEqual({ ring: true });
			return;
		}
		await page.keyboard.press(key);
	}
	throw new Error(`${MAX_TABS} presses of ${key} did not reach ${target.toString()}`);
}

describe("the storefront with the keyboard alone", () => {
	let shop: TestShop;
	let browser: Browser;
	const pageErrors: string[] = [];

	beforeAll(async () => {
		if (!fs.existsSync(path.join(WEB_DIR, "index.html"))) throw new Error("No web build: npm run build:web first (npm run test:web does)");
		// The slow card waits long enough for the cancel to come while the order is being charged.
		shop = await startShop({ env: { WEB_DIR, PAYMENT_SLOW_MS: "4000" } });
		browser = await launchBrowser();
	});
	afterAll(async () => {
		await browser?.close();
		await shop?.destroy();
	});

	it("logs in, adds a product, checks out with the slow card and cancels the order while it is charged", async () => {
		const origin = new URL(shop.baseUrl).origin;
		const api = http(shop.baseUrl);
		const admin = await adminToken(shop.baseUrl);
		const email = `keys-${Date.now()}@example.com`;
		const { token } = await signUp(shop.baseUrl, email, "only-the-keyboard");
		const created = await api.post("/products", { sku: "KEY-DESK-1", name: "Keyboard Desk", category: "furniture", priceCents: 19900, stock: 3 }, admin);
		expect(created.status).toBe(201);

		const context = await browser.newContext({ viewport: VIEWPORTS.phone });
		const page = await context.newPage();
		page.on("pageerror", (err) => pageErrors.push(err.message));
		await page.goto(`${origin}/login`);
		await page.getByRole("heading", { level: 1, name: "Log in" }).waitFor();

		// The skip link is the first stop, and it moves past the navigation.
		await page.keyboard.press("Tab");
		expect(await focusState(page.getByRole("link", { name: "Skip to the page" }))).toEqual({ focused: true, ring: true });

		await tabTo(page, page.getByLabel("Email"));
		await page.keyboard.type(email);
		await tabTo(page, page.getByLabel("Password"));
		await page.keyboard.type("only-the-keyboard");
		await page.keyboard.press("Enter");
		await page.getByRole("heading", { level: 1, name: "Catalogue" }).waitFor();

		// Search by typing, then add the product with Space.
		await tabTo(page, page.getByLabel("Search"));
		await page.keyboard.type("Keyboard Desk");
		await page.keyboard.press("Enter");
		await page.getByRole("heading", { level: 1, name: "Results for “Keyboard Desk”" }).waitFor();
		await tabTo(page, page.getByRole("button", { name: /^Add to cart\s*: Keyboard Desk$/ }));
		await page.keyboard.press("Space");
		await page.getByRole("status").filter({ hasText: "Keyboard Desk is in your cart." }).waitFor();

		// Back up to the header's cart link.
		await tabTo(page, page.getByRole("link", { name: /^Cart/ }), "Shift+Tab");
		await page.keyboard.press("Enter");
		await page.getByRole("heading", { level: 1, name: "Your cart" }).waitFor();
		await tabTo(page, page.getByRole("link", { name: "Check out" }));
		await page.keyboard.press("Enter");
		await page.getByRole("heading", { level: 1, name: "Checkout" }).waitFor();

		for (const [label, value] of [
			["Name", "Alan Turing"],
			["Street and number", "2 Bletchley Park"],
			["City", "Milton Keynes"],
			["Postal code", "MK3 6EB"],
			["Country code", "GB"],
		] as const) {
			await tabTo(page, page.getByLabel(label));
			await page.keyboard.type(value);
		}
		// A radio group is one stop; the arrows choose within it. Shipping first, once quoted.
		await page.getByLabel(/^Express:/).waitFor();
		expect(await page.getByLabel(/^Standard:/).isChecked()).toBe(true);
		await tabTo(page, page.getByLabel(/^Standard:/));
		await page.keyboard.press("ArrowDown");
		expect(await page.getByLabel(/^Express:/).isChecked()).toBe(true);
		await tabTo(page, page.getByLabel("Visa ending 4242"));
		for (let presses = 0; presses < 5 && !(await page.getByLabel("Slow card").isChecked()); presses++) await page.keyboard.press("ArrowDown");
		expect(await page.getByLabel("Slow card").isChecked()).toBe(true);
		await tabTo(page, page.getByRole("button", { name: "Place order" }));
		await page.keyboard.press("Enter");

		await page.waitForURL(/\/orders\/[^/]+$/);
		await page.getByRole("status").filter({ hasText: "Stock reserved: charging the card" }).waitFor({ timeout: 20000 });
		await page.getByText(/\(Express, 1–3 working days\)$/).waitFor();
		await screenshots(page, "keyboard-order-charging");
		await tabTo(page, page.getByRole("button", { name: "Cancel this order" }));
		await page.keyboard.press("Enter");
		await page.getByRole("status").filter({ hasText: "Cancelled: you cancelled it." }).waitFor({ timeout: 20000 });
		await screenshots(page, "keyboard-order-cancelled");

		// The stock held for the order is back on sale, and the charge was voided or refunded in full.
		const product = await waitFor(
			async () => (await api.get(`/products/${created.body.id}`, admin)).body as { stock: number },
			(read) => read.stock === 3,
		);
		expect(product.stock).toBe(3);
		const payments = await waitFor(
			async () => (await api.get("/payments", token)).body as { rows: { status: string }[] },
			(read) => read.rows.length === 1 && ["VOIDED", "REFUNDED"].includes(read.rows[0]!.status),
		);
		expect(payments.rows.map((payment) => payment.status)).toEqual([expect.stringMatching(/^(VOIDED|REFUNDED)$/)]);
		expect(pageErrors).toEqual([]);
		await context.close();
	});
});
