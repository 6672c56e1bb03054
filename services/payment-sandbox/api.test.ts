import http from "node:http";
import type { PaymentSandbox } from "./sandbox";
import { call, intentWith, startSandbox, WebhookReceiver } from "./test-harness";

let receiver: WebhookReceiver;
let sandbox: PaymentSandbox;

beforeAll(async () => {
	receiver = await WebhookReceiver.start();
	sandbox = await startSandbox(receiver.url);
});

afterAll(async () => {
	await sandbox.stop();
	await receiver.stop();
});

const VALID = { amount: 1999, currency: "EUR", payment_method: "tok_visa" };

describe("the HTTP surface", () => {
	it("answers /healthz without a key", async () => {
		expect(await call(sandbox, "GET", "/healthz", { auth: null })).toMatchObject({ status: 200, body: { ok: true } });
	});

	it.each([
		["no key", null, "You did not provide an API key"],
		["a wrong key", "sk_test_wrong", "Invalid API key"],
		["a longer wrong key", "sk_test_harness_and_more", "Invalid API key"],
	])("refuses /v1 with %s (401)", async (_, auth, message) => {
		const reply = await call(sandbox, "GET", "/v1/payment_intents", { auth });
		expect(reply.status).toBe(401);
		expect(reply.body.error).toMatchObject({ type: "authentication_error", message: expect.stringContaining(message) });
	});

	it("answers unknown routes 404 and wrong methods 405 with Allow", async () => {
		expect(await call(sandbox, "GET", "/v1/charges")).toMatchObject({ status: 404, body: { error: { type: "invalid_request_error" } } });
		expect(await call(sandbox, "GET", "/nowhere", { auth: null })).toMatchObject({ status: 404 });
		const wrong = await call(sandbox, "DELETE", "/v1/payment_intents");
		expect(wrong.status).toBe(405);
		expect(wrong.headers.get("allow")).toBe("POST, GET");
	});

	it("refuses a body over 64 kB (413), one that is not JSON or not an object (400)", async () => {
		const big = await call(sandbox, "POST", "/v1/payment_intents", { rawBody: JSON.stringify({ ...VALID, metadata: { a: "x".repeat(70_000) } }) });
		expect(big.status).toBe(413);
		expect(await call(sandbox, "POST", "/v1/payment_intents", { rawBody: "{not json" })).toMatchObject({
			status: 400,
			body: { error: { type: "invalid_request_error" } },
		});
		expect(await call(sandbox, "POST", "/v1/payment_intents", { rawBody: "[1,2]" })).toMatchObject({ status: 400 });
		const deep = "[".repeat(5000) + "]".repeat(5000);
		expect(await call(sandbox, "POST", "/v1/payment_intents", { rawBody: `{"a":${deep}}` })).toMatchObject({ status: 400 });
	});
});

/** Streams `chunks` chunks of 16 kB without a Content-Length; resolves with the status the sandbox answers. */
function postChunked(chunks: number): Promise<number> {
	return new Promise((resolve, reject) => {
		const request = http.request(`${sandbox.url}/v1/payment_intents`, {
			method: "POST",
			headers: { authorization: "Bearer sk_test_harness", "idempotency-key": `chunked-${Date.now()}`, "transfer-encoding": "chunked" },
		});
		request.on("response", (response) => {
			response.resume();
			resolve(response.statusCode ?? 0);
		});
		request.on("error", reject);
		request.write('{"metadata":{"a":"');
		for (let i = 0; i < chunks; i++) request.write("x".repeat(16 * 1024));
		request.end('"}}');
	});
}

describe("hostile input", () => {
	it("refuses a chunked body over 64 kB that declares no length (413)", async () => {
		expect(await postChunked(6)).toBe(413);
		expect((await call(sandbox, "GET", "/healthz")).status).toBe(200);
	});

	it.each(["/v1/payment_intents/%E0%A4%A", "/v1/payment_intents/pi_1/confirm/extra", "/3ds/%ZZ?secret=%ZZ", "/v1/events/..%2F..%2Fetc"])(
		"answers %s without a 5xx",
		async (path) => {
			const reply = await call(sandbox, "GET", path);
			expect(reply.status).toBeGreaterThanOrEqual(400);
			expect(reply.status).toBeLessThan(500);
		},
	);

	it("answers a null, a number or a string where an object is wanted with 400", async () => {
		for (const rawBody of ["null", "12", '"x"', '{"metadata":null}', '{"amount":null}']) {
			expect((await call(sandbox, "POST", "/v1/payment_intents", { rawBody })).status).toBe(400);
		}
	});
});

describe("creating an intent", () => {
	it.each([
		["amount missing", { currency: "eur", payment_method: "tok_visa" }, "parameter_missing", "amount"],
		["amount 0", { ...VALID, amount: 0 }, "parameter_invalid", "amount"],
		["amount fractional", { ...VALID, amount: 10.5 }, "parameter_invalid", "amount"],
		["amount as a string", { ...VALID, amount: "1999" }, "parameter_invalid", "amount"],
		["amount too large", { ...VALID, amount: 100_000_000 }, "parameter_invalid", "amount"],
		["currency of 4 letters", { ...VALID, currency: "euro" }, "parameter_invalid", "currency"],
		["currency missing", { amount: 1, payment_method: "tok_visa" }, "parameter_missing", "currency"],
		["payment_method missing", { amount: 1, currency: "eur" }, "parameter_missing", "payment_method"],
		["payment_method too long", { ...VALID, payment_method: "t".repeat(101) }, "parameter_invalid", "payment_method"],
		["confirm not a boolean", { ...VALID, confirm: "yes" }, "parameter_invalid", "confirm"],
		["return_url not http(s)", { ...VALID, return_url: "javascript:alert(1)" }, "parameter_invalid", "return_url"],
		["an unknown parameter", { ...VALID, customer: "cus_1" }, "parameter_invalid", "customer"],
		["metadata an array", { ...VALID, metadata: ["a"] }, "parameter_invalid", "metadata"],
		[
			"metadata with 21 keys",
			{ ...VALID, metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"])) },
			"parameter_invalid",
			"metadata",
		],
		["a metadata value over 500", { ...VALID, metadata: { order: "x".repeat(501) } }, "parameter_invalid", "metadata[order]"],
		["a metadata value not a string", { ...VALID, metadata: { order: 1 } }, "parameter_invalid", "metadata[order]"],
	])("refuses %s (400)", async (_, body, code, param) => {
		const reply = await call(sandbox, "POST", "/v1/payment_intents", { body });
		expect(reply.status).toBe(400);
		expect(reply.body.error).toMatchObject({ type: "invalid_request_error", code, param });
	});

	it("needs an Idempotency-Key of at most 255 characters", async () => {
		const without = await call(sandbox, "POST", "/v1/payment_intents", { body: VALID, key: null });
		expect(without.body.error).toMatchObject({ code: "parameter_missing", param: "Idempotency-Key" });
		expect((await call(sandbox, "POST", "/v1/payment_intents", { body: VALID, key: "k".repeat(256) })).status).toBe(400);
		expect((await call(sandbox, "POST", "/v1/payment_intents", { body: VALID, key: "k".repeat(255) })).status).toBe(200);
	});

	it("keeps metadata with any key, lowercases the currency and awaits confirmation", async () => {
		const rawBody = JSON.stringify({ ...VALID, metadata: { "order.id": "o1", $x: "y" } }).replace('"$x"', '"__proto__":"p","$x"');
		const reply = await call(sandbox, "POST", "/v1/payment_intents", { rawBody });
		expect(reply.status).toBe(200);
		expect(reply.body).toMatchObject({
			object: "payment_intent",
			currency: "eur",
			status: "requires_confirmation",
			version: 1,
			livemode: false,
			next_action: null,
		});
		expect(reply.body.id).toMatch(/^pi_[0-9a-f]{24}$/);
		expect(reply.text).toContain('"metadata":{"order.id":"o1","__proto__":"p","$x":"y"}');
		expect((await call(sandbox, "GET", `/v1/payment_intents/${reply.body.id}`)).body).toEqual(reply.body);
	});

	it("answers 404 resource_missing for an unknown id", async () => {
		const reply = await call(sandbox, "GET", "/v1/payment_intents/pi_000000000000000000000000");
		expect(reply).toMatchObject({ status: 404, body: { error: { type: "invalid_request_error", code: "resource_missing" } } });
	});
});

describe("idempotency", () => {
	it("replays the first answer for the same key and body, in any key order", async () => {
		const key = `replay-${Date.now()}`;
		const first = await call(sandbox, "POST", "/v1/payment_intents", { key, body: { ...VALID, confirm: true } });
		const again = await call(sandbox, "POST", "/v1/payment_intents", {
			key,
			rawBody: JSON.stringify({ confirm: true, payment_method: "tok_visa", currency: "EUR", amount: 1999 }),
		});
		expect(again.status).toBe(first.status);
		expect(again.text).toBe(first.text);
		expect(again.headers.get("idempotent-replayed")).toBe("true");
		expect(first.headers.get("idempotent-replayed")).toBeNull();
	});

	it("replays a decline's 402 too", async () => {
		const key = `decline-${Date.now()}`;
		const first = await intentWith(sandbox, "tok_decline", {});
		expect(first.status).toBe(402);
		const body = { ...VALID, payment_method: "tok_decline", confirm: true };
		const one = await call(sandbox, "POST", "/v1/payment_intents", { key, body });
		const two = await call(sandbox, "POST", "/v1/payment_intents", { key, body });
		expect([one.status, two.status]).toEqual([402, 402]);
		expect(two.text).toBe(one.text);
	});

	it("refuses the key with another body (400 idempotency_error), and does not keep a refused request", async () => {
		const key = `reuse-${Date.now()}`;
		expect((await call(sandbox, "POST", "/v1/payment_intents", { key, body: { ...VALID, amount: 0 } })).status).toBe(400);
		expect((await call(sandbox, "POST", "/v1/payment_intents", { key, body: VALID })).status).toBe(200);
		const other = await call(sandbox, "POST", "/v1/payment_intents", { key, body: { ...VALID, amount: 2000 } });
		expect(other).toMatchObject({ status: 400, body: { error: { type: "idempotency_error" } } });
	});

	it("creates one intent for concurrent requests with one key", async () => {
		const key = `concurrent-${Date.now()}`;
		const replies = await Promise.all(
			Array.from({ length: 8 }, () => call(sandbox, "POST", "/v1/payment_intents", { key, body: { ...VALID, metadata: { key } } })),
		);
		expect(new Set(replies.map((reply) => reply.body.id)).size).toBe(1);
		expect(replies.filter((reply) => reply.headers.get("idempotent-replayed") === "true")).toHaveLength(7);
	});
});

describe("listing intents", () => {
	it("pages newest first with has_more, filtered by status", async () => {
		const made: string[] = [];
		for (let i = 0; i < 5; i++)
			made.push((await call(sandbox, "POST", "/v1/payment_intents", { body: { ...VALID, payment_method: "tok_list" } })).body.id as string);
		const seen: string[] = [];
		let after: string | undefined;
		for (;;) {
			const page = await call(sandbox, "GET", `/v1/payment_intents?status=requires_confirmation&limit=2${after ? `&starting_after=${after}` : ""}`);
			expect(page.body).toMatchObject({ object: "list" });
			expect(page.body.data.length).toBeLessThanOrEqual(2);
			seen.push(...page.body.data.map((intent: { id: string; status: string }) => (expect(intent.status).toBe("requires_confirmation"), intent.id)));
			if (!page.body.has_more) break;
			after = seen[seen.length - 1];
		}
		expect(seen.slice(0, 5)).toEqual([...made].reverse());
		expect(new Set(seen).size).toBe(seen.length);
		expect((await call(sandbox, "GET", "/v1/payment_intents")).body.data).toHaveLength(10);
	});

	it.each(["limit=0", "limit=101", "limit=x", "status=paid", "starting_after=pi_missing", "colour=blue"])("refuses %s (400)", async (query) => {
		expect((await call(sandbox, "GET", `/v1/payment_intents?${query}`)).body.error).toMatchObject({
			type: "invalid_request_error",
			code: "parameter_invalid",
		});
	});
});
