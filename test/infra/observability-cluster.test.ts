import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import type { Order } from "../../contracts";
import { KafkaBus } from "../../mixins/events/kafka-bus";
import { KafkaConnection } from "../../mixins/events/kafka-connection";
import type { JsonLogLine } from "../../lib/logging";
import fs from "node:fs";
import path from "node:path";
import { completeTrace, expectOrderWorkLogged, families, jsonLines, metricsIn, sample, scrape, ZipkinCollector } from "../helpers/observability";
import { waitFor } from "../helpers/wait";
import { parse } from "yaml";
import { TestCluster } from "./cluster";
import { Shopper } from "./shopper";

/** What `promtool check metrics` (Debian's, through scripts/deb-tool.sh) says of a /metrics page: nothing when it is clean. */
function promtoolCheckMetrics(promtool: string, page: string): string {
	const run = spawnSync(promtool, ["check", "metrics"], { input: page, encoding: "utf8" });
	return `${run.stdout}${run.stderr}`.trim() + (run.status === 0 ? "" : ` (exit ${run.status})`);
}

const SAGA_SERVICES = ["api", "orders", "catalogue", "payments", "shipping", "notifications"];
const address = { name: "Grace Hopper", line1: "1 Navy Yard", city: "Arlington", postalCode: "22202", country: "US" };

describe("observability of one order across a cluster of node processes over NATS and Kafka", () => {
	let cluster: TestCluster;
	let collector: ZipkinCollector;
	let shop: Shopper;
	const requestId = `req-cluster-${Date.now()}`;
	let order: Order;
	let traceId: string;

	beforeAll(async () => {
		collector = await ZipkinCollector.start();
		cluster = new TestCluster({ ZIPKIN_URL: collector.url, TRACE_FLUSH_MS: "200", LOG_FORMAT: "json" });
		await cluster.startAll();
		shop = await Shopper.signIn(cluster.baseUrl);
		const productId = await shop.product(10, 2750);
		const placed = await shop.api.post<Order>("/orders", { items: [{ productId, qty: 2 }], shippingAddress: address }, shop.customer, {
			"x-request-id": requestId,
		});
		expect(placed.status).toBe(201);
		expect(placed.headers.get("x-request-id")).toBe(requestId);
		order = await shop.finalOrder(placed.body.id);
		expect(order.status).toBe("CONFIRMED");
		await waitFor(
			() => shop.api.get("/notifications", shop.customer),
			(res) => res.body.rows?.some((n: { orderId: string }) => n.orderId === order.id),
			60_000,
			200,
		);
		const root = await waitFor(
			async () => collector.spans.find((span) => span.name === "POST /api/orders" && !span.parentId),
			(span) => span !== undefined,
			30_000,
			100,
		);
		traceId = root!.traceId;
	});
	afterAll(async () => {
		await cluster?.stopAll();
		await collector?.close();
	});

	it("sends the spans of every node to the collector as one trace, the Kafka hops included", async () => {
		const spans = await completeTrace(collector, traceId, SAGA_SERVICES, 30_000);
		const producers = spans.filter((span) => span.kind === "PRODUCER");
		expect(producers.map((span) => span.name)).toEqual(
			expect.arrayContaining(["publish 'order.created'", "publish 'payment.settled'", "publish 'order.confirmed'"]),
		);
		expect(producers.every((span) => span.tags?.transport === "kafka")).toBe(true);
		// Each consumer span hangs off the producer span whose message it read, on another node.
		const byId = new Map(spans.map((span) => [span.id, span]));
		const consumers = spans.filter((span) => span.kind === "CONSUMER");
		expect(consumers.length).toBeGreaterThanOrEqual(6);
		expect(consumers.every((span) => byId.get(span.parentId!)?.kind === "PRODUCER")).toBe(true);
	});

	it("logs JSON lines on every node with the client's request id, the trace id and the order id", () => {
		const lines: (JsonLogLine & { node: string })[] = [];
		for (const raw of cluster.log) {
			const match = /^\[([a-z]+)#\d+\] (\{.*)$/.exec(raw);
			if (match) lines.push(...jsonLines([match[2]!]).map((line) => ({ ...line, node: match[1]! })));
		}
		const ofRequest = expectOrderWorkLogged(lines, { requestId, traceId, orderId: order.id });
		expect([...new Set(ofRequest.map((line) => line.node))]).toEqual(expect.arrayContaining(SAGA_SERVICES));
		expect(new Set(ofRequest.map((line) => line.nodeID)).size).toBeGreaterThanOrEqual(SAGA_SERVICES.length);
	});

	it("serves each node's metrics: the order on orders, the money on payments, and every consumer group's lag", async () => {
		const metricsOf = (service: string) => `http://127.0.0.1:${cluster.running(service as never)[0]!.metricsPort}/metrics`;
		const orders = await waitFor(
			() => scrape(metricsOf("orders")),
			(s) => sample(s, "shop_orders_confirmed_total") === 1,
			30_000,
			200,
		);
		expect(sample(orders, "shop_orders_created_total")).toBe(1);
		expect(sample(orders, "shop_orders_saga_duration_seconds_count", { outcome: "CONFIRMED" })).toBe(1);
		const payments = await scrape(metricsOf("payments"));
		expect(sample(payments, "shop_payments_captured_cents_total", { currency: order.currency })).toBe(order.totalCents);
		// Every event is read and committed by now: each group is caught up on the partitions its node reads.
		for (const service of ["orders", "catalogue", "payments", "shipping", "notifications"]) {
			const samples = await waitFor(
				() => scrape(metricsOf(service)),
				(s) => sample(s, "shop_kafka_consumer_lag", { group: `shop.${service}` }) === 0 && sample(s, "shop_outbox_backlog") === 0,
				30_000,
				500,
			);
			expect(sample(samples, "shop_kafka_consumer_lag", { group: `shop.${service}` })).toBe(0);
			expect([...samples.keys()].some((key) => key.startsWith("shop_kafka_consumer_lag{") && key.includes(`group="shop.${service}"`))).toBe(true);
			expect(sample(samples, "process_memory_rss")).toBeGreaterThan(0);
		}
	});

	it("serves every metric the Grafana dashboard and the alerting rules query, on pages Prometheus's own lint passes", async () => {
		// A few series appear with their first event: a failed request, a refund (of an order the
		// carrier sandbox refuses to ship: postal code 00000).
		expect((await shop.api.get(`/orders/${randomUUID()}`, shop.customer)).status).toBe(404);
		const refused = await shop.order(order.items[0]!.productId, 1, undefined, "00000");
		await waitFor(
			() => shop.get(refused.id),
			(current) => current.refundedCents === refused.totalCents,
			60_000,
			200,
		);
		const served = new Set<string>();
		const lint: string[] = [];
		const promtool = execFileSync("bash", [path.join(__dirname, "../../scripts/deb-tool.sh"), "prometheus", "promtool"], { encoding: "utf8" }).trim();
		for (const node of cluster.nodes.filter((node) => node.child.exitCode === null)) {
			const url = `http://127.0.0.1:${node.metricsPort}/metrics`;
			for (const name of await families(url)) served.add(name);
			const problems = promtoolCheckMetrics(promtool, await (await fetch(url)).text());
			if (problems) lint.push(`${node.label}: ${problems}`);
		}
		expect(lint).toEqual([]);
		const dashboard = JSON.parse(fs.readFileSync(path.join(__dirname, "../../observability/grafana/dashboards/shop.json"), "utf8"));
		const queried = dashboard.panels.flatMap((panel: { targets: { expr: string }[] }) => panel.targets.flatMap((target) => metricsIn(target.expr)));
		expect(queried.length).toBeGreaterThan(10);
		expect(queried.filter((name: string) => !served.has(name))).toEqual([]);
		const rules = parse(fs.readFileSync(path.join(__dirname, "../../observability/alerts.yml"), "utf8")) as { groups: { rules: { expr: string }[] }[] };
		const alerted = rules.groups.flatMap((group) => group.rules.flatMap((rule) => metricsIn(rule.expr)));
		expect(alerted.length).toBeGreaterThan(10);
		expect([...new Set(alerted)].filter((name) => !served.has(name))).toEqual([]);
	});
});

describe("Kafka consumer lag", () => {
	it("reports how far its group is behind on the partitions a node reads, and zero once it has caught up", async () => {
		const brokers = TestCluster.infraEnv().KAFKA_BROKERS!.split(",");
		const lag = new Map<string, number>();
		let release!: () => void;
		const gate = new Promise<void>((resolve) => (release = resolve));
		const service = `lagprobe-${randomUUID().slice(0, 8)}`;
		// A consumer group of its own that reads shop.orders from the beginning and is stuck on its first message.
		const bus = new KafkaBus({
			connection: new KafkaConnection({ brokers, clientId: service, topicPartitions: 3, log: { info: () => undefined } }),
			service,
			sessionTimeoutMs: 10_000,
			handles: ["order.created", "order.confirmed", "order.cancelled"],
			handle: () => gate,
			log: { info: () => undefined, warn: () => undefined, error: () => undefined },
			reportLag: (group, topic, partition, value) => lag.set(`${group}/${topic}/${partition}`, value),
		});
		const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
		await admin.connect();
		try {
			await bus.start();
			const offsets = await admin.fetchTopicOffsets("shop.orders");
			const backlog = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
			expect(backlog).toBeGreaterThan(0);
			const total = () => [...lag.entries()].filter(([key]) => key.startsWith(`shop.${service}/shop.orders/`)).reduce((sum, [, value]) => sum + value, 0);
			// Nothing is committed while the first message is held: the group is the whole topic behind.
			await waitFor(
				async () => total(),
				(value) => value === backlog,
				30_000,
				200,
			);
			expect(total()).toBe(backlog);
			expect(lag.size).toBe(offsets.length);

			release();
			await waitFor(
				async () => total(),
				(value) => value === 0,
				60_000,
				200,
			);
			expect(total()).toBe(0);
		} finally {
			release();
			await bus.stop();
			await admin.deleteGroups([`shop.${service}`]).catch(() => undefined);
			await admin.disconnect();
		}
	});
});
