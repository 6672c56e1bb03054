import { TcpProxy, freePort } from "../helpers/net";
import { waitFor, waitForValue } from "../helpers/wait";
import { TestCluster } from "./cluster";
import { Shopper } from "./shopper";

describe("one service's database out of reach", () => {
	const env = TestCluster.infraEnv();
	const mongo = new URL(env.MONGO_URI!);
	let cluster: TestCluster;
	let proxy: TcpProxy;

	beforeAll(async () => {
		// Only the catalogue reaches the database through this relay; cutting it partitions the
		// catalogue from its database while every other service keeps its own.
		proxy = await TcpProxy.start({ host: mongo.hostname, port: Number(mongo.port || 27017) });
		cluster = new TestCluster({
			SAGA_STEP_TIMEOUT_MS: "180000",
		});
		await cluster.startAll({}, { catalogue: { MONGO_URI: `mongodb://127.0.0.1:${proxy.port}` } });
	});
	afterAll(async () => {
		await cluster?.stopAll();
		await proxy?.cut();
	});

	it("stops a node at start-up, quickly and saying why, when its database cannot be reached", async () => {
		const nowhere = `mongodb://127.0.0.1:${await freePort()}`;
		const startedAt = Date.now();
		const node = cluster.start("catalogue", 9, { MONGO_URI: nowhere });
		const code = await node.exited;
		const tookMs = Date.now() - startedAt;
		expect(code).not.toBe(0);
		const said = cluster.log.filter((line) => line.startsWith("[catalogue#9]")).join("\n");
		expect(said).toMatch(/The catalogue \(MongoDB at MONGO_URI, collection \w+\) store is unavailable/);
		expect(said).toMatch(/ECONNREFUSED|connect/i);
		// Start-up gives up after the driver's 2.5 s server selection, not after minutes of retrying.
		expect(tookMs).toBeLessThan(30_000);
		console.log(`database unreachable at start-up: the node exited with code ${code} after ${tookMs} ms`);
	});

	it("answers 503 (but for reads it has cached) and reports the node unready while the database is unreachable and, once it is back, serves again and applies what happened meanwhile", async () => {
		const shop = await Shopper.signIn(cluster.baseUrl);
		const productId = await shop.product(10, 990);
		const placed = shop.order(productId, 2, undefined, "99990");
		// Shipped to a postal code the carrier sandbox never answers for: paid, then AWAITING_SHIPMENT
		// for the saga's step timeout (3 min here), so the customer may still cancel it.
		const order = await waitFor(
			async () => shop.get((await placed).id),
			(current) => current.status === "AWAITING_SHIPMENT",
			90_000,
			250,
		);
		expect(order.status).toBe("AWAITING_SHIPMENT");
		expect(await shop.stock(productId)).toBe(8);

		await proxy.cut();
		const cutAt = Date.now();
		// An admin's read always goes to the store.
		const during = await shop.api.get(`/products/${productId}`, shop.admin);
		const answeredMs = Date.now() - cutAt;
		expect({ status: during.status, body: during.body }).toMatchObject({ status: 503, body: { error: { type: "STORE_UNAVAILABLE" } } });
		// A shopper still gets the product as last read, from the catalogue's cache; a page nobody asked for yet is a 503.
		expect(await shop.api.get(`/products/${productId}`)).toMatchObject({ status: 200, body: { id: productId, stock: 8 } });
		expect((await shop.api.get(`/products?category=never-${shop.run}`)).status).toBe(503);
		// The catalogue node takes itself out of rotation, naming its database; orders stays ready.
		const catalogueNode = cluster.nodes.find((node) => node.label === "catalogue#1")!;
		const ordersNode = cluster.nodes.find((node) => node.label === "orders#1")!;
		const unready = await waitFor(
			() => cluster.readiness(catalogueNode),
			(ready) => ready?.status === 503,
			10_000,
			200,
		);
		expect(unready?.body).toMatchObject({ ready: false, phase: "running", checks: { "database:catalogue": { ok: false }, transporter: { ok: true } } });
		expect((await cluster.readiness(ordersNode))?.status).toBe(200);
		// An order needs the catalogue's prices: refused with a 5xx, and nothing is stored.
		const refused = await shop.api.post("/orders", { items: [{ productId, qty: 1 }], shippingAddress: order.shippingAddress }, shop.customer);
		expect([503, 504]).toContain(refused.status);
		// Orders has its own database: a cancellation is taken now; the restock waits for the catalogue.
		expect((await shop.api.post(`/orders/${order.id}/cancel`, {}, shop.customer)).status).toBe(200);
		await new Promise((resolve) => setTimeout(resolve, 2000));

		await proxy.restore();
		const restoredAt = Date.now();
		const after = await waitFor(
			() => shop.api.get(`/products/${productId}`, shop.admin),
			(res) => res.status === 200,
			60_000,
			250,
		);
		const recoveredMs = Date.now() - restoredAt;
		expect(after.status).toBe(200);
		expect(await waitForValue(async () => (await cluster.readiness(catalogueNode))?.status, 200, 10_000, 200)).toBe(200);
		expect(await waitForValue(() => shop.stock(productId), 10, 120_000, 250)).toBe(10);
		const restockedMs = Date.now() - restoredAt;
		expect((await shop.api.get("/orders", shop.customer)).body.total).toBe(1);
		console.log(
			`database outage: 503 after ${answeredMs} ms, an order refused with ${refused.status}; reads back ${recoveredMs} ms ` +
				`and the cancelled order restocked ${restockedMs} ms after the database returned`,
		);
	});
});
