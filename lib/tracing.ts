import { TracerExporters, type Span, type TracerOptions } from "moleculer";
import type { ShopConfig } from "./env";
import { spanIdOf, traceIdOf } from "./trace-context";

/** Span types the event mixin starts; Zipkin shows them as the two ends of a message hop. */
export const PUBLISH_SPAN = "publish";
export const CONSUME_SPAN = "consume";

interface ZipkinSpan {
	traceId: string;
	id: string;
	parentId: string | null;
	kind: string;
	remoteEndpoint?: unknown;
	tags: Record<string, unknown>;
}

/**
 * Moleculer's Zipkin exporter, changed where the shop needs it to be:
 * - trace ids keep all 128 bits (Moleculer cuts them to 64), so the id in a log line, in a Kafka
 *   message's traceparent and in Zipkin is one and the same string;
 * - the Kafka hop shows as PRODUCER and CONSUMER spans;
 * - a collector that is down costs one warning when it goes and one note when it is back, not a
 *   warning every five seconds, and the spans of that time are dropped rather than piled up;
 * - stopping sends what is still queued, so the last spans of a node that shuts down are kept.
 */
export class ShopZipkinExporter extends TracerExporters.Zipkin {
	private unreachable = false;
	private sending: Promise<void> = Promise.resolve();

	override makePayload(span: Span): ZipkinSpan {
		const payload = super.makePayload(span) as ZipkinSpan;
		payload.traceId = traceIdOf(span.traceID);
		payload.id = spanIdOf(span.id);
		payload.parentId = span.parentID ? spanIdOf(span.parentID) : null;
		payload.kind = span.type === PUBLISH_SPAN ? "PRODUCER" : span.type === CONSUME_SPAN ? "CONSUMER" : "SERVER";
		delete payload.remoteEndpoint;
		return payload;
	}

	override flush(): void {
		if (this.queue.length === 0) return;
		const spans = this.generateTracingData();
		this.queue.length = 0;
		this.sending = this.sending.then(() => this.send(spans));
	}

	private async send(spans: unknown[]): Promise<void> {
		const url = `${this.opts.baseURL}/api/v2/spans`;
		try {
			const res = await fetch(url, {
				method: "POST",
				body: JSON.stringify(spans),
				headers: this.opts.headers as Record<string, string>,
				signal: AbortSignal.timeout(5000),
			});
			if (res.status >= 400) throw new Error(`HTTP ${res.status}`);
			if (this.unreachable) this.logger.info(`Zipkin at ${this.opts.baseURL} takes spans again`);
			this.unreachable = false;
		} catch (err) {
			if (!this.unreachable)
				this.logger.warn(`Zipkin at ${this.opts.baseURL} does not take spans (${(err as Error).message}); dropping them until it does`);
			this.unreachable = true;
		}
	}

	// Moleculer's typings declare an exporter's stop() as returning void, but Zipkin's returns a
	// promise, and the tracer awaits every exporter's stop(): this one's promise is awaited too.
	// eslint-disable-next-line @typescript-eslint/no-misused-promises -- see above
	override async stop(): Promise<void> {
		// eslint-disable-next-line @typescript-eslint/await-thenable -- see above
		await super.stop();
		this.flush();
		await this.sending;
	}
}

const SHOP_ZIPKIN = "ShopZipkin";
(TracerExporters as unknown as { register(name: string, exporter: unknown): void }).register(SHOP_ZIPKIN, ShopZipkinExporter);

/**
 * Tracing is on when there is somewhere to send spans: Zipkin when ZIPKIN_URL is set (Jaeger
 * and Grafana Tempo take Zipkin's format too), the console when TRACE_CONSOLE asks for it.
 */
export function tracingOptions(config: ShopConfig): TracerOptions {
	// By name, so that every broker made from these options gets an exporter of its own.
	const exporter: unknown[] = [];
	if (config.tracing.zipkinUrl) exporter.push({ type: SHOP_ZIPKIN, options: { baseURL: config.tracing.zipkinUrl, interval: config.tracing.flushSeconds } });
	if (config.tracing.console) exporter.push({ type: "Console", options: { width: 100, gaugeWidth: 30 } });
	return {
		enabled: exporter.length > 0,
		exporter,
		sampling: { rate: config.tracing.sampleRate },
		// Params carry passwords, addresses and card tokens: a span names the action, never its input.
		tags: { action: { params: false, meta: false }, event: { params: false, meta: false } },
		errorFields: ["name", "message", "code", "type"],
	} as TracerOptions;
}
