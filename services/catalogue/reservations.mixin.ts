import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import type { Reservation, ReservationRef, ReserveStockParams, ShopMeta } from "../../contracts";
import type { ShopConfig } from "../../lib/env";
import { ConflictError } from "../../lib/errors";
import { shopMetrics } from "../../lib/metrics";
import { linesRule } from "../../lib/rules";
import type { EventsService } from "../../mixins/events";
import type { StoreService } from "../../mixins/store.mixin";
import type { ProductDoc } from "./product";
import { Reservations } from "./reservations";
import { ORDER_ID_PATTERN, type ReservationDoc } from "./stock";

/*
 * The catalogue service's stock reservations (the workflow in reservations.ts, its rules in
 * stock.ts): the workflow wired to the service's store and write path, the events of the saga
 * that move it, and the actions other services call. catalogue.service.ts runs its sweep.
 */

interface Methods {
	/** catalogue.service.ts: runs writes that change product reads, and drops the cached reads after. */
	changingProducts<R>(productIds: string[], writes: () => Promise<R>, categoriesChanged?: boolean): Promise<R>;
}

type Vars = EventsService & StoreService<{ products: ProductDoc; reservations: ReservationDoc }> & { reservations: Reservations };
type ReservationsService = Service & Vars & Methods;
type Ctx<P> = Context<P, ShopMeta>;

// Patterns are strings: a RegExp does not survive the transporter (the registry is sent as JSON).
const orderIdRule = { type: "string", pattern: ORDER_ID_PATTERN.source } as const;
/** What orders ask to hold: their lines, each within an order's bounds and more. */
const stockLines = linesRule(10_000);

/** A public action that hands one order's id to a step of the reservation workflow (reservations.ts) and answers the reservation. */
function reservationAction(step: "release" | "commit" | "get") {
	return {
		visibility: "public",
		params: { $$strict: true, orderId: orderIdRule },
		handler(this: ReservationsService, ctx: Ctx<ReservationRef>): Promise<Reservation> {
			return this.reservations[step](ctx.params.orderId);
		},
	} as const;
}

/** `config` gives the reservations' time to live and the lease of a node taking an order's holds. */
export function ReservationsMixin(config: ShopConfig): Partial<ServiceSchema> {
	const schema: Partial<ServiceSchema<ServiceSettingSchema, Methods, Vars>> = {
		// The reservation workflow is idempotent per order (reservations.ts): a duplicate finds the
		// reservation already made, moved or settled, and changes nothing.
		handledInAggregate: ["order.created", "payment.settled", "payment.failed", "order.cancelled"],

		domainEvents: {
			async "order.created"(event) {
				await this.reservations.reserve(
					event.orderId,
					event.items.map(({ productId, qty }) => ({ productId, qty })),
				);
			},
			async "payment.settled"(event) {
				try {
					await this.reservations.commit(event.orderId);
				} catch (err) {
					// The order was cancelled (or its hold expired) while the payment went through;
					// the stock is already back on sale and payments refunds the charge.
					if (!(err instanceof ConflictError)) throw err;
					this.logger.warn(`[order ${event.orderId}] payment settled but the stock is no longer held: ${err.message}`);
				}
			},
			async "payment.failed"(event) {
				await this.reservations.release(event.orderId, "PAYMENT_FAILED");
			},
			async "order.cancelled"(event) {
				await this.reservations.cancel(event.orderId);
			},
			async "return.received"(event) {
				await this.reservations.restockReturn(event.orderId, event.returnId, event.items);
			},
		},

		actions: {
			/** All-or-nothing; a repeated call for the same order returns the first call's outcome. */
			reserve: {
				visibility: "public",
				params: { $$strict: true, orderId: orderIdRule, items: stockLines },
				handler(this: ReservationsService, ctx: Ctx<ReserveStockParams>): Promise<Reservation> {
					return this.reservations.reserve(ctx.params.orderId, ctx.params.items);
				},
			},

			release: reservationAction("release"),
			commit: reservationAction("commit"),
			getReservation: reservationAction("get"),
		},

		created(this: ReservationsService) {
			// eslint-disable-next-line @typescript-eslint/no-this-alias -- the host reads the collections, which exist only once started
			const service = this;
			this.reservations = new Reservations({
				get reservations() {
					return service.collections.reservations;
				},
				get products() {
					return service.collections.products;
				},
				updateWithEvents: (collection, query, update, events, now) => service.updateWithEvents(collection, query, update, events, now),
				changingProducts: (productIds, writes) => service.changingProducts(productIds, writes),
				reservationTtlMs: config.catalogue.reservationTtlMs,
				// As long as a node has an event's handling to itself before another may take it over.
				holdLeaseMs: config.events.claimTimeoutMs,
				logger: this.logger,
				onExpired: () => shopMetrics(this.broker).reservationExpired(),
			});
		},
	};
	return schema as Partial<ServiceSchema>;
}
