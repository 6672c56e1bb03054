import http from "node:http";
import type { AddressInfo } from "node:net";
import { ProcessorClient } from "./processor-client";

/** A processor that answers each request as `answer` says, and records what it was sent. */
async function fakeProcessor(answer: (attempt: number) => { status: number; body: unknown } | "silent") {
	const seen: { method: string; url: string; key?: string; auth?: string }[] = [];
	const server = http.createServer((req, res) => {
		seen.push({ method: req.method!, url: req.url!, key: req.headers["idempotency-key"] as string | undefined, auth: req.headers.authorization });
		req.resume();
		const reply = answer(seen.length);
		if (reply === "silent") return;
		res.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify(reply.body));
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return { url, seen, close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

const INTENT = { id: "pi_1", object: "payment_intent", status: "succeeded", version: 2, amount: 100 };
const BODY = { amount: 100, currency: "eur", payment_method: "tok_visa", return_url: "http://shop/orders/o1", metadata: { order_id: "o1" } };
const client = (url: string, options: Partial<ConstructorParameters<typeof ProcessorClient>[0]> = {}) =>
	new ProcessorClient({ baseUrl: url, secretKey: "sk_test", timeoutMs: 300, breakerFailures: 3, breakerOpenMs: 60_000, ...options });

describe("the card processor's client", () => {
	it("sends the secret key and the idempotency key, and tries a failed call again under the same key", async () => {
		const processor = await fakeProcessor((attempt) =>
			attempt < 3 ? { status: 503, body: { error: { type: "api_error" } } } : { status: 200, body: INTENT },
		);
		try {
			expect(await client(processor.url).createIntent("charge:o1", BODY)).toEqual(INTENT);
			expect(processor.seen).toEqual(Array(3).fill({ method: "POST", url: "/v1/payment_intents", key: "charge:o1", auth: "Bearer sk_test" }));
		} finally {
			await processor.close();
		}
	});

	it("answers a declined card's intent (402) as the answer it is, without trying again", async () => {
		const declined = { ...INTENT, status: "requires_payment_method", last_payment_error: { code: "card_declined" } };
		const processor = await fakeProcessor(() => ({
			status: 402,
			body: { error: { type: "card_error", code: "card_declined", payment_intent: declined } },
		}));
		try {
			expect(await client(processor.url).createIntent("charge:o1", BODY)).toEqual(declined);
			expect(processor.seen).toHaveLength(1);
		} finally {
			await processor.close();
		}
	});

	it("gives up on a processor that does not answer within its timeout: PROCESSOR_UNAVAILABLE, retryable", async () => {
		const processor = await fakeProcessor(() => "silent");
		try {
			await expect(client(processor.url, { attempts: 2 }).getIntent("pi_1")).rejects.toMatchObject({
				type: "PROCESSOR_UNAVAILABLE",
				retryable: true,
				data: { cause: "no answer within 300 ms" },
			});
			expect(processor.seen).toHaveLength(2);
		} finally {
			await processor.close();
		}
	});

	it("refuses what the processor refuses as malformed (PROCESSOR_REJECTED), not retried", async () => {
		const processor = await fakeProcessor(() => ({
			status: 400,
			body: { error: { type: "invalid_request_error", code: "amount_too_large", message: "too much" } },
		}));
		try {
			await expect(client(processor.url).createRefund("refund:o1", { payment_intent: "pi_1", amount: 1, metadata: {} })).rejects.toMatchObject({
				type: "PROCESSOR_REJECTED",
				retryable: false,
				data: { status: 400, code: "amount_too_large" },
			});
			expect(processor.seen).toHaveLength(1);
		} finally {
			await processor.close();
		}
	});

	it("opens its circuit after failures in a row: then fails at once, without calling", async () => {
		const processor = await fakeProcessor(() => ({ status: 500, body: {} }));
		const changes: string[] = [];
		const c = client(processor.url, { attempts: 1, onBreakerChange: (state) => changes.push(state) });
		try {
			for (let i = 0; i < 3; i++) await expect(c.getIntent("pi_1")).rejects.toMatchObject({ type: "PROCESSOR_UNAVAILABLE" });
			await expect(c.getIntent("pi_1")).rejects.toMatchObject({ type: "PROCESSOR_UNAVAILABLE", data: { cause: expect.stringMatching(/circuit open/) } });
			expect(processor.seen).toHaveLength(3);
			expect(changes).toEqual(["open"]);
		} finally {
			await processor.close();
		}
	});
});
