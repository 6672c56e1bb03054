import type { OrderCreated } from "../../contracts";
import { eventHeaders, traceFromHeaders } from "./kafka-topics";

const EVENT = {
	id: "event-1",
	type: "order.created",
	occurredAt: "2030-06-01T10:00:00.000Z",
	aggregateId: "order-1",
	correlationId: "order-1",
} as OrderCreated;
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("Kafka message headers", () => {
	it("carry the event's type and ids, and the trace it was published in", () => {
		expect(eventHeaders(EVENT, { traceparent: TRACEPARENT, requestId: "req-1" })).toEqual({
			"event-type": "order.created",
			"event-id": "event-1",
			"correlation-id": "order-1",
			traceparent: TRACEPARENT,
			"x-request-id": "req-1",
		});
	});

	it("leave the trace headers out when there is no trace", () => {
		expect(Object.keys(eventHeaders(EVENT))).toEqual(["event-type", "event-id", "correlation-id"]);
	});

	it("give the trace back as a consumer reads them (kafkajs hands header values over as buffers)", () => {
		const read = Object.fromEntries(
			Object.entries(eventHeaders(EVENT, { traceparent: TRACEPARENT, requestId: "req-1" })).map(([k, v]) => [k, Buffer.from(v)]),
		);
		expect(traceFromHeaders(read)).toEqual({ traceparent: TRACEPARENT, requestId: "req-1" });
		expect(traceFromHeaders({ "event-type": Buffer.from("order.created") })).toBeUndefined();
		expect(traceFromHeaders(undefined)).toBeUndefined();
	});
});
