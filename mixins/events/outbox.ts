import { randomUUID } from "node:crypto";
import type { ServiceSchema, Span } from "moleculer";
import { Errors } from "moleculer";
import type { AnyDomainEvent, OutboxEvent } from "../../contracts";
import { shopMetrics } from "../../lib/metrics";
import { currentCarrier, formatTraceparent, runDetached, spanIdOf, workFromCarrier } from "../../lib/trace-context";
import { PUBLISH_SPAN } from "../../lib/tracing";
import type { Collection, StoredDoc } from "../store.mixin";
import type { EventsCore } from "./core";
import { domainEvent, orderIdOf, type NewEvent, type WithHandledEvents, type WithOutbox } from "./envelope";

/*
 * Publishing (transactional outbox): a service writes a change and the events it causes in one
 * single-document write, the events into the document's `outbox` array, so both are stored or
 * neither is. The relay then delivers each event and pulls it from the outbox; a crash in between
 * delivers it again after restart (the consumers' inboxes drop the duplicate), never loses it.
 */

/**
 * The documents whose outbox holds events. Every event has an id, so the field exists exactly
 * while the outbox is not empty, and the sparse index on it (OUTBOX_INDEX) holds only those
 * documents: on MongoDB the relay's scan reads them, not the whole collection.
 */
export const OUTBOX_PENDING = { "outbox.id": { $exists: true } } as const;
export const OUTBOX_INDEX = { field: "outbox.id", sparse: true, mongoOnly: true } as const;

/** How many relay polls (OUTBOX_RELAY_MS apart) go by between full scans of outboxes and inbox. */
export const OUTBOX_SCAN_EVERY = 5;

/**
 * The one way a service changes a document that publishes: the change and the events it causes
 * are written in one single-document write (the events into the document's outbox), and the
 * relay is woken to deliver them. A write that changed nothing stores no event.
 */
export interface OutboxWrites {
	/** Inserts `doc` with `events` in its outbox; the document as stored. */
	insertWithEvents<D extends StoredDoc & WithOutbox>(collection: string, doc: D, events: NewEvent[], now?: Date): Promise<D>;
	/**
	 * Applies `update` to the document `query` matches, and pushes `events` into its outbox with it;
	 * how many documents changed (0 or 1). With `cause`, the event being handled, its id is
	 * recorded in the same write (`handledEvents`) and the write applies only if it is not there
	 * yet: the document is that event's inbox, and a duplicate delivery changes it once.
	 */
	updateWithEvents(
		collection: string,
		query: Record<string, unknown>,
		update: Record<string, unknown>,
		events: NewEvent[],
		now?: Date,
		cause?: AnyDomainEvent,
	): Promise<number>;
}

export interface OutboxInternals extends EventsCore, OutboxWrites {
	/** The event as stored in an outbox: its envelope, and the trace of the work in hand. */
	outboxEntry(event: NewEvent, now: Date): OutboxEvent;
	outboxCollection(name: string): Collection<StoredDoc & WithOutbox>;
	/** Delivers the events just written to this document (as written) now rather than at the next poll. */
	wakeRelay(collection: string, id: string, events: OutboxEvent[]): void;
	relayOutbox(fullScan?: boolean): Promise<void>;
	noteOutbox(collection: string, id: string, events: OutboxEvent[]): void;
	/** Pulls delivered events from the outboxes of their documents, in one command. */
	pullDelivered(collection: Collection<StoredDoc & WithOutbox>, delivered: { id: string; events: OutboxEvent[] }[]): Promise<void>;
	deliverEvents(events: OutboxEvent[]): Promise<void>;
	relayTicks: number;
	relaying?: Promise<void> | null;
	relayAgain: boolean;
	relayFullScan: boolean;
	/** Documents written with events since the relay last looked, with those events as written, by collection. */
	relayHints: Map<string, Map<string, OutboxEvent[]>>;
}

/** The write path and the relay for the outboxes of the named collections. */
export function OutboxPart(outboxes: string[]): Partial<ServiceSchema> {
	const schema: Partial<ServiceSchema<never, Record<string, never>, OutboxInternals>> = {
		methods: {
			async insertWithEvents<D extends StoredDoc & WithOutbox>(
				this: OutboxInternals,
				collection: string,
				doc: D,
				events: NewEvent[],
				now = new Date(),
			): Promise<D> {
				const outboxes = this.outboxCollection(collection);
				const entries = events.map((event) => this.outboxEntry(event, now));
				if (entries.length > 0) doc.outbox = entries;
				await outboxes.insert(doc);
				if (entries.length > 0) this.wakeRelay(collection, doc._id, entries);
				return doc;
			},

			async updateWithEvents(
				this: OutboxInternals,
				collection: string,
				query: Record<string, unknown>,
				update: Record<string, unknown>,
				events: NewEvent[],
				now: Date = new Date(),
				cause?: AnyDomainEvent,
			): Promise<number> {
				const outboxes = this.outboxCollection(collection);
				// The relay pulls the delivered events from the document by its id.
				if (typeof query._id !== "string")
					throw new Errors.ServiceSchemaError(`${this.name}: a write with events names its document by _id`, { collection });
				const entries = events.map((event) => this.outboxEntry(event, now));
				const change = { ...update };
				let condition = query;
				if (entries.length > 0) change.$push = { ...((update.$push as Record<string, unknown> | undefined) ?? {}), outbox: { $each: entries } };
				if (cause) {
					const handled = `${"handledEvents" satisfies keyof WithHandledEvents}.${cause.id}`;
					change.$set = { ...((update.$set as Record<string, unknown> | undefined) ?? {}), [handled]: 1 };
					condition = { ...query, [handled]: { $exists: false } };
				}
				const updated = await outboxes.update(condition, change);
				if (updated === 1 && entries.length > 0) this.wakeRelay(collection, query._id, entries);
				return updated;
			},

			outboxEntry(this: OutboxInternals, { type, body, aggregateId, correlationId }: NewEvent, now: Date): OutboxEvent {
				// The schema's `publishes` is the service's contract with its consumers: an event
				// outside it is refused before anything is written.
				if (!this.schema.publishes?.includes(type))
					throw new Errors.ServiceSchemaError(`${this.name} publishes ${type}, which its schema's publishes does not declare`, { type });
				const event: OutboxEvent = domainEvent(type, body, { aggregateId, correlationId: correlationId ?? aggregateId }, randomUUID(), now);
				const trace = currentCarrier();
				if (trace) event.trace = trace;
				return event;
			},

			outboxCollection(this: OutboxInternals, name: string): Collection<StoredDoc & WithOutbox> {
				if (!outboxes.includes(name))
					throw new Errors.ServiceSchemaError(`${this.name}: ${name} is not one of the collections it publishes from (${outboxes.join(", ")})`, {
						name,
					});
				return (this.collections as unknown as Record<string, Collection<StoredDoc & WithOutbox>>)[name]!;
			},

			wakeRelay(this: OutboxInternals, collection: string, id: string, events: OutboxEvent[]) {
				this.noteOutbox(collection, id, events);
				// The run serves every kick that comes while it lasts, so it is no one request's work.
				void runDetached(() => this.relayOutbox().catch((err: unknown) => this.logger.warn("Outbox relay failed; will retry", err)));
			},

			/**
			 * Single-flight: a kick during a run makes the run go round once more. A run sends the
			 * events the writers handed it as they wrote them, without reading their documents back;
			 * a full scan for outboxes (what a crash, a failed delivery or another node's relay left
			 * behind) runs at start and every OUTBOX_SCAN_EVERY polls. On MongoDB it reads the
			 * OUTBOX_INDEX; NeDB (in memory) and mongo-java-server, which use no index for it, read
			 * every document.
			 */
			relayOutbox(this: OutboxInternals, fullScan = false): Promise<void> {
				if (fullScan) this.relayFullScan = true;
				if (this.relaying) {
					this.relayAgain = true;
					return this.relaying;
				}
				this.relaying = (async () => {
					do {
						this.relayAgain = false;
						const scan = this.relayFullScan;
						this.relayFullScan = false;
						// Events found by this scan and not yet delivered: the outbox backlog.
						let backlog = 0;
						for (const name of outboxes) {
							const collection = this.outboxCollection(name);
							const hinted = this.relayHints.get(name) ?? new Map<string, OutboxEvent[]>();
							this.relayHints.delete(name);
							try {
								// A scanned document's outbox holds all its events, those handed over included.
								const found = scan ? await collection.find({ query: OUTBOX_PENDING, limit: 200 }) : [];
								const pending = new Map(found.map((doc) => [doc._id, doc.outbox ?? []]));
								const scanned = [...pending.values()].reduce((sum, events) => sum + events.length, 0);
								backlog += scanned;
								for (const [id, events] of hinted) if (!pending.has(id)) pending.set(id, events);
								// One send for every event, then the delivered events pulled from their documents.
								// A failed send pulls nothing: all is sent again, and the inboxes drop the duplicates.
								const delivered = [...pending].filter(([, events]) => events.length > 0).map(([id, events]) => ({ id, events }));
								await this.deliverEvents(delivered.flatMap((doc) => doc.events));
								await this.pullDelivered(collection, delivered);
								backlog -= scanned;
							} catch (err) {
								// Sent again on the next run, before what was written meanwhile; what was delivered
								// and pulled is gone from the outbox by then.
								const newer = this.relayHints.get(name);
								this.relayHints.set(name, hinted);
								for (const [id, events] of newer ?? []) this.noteOutbox(name, id, events);
								if (scan) shopMetrics(this.broker).outboxBacklog(this.name, backlog);
								throw err;
							}
						}
						if (scan) shopMetrics(this.broker).outboxBacklog(this.name, backlog);
					} while (this.relayAgain && !this.stopping);
				})().finally(() => {
					this.relaying = null;
				});
				return this.relaying;
			},

			async pullDelivered(this: OutboxInternals, collection: Collection<StoredDoc & WithOutbox>, delivered: { id: string; events: OutboxEvent[] }[]) {
				if (delivered.length === 0) return;
				// A document given to $pull is a condition on each element (MongoDB and NeDB alike):
				// exactly the events sent leave, whatever was pushed since. Event ids are unique, so
				// one list serves every document. `_id $in` is served by the _id index on each store
				// (mongo-java-server too: 0.6-0.8 ms at 20,000 documents, no scan).
				await collection.update(
					{ _id: { $in: delivered.map((doc) => doc.id) } },
					{
						$pull: { outbox: { id: { $in: delivered.flatMap((doc) => doc.events.map((event) => event.id)) } } },
					},
				);
			},

			noteOutbox(this: OutboxInternals, collection: string, id: string, events: OutboxEvent[]) {
				let hinted = this.relayHints.get(collection);
				if (!hinted) this.relayHints.set(collection, (hinted = new Map<string, OutboxEvent[]>()));
				// Written twice before the relay looked: both writes' events, in the order written.
				hinted.set(id, [...(hinted.get(id) ?? []), ...events]);
			},

			/**
			 * Publishes events, each as a span of the trace it was written in (the carrier it travels
			 * with names that span), in one send on Kafka; on the bus one after another, in order.
			 */
			async deliverEvents(this: OutboxInternals, stored: OutboxEvent[]) {
				if (stored.length === 0) return;
				const spans: Span[] = [];
				const outgoing = stored.map(({ trace, ...event }) => {
					const work = workFromCarrier(trace, orderIdOf(event as AnyDomainEvent));
					if (!this.broker.isTracingEnabled() || !work.traceId) return { event: event as AnyDomainEvent, trace };
					const span = this.broker.tracer.startSpan(`publish '${event.type}'`, {
						type: PUBLISH_SPAN,
						traceID: work.traceId,
						parentID: work.spanId,
						sampled: work.sampled,
						service: this,
						tags: { eventId: event.id, eventType: event.type, orderId: work.orderId, transport: this.kafkaBus ? "kafka" : "bus" },
					});
					spans.push(span);
					return {
						event: event as AnyDomainEvent,
						trace: { ...trace, traceparent: formatTraceparent({ traceId: work.traceId, spanId: spanIdOf(span.id), sampled: span.sampled }) },
					};
				});
				try {
					if (this.kafkaBus) await this.kafkaBus.publish(outgoing);
					else for (const { event, trace } of outgoing) await this.broker.emit(event.type, event, { meta: { $trace: trace } } as never);
				} catch (err) {
					for (const span of spans) span.setError(err as Error);
					throw err;
				} finally {
					for (const span of spans) span.finish();
				}
			},
		},

		created(this: OutboxInternals) {
			this.relaying = null;
			this.relayAgain = false;
			this.relayFullScan = false;
			this.relayTicks = 0;
			this.relayHints = new Map();
		},
	};
	return schema as unknown as Partial<ServiceSchema>;
}
