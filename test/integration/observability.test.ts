import type { Order } from "../../contracts";
import { freePort } from "../helpers/net";
import { completeTrace, expectOrderWorkLogged, jsonLines, sample, scrape, ZipkinCollector, type Samples } from "../helpers/observability";
import { adminToken, http, signUp, startShop, type TestShop, TEST_ADDRESS } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

const address = TEST_ADDRESS;
const SAGA_SERVICES = ["api", "orders", "catalogue", "payments", "shipping", "notifications"];

/** Captures what the broker's console logger prints, line by line. */
function captureConsole(): { lines: string[]; restore(): void } {
	const lines: string[] = [];
	const spies = (["log", "info", "warn", "error"] as const).map((method) =>
		jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
			lines.push(args.map(String).join(" "));
		}),
	);
	return { lines, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

describe("observability of the embedded shop", () => {
	let shop: TestShop;
	let collector: ZipkinCollector;
	let metricsUrl: string;
	let logs: ReturnType<typeof captureConsole>;
	let api: ReturnType<typeof http>;
	let token: string;
	let productId: string;

	beforeAll(async () => {
		collector = await ZipkinCollector.start();
		const metricsPort = await freePort();
		metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
		logs = captureConsole();
		shop = await startShop({
			logs: true,
			env: {
				ZIPKIN_URL: collector.url,
				TRACE_FLUSH_MS: "200",
				METRICS_PORT: String(metricsPort),
				LOG_FORMAT: "json",
				LOG_LEVEL: "info",
				OUTBOX_RELAY_MS: "100",
			},
		});
		api = http(shop.baseUrl);
		const admin = await adminToken(shop.baseUrl);
		token = (await signUp(shop.baseUrl, "observed@example.com")).token;
		productId = (await api.post("/products", { sku: "OBS-1", name: "Observed", category: "obs", priceCents: 1250, stock: 20 }, admin)).body.id;
	});
	afterAll(async () => {
		await shop.destroy();
		logs.restore();
		await collector.close();
	});

	async function placeOrder(
		paymentMethod: string,
		requestId: string,
		shippingAddress = address,
	): Promise<{ order: Order; responseRequestId: string | null }> {
		const res = await api.post<Order>("/orders", { items: [{ productId, qty: 2 }], shippingAddress, paymentMethod }, token, {
			"x-request-id": requestId,
		});
		expect(res.status).toBe(201);
		return { order: res.body, responseRequestId: res.headers.get("x-request-id") };
	}

	async function finalOrder(id: string): Promise<Order> {
		return (
			await waitFor(
				() => api.get<Order>(`/orders/${id}`, token),
				(res) => ["CONFIRMED", "CANCELLED"].includes(res.body.status),
			)
		).body;
	}

	async function scrapeUntil(done: (samples: Samples) => boolean): Promise<Samples> {
		return waitFor(() => scrape(metricsUrl), done, 10_000, 100);
	}

	describe("an order placed through the gateway", () => {
		const requestId = `req-obs-${Date.now()}`;
		let order: Order;
		let traceId: string;

		beforeAll(async () => {
			const placed = await placeOrder("tok_visa", requestId);
			expect(placed.responseRequestId).toBe(requestId);
			order = await finalOrder(placed.order.id);
			expect(order.status).toBe("CONFIRMED");
			// The confirmation email is the saga's last step.
			await waitFor(
				() => api.get("/notifications", token),
				(res) => res.body.rows?.some((n: { orderId: string }) => n.orderId === order.id),
			);
			const root = await waitFor(
				async () => collector.spans.find((span) => span.name === "POST /api/orders" && !span.parentId),
				(span) => span !== undefined,
			);
			traceId = root!.traceId;
		});

		it("is one trace from the gateway through orders, catalogue, payments and notifications, with no gaps", async () => {
			const spans = await completeTrace(collector, traceId, SAGA_SERVICES, 10_000);
			expect(traceId).toMatch(/^[0-9a-f]{32}$/);
			// The event hops show as producer and consumer spans of the same trace.
			expect(spans.filter((span) => span.kind === "PRODUCER").map((span) => span.name)).toEqual(
				expect.arrayContaining(["publish 'order.created'", "publish 'stock.reserved'", "publish 'payment.settled'", "publish 'order.confirmed'"]),
			);
			expect(spans.filter((span) => span.kind === "CONSUMER" && span.localEndpoint?.serviceName === "notifications").map((span) => span.name)).toContain(
				"handle 'order.confirmed'",
			);
		});

		it("keeps action params (addresses, card tokens, passwords) out of the spans", () => {
			const tags = JSON.stringify(collector.spans.map((span) => span.tags));
			expect(tags).not.toContain("St James Square");
			expect(tags).not.toContain("correct-horse-battery");
		});

		it("logs one JSON object per line with the request id, trace id and order id on every line of the order's work", () => {
			const lines = jsonLines(logs.lines);
			for (const line of lines) {
				expect(Object.keys(line)).toEqual(expect.arrayContaining(["time", "level", "nodeID", "service", "msg"]));
			}
			const ofRequest = expectOrderWorkLogged(lines, { requestId, traceId, orderId: order.id });
			// Every service the saga went through logged its part of it under the client's request id.
			expect([...new Set(ofRequest.map((line) => line.service))]).toEqual(expect.arrayContaining(SAGA_SERVICES));
			const sagaLines = ofRequest.filter((line) => line.service !== "api");
			expect(sagaLines.every((line) => line.orderId === order.id)).toBe(true);
		});

		it("counts the order, its confirmation, its saga's duration and the money captured", async () => {
			const samples = await scrapeUntil(
				(s) => sample(s, "shop_outbox_backlog", { service: "orders" }) === 0 && sample(s, "shop_orders_confirmed_total") === 1,
			);
			expect(sample(samples, "shop_orders_created_total")).toBe(1);
			expect(sample(samples, "shop_orders_confirmed_total")).toBe(1);
			expect(sample(samples, "shop_orders_saga_duration_seconds_count", { outcome: "CONFIRMED" })).toBe(1);
			const sagaSeconds = sample(samples, "shop_orders_saga_duration_seconds_sum", { outcome: "CONFIRMED" })!;
			expect(sagaSeconds).toBeGreaterThan(0);
			expect(sagaSeconds).toBeLessThan(60);
			expect(sample(samples, "shop_payments_captured_cents_total", { currency: order.currency })).toBe(order.totalCents);
			for (const service of ["orders", "catalogue", "payments", "shipping", "customers"])
				expect(sample(samples, "shop_outbox_backlog", { service })).toBe(0);
			// Moleculer's own metrics are there too: requests per action, with their latency.
			expect(sample(samples, "moleculer_request_total", { action: "orders.create" })).toBeGreaterThanOrEqual(1);
			expect(sample(samples, "moleculer_request_time_count", { action: "orders.create" })).toBeGreaterThanOrEqual(1);
		});

		it("serves what the objectives and alerts are measured by: the API's answers, saturation, replicas, stuck sagas, retries", async () => {
			const samples = await scrapeUntil((s) => (sample(s, "shop_http_requests_total", { kind: "write", code: "201" }) ?? 0) >= 1);
			// The order's 201 and the reads the test made, counted and timed at the gateway.
			expect(sample(samples, "shop_http_requests_total", { kind: "read", code: "200" })).toBeGreaterThanOrEqual(1);
			expect(sample(samples, "shop_http_request_duration_seconds_count", { kind: "read" })).toBeGreaterThanOrEqual(1);
			expect(sample(samples, "shop_http_request_duration_seconds_bucket", { kind: "read", le: "+Inf" })).toBe(
				sample(samples, "shop_http_request_duration_seconds_count", { kind: "read" }),
			);
			expect(sample(samples, "shop_http_request_duration_seconds_bucket", { kind: "read", le: "0.3" })).toBeDefined();
			expect(sample(samples, "shop_process_event_loop_delay_p99_seconds")).toBeGreaterThanOrEqual(0);
			// One node with every service: one replica each, and none stuck or retried.
			for (const service of ["api", "catalogue", "customers", "carts", "orders", "payments", "shipping", "notifications"])
				expect(sample(samples, "shop_cluster_service_replicas", { service })).toBe(1);
			expect(sample(samples, "shop_orders_sagas_stuck")).toBe(0);
			expect(sample(samples, "shop_events_inbox_retries_total", { service: "orders", type: "payment.settled", reason: "failed" })).toBe(0);
		});

		it("answers with a request id of its own when the client sends none or a malformed one", async () => {
			const none = await api.get("/products");
			expect(none.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
			const malformed = await api.get("/products", undefined, { "x-request-id": "bad id with spaces" });
			expect(malformed.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
			const onError = await api.get("/orders/not-an-order-id", token, { "x-request-id": "req-on-error" });
			expect(onError.status).toBeGreaterThanOrEqual(400);
			expect(onError.headers.get("x-request-id")).toBe("req-on-error");
			const unrouted = await api.get("/nowhere", undefined, { "x-request-id": "req-unrouted" });
			expect(unrouted.status).toBe(404);
			expect(unrouted.headers.get("x-request-id")).toBe("req-unrouted");
		});
	});

	it("counts cancellations by reason, and refunds in cents", async () => {
		const declined = await finalOrder((await placeOrder("tok_decline", "req-obs-declined")).order.id);
		expect(declined).toMatchObject({ status: "CANCELLED", cancelReason: "PAYMENT_DECLINED" });
		// The carrier sandbox refuses postal code 00000: paid, then cancelled and refunded.
		const paid = await finalOrder((await placeOrder("tok_visa", "req-obs-refunded", { ...address, postalCode: "00000" })).order.id);
		expect(paid).toMatchObject({ status: "CANCELLED", cancelReason: "SHIPPING_REFUSED" });
		await waitFor(
			() => api.get<Order>(`/orders/${paid.id}`, token),
			(res) => res.body.refundedCents === paid.totalCents,
		);

		const samples = await scrapeUntil((s) => sample(s, "shop_payments_refunded_cents_total", { currency: paid.currency }) === paid.totalCents);
		expect(sample(samples, "shop_orders_cancelled_total", { reason: "PAYMENT_DECLINED" })).toBe(1);
		expect(sample(samples, "shop_orders_cancelled_total", { reason: "SHIPPING_REFUSED" })).toBe(1);
		expect(sample(samples, "shop_orders_saga_duration_seconds_count", { outcome: "CANCELLED" })).toBe(2);
		expect(sample(samples, "shop_orders_created_total")).toBe(3);
		expect(sample(samples, "shop_payments_refunded_cents_total", { currency: paid.currency })).toBe(paid.totalCents);
		expect(sample(samples, "shop_payments_captured_cents_total", { currency: paid.currency })).toBe(2 * paid.totalCents);
	});
});

describe("observability of stock holds", () => {
	it("counts a reservation that expired because nobody paid for the order", async () => {
		const metricsPort = await freePort();
		// No payments service: the order reserves its stock and then waits for a charge that never comes.
		const shop = await startShop({
			services: ["api", "catalogue", "customers", "orders", "shipping"],
			env: { METRICS_PORT: String(metricsPort), RESERVATION_TTL_MS: "1000", RESERVATION_SWEEP_MS: "100", OUTBOX_RELAY_MS: "100" },
		});
		try {
			const api = http(shop.baseUrl);
			const admin = await adminToken(shop.baseUrl);
			const { token } = await signUp(shop.baseUrl, "unpaid@example.com");
			const productId = (await api.post("/products", { sku: "OBS-2", name: "Held", category: "obs", priceCents: 500, stock: 4 }, admin)).body.id;
			expect((await api.post("/orders", { items: [{ productId, qty: 3 }], shippingAddress: address }, token)).status).toBe(201);
			const samples = await waitFor(
				() => scrape(`http://127.0.0.1:${metricsPort}/metrics`),
				(s) => sample(s, "shop_stock_reservations_expired_total") === 1,
			);
			expect(sample(samples, "shop_stock_reservations_expired_total")).toBe(1);
			expect((await api.get(`/products/${productId}`)).body.stock).toBe(4);
		} finally {
			await shop.destroy();
		}
	});
});
