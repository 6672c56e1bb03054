import { percentile } from "../../scripts/bench/report";
import type { ServiceName } from "../../scripts/cluster-lib";
import { CheckoutLoad } from "./checkout-load";
import { TestCluster } from "./cluster";
import { expectConserved, outcome } from "./conservation";
import { Shopper } from "./shopper";

/**
 * Two replicas each of catalogue, orders and customers under 8 customers browsing, reading their
 * profile and placing orders (each with an Idempotency-Key) for 45 s; one replica of each is
 * SIGKILLed in turn. The others must take it out of rotation at once (lib/failover.ts) and send
 * what was in flight to it elsewhere: no request fails, p99 stays under 2 s, and every order ends
 * CONFIRMED and charged once.
 */
const SERVICES: ServiceName[] = ["catalogue", "orders", "customers"];
const LOAD_MS = 45_000;
const CUSTOMERS = 8;
const STOCK = 10_000;

describe("a replica killed without a word under load", () => {
	const env = TestCluster.infraEnv();
	let cluster: TestCluster;

	beforeAll(async () => {
		cluster = new TestCluster();
		await cluster.startAll(Object.fromEntries(SERVICES.map((service) => [service, 2])));
	});
	afterAll(async () => {
		await cluster?.stopAll();
	});

	it("is out of rotation at once: no request fails, p99 under 2 s, every order confirmed and charged once", async () => {
		const shop = await Shopper.signIn(cluster.baseUrl);
		const product = { id: await shop.product(STOCK, 900), stock: STOCK };
		const customers = [shop, ...(await Promise.all(Array.from({ length: CUSTOMERS - 1 }, () => Shopper.signIn(cluster.baseUrl))))];
		const load = new CheckoutLoad(customers, product.id, { idempotencyKeys: true, browse: true });
		const killed: string[] = [];
		const startedAt = Date.now();
		try {
			for (const [i, service] of SERVICES.entries()) {
				// Spread over the 45 s: a kill every 12 s, from 8 s in.
				await new Promise((resolve) => setTimeout(resolve, startedAt + 8_000 + i * 12_000 - Date.now()));
				const [victim] = cluster.running(service);
				await cluster.kill(victim!);
				killed.push(`${victim!.label} at ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
			}
			await new Promise((resolve) => setTimeout(resolve, startedAt + LOAD_MS - Date.now()));
		} finally {
			await load.stop();
		}

		const p99 = percentile(load.latencies, 99);
		console.log(
			`failover: killed ${killed.join(", ")}; ${load.requests} requests, p99 ${p99} ms, slowest ${load.slowest.ms} ms (${load.slowest.what}); ${outcome(load.placed)}`,
		);
		expect(load.failures).toEqual([]);
		expect(p99).toBeLessThan(2000);
		expect(load.placed.length).toBeGreaterThan(0);
		expect(load.placed.filter((order) => order.status !== "CONFIRMED").map((order) => `${order.id} ${order.status}`)).toEqual([]);
		await expectConserved({ mongoUri: env.MONGO_URI!, processor: cluster.processor }, shop, product, load.placed);
	});
});
