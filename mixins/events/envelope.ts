import type { Context } from "moleculer";
import { Errors } from "moleculer";
import type { AnyDomainEvent, EventBody, EventName, EventPayloads, InboxStatus, OutboxEvent, ShopMeta, TraceCarrier } from "../../contracts";

/*
 * What the events mixin's parts share and what services use of it: a domain event's envelope,
 * an event for the write path, the inbox's record of a received event, and the handlers' type.
 */

/** `ctx` belongs to this attempt at handling the event: calls made through it join the event's trace. */
export type DomainEventHandler<K extends EventName, TThis = unknown> = (
	this: TThis,
	event: EventPayloads[K],
	ctx: Context<unknown, ShopMeta>,
) => Promise<void> | void;
export type DomainEventHandlers<TThis = unknown> = { [K in EventName]?: DomainEventHandler<K, TThis> };

export type { InboxStatus };

export interface InboxDoc {
	[key: string]: unknown;
	_id: string;
	type: EventName;
	status: InboxStatus;
	attempts: number;
	event: AnyDomainEvent;
	/** The trace the event was published in; every attempt at handling it is a span of it. */
	trace?: TraceCarrier;
	claimedAtMs: number;
	nextAttemptAtMs?: number;
	lastError?: string;
	receivedAt: string;
	doneAt?: string;
}

/** A document that can carry events waiting to be relayed. */
export interface WithOutbox {
	outbox?: OutboxEvent[];
}

/**
 * A document that records the ids of the events whose handlers changed it: its inbox. A map, not a
 * list, so that "not yet handled" is one condition both stores read alike (`handledEvents.<id>`
 * does not exist; NeDB matches a condition on a list if any element does). An aggregate is changed
 * by a handful of events in its life, so it stays small.
 */
export interface WithHandledEvents {
	handledEvents?: Record<string, 1>;
}

/** Whether the document was already changed by this event: a duplicate delivery to ignore. */
export function alreadyHandled(doc: WithHandledEvents, event: AnyDomainEvent | undefined): boolean {
	return event !== undefined && doc.handledEvents?.[event.id] === 1;
}

/** How a received event is first recorded: claimed by the receiver, not yet attempted. */
export function inboxEntry(event: AnyDomainEvent, nowMs: number, trace?: TraceCarrier): InboxDoc {
	const doc: InboxDoc = {
		_id: event.id,
		type: event.type,
		status: "PROCESSING",
		attempts: 0,
		event,
		claimedAtMs: nowMs,
		receivedAt: new Date(nowMs).toISOString(),
	};
	if (trace) doc.trace = trace;
	return doc;
}

/** The order an event is about, for log lines and span tags. */
export function orderIdOf(event: AnyDomainEvent): string | undefined {
	return "orderId" in event ? event.orderId : undefined;
}

/** What an event's saga step may wait for: its order's other events, or its own aggregate's. */
export function sagaKeyOf(event: AnyDomainEvent): string {
	return orderIdOf(event) ?? event.aggregateId;
}

/** Builds a complete event from its body; ids and time come from the caller. */
export function domainEvent<K extends EventName>(
	type: K,
	body: EventBody<K>,
	ids: { aggregateId: string; correlationId: string },
	eventId: string,
	now: Date,
): EventPayloads[K] {
	return { ...body, id: eventId, type, occurredAt: now.toISOString(), ...ids } as EventPayloads[K];
}

/** An event a write causes: its type and body, and the aggregate it is about. */
export interface NewEvent<K extends EventName = EventName> {
	type: K;
	body: EventBody<K>;
	aggregateId: string;
	/** The saga or request it belongs to; the aggregate's own id unless said otherwise. */
	correlationId?: string;
}

/** `newEvent("order.confirmed", body, orderId)`: an event for the store's write path, typed by its name. */
export function newEvent<K extends EventName>(type: K, body: EventBody<K>, aggregateId: string, correlationId?: string): NewEvent<K> {
	return { type, body, aggregateId, ...(correlationId ? { correlationId } : {}) };
}

/** Raised by a handler that got an event before the one it depends on; retried later. */
export class EventOutOfOrderError extends Errors.MoleculerRetryableError {
	constructor(event: AnyDomainEvent, waitingFor: string) {
		super(`${event.type} ${event.id} arrived before ${waitingFor}`, 503, "EVENT_OUT_OF_ORDER", { eventId: event.id });
	}
}
