import type { OrderLine, OrderReturn, ReturnLine } from "../../contracts";
import { newEvent, type NewEvent } from "../../mixins/events/envelope";
import type { OrderDoc } from "./order";

/*
 * Returns as a pure decider: the order as read, a command and the time give the fields to write
 * and the events to publish with them, or a refusal. The service writes with a compare-and-set
 * (on `returnSeq` for a new return, on the return's status for a step of one), so two requests
 * never both return the same unit, and a step is taken once however often it is asked for.
 */

export type ReturnCommand =
	/** The customer sends back these lines (merged by product); with an Idempotency-Key, once per key. */
	| { type: "REQUEST"; items: { productId: string; qty: number }[]; claim?: ReturnClaim }
	/** The shop has the return's parcel. */
	| { type: "RECEIVE"; returnId: string }
	/** Payments refunded the return's amount (its payment.refunded event's id and amount). */
	| { type: "REFUNDED"; returnId: string; refundId: string; amountCents: number };

export type ReturnRefusal =
	| { kind: "refuse"; status: 409; type: "ORDER_NOT_DELIVERED" | "RETURN_WINDOW_CLOSED" | "RETURN_ALREADY_RECEIVED"; message: string }
	| { kind: "refuse"; status: 422; type: "RETURN_LINE_NOT_IN_ORDER" | "RETURN_QTY_TOO_LARGE"; message: string; data: { productIds: string[] } }
	| { kind: "refuse"; status: 422; type: "IDEMPOTENCY_KEY_REUSED"; message: string; data?: undefined }
	| { kind: "refuse"; status: 404; type: "RETURN_NOT_FOUND"; message: string };

/** An Idempotency-Key as a return keeps it: the key's hash (a field name) and the request's fingerprint. */
export interface ReturnClaim {
	keyId: string;
	fingerprint: string;
}

export type ReturnDecision =
	| {
			kind: "write";
			/** The compare-and-set the write is made under, besides the order's id. */
			condition: Record<string, unknown>;
			set: Record<string, unknown>;
			inc?: Record<string, number>;
			events: NewEvent[];
			returned: OrderReturn;
	  }
	| ReturnRefusal
	/** The request was made before under its key: answer what it did. */
	| { kind: "replay"; returnId: string }
	| { kind: "ignore" };

/** The order's returns, oldest first. */
export function returnsOf(order: Pick<OrderDoc, "returns">): OrderReturn[] {
	return Object.values(order.returns ?? {}).sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
}

/** Per product, how many units the order's returns (of any status) already take back. */
function returnedQty(order: Pick<OrderDoc, "returns">): Map<string, number> {
	const taken = new Map<string, number>();
	for (const ret of returnsOf(order)) for (const line of ret.items) taken.set(line.productId, (taken.get(line.productId) ?? 0) + line.qty);
	return taken;
}

function merged(items: { productId: string; qty: number }[]): Map<string, number> {
	const lines = new Map<string, number>();
	for (const { productId, qty } of items) lines.set(productId, (lines.get(productId) ?? 0) + qty);
	return lines;
}

/** How many returns are waiting for their parcel, once `changed` is written. */
function toReceive(order: Pick<OrderDoc, "returns">, changed: OrderReturn): number {
	return returnsOf({ returns: { ...order.returns, [changed.id]: changed } }).filter((ret) => ret.status === "REQUESTED").length;
}

export function decideReturn(order: OrderDoc, command: ReturnCommand, now: Date): ReturnDecision {
	const at = now.toISOString();
	switch (command.type) {
		case "REQUEST": {
			const first = command.claim ? order.returnKeys?.[command.claim.keyId] : undefined;
			if (first) {
				return first.fingerprint === command.claim!.fingerprint
					? { kind: "replay", returnId: first.returnId }
					: { kind: "refuse", status: 422, type: "IDEMPOTENCY_KEY_REUSED", message: "This Idempotency-Key was sent before with another request" };
			}
			const decision = requestReturn(order, command.items, now);
			if (decision.kind !== "write" || !command.claim) return decision;
			const { keyId, fingerprint } = command.claim;
			return { ...decision, set: { ...decision.set, [`returnKeys.${keyId}`]: { returnId: decision.returned.id, fingerprint } } };
		}
		case "RECEIVE": {
			const ret = order.returns?.[command.returnId];
			if (!ret) return { kind: "refuse", status: 404, type: "RETURN_NOT_FOUND", message: `Order ${order._id} has no return ${command.returnId}` };
			if (ret.status !== "REQUESTED") {
				return { kind: "refuse", status: 409, type: "RETURN_ALREADY_RECEIVED", message: `Return ${ret.id} of order ${order._id} was received already` };
			}
			const received: OrderReturn = { ...ret, status: "RECEIVED", receivedAt: at };
			const body = {
				orderId: order._id,
				customerId: order.customerId,
				returnId: ret.id,
				items: ret.items.map(({ productId, qty }) => ({ productId, qty })),
				refundCents: ret.refundCents,
				currency: order.currency,
			};
			return {
				kind: "write",
				condition: { [`returns.${ret.id}.status`]: "REQUESTED" },
				set: { [`returns.${ret.id}`]: received, returnsToReceive: toReceive(order, received), updatedAt: at },
				events: [newEvent("return.received", body, order._id)],
				returned: received,
			};
		}
		case "REFUNDED": {
			const ret = order.returns?.[command.returnId];
			if (!ret || ret.status !== "RECEIVED") return { kind: "ignore" };
			const refunded: OrderReturn = { ...ret, status: "REFUNDED", refundedAt: at };
			return {
				kind: "write",
				condition: { [`returns.${ret.id}.status`]: "RECEIVED" },
				// Counted under the refund's event id too, as a cancelled order's refund is.
				set: { [`returns.${ret.id}`]: refunded, [`refunds.${command.refundId}`]: command.amountCents, updatedAt: at },
				inc: { refundedCents: command.amountCents },
				events: [],
				returned: refunded,
			};
		}
	}
}

function requestReturn(order: OrderDoc, items: { productId: string; qty: number }[], now: Date): ReturnDecision {
	if (order.status !== "DELIVERED") {
		return {
			kind: "refuse",
			status: 409,
			type: "ORDER_NOT_DELIVERED",
			message: `Order ${order._id} is ${order.status}: only a delivered order can be returned`,
		};
	}
	if (!order.returnableUntil || now.getTime() > Date.parse(order.returnableUntil)) {
		return {
			kind: "refuse",
			status: 409,
			type: "RETURN_WINDOW_CLOSED",
			message: `The return window of order ${order._id} closed${order.returnableUntil ? ` at ${order.returnableUntil}` : ""}`,
		};
	}
	const lines = merged(items);
	const ordered = new Map<string, OrderLine>(order.items.map((line) => [line.productId, line]));
	const unknown = [...lines.keys()].filter((productId) => !ordered.has(productId));
	if (unknown.length > 0) {
		return {
			kind: "refuse",
			status: 422,
			type: "RETURN_LINE_NOT_IN_ORDER",
			message: "Only the order's own lines can be returned",
			data: { productIds: unknown },
		};
	}
	const taken = returnedQty(order);
	const tooMany = [...lines].filter(([productId, qty]) => qty > ordered.get(productId)!.qty - (taken.get(productId) ?? 0)).map(([productId]) => productId);
	if (tooMany.length > 0) {
		return {
			kind: "refuse",
			status: 422,
			type: "RETURN_QTY_TOO_LARGE",
			message: "More units than the order has left to return",
			data: { productIds: tooMany },
		};
	}
	const returnLines: ReturnLine[] = [...lines].map(([productId, qty]) => ({ productId, qty, refundCents: ordered.get(productId)!.unitPriceCents * qty }));
	// The last units of every line: the whole order has come back, and its shipping with it.
	const includesShipping = order.items.every((line) => (taken.get(line.productId) ?? 0) + (lines.get(line.productId) ?? 0) === line.qty);
	const shippingCents = order.shipping?.priceCents ?? 0;
	const seq = (order.returnSeq ?? 0) + 1;
	const at = now.toISOString();
	const requested: OrderReturn = {
		id: `r${seq}`,
		status: "REQUESTED",
		items: returnLines,
		refundCents: returnLines.reduce((sum, line) => sum + line.refundCents, 0) + (includesShipping ? shippingCents : 0),
		includesShipping,
		requestedAt: at,
	};
	const body = {
		orderId: order._id,
		customerId: order.customerId,
		returnId: requested.id,
		items: returnLines.map(({ productId, qty }) => ({ productId, qty })),
		refundCents: requested.refundCents,
		currency: order.currency,
	};
	return {
		kind: "write",
		condition: { returnSeq: order.returnSeq ?? { $exists: false } },
		set: { [`returns.${requested.id}`]: requested, returnSeq: seq, returnsToReceive: toReceive(order, requested), updatedAt: at },
		events: [newEvent("return.requested", body, order._id)],
		returned: requested,
	};
}
