import { scalingSvg } from "./scaling-chart";
import { pointOf, scalingRequest, scalingVerdicts } from "./scaling";

const run = (rate: number, cpu: [string, number][]) => ({
	rows: [
		{ target: "browse", rate: 999, p99Ms: 1 },
		{ target: "checkout", rate, p99Ms: 800 },
	],
	checkout: { cpuPerOrder: cpu.map(([process, ms]) => ({ process, ms })) },
});

describe("the scaling run's request", () => {
	it("takes the service and its replica counts, and gives the bench its other arguments", () => {
		expect(scalingRequest(["--mode", "cluster", "--scaling", "orders=1,2,3", "--checkout-seconds", "15"])).toEqual({
			service: "orders",
			counts: [1, 2, 3],
			rest: ["--mode", "cluster", "--checkout-seconds", "15"],
		});
		expect(scalingRequest(["--scaling=payments=1,3", "--mode", "cluster"])).toMatchObject({ service: "payments", counts: [1, 3] });
		expect(scalingRequest(["--mode", "cluster"])).toBeUndefined();
	});

	it.each([
		[["--mode", "cluster", "--scaling", "orders=2,1"], /increasing/],
		[["--mode", "cluster", "--scaling", "orders=1"], /at least two/],
		[["--mode", "cluster", "--scaling", "api=1,2"], /other than api/],
		[["--mode", "cluster", "--scaling", "billing=1,2"], /service/],
		[["--mode", "cluster", "--scaling", "orders=1,9"], /1 to 8/],
		[["--mode", "embedded", "--scaling", "orders=1,2"], /--mode cluster/],
		[["--scaling", "orders=1,2"], /--mode cluster/],
		[["--mode", "cluster", "--scaling", "orders=1,2", "--only", "checkout"], /leave --only/],
		[["--mode", "cluster", "--scaling", "orders=1,2", "--scale", "payments=2"], /--scale/],
	])("refuses %j", (argv, message) => {
		expect(() => scalingRequest(argv)).toThrow(message);
	});
});

describe("a point of the curve", () => {
	it("adds up a service's replicas, keeps the servers by name, and counts the cores the run used", () => {
		const point = pointOf(
			2,
			run(20, [
				["api#1 [catalogue cache on]", 5],
				["orders#1 [catalogue cache on]", 6],
				["orders#2 [catalogue cache on]", 4],
				["mongo", 10],
			]),
		);
		expect(point).toEqual({ replicas: 2, rate: 20, p99Ms: 800, cpuMs: { api: 5, orders: 10, mongo: 10 }, coresUsed: 0.5 });
	});

	it("counts the bench's load generator among the processes that share the cores", () => {
		const result = { ...run(10, [["orders#1 [x]", 10]]), checkout: { cpuPerOrder: [{ process: "orders#1 [x]", ms: 10 }], loadGeneratorCpuMs: 30 } };
		expect(pointOf(1, result)).toMatchObject({ cpuMs: { orders: 10, "load generator": 30 }, coresUsed: 0.4 });
	});

	it("takes the machine's busy cores, where the run measured them, over the processes' own sum", () => {
		const result = { ...run(10, [["orders#1 [x]", 10]]), checkout: { cpuPerOrder: [{ process: "orders#1 [x]", ms: 10 }], machineCoresBusy: 1.7 } };
		expect(pointOf(1, result).coresUsed).toBe(1.7);
	});

	it("refuses a run without a checkout", () => {
		expect(() => pointOf(1, { rows: [], checkout: { cpuPerOrder: [] } })).toThrow(/no checkout/);
	});
});

describe("the scaling verdicts", () => {
	const point = (replicas: number, rate: number, coresUsed: number) => ({ replicas, rate, p99Ms: 500, cpuMs: {}, coresUsed });

	it("judges 2 replicas against 1.8x and 3 against 2.5x the rate of one", () => {
		expect(scalingVerdicts([point(1, 10, 0.5), point(2, 18.5, 0.9), point(3, 24, 1.2)], 2)).toEqual([
			"MET    2 replicas at least 1.8× the rate of 1: 1.85×",
			"MISSED 3 replicas at least 2.5× the rate of 1: 2.40×",
		]);
	});

	it("says where the machine's cores, not the service, bound the rate", () => {
		expect(scalingVerdicts([point(1, 10, 0.8), point(3, 20, 1.8)], 2)).toEqual([
			"BOUND  3 replicas at least 2.5× the rate of 1: 2.00× (the run used 1.80 of the machine's 2 cores)",
		]);
	});
});

describe("the scaling picture", () => {
	const svg = scalingSvg({
		service: "orders",
		cores: 2,
		subtitle: "budgets <on>",
		points: [
			{ replicas: 1, rate: 10, p99Ms: 900, cpuMs: { api: 5, orders: 9 }, coresUsed: 0.14 },
			{ replicas: 2, rate: 19, p99Ms: 700, cpuMs: { api: 5, orders: 10 }, coresUsed: 0.29 },
			{ replicas: 3, rate: 26, p99Ms: 650, cpuMs: { api: 5, orders: 11, mongo: 60 }, coresUsed: 1.9 },
		],
	});

	it("is an SVG document with a title a screen reader can read", () => {
		expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]* role="img" aria-label="Checkout rate by orders replicas">/);
		expect(svg.trim().endsWith("</svg>")).toBe(true);
	});

	it("draws the measured rates and the linear ideal through every replica count", () => {
		const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]!.split(" ").length);
		expect(lines).toEqual([3, 3]);
		expect(svg).toContain("26/s (2.6×), p99 650 ms");
	});

	it("stacks each count's CPU per order by process, and says where the machine binds", () => {
		expect(svg).toContain("<title>orders 11 ms</title>");
		expect(svg).toContain("<title>mongo 60 ms</title>");
		expect(svg).toContain("3: 1.90 (the machine binds)");
		expect(svg).not.toContain("1: 0.14 (the machine binds)");
	});

	it("escapes what it is given", () => {
		expect(svg).toContain("budgets &lt;on&gt;");
	});
});
