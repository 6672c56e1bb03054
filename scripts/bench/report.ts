/*
 * What one benchmark run measured, reduced to medians and ratios, and printed. Pure functions,
 * so the arithmetic the targets are judged by is tested on its own.
 */

/** One load run against one target. */
export interface Sample {
	target: string;
	round: number;
	/** Requests (or, for checkout, orders that reached a final status) per second. */
	rate: number;
	p50Ms: number;
	p99Ms: number;
	errors: number;
	requests: number;
}

export interface Row {
	target: string;
	rounds: number;
	rate: number;
	p50Ms: number;
	p99Ms: number;
	errors: number;
	/** rate / the baseline's rate, when the target has one. */
	ratio?: number;
	baseline?: string;
}

export interface Target {
	name: string;
	/** The figure the rate is divided by, and the share of it the target must reach. */
	of: string;
	atLeast: number;
}

export interface Verdict extends Target {
	ratio: number;
	met: boolean;
}

export function median(values: number[]): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The nearest-rank percentile of latencies in ms (p in 0..100). */
export function percentile(values: number[], p: number): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
	return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** Medians per target over its rounds, errors summed; targets in the order first seen. */
export function summarize(samples: Sample[], baselines: Record<string, string> = {}): Row[] {
	const names = [...new Set(samples.map((sample) => sample.target))];
	const rows = names.map((target): Row => {
		const mine = samples.filter((sample) => sample.target === target);
		return {
			target,
			rounds: mine.length,
			rate: median(mine.map((sample) => sample.rate)),
			p50Ms: median(mine.map((sample) => sample.p50Ms)),
			p99Ms: median(mine.map((sample) => sample.p99Ms)),
			errors: mine.reduce((sum, sample) => sum + sample.errors, 0),
		};
	});
	for (const row of rows) {
		const baseline = rows.find((candidate) => candidate.target === baselines[row.target]);
		if (baseline && baseline.rate > 0) Object.assign(row, { baseline: baseline.target, ratio: row.rate / baseline.rate });
	}
	return rows;
}

export function judge(rows: Row[], targets: Target[]): Verdict[] {
	return targets.flatMap((target) => {
		const row = rows.find((candidate) => candidate.target === target.name);
		const of = rows.find((candidate) => candidate.target === target.of);
		if (!row || !of || !(of.rate > 0)) return [];
		const ratio = row.rate / of.rate;
		return [{ ...target, ratio, met: ratio >= target.atLeast }];
	});
}

function pad(value: string, width: number, right = false): string {
	return right ? value.padStart(width) : value.padEnd(width);
}

export function table(rows: Row[], unitOf: (target: string) => string = () => "req/s"): string {
	const header = ["target", "rate", "", "p50 ms", "p99 ms", "errors", "vs baseline"];
	const lines = rows.map((row) => [
		row.target,
		// Checkout can be slower than 100 orders a second, where whole numbers say too little.
		row.rate >= 100 ? row.rate.toFixed(0) : row.rate.toFixed(1),
		unitOf(row.target),
		row.p50Ms.toFixed(1),
		row.p99Ms.toFixed(1),
		String(row.errors),
		row.ratio === undefined ? "" : `${(row.ratio * 100).toFixed(0)}% of ${row.baseline}`,
	]);
	const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
	const format = (cells: string[]) =>
		cells
			.map((cell, column) => pad(cell, widths[column]!, column >= 1 && column <= 5 && column !== 2))
			.join("  ")
			.trimEnd();
	return [format(header), widths.map((width) => "-".repeat(width)).join("  "), ...lines.map(format)].join("\n");
}
