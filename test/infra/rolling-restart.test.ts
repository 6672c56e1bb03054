import type { ServiceBroker } from "moleculer";
import { SERVICE_NAMES, type NodeProcess } from "../../scripts/cluster-lib";
import { Balancer } from "./balancer";
import { CheckoutLoad } from "./checkout-load";
import { TestCluster } from "./cluster";
import { expectConserved, outcome } from "./conservation";
import { Shopper } from "./shopper";

const CUSTOMERS = 3;
const STOCK = 1000;

/**
 * Every node replaced in turn while customers check out, as a deployment rolls out a new
 * version: SIGTERM, so each node drains. Two gateways on ports of their own sit behind a load
 * balancer; a gateway is stopped first and its successor takes its port (the other gateway
 * serves meanwhile). Every other node is replaced the way Kubernetes rolls a Deployment of one
 * or two replicas (maxUnavailable 0): its successor first, ready and known to the cluster, then
 * the old node stops. Payments runs two replicas, as in the other clusters; the rest one.
 */
describe("a rolling restart of every node while customers check out", () => {
	const env = TestCluster.infraEnv();
	let cluster: TestCluster;
	let balancer: Balancer;
	let observer: ServiceBroker;
	const gatewayPort = new Map<NodeProcess, number>();

	beforeAll(async () => {
		// The processor calls the shop's front door, the balancer, as it would a public endpoint: a gateway being replaced does not refuse its webhooks.
		cluster = new TestCluster();
		cluster.webhooksThrough(`http://127.0.0.1:${cluster.sparePort(1)}`);
		for (const service of SERVICE_NAMES) cluster.start(service);
		cluster.start("payments", 2);
		gatewayPort.set(cluster.running("api")[0]!, cluster.port);
		gatewayPort.set(cluster.start("api", 2, { PORT: String(cluster.sparePort(0)) }), cluster.sparePort(0));
		await cluster.waitHealthy();
		balancer = await Balancer.start(cluster.sparePort(1), [...gatewayPort.values()]);
		observer = await cluster.attach();
	});
	afterAll(async () => {
		await balancer?.stop();
		await cluster?.stopAll();
	});

	it("fails no request, loses no order, and keeps stock and money right", async () => {
		const url = `http://127.0.0.1:${cluster.sparePort(1)}/api`;
		const shoppers = await Promise.all(Array.from({ length: CUSTOMERS }, () => Shopper.signIn(url)));
		const product = { id: await shoppers[0]!.product(STOCK, 900), stock: STOCK };
		const load = new CheckoutLoad(shoppers, product.id);
		const began = Date.now();
		const steps: string[] = [];
		let replica = 10;
		for (const service of SERVICE_NAMES) {
			for (const old of cluster.running(service)) {
				const stepBegan = Date.now();
				let successor: NodeProcess;
				if (service === "api") {
					const port = gatewayPort.get(old)!;
					await cluster.stop(old);
					successor = cluster.start("api", ++replica, { PORT: String(port) });
					gatewayPort.set(successor, port);
				} else {
					successor = cluster.start(service, ++replica);
				}
				await cluster.waitReady(successor, observer);
				if (service !== "api") await cluster.stop(old);
				steps.push(`${old.label} ${Date.now() - stepBegan} ms`);
			}
		}
		const rolledMs = Date.now() - began;
		const requests = load.requests;
		const placed = await load.stop();

		expect(load.failures).toEqual([]);
		expect(balancer.unreachable).toEqual([]);
		// Nor did any wait for a node that no longer answered: that costs the broker's request timeout (10 s).
		expect({ ...load.slowest, underTimeout: load.slowest.ms < 10_000 }).toEqual({ ...load.slowest, underTimeout: true });
		expect(placed.filter((order) => order.status !== "CONFIRMED" && order.status !== "CANCELLED").map((order) => `${order.id} ${order.status}`)).toEqual(
			[],
		);
		// Every order the shop holds for these customers is one of those placed, and final.
		const held = (await Promise.all(shoppers.map((shop) => shop.allOrders()))).flat();
		expect(held.map((order) => order.id).sort()).toEqual(placed.map((order) => order.id).sort());
		const { sold, charges, refunds } = await expectConserved({ mongoUri: env.MONGO_URI!, processor: cluster.processor }, shoppers[0]!, product, held);

		console.log(
			`rolling restart: ${steps.length} nodes replaced in ${rolledMs} ms (${steps.join(", ")}); ${requests} requests, ${load.failures.length} failed, slowest ${load.slowest.ms} ms (${load.slowest.what}), ` +
				`${balancer.retried} sent to the other gateway after a refused or reset connection; ${placed.length} orders: ${outcome(held)}; ` +
				`stock ${STOCK} - ${sold} sold; ${charges} charges, ${refunds} refunds`,
		);
	}, 300_000);
});
