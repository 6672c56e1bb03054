import type {
	Address,
	CancelReason,
	CreateOrderParams,
	Order,
	OrderLine,
	OrderStatus,
	OutboxEvent,
	Product,
	StatusChange,
	TraceCarrier,
} from "../../contracts";
import { UnprocessableError } from "../../lib/errors";
import { newEvent, type NewEvent } from "../../mixins/events/envelope";
import { mergeLines } from "../../lib/stock-lines";

/*
 * The order's side of the saga as pure functions: what an order costs, and which status a saga
 * step moves it to. The service applies the result with a compare-and-set on the status, so two
 * deliveries of the same step can never both apply.
 */

export type OrderDoc = Omit<Order, "id"> & {
	[key: string]: unknown;
	_id: string;
	/**
	 * When the saga gives up waiting for its next step. A final order has none: the field is
	 * removed (orders finished before that was so hold null), so the deadline's index holds open
	 * orders only, not every order ever finished under one key.
	 */
	sagaDeadlineMs?: number | null;
	/** Refund event ids already counted into refundedCents. */
	refunds?: Record<string, number>;
	outbox?: OutboxEvent[];
	/** The trace the order was placed in; its saga's later steps continue it. */
	trace?: TraceCarrier;
};

/** The most of one product an order may hold, however many lines it is spread over. */
export const MAX_LINE_QTY = 100;

export const DEFAULT_PAYMENT_METHOD = "tok_visa";
export const OPEN_STATUSES: readonly OrderStatus[] = ["PENDING", "AWAITING_PAYMENT"];

export type SagaTrigger = "STOCK_RESERVED" | "STOCK_REJECTED" | "PAYMENT_SETTLED" | "PAYMENT_FAILED" | "CUSTOMER_CANCELLED" | "TIMEOUT";

export type Decision =
	| { kind: "move"; to: OrderStatus; reason: string; cancelReason?: CancelReason }
	/** The step belongs to a later stage than the order has reached: deliver it again later. */
	| { kind: "wait" }
	/** Nothing to do: the step is stale or a duplicate. */
	| { kind: "ignore" };

const cancel = (cancelReason: CancelReason): Decision => ({ kind: "move", to: "CANCELLED", reason: cancelReason, cancelReason });

export function decide(status: OrderStatus, trigger: SagaTrigger): Decision {
	switch (trigger) {
		case "STOCK_RESERVED":
			return status === "PENDING" ? { kind: "move", to: "AWAITING_PAYMENT", reason: "STOCK_RESERVED" } : { kind: "ignore" };
		case "STOCK_REJECTED":
			return status === "PENDING" ? cancel("OUT_OF_STOCK") : { kind: "ignore" };
		case "PAYMENT_SETTLED":
			if (status === "PENDING") return { kind: "wait" };
			return status === "AWAITING_PAYMENT" ? { kind: "move", to: "CONFIRMED", reason: "PAYMENT_SETTLED" } : { kind: "ignore" };
		case "PAYMENT_FAILED":
			if (status === "PENDING") return { kind: "wait" };
			return status === "AWAITING_PAYMENT" ? cancel("PAYMENT_DECLINED") : { kind: "ignore" };
		case "CUSTOMER_CANCELLED":
			return status === "CANCELLED" ? { kind: "ignore" } : cancel("CUSTOMER_CANCELLED");
		case "TIMEOUT":
			return OPEN_STATUSES.includes(status) ? cancel("TIMEOUT") : { kind: "ignore" };
	}
}

/** The fields a move sets and removes; the deadline restarts with every step and goes at the last. */
export interface OrderMove {
	set: Record<string, unknown>;
	unset: Partial<Record<"sagaDeadlineMs", true>>;
	entry: StatusChange;
}

/** The `$set`, `$unset` and history entry that move an order. */
export function moveOrder(decision: Extract<Decision, { kind: "move" }>, now: Date, stepTimeoutMs: number): OrderMove {
	const final = !OPEN_STATUSES.includes(decision.to);
	const set: Record<string, unknown> = { status: decision.to, updatedAt: now.toISOString() };
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

/** The events an order's move publishes: its confirmation or its cancellation, nothing on the way. */
function orderEvents(
	order: Pick<OrderDoc, "_id" | "customerId" | "totalCents" | "currency" | "status">,
	decision: Extract<Decision, { kind: "move" }>,
): NewEvent[] {
	const base = { orderId: order._id, customerId: order.customerId, totalCents: order.totalCents, currency: order.currency };
	if (decision.to === "CONFIRMED") return [newEvent("order.confirmed", base, order._id)];
	if (decision.to === "CANCELLED") return [newEvent("order.cancelled", { ...base, reason: decision.cancelReason!, previousStatus: order.status }, order._id)];
	return [];
}

/** One saga step as the store applies it: the decision, and for a move its fields, history entry and events. */
export type OrderStep =
	({ kind: "move"; decision: Extract<Decision, { kind: "move" }>; events: NewEvent[] } & OrderMove) | { kind: "wait" } | { kind: "ignore" };

/** The order's decider: the order as read, a saga trigger and the time give the step to write. */
export function orderStep(order: OrderDoc, trigger: SagaTrigger, now: Date, stepTimeoutMs: number): OrderStep {
	const decision = decide(order.status, trigger);
	if (decision.kind !== "move") return decision;
	return { kind: "move", decision, ...moveOrder(decision, now, stepTimeoutMs), events: orderEvents(order, decision) };
}

/** How long the order's saga took, from its creation to `now` when it reached its final status. */
export function sagaSeconds(order: Pick<OrderDoc, "createdAt">, now: Date): number {
	return Math.max(0, now.getTime() - Date.parse(order.createdAt)) / 1000;
}

/** Prices an order from the catalogue's current products; the client never names a price. */
export function priceOrder(requested: CreateOrderParams["items"], products: Product[]): { items: OrderLine[]; totalCents: number; currency: string } {
	const byId = new Map(products.map((product) => [product.id, product]));
	const lines = mergeLines(requested);
	const unknown = lines.filter((line) => !byId.has(line.productId)).map((line) => line.productId);
	if (unknown.length > 0) {
		throw new UnprocessableError("UNKNOWN_PRODUCT_IN_ORDER", "Some products do not exist or are not for sale", { productIds: unknown });
	}
	const tooLarge = lines.filter((line) => line.qty > MAX_LINE_QTY).map((line) => line.productId);
	if (tooLarge.length > 0) {
		throw new UnprocessableError("LINE_QTY_TOO_LARGE", `At most ${MAX_LINE_QTY} of one product per order, counting every line for it`, {
			productIds: tooLarge,
			max: MAX_LINE_QTY,
		});
	}
	const currencies = new Set(lines.map((line) => byId.get(line.productId)!.currency));
	if (currencies.size > 1) {
		throw new UnprocessableError("MIXED_CURRENCIES", "All products of one order must be priced in one currency", {
			currencies: [...currencies],
		});
	}
	const items = lines.map(({ productId, qty }) => {
		const product = byId.get(productId)!;
		return { productId, sku: product.sku, name: product.name, unitPriceCents: product.priceCents, qty, lineTotalCents: product.priceCents * qty };
	});
	return { items, totalCents: items.reduce((sum, line) => sum + line.lineTotalCents, 0), currency: [...currencies][0]! };
}

export function newOrder(
	input: { customerId: string; shippingAddress: Address; paymentMethod: string },
	priced: { items: OrderLine[]; totalCents: number; currency: string },
	id: string,
	now: Date,
	stepTimeoutMs: number,
): OrderDoc {
	const at = now.toISOString();
	return {
		_id: id,
		customerId: input.customerId,
		...priced,
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
		totalCents: doc.totalCents,
		currency: doc.currency,
		shippingAddress: doc.shippingAddress,
		paymentMethod: doc.paymentMethod,
		status: doc.status,
		...(doc.cancelReason ? { cancelReason: doc.cancelReason } : {}),
		refundedCents: doc.refundedCents,
		history: doc.history,
		createdAt: doc.createdAt,
		updatedAt: doc.updatedAt,
	};
}
