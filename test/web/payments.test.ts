import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import type { ReconciliationReport } from "../../contracts";
import { deliverWebhooks } from "../helpers/processor";
import { adminToken, http, signUp, startShop, TEST_ADMIN, type TestShop } from "../helpers/shop";
import { waitFor } from "../helpers/wait";
import { launchBrowser, screenshots, VIEWPORTS } from "./browser";

/*
 * Payments through the card processor sandbox in Chromium: a customer pays with the 3-D Secure
 * card, is asked on the order page to confirm, follows the link to the bank's page (the sandbox,
 * another origin), approves or refuses there, and is sent back to the order page, which follows
 * the order to CONFIRMED or CANCELLED. Then an admin reads the reconciliation: the books agree,
 * until a charge made straight at the processor, for no order, shows as a discrepancy.
 *
 * The browser uses http://localhost:<PORT>, the origin the shop's default PAYMENTS_RETURN_URL
 * sends the customer back to: the session is kept per origin, so the journey needs no setting.
 */

const WEB_DIR = path.join(__dirname, "../../web/dist");

describe("payments through the card processor in Chromium", () => {
	let shop: TestShop;
	let browser: Browser;
	let origin: string;
	let productId: string;
	const pageErrors: string[] = [];

	beforeAll(async () => {
		if (!fs.existsSync(path.join(WEB_DIR, "index.html"))) throw new Error("No web build: npm run build:web first (npm run test:web does)");
		shop = await startShop({ env: { WEB_DIR } });
		origin = `http://localhost:${new URL(shop.baseUrl).port}`;
		productId = (await http(shop.baseUrl).get("/products?pageSize=1")).body.rows[0].id as string;
		browser = await launchBrowser();
	});
	afterEach(() => deliverWebhooks(shop.processor, "normal"));
	afterAll(async () => {
		await browser?.close();
		await shop?.destroy();
	});

	async function newPage(): Promise<Page> {
		const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
		const page = await context.newPage();
		page.on("pageerror", (err) => pageErrors.push(err.message));
		return page;
	}

	/** A customer with one product in the cart checks out with the 3-D Secure card; answers the order's id. */
	async function checkoutWith3ds(page: Page, name: string): Promise<string> {
		const email = `${name}-${Date.now()}@example.com`;
		const { token } = await signUp(shop.baseUrl, email, "three-d-secure-pw");
		expect((await http(shop.baseUrl).put(`/cart/items/${productId}`, { qty: 1 }, token)).status).toBe(200);
		await page.goto(`${origin}/login?next=${encodeURIComponent("/checkout")}`);
		await page.getByLabel("Email").fill(email);
		await page.getByLabel("Password").fill("three-d-secure-pw");
		await page.getByRole("button", { name: "Log in" }).click();
		await page.getByRole("heading", { level: 1, name: "Checkout" }).waitFor();
		await page.getByLabel("Name").fill("Ada Lovelace");
		await page.getByLabel("Street and number").fill("12 St James Square");
		await page.getByLabel("City").fill("London");
		await page.getByLabel("Postal code").fill("SW1Y 4JH");
		await page.getByLabel("Country code").fill("GB");
		await page.getByLabel(/^Standard: /).waitFor();
		await page.getByLabel("Card with 3-D Secure").check();
		expect(await page.getByText("Asks you to confirm with your bank (3-D Secure).").count()).toBe(1);
		await page.getByRole("button", { name: "Place order" }).click();
		await page.waitForURL(/\/orders\/[^/?]+$/);
		return new URL(page.url()).pathname.split("/").pop()!;
	}

	/** The order page's step: waits for it, checks what it says, and answers its link. */
	async function confirmStep(page: Page) {
		const step = page.getByRole("region", { name: "Confirm your payment" });
		await step.waitFor({ timeout: 20_000 });
		await step.getByText("Your bank asks you to confirm this payment").waitFor();
		await page.getByRole("status").filter({ hasText: "Waiting for you to confirm the payment with your bank" }).waitFor();
		await page.getByRole("list", { name: "What happened so far" }).getByText("Your bank asked you to confirm the payment").waitFor();
		const link = step.getByRole("link", { name: "Confirm with your bank" });
		expect(await link.getAttribute("href")).toMatch(/^http:\/\/localhost:\d+\/3ds\/pi_\w+\?secret=/);
		// The same tab: the bank sends the customer back to this page.
		expect(await link.getAttribute("target")).toBeNull();
		return link;
	}

	it("3-D Secure approved: the order page asks to confirm, the bank's page approves, and back on the order page it is confirmed", async () => {
		const page = await newPage();
		const orderId = await checkoutWith3ds(page, "approve");
		const link = await confirmStep(page);
		await screenshots(page, "order-3ds-confirm");

		// The page's heading has the focus after checkout; the step's link is the next stop of the keyboard.
		await page.keyboard.press("Tab");
		expect(await link.evaluate((element) => (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement === element)).toBe(
			true,
		);
		await page.keyboard.press("Enter");
		await page.waitForURL(/\/3ds\/pi_\w+/);
		await page.getByRole("heading", { name: "Confirm your payment" }).waitFor();

		// The bank's answer reaches the shop a few seconds after the customer does: the page says it is checking meanwhile.
		await deliverWebhooks(shop.processor, "late", 3000);
		await page.getByRole("button", { name: "Approve" }).click();
		await page.waitForURL(new RegExp(`^${origin}/orders/${orderId}\\?payment_intent=pi_\\w+$`));
		await page.getByRole("status").filter({ hasText: "Checking your payment…" }).waitFor();
		expect(await page.getByRole("region", { name: "Confirm your payment" }).count()).toBe(0);
		await page.getByRole("status").filter({ hasText: "Confirmed" }).waitFor({ timeout: 30_000 });
		await page.getByRole("list", { name: "What happened so far" }).getByText("Paid: booking the parcel with the carrier").waitFor();
		expect((await http(shop.baseUrl).get(`/orders/${orderId}`, await adminToken(shop.baseUrl))).body.status).toBe("CONFIRMED");
		expect(pageErrors).toEqual([]);
		await page.context().close();
	});

	it("3-D Secure refused: back from the bank's page, the order is cancelled, and the page says why", async () => {
		const page = await newPage();
		const orderId = await checkoutWith3ds(page, "refuse");
		await (await confirmStep(page)).click();
		await page.getByRole("heading", { name: "Confirm your payment" }).waitFor();
		await page.getByRole("button", { name: "Refuse" }).click();
		await page.waitForURL(new RegExp(`^${origin}/orders/${orderId}\\?payment_intent=pi_\\w+$`));
		await page.getByRole("status").filter({ hasText: "Cancelled: the payment was not confirmed with your bank." }).waitFor({ timeout: 20_000 });
		expect(await page.getByRole("region", { name: "Confirm your payment" }).count()).toBe(0);
		// Nothing is left to cancel: the order is final.
		expect(await page.getByRole("button", { name: "Cancel this order" }).count()).toBe(0);
		await screenshots(page, "order-3ds-refused");
		const order = (await http(shop.baseUrl).get(`/orders/${orderId}`, await adminToken(shop.baseUrl))).body;
		expect(order).toMatchObject({ status: "CANCELLED", cancelReason: "PAYMENT_DECLINED" });
		expect(pageErrors).toEqual([]);
		await page.context().close();
	});

	it("shows an admin that the books agree, then a charge made at the processor for no order, after Check again", async () => {
		const api = http(shop.baseUrl);
		const admin = await adminToken(shop.baseUrl);
		// Every payment so far has its outcome: the report has nothing in flight to disagree about.
		const agreed = await waitFor(
			async () => (await api.get("/admin/payments/reconciliation", admin)).body as ReconciliationReport,
			(report) => report.discrepancies?.length === 0,
		);
		expect(agreed.discrepancies).toEqual([]);

		const page = await newPage();
		await page.goto(`${origin}/login?next=${encodeURIComponent("/admin")}`);
		await page.getByLabel("Email").fill(TEST_ADMIN.email);
		await page.getByLabel("Password").fill(TEST_ADMIN.password);
		await page.getByRole("button", { name: "Log in" }).click();
		await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
		await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Payments" }).click();
		await page.getByRole("heading", { level: 1, name: "Payment reconciliation" }).waitFor();
		await page
			.getByRole("status")
			.filter({ hasText: /^The books agree: \d+ processor intents? and \d+ payments? compared\./ })
			.waitFor();
		await page.getByText(/^Checked /).waitFor();
		expect(await page.getByRole("table").count()).toBe(0);
		await screenshots(page, "admin-payments-agree");

		// A charge straight at the processor, as a stray or fraudulent one would be: no order, no payment.
		const stray = await fetch(`${shop.processor.url}/v1/payment_intents`, {
			method: "POST",
			headers: { authorization: `Bearer ${shop.processor.secretKey}`, "content-type": "application/json", "idempotency-key": `stray-${Date.now()}` },
			body: JSON.stringify({ amount: 4200, currency: "eur", payment_method: "tok_visa", confirm: true, metadata: { order_id: "no-such-order" } }),
		});
		expect(stray.status).toBe(200);
		const intentId = ((await stray.json()) as { id: string }).id;

		await page.getByRole("button", { name: "Check again" }).click();
		await page
			.getByRole("status")
			.filter({ hasText: /^1 discrepancy found: / })
			.waitFor();
		const row = page.getByRole("table", { name: "Discrepancies" }).getByRole("row", { name: /Money at the processor, no payment in the shop/ });
		await row.getByRole("cell", { name: intentId }).waitFor();
		expect(await row.getByRole("link", { name: /no-such-order/ }).getAttribute("href")).toBe("/admin/orders/no-such-order");
		expect(await row.getByRole("cell").allInnerTexts()).toEqual(["no-such-order", intentId, "€42.00", "€0.00", "+€42.00", "no payment"]);
		await screenshots(page, "admin-payments-discrepancy");
		expect(pageErrors).toEqual([]);
		await page.context().close();
	});
});
