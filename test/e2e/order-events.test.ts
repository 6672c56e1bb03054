import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { Order } from "../../contracts";
import { signUp, startShopWithUsers, type ShopWithUsers, type TestShop, TEST_ADDRESS } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/*
 * GET /api/orders/:id/events: an order's status as Server-Sent Events, read with an
 * EventSource-compatible client (test/helpers/sse-client.mjs) and with plain HTTP.
 */

const run = promisify(execFile);
const address = TEST_ADDRESS;

interface ClientLine {
	kind: "request" | "open" | "status" | "closed" | "timeout";
	id?: string;
	lastEventId?: string | null;
	data?: { orderId: string; status: string; reason: string };
}

/** Runs the EventSource client until its source closes for good; what it saw, line by line. */
async function eventSourceClient(url: string, token: string): Promise<ClientLine[]> {
	const { stdout } = await run(process.execPath, [path.join(__dirname, "../helpers/sse-client.mjs"), url, token], { timeout: 90_000 });
	return stdout
		.trim()
		.split("\n")
		.map((line) => JSON.parse(line) as ClientLine);
}

/** Reads a stream over plain HTTP until it ends (or `until` holds); its status, headers and text. */
async function readStream(url: string, token: string, headers: Record<string, string> = {}, until?: (text: string) => boolean) {
	const controller = new AbortController();
	const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: controller.signal });
	let text = "";
	if (res.body) {
		const decoder = new TextDecoder();
		try {
			for await (const chunk of res.body) {
				text += decoder.decode(chunk as Uint8Array, { stream: true });
				if (until?.(text)) {
					controller.abort();
					break;
				}
			}
		} catch (err) {
			if (!controller.signal.aborted) throw err;
		}
	}
	return { status: res.status, headers: res.headers, text };
}

const statusesIn = (text: string) => [...text.matchAll(/^id: (\d+)\nevent: status\ndata: (.*)$/gm)].map((m) => `${m[1]} ${JSON.parse(m[2]!).status}`);

describe("an order's live status stream", () => {
	let shop: TestShop, api: ShopWithUsers["api"], customer: string, other: string, admin: string, productId: string;

	const place = async (paymentMethod: string) => {
		const res = await api.post<Order>("/orders", { items: [{ productId, qty: 1 }], shippingAddress: address, paymentMethod }, customer);
		expect(res.status).toBe(201);
		return res.body;
	};
	const final = (id: string) =>
		waitFor(
			async () => (await api.get<Order>(`/orders/${id}`, customer)).body,
			(order) => order.status === "CONFIRMED" || order.status === "CANCELLED",
		);

	beforeAll(async () => {
		({ shop, api, customer, admin, productId } = await startShopWithUsers("live@example.com", {
			env: { OUTBOX_RELAY_MS: "100", EVENT_RETRY_BASE_MS: "20", PAYMENT_SLOW_MS: "1500" },
			product: { sku: "LIVE-1", name: "Live mug", category: "live", priceCents: 900, stock: 100 },
		}));
		other = (await signUp(shop.baseUrl, "live-other@example.com")).token;
	});
	afterAll(() => shop?.destroy());

	it("shows an EventSource client PENDING to CONFIRMED in order, then stops it from reconnecting", async () => {
		const order = await place("tok_slow");
		const lines = await eventSourceClient(`${shop.baseUrl}/orders/${order.id}/events`, customer);
		const statuses = lines.filter((line) => line.kind === "status");
		expect(statuses.map((line) => `${line.id} ${line.data!.status}`)).toEqual(["0 PENDING", "1 AWAITING_PAYMENT", "2 AWAITING_SHIPMENT", "3 CONFIRMED"]);
		expect(statuses.every((line) => line.data!.orderId === order.id)).toBe(true);
		// The server ended the stream after CONFIRMED; the client came back with the last id and got a 204.
		expect(lines.filter((line) => line.kind === "request").map((line) => line.lastEventId)).toEqual([null, "3"]);
		expect(lines.at(-1)).toEqual({ kind: "closed", code: 204 });
	});

	it("shows a declined card's order ending CANCELLED with the reason", async () => {
		const order = await place("tok_declined");
		const lines = await eventSourceClient(`${shop.baseUrl}/orders/${order.id}/events`, customer);
		const last = lines.filter((line) => line.kind === "status").at(-1)!;
		expect(last.data).toMatchObject({ status: "CANCELLED", reason: "PAYMENT_DECLINED" });
	});

	it("after Last-Event-ID sends only what followed it", async () => {
		const order = await place("tok_visa");
		await final(order.id);
		const stream = await readStream(`${shop.baseUrl}/orders/${order.id}/events`, customer, { "last-event-id": "0" });
		expect(stream.status).toBe(200);
		expect(stream.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
		expect(stream.headers.get("cache-control")).toBe("no-cache, no-store");
		expect(statusesIn(stream.text)).toEqual(["1 AWAITING_PAYMENT", "2 AWAITING_SHIPMENT", "3 CONFIRMED"]);
	});

	it("refuses a malformed Last-Event-ID with 400 LAST_EVENT_ID_INVALID", async () => {
		const order = await place("tok_visa");
		const res = await api.get(`/orders/${order.id}/events`, customer, { "last-event-id": "two" });
		expect(res.status).toBe(400);
		expect(res.body.error.type).toBe("LAST_EVENT_ID_INVALID");
	});

	it("is the owner's and the admin's only: another customer gets 404, no token 401", async () => {
		const order = await place("tok_visa");
		await final(order.id);
		expect((await api.get(`/orders/${order.id}/events`, other)).status).toBe(404);
		expect((await api.get(`/orders/${order.id}/events`)).status).toBe(401);
		const asAdmin = await readStream(`${shop.baseUrl}/orders/${order.id}/events`, admin);
		expect(statusesIn(asAdmin.text).at(-1)).toBe("3 CONFIRMED");
	});
});

describe("live status streams held open", () => {
	let shop: TestShop, api: ShopWithUsers["api"], customer: string;
	const open: AbortController[] = [];

	beforeAll(async () => {
		let productId: string;
		// No payments service: orders wait in AWAITING_PAYMENT, so their streams stay open.
		({ shop, api, customer, productId } = await startShopWithUsers("held@example.com", {
			services: ["api", "catalogue", "customers", "orders", "shipping"],
			env: { OUTBOX_RELAY_MS: "100", SSE_MAX_STREAMS_PER_CUSTOMER: "2", SSE_HEARTBEAT_MS: "200" },
			product: { sku: "LIVE-2", name: "Held mug", category: "live", priceCents: 900, stock: 100 },
		}));
		for (let i = 0; i < 3; i++) {
			const res = await api.post<Order>("/orders", { items: [{ productId, qty: 1 }], shippingAddress: address }, customer);
			expect(res.status).toBe(201);
		}
	});
	afterAll(async () => {
		await shop?.destroy();
		for (const controller of open) controller.abort();
	});

	/** Opens a stream and keeps it open; resolves once its first event has arrived. */
	async function hold(orderId: string): Promise<{ status: number; controller: AbortController; text: () => string; ended: Promise<void> }> {
		const controller = new AbortController();
		open.push(controller);
		const res = await fetch(`${shop.baseUrl}/orders/${orderId}/events`, { headers: { authorization: `Bearer ${customer}` }, signal: controller.signal });
		let text = "";
		let ended = Promise.resolve();
		if (res.status === 200) {
			ended = (async () => {
				for await (const chunk of res.body!) text += Buffer.from(chunk as Uint8Array).toString();
			})().catch(() => undefined);
			await waitFor(
				async () => text,
				(t) => t.includes("event: status"),
				5000,
				20,
			);
		}
		return { status: res.status, controller, text: () => text, ended };
	}

	it("keeps an idle stream alive with heartbeat comments", async () => {
		const orders = (await api.get("/orders", customer)).body.rows as Order[];
		const stream = await hold(orders[0]!.id);
		expect(stream.status).toBe(200);
		const text = await waitFor(
			async () => stream.text(),
			(t) => t.includes(": heartbeat"),
			5000,
			20,
		);
		expect(text).toContain(": heartbeat\n\n");
		stream.controller.abort();
	});

	it("allows a customer SSE_MAX_STREAMS_PER_CUSTOMER streams, answers 429 TOO_MANY_STREAMS beyond, and frees a slot when a client leaves", async () => {
		const orders = (await api.get("/orders", customer)).body.rows as Order[];
		// The heartbeat test's stream is gone once the node noticed its client left.
		await waitFor(
			async () => (await hold(orders[0]!.id)).status,
			(status) => status === 200,
			5000,
			100,
		);
		const second = await hold(orders[1]!.id);
		expect(second.status).toBe(200);
		const third = await api.get(`/orders/${orders[2]!.id}/events`, customer);
		expect(third.status).toBe(429);
		expect(third.body.error.type).toBe("TOO_MANY_STREAMS");
		second.controller.abort();
		const again = await waitFor(
			async () => (await hold(orders[2]!.id)).status,
			(status) => status !== 429,
			5000,
			50,
		);
		expect(again).toBe(200);
	});

	it("ends its streams when the gateway stops, so that stopping never waits on a client", async () => {
		const orders = (await api.get("/orders", customer)).body.rows as Order[];
		const stream = await hold(orders[2]!.id);
		const started = Date.now();
		await shop.stop();
		await stream.ended;
		expect(Date.now() - started).toBeLessThan(10_000);
	});
});
