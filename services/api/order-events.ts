import type { IncomingMessage } from "node:http";
import type { PassThrough } from "node:stream";
import type { Context, Service } from "moleculer";
import type { Order, OrderProgress, ShopMeta } from "../../contracts";
import type { ShopConfig } from "../../lib/env";
import { BadRequestError, TooManyRequestsError } from "../../lib/errors";
import { idRule } from "../../lib/rules";
import { OrderStreams } from "./order-streams";

/*
 * GET /api/orders/:id/events: the order's status as Server-Sent Events. Whose order it is stays
 * the orders service's rule (orders.get answers 404 for another customer's); the gateway holds
 * the open streams and feeds them from the orders service's broadcast notices (order-streams.ts).
 */

/** The action that serves the stream (its route is in routes.ts). */
export const ORDER_EVENTS_ACTION = "api.orderEvents";

type LiveService = Service & { orderStreams: OrderStreams };

/** The Last-Event-ID a reconnecting EventSource sends: the id of the last event it received. */
export function lastEventIdOf(req: IncomingMessage): number | undefined {
	const header = req.headers["last-event-id"];
	if (header === undefined || header === "") return undefined;
	if (typeof header !== "string" || !/^\d{1,9}$/.test(header)) {
		throw new BadRequestError("LAST_EVENT_ID_INVALID", "Last-Event-ID must be the id of an event this stream sent (a whole number)");
	}
	return Number(header);
}

/** The action that opens a stream: whose order it is, asked of the orders service; the stream, from this node's hub. */
export function orderEventsAction(config: ShopConfig) {
	return {
		auth: "customer" as const,
		params: { $$strict: true, id: idRule },
		async handler(this: LiveService, ctx: Context<{ id: string }, ShopMeta>): Promise<PassThrough | null> {
			const viewer = ctx.meta.user!;
			const streams = this.orderStreams;
			if (!streams.mayOpen(viewer.id)) {
				throw new TooManyRequestsError(
					"TOO_MANY_STREAMS",
					`At most ${config.http.sseMaxStreamsPerCustomer} live order streams at once; close one to open another`,
					{ limit: config.http.sseMaxStreamsPerCustomer },
				);
			}
			const order = await ctx.call<Order, { id: string }>("orders.get", { id: ctx.params.id });
			const stream = streams.open({ orderId: order.id, customerId: viewer.id, history: order.history, lastEventId: ctx.meta.lastEventId });
			if (!stream) {
				// The client has seen the final status: 204 tells an EventSource to stop reconnecting.
				ctx.meta.$statusCode = 204;
				return null;
			}
			ctx.meta.$responseType = "text/event-stream; charset=utf-8";
			ctx.meta.$responseHeaders = { "Cache-Control": "no-cache, no-store", "X-Accel-Buffering": "no" };
			return stream;
		},
	};
}

/** This node's hub of open streams, fed by the notices it hears (see the gateway's `events`). */
export function createOrderStreams(service: Service, config: ShopConfig): OrderStreams {
	return new OrderStreams({
		maxPerCustomer: config.http.sseMaxStreamsPerCustomer,
		heartbeatMs: config.http.sseHeartbeatMs,
		progress: (ids) => service.broker.call<OrderProgress[], { ids: string[] }>("orders.progress", { ids }),
		log: service.logger,
	});
}
