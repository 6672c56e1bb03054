import "moleculer";
import type { Role } from "../contracts/common";
import type { EventName } from "../contracts/events";
import type { DomainEventHandlers } from "../mixins/events";

declare module "moleculer/src/service" {
	interface ActionSchema<TThis> {
		// Which role an action needs is declared on the action itself and enforced in one place,
		// the gateway's authorize hook; no declaration means the action is public.
		auth?: Role;
		/** Overrides the broker's requestTimeout for this action; Moleculer's timeout middleware honours it. */
		timeout?: number;
	}

	interface ServiceSchema<TSettings, TMethods, TVars, TThis> {
		/** Called with the schema after mixins are merged, before the service is created. */
		merged?: (schema: ServiceSchema) => void;
		/** The domain events this service writes to its outbox: the events mixin refuses any other, and a service with outboxes must declare them. */
		publishes?: EventName[];
		/** Domain event name → handler, delivered through the event mixin's idempotent inbox. */
		domainEvents?: DomainEventHandlers<TThis>;
		/**
		 * Domain events whose handler is idempotent through the document it writes (it records the
		 * event there, or the document's key makes a second write a no-op): no separate inbox
		 * document unless the event must wait for a retry (mixins/events/inbox.ts).
		 */
		handledInAggregate?: EventName[];
	}
}
