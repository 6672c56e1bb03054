import { judge, median, percentile, summarize, table, type Sample } from "./report";

const sample = (target: string, round: number, rate: number, errors = 0): Sample => ({
	target,
	round,
	rate,
	p50Ms: rate / 100,
	p99Ms: rate / 10,
	errors,
	requests: rate * 5,
});

describe("median and percentile", () => {
	it("take the middle value, or the mean of the two middle ones", () => {
		expect(median([3, 1, 2])).toBe(2);
		expect(median([4, 1, 3, 2])).toBe(2.5);
		expect(median([])).toBeNaN();
	});

	it("take the nearest rank", () => {
		const values = Array.from({ length: 100 }, (_, i) => i + 1);
		expect(percentile(values, 50)).toBe(50);
		expect(percentile(values, 99)).toBe(99);
		expect(percentile([7], 99)).toBe(7);
		expect(percentile([], 50)).toBeNaN();
	});
});

describe("summarize", () => {
	it("reduces interleaved rounds to medians per target, sums the errors and divides by the baseline", () => {
		const rows = summarize(
			[
				sample("http", 1, 10_000),
				sample("browse", 1, 5_000, 1),
				sample("http", 2, 12_000),
				sample("browse", 2, 9_000),
				sample("http", 3, 11_000),
				sample("browse", 3, 5_500, 2),
			],
			{ browse: "http" },
		);
		expect(rows.map((row) => [row.target, row.rate, row.errors, row.rounds])).toEqual([
			["http", 11_000, 0, 3],
			["browse", 5_500, 3, 3],
		]);
		expect(rows[1]!.ratio).toBeCloseTo(0.5);
		expect(rows[1]!.baseline).toBe("http");
		expect(rows[0]!.ratio).toBeUndefined();
	});
});

describe("judge", () => {
	it("holds each target's rate against the share of another it must reach", () => {
		const rows = summarize([sample("http", 1, 1000), sample("browse", 1, 650), sample("browse-auth", 1, 500)]);
		expect(
			judge(rows, [
				{ name: "browse", of: "http", atLeast: 0.6 },
				{ name: "browse-auth", of: "browse", atLeast: 0.8 },
				{ name: "missing", of: "http", atLeast: 0.1 },
			]),
		).toEqual([
			{ name: "browse", of: "http", atLeast: 0.6, ratio: 0.65, met: true },
			{ name: "browse-auth", of: "browse", atLeast: 0.8, ratio: 500 / 650, met: false },
		]);
	});
});

describe("table", () => {
	it("lines the figures up under a header", () => {
		const text = table(summarize([sample("http", 1, 1000), sample("browse", 1, 600)], { browse: "http" }));
		const lines = text.split("\n");
		expect(lines[0]).toMatch(/^target\s+rate\s+p50 ms\s+p99 ms\s+errors\s+vs baseline$/);
		expect(lines[3]).toMatch(/^browse\s+600\s+req\/s\s+6\.0\s+60\.0\s+0\s+60% of http$/);
	});

	it("compares a baseline with another, as http→kafka with http→nats", () => {
		const lines = table(
			summarize([sample("http→nats", 1, 9000), sample("http→kafka", 1, 1080), sample("browse", 1, 6300)], {
				"http→kafka": "http→nats",
				browse: "http→nats",
			}),
		).split("\n");
		expect(lines[2]).toMatch(/^http→nats\s+9000\s+req\/s\s+90\.0\s+900\.0\s+0$/);
		expect(lines[3]).toMatch(/^http→kafka\s+1080\s+req\/s\s+10\.8\s+108\.0\s+0\s+12% of http→nats$/);
		expect(lines[4]).toMatch(/70% of http→nats$/);
	});

	it("gives rates under 100 a decimal", () => {
		const lines = table(summarize([sample("checkout", 1, 7.25)])).split("\n");
		expect(lines[2]).toMatch(/^checkout\s+7\.3\s+req\/s/);
	});
});
