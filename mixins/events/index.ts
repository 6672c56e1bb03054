import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { Errors } from "moleculer";
import type { AnyDomainEvent, EventName, TraceCarrier } from "../../contracts";
import type { ShopConfig } from "../../lib/env";
import { healthChecksOf } from "../../lib/health";
import { shopMetrics } from "../../lib/metrics";
import { repeat, type Repeating } from "../../lib/timers";
import { StoreMixin, type CollectionSpec, type StoredDoc, type StoreService } from "../store.mixin";
import { AdminActionsPart } from "./admin-actions";
import type { InboxDoc } from "./envelope";
import { InboxPart, type InboxInternals } from "./inbox";
import { KafkaBus } from "./kafka-bus";
import { KafkaConnection, kafkaConnectionOf } from "./kafka-connection";
import { OUTBOX_INDEX, OUTBOX_SCAN_EVERY, OutboxPart, type OutboxInternals, type OutboxWrites } from "./outbox";

/*
 * The one way services publish and consume domain events, in parts a reader can take one at a time:
 *   outbox.ts         the write path (a change and its events in one write) and the relay;
 *   inbox.ts          receiving: de-duplication, handling with retries, dead letters;
 *   admin-actions.ts  dead letters, redrive and replay for an operator;
 *   kafka-bus.ts      the Kafka transport of one service (kafka-dispatch.ts: per-key ordering,
 *                     offset commits; kafka-topics.ts: names and headers), over the node's one
 *                     Kafka client (kafka-connection.ts); kafka-replay.ts reads a topic again
 *                     for one consumer group;
 *   envelope.ts       the event's envelope, the write path's events, the inbox's record.
 * This file composes them with the service's store and runs their life cycle in order.
 *
 * Transport: Moleculer's balanced event bus by default (one instance per consuming service gets
 * each event); Kafka when KAFKA_BROKERS is set, where the log makes delivery durable across
 * restarts: an offset is committed only once the handler succeeded or the event is stored in the
 * inbox for retry, and dead letters also go to the topic's dead-letter topic. Service code is
 * the same.
 *
 * Tracing: an event carries the trace it was published in beside it (outbox, Kafka headers, the
 * bus's meta, the inbox), so the relay's publish and every attempt at handling it are spans of
 * that trace, and a handler's calls (through the `ctx` it is given) and the events it publishes
 * continue it: one order's saga is one trace, whichever nodes and hops it takes.
 *
 * A service declares what it publishes and reacts to in its schema:
 *   publishes: ["order.created", ...],
 *   domainEvents: { "stock.reserved"(event, ctx) { ... } }
 * and writes with `insertWithEvents` / `updateWithEvents`.
 */

// What services and the tests use of the parts; the rest stays inside mixins/events/.
export { alreadyHandled, EventOutOfOrderError, newEvent, type DomainEventHandlers, type InboxDoc, type NewEvent, type WithHandledEvents } from "./envelope";

/** What a service gets from the events mixin: its store with an inbox, and the write path. */
export interface EventsService extends StoreService<{ inbox: InboxDoc }>, OutboxWrites {
	relayOutbox(fullScan?: boolean): Promise<void>;
}

type Internals = OutboxInternals &
	InboxInternals & {
		relayTimer?: Repeating;
		removeKafkaChecks?: () => void;
	};

/** A service's collections with their indexes, and which of them keep an outbox of events to publish. */
export interface EventsStore<C extends Record<string, StoredDoc>> {
	collections: { [K in keyof C]: CollectionSpec };
	outboxes: (keyof C & string)[];
}

/**
 * A service that only reacts to events (notifications): its store and its inbox, with retries,
 * dead letters and replay, and no outbox of its own to relay.
 */
export function ConsumerMixin<C extends Record<string, StoredDoc>>(
	config: ShopConfig,
	collections: { [K in keyof C]: CollectionSpec },
): Partial<ServiceSchema> {
	return EventsMixin<C>(config, { collections, outboxes: [] });
}

/** The store's collections, each outbox collection with the index the relay's scan reads. */
function withOutboxIndex<C extends Record<string, StoredDoc>>(store: EventsStore<C>): Record<string, CollectionSpec> {
	const specs: Record<string, CollectionSpec> = { ...(store.collections as Record<string, CollectionSpec>) };
	for (const name of store.outboxes) specs[name] = { ...specs[name], indexes: [...(specs[name]?.indexes ?? []), OUTBOX_INDEX] };
	return specs;
}

/**
 * A service's store (as StoreMixin) plus its inbox, and the relay for the outboxes of the named
 * collections. One mixin for all, so the store opens before the relay runs and closes after the
 * last in-flight handler has finished. `config` names the store, the transport (KAFKA_BROKERS)
 * and the relay's and inbox's timings.
 */
export function EventsMixin<C extends Record<string, StoredDoc>>(config: ShopConfig, store: EventsStore<C>): Partial<ServiceSchema> {
	const schema: Partial<ServiceSchema<ServiceSettingSchema, Record<string, never>, Internals>> = {
		mixins: [
			StoreMixin<C & { inbox: InboxDoc }>(config, { ...withOutboxIndex(store), inbox: { indexes: [{ field: "status" }] } } as never),
			OutboxPart(store.outboxes),
			InboxPart(config),
			AdminActionsPart(),
		],

		merged(schema: ServiceSchema) {
			if (store.outboxes.length > 0 && !schema.publishes?.length) {
				throw new Errors.ServiceSchemaError(`${schema.name} publishes from ${store.outboxes.join(", ")} but declares no events in publishes`, {
					name: schema.name,
				});
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

		created(this: Internals) {
			this.stopping = false;
		},

		async started(this: Internals) {
			const brokers = config.kafkaBrokers;
			if (brokers) {
				const connection = kafkaConnectionOf(
					this.broker,
					() =>
						new KafkaConnection({
							brokers,
							clientId: `shop-${this.broker.nodeID}`,
							topicPartitions: config.kafkaTopicPartitions,
							log: this.logger,
						}),
				);
				this.kafkaBus = new KafkaBus({
					connection,
					service: this.name,
					sessionTimeoutMs: config.kafkaSessionTimeoutMs,
					handles: Object.keys(this.schema.domainEvents ?? {}) as EventName[],
					handle: (event, trace) => this.handleFromLog(event, trace),
					log: this.logger,
					reportLag: this.broker.isMetricsEnabled()
						? (group, topic, partition, lag) => shopMetrics(this.broker).consumerLag(group, topic, partition, lag)
						: undefined,
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
			this.relayTimer = repeat(config.events.relayIntervalMs, work, onError);
			// Events a crash left in the outboxes or the inbox go out at once.
			work().catch(onError);
		},

		async stopped(this: Internals) {
			// Finish what was taken on before the store closes; anything left is retried after restart.
			const began = Date.now();
			this.stopping = true;
			this.removeKafkaChecks?.();
			this.relayTimer?.stop();
			for (const timer of this.retryTimers) clearTimeout(timer);
			this.retryTimers.clear();
			this.waiting.clear();
			await this.relaying?.catch(() => undefined);
			await this.kafkaBus?.stop();
			await Promise.all([...this.inFlight]);
			// How long a stop takes is what a grace period must allow.
			this.logger.info(`Events stopped in ${Date.now() - began} ms`);
		},
	};
	// The lifecycle hooks above are typed against the mixin's own fields; Moleculer's mixin list
	// only knows the base service type.
	return schema as unknown as Partial<ServiceSchema>;
}
