import type { ServiceSchema } from "moleculer";
import type { AnyDomainEvent, Order, Payment } from "../../contracts";
import { processorLedger } from "../helpers/processor";
import { signUp, startShop, startShopWithUsers, http, adminToken, type ShopWithUsers, type TestShop, TEST_ADDRESS } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/*
 * Returns on the embedded shop, with the carrier sandbox's clock shortened so that orders are
 * delivered in about a second: part of an order and the whole of one sent back, received by the
 * admin, restocked and refunded (shipping only with the whole), and every refusal.
 */

function spyService(seen: AnyDomainEvent[]): ServiceSchema {
	const record = (ctx: { params: AnyDomainEvent }) => {
		seen.push(ctx.params);
	};
	return { name: "spy", events: { "return.*": record, "payment.*": record } } as unknown as ServiceSchema;
}

const FAST_CARRIER = {
	OUTBOX_RELAY_MS: "100",
	EVENT_RETRY_BASE_MS: "20",
	CARRIER_DISPATCH_AFTER_MS: "300",
	CARRIER_DELIVER_AFTER_MS: "600",
	SHIPPING_SWEEP_MS: "50",
	SHIPPING_TRACK_EVERY_MS: "100",
};

describe("returns of a delivered order", () => {
	let shop: TestShop, api: ShopWithUsers["api"], admin: string, customer: string, other: string;
	const seen: AnyDomainEvent[] = [];

	const refundsAt = async (orderId: string) => (await processorLedger(shop.processor, orderId)).filter((entry) => entry.kind === "refund");
	async function newProduct(sku: string, stock: number, priceCents: number): Promise<string> {
		const res = await api.post("/products", { sku, name: `Return ${sku}`, category: "returns", priceCents, stock, weightGrams: 300 }, admin);
		expect(res.status).toBe(201);
		return res.body.id;
	}
	const stockOf = async (id: string) => (await api.get(`/products/${id}`, admin)).body.stock as number;
	const orderOf = async (id: string, token = customer) => (await api.get(`/orders/${id}`, token)).body as Order;
	const paymentOf = async (id: string) => (await api.get(`/payments?orderId=${id}`, customer)).body.rows[0] as Payment;
	async function delivered(lines: { productId: string; qty: number }[]): Promise<Order> {
		const res = await api.post("/orders", { items: lines, shippingAddress: TEST_ADDRESS }, customer);
		expect(res.status).toBe(201);
		return waitFor(
			() => orderOf(res.body.id),
			(order) => order.status === "DELIVERED" || order.status === "CANCELLED",
			20_000,
		);
	}
	const requestReturn = (orderId: string, items: { productId: string; qty: number }[], token = customer) =>
		api.post(`/orders/${orderId}/returns`, { items }, token);
	const receive = (orderId: string, returnId: string, token = admin) => api.post(`/admin/orders/${orderId}/returns/${returnId}/receive`, undefined, token);

	beforeAll(async () => {
		({ shop, api, admin, customer } = await startShopWithUsers("returner@example.com", { env: FAST_CARRIER, extra: [spyService(seen)] }));
		other = (await signUp(shop.baseUrl, "not-the-returner@example.com")).token;
	});
	afterAll(() => shop.destroy());

	it("takes back part of an order: the lines' stock goes back on sale and their amount is refunded, not the shipping", async () => {
		const [mug, lamp] = [await newProduct("RET-MUG", 10, 899), await newProduct("RET-LAMP", 5, 2500)];
		const order = await delivered([
			{ productId: mug, qty: 2 },
			{ productId: lamp, qty: 1 },
		]);
		expect(order.status).toBe("DELIVERED");
		expect(Date.parse(order.returnableUntil!)).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000);
		expect(await stockOf(mug)).toBe(8);

		const asked = await requestReturn(order.id, [{ productId: mug, qty: 1 }]);
		expect(asked.status).toBe(201);
		expect(asked.headers.get("location")).toBe(`/api/orders/${order.id}`);
		expect(asked.body.returns).toEqual([
			{
				id: "r1",
				status: "REQUESTED",
				items: [{ productId: mug, qty: 1, refundCents: 899 }],
				refundCents: 899,
				includesShipping: false,
				requestedAt: expect.any(String),
			},
		]);
		// Nothing moves until the parcel is back at the shop.
		expect(await stockOf(mug)).toBe(8);
		expect((await api.get("/admin/orders?returnsToReceive=true", admin)).body.rows.map((row: Order) => row.id)).toContain(order.id);

		const received = await receive(order.id, "r1");
		expect(received.status).toBe(200);
		expect((received.body as Order).returns![0]).toMatchObject({ status: "RECEIVED", receivedAt: expect.any(String) });
		const refunded = await waitFor(
			() => orderOf(order.id),
			(current) => current.returns?.[0]?.status === "REFUNDED",
		);
		expect(refunded).toMatchObject({ status: "DELIVERED", refundedCents: 899 });
		expect(
			await waitFor(
				() => stockOf(mug),
				(stock) => stock === 9,
			),
		).toBe(9);
		expect(await stockOf(lamp)).toBe(4);
		expect(await paymentOf(order.id)).toMatchObject({ status: "SETTLED", refundedCents: 899 });
		expect((await refundsAt(order.id)).map((entry) => entry.amountCents)).toEqual([899]);
		expect((await api.get("/admin/orders?returnsToReceive=true", admin)).body.rows.map((row: Order) => row.id)).not.toContain(order.id);
		const ofOrder = seen.filter((event) => event.correlationId === order.id).map((event) => event.type);
		expect(ofOrder).toEqual(expect.arrayContaining(["return.requested", "return.received", "payment.refunded"]));

		// Received again: 409, and nothing more moves.
		const again = await receive(order.id, "r1");
		expect(again.status).toBe(409);
		expect(again.body.error.type).toBe("RETURN_ALREADY_RECEIVED");
	});

	it("takes back the rest in a second return and then refunds the shipping too: the whole payment comes back", async () => {
		const [mug, lamp] = [await newProduct("RET-MUG-2", 10, 899), await newProduct("RET-LAMP-2", 5, 2500)];
		const order = await delivered([
			{ productId: mug, qty: 2 },
			{ productId: lamp, qty: 1 },
		]);
		expect((await requestReturn(order.id, [{ productId: mug, qty: 1 }])).status).toBe(201);
		const rest = await requestReturn(order.id, [
			{ productId: lamp, qty: 1 },
			{ productId: mug, qty: 1 },
		]);
		expect(rest.status).toBe(201);
		expect((rest.body as Order).returns![1]).toMatchObject({ id: "r2", refundCents: 899 + 2500 + order.shippingCents, includesShipping: true });
		// Nothing is left to send back.
		const more = await requestReturn(order.id, [{ productId: mug, qty: 1 }]);
		expect(more.status).toBe(422);
		expect(more.body.error).toMatchObject({ type: "RETURN_QTY_TOO_LARGE", data: { productIds: [mug] } });

		expect((await receive(order.id, "r2")).status).toBe(200);
		expect((await receive(order.id, "r1")).status).toBe(200);
		const done = await waitFor(
			() => orderOf(order.id),
			(current) => current.refundedCents === order.totalCents,
		);
		expect(done.returns!.map((ret) => ret.status)).toEqual(["REFUNDED", "REFUNDED"]);
		expect(
			await waitFor(
				() => stockOf(mug),
				(stock) => stock === 10,
			),
		).toBe(10);
		expect(
			await waitFor(
				() => stockOf(lamp),
				(stock) => stock === 5,
			),
		).toBe(5);
		expect(
			await waitFor(
				() => paymentOf(order.id),
				(payment) => payment.status === "REFUNDED",
			),
		).toMatchObject({
			status: "REFUNDED",
			refundedCents: order.totalCents,
		});
		// The processor moved exactly the order's total back, in two refunds.
		const refunds = await refundsAt(order.id);
		expect(refunds.map((entry) => entry.amountCents).sort((a, b) => a - b)).toEqual([899, 899 + 2500 + order.shippingCents]);
	});

	it("asks for one return however often a request with an Idempotency-Key is sent, and refuses the key with another request", async () => {
		const mug = await newProduct("RET-KEY", 10, 650);
		const order = await delivered([{ productId: mug, qty: 3 }]);
		const send = (qty: number) =>
			api.post(`/orders/${order.id}/returns`, { items: [{ productId: mug, qty }] }, customer, { "idempotency-key": "return-once-1" });
		const [first, second] = await Promise.all([send(1), send(1)]);
		expect([first.status, second.status]).toEqual([201, 201]);
		const again = await send(1);
		expect(again.status).toBe(201);
		expect(again.headers.get("idempotent-replayed")).toBe("true");
		expect((again.body as Order).returns).toHaveLength(1);
		const other = await send(2);
		expect(other.status).toBe(422);
		expect(other.body.error.type).toBe("IDEMPOTENCY_KEY_REUSED");
		expect((await orderOf(order.id)).returns!.map((ret) => ret.items[0]!.qty)).toEqual([1]);
	});

	it("applies a return.received delivered again, even concurrently, once: one refund, one restock", async () => {
		const mug = await newProduct("RET-DUP", 10, 1200);
		const order = await delivered([{ productId: mug, qty: 3 }]);
		expect((await requestReturn(order.id, [{ productId: mug, qty: 2 }])).status).toBe(201);
		expect((await receive(order.id, "r1")).status).toBe(200);
		await waitFor(
			() => orderOf(order.id),
			(current) => current.returns?.[0]?.status === "REFUNDED",
		);
		const received = seen.find((event) => event.type === "return.received" && event.correlationId === order.id)!;
		await Promise.all([shop.broker.emit("return.received", received), shop.broker.emit("return.received", received)]);
		// And as a new event for the same return (a replay from the log with a new id).
		await shop.broker.emit("return.received", { ...received, id: `${received.id}-again` });
		await new Promise((resolve) => setTimeout(resolve, 500));
		expect(await stockOf(mug)).toBe(9);
		expect((await refundsAt(order.id)).map((entry) => entry.amountCents)).toEqual([2400]);
		expect(await orderOf(order.id)).toMatchObject({ refundedCents: 2400 });
		expect(await paymentOf(order.id)).toMatchObject({ refundedCents: 2400 });
	});

	it("refuses what cannot be returned with the rule it breaks, storing nothing", async () => {
		const mug = await newProduct("RET-BAD", 10, 500);
		const notYet = (await api.post("/orders", { items: [{ productId: mug, qty: 1 }], shippingAddress: TEST_ADDRESS }, customer)).body as Order;
		const early = await requestReturn(notYet.id, [{ productId: mug, qty: 1 }]);
		expect(early.status).toBe(409);
		expect(early.body.error.type).toBe("ORDER_NOT_DELIVERED");

		const order = await delivered([{ productId: mug, qty: 1 }]);
		for (const [items, status, type] of [
			[[{ productId: "no-such-product", qty: 1 }], 422, "RETURN_LINE_NOT_IN_ORDER"],
			[[{ productId: mug, qty: 2 }], 422, "RETURN_QTY_TOO_LARGE"],
			[[{ productId: mug, qty: 0 }], 422, "VALIDATION_ERROR"],
			[[], 422, "VALIDATION_ERROR"],
		] as const) {
			const res = await requestReturn(order.id, items as unknown as { productId: string; qty: number }[]);
			expect({ status: res.status, type: res.body.error?.type }).toEqual({ status, type });
		}
		expect((await api.post(`/orders/${order.id}/returns`, { items: [{ productId: mug, qty: 1 }], refundCents: 1 }, customer)).status).toBe(422);
		// Another customer's order is not there; a customer cannot receive a return; nobody can without a token.
		expect((await requestReturn(order.id, [{ productId: mug, qty: 1 }], other)).status).toBe(404);
		expect((await api.post(`/orders/${order.id}/returns`, { items: [{ productId: mug, qty: 1 }] })).status).toBe(401);
		expect((await receive(order.id, "r1", customer)).status).toBe(403);
		expect((await receive(order.id, "r1")).status).toBe(404);
		expect((await receive(order.id, "x1")).status).toBe(422);
		expect((await orderOf(order.id)).returns).toBeUndefined();
	});
});

describe("the return window", () => {
	let shop: TestShop;
	afterAll(() => shop?.destroy());

	it("refuses a return once RETURN_WINDOW_DAYS have passed since delivery (0: at once)", async () => {
		shop = await startShop({ env: { ...FAST_CARRIER, RETURN_WINDOW_DAYS: "0" } });
		const api = http(shop.baseUrl);
		const admin = await adminToken(shop.baseUrl);
		const { token } = await signUp(shop.baseUrl, "late@example.com");
		const productId = (await api.post("/products", { sku: "LATE-1", name: "Late", category: "returns", priceCents: 700, stock: 3 }, admin)).body.id;
		const placed = (await api.post("/orders", { items: [{ productId, qty: 1 }], shippingAddress: TEST_ADDRESS }, token)).body as Order;
		const order = await waitFor(
			async () => (await api.get(`/orders/${placed.id}`, token)).body as Order,
			(current) => current.status === "DELIVERED",
			20_000,
		);
		expect(Date.parse(order.returnableUntil!)).toBeLessThanOrEqual(Date.now());
		const res = await api.post(`/orders/${order.id}/returns`, { items: [{ productId, qty: 1 }] }, token);
		expect(res.status).toBe(409);
		expect(res.body.error.type).toBe("RETURN_WINDOW_CLOSED");
	});
});
