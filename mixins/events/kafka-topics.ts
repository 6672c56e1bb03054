import type { IHeaders } from "kafkajs";
import type { AnyDomainEvent, TraceCarrier } from "../../contracts";

/*
 * The shop's names on Kafka: topics per aggregate (the message key is the aggregate id, so one
 * order's events stay in one partition, in order), a dead-letter topic beside each, a consumer
 * group per service, and the headers an event travels with (its type and ids, and the trace it
 * was published in: W3C `traceparent` and the `x-request-id` of the request behind it).
 */

const TOPIC_BY_ENTITY: Record<string, string> = {
	order: "shop.orders",
	// A return is the order's: keyed by the order id, in its partition, after its delivery.
	return: "shop.orders",
	payment: "shop.payments",
	shipment: "shop.shipping",
	stock: "shop.catalogue",
	product: "shop.catalogue",
	customer: "shop.customers",
};

/** The topic for an event type (an EventName; any other name gets a RangeError). */
export function topicFor(type: string): string {
	const topic = TOPIC_BY_ENTITY[type.split(".")[0]!];
	if (!topic) throw new RangeError(`No topic for event type ${type}`);
	return topic;
}

export function deadLetterTopic(topic: string): string {
	return `${topic}.dlq`;
}

export function consumerGroup(service: string): string {
	return `shop.${service}`;
}

export function eventHeaders(event: AnyDomainEvent, trace?: TraceCarrier): Record<string, string> {
	const headers: Record<string, string> = { "event-type": event.type, "event-id": event.id, "correlation-id": event.correlationId };
	if (trace?.traceparent) headers.traceparent = trace.traceparent;
	if (trace?.requestId) headers["x-request-id"] = trace.requestId;
	return headers;
}

/** A header's value as text (kafkajs hands them over as buffers, or arrays of them). */
export function header(headers: IHeaders | undefined, name: string): string | undefined {
	const value = headers?.[name];
	return value === undefined ? undefined : Array.isArray(value) ? String(value[0]) : String(value);
}

/** The trace a message's headers name, if any. */
export function traceFromHeaders(headers: IHeaders | undefined): TraceCarrier | undefined {
	const traceparent = header(headers, "traceparent");
	const requestId = header(headers, "x-request-id");
	if (!traceparent && !requestId) return undefined;
	return { ...(traceparent ? { traceparent } : {}), ...(requestId ? { requestId } : {}) };
}

/** Every topic the shop writes to, with its dead-letter topic. */
export function shopTopics(): string[] {
	return [...new Set(Object.values(TOPIC_BY_ENTITY))].flatMap((topic) => [topic, deadLetterTopic(topic)]);
}
