import http from "node:http";
import type { AddressInfo } from "node:net";
import type { JsonLogLine } from "../../lib/logging";
import { waitFor } from "./wait";

/** A span as Zipkin's v2 JSON has it. */
export interface ZipkinSpan {
	traceId: string;
	id: string;
	parentId?: string | null;
	name: string;
	kind: string;
	localEndpoint?: { serviceName?: string | null };
	tags?: Record<string, string>;
}

/** A Zipkin collector as small as can be: it keeps what is POSTed to /api/v2/spans. */
export class ZipkinCollector {
	readonly spans: ZipkinSpan[] = [];
	private constructor(private readonly server: http.Server) {}

	static async start(): Promise<ZipkinCollector> {
		const server = http.createServer();
		const collector = new ZipkinCollector(server);
		server.on("request", (req, res) => {
			const chunks: Buffer[] = [];
			req.on("data", (chunk: Buffer) => chunks.push(chunk));
			req.on("end", () => {
				if (req.method !== "POST" || req.url !== "/api/v2/spans") {
					res.writeHead(404).end();
					return;
				}
				try {
					collector.spans.push(...(JSON.parse(Buffer.concat(chunks).toString("utf8")) as ZipkinSpan[]));
					res.writeHead(202).end();
				} catch {
					res.writeHead(400).end();
				}
			});
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		return collector;
	}

	get url(): string {
		return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
	}

	trace(traceId: string): ZipkinSpan[] {
		return this.spans.filter((span) => span.traceId === traceId);
	}

	close(): Promise<void> {
		return new Promise((resolve) => this.server.close(() => resolve()));
	}
}

export function servicesOf(spans: ZipkinSpan[]): Set<string> {
	return new Set(spans.map((span) => span.localEndpoint?.serviceName).filter((name): name is string => !!name));
}

/** Spans whose parent is not in the set (the root has none): a trace with a gap shows here. */
export function orphans(spans: ZipkinSpan[]): ZipkinSpan[] {
	const ids = new Set(spans.map((span) => span.id));
	return spans.filter((span) => span.parentId && !ids.has(span.parentId));
}

/** Waits for the trace to reach every one of `services` with no gap, then checks it: one root, no orphans. */
export async function completeTrace(collector: ZipkinCollector, traceId: string, services: string[], timeoutMs: number): Promise<ZipkinSpan[]> {
	const spans = await waitFor(
		async () => collector.trace(traceId),
		(spans) => services.every((service) => servicesOf(spans).has(service)) && orphans(spans).length === 0,
		timeoutMs,
		100,
	);
	expect([...servicesOf(spans)]).toEqual(expect.arrayContaining(services));
	expect(orphans(spans)).toEqual([]);
	expect(spans.filter((span) => !span.parentId)).toHaveLength(1);
	return spans;
}

/**
 * Checks that the lines of one request's work carry its trace id, and that every line (other than
 * the gateway's) that mentions the order carries the request id and the order id. Returns the
 * request's lines for what a test checks beyond that.
 */
export function expectOrderWorkLogged<L extends JsonLogLine>(lines: L[], ids: { requestId: string; traceId: string; orderId: string }): L[] {
	const ofRequest = lines.filter((line) => line.requestId === ids.requestId);
	expect(ofRequest.every((line) => line.traceId === ids.traceId)).toBe(true);
	const aboutOrder = lines.filter((line) => line.msg.includes(ids.orderId) && line.service !== "api");
	expect(aboutOrder.length).toBeGreaterThan(0);
	expect(aboutOrder.filter((line) => line.requestId !== ids.requestId || line.orderId !== ids.orderId)).toEqual([]);
	return ofRequest;
}

/** Prometheus's text format, as `name{label="value",...}` → value (labels in the order written). */
export type Samples = Map<string, number>;

export async function scrape(url: string): Promise<Samples> {
	const res = await fetch(url);
	if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
	const samples: Samples = new Map();
	for (const line of (await res.text()).split("\n")) {
		if (!line || line.startsWith("#")) continue;
		const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$/.exec(line);
		if (match) samples.set(match[1]! + (match[2] ?? ""), Number(match[3]));
	}
	return samples;
}

/** The metric families a /metrics page declares (its # TYPE lines), whether or not they have a sample yet. */
export async function families(url: string): Promise<Set<string>> {
	const text = await (await fetch(url)).text();
	return new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((match) => match[1]!));
}

/** The metric names a PromQL expression reads, with a histogram's _bucket/_sum/_count taken back to its family. */
export function metricsIn(expr: string): string[] {
	const names = [...expr.matchAll(/\b((?:shop|moleculer|process|os)_[a-z0-9_]+)/g)].map((match) => match[1]!.replace(/_(bucket|sum|count)$/, ""));
	return [...new Set(names)];
}

/** The value of one series: `labels` must all match; the node's own labels (node_id, namespace) are ignored. */
export function sample(samples: Samples, name: string, labels: Record<string, string> = {}): number | undefined {
	let total: number | undefined;
	for (const [key, value] of samples) {
		const match = /^([^{]+)(?:\{(.*)\})?$/.exec(key)!;
		if (match[1] !== name) continue;
		const has = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
		if (Object.entries(labels).every(([label, wanted]) => has[label] === wanted)) total = (total ?? 0) + value;
	}
	return total;
}

/** The JSON log lines among `lines`; a line that is not JSON fails the test, as it would fail a log shipper. */
export function jsonLines(lines: string[]): JsonLogLine[] {
	return lines
		.filter((line) => line.trim())
		.map((line) => {
			try {
				return JSON.parse(line) as JsonLogLine;
			} catch {
				throw new Error(`Not a JSON log line: ${line}`);
			}
		});
}
