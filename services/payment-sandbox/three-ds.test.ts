import type { PaymentSandbox } from "./sandbox";
import { call, intentWith, startSandbox, waitFor, WebhookReceiver } from "./test-harness";

let receiver: WebhookReceiver;
let sandbox: PaymentSandbox;

beforeAll(async () => {
	receiver = await WebhookReceiver.start();
	sandbox = await startSandbox(receiver.url, { publicUrl: "http://payments.test:9999/" });
});

afterAll(async () => {
	await sandbox.stop();
	await receiver.stop();
});

/** A tok_3ds intent awaiting its decision, and its page's address on this sandbox. */
async function challenge(returnUrl?: string): Promise<{ id: string; page: string }> {
	const reply = await intentWith(sandbox, "tok_3ds", returnUrl ? { return_url: returnUrl } : {});
	const url = new URL(reply.body.next_action.redirect_to_url.url as string);
	expect(url.origin).toBe("http://payments.test:9999");
	return { id: reply.body.id as string, page: `${sandbox.url}${url.pathname}${url.search}` };
}

function decide(page: string, decision: string): Promise<Response> {
	return fetch(page, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `decision=${decision}`, redirect: "manual" });
}

describe("the 3-D Secure page", () => {
	it("is an accessible form with Approve and Refuse, and needs no API key", async () => {
		const { page } = await challenge();
		const response = await fetch(page);
		expect(response.status).toBe(200);
		expect(response.headers.get("content-type")).toMatch(/^text\/html/);
		expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
		const html = await response.text();
		expect(html).toMatch(/<html lang="en">/);
		expect(html).toMatch(/<title>[^<]+<\/title>/);
		expect(html).toContain("<h1>Confirm your payment</h1>");
		expect(html).toContain("19.99 EUR");
		expect(html).toMatch(/<form method="post">/);
		expect(html).toContain('<button type="submit" name="decision" value="approve">Approve</button>');
		expect(html).toContain('<button type="submit" name="decision" value="refuse">Refuse</button>');
		expect(html).not.toMatch(/<script|src=|href=/);
	});

	it.each([
		["no secret", (page: string) => page.replace(/\?secret=.*/, "")],
		["a wrong secret", (page: string) => page.replace(/secret=[0-9a-f]+/, "secret=00")],
		["an unknown intent", (page: string) => page.replace(/pi_[0-9a-f]+/, "pi_000000000000000000000000")],
	])("is not found with %s (404)", async (_, change) => {
		const { page } = await challenge();
		expect((await fetch(change(page))).status).toBe(404);
		expect((await decide(change(page), "approve")).status).toBe(404);
	});

	it("approve: succeeded, then 303 to the return URL with the intent's id; a second decision is 409", async () => {
		const { id, page } = await challenge("https://shop.example/orders/o1?tab=payment");
		const response = await decide(page, "approve");
		expect(response.status).toBe(303);
		expect(response.headers.get("location")).toBe(`https://shop.example/orders/o1?tab=payment&payment_intent=${id}`);
		expect((await call(sandbox, "GET", `/v1/payment_intents/${id}`)).body).toMatchObject({
			status: "succeeded",
			amount_received: 1999,
			next_action: null,
			version: 3,
		});
		const again = await decide(page, "refuse");
		expect(again.status).toBe(409);
		expect(await again.text()).toContain("already decided");
		const events = await waitFor(
			() => receiver.about(id),
			(about) => about.length >= 2,
		);
		expect(events.map((event) => [event.type, event.data.object.version])).toEqual([
			["payment_intent.requires_action", 2],
			["payment_intent.succeeded", 3],
		]);
	});

	it("refuse: requires_payment_method with authentication_failed, the return URL given at confirm", async () => {
		const created = await call(sandbox, "POST", "/v1/payment_intents", {
			body: { amount: 1999, currency: "eur", payment_method: "tok_3ds", return_url: "https://shop.example/a" },
		});
		const confirmed = await call(sandbox, "POST", `/v1/payment_intents/${created.body.id}/confirm`, { body: { return_url: "https://shop.example/b" } });
		const url = new URL(confirmed.body.next_action.redirect_to_url.url as string);
		const response = await decide(`${sandbox.url}${url.pathname}${url.search}`, "refuse");
		expect(response.headers.get("location")).toBe(`https://shop.example/b?payment_intent=${created.body.id}`);
		const intent = (await call(sandbox, "GET", `/v1/payment_intents/${created.body.id}`)).body;
		expect(intent).toMatchObject({ status: "requires_payment_method", last_payment_error: { code: "authentication_failed" } });
		const events = await waitFor(
			() => receiver.about(intent.id as string),
			(about) => about.length >= 2,
		);
		expect(events[1]).toMatchObject({ type: "payment_intent.payment_failed" });
	});

	it("shows a done page without a return URL, and refuses a form without a decision (400)", async () => {
		const { page } = await challenge();
		expect((await decide(page, "maybe")).status).toBe(400);
		const done = await decide(page, "approve");
		expect(done.status).toBe(200);
		expect(await done.text()).toContain("You approved the payment");
		const after = await fetch(page);
		expect(after.status).toBe(200);
		expect(await after.text()).not.toContain("<form");
	});
});
