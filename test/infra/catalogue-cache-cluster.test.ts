import os from "node:os";
import type { ServiceBroker } from "moleculer";
import type { Page, Product } from "../../contracts";
import type { NodeProcess } from "../../scripts/cluster-lib";
import { sample, scrape } from "../helpers/observability";
import { TestCluster } from "./cluster";
import { Shopper } from "./shopper";

describe("the catalogue's read cache on two catalogue replicas over NATS", () => {
	let cluster: TestCluster;
	let shop: Shopper;
	/** A node of its own on the cluster's NATS: it reads from each replica in turn, as a shopper. */
	let reader: ServiceBroker;
	let replicas: { node: NodeProcess; nodeID: string }[];

	const view = (nodeID: string, id: string) => reader.call<Product, object>("catalogue.get", { id }, { nodeID });
	const page = (nodeID: string, category: string) => reader.call<Page<Product>, object>("catalogue.list", { category }, { nodeID });
	const hits = async (node: NodeProcess) => sample(await scrape(`http://127.0.0.1:${node.metricsPort}/metrics`), "moleculer_cacher_found_total") ?? 0;

	async function productOnEveryReplica(category: string, stock: number): Promise<Product> {
		const res = await shop.api.post(
			"/products",
			{ sku: `CACHE-${shop.run}-${category}`, name: "Cached lamp", category, priceCents: 1000, stock },
			shop.admin,
		);
		expect(res.status).toBe(201);
		// Each replica reads it twice, and the second read comes from that replica's cache.
		for (const { node, nodeID } of replicas) {
			await view(nodeID, res.body.id);
			await page(nodeID, category);
			const before = await hits(node);
			await view(nodeID, res.body.id);
			await page(nodeID, category);
			expect((await hits(node)) - before).toBe(2);
		}
		return res.body as Product;
	}

	beforeAll(async () => {
		cluster = new TestCluster();
		await cluster.startAll({ catalogue: 2 });
		shop = await Shopper.signIn(cluster.baseUrl);
		reader = await cluster.attach(["catalogue"]);
		replicas = cluster.running("catalogue").map((node) => ({ node, nodeID: `${os.hostname().toLowerCase()}-${node.child.pid}` }));
	});
	afterAll(async () => {
		await cluster?.stopAll();
	});

	it("serves the new price and stock from every replica as soon as the update has been answered", async () => {
		const category = `cache-price-${shop.run}`;
		const product = await productOnEveryReplica(category, 5);
		const res = await shop.api.patch(`/products/${product.id}`, { priceCents: 1450, stock: 8 }, shop.admin);
		expect(res.status).toBe(200);
		for (const { nodeID } of replicas) {
			expect(await view(nodeID, product.id)).toMatchObject({ priceCents: 1450, stock: 8 });
			expect((await page(nodeID, category)).rows[0]).toMatchObject({ priceCents: 1450, stock: 8 });
		}
	});

	it("shows an order's stock as sold on every replica once the order is confirmed", async () => {
		const category = `cache-order-${shop.run}`;
		const product = await productOnEveryReplica(category, 6);
		const order = await shop.order(product.id, 2);
		expect((await shop.finalOrder(order.id)).status).toBe("CONFIRMED");
		for (const { nodeID } of replicas) {
			expect((await view(nodeID, product.id)).stock).toBe(4);
			expect((await page(nodeID, category)).rows[0]!.stock).toBe(4);
		}
	});

	it("stops showing a deactivated product on every replica at once", async () => {
		const category = `cache-gone-${shop.run}`;
		const product = await productOnEveryReplica(category, 1);
		expect((await shop.api.post(`/products/${product.id}/deactivate`, undefined, shop.admin)).status).toBe(200);
		for (const { nodeID } of replicas) {
			await expect(view(nodeID, product.id)).rejects.toMatchObject({ code: 404, type: "PRODUCT_NOT_FOUND" });
			expect((await page(nodeID, category)).total).toBe(0);
		}
	});
});
