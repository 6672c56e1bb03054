/*
 * The scaling run's picture, as an SVG file of its own (no library, no fonts to fetch): the
 * checkout rate at each number of replicas beside the rate a perfectly linear service would
 * reach, and under it, per replica count, the CPU each process spent on an order, so the reader
 * sees where the time goes and when the machine's cores, not the service, are the limit.
 */

export interface ScalingPoint {
	replicas: number;
	/** Orders that reached a final status per second. */
	rate: number;
	p99Ms: number;
	/** CPU ms per final order, by process (replicas of one service added up). */
	cpuMs: Record<string, number>;
	/** The machine's cores busy during the run, whoever used them (else rate × the processes' CPU per order). */
	coresUsed: number;
}

export interface ScalingChart {
	service: string;
	points: ScalingPoint[];
	/** The machine's cores, the ceiling of coresUsed. */
	cores: number;
	/** One line under the title: the budgets, the machine. */
	subtitle: string;
}

const WIDTH = 760;
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939"];

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const round = (n: number) => Math.round(n * 10) / 10;

/** A step for an axis of `max`: 1, 2 or 5 times a power of ten, about five ticks. */
function tickStep(max: number): number {
	const raw = max / 5;
	const power = 10 ** Math.floor(Math.log10(raw));
	return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? raw;
}

export function scalingSvg(chart: ScalingChart): string {
	const { points } = chart;
	const first = points[0]!;
	const out: string[] = [];
	const text = (x: number, y: number, body: string, attrs = "") => out.push(`<text x="${round(x)}" y="${round(y)}" ${attrs}>${escape(body)}</text>`);

	// The rate against replicas, with the linear ideal.
	const plot = { x: 70, y: 70, w: 420, h: 230 };
	const maxReplicas = Math.max(...points.map((p) => p.replicas));
	const ideal = (replicas: number) => (first.rate / first.replicas) * replicas;
	const highest = Math.max(ideal(maxReplicas), ...points.map((p) => p.rate));
	const step = tickStep(highest);
	const maxRate = Math.ceil(highest / step) * step;
	const px = (replicas: number) => plot.x + (maxReplicas === 1 ? plot.w / 2 : ((replicas - 1) / (maxReplicas - 1)) * plot.w);
	const py = (rate: number) => plot.y + plot.h - (rate / maxRate) * plot.h;
	text(WIDTH / 2, 28, `Checkout rate by ${chart.service} replicas`, 'text-anchor="middle" font-size="18" font-weight="bold"');
	text(WIDTH / 2, 48, chart.subtitle, 'text-anchor="middle" font-size="12" fill="#444"');
	for (let rate = 0; rate <= maxRate + 1e-9; rate += step) {
		out.push(`<line x1="${plot.x}" y1="${round(py(rate))}" x2="${plot.x + plot.w}" y2="${round(py(rate))}" stroke="#ddd"/>`);
		text(plot.x - 8, py(rate) + 4, String(round(rate)), 'text-anchor="end" font-size="11"');
	}
	for (const p of points) text(px(p.replicas), plot.y + plot.h + 18, String(p.replicas), 'text-anchor="middle" font-size="11"');
	text(plot.x + plot.w / 2, plot.y + plot.h + 36, `${chart.service} replicas`, 'text-anchor="middle" font-size="12"');
	text(18, plot.y + plot.h / 2, "orders/s", `text-anchor="middle" font-size="12" transform="rotate(-90 18 ${plot.y + plot.h / 2})"`);
	const line = (pairs: [number, number][]) => pairs.map(([x, y]) => `${round(x)},${round(y)}`).join(" ");
	out.push(
		`<polyline points="${line(points.map((p) => [px(p.replicas), py(ideal(p.replicas))]))}" fill="none" stroke="#999" stroke-dasharray="6 4" stroke-width="2"/>`,
		`<polyline points="${line(points.map((p) => [px(p.replicas), py(p.rate)]))}" fill="none" stroke="${PALETTE[0]}" stroke-width="3"/>`,
	);
	for (const p of points) {
		out.push(`<circle cx="${round(px(p.replicas))}" cy="${round(py(p.rate))}" r="5" fill="${PALETTE[0]}"/>`);
		const label = `${round(p.rate)}/s (${round(p.rate / first.rate)}×), p99 ${Math.round(p.p99Ms)} ms`;
		// The last point's label reads leftwards, clear of the legend.
		const last = p.replicas === maxReplicas && points.length > 1;
		text(px(p.replicas) + (last ? -8 : 8), py(p.rate) + (last ? 20 : -10), label, `font-size="11"${last ? ' text-anchor="end"' : ""}`);
	}
	// Legend and the machine's share.
	const legend = { x: plot.x + plot.w + 30, y: plot.y + 10 };
	out.push(`<line x1="${legend.x}" y1="${legend.y}" x2="${legend.x + 24}" y2="${legend.y}" stroke="${PALETTE[0]}" stroke-width="3"/>`);
	text(legend.x + 30, legend.y + 4, "measured", 'font-size="12"');
	out.push(
		`<line x1="${legend.x}" y1="${legend.y + 20}" x2="${legend.x + 24}" y2="${legend.y + 20}" stroke="#999" stroke-dasharray="6 4" stroke-width="2"/>`,
	);
	text(legend.x + 30, legend.y + 24, "linear from 1 replica", 'font-size="12"');
	text(legend.x, legend.y + 56, `cores busy (of ${chart.cores}):`, 'font-size="12"');
	points.forEach((p, i) => {
		const bound = p.coresUsed >= chart.cores * 0.85;
		text(
			legend.x,
			legend.y + 76 + i * 18,
			`${p.replicas}: ${p.coresUsed.toFixed(2)}${bound ? " (the machine binds)" : ""}`,
			`font-size="12"${bound ? ' fill="#d62728"' : ""}`,
		);
	});

	// CPU per order, stacked by process, one bar per replica count.
	const processes = [...new Set(points.flatMap((p) => Object.keys(p.cpuMs)))];
	const bars = { x: 70, y: plot.y + plot.h + 80, w: WIDTH - 140, barH: 22 };
	const maxCpu = Math.max(...points.map((p) => Object.values(p.cpuMs).reduce((sum, ms) => sum + ms, 0)));
	text(bars.x, bars.y - 12, "CPU per final order, by process (ms)", 'font-size="13" font-weight="bold"');
	points.forEach((p, i) => {
		const y = bars.y + i * (bars.barH + 10);
		text(bars.x - 8, y + bars.barH / 2 + 4, String(p.replicas), 'text-anchor="end" font-size="11"');
		let x = bars.x;
		processes.forEach((name, j) => {
			const w = ((p.cpuMs[name] ?? 0) / maxCpu) * (bars.w - 60);
			if (w <= 0) return;
			out.push(
				`<rect x="${round(x)}" y="${y}" width="${round(w)}" height="${bars.barH}" fill="${PALETTE[j % PALETTE.length]}"><title>${escape(`${name} ${round(p.cpuMs[name]!)} ms`)}</title></rect>`,
			);
			if (w > 26) text(x + w / 2, y + bars.barH / 2 + 4, String(round(p.cpuMs[name]!)), 'text-anchor="middle" font-size="10" fill="#fff"');
			x += w;
		});
		const total = Object.values(p.cpuMs).reduce((sum, ms) => sum + ms, 0);
		text(x + 6, y + bars.barH / 2 + 4, `${round(total)} ms`, 'font-size="11"');
	});
	const keyY = bars.y + points.length * (bars.barH + 10) + 14;
	processes.forEach((name, j) => {
		const x = bars.x + (j % 5) * 125;
		const y = keyY + Math.floor(j / 5) * 18;
		out.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${PALETTE[j % PALETTE.length]}"/>`);
		text(x + 16, y, name, 'font-size="11"');
	});
	const height = keyY + Math.ceil(processes.length / 5) * 18 + 16;
	return [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" role="img" aria-label="${escape(`Checkout rate by ${chart.service} replicas`)}">`,
		`<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
		...out,
		"</svg>",
		"",
	].join("\n");
}
