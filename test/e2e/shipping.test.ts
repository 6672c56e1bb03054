import type { ServiceSchema } from "moleculer";
import type { AnyDomainEvent, Order, Shipment, ShippingQuote } from "../../contracts";
import { processorLedger } from "../helpers/processor";
import { REFUSED_POSTAL_CODE, SILENT_POSTAL_CODE, SLOW_POSTAL_CODE } from "../../services/shipping/carrier";
import { startShopWithUsers, type ShopWithUsers, type TestShop, TEST_ADDRESS } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/** Records every domain event from outside, the way any other consumer would see them. */
function spyService(seen: AnyDomainEvent[]): ServiceSchema {
	const record = (ctx: { params: AnyDomainEvent }) => {
		seen.push(ctx.params);
	};
	return { name: "spy", events: { "order.*": record, "stock.*": record, "payment.*": record, "shipment.*": record } } as unknown as ServiceSchema;
}

const FINAL_SAGA = ["CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED"];

describe("shipping: quotes, the saga's third step, and the parcel's way", () => {
	let shop: TestShop, api: ShopWithUsers["api"], admin: string, customer: string;
	const seen: AnyDomainEvent[] = [];

	const ledgerOf = (orderId: string) => processorLedger(shop.processor, orderId);

	async function newProduct(sku: string, stock: number, priceCents: number, weightGrams: number): Promise<string> {
		const res = await api.post("/products", { sku, name: `Ship ${sku}`, category: "shipping", priceCents, stock, weightGrams }, admin);
		expect(res.status).toBe(201);
		return res.body.id;
	}
	const stockOf = async (id: string) => (await api.get(`/products/${id}`, admin)).body.stock as number;
	const orderOf = async (id: string) => (await api.get(`/orders/${id}`, customer)).body as Order;
	const orderIn = (id: string, statuses: string[], timeoutMs?: number) =>
		waitFor(
			() => orderOf(id),
			(order) => statuses.includes(order.status),
			timeoutMs,
		);
	const address = (postalCode: string, country = "DE") => ({ ...TEST_ADDRESS, postalCode, country });
	async function place(body: Record<string, unknown>): Promise<Order> {
		const res = await api.post("/orders", body, customer);
		expect(res.status).toBe(201);
		return res.body;
	}
	const eventsOf = (orderId: string) => seen.filter((event) => event.correlationId === orderId).map((event) => event.type);

	beforeAll(async () => {
		({ shop, api, admin, customer } = await startShopWithUsers("shipper@example.com", {
			env: {
				OUTBOX_RELAY_MS: "100",
				EVENT_RETRY_BASE_MS: "20",
				SAGA_STEP_TIMEOUT_MS: "4000",
				SAGA_SWEEP_MS: "100",
				CARRIER_TIMEOUT_MS: "300",
				CARRIER_SLOW_MS: "100",
				CARRIER_DISPATCH_AFTER_MS: "600",
				CARRIER_DELIVER_AFTER_MS: "1200",
				SHIPPING_SWEEP_MS: "50",
				SHIPPING_TRACK_EVERY_MS: "100",
				EVENT_CLAIM_TIMEOUT_MS: "1000",
			},
			extra: [spyService(seen)],
		}));
	});
	afterAll(() => shop.destroy());

	describe("POST /api/shipping/quotes", () => {
		it("answers anyone the options that reach the destination for the lines' weight, cheapest first", async () => {
			const productId = await newProduct("Q-1", 10, 2000, 600);
			const res = await api.post<ShippingQuote>("/shipping/quotes", {
				items: [{ productId, qty: 3 }],
				destination: { country: "de", postalCode: "10115" },
			});
			expect(res.status).toBe(200);
			expect(res.body).toEqual({
				destination: { country: "DE", postalCode: "10115" },
				weightGrams: 1800,
				currency: "EUR",
				options: [
					{ id: "standard:690", optionId: "standard", name: "Standard", priceCents: 690, currency: "EUR", days: { min: 2, max: 4 } },
					{ id: "express:1290", optionId: "express", name: "Express", priceCents: 1290, currency: "EUR", days: { min: 1, max: 1 } },
				],
			});
		});

		it("answers 422 NO_SHIPPING_OPTION for a destination no option reaches, and for a parcel too heavy for any", async () => {
			const productId = await newProduct("Q-2", 10, 2000, 600);
			const nowhere = await api.post("/shipping/quotes", { items: [{ productId, qty: 1 }], destination: { country: "AQ", postalCode: "1" } });
			expect(nowhere.status).toBe(422);
			expect(nowhere.body.error).toMatchObject({ type: "NO_SHIPPING_OPTION", data: { reason: "DESTINATION_NOT_SERVED", country: "AQ" } });
			const heavy = await newProduct("Q-HEAVY", 10, 2000, 20_000);
			const tooHeavy = await api.post("/shipping/quotes", { items: [{ productId: heavy, qty: 2 }], destination: { country: "DE", postalCode: "10115" } });
			expect(tooHeavy.status).toBe(422);
			expect(tooHeavy.body.error).toMatchObject({ type: "NO_SHIPPING_OPTION", data: { reason: "NOT_CARRIED", weightGrams: 40_000 } });
		});

		it("refuses malformed quotes with 422 and unknown products by name", async () => {
			for (const body of [
				{ items: [], destination: { country: "DE", postalCode: "1" } },
				{ items: [{ productId: "x", qty: 1 }], destination: { country: "Germany", postalCode: "1" } },
				{ items: [{ productId: "x", qty: 1 }] },
			]) {
				expect((await api.post("/shipping/quotes", body)).status).toBe(422);
			}
			const unknown = await api.post("/shipping/quotes", { items: [{ productId: "ghost", qty: 1 }], destination: { country: "DE", postalCode: "1" } });
			expect(unknown.body.error).toMatchObject({ type: "UNKNOWN_PRODUCT_IN_ORDER", data: { productIds: ["ghost"] } });
		});
	});

	describe("placing an order with a shipping option", () => {
		it("prices the order with the quoted option, goods and shipping apart, and charges both", async () => {
			const productId = await newProduct("O-1", 10, 2500, 400);
			const quote = (
				await api.post<ShippingQuote>("/shipping/quotes", { items: [{ productId, qty: 2 }], destination: { country: "DE", postalCode: "10115" } })
			).body;
			const express = quote.options.find((option) => option.optionId === "express")!;
			const order = await place({ items: [{ productId, qty: 2 }], shippingAddress: address("10115"), shippingOptionId: express.id });
			expect(order).toMatchObject({
				goodsCents: 5000,
				shippingCents: express.priceCents,
				totalCents: 5000 + express.priceCents,
				shipping: { optionId: "express", name: "Express", priceCents: express.priceCents, days: { min: 1, max: 1 }, weightGrams: 800 },
			});
			const confirmed = await orderIn(order.id, FINAL_SAGA);
			expect(confirmed.status).not.toBe("CANCELLED");
			expect(await ledgerOf(order.id)).toEqual([expect.objectContaining({ kind: "charge", amountCents: 5000 + express.priceCents })]);
		});

		it("ships with the cheapest option that reaches the address when the client names none, as clients before shipping did", async () => {
			const productId = await newProduct("O-2", 10, 1000, 400);
			const order = await place({ items: [{ productId, qty: 1 }], shippingAddress: address("10115") });
			expect(order.shipping).toMatchObject({ optionId: "standard", priceCents: 490 });
			expect(order.totalCents).toBe(1490);
		});

		it("refuses with 409 an option quoted at a price that changed, and one that does not reach the address, storing nothing", async () => {
			const productId = await newProduct("O-3", 10, 1000, 400);
			const before = (await api.get("/orders", customer)).body.total;
			const stale = await api.post(
				"/orders",
				{ items: [{ productId, qty: 1 }], shippingAddress: address("10115"), shippingOptionId: "standard:390" },
				customer,
			);
			expect(stale.status).toBe(409);
			expect(stale.body.error).toMatchObject({
				type: "SHIPPING_PRICE_CHANGED",
				data: { shippingOptionId: "standard:390", quotedCents: 390, priceCents: 490, current: "standard:490" },
			});
			// Express does not fly to Hiddensee.
			const island = await api.post(
				"/orders",
				{ items: [{ productId, qty: 1 }], shippingAddress: address("18565"), shippingOptionId: "express" },
				customer,
			);
			expect(island.status).toBe(409);
			expect(island.body.error).toMatchObject({
				type: "SHIPPING_OPTION_UNAVAILABLE",
				data: { shippingOptionId: "express", available: ["standard:490"] },
			});
			const unknown = await api.post(
				"/orders",
				{ items: [{ productId, qty: 1 }], shippingAddress: address("10115"), shippingOptionId: "pigeon" },
				customer,
			);
			expect(unknown.status).toBe(422);
			expect(unknown.body.error.type).toBe("UNKNOWN_SHIPPING_OPTION");
			const nowhere = await api.post("/orders", { items: [{ productId, qty: 1 }], shippingAddress: address("1", "AQ") }, customer);
			expect(nowhere.status).toBe(422);
			expect(nowhere.body.error.type).toBe("NO_SHIPPING_OPTION");
			for (const shippingOptionId of ["", "Standard", "standard:", "standard:-1", "a".repeat(40), 5]) {
				const res = await api.post("/orders", { items: [{ productId, qty: 1 }], shippingAddress: address("10115"), shippingOptionId }, customer);
				expect(res.status).toBe(422);
			}
			expect((await api.get("/orders", customer)).body.total).toBe(before);
			expect(await stockOf(productId)).toBe(10);
		});

		it("takes the option through the cart's checkout", async () => {
			const productId = await newProduct("O-CART", 10, 1000, 400);
			expect((await api.put(`/cart/items/${productId}`, { qty: 2 }, customer)).status).toBe(200);
			const res = await api.post<Order>("/cart/checkout", { shippingAddress: address("10115"), shippingOptionId: "express:990" }, customer);
			expect(res.status).toBe(201);
			expect(res.body).toMatchObject({ goodsCents: 2000, shippingCents: 990, totalCents: 2990, shipping: { optionId: "express" } });
		});
	});

	describe("the third step", () => {
		it("books the parcel once paid, confirms the order with its tracking number, then follows it to SHIPPED and DELIVERED with an email at each", async () => {
			const productId = await newProduct("S-OK", 10, 1500, 500);
			const order = await place({ items: [{ productId, qty: 1 }], shippingAddress: address("10115") });
			const confirmed = await orderIn(order.id, ["CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED"]);
			expect(confirmed.tracking).toEqual({ carrier: "Sandbox Parcel", trackingNumber: expect.stringMatching(/^SP\d{12}DE$/), label: expect.any(String) });
			const delivered = await orderIn(order.id, ["DELIVERED"]);
			expect(delivered.history.map((change) => `${change.status} ${change.reason}`)).toEqual([
				"PENDING ORDER_PLACED",
				"AWAITING_PAYMENT STOCK_RESERVED",
				"AWAITING_SHIPMENT PAYMENT_SETTLED",
				"CONFIRMED SHIPMENT_BOOKED",
				"SHIPPED SHIPMENT_DISPATCHED",
				"DELIVERED SHIPMENT_DELIVERED",
			]);
			await waitFor(
				() => Promise.resolve(eventsOf(order.id)),
				(types) => types.includes("shipment.delivered"),
			);
			expect(eventsOf(order.id)).toEqual(
				expect.arrayContaining(["order.paid", "shipment.booked", "order.confirmed", "shipment.dispatched", "shipment.delivered"]),
			);
			const emails = await waitFor(
				async () =>
					((await api.get("/notifications?pageSize=100", customer)).body.rows as { orderId: string; kind: string; status: string }[]).filter(
						(row) => row.orderId === order.id,
					),
				(rows) => rows.filter((row) => row.status === "SENT").length === 3,
			);
			expect(emails.map((row) => row.kind).sort()).toEqual(["order.confirmed", "shipment.delivered", "shipment.dispatched"]);
			expect(await stockOf(productId)).toBe(9);
		});

		it("refuses a cancel once the label exists with 409 ORDER_ALREADY_LABELLED, saying a return is the way", async () => {
			const productId = await newProduct("S-LABEL", 10, 1500, 500);
			const order = await place({ items: [{ productId, qty: 1 }], shippingAddress: address("10115") });
			await orderIn(order.id, ["CONFIRMED", "SHIPPED", "DELIVERED"]);
			const res = await api.post(`/orders/${order.id}/cancel`, undefined, customer);
			expect(res.status).toBe(409);
			expect(res.body.error.type).toBe("ORDER_ALREADY_LABELLED");
			expect(res.body.error.message).toMatch(/return/);
			expect((await orderOf(order.id)).status).not.toBe("CANCELLED");
		});

		it("books a slow carrier's parcel once it answers", async () => {
			const productId = await newProduct("S-SLOW", 10, 1500, 500);
			const order = await place({ items: [{ productId, qty: 1 }], shippingAddress: address(SLOW_POSTAL_CODE) });
			expect((await orderIn(order.id, FINAL_SAGA)).status).not.toBe("CANCELLED");
		});

		it("compensates a carrier's refusal in reverse: refunds the payment, puts the stock back, cancels with SHIPPING_REFUSED and tells the customer", async () => {
			const productId = await newProduct("S-REFUSED", 10, 1500, 500);
			const order = await place({ items: [{ productId, qty: 2 }], shippingAddress: address(REFUSED_POSTAL_CODE) });
			const cancelled = await orderIn(order.id, ["CANCELLED", "CONFIRMED"]);
			expect(cancelled).toMatchObject({ status: "CANCELLED", cancelReason: "SHIPPING_REFUSED" });
			await waitFor(
				() => orderOf(order.id),
				(o) => o.refundedCents === o.totalCents,
			);
			expect(await ledgerOf(order.id)).toEqual([
				expect.objectContaining({ kind: "charge", amountCents: order.totalCents }),
				expect.objectContaining({ kind: "refund", amountCents: order.totalCents }),
			]);
			expect(
				await waitFor(
					() => stockOf(productId),
					(stock) => stock === 10,
				),
			).toBe(10);
			const shipment = (await api.get<{ rows: Shipment[] }>("/admin/shipments?status=REFUSED&pageSize=100", admin)).body.rows.find(
				(row) => row.orderId === order.id,
			);
			expect(shipment).toMatchObject({ status: "REFUSED", refusedReason: "ADDRESS_NOT_DELIVERABLE" });
			const emails = await waitFor(
				async () =>
					((await api.get("/notifications?pageSize=100", customer)).body.rows as { orderId: string; kind: string; subject: string }[]).filter(
						(row) => row.orderId === order.id,
					),
				(rows) => rows.length >= 2,
			);
			expect(emails.map((row) => row.kind).sort()).toEqual(["order.cancelled", "payment.refunded"]);
		});

		it("tries a carrier that does not answer again, then the saga's step timeout cancels, refunds and voids the booking", async () => {
			const productId = await newProduct("S-SILENT", 10, 1500, 500);
			const order = await place({ items: [{ productId, qty: 1 }], shippingAddress: address(SILENT_POSTAL_CODE) });
			const cancelled = await orderIn(order.id, ["CANCELLED", "CONFIRMED"], 20_000);
			expect(cancelled).toMatchObject({ status: "CANCELLED", cancelReason: "TIMEOUT" });
			expect(cancelled.history.map((change) => change.status)).toContain("AWAITING_SHIPMENT");
			await waitFor(
				() => orderOf(order.id),
				(o) => o.refundedCents === o.totalCents,
			);
			expect(
				await waitFor(
					() => stockOf(productId),
					(stock) => stock === 10,
				),
			).toBe(10);
			const shipment = await waitFor(
				async () => (await api.get<{ rows: Shipment[] }>("/admin/shipments?pageSize=100", admin)).body.rows.find((row) => row.orderId === order.id),
				(row) => row?.status === "VOIDED",
			);
			expect(shipment?.status).toBe("VOIDED");
			expect(shipment!.history.filter((step) => step.reason === "CARRIER_NO_ANSWER").length).toBeGreaterThanOrEqual(2);
		});

		it("lets a customer cancel while the parcel is being booked: the shipment is voided, the payment refunded", async () => {
			const productId = await newProduct("S-CANCEL", 10, 1500, 500);
			const order = await place({ items: [{ productId, qty: 1 }], shippingAddress: address(SILENT_POSTAL_CODE) });
			await orderIn(order.id, ["AWAITING_SHIPMENT"]);
			const res = await api.post<Order>(`/orders/${order.id}/cancel`, undefined, customer);
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ status: "CANCELLED", cancelReason: "CUSTOMER_CANCELLED" });
			await waitFor(
				() => orderOf(order.id),
				(o) => o.refundedCents === o.totalCents,
			);
			const shipment = await waitFor(
				async () => (await api.get<{ rows: Shipment[] }>("/admin/shipments?pageSize=100", admin)).body.rows.find((row) => row.orderId === order.id),
				(row) => row?.status === "VOIDED",
			);
			expect(shipment?.status).toBe("VOIDED");
		});
	});

	it("shows the shipment in the admin's timeline of the order", async () => {
		const productId = await newProduct("S-TIMELINE", 10, 1500, 500);
		const order = await place({ items: [{ productId, qty: 1 }], shippingAddress: address("10115") });
		await orderIn(order.id, ["DELIVERED"]);
		const timeline = await waitFor(
			async () => (await api.get<{ entries: { service: string; status: string }[] }>(`/admin/orders/${order.id}/timeline`, admin)).body,
			(body) => body.entries.some((entry) => entry.service === "shipping" && entry.status === "DELIVERED"),
		);
		const shipping = timeline.entries.filter((entry) => entry.service === "shipping").map((entry) => entry.status);
		expect(shipping).toEqual(["PENDING", "BOOKING", "LABELLED", "IN_TRANSIT", "DELIVERED"]);
	});
});
