import type { Order } from "../../contracts";
import { waitFor, waitForValue } from "../helpers/wait";
import { TestCluster } from "./cluster";
import { storedProduct } from "./servers";
import { processorLedger } from "../helpers/processor";
import { Shopper } from "./shopper";

/*
 * Fulfilment after the saga, on real servers with two shipping, catalogue and payments replicas:
 * the carrier sandbox's clock shortened to seconds, an order is shipped and delivered, part of it
 * comes back, and the stock and the money moved (the catalogue's database, and the card
 * processor's books over its API) agree with the order: one charge of its total, one refund of
 * the returned line, the unit back on sale.
 */

describe("fulfilment across a cluster: shipped, delivered and partly returned", () => {
	let cluster: TestCluster;
	let shop: Shopper;
	const env = TestCluster.infraEnv();

	beforeAll(async () => {
		cluster = new TestCluster({
			CARRIER_DISPATCH_AFTER_MS: "1000",
			CARRIER_DELIVER_AFTER_MS: "2000",
			SHIPPING_TRACK_EVERY_MS: "300",
			SHIPPING_SWEEP_MS: "200",
		});
		await cluster.startAll({ shipping: 2, catalogue: 2, payments: 2 });
		shop = await Shopper.signIn(cluster.baseUrl);
	});
	afterAll(async () => {
		await cluster?.stopAll();
	});

	it("ships and delivers an order, takes one unit back, and restocks and refunds it once", async () => {
		const productId = await shop.product(5, 1800);
		const placed = await shop.order(productId, 2);
		const delivered = await waitFor(
			() => shop.get(placed.id),
			(order) => order.status === "DELIVERED" || order.status === "CANCELLED",
			90_000,
			250,
		);
		expect(delivered).toMatchObject({ status: "DELIVERED", tracking: { carrier: expect.any(String) } });
		expect(delivered.history.map((change) => change.status)).toEqual([
			"PENDING",
			"AWAITING_PAYMENT",
			"AWAITING_SHIPMENT",
			"CONFIRMED",
			"SHIPPED",
			"DELIVERED",
		]);
		expect(await shop.storedStock(productId)).toBe(3);

		const asked = await shop.api.post(`/orders/${placed.id}/returns`, { items: [{ productId, qty: 1 }] }, shop.customer);
		expect(asked.status).toBe(201);
		const received = await shop.api.post(`/admin/orders/${placed.id}/returns/r1/receive`, undefined, shop.admin);
		expect(received.status).toBe(200);
		const refunded = await waitFor(
			() => shop.get(placed.id),
			(order: Order) => order.returns?.[0]?.status === "REFUNDED",
			60_000,
			250,
		);
		expect(refunded).toMatchObject({ status: "DELIVERED", refundedCents: 1800 });
		expect(await waitForValue(() => shop.storedStock(productId), 4, 60_000, 250)).toBe(4);
		expect((await storedProduct(env.MONGO_URI!, productId))?.holds ?? {}).toEqual({});

		// The processor's books: the order's total charged once, the returned line refunded once.
		const books = await processorLedger(cluster.processor, [placed.id]);
		expect(books.map((record) => `${record.kind} ${record.returnId ? `:${record.returnId}` : ""} ${record.amountCents}`).sort()).toEqual([
			`charge  ${delivered.totalCents}`,
			"refund :r1 1800",
		]);
		const payment = (await shop.api.get(`/payments?orderId=${placed.id}`, shop.customer)).body.rows[0];
		expect(payment).toMatchObject({ status: "SETTLED", amountCents: delivered.totalCents, refundedCents: 1800 });
	});
});
