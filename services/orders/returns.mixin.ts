import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import type { AnyDomainEvent, Order, ReceiveReturnParams, RequestReturnParams, ShopMeta } from "../../contracts";
import { CONFLICT, compareAndSet } from "../../lib/compare-and-set";
import { ConflictError, NotFoundError, UnprocessableError } from "../../lib/errors";
import { idRule, linesRule } from "../../lib/rules";
import { claimOf, requestFingerprint } from "../../lib/idempotency";
import { noteOrderId } from "../../lib/trace-context";
import { alreadyHandled, type EventsService, type WithHandledEvents } from "../../mixins/events";
import type { StoreService } from "../../mixins/store.mixin";
import { MAX_LINE_QTY, toOrder, type OrderDoc } from "./order";
import { decideReturn, type ReturnCommand, type ReturnRefusal } from "./returns";

/*
 * The orders service's returns (see returns.ts for the rules): a customer asks to send back lines
 * of a delivered order, the admin marks the parcel received (return.received: catalogue puts the
 * stock back, payments refunds), and the refund closes the return.
 */

interface Methods {
	/** orders.service.ts: the caller's own order (any, for an admin), or 404. */
	ownOrder(ctx: Context<{ id: string }, ShopMeta>): Promise<OrderDoc>;
	applyReturn(orderId: string, command: ReturnCommand, cause?: AnyDomainEvent): Promise<Applied | null>;
}

/** The order after a return's step, or as it was when the step was a request made before under its key. */
interface Applied {
	doc: OrderDoc;
	replayed: boolean;
}
type Vars = EventsService & StoreService<{ orders: OrderDoc }>;
type ReturnsService = Service & Vars & Methods;

/** r1, r2…: the ids returns.ts gives (a string pattern: params travel to the gateway over the transporter as JSON). */
export const RETURN_ID_RULE = { type: "string", pattern: "^r[1-9][0-9]{0,3}$" } as const;

function refusal(decision: ReturnRefusal): Error {
	switch (decision.status) {
		case 404:
			return new NotFoundError(decision.type, decision.message);
		case 409:
			return new ConflictError(decision.type, decision.message);
		case 422:
			return new UnprocessableError(decision.type, decision.message, decision.data);
	}
}

export function ReturnsMixin(): Partial<ServiceSchema> {
	const schema: Partial<ServiceSchema<ServiceSettingSchema, Methods, Vars>> = {
		actions: {
			requestReturn: {
				auth: "customer",
				// `id` a copy: linesRule holds idRule too, and Moleculer sends a node's action params to the
				// others (the gateway's OpenAPI document) dropping any object met twice.
				params: { $$strict: true, id: { ...idRule }, items: linesRule(MAX_LINE_QTY) },
				async handler(this: ReturnsService, ctx: Context<RequestReturnParams, ShopMeta>): Promise<Order> {
					const order = await this.ownOrder(ctx);
					// With an Idempotency-Key, a retry (a double click, a lost answer) asks for one return, not two.
					const claim = claimOf(ctx.meta, "orders.requestReturn", ctx.params);
					const keyed = claim ? { keyId: requestFingerprint("return-key", claim.key), fingerprint: claim.fingerprint } : undefined;
					const { doc, replayed } = (await this.applyReturn(order._id, { type: "REQUEST", items: ctx.params.items, claim: keyed }))!;
					ctx.meta.$statusCode = 201;
					ctx.meta.$location = `/api/orders/${order._id}`;
					if (replayed) ctx.meta.$responseHeaders = { ...ctx.meta.$responseHeaders, "Idempotent-Replayed": "true" };
					return toOrder(doc);
				},
			},

			receiveReturn: {
				auth: "admin",
				params: { $$strict: true, id: idRule, returnId: RETURN_ID_RULE },
				async handler(this: ReturnsService, ctx: Context<ReceiveReturnParams, ShopMeta>): Promise<Order> {
					const order = await this.ownOrder(ctx);
					return toOrder((await this.applyReturn(order._id, { type: "RECEIVE", returnId: ctx.params.returnId }))!.doc);
				},
			},
		},

		methods: {
			/**
			 * Decides on the order as read and writes under the decision's compare-and-set, with its
			 * events; a concurrent change makes it read and decide again. A refusal is thrown; null
			 * when there was nothing to do.
			 */
			async applyReturn(this: ReturnsService, orderId: string, command: ReturnCommand, cause?: AnyDomainEvent): Promise<Applied | null> {
				noteOrderId(orderId);
				return compareAndSet(
					async () => {
						const order: (OrderDoc & WithHandledEvents) | null = await this.collections.orders.findOne({ _id: orderId });
						if (!order) throw new NotFoundError("ORDER_NOT_FOUND", `Order ${orderId} not found`);
						if (alreadyHandled(order, cause)) return null;
						const now = new Date();
						const decision = decideReturn(order, command, now);
						if (decision.kind === "refuse") throw refusal(decision);
						if (decision.kind === "ignore") return null;
						if (decision.kind === "replay") return { doc: order, replayed: true };
						const written = await this.updateWithEvents(
							"orders",
							{ _id: orderId, ...decision.condition },
							{ $set: decision.set, ...(decision.inc ? { $inc: decision.inc } : {}) },
							decision.events,
							now,
							cause,
						);
						if (written !== 1) return CONFLICT;
						this.logger.info(
							`[order ${orderId}] return ${decision.returned.id} ${decision.returned.status} (${decision.returned.refundCents} cents)`,
						);
						const moved: OrderDoc = { ...order, returns: { ...order.returns, [decision.returned.id]: decision.returned } };
						for (const [field, value] of Object.entries(decision.set)) if (!field.includes(".")) moved[field] = value;
						for (const [field, by] of Object.entries(decision.inc ?? {})) moved[field] = (moved[field] as number) + by;
						return { doc: moved, replayed: false };
					},
					() => {
						throw new ConflictError("RETURN_CHANGED_CONCURRENTLY", `Order ${orderId}'s returns kept changing; try again`);
					},
				);
			},
		},
	};
	return schema as Partial<ServiceSchema>;
}
