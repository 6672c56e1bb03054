import { ServiceBroker } from "moleculer";
import { familyName, ShopPrometheusReporter, snakeCase } from "./prometheus-exposition";

describe("the names Prometheus sees", () => {
	it.each([
		["nodeID", "node_id"],
		["errorName", "error_name"],
		["service", "service"],
		["caller_node", "caller_node"],
		["HTTPStatus", "http_status"],
	])("label %s is written %s", (name, written) => {
		expect(snakeCase(name)).toBe(written);
	});

	it.each([
		["moleculer.request.total", "counter", "moleculer_request_total"],
		["moleculer.request.levels", "counter", "moleculer_request_levels_total"],
		["moleculer.registry.nodes.total", "gauge", "moleculer_registry_nodes"],
		["process.memory.heap.size.total", "gauge", "process_memory_heap_size"],
		["shop.outbox.backlog", "gauge", "shop_outbox_backlog"],
		["os.hostname", "info", "os_hostname"],
		["moleculer.request.time", "histogram", "moleculer_request_time"],
	])("%s (%s) is the family %s", (name, type, family) => {
		expect(familyName(name, type)).toBe(family);
	});
});

describe("the exposition of a node's metrics", () => {
	let broker: ServiceBroker;
	let reporter: ShopPrometheusReporter;

	beforeAll(async () => {
		reporter = new ShopPrometheusReporter({ port: 0 });
		broker = new ServiceBroker({
			nodeID: "node-1",
			namespace: "shop",
			logger: false,
			metrics: { enabled: true, collectProcessMetrics: false, reporter: [reporter as never] },
		});
		await broker.start();
		const metrics = broker.metrics;
		metrics.register({ name: "test.calls", type: "counter", labelNames: ["errorName"], description: "Calls", rate: true });
		metrics.register({ name: "test.endpoints.total", type: "gauge", labelNames: [], description: "Endpoints" });
		metrics.register({ name: "test.time", type: "histogram", labelNames: ["nodeID"], buckets: [1, 5, 10, 0.5], quantiles: true, description: "Time" });
		metrics.increment("test.calls", { errorName: 'Bad\nthing "quoted"' }, 3);
		metrics.set("test.endpoints.total", 2);
		for (const value of [0.2, 3, 7, 20]) metrics.observe("test.time", value, { nodeID: "other-node" });
	});
	afterAll(() => broker.stop());

	const family = (name: string) =>
		reporter
			.generatePrometheusResponse()
			.split("\n")
			.filter((line) => line.startsWith(`${name}`) || line.includes(` ${name} `));

	it("writes help and type for every family, and snake_case label names with the node's own", () => {
		expect(family("test_calls_total")).toEqual([
			"# HELP test_calls_total Calls",
			"# TYPE test_calls_total counter",
			'test_calls_total{namespace="shop",node_id="node-1",error_name="Bad\\nthing \\"quoted\\""} 3',
		]);
	});

	it("leaves the rate of a counter to Prometheus", () => {
		expect(reporter.generatePrometheusResponse()).not.toMatch(/_rate[{ ]/);
	});

	it("writes a gauge without the counters' _total", () => {
		expect(family("test_endpoints")).toEqual([
			"# HELP test_endpoints Endpoints",
			"# TYPE test_endpoints gauge",
			'test_endpoints{namespace="shop",node_id="node-1"} 2',
		]);
	});

	it("writes a histogram as ascending buckets, _sum and _count, without one node's quantiles, and one node_id", () => {
		const labels = 'namespace="shop",node_id="other-node"';
		expect(family("test_time")).toEqual([
			"# HELP test_time Time",
			"# TYPE test_time histogram",
			`test_time_bucket{${labels},le="0.5"} 1`,
			`test_time_bucket{${labels},le="1"} 1`,
			`test_time_bucket{${labels},le="5"} 2`,
			`test_time_bucket{${labels},le="10"} 3`,
			`test_time_bucket{${labels},le="+Inf"} 4`,
			`test_time_sum{${labels}} 30.2`,
			`test_time_count{${labels}} 4`,
		]);
	});
});
