import { randomUUID } from "node:crypto";
import type { Context, ServiceBroker, ServiceSchema, ServiceSettingSchema, Span } from "moleculer";
import { Errors } from "moleculer";
import type { AnyDomainEvent, EventBody, EventName, EventPayloads, OutboxEvent, ShopMeta, TraceCarrier } from "../contracts";
import { UnprocessableError } from "../lib/errors";
import { healthChecksOf } from "../lib/health";
import { shopMetrics } from "../lib/metrics";
import { repeat, retryDelayMs, type Repeating } from "../lib/timers";
import { currentCarrier, formatTraceparent, runDetached, runInWork, spanIdOf, traceIdOf, workFromCarrier, type WorkContext } from "../lib/trace-context";
import { CONSUME_SPAN, PUBLISH_SPAN } from "../lib/tracing";
import { KafkaBus, topicFor, type ReplayReport } from "./kafka-bus";
import { StoreMixin, type Collection, type CollectionSpec, type StoredDoc, type StoreService } from "./store.mixin";

/*
 * The one way services publish and consume domain events.
 *
 * Publishing (transactional outbox): a service writes the event into the `outbox` array of the
 * document whose change it describes, in the same single-document update, so the change and the
 * event are stored together or not at all. A relay then delivers each event and pulls it from the
 * outbox; a crash in between delivers it again after restart, never loses it.
 *
 * Consuming (idempotent inbox): every received event is first recorded in the consumer's own
 * `inbox` collection under its event id. A duplicate delivery finds the id and changes nothing; a
 * failed handler is retried with backoff from the inbox, and after EVENT_MAX_ATTEMPTS the event
 * stays there as a dead letter with its last error.
 *
 * Transport: Moleculer's balanced event bus by default (one instance per consuming service gets
 * each event); Kafka when KAFKA_BROKERS is set (mixins/kafka-bus.ts), where the log makes delivery
 * durable across restarts: an offset is committed only once the handler succeeded or the event is
 * stored in the inbox for retry, and dead letters also go to the topic's dead-letter topic.
 * Service code is the same.
 *
 * Tracing: an event carries the trace it was published in beside it (outbox, Kafka headers, the
 * bus's meta, the inbox), so the relay's publish and every attempt at handling it are spans of
 * that trace, and a handler's calls (through the `ctx` it is given) and the events it publishes
 * continue it: one order's saga is one trace, whichever nodes and hops it takes.
 *
 * Dead letters stay in the inbox with their last error; the `redriveDeadLetters` action (or
 * `call <service>.redriveDeadLetters` in the REPL) hands them to the handler once more. On Kafka,
 * `replayEvents` reads a topic again for this service alone, from a time or an offset, and hands
 * every event to its handler even if it was handled before: handlers are idempotent, so this
 * rebuilds what a lost or new projection lacks and leaves the rest as it is.
 *
 * A service declares what it publishes and reacts to in its schema:
 *   publishes: ["order.created", ...],
 *   domainEvents: { "stock.reserved"(event, ctx) { ... } }
 */

/** `ctx` belongs to this attempt at handling the event: calls made through it join the event's trace. */
export type DomainEventHandler<K extends EventName, TThis = unknown> = (
	this: TThis,
	event: EventPayloads[K],
	ctx: Context<unknown, ShopMeta>,
) => Promise<void> | void;
export type DomainEventHandlers<TThis = unknown> = { [K in EventName]?: DomainEventHandler<K, TThis> };

export type InboxStatus = "PROCESSING" | "RETRY" | "DONE" | "DEAD";

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

/** How a received event is first recorded: claimed by the receiver, not yet attempted. */
export function inboxEntry(event: AnyDomainEvent, nowMs: number, trace?: TraceCarrier): InboxDoc {
	const doc: InboxDoc = { _id: event.id, type: event.type, status: "PROCESSING", attempts: 0, event, claimedAtMs: nowMs, receivedAt: new Date(nowMs).toISOString() };
	if (trace) doc.trace = trace;
	return doc;
}

/** The order an event is about, for log lines and span tags. */
export function orderIdOf(event: AnyDomainEvent): string | undefined {
	return "orderId" in event ? event.orderId : undefined;
}

/** What an event's saga step may wait for: its order's other events, or its own aggregate's. */
function sagaKeyOf(event: AnyDomainEvent): string {
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

const REPLAY_TIMEOUT_MS = 10 * 60 * 1000;

/** How many relay polls (OUTBOX_RELAY_MS apart) go by between full scans of outboxes and inbox. */
const OUTBOX_SCAN_EVERY = 5;

/** Attempts made at once for an event read from Kafka before it waits in the inbox instead. */
const INLINE_ATTEMPTS = 3;

/**
 * An event that came before the one it depends on is waiting, not failing: that one may be held
 * up as long as a dead replica's Kafka partitions take to move (KAFKA_SESSION_TIMEOUT_MS) and its
 * claims to be taken over (EVENT_CLAIM_TIMEOUT_MS), far longer than EVENT_MAX_ATTEMPTS quick
 * retries last (they once made a stock.reserved a dead letter 9 s after a payments replica died,
 * and its order timed out). So it is looked at again at least this often, and only becomes a
 * dead letter once the saga would have given up on it (SAGA_STEP_TIMEOUT_MS after it arrived).
 */
const OUT_OF_ORDER_RETRY_MAX_MS = 2000;

// The backoff of the inbox's retries, where readers of this mixin look for it.
export { retryDelayMs };

/**
 * The one way a service changes a document that publishes: the change and the events it causes
 * are written in one single-document write (the events into the document's outbox), and the
 * relay is woken to deliver them. A write that changed nothing stores no event.
 */
export interface EventsService extends StoreService<{ inbox: InboxDoc }> {
	/** Inserts `doc` with `events` in its outbox; the document as stored. */
	insertWithEvents<D extends StoredDoc & WithOutbox>(collection: string, doc: D, events: NewEvent[], now?: Date): Promise<D>;
	/** Applies `update` to the document `query` matches, and pushes `events` into its outbox with it; how many documents changed (0 or 1). */
	updateWithEvents(collection: string, query: Record<string, unknown>, update: Record<string, unknown>, events: NewEvent[], now?: Date): Promise<number>;
	relayOutbox(fullScan?: boolean): Promise<void>;
}

interface Internals extends EventsService {
	name: string;
	/** The event as stored in an outbox: its envelope, and the trace of the work in hand. */
	outboxEntry(event: NewEvent, now: Date): OutboxEvent;
	outboxCollection(name: string): Collection<StoredDoc & WithOutbox>;
	/** Delivers the events just written to this document now rather than at the next poll. */
	wakeRelay(collection: string, id: string): void;
	schema: { domainEvents?: DomainEventHandlers; publishes?: EventName[] };
	logger: { info(...a: unknown[]): void; warn(...a: unknown[]): void; error(...a: unknown[]): void; debug(...a: unknown[]): void };
	broker: ServiceBroker;
	kafkaBus?: KafkaBus;
	removeKafkaChecks?: () => void;
	handleFromLog(event: AnyDomainEvent, trace?: TraceCarrier): Promise<void>;
	runHandler(doc: InboxDoc, inline: boolean): Promise<void>;
	runHandlerInWork(doc: InboxDoc, inline: boolean, received: WorkContext): Promise<void>;
	attempt(doc: InboxDoc, attempt: number, handler: DomainEventHandler<EventName>, received: WorkContext): Promise<void>;
	relayTimer?: Repeating;
	relayTicks: number;
	relaying?: Promise<void> | null;
	relayAgain: boolean;
	relayFullScan: boolean;
	/** Documents written with events since the relay last looked, by collection. */
	relayHints: Map<string, Set<string>>;
	noteOutbox(collection: string, id: string): void;
	retryTimers: Set<NodeJS.Timeout>;
	scheduleRetry(id: string, delayMs: number, waitingFor?: string): void;
	/** Retries now the events scheduled as waiting for an event of this saga key. */
	wakeWaiting(key: string): void;
	waiting: Map<string, Map<string, () => void>>;
	retryOne(id: string): Promise<void>;
	inFlight: Set<Promise<void>>;
	stopping: boolean;
	deliverEvents(events: OutboxEvent[]): Promise<void>;
	receiveEvent(event: AnyDomainEvent, trace?: TraceCarrier): Promise<void>;
	recordReceived(event: AnyDomainEvent, trace?: TraceCarrier): Promise<InboxDoc | null>;
	retryDueEvents(): Promise<void>;
	track(work: Promise<void>): void;
}

/**
 * A service's store (as StoreMixin) plus its inbox, and the relay for the outboxes of the named
 * collections. One mixin for both, so the store opens before the relay runs and closes after the
 * last in-flight handler has finished.
 */
export function EventsMixin<C extends Record<string, StoredDoc>>(options: {
	collections: { [K in keyof C]: CollectionSpec };
	outboxes: (keyof C & string)[];
}): Partial<ServiceSchema> {
	const schema: Partial<ServiceSchema<ServiceSettingSchema, Record<string, never>, Internals>> = {
		mixins: [StoreMixin<C & { inbox: InboxDoc }>({ ...options.collections, inbox: { indexes: [{ field: "status" }] } } as never)],

		merged(schema: ServiceSchema) {
			if (options.outboxes.length > 0 && !schema.publishes?.length) {
				throw new Errors.ServiceSchemaError(`${schema.name} publishes from ${options.outboxes.join(", ")} but declares no events in publishes`, { name: schema.name });
			}
			// Each declared handler becomes a balanced Moleculer event subscription in the
			// service's own group, so one instance per consuming service receives each event.
			const events: Record<string, unknown> = { ...(schema.events ?? {}) };
			for (const name of Object.keys(schema.domainEvents ?? {})) {
				events[name] = {
					group: schema.name,
					// The handler's own span, in the event's trace, is made when it runs.
					tracing: false,
					handler(this: Internals, ctx: Context<AnyDomainEvent, { $trace?: TraceCarrier }>) {
						return this.receiveEvent(ctx.params, ctx.meta.$trace);
					},
				};
			}
			schema.events = events as ServiceSchema["events"];
		},

		actions: {
			/** The events this service gave up on, with their last error. */
			deadLetters: {
				visibility: "public",
				params: { $$strict: true },
				async handler(this: Internals) {
					const dead = await this.collections.inbox.find({ query: { status: "DEAD" }, sort: ["receivedAt"], limit: 1000 });
					return dead.map(({ _id, type, attempts, lastError, receivedAt, event }) => ({ id: _id, type, attempts, lastError, receivedAt, correlationId: event.correlationId }));
				},
			},

			/** Hands every dead letter (or the ones named) to its handler once more, e.g. after a fix. */
			redriveDeadLetters: {
				visibility: "public",
				params: { $$strict: true, ids: { type: "array", items: "string", optional: true } },
				async handler(this: Internals, ctx: Context<{ ids?: string[] }>) {
					const query: Record<string, unknown> = { status: "DEAD" };
					if (ctx.params.ids) query._id = { $in: ctx.params.ids };
					const dead = await this.collections.inbox.find({ query, sort: ["receivedAt"], limit: 1000 });
					const results: { id: string; status: InboxStatus; lastError?: string }[] = [];
					for (const doc of dead) {
						const now = Date.now();
						const claimed = await this.collections.inbox.update(
							{ _id: doc._id, status: "DEAD" },
							{ $set: { status: "PROCESSING", attempts: 0, claimedAtMs: now } },
						);
						if (claimed !== 1) continue;
						this.logger.info(`[${doc.event.correlationId}] redriving ${doc.type} ${doc._id}`);
						await this.runHandler({ ...doc, status: "PROCESSING", attempts: 0, claimedAtMs: now }, true);
						const after = await this.collections.inbox.findOne({ _id: doc._id });
						results.push({ id: doc._id, status: after?.status ?? "DEAD", ...(after?.lastError && after.status !== "DONE" ? { lastError: after.lastError } : {}) });
					}
					return results;
				},
			},

			/** Re-reads a Kafka topic for this service's consumer group from a time or an offset. */
			replayEvents: {
				visibility: "public",
				// Reading a long topic again takes longer than an ordinary request may.
				timeout: REPLAY_TIMEOUT_MS + 10_000,
				params: {
					$$strict: true,
					topic: "string",
					fromTime: { type: "date", convert: true, optional: true },
					fromOffset: { type: "number", integer: true, min: 0, convert: true, optional: true },
					partition: { type: "number", integer: true, min: 0, convert: true, optional: true },
				},
				async handler(this: Internals, ctx: Context<{ topic: string; fromTime?: Date; fromOffset?: number; partition?: number }, ShopMeta>): Promise<ReplayReport> {
					const { topic, fromTime, fromOffset, partition } = ctx.params;
					if (!this.kafkaBus) throw new UnprocessableError("REPLAY_NEEDS_KAFKA", "Events can be replayed only from Kafka (KAFKA_BROKERS is not set)");
					const topics = [...new Set(Object.keys(this.schema.domainEvents ?? {}).map(topicFor))];
					if (!topics.includes(topic)) {
						throw new UnprocessableError("TOPIC_NOT_CONSUMED", `${this.name} reads ${topics.join(", ") || "no topic"}, not ${topic}`);
					}
					if ((fromTime === undefined) === (fromOffset === undefined) || (partition !== undefined && fromOffset === undefined)) {
						throw new UnprocessableError("REPLAY_START_REQUIRED", "Give either fromTime, or fromOffset (with an optional partition)");
					}
					const from = fromTime ? { time: fromTime } : { offset: fromOffset!, ...(partition === undefined ? {} : { partition }) };
					this.logger.info(`replaying ${topic} for ${this.name} from ${fromTime ? fromTime.toISOString() : `offset ${fromOffset}`}`);
					const report = await this.kafkaBus.replay(topic, from, async (event) => {
						const handler = this.schema.domainEvents?.[event.type] as DomainEventHandler<EventName> | undefined;
						await handler!.call(this, event, ctx);
					}, REPLAY_TIMEOUT_MS);
					this.logger.info(`replayed ${topic} for ${this.name}: ${report.read} read, ${report.handled} handled, ${report.failed.length} failed`);
					return report;
				},
			},
		},

		methods: {
			async insertWithEvents<D extends StoredDoc & WithOutbox>(this: Internals, collection: string, doc: D, events: NewEvent[], now = new Date()): Promise<D> {
				const outboxes = this.outboxCollection(collection);
				if (events.length > 0) doc.outbox = events.map((event) => this.outboxEntry(event, now));
				await outboxes.insert(doc);
				if (events.length > 0) this.wakeRelay(collection, doc._id);
				return doc;
			},

			async updateWithEvents(this: Internals, collection: string, query: Record<string, unknown>, update: Record<string, unknown>, events: NewEvent[], now = new Date()): Promise<number> {
				const outboxes = this.outboxCollection(collection);
				// The relay reads the document back by its id.
				if (typeof query._id !== "string") throw new Errors.ServiceSchemaError(`${this.name}: a write with events names its document by _id`, { collection });
				if (events.length === 0) return outboxes.update(query, update);
				const push = { ...((update.$push as Record<string, unknown> | undefined) ?? {}), outbox: { $each: events.map((event) => this.outboxEntry(event, now)) } };
				const updated = await outboxes.update(query, { ...update, $push: push });
				if (updated === 1) this.wakeRelay(collection, query._id);
				return updated;
			},

			outboxEntry(this: Internals, { type, body, aggregateId, correlationId }: NewEvent, now: Date): OutboxEvent {
				// The schema's `publishes` is the service's contract with its consumers: an event
				// outside it is refused before anything is written.
				if (!this.schema.publishes?.includes(type)) throw new Errors.ServiceSchemaError(`${this.name} publishes ${type}, which its schema's publishes does not declare`, { type });
				const event: OutboxEvent = domainEvent(type, body, { aggregateId, correlationId: correlationId ?? aggregateId }, randomUUID(), now);
				const trace = currentCarrier();
				if (trace) event.trace = trace;
				return event;
			},

			outboxCollection(this: Internals, name: string): Collection<StoredDoc & WithOutbox> {
				if (!options.outboxes.includes(name)) throw new Errors.ServiceSchemaError(`${this.name}: ${name} is not one of the collections it publishes from (${options.outboxes.join(", ")})`, { name });
				return (this.collections as unknown as Record<string, Collection<StoredDoc & WithOutbox>>)[name]!;
			},

			wakeRelay(this: Internals, collection: string, id: string) {
				this.noteOutbox(collection, id);
				// The run serves every kick that comes while it lasts, so it is no one request's work.
				runDetached(() => this.relayOutbox().catch((err: unknown) => this.logger.warn("Outbox relay failed; will retry", err)));
			},

			/**
			 * Single-flight: a kick during a run makes the run go round once more. A run reads the
			 * documents it was told about by id; a full scan for outboxes (what a crash or a failed
			 * delivery left behind) runs at start and every OUTBOX_SCAN_EVERY polls, since no index
			 * serves its query (`outbox.0` exists), on MongoDB either: it reads the whole collection.
			 */
			relayOutbox(this: Internals, fullScan = false): Promise<void> {
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
						for (const name of options.outboxes) {
							const collection = this.outboxCollection(name);
							const hinted = [...(this.relayHints.get(name) ?? [])];
							this.relayHints.delete(name);
							try {
								const pending = scan
									? await collection.find({ query: { "outbox.0": { $exists: true } }, limit: 200 })
									: (await Promise.all(hinted.map((id) => collection.findOne({ _id: id })))).filter((doc) => doc !== null);
								if (scan) backlog += pending.reduce((sum, doc) => sum + (doc.outbox?.length ?? 0), 0);
								// One send for every event found, then each document's delivered events pulled
								// (a document given to $pull is a condition on each element, on MongoDB and NeDB).
								// A failed send pulls nothing: all is sent again, and the inboxes drop the duplicates.
								const withEvents = pending.filter((doc) => (doc.outbox?.length ?? 0) > 0);
								await this.deliverEvents(withEvents.flatMap((doc) => doc.outbox!));
								await Promise.all(withEvents.map((doc) => collection.update({ _id: doc._id }, { $pull: { outbox: { id: { $in: doc.outbox!.map((event) => event.id) } } } })));
								if (scan) backlog -= withEvents.reduce((sum, doc) => sum + doc.outbox!.length, 0);
							} catch (err) {
								// Looked at again on the next poll; what was delivered is gone from the outbox by then.
								for (const id of hinted) this.noteOutbox(name, id);
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

			noteOutbox(this: Internals, collection: string, id: string) {
				let hinted = this.relayHints.get(collection);
				if (!hinted) this.relayHints.set(collection, (hinted = new Set()));
				hinted.add(id);
			},

			/**
			 * Publishes events, each as a span of the trace it was written in (the carrier it travels
			 * with names that span), in one send on Kafka; on the bus one after another, in order.
			 */
			async deliverEvents(this: Internals, stored: OutboxEvent[]) {
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
					return { event: event as AnyDomainEvent, trace: { ...trace, traceparent: formatTraceparent({ traceId: work.traceId, spanId: spanIdOf(span.id), sampled: span.sampled }) } };
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

			/** Stores a newly received event in the inbox, claimed for handling; null for one seen before. */
			async recordReceived(this: Internals, event: AnyDomainEvent, trace?: TraceCarrier): Promise<InboxDoc | null> {
				const doc = inboxEntry(event, Date.now(), trace);
				return (await this.collections.inbox.insertIfAbsent(doc)) ? doc : null;
			},

			/** Records the event durably, then handles it without holding up the publisher. */
			async receiveEvent(this: Internals, event: AnyDomainEvent, trace?: TraceCarrier) {
				const doc = await this.recordReceived(event, trace);
				if (doc) this.track(this.runHandler(doc, false));
				else this.logger.debug(`[${event.correlationId}] duplicate ${event.type} ${event.id} ignored`);
			},

			/**
			 * Runs the handler for a claimed event: one attempt when queued (the bus), a few quick
			 * ones when inline (read from Kafka, or a redrive). What still fails is scheduled for
			 * retry from the inbox, where the event is already stored, so a Kafka partition is not
			 * held up by one event whose cause needs time to clear (an event from another topic
			 * that it depends on, a service that is down). After EVENT_MAX_ATTEMPTS the event is a
			 * dead letter: DEAD in the inbox, and on Kafka also on the topic's dead-letter topic.
			 */
			async runHandler(this: Internals, doc: InboxDoc, inline: boolean) {
				// Its log lines say which request and order they are about, wherever and whenever it runs.
				const received = workFromCarrier(doc.trace, orderIdOf(doc.event));
				return runInWork(received, () => this.runHandlerInWork(doc, inline, received));
			},

			async runHandlerInWork(this: Internals, doc: InboxDoc, inline: boolean, received: WorkContext) {
				const handler = this.schema.domainEvents?.[doc.type] as DomainEventHandler<EventName> | undefined;
				const inbox = this.collections.inbox;
				for (let attempts = doc.attempts + 1; ; attempts++) {
					try {
						if (!handler) throw new Error(`${this.name} has no handler for ${doc.type}`);
						await this.attempt(doc, attempts, handler, received);
						await inbox.update({ _id: doc._id }, { $set: { status: "DONE", attempts, doneAt: new Date().toISOString() } });
						this.wakeWaiting(sagaKeyOf(doc.event));
						return;
					} catch (err) {
						const message = err instanceof Error ? err.message : String(err);
						const early = err instanceof EventOutOfOrderError;
						const waiting = early && Date.now() - Date.parse(doc.receivedAt) < this.config.orders.sagaStepTimeoutMs;
						const dead = !waiting && attempts >= this.config.events.maxAttempts;
						// An event that came before the one it depends on waits in the inbox rather than
						// in the partition: the other event may be behind it on the same consumer.
						const again = inline && !dead && !this.stopping && !early && attempts - doc.attempts < INLINE_ATTEMPTS;
						const delay = retryDelayMs(attempts, this.config.events.retryBaseMs, waiting ? OUT_OF_ORDER_RETRY_MAX_MS : undefined);
						await inbox.update(
							{ _id: doc._id },
							{ $set: { status: dead ? "DEAD" : again ? "PROCESSING" : "RETRY", attempts, lastError: message, nextAttemptAtMs: Date.now() + delay } },
						);
						const log = dead ? this.logger.error : this.logger.warn;
						log.call(this.logger, `[${doc.event.correlationId}] ${doc.type} ${doc._id} failed (attempt ${attempts})${dead ? ", now a dead letter" : ""}: ${message}`);
						if (dead) {
							shopMetrics(this.broker).deadLetter(this.name, doc.type);
							await this.kafkaBus?.deadLetter(doc.event, message, doc.trace);
						}
						if (!dead && !again && !this.stopping) this.scheduleRetry(doc._id, delay, early ? sagaKeyOf(doc.event) : undefined);
						if (!again) return;
						await new Promise((resolve) => setTimeout(resolve, delay));
					}
				}
			},

			/**
			 * One attempt at handling an event: a span of the event's trace (child of its publish),
			 * with a Moleculer context of its own so that the handler's calls continue the trace.
			 */
			async attempt(this: Internals, doc: InboxDoc, attempt: number, handler: DomainEventHandler<EventName>, received: WorkContext) {
				const ctx = this.broker.ContextFactory.create(this.broker, null as never, {}, {
					...(received.traceId ? { requestID: received.traceId } : {}),
					// The order goes along in meta so that the log lines of the calls the handler makes name it too.
					meta: { ...(received.requestId ? { requestId: received.requestId } : {}), ...(received.orderId ? { orderId: received.orderId } : {}) },
				}) as Context<unknown, ShopMeta>;
				(ctx as { service: unknown }).service = this;
				if (received.spanId) ctx.parentID = received.spanId;
				if (received.sampled !== undefined) ctx.tracing = received.sampled;
				let span: Span | undefined;
				if (this.broker.isTracingEnabled()) {
					span = ctx.startSpan(`handle '${doc.type}'`, {
						id: ctx.id,
						type: CONSUME_SPAN,
						traceID: ctx.requestID!,
						parentID: ctx.parentID ?? undefined,
						sampled: received.sampled,
						service: this,
						tags: { eventId: doc._id, eventType: doc.type, attempt, orderId: received.orderId },
					});
					ctx.tracing = span.sampled;
				}
				const work: WorkContext = { ...received, traceId: traceIdOf(ctx.requestID ?? ctx.id), spanId: spanIdOf(ctx.id), sampled: ctx.tracing !== false };
				try {
					await runInWork(work, () => handler.call(this, doc.event as never, ctx));
				} catch (err) {
					span?.setError(err as Error);
					throw err;
				} finally {
					if (span) ctx.finishSpan(span);
				}
			},

			/**
			 * An event read from Kafka: de-duplicated through the inbox and handled, or stored there
			 * for a retry, before its offset is committed. Rejects only when it cannot even be
			 * recorded (the store is down), so that Kafka delivers it again.
			 */
			async handleFromLog(this: Internals, event: AnyDomainEvent, trace?: TraceCarrier) {
				const doc = await this.recordReceived(event, trace);
				if (doc) return this.runHandler(doc, true);
				const inbox = this.collections.inbox;
				const now = Date.now();
				const existing = await inbox.findOne({ _id: event.id });
				// Done, dead, or waiting for its retry from the inbox: nothing for this delivery to do.
				if (!existing || existing.status !== "PROCESSING") {
					this.logger.debug(`[${event.correlationId}] duplicate ${event.type} ${event.id} ignored`);
					return;
				}
				// Redelivered after the node that held it stopped before finishing: take it up again.
				await inbox.update({ _id: event.id }, { $set: { status: "PROCESSING", claimedAtMs: now } });
				await this.runHandler({ ...existing, status: "PROCESSING", claimedAtMs: now }, true);
			},

			/**
			 * This node retries what it scheduled itself when it is due, without polling for it; an
			 * event that came too early (`waitingFor` names its order) is retried as soon as this node
			 * has handled another event of that order, which is most often the one it waits for.
			 */
			scheduleRetry(this: Internals, id: string, delayMs: number, waitingFor?: string) {
				const retry = () => {
					clearTimeout(timer);
					this.retryTimers.delete(timer);
					const waiting = waitingFor ? this.waiting.get(waitingFor) : undefined;
					// An emptied entry goes too: one per order would pile up for the node's life.
					if (waiting?.delete(id) && waiting.size === 0) this.waiting.delete(waitingFor!);
					this.retryOne(id).catch((err: unknown) => this.logger.warn(`Retry of event ${id} failed; the inbox scan will pick it up`, err));
				};
				const timer = setTimeout(retry, delayMs);
				this.retryTimers.add(timer);
				if (waitingFor) {
					if (!this.waiting.has(waitingFor)) this.waiting.set(waitingFor, new Map());
					this.waiting.get(waitingFor)!.set(id, retry);
				}
			},

			wakeWaiting(this: Internals, key: string) {
				const waiting = this.waiting.get(key);
				if (!waiting) return;
				this.waiting.delete(key);
				for (const retry of waiting.values()) retry();
			},

			async retryOne(this: Internals, id: string) {
				const doc = await this.collections.inbox.findOne({ _id: id });
				if (doc?.status !== "RETRY") return;
				const now = Date.now();
				const claimed = await this.collections.inbox.update({ _id: id, status: "RETRY", claimedAtMs: doc.claimedAtMs }, { $set: { status: "PROCESSING", claimedAtMs: now } });
				if (claimed === 1) this.track(this.runHandler({ ...doc, status: "PROCESSING", claimedAtMs: now }, false));
			},

			/**
			 * Picks up events due for another attempt that no timer of this node holds (their node
			 * stopped or died), and those whose handler died holding them.
			 */
			async retryDueEvents(this: Internals) {
				const inbox = this.collections.inbox;
				const now = Date.now();
				const due = await inbox.find({
					query: {
						$or: [
							{ status: "RETRY", nextAttemptAtMs: { $lte: now } },
							{ status: "PROCESSING", claimedAtMs: { $lte: now - this.config.events.claimTimeoutMs } },
						],
					},
					limit: 100,
				});
				for (const doc of due) {
					// Compare-and-set, so that of several replicas only one takes the event.
					const claimed = await inbox.update(
						{ _id: doc._id, status: doc.status, claimedAtMs: doc.claimedAtMs },
						{ $set: { status: "PROCESSING", claimedAtMs: now } },
					);
					if (claimed === 1) this.track(this.runHandler({ ...doc, status: "PROCESSING", claimedAtMs: now }, false));
				}
			},

			track(this: Internals, work: Promise<void>) {
				const tracked = work.catch((err: unknown) => this.logger.error("Event handling failed", err)).finally(() => this.inFlight.delete(tracked));
				this.inFlight.add(tracked);
			},
		},

		created(this: Internals) {
			this.relaying = null;
			this.relayAgain = false;
			this.relayFullScan = false;
			this.relayTicks = 0;
			this.relayHints = new Map();
			this.retryTimers = new Set();
			this.waiting = new Map();
			this.inFlight = new Set();
			this.stopping = false;
		},

		async started(this: Internals) {
			const brokers = this.config.kafkaBrokers;
			if (brokers) {
				this.kafkaBus = new KafkaBus({
					brokers,
					service: this.name,
					nodeID: this.broker.nodeID,
					sessionTimeoutMs: this.config.kafkaSessionTimeoutMs,
					topicPartitions: this.config.kafkaTopicPartitions,
					handles: Object.keys(this.schema.domainEvents ?? {}) as EventName[],
					handle: (event, trace) => this.handleFromLog(event, trace),
					log: this.logger,
					reportLag: this.broker.isMetricsEnabled() ? (group, topic, partition, lag) => shopMetrics(this.broker).consumerLag(group, topic, partition, lag) : undefined,
				});
				await this.kafkaBus.start();
				const bus = this.kafkaBus;
				const checks = healthChecksOf(this.broker);
				const removers = [
					checks.register(`kafka:${this.name}`, () => bus.checkCluster()),
					checks.register(`kafka-consumer:${this.name}`, () => bus.checkConsumer(), "liveness"),
				];
				this.removeKafkaChecks = () => removers.forEach((remove) => remove());
			}
			shopMetrics(this.broker).noDeadLettersYet(this.name, Object.keys(this.schema.domainEvents ?? {}));
			// Every poll relays what kicks left over; every OUTBOX_SCAN_EVERY-th also scans outboxes and inbox.
			const work = () => {
				const scan = this.relayTicks++ % OUTBOX_SCAN_EVERY === 0;
				return Promise.all([this.relayOutbox(scan), scan ? this.retryDueEvents() : undefined]);
			};
			const onError = (err: unknown) => this.logger.warn("Event relay or retry failed; will try again", err);
			this.relayTimer = repeat(this.config.events.relayIntervalMs, work, onError);
			// Events a crash left in the outboxes or the inbox go out at once.
			work().catch(onError);
		},

		async stopped(this: Internals) {
			// Finish what was taken on before the store closes; anything left is retried after restart.
			this.stopping = true;
			this.removeKafkaChecks?.();
			this.relayTimer?.stop();
			for (const timer of this.retryTimers) clearTimeout(timer);
			this.retryTimers.clear();
			this.waiting.clear();
			await this.relaying?.catch(() => undefined);
			await this.kafkaBus?.stop();
			await Promise.all([...this.inFlight]);
		},
	};
	// The lifecycle hooks above are typed against the mixin's own fields; Moleculer's mixin list
	// only knows the base service type.
	return schema as unknown as Partial<ServiceSchema>;
}
