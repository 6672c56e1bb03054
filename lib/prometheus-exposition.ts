import { MetricReporters, type MetricRegistry } from "moleculer";

/*
 * Moleculer's Prometheus reporter writes series that Prometheus's own lint (`promtool check
 * metrics`) refuses, and that make queries awkward:
 *   - camelCase label names (nodeID, errorName) where Prometheus's are snake_case;
 *   - gauges named like counters (moleculer_registry_nodes_total), which rate() users misread,
 *     and a counter named like a gauge (moleculer_request_levels);
 *   - histograms with quantile lines, _min, _mean, _variance, _stddev and _max beside their
 *     buckets: untyped series without help, and quantiles of one node that cannot be added up;
 *   - a _rate series beside counters: Prometheus computes rates, from the counter;
 *   - label values with a newline (an error message) left unescaped, which breaks the exposition.
 * This reporter writes the same metrics in the text format Prometheus documents: help and type for
 * every family, snake_case label names, histograms as buckets, _sum and _count (so latency
 * quantiles are taken over the cluster with histogram_quantile), and `_total` on counters only.
 */

type Labels = Record<string, unknown>;
interface Item {
	labels?: Labels;
	value?: unknown;
	buckets?: Record<string, number>;
	count?: number;
	sum?: number;
	quantiles?: Record<string, number>;
}
interface StoredMetric {
	name: string;
	type: string;
	description?: string;
	unit?: string;
	snapshot(): Item[];
}

/** nodeID -> node_id, errorName -> error_name; names already in snake_case stay. */
export function snakeCase(name: string): string {
	return name
		.replace(/([a-z0-9])([A-Z])/g, "$1_$2")
		.replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
		.replace(/[^a-zA-Z0-9_]/g, "_")
		.toLowerCase();
}

/** The family name Prometheus sees: dots and dashes as underscores, `_total` on counters and only on them. */
export function familyName(name: string, type: string): string {
	const flat = name.replace(/[.-]/g, "_");
	const total = flat.endsWith("_total");
	if (type === "counter") return total ? flat : `${flat}_total`;
	return total ? flat.slice(0, -"_total".length) : flat;
}

/** Label values are strings, numbers, booleans or null in Moleculer's metrics; anything else is shown as JSON. */
const text = (value: unknown) => (value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value as string));
const escapeValue = (value: unknown) => text(value).replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escapeHelp = (text: string) => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
/** A sample's value: a number, or NaN for none (Moleculer's own choice for an empty gauge). */
const sample = (value: unknown) => {
	if (typeof value !== "number" || Number.isNaN(value)) return "NaN";
	return Number.isFinite(value) ? String(value) : value > 0 ? "+Inf" : "-Inf";
};

export class ShopPrometheusReporter extends MetricReporters.Prometheus {
	private nodeLabels: Labels = {};

	override init(registry: MetricRegistry): void {
		super.init(registry);
		this.nodeLabels = { namespace: registry.broker.namespace, node_id: registry.broker.nodeID };
	}

	override generatePrometheusResponse(): string {
		const lines: string[] = [];
		const written = new Set<string>();
		const registry = this.registry as unknown as { store: Map<string, StoredMetric> };
		for (const metric of registry.store.values()) {
			// Moleculer's own filter, and its clock series (a label per second) left out as it does.
			if (!this.matchMetricName(metric.name) || metric.name.startsWith("os.datetime")) continue;
			const items = metric.snapshot();
			if (items.length === 0) continue;
			const histogram = metric.type === "histogram";
			const bucketed = histogram && items.some((item) => item.buckets);
			const type = metric.type === "info" ? "gauge" : histogram ? (bucketed ? "histogram" : "summary") : metric.type;
			let name = familyName(metric.name, type);
			// Two families of one name would be one invalid family; the second keeps Moleculer's name.
			if (written.has(name)) name = metric.name.replace(/[.-]/g, "_");
			written.add(name);
			lines.push(`# HELP ${name} ${escapeHelp(metric.description || metric.name + (metric.unit ? ` (${metric.unit})` : ""))}`);
			lines.push(`# TYPE ${name} ${type}`);
			for (const item of items) {
				if (metric.type === "info") lines.push(`${name}${this.labelText(item.labels, { value: item.value })} 1`);
				else if (!histogram) lines.push(`${name}${this.labelText(item.labels)} ${sample(item.value)}`);
				else {
					if (bucketed) {
						// Ascending, as the format has them (an object lists integer-like keys such as "1" first).
						const buckets = Object.entries(item.buckets ?? {}).sort(([a], [b]) => Number(a) - Number(b));
						for (const [le, count] of buckets) lines.push(`${name}_bucket${this.labelText(item.labels, { le })} ${sample(count)}`);
						lines.push(`${name}_bucket${this.labelText(item.labels, { le: "+Inf" })} ${sample(item.count)}`);
					} else {
						for (const [quantile, value] of Object.entries(item.quantiles ?? {}))
							lines.push(`${name}${this.labelText(item.labels, { quantile })} ${sample(value)}`);
					}
					lines.push(`${name}_sum${this.labelText(item.labels)} ${sample(item.sum ?? 0)}`);
					lines.push(`${name}_count${this.labelText(item.labels)} ${sample(item.count ?? 0)}`);
				}
			}
		}
		lines.push("");
		return lines.join("\n");
	}

	private labelText(labels: Labels | undefined, extra?: Labels): string {
		// Keyed by the written name, so a metric's own nodeID cannot repeat the node's node_id.
		const all = new Map<string, unknown>();
		for (const [key, value] of Object.entries({ ...this.nodeLabels, ...labels, ...extra })) all.set(snakeCase(key), value);
		if (all.size === 0) return "";
		return `{${[...all].map(([key, value]) => `${key}="${escapeValue(value)}"`).join(",")}}`;
	}
}
