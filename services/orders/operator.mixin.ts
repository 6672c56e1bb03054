import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import type {
	AdminListOrdersParams,
	ListOrdersResult,
	NotificationsOfOrder,
	OrderRef,
	OrderStats,
	OrderTimeline,
	PaymentOfOrder,
	Reservation,
	ReservationRef,
	ShipmentOfOrder,
	ShopMeta,
} from "../../contracts";
import { NotFoundError } from "../../lib/errors";
import { idRule } from "../../lib/rules";
import { noteOrderId } from "../../lib/trace-context";
import type { StoreService } from "../../mixins/store.mixin";
import { adminListParams, adminOrdersQuery, orderStats, STATS_SAMPLE, statsParams, statsQueries } from "./admin-orders";
import { toOrder, type OrderDoc } from "./order";
import { composeTimeline, readPart } from "./timeline";

/*
 * The orders service's reads for an operator (the admin console, the REPL): every customer's
 * orders by status, age and returns to receive, the overview's figures, and an order's whole
 * story across the services. They only read; the saga and returns write elsewhere.
 */

/**
 * The reads of the other services' parts of an order's timeline: short, and retried once, so a
 * service that is down costs the operator a moment and leaves a gap, not a failed request.
 */
const PART_CALL = { timeout: 3000, retries: 1 };

type OperatorService = Service & StoreService<{ orders: OrderDoc }>;

export function OperatorMixin(): Partial<ServiceSchema> {
	const schema: Partial<ServiceSchema<ServiceSettingSchema, Record<string, never>, StoreService<{ orders: OrderDoc }>>> = {
		actions: {
			/** For an operator: everyone's orders, by status, customer and age (stuck sagas). */
			adminList: {
				auth: "admin",
				params: adminListParams,
				async handler(this: OperatorService, ctx: Context<AdminListOrdersParams, ShopMeta>): Promise<ListOrdersResult> {
					return this.collections.orders.findPage(adminOrdersQuery(ctx.params, new Date()), ["-createdAt", "_id"], ctx.params, toOrder);
				},
			},

			/** For an operator's overview: orders of the last `sinceSeconds` by outcome, and how long their sagas took. */
			stats: {
				auth: "admin",
				params: statsParams,
				async handler(this: OperatorService, ctx: Context<{ sinceSeconds: number }, ShopMeta>): Promise<OrderStats> {
					const now = new Date();
					const queries = statsQueries(ctx.params.sinceSeconds, now);
					const [counts, settled] = await Promise.all([
						Promise.all(queries.byStatus.map(async ([status, query]) => [status, await this.collections.orders.count(query)] as const)),
						this.collections.orders.find({ query: queries.settled, sort: ["-createdAt"], limit: STATS_SAMPLE }),
					]);
					return orderStats({ sinceSeconds: ctx.params.sinceSeconds, now, byStatus: Object.fromEntries(counts) as OrderStats["byStatus"], settled });
				},
			},

			/** For an operator: everything that happened to one order, across the services, oldest first. */
			timeline: {
				auth: "admin",
				params: { $$strict: true, id: idRule },
				async handler(this: OperatorService, ctx: Context<{ id: string }, ShopMeta>): Promise<OrderTimeline> {
					noteOrderId(ctx.params.id);
					const doc = await this.collections.orders.findOne({ _id: ctx.params.id });
					if (!doc) throw new NotFoundError("ORDER_NOT_FOUND", `Order ${ctx.params.id} not found`);
					const orderId = doc._id;
					const [reservation, payment, shipment, notifications] = await Promise.all([
						readPart(() => ctx.call<Reservation, ReservationRef>("catalogue.getReservation", { orderId }, PART_CALL), {
							type: "RESERVATION_NOT_FOUND",
							value: null,
						}),
						readPart(() => ctx.call<PaymentOfOrder, OrderRef>("payments.historyOfOrder", { orderId }, PART_CALL)),
						readPart(() => ctx.call<ShipmentOfOrder, OrderRef>("shipping.ofOrder", { orderId }, PART_CALL)),
						readPart(() => ctx.call<NotificationsOfOrder, OrderRef>("notifications.ofOrder", { orderId }, PART_CALL)),
					]);
					const timeline = composeTimeline({ order: toOrder(doc), reservation, payment, shipment, notifications });
					if (timeline.missing.length > 0) {
						this.logger.warn(`[order ${orderId}] timeline without ${timeline.missing.map((gap) => `${gap.service} (${gap.error})`).join(", ")}`);
					}
					return timeline;
				},
			},
		},
	};
	return schema as Partial<ServiceSchema>;
}
