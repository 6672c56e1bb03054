import { TcpProxy, freePort } from "../helpers/net";
import { waitFor } from "../helpers/wait";
import { TestCluster } from "./cluster";
import { INFRA_ADMIN, Shopper } from "./shopper";

describe("one service's database out of reach", () => {
	const env = TestCluster.infraEnv();
	const mongo = new URL(env.MONGO_URI!);
	let cluster: TestCluster;
	let proxy: TcpProxy;

	beforeAll(async () => {
		// Only the catalogue reaches the database through this relay; cutting it partitions the
		// catalogue from its database while every other service keeps its own.
		proxy = await TcpProxy.start({ host: mongo.hostname, port: Number(mongo.port || 27017) });
		cluster = new TestCluster(
			{
				...env,
				ADMIN_EMAIL: INFRA_ADMIN.email,
				ADMIN_PASSWORD: INFRA_ADMIN.password,
				AUTH_RATE_LIMIT_PER_MINUTE: "10000",
				SAGA_STEP_TIMEOUT_MS: "180000",
			},
			Number(process.env.INFRA_TEST_PORT ?? 3900),
		);
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

	it("answers 503 while the database is unreachable and recovers, finishing the orders placed meanwhile, once it is back", async () => {
		const shop = await Shopper.signIn(cluster.baseUrl);
		const productId = await shop.product(10, 990);
		expect((await shop.api.get(`/products/${productId}`)).status).toBe(200);

		await proxy.cut();
		const cutAt = Date.now();
		const during = await shop.api.get(`/products/${productId}`);
		const answeredMs = Date.now() - cutAt;
		expect({ status: during.status, body: during.body }).toMatchObject({ status: 503, body: { error: { type: "STORE_UNAVAILABLE" } } });
		// Orders has its own database: it takes the order; the reservation waits for the catalogue.
		const placed = await shop.order(productId, 2);
		expect(placed.status).toBe("PENDING");

		await proxy.restore();
		const restoredAt = Date.now();
		const after = await waitFor(() => shop.api.get(`/products/${productId}`), (res) => res.status === 200, 60_000, 250);
		const recoveredMs = Date.now() - restoredAt;
		expect(after.status).toBe(200);
		expect((await shop.finalOrder(placed.id, 120_000)).status).toBe("CONFIRMED");
		const confirmedMs = Date.now() - restoredAt;
		expect(await shop.stock(productId)).toBe(8);
		console.log(`database outage: 503 after ${answeredMs} ms; reads back ${recoveredMs} ms and the waiting order confirmed ${confirmedMs} ms after the database returned`);
	});
});
