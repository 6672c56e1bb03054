import type { Context, ServiceSchema, Span } from "moleculer";
import type { ShopConfig } from "../../lib/env";
import type { AnyDomainEvent, EventName, ShopMeta, TraceCarrier } from "../../contracts";
import { shopMetrics } from "../../lib/metrics";
import { retryDelayMs } from "../../lib/timers";
import { runInWork, spanIdOf, traceIdOf, workFromCarrier, type WorkContext } from "../../lib/trace-context";
import { CONSUME_SPAN } from "../../lib/tracing";
import type { EventsCore } from "./core";
import { EventOutOfOrderError, inboxEntry, orderIdOf, sagaKeyOf, type DomainEventHandler, type InboxDoc } from "./envelope";

/*
 * Consuming (idempotent inbox): every received event is first recorded in the consumer's own
 * `inbox` collection under its event id. A duplicate delivery finds the id and changes nothing; a
 * failed handler is retried with backoff from the inbox, and after EVENT_MAX_ATTEMPTS the event
 * stays there as a dead letter with its last error (on Kafka also on the topic's dead-letter topic).
 */

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

export interface InboxInternals extends EventsCore {
	recordReceived(event: AnyDomainEvent, trace?: TraceCarrier): Promise<InboxDoc | null>;
	receiveEvent(event: AnyDomainEvent, trace?: TraceCarrier): Promise<void>;
	handleFromLog(event: AnyDomainEvent, trace?: TraceCarrier): Promise<void>;
	/** Whether this service's handler of `type` keeps the inbox's record in its own document. */
	handledInAggregate(type: EventName): boolean;
	/** `stored`: the event has its inbox document; otherwise it gets one only if it must wait for a retry. */
	runHandler(doc: InboxDoc, inline: boolean, stored?: boolean): Promise<void>;
	runHandlerInWork(doc: InboxDoc, inline: boolean, received: WorkContext, stored: boolean): Promise<void>;
	attempt(doc: InboxDoc, attempt: number, handler: DomainEventHandler<EventName>, received: WorkContext): Promise<void>;
	scheduleRetry(id: string, delayMs: number, waitingFor?: string): void;
	/** Retries now the events scheduled as waiting for an event of this saga key. */
	wakeWaiting(key: string): void;
	retryOne(id: string): Promise<void>;
	retryDueEvents(): Promise<void>;
	track(work: Promise<void>): void;
	retryTimers: Set<NodeJS.Timeout>;
	waiting: Map<string, Map<string, () => void>>;
	inFlight: Set<Promise<void>>;
}

/**
 * The inbox: receiving, handling with retries, dead letters; how often and how long by `config`'s
 * events settings, and an early event waits as long as a saga step (SAGA_STEP_TIMEOUT_MS).
 */
export function InboxPart(config: ShopConfig): Partial<ServiceSchema> {
	const schema: Partial<ServiceSchema<never, Record<string, never>, InboxInternals>> = {
		methods: {
			/** Stores a newly received event in the inbox, claimed for handling; null for one seen before. */
			async recordReceived(this: InboxInternals, event: AnyDomainEvent, trace?: TraceCarrier): Promise<InboxDoc | null> {
				const doc = inboxEntry(event, Date.now(), trace);
				return (await this.collections.inbox.insertIfAbsent(doc)) ? doc : null;
			},

			/**
			 * Records the event durably, then handles it without holding up the publisher. Every event
			 * is recorded here, those handled in their aggregate too: the bus forgets an event once
			 * emitted, and handling it before the emit returns would make the publisher's relay wait
			 * for the slowest handler (a slow card's charge).
			 */
			async receiveEvent(this: InboxInternals, event: AnyDomainEvent, trace?: TraceCarrier) {
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
			async runHandler(this: InboxInternals, doc: InboxDoc, inline: boolean, stored: boolean = true) {
				// Its log lines say which request and order they are about, wherever and whenever it runs.
				const received = workFromCarrier(doc.trace, orderIdOf(doc.event));
				return runInWork(received, () => this.runHandlerInWork(doc, inline, received, stored));
			},

			handledInAggregate(this: InboxInternals, type: EventName): boolean {
				return this.schema.handledInAggregate?.includes(type) ?? false;
			},

			async runHandlerInWork(this: InboxInternals, doc: InboxDoc, inline: boolean, received: WorkContext, stored: boolean) {
				const handler = this.schema.domainEvents?.[doc.type] as DomainEventHandler<EventName> | undefined;
				const inbox = this.collections.inbox;
				for (let attempts = doc.attempts + 1; ; attempts++) {
					try {
						if (!handler) throw new Error(`${this.name} has no handler for ${doc.type}`);
						await this.attempt(doc, attempts, handler, received);
						// An event handled in its aggregate is recorded there, which recognises a duplicate
						// from then on: its inbox document goes, so the inbox does not grow with every event.
						if (stored && this.handledInAggregate(doc.type)) await inbox.remove({ _id: doc._id });
						else if (stored) await inbox.update({ _id: doc._id }, { $set: { status: "DONE", attempts, doneAt: new Date().toISOString() } });
						this.wakeWaiting(sagaKeyOf(doc.event));
						return;
					} catch (err) {
						const message = err instanceof Error ? err.message : String(err);
						const early = err instanceof EventOutOfOrderError;
						const waiting = early && Date.now() - Date.parse(doc.receivedAt) < config.orders.sagaStepTimeoutMs;
						const dead = !waiting && attempts >= config.events.maxAttempts;
						// An event that came before the one it depends on waits in the inbox rather than
						// in the partition: the other event may be behind it on the same consumer.
						const again = inline && !dead && !this.stopping && !early && attempts - doc.attempts < INLINE_ATTEMPTS;
						const delay = retryDelayMs(attempts, config.events.retryBaseMs, waiting ? OUT_OF_ORDER_RETRY_MAX_MS : undefined);
						const outcome = {
							status: dead ? "DEAD" : again ? "PROCESSING" : "RETRY",
							attempts,
							lastError: message,
							nextAttemptAtMs: Date.now() + delay,
						} as const;
						if (stored) await inbox.update({ _id: doc._id }, { $set: outcome });
						else if (!again) {
							// Not handled at once: from here on it is retried (or kept as a dead letter) from the inbox.
							// An inbox document already there is an earlier delivery's, whose retry goes on.
							if (!(await inbox.insertIfAbsent({ ...doc, ...outcome }))) return;
							stored = true;
						}
						const log = dead ? this.logger.error : this.logger.warn;
						log.call(
							this.logger,
							`[${doc.event.correlationId}] ${doc.type} ${doc._id} failed (attempt ${attempts})${dead ? ", now a dead letter" : ""}: ${message}`,
						);
						if (!dead) shopMetrics(this.broker).inboxRetry(this.name, doc.type, early ? "out_of_order" : "failed");
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
			async attempt(this: InboxInternals, doc: InboxDoc, attempt: number, handler: DomainEventHandler<EventName>, received: WorkContext) {
				const ctx = this.broker.ContextFactory.create(
					this.broker,
					null as never,
					{},
					{
						...(received.traceId ? { requestID: received.traceId } : {}),
						// The order goes along in meta so that the log lines of the calls the handler makes name it too.
						meta: { ...(received.requestId ? { requestId: received.requestId } : {}), ...(received.orderId ? { orderId: received.orderId } : {}) },
					},
				) as Context<unknown, ShopMeta>;
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
				const work: WorkContext = {
					...received,
					traceId: traceIdOf(ctx.requestID ?? ctx.id),
					spanId: spanIdOf(ctx.id),
					sampled: ctx.tracing !== false,
				};
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
			async handleFromLog(this: InboxInternals, event: AnyDomainEvent, trace?: TraceCarrier) {
				// Kafka keeps the event until its offset is committed, after this: one whose handler
				// records it in its own document needs no inbox document unless it must wait for a retry.
				if (this.handledInAggregate(event.type)) return this.runHandler(inboxEntry(event, Date.now(), trace), true, false);
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
			scheduleRetry(this: InboxInternals, id: string, delayMs: number, waitingFor?: string) {
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

			wakeWaiting(this: InboxInternals, key: string) {
				const waiting = this.waiting.get(key);
				if (!waiting) return;
				this.waiting.delete(key);
				for (const retry of waiting.values()) retry();
			},

			async retryOne(this: InboxInternals, id: string) {
				const doc = await this.collections.inbox.findOne({ _id: id });
				if (doc?.status !== "RETRY") return;
				const now = Date.now();
				const claimed = await this.collections.inbox.update(
					{ _id: id, status: "RETRY", claimedAtMs: doc.claimedAtMs },
					{ $set: { status: "PROCESSING", claimedAtMs: now } },
				);
				if (claimed === 1) this.track(this.runHandler({ ...doc, status: "PROCESSING", claimedAtMs: now }, false));
			},

			/**
			 * Picks up events due for another attempt that no timer of this node holds (their node
			 * stopped or died), and those whose handler died holding them.
			 */
			async retryDueEvents(this: InboxInternals) {
				const inbox = this.collections.inbox;
				const now = Date.now();
				const due = await inbox.find({
					query: {
						$or: [
							{ status: "RETRY", nextAttemptAtMs: { $lte: now } },
							{ status: "PROCESSING", claimedAtMs: { $lte: now - config.events.claimTimeoutMs } },
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

			track(this: InboxInternals, work: Promise<void>) {
				const tracked = work.catch((err: unknown) => this.logger.error("Event handling failed", err)).finally(() => this.inFlight.delete(tracked));
				this.inFlight.add(tracked);
			},
		},

		created(this: InboxInternals) {
			this.retryTimers = new Set();
			this.waiting = new Map();
			this.inFlight = new Set();
		},
	};
	return schema as unknown as Partial<ServiceSchema>;
}
