import fs from "node:fs";
import type { ServiceSchema } from "moleculer";
import type { AnyDomainEvent, Order, ShipmentOfOrder } from "../../contracts";
import { processorLedger } from "../helpers/processor";
import { adminToken, http, signUp, startShop, startShopWithUsers, type ShopWithUsers, type TestShop, TEST_ADDRESS } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

const address = TEST_ADDRESS;

/** Records every domain event from outside, the way any other consumer would see them. */
function spyService(seen: AnyDomainEvent[]): ServiceSchema {
	const record = (ctx: { params: AnyDomainEvent }) => {
		seen.push(ctx.params);
	};
	return { name: "spy", events: { "order.*": record, "stock.*": record, "payment.*": record, "shipment.*": record } } as unknown as ServiceSchema;
}

const isFinal = (order: Order) => order.status === "CONFIRMED" || order.status === "CANCELLED";

describe("the order saga", () => {
	let shop: TestShop, api: ShopWithUsers["api"], admin: string, customer: string, other: string;
	const seen: AnyDomainEvent[] = [];

	const charges = async (orderId?: string) => (await processorLedger(shop.processor, orderId)).filter((entry) => entry.kind === "charge");
	const refunds = async (orderId?: string) => (await processorLedger(shop.processor, orderId)).filter((entry) => entry.kind === "refund");

	async function newProduct(sku: string, stock: number, priceCents = 1500): Promise<string> {
		const res = await api.post("/products", { sku, name: `Saga ${sku}`, category: "saga", priceCents, stock }, admin);
		expect(res.status).toBe(201);
		return res.body.id;
	}
	const stockOf = async (id: string) => (await api.get(`/products/${id}`, admin)).body.stock as number;
	async function placeOrder(token: string, items: { productId: string; qty: number }[], paymentMethod?: string): Promise<Order> {
		const res = await api.post("/orders", { items, shippingAddress: address, ...(paymentMethod ? { paymentMethod } : {}) }, token);
		expect(res.status).toBe(201);
		expect(res.body.status).toBe("PENDING");
		return res.body;
	}
	const orderOf = async (id: string, token = customer) => (await api.get(`/orders/${id}`, token)).body as Order;
	const finalOrder = (id: string, token = customer) => waitFor(() => orderOf(id, token), isFinal);
	const emailsFor = async (orderId: string, token = customer) =>
		((await api.get("/notifications?pageSize=100", token)).body.rows as { orderId: string; kind: string; status: string }[]).filter(
			(row) => row.orderId === orderId,
		);

	beforeAll(async () => {
		({ shop, api, admin, customer } = await startShopWithUsers("buyer@example.com", {
			env: { OUTBOX_RELAY_MS: "100", EVENT_RETRY_BASE_MS: "20", SAGA_STEP_TIMEOUT_MS: "30000", CARRIER_SLOW_MS: "3000" },
			extra: [spyService(seen)],
		}));
		other = (await signUp(shop.baseUrl, "other@example.com")).token;
	});
	afterAll(() => shop.destroy());

	describe("POST /api/orders", () => {
		it("prices the order from the catalogue and answers 201 PENDING", async () => {
			const productId = await newProduct("SAGA-PRICE", 10, 1234);
			const order = await placeOrder(customer, [
				{ productId, qty: 2 },
				{ productId, qty: 1 },
			]);
			expect(order.items).toEqual([expect.objectContaining({ productId, qty: 3, unitPriceCents: 1234, lineTotalCents: 3702 })]);
			// 3 parcels of 500 g to London: the cheapest option, Europe's standard band up to 5 kg in EUR.
			expect(order).toMatchObject({ goodsCents: 3702, shippingCents: 1490, totalCents: 3702 + 1490 });
			expect(order.shipping).toEqual({ optionId: "standard", name: "Standard", priceCents: 1490, days: { min: 3, max: 7 }, weightGrams: 1500 });
			expect(order.history[0]).toMatchObject({ status: "PENDING", reason: "ORDER_PLACED" });
			await finalOrder(order.id);
		});

		it("refuses a price from the client, bad quantities and unknown products with 422, storing nothing", async () => {
			const productId = await newProduct("SAGA-BAD", 10);
			const before = (await api.get("/orders", customer)).body.total;
			const bad = [
				{ items: [{ productId, qty: 1, unitPriceCents: 1 }], shippingAddress: address },
				{ items: [{ productId, qty: 0 }], shippingAddress: address },
				{ items: [{ productId, qty: 101 }], shippingAddress: address },
				{ items: Array.from({ length: 51 }, () => ({ productId, qty: 1 })), shippingAddress: address },
				{ items: [{ productId, qty: 1 }], shippingAddress: address, totalCents: 1 },
				{ items: [{ productId, qty: 1 }] },
			];
			for (const body of bad) {
				const res = await api.post("/orders", body, customer);
				expect(res.status).toBe(422);
				expect(res.body.error.type).toBe("VALIDATION_ERROR");
			}
			const unknown = await api.post("/orders", { items: [{ productId: "no-such-product", qty: 1 }], shippingAddress: address }, customer);
			expect(unknown.status).toBe(422);
			expect(unknown.body.error).toMatchObject({ type: "UNKNOWN_PRODUCT_IN_ORDER", data: { productIds: ["no-such-product"] } });
			expect((await api.post("/orders", { items: [{ productId, qty: 1 }], shippingAddress: address })).status).toBe(401);
			expect((await api.get("/orders", customer)).body.total).toBe(before);
			expect(await stockOf(productId)).toBe(10);
		});
	});

	it("confirms a paid order: stock down, one charge, one email", async () => {
		const productId = await newProduct("SAGA-HAPPY", 10, 2500);
		const order = await placeOrder(customer, [{ productId, qty: 2 }]);
		const final = await finalOrder(order.id);
		expect(final.status).toBe("CONFIRMED");
		expect(final.history.map((change) => change.status)).toEqual(["PENDING", "AWAITING_PAYMENT", "AWAITING_SHIPMENT", "CONFIRMED"]);
		expect(final.tracking?.trackingNumber).toMatch(/\S/);
		expect(await stockOf(productId)).toBe(8);

		// Goods and shipping are charged together: 2 × 25.00 plus 9.90 for 1 kg to London.
		expect(final).toMatchObject({ goodsCents: 5000, shippingCents: 990, totalCents: 5990 });
		expect(await charges(order.id)).toEqual([expect.objectContaining({ amountCents: 5990 })]);
		const payments = await api.get(`/payments?orderId=${order.id}`, customer);
		expect(payments.body.rows).toEqual([expect.objectContaining({ orderId: order.id, status: "SETTLED", amountCents: 5990 })]);

		const emails = await waitFor(
			() => emailsFor(order.id),
			(rows) => rows.some((row) => row.status === "SENT"),
		);
		expect(emails).toEqual([expect.objectContaining({ kind: "order.confirmed", status: "SENT" })]);
		const mailDir = `${shop.dataDir}/notifications/mail`;
		const mails = fs.readdirSync(mailDir).map((file) => fs.readFileSync(`${mailDir}/${file}`, "utf8"));
		expect(mails.some((mail) => mail.includes(order.id) && /Subject: Order \w+ confirmed/.test(mail) && mail.includes("To: buyer@example.com"))).toBe(true);
	});

	it("cancels a declined order: stock restored, no charge, an email", async () => {
		const productId = await newProduct("SAGA-DECLINE", 5);
		const order = await placeOrder(customer, [{ productId, qty: 3 }], "tok_decline");
		const final = await finalOrder(order.id);
		expect(final).toMatchObject({ status: "CANCELLED", cancelReason: "PAYMENT_DECLINED" });
		await waitFor(
			() => stockOf(productId),
			(stock) => stock === 5,
		);
		expect(await stockOf(productId)).toBe(5);
		expect(await charges(order.id)).toEqual([]);
		expect((await api.get(`/payments?orderId=${order.id}`, customer)).body.rows[0].status).toBe("DECLINED");
		const emails = await waitFor(
			() => emailsFor(order.id),
			(rows) => rows.length > 0,
		);
		expect(emails).toEqual([expect.objectContaining({ kind: "order.cancelled" })]);
	});

	it("cancels an order for stock that is not there, without touching stock or money", async () => {
		const productId = await newProduct("SAGA-SCARCE", 1);
		const order = await placeOrder(customer, [{ productId, qty: 2 }]);
		const final = await finalOrder(order.id);
		expect(final).toMatchObject({ status: "CANCELLED", cancelReason: "OUT_OF_STOCK" });
		expect(await stockOf(productId)).toBe(1);
		expect(await charges(order.id)).toEqual([]);
		await waitFor(
			() => api.get(`/payments?orderId=${order.id}`, customer),
			(res) => res.body.rows?.[0]?.status === "VOIDED",
		);
		expect((await api.get(`/payments?orderId=${order.id}`, customer)).body.rows[0].status).toBe("VOIDED");
	});

	it("refuses to cancel a confirmed order, whose parcel is labelled, and changes nothing", async () => {
		const productId = await newProduct("SAGA-LABELLED", 4, 999);
		const order = await placeOrder(customer, [{ productId, qty: 4 }]);
		const confirmed = await finalOrder(order.id);
		expect(confirmed.status).toBe("CONFIRMED");

		const cancel = await api.post(`/orders/${order.id}/cancel`, undefined, customer);
		expect(cancel.status).toBe(409);
		expect(cancel.body.error.type).toBe("ORDER_ALREADY_LABELLED");
		expect(await orderOf(order.id)).toMatchObject({ status: "CONFIRMED", refundedCents: 0 });
		expect(await refunds(order.id)).toEqual([]);
		expect(await stockOf(productId)).toBe(0);
	});

	it("refunds goods and shipping and restocks when an order is cancelled after payment, before its label", async () => {
		const productId = await newProduct("SAGA-REFUND", 4, 999);
		// The carrier sandbox is slow for this postal code: the order waits AWAITING_SHIPMENT.
		const res = await api.post("/orders", { items: [{ productId, qty: 4 }], shippingAddress: { ...address, postalCode: "99999" } }, customer);
		expect(res.status).toBe(201);
		const order = res.body as Order;
		await waitFor(
			() => orderOf(order.id),
			(o) => o.status === "AWAITING_SHIPMENT",
		);
		expect(await stockOf(productId)).toBe(0);

		const cancelled = await api.post(`/orders/${order.id}/cancel`, undefined, customer);
		expect(cancelled.status).toBe(200);
		expect(cancelled.body).toMatchObject({ status: "CANCELLED", cancelReason: "CUSTOMER_CANCELLED" });

		const refunded = await waitFor(
			() => orderOf(order.id),
			(o) => o.refundedCents === order.totalCents,
		);
		expect(refunded.refundedCents).toBe(3996 + order.shippingCents);
		expect(await refunds(order.id)).toEqual([expect.objectContaining({ amountCents: 3996 + order.shippingCents })]);
		await waitFor(
			() => stockOf(productId),
			(stock) => stock === 4,
		);
		expect(await stockOf(productId)).toBe(4);
		const emails = await waitFor(
			() => emailsFor(order.id),
			(rows) => rows.length >= 2,
		);
		expect(emails.map((row) => row.kind).sort()).toEqual(["order.cancelled", "payment.refunded"]);
		// The booking the slow carrier answers afterwards is voided, and the order stays cancelled.
		const shipment = await waitFor(
			() => shop.broker.call<ShipmentOfOrder, { orderId: string }>("shipping.ofOrder", { orderId: order.id }),
			(row) => row?.status === "VOIDED",
			15_000,
		);
		expect(shipment?.status).toBe("VOIDED");
		expect((await orderOf(order.id)).status).toBe("CANCELLED");

		const again = await api.post(`/orders/${order.id}/cancel`, undefined, customer);
		expect(again.status).toBe(409);
		expect(again.body.error.type).toBe("ORDER_ALREADY_FINAL");
	});

	it("changes nothing when every event of an order is delivered again, even concurrently", async () => {
		const productId = await newProduct("SAGA-DUP", 10, 700);
		const order = await placeOrder(customer, [{ productId, qty: 3 }]);
		expect((await finalOrder(order.id)).status).toBe("CONFIRMED");
		await waitFor(
			() => emailsFor(order.id),
			(rows) => rows.some((row) => row.status === "SENT"),
		);
		const events = seen.filter((event) => event.correlationId === order.id);
		expect(events.map((event) => event.type)).toEqual(
			expect.arrayContaining(["order.created", "stock.reserved", "payment.settled", "order.paid", "shipment.booked", "order.confirmed"]),
		);

		await Promise.all(events.flatMap((event) => [shop.broker.emit(event.type, event), shop.broker.emit(event.type, event)]));
		// Idempotent below the inbox too: the actions themselves, called directly and concurrently.
		await Promise.all([
			shop.broker.call("catalogue.reserve", { orderId: order.id, items: [{ productId, qty: 3 }] }),
			shop.broker.call("catalogue.reserve", { orderId: order.id, items: [{ productId, qty: 3 }] }),
			shop.broker.call("payments.charge", { orderId: order.id }),
			shop.broker.call("payments.charge", { orderId: order.id }),
		]);
		await new Promise((resolve) => setTimeout(resolve, 500));

		expect(await stockOf(productId)).toBe(7);
		expect(await charges(order.id)).toHaveLength(1);
		expect(await emailsFor(order.id)).toHaveLength(1);
		expect((await orderOf(order.id)).history.map((change) => change.status)).toEqual(["PENDING", "AWAITING_PAYMENT", "AWAITING_SHIPMENT", "CONFIRMED"]);
	});

	it("never oversells 100 concurrent orders on scarce stock, and charges exactly what was confirmed", async () => {
		const productId = await newProduct("SAGA-RUSH", 30, 1100);
		const buyers = [customer, other];
		const placed = await Promise.all(Array.from({ length: 100 }, (_, i) => placeOrder(buyers[i % buyers.length]!, [{ productId, qty: 1 + (i % 2) }])));
		const finals = await Promise.all(placed.map((order, i) => finalOrder(order.id, buyers[i % buyers.length])));
		expect(finals.filter((order) => !isFinal(order))).toEqual([]);

		const confirmed = finals.filter((order) => order.status === "CONFIRMED");
		const confirmedUnits = confirmed.reduce((sum, order) => sum + order.items[0]!.qty, 0);
		expect(confirmedUnits).toBeLessThanOrEqual(30);
		expect(confirmed.length).toBeGreaterThan(0);
		expect(finals.some((order) => order.cancelReason === "OUT_OF_STOCK")).toBe(true);
		await waitFor(
			() => stockOf(productId),
			(stock) => stock === 30 - confirmedUnits,
		);
		expect(await stockOf(productId)).toBe(30 - confirmedUnits);

		const ids = new Set(placed.map((order) => order.id));
		const charged = (await charges()).filter((entry) => ids.has(entry.orderId));
		expect(charged).toHaveLength(confirmed.length);
		expect(charged.reduce((sum, entry) => sum + entry.amountCents, 0)).toBe(confirmed.reduce((sum, order) => sum + order.totalCents, 0));
	});

	it("keeps one customer's orders, payments and notifications from another (404)", async () => {
		const productId = await newProduct("SAGA-PRIVATE", 5);
		const order = await placeOrder(customer, [{ productId, qty: 1 }]);
		await finalOrder(order.id);

		expect((await api.get(`/orders/${order.id}`, other)).status).toBe(404);
		expect((await api.get(`/orders/${order.id}`, other)).body.error.type).toBe("ORDER_NOT_FOUND");
		expect((await api.post(`/orders/${order.id}/cancel`, undefined, other)).status).toBe(404);
		expect((await api.get(`/payments?orderId=${order.id}`, other)).status).toBe(404);
		expect((await orderOf(order.id)).status).toBe("CONFIRMED");

		const theirs = (await api.get("/orders?pageSize=100", other)).body.rows as Order[];
		expect(theirs.some((row) => row.id === order.id)).toBe(false);
		const notifications = (await api.get("/notifications?pageSize=100", other)).body.rows as { orderId: string }[];
		expect(notifications.some((row) => row.orderId === order.id)).toBe(false);
		// The admin sees every order.
		expect((await api.get(`/orders/${order.id}`, admin)).status).toBe(200);
	});
});

describe("the order saga's timeout", () => {
	let shop: TestShop;
	beforeAll(async () => {
		shop = await startShop({
			env: {
				OUTBOX_RELAY_MS: "100",
				EVENT_RETRY_BASE_MS: "20",
				SAGA_STEP_TIMEOUT_MS: "800",
				SAGA_SWEEP_MS: "100",
				PAYMENT_SLOW_MS: "2500",
			},
		});
	});
	afterAll(() => shop.destroy());

	it("cancels a saga whose payment does not answer in time, then refunds the late charge and releases the stock", async () => {
		const api = http(shop.baseUrl);
		const admin = await adminToken(shop.baseUrl);
		const { token } = await signUp(shop.baseUrl, "slow@example.com");
		const productId = (await api.post("/products", { sku: "SLOW-1", name: "Slow", category: "saga", priceCents: 4200, stock: 3 }, admin)).body.id;

		const order = (await api.post("/orders", { items: [{ productId, qty: 2 }], shippingAddress: address, paymentMethod: "tok_slow" }, token)).body;
		const cancelled = await waitFor(
			() => api.get(`/orders/${order.id}`, token),
			(res) => res.body.status === "CANCELLED",
		);
		expect(cancelled.body).toMatchObject({ status: "CANCELLED", cancelReason: "TIMEOUT" });
		await waitFor(
			async () => (await api.get(`/products/${productId}`)).body.stock,
			(stock) => stock === 3,
		);
		expect((await api.get(`/products/${productId}`)).body.stock).toBe(3);

		// The slow provider still approves after the saga gave up; the charge must come back.
		const refunded = await waitFor(
			() => api.get(`/payments?orderId=${order.id}`, token),
			(res) => res.body.rows?.[0]?.status === "REFUNDED",
			10_000,
		);
		expect(refunded.body.rows[0]).toMatchObject({ status: "REFUNDED", refundedCents: order.totalCents });
		expect(order.totalCents).toBe(8400 + order.shippingCents);
		const final = await waitFor(
			() => api.get(`/orders/${order.id}`, token),
			(res) => res.body.refundedCents === order.totalCents,
		);
		expect(final.body).toMatchObject({ status: "CANCELLED", cancelReason: "TIMEOUT", refundedCents: order.totalCents });
	});
});
