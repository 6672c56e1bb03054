import type { PaymentSandbox } from "./sandbox";
import { call, intentWith, startSandbox, waitFor, WebhookReceiver } from "./test-harness";

let receiver: WebhookReceiver;
let sandbox: PaymentSandbox;

beforeAll(async () => {
	receiver = await WebhookReceiver.start();
	sandbox = await startSandbox(receiver.url, { slowMs: 300 });
});

afterAll(async () => {
	await sandbox.stop();
	await receiver.stop();
});

/** The webhooks about `id` once `count` have arrived: [type, status, version] each. */
async function webhooksAbout(id: string, count: number): Promise<[string, string, number][]> {
	const events = await waitFor(
		() => receiver.about(id),
		(about) => about.length >= count,
	);
	return events.map((event) => [event.type, event.data.object.status, event.data.object.version]);
}

async function intentStatus(id: string): Promise<string> {
	return (await call(sandbox, "GET", `/v1/payment_intents/${id}`)).body.status as string;
}

describe("each test card", () => {
	it("tok_visa succeeds at once", async () => {
		const reply = await intentWith(sandbox, "tok_visa");
		expect(reply).toMatchObject({ status: 200, body: { status: "succeeded", amount_received: 1999, version: 2, last_payment_error: null } });
		expect(await webhooksAbout(reply.body.id, 1)).toEqual([["payment_intent.succeeded", "succeeded", 2]]);
	});

	it("tok_visa, created first and confirmed after, succeeds on confirm and cannot be confirmed twice", async () => {
		const created = await call(sandbox, "POST", "/v1/payment_intents", { body: { amount: 500, currency: "usd", payment_method: "tok_visa" } });
		const id = created.body.id as string;
		const confirmed = await call(sandbox, "POST", `/v1/payment_intents/${id}/confirm`, { body: {} });
		expect(confirmed.body).toMatchObject({ status: "succeeded", amount_received: 500, version: 2 });
		const again = await call(sandbox, "POST", `/v1/payment_intents/${id}/confirm`, { key: null });
		expect(again.status).toBe(400);
		expect(again.body.error).toMatchObject({
			type: "invalid_request_error",
			code: "payment_intent_unexpected_state",
			payment_intent: { id, status: "succeeded" },
		});
	});

	it.each(["tok_decline", "tok_stolen"])("%s is declined: 402 card_error with the intent", async (card) => {
		const reply = await intentWith(sandbox, card);
		expect(reply.status).toBe(402);
		expect(reply.body.error).toMatchObject({
			type: "card_error",
			code: "card_declined",
			message: expect.any(String),
			payment_intent: { status: "requires_payment_method", last_payment_error: { code: "card_declined" }, amount_received: 0, version: 2 },
		});
		const id = reply.body.error.payment_intent.id as string;
		expect(await webhooksAbout(id, 1)).toEqual([["payment_intent.payment_failed", "requires_payment_method", 2]]);
	});

	it("tok_slow is processing, then succeeds after PAYMENT_SLOW_MS", async () => {
		const reply = await intentWith(sandbox, "tok_slow");
		expect(reply.body).toMatchObject({ status: "processing", amount_received: 0 });
		const id = reply.body.id as string;
		expect(
			await waitFor(
				() => intentStatus(id),
				(status) => status === "succeeded",
			),
		).toBe("succeeded");
		expect(await webhooksAbout(id, 2)).toEqual([
			["payment_intent.processing", "processing", 2],
			["payment_intent.succeeded", "succeeded", 3],
		]);
	});

	it("tok_insufficient_funds is authorised, then its capture fails", async () => {
		const reply = await intentWith(sandbox, "tok_insufficient_funds");
		expect(reply.body).toMatchObject({ status: "requires_capture", amount_capturable: 1999 });
		const id = reply.body.id as string;
		expect(
			await waitFor(
				() => intentStatus(id),
				(status) => status === "requires_payment_method",
			),
		).toBe("requires_payment_method");
		const failed = (await call(sandbox, "GET", `/v1/payment_intents/${id}`)).body;
		expect(failed).toMatchObject({ amount_capturable: 0, amount_received: 0, last_payment_error: { code: "insufficient_funds" } });
		expect(await webhooksAbout(id, 2)).toEqual([
			["payment_intent.amount_capturable_updated", "requires_capture", 2],
			["payment_intent.payment_failed", "requires_payment_method", 3],
		]);
	});

	it("tok_3ds requires action: a redirect to its 3-D Secure page", async () => {
		const reply = await intentWith(sandbox, "tok_3ds", { return_url: "https://shop.example/orders/1" });
		expect(reply.body).toMatchObject({
			status: "requires_action",
			next_action: { type: "redirect_to_url", redirect_to_url: { return_url: "https://shop.example/orders/1" } },
		});
		expect(reply.body.next_action.redirect_to_url.url).toMatch(new RegExp(`^http://localhost:${sandbox.port}/3ds/${reply.body.id}\\?secret=[0-9a-f]{32}$`));
		expect(await webhooksAbout(reply.body.id, 1)).toEqual([["payment_intent.requires_action", "requires_action", 2]]);
	});

	it("publishes one event per change, each with a snapshot, listed newest first", async () => {
		const id = (await intentWith(sandbox, "tok_slow")).body.id as string;
		await waitFor(
			() => intentStatus(id),
			(status) => status === "succeeded",
		);
		const listed = (await call(sandbox, "GET", "/v1/events?limit=100")).body.data as {
			id: string;
			type: string;
			data: { object: { id: string; version: number } };
		}[];
		const mine = listed.filter((event) => event.data.object.id === id);
		expect(mine.map((event) => [event.type, event.data.object.version])).toEqual([
			["payment_intent.succeeded", 3],
			["payment_intent.processing", 2],
		]);
		const one = await waitFor(
			async () => (await call(sandbox, "GET", `/v1/events/${mine[0]!.id}`)).body,
			(event) => event.delivered === true,
		);
		expect(one).toMatchObject({ object: "event", type: "payment_intent.succeeded", delivered: true, delivery_attempts: 1 });
		expect(one.id).toMatch(/^evt_[0-9a-f]{24}$/);
		const filtered = (await call(sandbox, "GET", "/v1/events?type=payment_intent.processing")).body.data as { type: string }[];
		expect(filtered.every((event) => event.type === "payment_intent.processing")).toBe(true);
	});
});

describe("cancelling", () => {
	async function cancel(id: string) {
		return call(sandbox, "POST", `/v1/payment_intents/${id}/cancel`);
	}

	it("cancels from requires_confirmation, and answers a cancelled intent as it is", async () => {
		const id = (await call(sandbox, "POST", "/v1/payment_intents", { body: { amount: 100, currency: "eur", payment_method: "tok_visa" } })).body
			.id as string;
		const first = await cancel(id);
		expect(first).toMatchObject({ status: 200, body: { status: "canceled", version: 2 } });
		expect(await cancel(id)).toMatchObject({ status: 200, body: { status: "canceled", version: 2 } });
		expect(await webhooksAbout(id, 1)).toEqual([["payment_intent.canceled", "canceled", 2]]);
	});

	it.each(["tok_3ds", "tok_decline"])("cancels a %s intent", async (card) => {
		const reply = await intentWith(sandbox, card);
		const id = (reply.body.id ?? reply.body.error.payment_intent.id) as string;
		expect(await cancel(id)).toMatchObject({ status: 200, body: { status: "canceled", next_action: null } });
	});

	it("cancels an authorised intent before its capture fails, and the clock leaves it cancelled", async () => {
		const id = (await intentWith(sandbox, "tok_insufficient_funds")).body.id as string;
		expect(await cancel(id)).toMatchObject({ status: 200, body: { status: "canceled", amount_capturable: 0 } });
		// One authorised after it fails later than it would have: by then the clock has passed it by.
		const later = (await intentWith(sandbox, "tok_insufficient_funds")).body.id as string;
		expect(
			await waitFor(
				() => intentStatus(later),
				(status) => status === "requires_payment_method",
			),
		).toBe("requires_payment_method");
		expect(await intentStatus(id)).toBe("canceled");
	});

	it.each([
		["processing", "tok_slow"],
		["succeeded", "tok_visa"],
	])("refuses to cancel a %s intent (400)", async (status, card) => {
		const id = (await intentWith(sandbox, card)).body.id as string;
		const reply = await cancel(id);
		expect(reply.status).toBe(400);
		expect(reply.body.error).toMatchObject({ code: "payment_intent_unexpected_state", payment_intent: { status } });
	});
});
