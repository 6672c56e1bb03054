import type { ServiceBroker } from "moleculer";
import type { EventName } from "../../contracts";
import type { StoreService } from "../store.mixin";
import type { DomainEventHandlers, InboxDoc } from "./envelope";
import type { KafkaBus } from "./kafka-bus";

/** What every part of the events mixin reads of the service it is mixed into, and shares. */
export interface EventsCore extends StoreService<{ inbox: InboxDoc }> {
	name: string;
	schema: {
		domainEvents?: DomainEventHandlers;
		publishes?: EventName[];
		/**
		 * Events whose handler keeps the inbox's record in the document it writes (the write path's
		 * `cause`, or the document's own key), so that a duplicate is found by the read it makes
		 * anyway: they get an inbox document only when they must wait for a retry.
		 */
		handledInAggregate?: EventName[];
	};
	logger: { info(...a: unknown[]): void; warn(...a: unknown[]): void; error(...a: unknown[]): void; debug(...a: unknown[]): void };
	broker: ServiceBroker;
	/** The Kafka transport, when KAFKA_BROKERS is set; Moleculer's event bus otherwise. */
	kafkaBus?: KafkaBus;
	/** Set once the service begins to stop: nothing new is begun, what was begun finishes. */
	stopping: boolean;
}
