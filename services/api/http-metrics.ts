import type { IncomingMessage, ServerResponse } from "node:http";
import type { ServiceBroker } from "moleculer";
import { shopMetrics } from "../../lib/metrics";

/**
 * Counts each answer of the API by kind and status, and times it from arrival to last byte: the
 * measures of the API's objectives (docs/observability.md). A live stream is counted but not
 * timed, since it lasts as long as the customer watches; a request the client gave up on before
 * its answer is neither (no status was sent).
 */
export function measureAnswer(broker: ServiceBroker, req: IncomingMessage, res: ServerResponse): void {
	const startedAt = performance.now();
	res.once("finish", () => {
		const streamed = String(res.getHeader("content-type") ?? "").startsWith("text/event-stream");
		shopMetrics(broker).httpAnswered(req.method ?? "GET", res.statusCode, streamed ? undefined : (performance.now() - startedAt) / 1000);
	});
}
