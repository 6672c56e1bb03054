import { signatureHeader } from "../../lib/webhook-signature";
import { rawRequest } from "../helpers/raw-http";
import { startShopWithUsers, TEST_ADDRESS, type ShopWithUsers } from "../helpers/shop";
import { resolveRef } from "../helpers/openapi-refs";

/*
 * The headers the served document declares for each answer, held against real answers. Every
 * operation is sent what can go wrong with any operation (no token, a bad token, a customer's
 * token on an admin's operation, an unknown id, a body that is malformed, not JSON, too large or
 * against the rules, a body on a read), and what succeeds or is refused for real
 * (created, replayed, taken, wrong password, rate-limited). For each answer of a documented
 * status, every header declared required must be on it, and every header declared must come
 * with some answer of that status: a header copied onto answers that never send it (Location on
 * register's 429) fails here, as Schemathesis's missing-required-header check failed on it.
 */

/**
 * Low, so a few registrations from one address reach the 429. The gateway trusts X-Forwarded-For
 * (TRUST_PROXY) so that every other request comes from an address of its own; the setup's three
 * sign-ins share the loopback address and stay under the limit.
 */
const AUTH_RATE_LIMIT = 4;
const WEBHOOK_SECRET = "whsec_test_openapi_headers";

type Header = { required?: boolean };
type Response = { headers?: Record<string, unknown> };
type Document = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

/** One real answer: the operation (`POST /orders/{id}/cancel`), its status and its headers' names, lower-cased. */
type Answer = { operation: string; status: string; headers: Set<string> };

interface Send {
	/** The path sent, under /api; the operation's own path when left out. */
	path?: string;
	token?: string;
	body?: string | object;
	headers?: Record<string, string>;
}

describe("the headers the document declares for each answer", () => {
	let s: ShopWithUsers;
	let document: Document;
	const answers: Answer[] = [];
	let address = 0;

	/** Sends a request to an operation and keeps its answer. Each comes from another client address, unless told. */
	async function send(operation: string, request: Send = {}): Promise<{ status: number; json: any }> {
		const [method, template] = operation.split(" ") as [string, string];
		address++;
		const headers: Record<string, string> = { "x-forwarded-for": `10.0.${address >> 8}.${address & 255}`, ...request.headers };
		if (request.token) headers.authorization = `Bearer ${request.token}`;
		let body: string | undefined;
		if (request.body !== undefined) {
			body = typeof request.body === "string" ? request.body : JSON.stringify(request.body);
			headers["content-type"] ??= "application/json";
		}
		const path = request.path ?? template.replace(/\{[^}]+\}/g, "no-such-id");
		const res = await rawRequest(s.shop.baseUrl, { method, path, headers, body });
		answers.push({ operation, status: String(res.status), headers: new Set(Object.keys(res.headers)) });
		return { status: res.status, json: res.json };
	}

	/** A stream's answer: its status and headers, without waiting for the stream to end. */
	async function open(operation: string, path: string, token: string): Promise<void> {
		const abort = new AbortController();
		const res = await fetch(`${s.shop.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
		answers.push({ operation, status: String(res.status), headers: new Set([...res.headers.keys()]) });
		abort.abort();
	}

	const resolve = <T>(value: unknown): T => resolveRef<T>(document, value);

	/** The headers the document declares for an operation's answer of a status; undefined when it documents no such answer. */
	function declared(operation: string, status: string): Record<string, Header> | undefined {
		const [method, path] = operation.split(" ") as [string, string];
		const response = document.paths[path]?.[method.toLowerCase()]?.responses[status];
		if (response === undefined) return undefined;
		const headers = resolve<Response>(response).headers ?? {};
		return Object.fromEntries(Object.entries(headers).map(([name, header]) => [name, resolve<Header>(header)]));
	}

	const operations = () =>
		Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));

	beforeAll(async () => {
		s = await startShopWithUsers("openapi-headers@example.com", {
			env: { TRUST_PROXY: "true", AUTH_RATE_LIMIT_PER_MINUTE: String(AUTH_RATE_LIMIT), PAYMENTS_WEBHOOK_SECRET: WEBHOOK_SECRET, BODY_LIMIT: "16kb" },
		});
		document = (await rawRequest(s.shop.baseUrl, { method: "GET", path: "/openapi.json" })).json as Document;
		await sendWhatAnyOperationMeets();
		await sendWhatSucceedsOrIsRefused();
	}, 120_000);
	afterAll(() => s?.shop.destroy());

	/** The requests that need nothing to exist: the same for every operation. */
	async function sendWhatAnyOperationMeets(): Promise<void> {
		// Past the gateway's limit (BODY_LIMIT below) and the webhooks' own (64 kB).
		const huge = JSON.stringify({ padding: "x".repeat(70 * 1024) });
		for (const operation of operations()) {
			const writes = !/^(GET|DELETE) /.test(operation);
			const body = writes ? {} : undefined;
			await send(operation, { body });
			await send(operation, { body, token: "not-a-token" });
			await send(operation, { body, token: s.customer });
			await send(operation, { body, token: s.admin });
			if (writes) {
				await send(operation, { token: s.admin, body: "{" });
				await send(operation, { token: s.admin, body: "{}", headers: { "content-type": "text/plain" } });
				await send(operation, { token: s.admin, body: huge });
				await send(operation, { token: s.admin, body: { unexpected: true } });
			} else {
				await send(operation, { token: s.admin, body: "{}" });
			}
		}
	}

	/** Successes and refusals that need a resource, an earlier request or a signature. */
	async function sendWhatSucceedsOrIsRefused(): Promise<void> {
		const { admin, customer, productId } = s;
		const credentials = { email: "headers-new@example.com", password: "correct-horse-battery" };
		expect((await send("POST /auth/register", { body: { ...credentials, name: "Ada" } })).status).toBe(201);
		await send("POST /auth/register", { body: { ...credentials, name: "Ada" } });
		expect((await send("POST /auth/login", { body: credentials })).status).toBe(200);
		await send("POST /auth/login", { body: { ...credentials, password: "wrong-password" } });
		// One address past the limit: both auth routes share its count.
		const crowded = { "x-forwarded-for": "203.0.113.7" };
		for (let i = 0; i <= AUTH_RATE_LIMIT; i++)
			await send("POST /auth/register", { body: { email: `crowd${i}@example.com`, password: "x" }, headers: crowded });
		await send("POST /auth/login", { body: credentials, headers: crowded });

		await send("PATCH /me", { token: customer, body: { name: "Ada King" } });
		await send("GET /products/{id}", { path: `/products/${productId}` });
		const product = { sku: "HEADERS-1", name: "Header mug", category: "mugs", priceCents: 900, currency: "EUR", stock: 50 };
		const created = await send("POST /products", { token: admin, body: product });
		await send("POST /products", { token: admin, body: product });
		await send("PATCH /products/{id}", { path: `/products/${created.json.id}`, token: admin, body: { priceCents: 950 } });
		await send("POST /products/{id}/deactivate", { path: `/products/${created.json.id}/deactivate`, token: admin });
		await send("GET /docs/{file}", { path: "/docs/start.js" });
		await send("POST /shipping/quotes", { body: { items: [{ productId, qty: 1 }], destination: { country: "GB", postalCode: "SW1Y 4JH" } } });

		await send("PUT /cart/items/{productId}", { path: `/cart/items/${productId}`, token: customer, body: { qty: 2 } });
		await send("DELETE /cart/items/{productId}", { path: `/cart/items/${productId}`, token: customer });
		await send("POST /cart/merge", { token: customer, body: { items: [{ productId, qty: 1 }] } });
		const checkout = { shippingAddress: TEST_ADDRESS };
		const key = { "idempotency-key": "headers-checkout" };
		expect((await send("POST /cart/checkout", { token: customer, body: checkout, headers: key })).status).toBe(201);
		await send("POST /cart/checkout", { token: customer, body: checkout, headers: key });
		await send("POST /cart/checkout", { token: customer, body: checkout });

		const order = { items: [{ productId, qty: 1 }], shippingAddress: TEST_ADDRESS };
		const placed = await send("POST /orders", { token: customer, body: order, headers: { "idempotency-key": "headers-order" } });
		await send("POST /orders", { token: customer, body: order, headers: { "idempotency-key": "headers-order" } });
		await send("POST /orders", { token: customer, body: { ...order, items: [{ productId, qty: 2 }] }, headers: { "idempotency-key": "headers-order" } });
		const id = placed.json.id as string;
		await send("GET /orders/{id}", { path: `/orders/${id}`, token: customer });
		await send("GET /admin/orders/{id}/timeline", { path: `/admin/orders/${id}/timeline`, token: admin });
		await send("POST /orders/{id}/returns", { path: `/orders/${id}/returns`, token: customer, body: { items: [{ productId, qty: 1 }] } });
		await send("POST /orders/{id}/cancel", { path: `/orders/${id}/cancel`, token: customer });
		await send("POST /orders/{id}/cancel", { path: `/orders/${id}/cancel`, token: customer });
		await open("GET /orders/{id}/events", `/orders/${id}/events`, customer);
		await send("GET /payments", { path: `/payments?orderId=${id}`, token: customer });

		// About no payment the shop knows: answered 200 and changes nothing.
		const intent = { id: "pi_headers", object: "payment_intent", status: "succeeded", version: 1, amount: 1, amount_received: 1, currency: "eur" };
		const event = JSON.stringify({
			id: "evt_headers",
			object: "event",
			type: "payment_intent.succeeded",
			created: Math.floor(Date.now() / 1000),
			data: { object: { ...intent, metadata: { order_id: "no-such-order" } } },
		});
		await send("POST /webhooks/payments", { body: event, headers: { signature: signatureHeader(WEBHOOK_SECRET, event) } });
	}

	it("sends every header an answer declares required, on each answer of that status", () => {
		const missing = answers.flatMap(({ operation, status, headers }) =>
			Object.entries(declared(operation, status) ?? {})
				.filter(([name, header]) => header.required === true && !headers.has(name.toLowerCase()))
				.map(([name]) => `${operation} ${status} lacks ${name}`),
		);
		expect([...new Set(missing)]).toEqual([]);
	});

	it("sends every header an answer declares with some answer of that status", () => {
		const byAnswer = new Map<string, Answer[]>();
		for (const answer of answers)
			byAnswer.set(`${answer.operation} ${answer.status}`, [...(byAnswer.get(`${answer.operation} ${answer.status}`) ?? []), answer]);
		const neverSent = [...byAnswer.values()].flatMap((group) =>
			Object.keys(declared(group[0]!.operation, group[0]!.status) ?? {})
				.filter((name) => !group.some((answer) => answer.headers.has(name.toLowerCase())))
				.map((name) => `${group[0]!.operation} ${group[0]!.status} never sends ${name}`),
		);
		expect(neverSent).toEqual([]);
	});

	it("has held every operation to real answers, among them each status a header depends on", () => {
		const checked = new Set(answers.filter((answer) => declared(answer.operation, answer.status)).map((answer) => `${answer.operation} ${answer.status}`));
		const unchecked = operations().filter((operation) => ![...checked].some((answer) => answer.startsWith(`${operation} `)));
		expect(unchecked).toEqual([]);
		for (const answer of [
			"POST /auth/register 201",
			"POST /auth/register 409",
			"POST /auth/register 422",
			"POST /auth/register 429",
			"POST /auth/login 200",
			"POST /auth/login 401",
			"POST /auth/login 429",
			"POST /products 201",
			"POST /cart/checkout 201",
			"POST /orders 201",
			"GET /products 400",
			"GET /me 401",
			"GET /customers 403",
			"GET /orders/{id} 404",
			"POST /products 409",
			"POST /orders 413",
			"POST /orders 415",
			"POST /orders 422",
		])
			expect({ answer, checked: checked.has(answer) }).toEqual({ answer, checked: true });
	});

	it("answers only statuses the document describes for the operation", () => {
		const undocumented = answers.filter((answer) => !declared(answer.operation, answer.status)).map((answer) => `${answer.operation} ${answer.status}`);
		expect([...new Set(undocumented)]).toEqual([]);
	});
});
