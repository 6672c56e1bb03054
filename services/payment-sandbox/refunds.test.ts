import type { PaymentSandbox } from "./sandbox";
import { call, intentWith, startSandbox, waitFor, WebhookReceiver } from "./test-harness";

let receiver: WebhookReceiver;
let sandbox: PaymentSandbox;

beforeAll(async () => {
	receiver = await WebhookReceiver.start();
	sandbox = await startSandbox(receiver.url, { refundMs: 200 });
});

afterAll(async () => {
	await sandbox.stop();
	await receiver.stop();
});

async function paidIntent(): Promise<string> {
	return (await intentWith(sandbox, "tok_visa")).body.id as string;
}

function refund(body: Record<string, unknown>) {
	return call(sandbox, "POST", "/v1/refunds", { body });
}

async function refundStatus(id: string): Promise<string> {
	return (await call(sandbox, "GET", `/v1/refunds/${id}`)).body.status as string;
}

describe("refunds", () => {
	it("are pending, then succeed and add to the intent's amount refunded (one version more)", async () => {
		const intentId = await paidIntent();
		const created = await refund({ payment_intent: intentId, amount: 500, metadata: { reason: "return" } });
		expect(created).toMatchObject({
			status: 200,
			body: { object: "refund", payment_intent: intentId, amount: 500, currency: "eur", status: "pending", version: 1, metadata: { reason: "return" } },
		});
		const id = created.body.id as string;
		expect(id).toMatch(/^re_[0-9a-f]{24}$/);
		expect(
			await waitFor(
				() => refundStatus(id),
				(status) => status === "succeeded",
			),
		).toBe("succeeded");
		expect((await call(sandbox, "GET", `/v1/payment_intents/${intentId}`)).body).toMatchObject({ status: "succeeded", amount_refunded: 500, version: 3 });
		const events = await waitFor(
			() => receiver.about(id),
			(about) => about.length >= 2,
		);
		expect(events.map((event) => [event.type, event.data.object.status, event.data.object.version])).toEqual([
			["refund.created", "pending", 1],
			["refund.updated", "succeeded", 2],
		]);
	});

	it("refuse more than is left, counting pending refunds (400 amount_too_large), and refund the rest by default", async () => {
		const intentId = await paidIntent();
		expect((await refund({ payment_intent: intentId, amount: 1500 })).body.status).toBe("pending");
		const tooLarge = await refund({ payment_intent: intentId, amount: 500 });
		expect(tooLarge.status).toBe(400);
		expect(tooLarge.body.error).toMatchObject({ type: "invalid_request_error", code: "amount_too_large", param: "amount" });
		const rest = await refund({ payment_intent: intentId });
		expect(rest.body).toMatchObject({ amount: 499, status: "pending" });
		expect((await refund({ payment_intent: intentId })).body.error).toMatchObject({ code: "amount_too_large" });
		const intent = await waitFor(
			async () => (await call(sandbox, "GET", `/v1/payment_intents/${intentId}`)).body,
			(body) => body.amount_refunded === 1999,
		);
		expect(intent).toMatchObject({ amount_refunded: 1999, amount_received: 1999, version: 4 });
	});

	it.each([
		["a declined intent", "tok_decline"],
		["a processing intent", "tok_slow"],
	])("are refused on %s (400 payment_intent_unexpected_state)", async (_, card) => {
		const reply = await intentWith(sandbox, card);
		const intentId = (reply.body.id ?? reply.body.error.payment_intent.id) as string;
		const refused = await refund({ payment_intent: intentId, amount: 100 });
		expect(refused.status).toBe(400);
		expect(refused.body.error).toMatchObject({ code: "payment_intent_unexpected_state", payment_intent: { id: intentId } });
	});

	it.each([
		["no Idempotency-Key", { payment_intent: "pi_x" }, null, 400, "parameter_missing"],
		["an unknown intent", { payment_intent: "pi_000000000000000000000000" }, undefined, 404, "resource_missing"],
		["an amount of 0", { payment_intent: "pi_x", amount: 0 }, undefined, 400, "parameter_invalid"],
		["no payment_intent", { amount: 100 }, undefined, 400, "parameter_missing"],
		["an unknown parameter", { payment_intent: "pi_x", reason: "x" }, undefined, 400, "parameter_invalid"],
	])("are refused with %s", async (_, body, key, status, code) => {
		const reply = await call(sandbox, "POST", "/v1/refunds", { body, key });
		expect(reply.status).toBe(status);
		expect(reply.body.error.code).toBe(code);
	});

	it("replay under their key, and list by intent newest first", async () => {
		const intentId = await paidIntent();
		const key = `refund-${Date.now()}`;
		const first = await call(sandbox, "POST", "/v1/refunds", { key, body: { payment_intent: intentId, amount: 100 } });
		const again = await call(sandbox, "POST", "/v1/refunds", { key, body: { payment_intent: intentId, amount: 100 } });
		expect(again.text).toBe(first.text);
		expect(again.headers.get("idempotent-replayed")).toBe("true");
		const second = await refund({ payment_intent: intentId, amount: 200 });
		const listed = await call(sandbox, "GET", `/v1/refunds?payment_intent=${intentId}&limit=1`);
		expect(listed.body).toMatchObject({ object: "list", has_more: true, data: [{ id: second.body.id }] });
		const next = await call(sandbox, "GET", `/v1/refunds?payment_intent=${intentId}&starting_after=${second.body.id}`);
		expect(next.body).toMatchObject({ has_more: false, data: [{ id: first.body.id }] });
		expect((await call(sandbox, "GET", "/v1/refunds/re_missing")).status).toBe(404);
	});
});
