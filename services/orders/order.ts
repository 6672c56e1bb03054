import {
	ORDER_STATUSES,
	type Address,
	type CancelReason,
	type CreateOrderParams,
	type Order,
	type OrderLine,
	type OrderReturn,
	type OrderShipping,
	type OrderStatus,
	type OutboxEvent,
	type Product,
	type ShippingOption,
	type StatusChange,
	type TraceCarrier,
} from "../../contracts";
import { newEvent, type NewEvent } from "../../mixins/events/envelope";
import { MAX_LINE_QTY, parcelWeightGrams, productLines } from "../../lib/stock-lines";
import { returnsOf } from "./returns";

/*
 * The order's side of the saga as pure functions: what an order costs, and which status a saga
 * step moves it to. The service applies the result with a compare-and-set on the status, so two
 * deliveries of the same step can never both apply.
 */

export type OrderDoc = Omit<Order, "id" | "goodsCents" | "shippingCents" | "returns"> & {
	[key: string]: unknown;
	_id: string;
	/** The lines' total; orders placed before the shop shipped have none (their total is their goods). */
	goodsCents?: number;
	/**
	 * When the saga gives up waiting for its next step. A final order has none: the field is
	 * removed (orders finished before that was so hold null), so the deadline's index holds open
	 * orders only, not every order ever finished under one key.
	 */
	sagaDeadlineMs?: number | null;
	/** Refund event ids already counted into refundedCents. */
	refunds?: Record<string, number>;
	/** The returns by id (r1, r2…), so that one step of one is a write to its own path. */
	returns?: Record<string, OrderReturn>;
	/** How many returns were asked for: the compare-and-set of a new one. */
	returnSeq?: number;
	/** How many returns wait for their parcel (the console's "returns to receive"). */
	returnsToReceive?: number;
	/** The Idempotency-Keys returns were asked for with, by the key's hash: the return each made. */
	returnKeys?: Record<string, { returnId: string; fingerprint: string }>;
	outbox?: OutboxEvent[];
	/** The trace the order was placed in; its saga's later steps continue it. */
	trace?: TraceCarrier;
};

export { MAX_LINE_QTY };

export const DEFAULT_PAYMENT_METHOD = "tok_visa";
/** The saga's statuses: each waits for its next step, and its step timeout cancels the order. */
export const OPEN_STATUSES: readonly OrderStatus[] = ["PENDING", "AWAITING_PAYMENT", "AWAITING_SHIPMENT"];

export type SagaTrigger =
	| "STOCK_RESERVED"
	| "STOCK_REJECTED"
	| "PAYMENT_ACTION_REQUIRED"
	| "PAYMENT_SETTLED"
	| "PAYMENT_FAILED"
	| "SHIPMENT_BOOKED"
	| "SHIPMENT_REFUSED"
	| "SHIPMENT_DISPATCHED"
	| "SHIPMENT_DELIVERED"
	| "CUSTOMER_CANCELLED"
	| "TIMEOUT";

export type Decision =
	| { kind: "move"; to: OrderStatus; reason: string; cancelReason?: CancelReason }
	/** The step belongs to a later stage than the order has reached: deliver it again later. */
	| { kind: "wait" }
	/** The request breaks a rule of the order as it stands (the caller's 409). */
	| { kind: "refuse"; type: "ORDER_ALREADY_LABELLED" }
	/** Nothing to do: the step is stale or a duplicate. */
	| { kind: "ignore" };

const cancel = (cancelReason: CancelReason): Decision => ({ kind: "move", to: "CANCELLED", reason: cancelReason, cancelReason });
const to = (status: OrderStatus, reason: string): Decision => ({ kind: "move", to: status, reason });
const WAIT: Decision = { kind: "wait" };
const IGNORE: Decision = { kind: "ignore" };

/** The step `trigger` takes from `from` (earlier statuses wait for the order to get there; later ones ignore it). */
function stepFrom(status: OrderStatus, from: OrderStatus, next: Decision): Decision {
	if (status === from) return next;
	return status !== "CANCELLED" && ORDER_STATUSES.indexOf(status) < ORDER_STATUSES.indexOf(from) ? WAIT : IGNORE;
}

/**
 * The order's status machine. `ships` is false only for orders placed before the shop shipped:
 * their saga ends at the payment, and they have no label to stop a cancel.
 */
export function decide(status: OrderStatus, trigger: SagaTrigger, ships = true): Decision {
	switch (trigger) {
		case "STOCK_RESERVED":
			return status === "PENDING" ? to("AWAITING_PAYMENT", "STOCK_RESERVED") : IGNORE;
		case "STOCK_REJECTED":
			return status === "PENDING" ? cancel("OUT_OF_STOCK") : IGNORE;
		case "PAYMENT_ACTION_REQUIRED":
			// The same status, a new entry: the customer is told to confirm, and has a whole step's time to.
			return stepFrom(status, "AWAITING_PAYMENT", to("AWAITING_PAYMENT", "PAYMENT_ACTION_REQUIRED"));
		case "PAYMENT_SETTLED":
			return stepFrom(status, "AWAITING_PAYMENT", to(ships ? "AWAITING_SHIPMENT" : "CONFIRMED", "PAYMENT_SETTLED"));
		case "PAYMENT_FAILED":
			return stepFrom(status, "AWAITING_PAYMENT", cancel("PAYMENT_DECLINED"));
		case "SHIPMENT_BOOKED":
			return stepFrom(status, "AWAITING_SHIPMENT", to("CONFIRMED", "SHIPMENT_BOOKED"));
		case "SHIPMENT_REFUSED":
			return stepFrom(status, "AWAITING_SHIPMENT", cancel("SHIPPING_REFUSED"));
		case "SHIPMENT_DISPATCHED":
			return stepFrom(status, "CONFIRMED", to("SHIPPED", "SHIPMENT_DISPATCHED"));
		case "SHIPMENT_DELIVERED":
			return stepFrom(status, "SHIPPED", to("DELIVERED", "SHIPMENT_DELIVERED"));
		case "CUSTOMER_CANCELLED":
			if (status === "CANCELLED") return IGNORE;
			// Once the carrier has the label, the parcel is the carrier's to move: a return is the way back.
			if (!OPEN_STATUSES.includes(status) && ships) return { kind: "refuse", type: "ORDER_ALREADY_LABELLED" };
			return cancel("CUSTOMER_CANCELLED");
		case "TIMEOUT":
			return OPEN_STATUSES.includes(status) ? cancel("TIMEOUT") : IGNORE;
	}
}

/** The fields a move sets and removes; the deadline restarts with every step and goes at the last. */
export interface OrderMove {
	set: Record<string, unknown>;
	unset: Partial<Record<"sagaDeadlineMs", true>>;
	entry: StatusChange;
}

/** The `$set`, `$unset` and history entry that move an order; `facts` of the step (the tracking) are set with it. */
export function moveOrder(decision: Extract<Decision, { kind: "move" }>, now: Date, stepTimeoutMs: number, facts: Record<string, unknown> = {}): OrderMove {
	const final = !OPEN_STATUSES.includes(decision.to);
	const set: Record<string, unknown> = { ...facts, status: decision.to, updatedAt: now.toISOString() };
	if (!final) set.sagaDeadlineMs = now.getTime() + stepTimeoutMs;
	if (decision.cancelReason) set.cancelReason = decision.cancelReason;
	return { set, unset: final ? { sagaDeadlineMs: true } : {}, entry: { status: decision.to, at: now.toISOString(), reason: decision.reason } };
}

/** The order as it is once a move is written. */
export function movedOrder(order: OrderDoc, { set, unset, entry }: OrderMove): OrderDoc {
	const moved: OrderDoc = { ...order, ...set, history: [...order.history, entry] };
	for (const field of Object.keys(unset)) delete moved[field];
	return moved;
}

/** The events an order's move publishes: paid (shipping books the parcel), confirmed or cancelled; the parcel's way is shipping's to tell. */
function orderEvents(
	order: Pick<OrderDoc, "_id" | "customerId" | "totalCents" | "currency" | "status" | "shippingAddress" | "shipping">,
	decision: Extract<Decision, { kind: "move" }>,
): NewEvent[] {
	const base = { orderId: order._id, customerId: order.customerId, totalCents: order.totalCents, currency: order.currency };
	if (decision.to === "AWAITING_SHIPMENT") {
		return [
			newEvent(
				"order.paid",
				{ orderId: order._id, customerId: order.customerId, shippingAddress: order.shippingAddress, shipping: order.shipping! },
				order._id,
			),
		];
	}
	if (decision.to === "CONFIRMED") return [newEvent("order.confirmed", base, order._id)];
	if (decision.to === "CANCELLED") return [newEvent("order.cancelled", { ...base, reason: decision.cancelReason!, previousStatus: order.status }, order._id)];
	return [];
}

/** One saga step as the store applies it: the decision, and for a move its fields, history entry and events. */
export type OrderStep = ({ kind: "move"; decision: Extract<Decision, { kind: "move" }>; events: NewEvent[] } & OrderMove) | Exclude<Decision, { kind: "move" }>;

/** The order's decider: the order as read, a saga trigger (with the facts it brings) and the time give the step to write. */
export function orderStep(order: OrderDoc, trigger: SagaTrigger, now: Date, stepTimeoutMs: number, facts?: Record<string, unknown>): OrderStep {
	const decision = decide(order.status, trigger, order.shipping !== undefined);
	if (decision.kind !== "move") return decision;
	return { kind: "move", decision, ...moveOrder(decision, now, stepTimeoutMs, facts), events: orderEvents(order, decision) };
}

/** How long the order's saga took, from its creation to `now` when it reached its final status. */
export function sagaSeconds(order: Pick<OrderDoc, "createdAt">, now: Date): number {
	return Math.max(0, now.getTime() - Date.parse(order.createdAt)) / 1000;
}

/** Prices an order from the catalogue's current products; the client never names a price. */
export function priceOrder(requested: CreateOrderParams["items"], products: Product[]): PricedOrder {
	const { lines, currency } = productLines(requested, products, MAX_LINE_QTY);
	const items = lines.map(({ productId, qty, product }) => ({
		productId,
		sku: product.sku,
		name: product.name,
		unitPriceCents: product.priceCents,
		qty,
		lineTotalCents: product.priceCents * qty,
	}));
	return { items, goodsCents: items.reduce((sum, line) => sum + line.lineTotalCents, 0), currency, weightGrams: parcelWeightGrams(lines) };
}

/** An order's lines priced, with what they weigh for shipping. */
export interface PricedOrder {
	items: OrderLine[];
	goodsCents: number;
	currency: string;
	weightGrams: number;
}

/** How an order ships, from the option shipping chose for it. */
export function orderShipping(option: ShippingOption, weightGrams: number): OrderShipping {
	return { optionId: option.optionId, name: option.name, priceCents: option.priceCents, days: option.days, weightGrams };
}

export function newOrder(
	input: { customerId: string; shippingAddress: Address; paymentMethod: string; shipping: OrderShipping },
	priced: PricedOrder,
	id: string,
	now: Date,
	stepTimeoutMs: number,
): OrderDoc {
	const at = now.toISOString();
	return {
		_id: id,
		customerId: input.customerId,
		items: priced.items,
		goodsCents: priced.goodsCents,
		totalCents: priced.goodsCents + input.shipping.priceCents,
		currency: priced.currency,
		shipping: input.shipping,
		shippingAddress: { ...input.shippingAddress, country: input.shippingAddress.country.toUpperCase() },
		paymentMethod: input.paymentMethod,
		status: "PENDING",
		refundedCents: 0,
		history: [{ status: "PENDING", at, reason: "ORDER_PLACED" }],
		sagaDeadlineMs: now.getTime() + stepTimeoutMs,
		createdAt: at,
		updatedAt: at,
	};
}

export function toOrder(doc: OrderDoc): Order {
	return {
		id: doc._id,
		customerId: doc.customerId,
		items: doc.items,
		goodsCents: doc.goodsCents ?? doc.totalCents,
		shippingCents: doc.shipping?.priceCents ?? 0,
		totalCents: doc.totalCents,
		currency: doc.currency,
		shippingAddress: doc.shippingAddress,
		...(doc.shipping ? { shipping: doc.shipping } : {}),
		...(doc.tracking ? { tracking: doc.tracking } : {}),
		paymentMethod: doc.paymentMethod,
		status: doc.status,
		...(doc.cancelReason ? { cancelReason: doc.cancelReason } : {}),
		refundedCents: doc.refundedCents,
		history: doc.history,
		...(doc.returns ? { returns: returnsOf(doc) } : {}),
		...(doc.returnableUntil ? { returnableUntil: doc.returnableUntil } : {}),
		...(doc.status === "AWAITING_PAYMENT" && doc.paymentActionUrl ? { paymentActionUrl: doc.paymentActionUrl } : {}),
		createdAt: doc.createdAt,
		updatedAt: doc.updatedAt,
	};
}
